//! Evidence per way seen and per kind, attached to the contact `Contacts::observe` counted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use super::tests::{PHONE, flow_end_via, flow_key, ip, query, recorder, t};
use super::*;
use crate::observation::{Observation, Via};
use crate::wire::dns::Flavor;
use crate::wire::tls::ClientHello;

fn hello(secs: f64, port: u16, sni: &str, via: Via) -> Observation {
    Observation::Hello {
        ts: t(secs),
        device: PHONE,
        flow: flow_key(port),
        via,
        quic_version: 0,
        hello: ClientHello {
            sni: Some(sni.to_owned()),
            alpn: Vec::new(),
            ech_extension: false,
            legacy_version: 0x0303,
            supported_versions: Vec::new(),
        },
    }
}

fn query_flavor(secs: f64, name: &str, flavor: Flavor) -> Observation {
    let mut q = query(secs, PHONE, name);
    if let Observation::DnsQuery { flavor: f, .. } = &mut q {
        *f = flavor;
    }
    q
}

fn http(secs: f64, port: u16, host: &str) -> Observation {
    Observation::HttpRequest {
        ts: t(secs),
        device: PHONE,
        flow: flow_key(port),
        method: "GET".into(),
        host: Some(host.to_owned()),
        path: "/".into(),
        referer: None,
        has_cookie: false,
    }
}

fn chain(secs: f64, name: &str) -> Observation {
    Observation::DnsChain {
        ts: t(secs),
        device: PHONE,
        client: ip(10),
        name: name.to_owned(),
        chain: vec!["edge.example.net".into()],
    }
}

fn record(observations: &[Observation]) -> Vec<ContactRecord> {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    for o in observations {
        r.observe(o);
    }
    r.finish().contacts
}

fn kinds(c: &ContactRecord) -> BTreeSet<(EvidenceKind, Option<Via>)> {
    c.evidence.iter().map(|e| (e.kind, e.via)).collect()
}

/// The bug: a browser's many DNS queries filled the five kept observations, so a contact seen
/// over DNS and TLS showed only DNS evidence.
#[test]
fn a_contact_seen_over_dns_and_tls_shows_its_tls_evidence() {
    let mut obs: Vec<Observation> = (0..12)
        .map(|i| query(0.1 * i as f64, PHONE, "tracker.example"))
        .collect();
    obs.push(hello(2.0, 50000, "tracker.example", Via::Tls));
    obs.push(flow_end_via(1.9, "tracker.example", 50000, Via::Tls));
    let contacts = record(&obs);
    assert_eq!(contacts.len(), 1);
    let c = &contacts[0];
    assert_eq!(c.via, ["dns", "tls"]);
    let got = kinds(c);
    assert!(
        got.contains(&(EvidenceKind::DnsQuery, Some(Via::Dns))),
        "{got:?}"
    );
    assert!(
        got.contains(&(EvidenceKind::Flow, Some(Via::Tls))),
        "{got:?}"
    );
    assert!(
        got.contains(&(EvidenceKind::TlsHello, Some(Via::Tls))),
        "{got:?}"
    );
    let hello = c.evidence.iter().find(|e| e.kind == EvidenceKind::TlsHello);
    assert_eq!(hello.unwrap().ts, t(2.0));
    assert_eq!(c.evidence.len(), MAX_EARLY_EVIDENCE + 2);
}

/// Real ECH: the hello's server name is the provider's cover name, the flow counts for the
/// name DNS gave; the hello is evidence for that contact, not for a contact nobody counted.
#[test]
fn a_hello_counts_for_the_contact_its_flow_ends_as() {
    let contacts = record(&[
        query(0.0, PHONE, "secret.example"),
        hello(0.2, 50001, "cloudflare-ech.com", Via::Tls),
        flow_end_via(0.1, "secret.example", 50001, Via::DnsCache),
    ]);
    let names: Vec<&str> = contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["secret.example"]);
    let got = kinds(&contacts[0]);
    assert!(
        got.contains(&(EvidenceKind::TlsHello, Some(Via::DnsCache))),
        "{got:?}"
    );
    assert!(
        got.contains(&(EvidenceKind::Flow, Some(Via::DnsCache))),
        "{got:?}"
    );
}

#[test]
fn a_quic_hello_is_quic_evidence() {
    let contacts = record(&[
        hello(0.2, 50002, "video.example", Via::Quic),
        flow_end_via(0.1, "video.example", 50002, Via::Quic),
    ]);
    let got = kinds(&contacts[0]);
    assert_eq!(
        got,
        BTreeSet::from([
            (EvidenceKind::QuicHello, Some(Via::Quic)),
            (EvidenceKind::Flow, Some(Via::Quic)),
        ])
    );
}

