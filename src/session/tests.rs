#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::*;
use crate::attribute::Attributor;
use crate::observation::{DeviceId, FlowKey, FlowSummary, Observation, Proto, Via};
use crate::time::Timestamp;
use crate::wire::dns::Flavor;

pub(super) const PHONE: DeviceId = DeviceId::Mac([2, 0x11, 0x22, 0x33, 0x44, 0x55]);
const OTHER: DeviceId = DeviceId::Mac([2, 0, 0, 0, 0, 9]);
const T0: u64 = 1_700_000_000_000_000_000;

pub(super) fn t(secs: f64) -> Timestamp {
    Timestamp(T0 + (secs * 1e9) as u64)
}

pub(super) fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 168, 1, last))
}

pub(super) fn query(secs: f64, device: DeviceId, name: &str) -> Observation {
    Observation::DnsQuery {
        ts: t(secs),
        device,
        client: ip(10),
        server: ip(1),
        flavor: Flavor::Dns,
        name: name.to_owned(),
        qtype: 1,
    }
}

fn flow_end(first: f64, name: &str, port: u16) -> Observation {
    flow_end_via(first, name, port, Via::Tls)
}

/// The TCP flow from the phone's `port` to port 443.
pub(super) fn flow_key(port: u16) -> FlowKey {
    FlowKey {
        proto: Proto::Tcp,
        client: SocketAddr::new(ip(10), port),
        server: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34)), 443),
    }
}

/// A flow of the phone from `port`, named `name` learned `via`, that began at `first`.
pub(super) fn flow_end_via(first: f64, name: &str, port: u16, via: Via) -> Observation {
    Observation::FlowEnd(FlowSummary {
        key: flow_key(port),
        device: PHONE,
        first: t(first),
        last: t(first + 0.5),
        bytes_up: 100,
        bytes_down: 1000,
        packets_up: 3,
        packets_down: 4,
        name: name.to_owned(),
        via,
        ech: None,
        quic_unreadable: None,
        dns: false,
    })
}

pub(super) fn recorder(marks: &[&str]) -> Recorder {
    let mut s = Session::new(
        "test",
        None,
        Source::Interface {
            name: "wlan0".into(),
        },
    );
    s.id = 7;
    let marks = marks.iter().map(|m| m.parse().unwrap()).collect();
    Recorder::new(s, Attributor::builtin(None).unwrap(), Vec::new(), marks)
}

fn mark(secs: f64, kind: MarkKind) -> Mark {
    Mark {
        ts: t(secs),
        kind,
        text: None,
    }
}

#[test]
fn phase_is_the_last_consent_mark_at_or_before() {
    let marks = [
        mark(2.0, MarkKind::ConsentRejected),
        mark(3.0, MarkKind::Page),
        mark(5.0, MarkKind::ConsentAccepted),
        mark(6.0, MarkKind::Note),
    ];
    assert_eq!(phase_at(&marks, t(1.999)), Phase::BeforeConsent);
    assert_eq!(phase_at(&marks, t(2.0)), Phase::ConsentRejected);
    assert_eq!(phase_at(&marks, t(4.0)), Phase::ConsentRejected);
    assert_eq!(phase_at(&marks, t(5.0)), Phase::ConsentAccepted);
    assert_eq!(phase_at(&marks, t(100.0)), Phase::ConsentAccepted);
    assert_eq!(phase_at(&[], t(100.0)), Phase::BeforeConsent);
}

#[test]
fn marks_stay_in_time_order() {
    let mut s = Session::new(
        "x",
        None,
        Source::Interface {
            name: "eth0".into(),
        },
    );
    s.add_mark(mark(5.0, MarkKind::Note));
    s.add_mark(mark(1.0, MarkKind::ConsentRejected));
    s.add_mark(mark(5.0, MarkKind::ConsentAccepted));
    let kinds: Vec<MarkKind> = s.marks.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MarkKind::ConsentRejected,
            MarkKind::Note,
            MarkKind::ConsentAccepted
        ]
    );
    assert_eq!(s.phase_at(t(5.0)), Phase::ConsentAccepted);
}

