//! Store benchmark: contacts written per second into the session database (sled), in batches
//! of 1,000 as a busy replay or live session hands them over, the last batch made durable.
//!
//! Run: `cargo bench --bench store`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use sporfri::attribute::Attribution;
use sporfri::session::{Batch, ContactRecord, Phase, Session, Source};
use sporfri::store::Store;
use sporfri::time::Timestamp;

fn contact(session: u64, name: &str, flows: u64) -> ContactRecord {
    ContactRecord {
        session,
        phase: Phase::BeforeConsent,
        device: "02:11:22:33:44:55".into(),
        client_ip: "192.168.1.10".parse().unwrap(),
        client_ips: ["192.168.1.10".parse().unwrap()].into(),
        name: name.into(),
        scope: "internet".into(),
        via: vec!["dns".into(), "tls".into()],
        first_seen: Timestamp(1_700_000_000_000_000_000),
        last_seen: Timestamp(1_700_000_001_000_000_000),
        flows,
        bytes_up: 1_000,
        bytes_down: 20_000,
        server_ips: vec!["203.0.113.7".parse().unwrap()],
        server_ports: vec!["tcp/443".into()],
        cname_chain: vec![],
        ech: None,
        dns_queries: 1,
        http_requests: 0,
        cookie_sent: false,
        cookies_set: vec![],
        resolved_private: false,
        blocked: None,
        blocked_answer: None,
        attribution: Attribution::unknown(),
        evidence: vec![],
        baseline: Default::default(),
    }
}

fn main() {
    let dir = std::env::temp_dir().join(format!("sporfri-store-bench-{}", std::process::id()));
    let mut store = Store::open(&dir).unwrap();
    let source = Source::File {
        path: "bench.pcap".into(),
        sha256: "0".repeat(64),
    };
    let s = store
        .create_session(Session::new("bench", None, source))
        .unwrap();
    let (per_batch, batches) = (1_000u64, 200u64);
    let names: Vec<String> = (0..per_batch)
        .map(|i| format!("host{i}.tracker.example"))
        .collect();
    let started = Instant::now();
    for n in 0..batches {
        let batch = Batch {
            session: s.clone(),
            contacts: names.iter().map(|name| contact(s.id, name, n)).collect(),
            requests: Vec::new(),
            signatures: None,
            durable: n + 1 == batches,
        };
        store.write(&batch).unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let total = per_batch * batches;
    println!(
        "store: {total} contacts in {batches} batches of {per_batch}: {secs:.2} s, {:.0} contacts written/s",
        total as f64 / secs
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
