#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::tests::{PHONE, flow_end_via, query, recorder, t};
use super::*;
use crate::attribute::Party;
use crate::observation::{DeviceId, Via};

const SECOND: u64 = 1_000_000_000;

fn act(flows: u64, bytes: u64) -> Activity {
    Activity { flows, bytes }
}

#[test]
fn growth_needs_the_factor_and_a_few_flows_or_bytes_more() {
    let min = 60 * SECOND;
    // The same rate is no growth; a few times more over a short window is noise.
    assert!(!grew(act(2, 0), min, act(1, 0), 30 * SECOND));
    assert!(!grew(act(1, 0), min, act(2, 0), 30 * SECOND));
    // Ten flows in half a minute against one a minute: grew.
    assert!(grew(act(1, 0), min, act(10, 0), 30 * SECOND));
    // Never seen idle as a flow: three flows are growth, two are not.
    assert!(grew(act(0, 0), min, act(3, 0), 30 * SECOND));
    assert!(!grew(act(0, 0), min, act(2, 0), 30 * SECOND));
    // By bytes: a push connection's trickle against a page's worth.
    assert!(grew(act(1, 4_000), min, act(1, 400_000), 30 * SECOND));
    assert!(!grew(act(1, 400_000), min, act(1, 400_000), 30 * SECOND));
    // DNS only on both sides: nothing to grow.
    assert!(!grew(act(0, 0), min, act(0, 0), min));
}

/// A baseline session recorded from `names` (looked up at 1 s), `flows` of them also
/// connected once; ten seconds long.
fn baseline(names: &[&str], flows: &[&str]) -> IdleBaseline {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    for n in names {
        r.observe(&query(1.0, PHONE, n));
    }
    for (i, n) in flows.iter().enumerate() {
        r.observe(&flow_end_via(1.5, n, 40000 + i as u16, Via::Tls));
    }
    r.packet(t(10.0));
    let contacts = r.records();
    let mut s = r.finish().session;
    s.id = 3;
    s.baseline = true;
    IdleBaseline::new(&s, &contacts)
}

fn record_of<'a>(rs: &'a [ContactRecord], name: &str) -> &'a ContactRecord {
    rs.iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} in {rs:?}"))
}

#[test]
fn names_seen_idle_are_background_and_settle_the_browsers_names() {
    let b = baseline(
        &["clients2.google.com", "accounts.google.com"],
        &["clients2.google.com"],
    );
    assert_eq!(b.devices(), ["02:11:22:33:44:55"]);
    let mut r = recorder(&[]).with_baseline(BaselinePlan::named(b, false, 7));
    r.packet(t(100.0));
    for n in [
        "clients2.google.com",
        "accounts.google.com",
        "www.google-analytics.com",
    ] {
        r.observe(&query(101.0, PHONE, n));
    }
    r.observe(&flow_end_via(101.5, "clients2.google.com", 40000, Via::Tls));
    r.packet(t(110.0));
    let rs = r.records();
    let idle = record_of(&rs, "clients2.google.com");
    assert!(idle.baseline.in_baseline);
    assert_eq!(idle.baseline.baseline_id, Some(3));
    assert_eq!(idle.baseline.background, Some(Background::SeenWhileIdle));
    assert_eq!(idle.baseline.idle.as_ref().unwrap().by, MatchBy::Name);
    // Chrome's account service was seen idle: the browser's own, not the site's.
    let acc = record_of(&rs, "accounts.google.com");
    assert_eq!(acc.attribution.party, Party::OsBackground);
    assert_eq!(acc.baseline.background, Some(Background::SeenWhileIdle));
    // A tracker the idle device never reached stays a third party in the findings.
    let ga = record_of(&rs, "www.google-analytics.com");
    assert!(!ga.baseline.in_baseline);
    assert_eq!(ga.baseline.baseline_id, Some(3));
    assert_eq!(
        (ga.attribution.party, ga.baseline.background),
        (Party::Third, None)
    );
    let against = r.session().against.clone().unwrap();
    assert_eq!(against.choice, Choice::Named);
    assert_eq!(against.applied().map(|b| b.id), Some(3));
}

