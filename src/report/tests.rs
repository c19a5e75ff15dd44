//! Verdict rules on hand-made sessions: each rule, its edges, and the tables.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use super::*;
use crate::attribute::{Attribution, Cloaking, TRACKING_CATEGORIES};
use crate::session::{Mark, Session};
use crate::time::Timestamp;

const T0: u64 = 1_700_000_000;

pub(super) fn t(s: u64) -> Timestamp {
    Timestamp::from_parts(T0 + s, 0)
}

pub(super) fn contact(
    name: &str,
    party: Party,
    cat: Option<Category>,
    phase: Phase,
    first: u64,
    last: u64,
) -> ContactRecord {
    let mut a = Attribution::unknown();
    a.party = party;
    a.category = cat;
    a.org = Some(format!("Org of {name}"));
    ContactRecord {
        session: 1,
        phase,
        device: "02:00:00:00:00:01".into(),
        client_ip: "192.168.1.2".parse().unwrap(),
        client_ips: BTreeSet::new(),
        name: name.into(),
        scope: "internet".into(),
        via: vec!["dns".into()],
        first_seen: t(first),
        last_seen: t(last),
        flows: 0,
        bytes_up: 0,
        bytes_down: 0,
        server_ips: vec![],
        server_ports: vec![],
        cname_chain: vec![],
        ech: None,
        dns_queries: 1,
        http_requests: 0,
        cookie_sent: false,
        cookies_set: vec![],
        resolved_private: false,
        blocked: None,
        blocked_answer: None,
        attribution: a,
        evidence: vec![Evidence {
            ts: t(first),
            kind: crate::session::EvidenceKind::DnsQuery,
            via: Some(crate::observation::Via::Dns),
            flow: None,
        }],
        baseline: Default::default(),
    }
}

pub(super) fn session(marks: &[(u64, MarkKind)], site: Option<&str>) -> Session {
    let mut s = Session::new(
        "test",
        site,
        Source::Interface {
            name: "wlan0".into(),
        },
    );
    s.id = 1;
    s.started = Some(t(0));
    s.ended = Some(t(100));
    for (at, kind) in marks {
        s.add_mark(Mark {
            ts: t(*at),
            kind: *kind,
            text: None,
        });
    }
    s
}

fn site(mandatory: bool) -> SiteInfo {
    SiteInfo {
        name: "x.dk".into(),
        title: "X".into(),
        owner: "X authority".into(),
        country: "DK".into(),
        mandatory_self_service: mandatory,
        first_party: vec!["x.dk".into()],
        source: "test".into(),
        allowed: vec![],
    }
}

fn names(f: &Finding) -> Vec<&str> {
    f.items.iter().map(|i| i.name.as_str()).collect()
}

#[test]
fn report_tracking_categories_include_the_attribution_ones() {
    for c in TRACKING_CATEGORIES {
        assert!(is_tracking(c), "{c:?}");
    }
    assert!(is_tracking(Category::TagManager));
    assert!(!is_tracking(Category::Cdn));
}

#[test]
fn before_consent_counts_only_third_parties_and_names_tracking_categories() {
    let s = session(&[(10, MarkKind::ConsentAccepted)], None);
    let cs = vec![
        contact(
            "ga.example",
            Party::Third,
            Some(Category::Analytics),
            Phase::BeforeConsent,
            1,
            2,
        ),
        contact(
            "cdn.example",
            Party::Third,
            Some(Category::Cdn),
            Phase::BeforeConsent,
            3,
            4,
        ),
        contact("x.dk", Party::First, None, Phase::BeforeConsent, 0, 5),
        contact(
            "apple.example",
            Party::OsBackground,
            Some(Category::OsBackground),
            Phase::BeforeConsent,
            0,
            5,
        ),
        contact(
            "late.example",
            Party::Third,
            Some(Category::Advertising),
            Phase::ConsentAccepted,
            11,
            12,
        ),
    ];
    let f = &findings(&s, &cs, None)[0];
    assert_eq!(f.status, FindingStatus::Observed);
    assert_eq!(names(f), ["ga.example", "cdn.example"]);
    assert_eq!(f.tracking_categories, [Category::Analytics]);
    assert!(
        f.statement
            .contains("2 third-party names (2 organisations)"),
        "{}",
        f.statement
    );
    assert!(
        f.statement
            .contains("Tracking categories among them: analytics.")
    );
}

