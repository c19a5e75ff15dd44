//! Survey benchmark: an annual survey's database (200 services × 4 sessions × 100 contacts by
//! default), then `sporfri survey` over all of it in each format, and with `--reports`, timed
//! as separate processes with their peak RSS (GNU time).
//!
//! The sessions are written through the store as a recorder writes them: each with its stored
//! signature set and site profile (so the survey reads and parses them as for real sessions),
//! marks (accept or reject at 30 s), contacts with evidence, a third of them third parties
//! from a pool of 60 organisations, some blocked. Attribution is set directly: the survey
//! reads the stored attribution and attributes nothing.
//!
//! Run: `cargo bench --bench survey [-- --services 200 --sessions 4 --contacts 100 --keep]`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use sporfri::attribute::{Attribution, Blocked, Category, Party, SignatureSet};
use sporfri::session::{
    Batch, ContactRecord, DeviceRecord, Evidence, EvidenceKind, Mark, MarkKind, Session,
    SessionState, Source, phase_at,
};
use sporfri::store::Store;
use sporfri::time::Timestamp;

const T0: u64 = 1_767_225_600; // 2026-01-01
const CATEGORIES: [Category; 6] = [
    Category::Analytics,
    Category::Advertising,
    Category::TagManager,
    Category::Cdn,
    Category::Fonts,
    Category::ConsentManagement,
];

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn site_toml(i: u64) -> String {
    format!(
        "[site]\nname = \"service{i}.example\"\ntitle = \"Service {i}\"\nowner = \"Authority \
         {i}\"\ncountry = \"DK\"\nmandatory_self_service = true\nfirst_party = \
         [\"service{i}.example\"]\nsource = \"benchmark\"\n\n[[allowed]]\ndomains = \
         [\"org3.example\"]\nreason = \"data processing agreement\"\nreference = \
         \"https://service{i}.example/cookies\"\n"
    )
}

/// The signature set a session of service `i` stores: the built-in set and its site profile.
fn signatures(i: u64) -> SignatureSet {
    let mut set = SignatureSet::read(&[]).unwrap();
    let text = site_toml(i);
    let d = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    set.site = Some(sporfri::attribute::provenance::SiteCopy {
        name: format!("service{i}.example"),
        file: format!("signatures/sites/service{i}.example.toml"),
        sha256: d.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
        text,
    });
    set
}

fn contact(s: &Session, service: u64, n: u64, start: Timestamp) -> ContactRecord {
    let first = Timestamp(start.0 + n * 600_000_000);
    let mut a = Attribution::unknown();
    let name = if n % 3 == 0 {
        let org = (service * 7 + n) % 60;
        a.party = Party::Third;
        a.org = Some(format!("Organisation {org}"));
        a.service = Some(format!("Service of organisation {org}"));
        a.category = Some(CATEGORIES[(org % 6) as usize]);
        if org == 3 {
            a.declared = Some("https://example/cookies".into());
        }
        format!("t{n}.org{org}.example")
    } else {
        a.party = Party::First;
        a.org = Some(format!("Authority {service}"));
        format!("h{n}.service{service}.example")
    };
    let evidence = (0..6)
        .map(|k| Evidence {
            ts: Timestamp(first.0 + k * 1_000_000),
            kind: EvidenceKind::ALL[(k % 6) as usize],
            via: None,
            flow: Some("tcp 192.168.1.10:50000 -> 203.0.113.7:443".into()),
        })
        .collect();
    ContactRecord {
        session: s.id,
        phase: phase_at(&s.marks, first),
        device: s.devices[0].device.clone(),
        client_ip: "192.168.1.10".parse().unwrap(),
        client_ips: ["192.168.1.10".parse().unwrap()].into(),
        name,
        scope: "internet".into(),
        via: vec!["dns".into(), "tls".into()],
        first_seen: first,
        last_seen: Timestamp(first.0 + 2_000_000_000),
        flows: 2,
        bytes_up: 1_000,
        bytes_down: 20_000,
        server_ips: vec!["203.0.113.7".parse().unwrap()],
        server_ports: vec!["tcp/443".into()],
        cname_chain: vec![],
        ech: None,
        dns_queries: 2,
        http_requests: 0,
        cookie_sent: false,
        cookies_set: vec![],
        resolved_private: false,
        blocked: (n % 27 == 0).then_some(Blocked::Sinkhole),
        blocked_answer: None,
        attribution: a,
        evidence,
        baseline: Default::default(),
    }
}