#[test]
fn a_browser_name_the_idle_browser_never_asked_for_is_the_sites() {
    let b = baseline(&["clients2.google.com"], &[]);
    let mut r = recorder(&[]).with_baseline(BaselinePlan::named(b, false, 7));
    r.packet(t(100.0));
    r.observe(&query(101.0, PHONE, "accounts.google.com"));
    let rs = r.records();
    let acc = record_of(&rs, "accounts.google.com");
    assert_eq!(acc.attribution.party, Party::Third);
    assert_eq!(acc.baseline.background, None);
}

#[test]
fn without_a_baseline_a_browser_name_stays_undecided() {
    let mut r = recorder(&[]);
    r.packet(t(100.0));
    r.observe(&query(101.0, PHONE, "accounts.google.com"));
    let rs = r.records();
    let acc = record_of(&rs, "accounts.google.com");
    assert_eq!(acc.attribution.party, Party::BackgroundOrSite);
    assert_eq!(acc.baseline, BaselineFacts::default());
}

#[test]
fn a_name_whose_traffic_grew_stays_in_the_findings_marked() {
    let b = baseline(&["www.google-analytics.com"], &["www.google-analytics.com"]);
    let mut r = recorder(&[]).with_baseline(BaselinePlan::named(b, false, 7));
    r.packet(t(100.0));
    for i in 0..8 {
        r.observe(&flow_end_via(
            101.0,
            "www.google-analytics.com",
            41000 + i,
            Via::Tls,
        ));
    }
    r.packet(t(110.0));
    let rs = r.records();
    let ga = record_of(&rs, "www.google-analytics.com");
    assert!(ga.baseline.in_baseline);
    assert!(ga.baseline.idle.as_ref().unwrap().grew);
    assert!(ga.baseline.also_seen_while_idle);
    assert_eq!(ga.baseline.background, None);
    assert_eq!(ga.attribution.party, Party::Third);
}

#[test]
fn rotating_names_match_by_service_but_trackers_only_by_name() {
    // Two hosts of one video CDN service: the idle device's and the visit's.
    let b = baseline(
        &[
            "r1---sn-abc.googlevideo.com",
            "region1.google-analytics.com",
        ],
        &[],
    );
    let mut r = recorder(&[]).with_baseline(BaselinePlan::named(b, false, 7));
    r.packet(t(100.0));
    r.observe(&query(101.0, PHONE, "r7---sn-xyz.googlevideo.com"));
    r.observe(&query(101.0, PHONE, "www.google-analytics.com"));
    r.observe(&query(101.0, PHONE, "www.youtube-nocookie.com"));
    let rs = r.records();
    // A browser's top site is not the same service as a page's embed under another domain.
    let embed = record_of(&rs, "www.youtube-nocookie.com");
    assert!(!embed.baseline.in_baseline, "{embed:?}");
    let video = record_of(&rs, "r7---sn-xyz.googlevideo.com");
    assert!(video.attribution.service.is_some(), "{video:?}");
    let m = video.baseline.idle.as_ref().unwrap();
    assert_eq!(
        (m.by, m.name.as_str()),
        (MatchBy::Service, "r1---sn-abc.googlevideo.com")
    );
    assert_eq!(video.baseline.background, Some(Background::SeenWhileIdle));
    // Google Analytics under another host name: a tracker is subtracted only by its own name.
    let ga = record_of(&rs, "www.google-analytics.com");
    assert!(!ga.baseline.in_baseline, "{ga:?}");
    assert_eq!(ga.baseline.background, None);
}