/// Every way and every kind first seen late still keeps its first observation, up to exactly
/// MAX_EVIDENCE: the first five, then one entry per way or kind not shown yet.
#[test]
fn evidence_per_contact_stops_at_max_evidence() {
    let n = "all.example";
    let mut obs: Vec<Observation> = (0..MAX_EARLY_EVIDENCE)
        .map(|i| query(i as f64, PHONE, n))
        .collect();
    obs.push(query_flavor(5.0, n, Flavor::Mdns));
    obs.push(query_flavor(6.0, n, Flavor::Llmnr));
    obs.push(chain(7.0, n));
    // The first flow is of a way already shown, so it adds only its kind.
    obs.push(flow_end_via(8.0, n, 40000, Via::Dns));
    for (i, via) in [Via::Tls, Via::Quic, Via::Http, Via::DnsCache, Via::Ip]
        .into_iter()
        .enumerate()
    {
        obs.push(flow_end_via(9.0 + i as f64, n, 40001 + i as u16, via));
    }
    // Hellos of flows counted over a way already shown: each adds only its kind.
    obs.push(hello(14.0, 41000, n, Via::Tls));
    obs.push(flow_end_via(14.5, n, 41000, Via::Dns));
    obs.push(hello(15.0, 41001, n, Via::Quic));
    obs.push(flow_end_via(15.5, n, 41001, Via::Dns));
    obs.push(http(16.0, 41002, n));
    // Later observations of everything change nothing.
    for i in 0..20 {
        obs.push(query(20.0 + i as f64, PHONE, n));
        obs.push(flow_end_via(20.0 + i as f64, n, 42000 + i, Via::Tls));
        obs.push(http(20.0 + i as f64, 43000 + i, n));
    }
    let contacts = record(&obs);
    let c = &contacts[0];
    assert_eq!(c.evidence.len(), MAX_EVIDENCE);
    let vias: BTreeSet<Via> = c.evidence.iter().filter_map(|e| e.via).collect();
    assert_eq!(vias, BTreeSet::from(ALL_VIAS));
    let kinds: BTreeSet<EvidenceKind> = c.evidence.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, BTreeSet::from(EvidenceKind::ALL));
    assert!(c.evidence.iter().all(|e| e.ts < t(20.0)));
    assert!(c.evidence.windows(2).all(|w| w[0].ts <= w[1].ts));
}

/// A flow of an earlier first packet ending later takes its place among the first: what it
/// displaces is dropped unless it is the first of its way or kind.
#[test]
fn a_late_ending_flow_displaces_later_evidence() {
    let mut obs: Vec<Observation> = (0..MAX_EARLY_EVIDENCE)
        .map(|i| query(1.0 + i as f64, PHONE, "x.example"))
        .collect();
    obs.push(flow_end_via(0.5, "x.example", 50003, Via::Tls));
    let c = &record(&obs)[0];
    assert_eq!(c.evidence.len(), MAX_EARLY_EVIDENCE);
    assert_eq!(c.evidence[0].kind, EvidenceKind::Flow);
    assert_eq!(c.evidence[4].ts, t(4.0), "the last query fell out");
}

#[test]
fn hellos_waiting_for_their_flow_are_capped_and_counted() {
    let mut r = recorder(&[]);
    r.evidence.hello_limit = 2;
    r.packet(t(0.0));
    for port in 0..3 {
        r.observe(&hello(0.1, 50100 + port, "h.example", Via::Tls));
    }
    assert_eq!(r.evidence.hellos_dropped(), 1);
    // A flow's end settles its hello even when the flow counts for no contact.
    r.observe(&Observation::FlowEnd(crate::observation::FlowSummary {
        dns: true,
        ..match flow_end_via(0.0, "h.example", 50100, Via::Tls) {
            Observation::FlowEnd(f) => f,
            _ => unreachable!(),
        }
    }));
    r.observe(&hello(0.2, 50103, "h.example", Via::Tls));
    assert_eq!(r.evidence.hellos_dropped(), 1);
    assert_eq!(MAX_PENDING_HELLOS, crate::flow::table::MAX_FLOWS);
}

#[test]
fn evidence_words_round_trip_and_old_records_read() {
    for k in EvidenceKind::ALL {
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(json, format!("\"{}\"", k.as_str()));
        assert_eq!(serde_json::from_str::<EvidenceKind>(&json).unwrap(), k);
    }
    for v in ALL_VIAS {
        assert_eq!(parse_via(v.as_str()), Some(v));
    }
    // A record written before the way was kept.
    let old = r#"{"ts":"2026-01-01T00:00:00.000001Z","kind":"tls-hello","flow":null}"#;
    let e: Evidence = serde_json::from_str(old).unwrap();
    assert_eq!((e.kind, e.via), (EvidenceKind::TlsHello, None));
}