/// Write `services` × `per` sessions of `contacts` contacts each.
fn generate(db: &Path, services: u64, per: u64, contacts: u64) {
    let mut store = Store::open(db).unwrap();
    for i in 0..services {
        let set = signatures(i);
        for k in 0..per {
            let phone = format!("02:00:00:00:00:{:02x}", k % 2 + 1);
            let decision = if k < per / 2 { "accept" } else { "reject" };
            let label = format!("service{i}.example, phone {}, {decision}", k % 2 + 1);
            let source = Source::File {
                path: format!("captures/service{i}-{k}.pcapng"),
                sha256: format!("{:064x}", i * 100 + k),
            };
            let mut s = store
                .create_session(Session::new(
                    &label,
                    Some(&format!("service{i}.example")),
                    source,
                ))
                .unwrap();
            let start = Timestamp::from_parts(T0 + i * 86_400 + k * 3_600, 0);
            s.started = Some(start);
            s.ended = Some(Timestamp(start.0 + contacts * 600_000_000 + 2_000_000_000));
            s.state = SessionState::Ended;
            s.devices = vec![DeviceRecord {
                device: phone,
                ips: vec!["192.168.1.10".parse().unwrap()],
                host_name: None,
                vendor_class: None,
            }];
            s.add_mark(Mark {
                ts: start.plus_secs(30),
                kind: if decision == "accept" {
                    MarkKind::ConsentAccepted
                } else {
                    MarkKind::ConsentRejected
                },
                text: None,
            });
            s.stats.contacts = contacts;
            let batch = Batch {
                contacts: (0..contacts).map(|n| contact(&s, i, n, start)).collect(),
                session: s,
                requests: Vec::new(),
                signatures: Some(set.clone()),
                durable: false,
            };
            store.write(&batch).unwrap();
        }
    }
    store.sync().unwrap();
}

/// `sporfri survey ARGS`: (seconds, peak RSS MB, bytes written to standard output).
fn survey(db: &Path, args: &[&str]) -> (f64, f64, usize) {
    let out = Command::new("/usr/bin/time")
        .args([
            "-f",
            "%e %M",
            env!("CARGO_BIN_EXE_sporfri"),
            "survey",
            "--db",
        ])
        .arg(db)
        .args(args)
        .output()
        .expect("GNU time (/usr/bin/time) runs sporfri survey");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sporfri survey {args:?}: {err}");
    let last = err.lines().last().unwrap_or_default();
    let mut f = last.split_whitespace();
    let secs = f.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let kb: f64 = f.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    (secs, kb / 1024.0, out.stdout.len())
}

/// The benchmark's directory, removed when dropped (also on a panic) unless `--keep`.
struct Scratch {
    dir: std::path::PathBuf,
    keep: bool,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.keep {
            println!("kept {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let services = arg(&args, "--services", 200);
    let per = arg(&args, "--sessions", 4);
    let contacts = arg(&args, "--contacts", 100);
    let dir = std::env::temp_dir().join(format!("sporfri-survey-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let scratch = Scratch {
        dir,
        keep: args.iter().any(|a| a == "--keep"),
    };
    let db = scratch.dir.join("db");
    let started = Instant::now();
    generate(&db, services, per, contacts);
    let n = services * per;
    println!(
        "generated {n} sessions ({services} services × {per}) of {contacts} contacts: {} \
         contacts in {:.1} s",
        n * contacts,
        started.elapsed().as_secs_f64()
    );
    println!("| command | time | peak RSS | output |\n|---|---:|---:|---:|");
    let reports = scratch.dir.join("reports");
    let reports = reports.to_str().unwrap();
    for (what, a) in [
        ("survey --format html", vec!["--format", "html"]),
        ("survey --format json", vec!["--format", "json"]),
        ("survey --format csv", vec!["--format", "csv"]),
        ("survey --format md", vec!["--format", "md"]),
        ("survey --reports DIR", vec!["--reports", reports]),
    ] {
        let (secs, rss, bytes) = survey(&db, &a);
        println!(
            "| {what} | {secs:.2} s | {rss:.0} MB | {:.1} MB |",
            bytes as f64 / 1e6
        );
    }
}