#[test]
fn another_devices_baseline_applies_only_with_force() {
    let b = baseline(&["clients2.google.com"], &[]);
    let other = DeviceId::Mac([2, 0, 0, 0, 0, 9]);
    for forced in [false, true] {
        let mut r = recorder(&[]).with_baseline(BaselinePlan::named(b.clone(), forced, 7));
        r.packet(t(100.0));
        r.observe(&query(101.0, other, "clients2.google.com"));
        let rs = r.records();
        assert_eq!(
            record_of(&rs, "clients2.google.com").baseline.in_baseline,
            forced
        );
        let against = r.session().against.clone().unwrap();
        assert_eq!(against.refused.is_some(), !forced, "{against:?}");
        assert_eq!(against.baseline.as_ref().unwrap().forced, forced);
    }
}

#[test]
fn the_latest_baseline_of_the_device_seen_is_chosen() {
    let mut mine = baseline(&["clients2.google.com"], &[]);
    mine.reference.id = 4;
    let mut theirs = baseline(&["www.google-analytics.com"], &[]);
    theirs.reference.id = 5;
    theirs.reference.devices = vec!["02:00:00:00:00:09".into()];
    let plan = BaselinePlan::latest(vec![theirs, mine], 7);
    let mut r = recorder(&[]).with_baseline(plan);
    assert_eq!(r.session().against.as_ref().unwrap().baseline, None);
    r.packet(t(100.0));
    r.observe(&query(101.0, PHONE, "clients2.google.com"));
    let rs = r.records();
    assert!(record_of(&rs, "clients2.google.com").baseline.in_baseline);
    let against = r.session().against.clone().unwrap();
    assert_eq!(
        (against.choice, against.applied().map(|b| b.id)),
        (Choice::Latest, Some(4))
    );
}

#[test]
fn no_baseline_is_said_and_compares_nothing() {
    let mut r = recorder(&[]).with_baseline(BaselinePlan::off(7));
    r.packet(t(100.0));
    r.observe(&query(101.0, PHONE, "clients2.google.com"));
    let rs = r.records();
    assert!(!record_of(&rs, "clients2.google.com").baseline.in_baseline);
    let against = r.session().against.clone().unwrap();
    assert_eq!(against.choice, Choice::Off);
    assert_eq!(against.describe(None), "no baseline (--no-baseline)");
}

#[test]
fn contacts_before_the_visit_mark_are_background_unless_they_grew_after_it() {
    let mut r = recorder(&["visit@5s"]);
    r.packet(t(0.0));
    // The phone on its own: a push host, and a host that the visit then uses heavily.
    r.observe(&query(1.0, PHONE, "push.example.net"));
    r.observe(&flow_end_via(1.0, "push.example.net", 40000, Via::Tls));
    r.observe(&query(2.0, PHONE, "cdn.example.org"));
    r.observe(&flow_end_via(2.0, "cdn.example.org", 40001, Via::Tls));
    // The visit.
    r.observe(&query(6.0, PHONE, "www.google-analytics.com"));
    for i in 0..6 {
        r.observe(&flow_end_via(6.0, "cdn.example.org", 41000 + i, Via::Tls));
    }
    r.packet(t(10.0));
    let rs = r.records();
    let push = record_of(&rs, "push.example.net");
    assert!(push.baseline.before_visit);
    assert_eq!(push.baseline.since_visit, Some(Activity::default()));
    assert_eq!(push.baseline.background, Some(Background::BeforeVisit));
    let cdn = record_of(&rs, "cdn.example.org");
    assert!(cdn.baseline.before_visit && cdn.baseline.also_seen_while_idle);
    assert_eq!(cdn.baseline.since_visit, Some(act(6, 6 * 1100)));
    assert_eq!(cdn.baseline.background, None);
    let ga = record_of(&rs, "www.google-analytics.com");
    assert!(!ga.baseline.before_visit);
    assert_eq!(ga.baseline.background, None);
    // No baseline was asked about: the session says nothing of one.
    assert_eq!(r.session().against, None);
    assert_eq!(r.session().visit(), Some(t(5.0)));
}