#[test]
fn without_consent_marks_everything_is_before_consent_and_reject_is_not_applicable() {
    let s = session(&[], None);
    let cs = vec![contact(
        "a.example",
        Party::Third,
        None,
        Phase::BeforeConsent,
        1,
        2,
    )];
    let f = findings(&s, &cs, None);
    assert!(f[0].statement.starts_with("No consent decision was marked"));
    assert_eq!(f[1].status, FindingStatus::NotApplicable);
    assert_eq!(f[2].status, FindingStatus::NotApplicable, "no site profile");
}

#[test]
fn after_reject_includes_contacts_still_in_use_after_the_mark() {
    let s = session(&[(10, MarkKind::ConsentRejected)], None);
    let cs = vec![
        contact(
            "gone.example",
            Party::Third,
            None,
            Phase::BeforeConsent,
            1,
            9,
        ),
        contact(
            "edge.example",
            Party::Third,
            None,
            Phase::BeforeConsent,
            1,
            10,
        ),
        contact(
            "new.example",
            Party::Third,
            None,
            Phase::ConsentRejected,
            12,
            13,
        ),
        contact(
            "own.x.dk",
            Party::First,
            None,
            Phase::ConsentRejected,
            12,
            13,
        ),
    ];
    let f = &findings(&s, &cs, None)[1];
    assert_eq!(names(f), ["edge.example", "new.example"]);
    assert!(
        f.items[0]
            .detail
            .as_deref()
            .unwrap()
            .starts_with("first seen before the reject")
    );
    assert!(f.items[1].detail.is_none());
    assert!(
        f.statement
            .contains("1 first seen after it, 1 first seen before it and still in use")
    );
}

#[test]
fn a_reject_with_no_third_party_after_it_is_not_observed() {
    let s = session(&[(10, MarkKind::ConsentRejected)], None);
    let cs = vec![contact(
        "a.example",
        Party::Third,
        None,
        Phase::BeforeConsent,
        1,
        2,
    )];
    assert_eq!(
        findings(&s, &cs, None)[1].status,
        FindingStatus::NotObserved
    );
}

#[test]
fn undeclared_splits_by_declaration_and_cites_the_state_guideline_for_mandatory_sites() {
    let s = session(&[], Some("x.dk"));
    let mut declared = contact(
        "si.example",
        Party::Third,
        Some(Category::Analytics),
        Phase::BeforeConsent,
        1,
        2,
    );
    declared.attribution.declared = Some("https://x.dk/cookies".into());
    let cs = vec![
        declared,
        contact("ga.example", Party::Third, None, Phase::BeforeConsent, 3, 4),
    ];
    let f = &findings(&s, &cs, Some(&site(true)))[2];
    assert_eq!(names(f), ["ga.example"]);
    assert_eq!(f.declared.len(), 1);
    assert_eq!(
        f.declared[0].detail.as_deref(),
        Some("declared: https://x.dk/cookies")
    );
    assert!(
        f.statement
            .contains("opt-out setting or a written agreement")
    );
    let plain = &findings(&s, &cs, Some(&site(false)))[2];
    assert!(!plain.statement.contains("opt-out"));
    let unloaded = &findings(&s, &cs, None)[2];
    assert!(unloaded.statement.contains("could not be loaded"));
    assert_eq!(unloaded.status, FindingStatus::Observed);
}

#[test]
fn cloaked_and_hidden_cite_their_chain_and_reason() {
    let s = session(&[], None);
    let mut c = contact(
        "metrics.x.dk",
        Party::Third,
        Some(Category::Analytics),
        Phase::BeforeConsent,
        1,
        2,
    );
    c.attribution.cloaked = Some(Cloaking {
        chain: vec!["metrics.x.dk".into(), "x.sc.omtrdc.net".into()],
        target: "x.sc.omtrdc.net".into(),
    });
    let mut h = contact(
        "ech.example",
        Party::Third,
        None,
        Phase::BeforeConsent,
        1,
        2,
    );
    h.attribution.hidden = Some(Hidden::Ech);
    let u = contact(
        "203.0.113.9",
        Party::Unknown,
        None,
        Phase::BeforeConsent,
        1,
        2,
    );
    let f = findings(&s, &[c, h, u], None);
    assert_eq!(
        f[3].items[0].detail.as_deref(),
        Some("CNAME chain metrics.x.dk → x.sc.omtrdc.net (tracker name x.sc.omtrdc.net)")
    );
    assert_eq!(f[4].status, FindingStatus::Limits);
    assert_eq!(names(&f[4]), ["ech.example", "203.0.113.9"]);
    assert!(f[4].statement.starts_with("1 contact was partly or wholly hidden from the capture (ech 1); 1 internet address had no name"));
}