#[test]
fn mark_specs_parse_offsets_times_and_text() {
    let m: MarkSpec = "consent-accepted@12.5s".parse().unwrap();
    assert_eq!(m.at, MarkTime::Offset(12_500_000_000));
    assert_eq!(m.text, None);
    let m: MarkSpec = "page@30=opened login = step 2".parse().unwrap();
    assert_eq!(m.kind, MarkKind::Page);
    assert_eq!(m.at, MarkTime::Offset(30_000_000_000));
    assert_eq!(m.text.as_deref(), Some("opened login = step 2"));
    let m: MarkSpec = "note@2023-11-14T23:13:20+01:00=x".parse().unwrap();
    assert_eq!(m.at, MarkTime::At(Timestamp(T0)));
    assert_eq!(m.resolve(Timestamp(5)).ts, Timestamp(T0));
    let m: MarkSpec = "consent-rejected@0.1s".parse().unwrap();
    assert_eq!(m.resolve(Timestamp(T0)).ts, Timestamp(T0 + 100_000_000));
    for bad in [
        "consent-accepted",
        "yes@1s",
        "page@1s",
        "page@1s=",
        "note@x",
        "note@-2s",
        "note@inf",
        "note@1e10",
    ] {
        assert!(bad.parse::<MarkSpec>().is_err(), "{bad}");
    }
}

#[test]
fn devices_parse_as_mac_or_ip() {
    assert_eq!(parse_device("02:11:22:33:44:55"), Some(PHONE));
    assert_eq!(parse_device("02-11-22-33-44-55"), Some(PHONE));
    assert_eq!(parse_device("192.168.1.10"), Some(DeviceId::Ip(ip(10))));
    for bad in [
        "02:11:22:33:44",
        "02:11:22:33:44:55:66",
        "zz:11:22:33:44:55",
        "",
    ] {
        assert_eq!(parse_device(bad), None, "{bad}");
    }
}

#[test]
fn batches_come_once_per_second_of_packet_time_with_changes_only() {
    let mut r = recorder(&["consent-rejected@1s"]);
    assert!(r.packet(t(0.0)).is_none());
    r.observe(&query(0.0, PHONE, "a.example."));
    assert!(r.packet(t(0.9)).is_none());
    let b = r.packet(t(1.0)).expect("a second passed");
    assert!(!b.durable);
    assert_eq!(b.session.last_flush, Some(t(1.0)));
    assert_eq!(b.contacts.len(), 1);
    assert_eq!(b.contacts[0].name, "a.example");
    assert_eq!(b.contacts[0].phase, Phase::BeforeConsent);
    assert_eq!(b.contacts[0].session, 7);
    r.committed(b);
    r.observe(&query(1.5, PHONE, "b.example"));
    let b = r.packet(t(2.2)).unwrap();
    let names: Vec<&str> = b.contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["b.example"],
        "unchanged contacts are not sent again"
    );
    assert_eq!(b.contacts[0].phase, Phase::ConsentRejected);
    r.committed(b);
    let end = r.finish();
    assert!(end.durable && end.contacts.is_empty());
    assert_eq!(end.session.state, SessionState::Ended);
    assert_eq!(end.session.ended, Some(t(2.2)));
    assert_eq!(end.session.stats.packets, 4);
    assert_eq!(end.session.stats.contacts, 2);
}

#[test]
fn a_mark_is_a_durable_batch() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&query(0.0, PHONE, "a.example"));
    let b = r.mark(mark(0.5, MarkKind::ConsentAccepted));
    assert!(b.durable);
    assert_eq!(b.session.marks.len(), 1);
    assert_eq!(b.contacts.len(), 1);
}

#[test]
fn refused_batches_are_counted_and_sent_again() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&query(0.0, PHONE, "a.example"));
    let b = r.packet(t(1.0)).unwrap();
    r.failed(&b);
    r.observe(&query(1.1, PHONE, "b.example"));
    let b = r.packet(t(2.0)).unwrap();
    assert_eq!(b.session.stats.unstored, 1);
    assert_eq!(b.session.stats.failed_batches, 1);
    assert_eq!(b.contacts.len(), 2, "the refused contact comes again");
    r.committed(b);
    let end = r.finish();
    assert_eq!(end.session.stats.unstored, 0);
}