#[test]
fn an_old_baseline_is_named_old() {
    let b = baseline(&["clients2.google.com"], &[]);
    let against = Against {
        choice: Choice::Latest,
        baseline: Some(b.reference.clone()),
        max_age_days: 7,
        refused: None,
    };
    let day = 86_400.0;
    assert!(!against.stale(Some(t(6.0 * day))));
    assert!(against.stale(Some(t(8.0 * day))));
    let d = against.describe(Some(t(8.0 * day)));
    assert!(
        d.starts_with("baseline 3 \"test\" (the latest of the device, 8.0 days old"),
        "{d}"
    );
    assert!(d.contains("older than 7 days"), "{d}");
    // Recorded after the visit: no age, and never old.
    let mut later = against.clone();
    let b = later.baseline.as_mut().unwrap();
    (b.started, b.ended) = (Some(t(3.0 * 3_600.0)), Some(t(3.0 * 3_600.0 + 10.0)));
    let d = later.describe(Some(t(0.0)));
    assert!(
        d.ends_with("(the latest of the device, recorded 3.0 h after this session)"),
        "{d}"
    );
    assert!(!later.stale(Some(t(0.0))));
}

#[test]
fn old_records_and_sessions_read_without_the_new_fields() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&query(1.0, PHONE, "example.org"));
    let b = r.finish();
    let mut v = serde_json::to_value(&b.contacts[0]).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in super::baseline::FACT_FIELDS {
        assert!(o.remove(k).is_some(), "{k}");
    }
    let back: ContactRecord = serde_json::from_value(v).unwrap();
    assert_eq!(back.baseline, BaselineFacts::default());
    let mut s = serde_json::to_value(&b.session).unwrap();
    let o = s.as_object_mut().unwrap();
    o.remove("baseline").unwrap();
    o.remove("against").unwrap();
    let back: Session = serde_json::from_value(s).unwrap();
    assert!(!back.baseline && back.against.is_none());
}

#[test]
fn reattributing_keeps_what_the_baseline_said_and_settles_again() {
    let b = baseline(&["accounts.google.com"], &[]);
    let mut r = recorder(&[]).with_baseline(BaselinePlan::named(b, false, 7));
    r.packet(t(100.0));
    r.observe(&query(101.0, PHONE, "accounts.google.com"));
    r.observe(&query(101.0, PHONE, "www.google-analytics.com"));
    let mut rs = r.records();
    let before = rs.clone();
    super::reattribute(&mut rs, &mut [], r.attributor());
    assert_eq!(
        record_of(&rs, "accounts.google.com").attribution.party,
        Party::BackgroundOrSite
    );
    resettle(&mut rs);
    assert_eq!(rs, before);
}

/// A session has one visit: of several visit marks the first in time counts, whether given out
/// of order on the command line or set again while recording (README § the visit mark).
#[test]
fn of_several_visit_marks_the_first_in_time_counts() {
    let mut r = recorder(&["visit@8s", "visit@5s"]);
    r.packet(t(0.0));
    r.observe(&query(4.0, PHONE, "push.example.net"));
    r.observe(&query(6.0, PHONE, "www.google-analytics.com"));
    // A later visit mark while recording (`v` pressed again) moves nothing.
    let _ = r.mark(Mark {
        ts: t(9.0),
        kind: MarkKind::Visit,
        text: None,
    });
    r.observe(&query(10.0, PHONE, "cdn.example.org"));
    r.packet(t(11.0));
    assert_eq!(r.session().visit(), Some(t(5.0)));
    let visits = r
        .session()
        .marks
        .iter()
        .filter(|m| m.kind == MarkKind::Visit);
    assert_eq!(visits.count(), 3, "every visit mark is stored");
    let rs = r.records();
    assert!(record_of(&rs, "push.example.net").baseline.before_visit);
    for name in ["www.google-analytics.com", "cdn.example.org"] {
        let c = record_of(&rs, name);
        assert!(!c.baseline.before_visit, "{name}");
        assert_eq!(c.baseline.background, None, "{name}");
    }
}