#[test]
fn tracking_free_only_without_third_parties() {
    let s = session(&[], Some("x.dk"));
    let mut cs = vec![
        contact("www.x.dk", Party::First, None, Phase::BeforeConsent, 1, 2),
        contact(
            "push.apple.example",
            Party::OsBackground,
            Some(Category::OsBackground),
            Phase::BeforeConsent,
            1,
            2,
        ),
    ];
    let meta = Meta::current(vec![]);
    let r = build(&s, &cs, None, meta.clone());
    assert!(r.summary.tracking_free);
    assert_eq!(r.os_background.len(), 1);
    assert_eq!(r.organisations.len(), 1, "OS background is apart");
    cs.push(contact(
        "a.example",
        Party::Third,
        None,
        Phase::BeforeConsent,
        3,
        4,
    ));
    let r = build(&s, &cs, None, meta);
    assert!(!r.summary.tracking_free);
    assert_eq!(
        r.organisations[0].party,
        Party::Third,
        "third parties first"
    );
    assert_eq!(r.categories.last().unwrap().label, "uncategorised");
}

#[test]
fn unknown_organisations_are_grouped_by_registrable_domain() {
    let s = session(&[], None);
    let mut a = contact(
        "a.wikimedia.org",
        Party::Third,
        None,
        Phase::BeforeConsent,
        1,
        2,
    );
    let mut b = contact(
        "b.wikimedia.org",
        Party::Third,
        None,
        Phase::BeforeConsent,
        3,
        4,
    );
    a.attribution.org = None;
    b.attribution.org = None;
    let r = build(&s, &[a, b], None, Meta::current(vec![]));
    assert_eq!(r.organisations.len(), 1);
    assert_eq!(
        r.organisations[0].label,
        "unknown organisation (wikimedia.org)"
    );
    assert_eq!(r.organisations[0].domain.as_deref(), Some("wikimedia.org"));
    assert_eq!(
        r.organisations[0].names,
        ["a.wikimedia.org", "b.wikimedia.org"]
    );
}

#[test]
fn html_escapes_names_from_the_network() {
    let s = session(&[(5, MarkKind::ConsentRejected)], None);
    let c = contact(
        "<img src=x onerror=alert(1)>.example",
        Party::Third,
        None,
        Phase::ConsentRejected,
        6,
        7,
    );
    let r = build(&s, &[c], None, Meta::current(vec![]));
    let html = html::render(&r);
    assert!(!html.contains("<img"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;.example"));
    let md = md::render(&r);
    assert!(!md.contains("<img"));
}

/// The HTML stays proportionate: evidence behind a click, empty groups one line, a device
/// column only with several devices, and a time on another day than the first packet's
/// carries its date.
#[test]
fn html_is_compact_and_unambiguous() {
    let s = session(&[(5, MarkKind::ConsentRejected)], None);
    // T0 is 2023-11-14T22:13:20Z: two hours later is the next day.
    let late = contact(
        "late.example",
        Party::Third,
        None,
        Phase::ConsentRejected,
        7200,
        7201,
    );
    let early = contact(
        "early.example",
        Party::Third,
        None,
        Phase::BeforeConsent,
        1,
        2,
    );
    let r = build(
        &s,
        &[early.clone(), late.clone()],
        None,
        Meta::current(vec![]),
    );
    let html = html::render(&r);
    assert!(html.contains("<h2 id=\"local\" class=\"empty\">Local network: none</h2>"));
    assert!(html.contains(
        "<details class=\"ev\"><summary>dns-query</summary><div>dns: 2023-11-14T22:13:21"
    ));
    assert!(
        html.contains(">22:13:21.000 UTC</time>"),
        "same day: time only"
    );
    assert!(
        html.contains(">2023-11-15 00:13:20.000 UTC</time>"),
        "next day: with its date"
    );
    assert!(html.contains("<td class=\"name\" data-label=\"Name\">early.example</td>"));
    assert!(!html.contains("<th>Device</th>"), "one device: no column");
    let mut s = s;
    for d in ["02:00:00:00:00:01", "02:00:00:00:00:02"] {
        s.devices.push(crate::session::DeviceRecord {
            device: d.into(),
            ips: Vec::new(),
            host_name: None,
            vendor_class: None,
        });
    }
    let r = build(&s, &[early, late], None, Meta::current(vec![]));
    assert!(html::render(&r).contains("<th>Device</th>"));
}