#[test]
fn evidence_keeps_the_earliest_observations_in_time_order() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    // Flows end out of order: evidence is sorted by time; past the first few, a flow of a way
    // and kind already shown is not kept.
    for i in (0..MAX_EARLY_EVIDENCE + 3).rev() {
        r.observe(&flow_end(10.0 + i as f64, "cdn.example", 50000 + i as u16));
    }
    r.observe(&query(1.0, PHONE, "cdn.example"));
    let b = r.finish();
    let c = &b.contacts[0];
    assert_eq!(c.evidence.len(), MAX_EARLY_EVIDENCE);
    assert_eq!(c.evidence[0].kind, EvidenceKind::DnsQuery);
    assert_eq!(c.evidence[0].via, Some(Via::Dns));
    assert_eq!(c.evidence[1].kind, EvidenceKind::Flow);
    assert_eq!(c.evidence[1].via, Some(Via::Tls));
    assert_eq!(c.evidence[1].ts, t(10.0));
    assert_eq!(
        c.evidence[1].flow.as_deref(),
        Some("tcp 192.168.1.10:50000 -> 93.184.216.34:443")
    );
    assert!(c.evidence.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert_eq!(c.flows, MAX_EARLY_EVIDENCE as u64 + 3);
}

#[test]
fn the_device_filter_drops_other_devices() {
    let s = Session::new("f", None, Source::Interface { name: "x".into() });
    let mut r = Recorder::new(s, Attributor::builtin(None).unwrap(), vec![PHONE], vec![]);
    r.packet(t(0.0));
    r.observe(&query(0.0, PHONE, "mine.example"));
    r.observe(&query(0.0, OTHER, "theirs.example"));
    r.dhcp(OTHER, Some("other".into()), None);
    r.dhcp(PHONE, Some("Annas-iPhone".into()), Some("apple".into()));
    let b = r.finish();
    assert_eq!(b.contacts.len(), 1);
    assert_eq!(b.session.devices.len(), 1);
    assert_eq!(
        b.session.devices[0].host_name.as_deref(),
        Some("Annas-iPhone")
    );
    assert_eq!(b.session.devices[0].vendor_class.as_deref(), Some("apple"));
}

#[test]
fn records_round_trip_through_json() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&query(0.0, PHONE, "a.example"));
    r.observe(&flow_end(0.1, "a.example", 50000));
    let b = r.finish();
    let json = serde_json::to_string(&b.contacts[0]).unwrap();
    let back: ContactRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, b.contacts[0]);
    let json = serde_json::to_string(&b.session).unwrap();
    let back: Session = serde_json::from_str(&json).unwrap();
    assert_eq!(back, b.session);
}

#[test]
fn csv_quotes_and_defuses_cells() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&query(0.0, PHONE, "=cmd,\"x\""));
    let b = r.finish();
    let row = csv_row(&b.contacts[0]);
    assert!(row.contains(",\"'=cmd,\"\"x\"\"\","), "{row}");
    assert_eq!(
        row.matches(',').count() - 1,
        CSV_HEADER.len() - 1,
        "one comma inside the quoted name"
    );
}

#[test]
fn evidence_stops_at_max_pending_evidence_names() {
    let mut r = recorder(&[]);
    r.evidence.limit = 3;
    r.packet(t(0.0));
    for i in 0..5 {
        r.observe(&query(0.0, PHONE, &format!("n{i}.example")));
    }
    assert_eq!(r.evidence_dropped(), 2);
    let b = r.finish();
    assert_eq!(b.contacts.len(), 5, "contacts are still counted");
    assert_eq!(
        b.contacts.iter().filter(|c| c.evidence.is_empty()).count(),
        2
    );
    assert_eq!(MAX_PENDING_EVIDENCE, recorder(&[]).evidence.limit);
}

#[test]
fn a_refused_batch_is_resent_even_when_nothing_new_is_seen() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&query(0.0, PHONE, "a.example"));
    let b = r.packet(t(1.0)).unwrap();
    r.failed(&b);
    let b = r.packet(t(2.0)).unwrap();
    assert_eq!(b.contacts.len(), 1);
    r.committed(b);
    let b = r.packet(t(3.0)).unwrap();
    assert!(b.contacts.is_empty());
    assert_eq!(b.session.last_flush, Some(t(3.0)));
    assert_eq!(b.session.stats.unstored, 0);
}

#[test]
fn the_signature_set_is_sent_until_a_batch_with_it_is_committed() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&query(0.0, PHONE, "a.example"));
    let b = r.packet(t(1.0)).unwrap();
    let set = b.signatures.clone().expect("the first batch carries it");
    assert_eq!(set.builtin, crate::attribute::provenance::builtin_info());
    r.failed(&b);
    let b = r.packet(t(2.0)).unwrap();
    assert_eq!(
        b.signatures.as_ref(),
        Some(&set),
        "sent again after a refusal"
    );
    r.committed(b);
    assert!(r.packet(t(3.0)).unwrap().signatures.is_none());
    assert!(r.finish().signatures.is_none());
}
