//! Report rules of issue 15: the frame with decrypted requests, blocked attempts, names the
//! browser or OS contacts on its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::tests::{contact, session};
use super::*;
use crate::attribute::Blocked;

/// Issue 15.6: the frame said "never page contents" in sessions whose requests were decrypted.
#[test]
fn the_frame_admits_decrypted_requests() {
    let mut s = session(&[], None);
    let cs = [contact(
        "a.example",
        Party::Third,
        None,
        Phase::BeforeConsent,
        1,
        2,
    )];
    let plain = build(&s, &cs, None, Meta::current(vec![]));
    assert!(
        plain
            .frame
            .iter()
            .any(|p| p.contains("never page contents"))
    );
    s.stats.requests = 3;
    let decrypted = build(&s, &cs, None, Meta::current(vec![]));
    assert!(
        !decrypted
            .frame
            .iter()
            .any(|p| p.contains("never page contents")),
        "{:?}",
        decrypted.frame
    );
    assert!(
        decrypted
            .frame
            .iter()
            .any(|p| p.contains("decrypted 3 request(s)"))
    );
    assert_eq!(plain.frame.len(), decrypted.frame.len());
}

fn blocked(mut c: crate::session::ContactRecord, kind: Blocked) -> crate::session::ContactRecord {
    c.blocked = Some(kind);
    c.blocked_answer = Some(crate::contact::BlockedAnswer {
        time: "2023-11-14T22:13:21.000000Z".to_owned(),
        resolver: "192.168.1.1".parse().unwrap(),
        qtype: "A".to_owned(),
        rcode: "NOERROR".to_owned(),
        addresses: vec!["0.0.0.0".parse().unwrap()],
    });
    c
}

/// Issue 15.2: a tracker a DNS blocker stopped is still a finding, marked as an attempt, with
/// the DNS answer, and the caveats say a blocker was present.
#[test]
fn blocked_attempts_are_findings_marked_as_attempts() {
    let s = session(&[], Some("x.dk"));
    let ga = blocked(
        contact(
            "www.google-analytics.com",
            Party::Third,
            Some(Category::Analytics),
            Phase::BeforeConsent,
            1,
            2,
        ),
        Blocked::Sinkhole,
    );
    let fb = contact(
        "connect.facebook.net",
        Party::Third,
        Some(Category::Advertising),
        Phase::BeforeConsent,
        3,
        4,
    );
    let r = build(&s, &[ga, fb], None, Meta::current(vec![]));
    let f1 = &r.findings[0];
    assert_eq!(f1.items.len(), 2, "blocked attempts stay in finding 1");
    assert!(
        f1.statement
            .contains("(1 of them attempted, but blocked by the network)")
    );
    assert_eq!(
        f1.tracking_categories,
        [Category::Analytics, Category::Advertising]
    );
    let item = f1
        .items
        .iter()
        .find(|i| i.name == "www.google-analytics.com")
        .unwrap();
    assert_eq!(item.blocked, Some(Blocked::Sinkhole));
    let detail = item.detail.as_deref().unwrap_or_default();
    assert!(
        detail.starts_with("attempted; blocked by the network: sinkhole"),
        "{detail}"
    );
    assert!(detail.contains("A 0.0.0.0 from 192.168.1.1"), "{detail}");
    let other = f1
        .items
        .iter()
        .find(|i| i.name == "connect.facebook.net")
        .unwrap();
    assert_eq!((other.blocked, other.detail.as_deref()), (None, None));
    assert!(
        r.caveats
            .iter()
            .any(|c| c.starts_with("A DNS blocker was present")),
        "{:?}",
        r.caveats
    );
    assert!(
        r.caveats
            .iter()
            .any(|c| c.contains("not that data reached it")),
        "{:?}",
        r.caveats
    );
    assert_eq!(r.summary.blocked_contacts, 1);
    assert!(!r.summary.tracking_free);
    assert!(r.summary.headline.contains("1 of the third-party names"));
    // The Markdown and HTML carry the mark.
    assert!(md::render(&r).contains("attempted; blocked by the network"));
    assert!(html::render(&r).contains("data-blocked=\"sinkhole\""));
}

/// Issue 15.7: a name the browser contacts on its own that sites also embed is listed apart,
/// not counted in finding 1, and not silently dropped.
#[test]
fn background_or_site_names_are_apart_and_said() {
    let s = session(&[], Some("x.dk"));
    let mut acc = contact(
        "accounts.google.com",
        Party::BackgroundOrSite,
        Some(Category::IdentityLogin),
        Phase::BeforeConsent,
        1,
        2,
    );
    acc.attribution.browser_background = Some("Chromium / Google Chrome".to_owned());
    let r = build(&s, &[acc], None, Meta::current(vec![]));
    assert!(r.findings[0].items.is_empty());
    assert!(
        r.findings[0]
            .statement
            .contains("1 further name the browser or OS contacts"),
        "{}",
        r.findings[0].statement
    );
    assert_eq!(r.background_or_site.len(), 1);
    assert!(r.organisations.is_empty() && r.os_background.is_empty());
    assert_eq!(r.summary.background_or_site_contacts, 1);
    assert!(r.summary.tracking_free);
    assert!(
        r.summary
            .headline
            .contains("browser or OS, possibly the site")
    );
    assert!(r.caveats.iter().any(|c| c.contains("idle baseline")));
    let detail = r.background_or_site[0]
        .detail
        .as_deref()
        .unwrap_or_default();
    assert!(detail.contains("Chromium / Google Chrome"), "{detail}");
    assert!(md::render(&r).contains("## Browser or OS, possibly the site"));
    assert!(html::render(&r).contains("id=\"background-or-site\""));
}

/// Issue 15.1: a public name on a private address keeps its party and says so.
#[test]
fn private_addresses_are_noted_not_hidden() {
    let s = session(&[], None);
    let mut c = contact(
        "region1.google-analytics.com",
        Party::Third,
        Some(Category::Analytics),
        Phase::BeforeConsent,
        1,
        2,
    );
    c.resolved_private = true;
    let r = build(&s, &[c], None, Meta::current(vec![]));
    let item = &r.findings[0].items[0];
    assert!(item.resolved_private);
    assert!(
        item.detail
            .as_deref()
            .unwrap_or_default()
            .contains("resolved to a private address")
    );
    assert!(
        r.caveats
            .iter()
            .any(|c| c.contains("resolved to private or loopback addresses"))
    );
}

/// Issue 18: a third party seen while idle is background: not in findings 1-3 nor the summary's
/// third parties, listed apart with the rates compared; one that grew stays, marked; the
/// caveats name the baseline and the tracking name subtracted.
#[test]
fn names_seen_while_idle_are_background_and_named_in_the_caveats() {
    use crate::session::{
        Activity, Against, Background, BaselineRef, Choice, IdleMatch, MarkKind, MatchBy,
    };
    let mut s = session(&[(50, MarkKind::ConsentRejected)], Some("x.dk"));
    s.against = Some(Against {
        choice: Choice::Named,
        baseline: Some(BaselineRef {
            id: 3,
            label: "idle".into(),
            devices: vec!["02:00:00:00:00:01".into()],
            started: s.started,
            ended: s.started,
            forced: false,
            recording: None,
            elsewhere: false,
        }),
        max_age_days: 7,
        refused: None,
    });
    let m = |grew| IdleMatch {
        by: MatchBy::Name,
        name: String::new(),
        idle: Activity {
            flows: 1,
            bytes: 100,
        },
        idle_ms: 60_000,
        visit: Activity {
            flows: 1,
            bytes: 100,
        },
        visit_ms: 30_000,
        grew,
    };
    let mut idle = contact(
        "app-measurement.example",
        Party::Third,
        Some(Category::Analytics),
        Phase::BeforeConsent,
        1,
        60,
    );
    idle.baseline.in_baseline = true;
    idle.baseline.baseline_id = Some(3);
    idle.baseline.idle = Some(m(false));
    idle.baseline.background = Some(Background::SeenWhileIdle);
    let mut grew = contact(
        "cdn.example",
        Party::Third,
        Some(Category::Cdn),
        Phase::BeforeConsent,
        2,
        60,
    );
    grew.baseline.in_baseline = true;
    grew.baseline.idle = Some(m(true));
    grew.baseline.also_seen_while_idle = true;
    let mut later = idle.clone();
    later.name = "later.example".into();
    later.phase = Phase::ConsentRejected;
    let page = contact(
        "ga.example",
        Party::Third,
        Some(Category::Analytics),
        Phase::BeforeConsent,
        3,
        4,
    );
    let r = build(&s, &[idle, grew, later, page], None, Meta::current(vec![]));
    let f = |k: &str| r.findings.iter().find(|f| f.key == k).unwrap();
    let names = |f: &Finding| f.items.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(f("before-consent")), ["cdn.example", "ga.example"]);
    assert!(
        f("before-consent")
            .statement
            .contains("1 further third-party name was seen while the device was idle")
    );
    // Still in use after the reject, and grown: counted; the idle one is not.
    assert_eq!(names(f("after-reject")), ["cdn.example"]);
    assert!(
        f("after-reject")
            .statement
            .contains("Background (seen while idle)")
    );
    assert_eq!(names(f("undeclared")), ["cdn.example", "ga.example"]);
    let bg: Vec<&str> = r.background.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(bg, ["app-measurement.example", "later.example"]);
    let detail = r.background[0].detail.as_deref().unwrap();
    assert!(detail.starts_with("seen while idle: baseline 3 saw this name (idle: 1 flow, 100 B in 60.0 s; here: 1 flow, 100 B in 30.0 s)"), "{detail}");
    let cdn = f("before-consent")
        .items
        .iter()
        .find(|i| i.name == "cdn.example")
        .unwrap();
    assert!(cdn.also_seen_while_idle);
    assert!(
        cdn.detail
            .as_deref()
            .unwrap()
            .starts_with("also seen while idle")
    );
    assert_eq!(
        (
            r.summary.third_party_contacts,
            r.summary.background_contacts,
            r.summary.background_third_party_contacts,
            r.summary.also_seen_while_idle_contacts
        ),
        (2, 2, 2, 1)
    );
    assert!(
        r.summary
            .headline
            .contains("2 third-party name(s) seen while the device was idle (baseline 3)"),
        "{}",
        r.summary.headline
    );
    let caveats = r.caveats.join("\n");
    assert!(
        caveats.contains("Compared with baseline 3 \"idle\" (named"),
        "{caveats}"
    );
    assert!(caveats.contains("2 name(s) of a tracking category were seen while the device was idle (or before the visit) and are not counted in findings 1 to 3: app-measurement.example, later.example"), "{caveats}");
    assert!(
        r.organisations
            .iter()
            .all(|o| !o.names.contains(&"later.example".to_owned()))
    );
    assert_eq!(r.contacts.len(), 4, "nothing dropped");
    assert!(super::md::render(&r).contains("## Background (seen while idle)"));
    assert!(super::html::render(&r).contains("Compared with baseline 3"));
}

/// Issue 18: trackers set apart as seen while idle never make a session "tracking-free" (the
/// visit may have used them too); other third parties set apart do not stand in its way.
#[test]
fn trackers_seen_while_idle_are_not_called_tracking_free() {
    use crate::session::{Background, MarkKind};
    let s = session(&[(50, MarkKind::Visit)], Some("x.dk"));
    let apart = |name: &str, category| {
        let mut c = contact(
            name,
            Party::Third,
            Some(category),
            Phase::BeforeConsent,
            1,
            60,
        );
        c.baseline.before_visit = true;
        c.baseline.background = Some(Background::BeforeVisit);
        c
    };
    let cdn = apart("cdn.example", Category::Cdn);
    let free = build(&s, std::slice::from_ref(&cdn), None, Meta::current(vec![]));
    assert!(free.summary.tracking_free, "{}", free.summary.headline);
    let ga = apart("ga.example", Category::Analytics);
    let r = build(&s, &[cdn, ga], None, Meta::current(vec![]));
    assert_eq!(r.summary.third_party_contacts, 0);
    assert!(!r.summary.tracking_free);
    assert!(
        r.summary
            .headline
            .starts_with("No third-party contact is counted in the findings, but this is not called tracking-free: 1 name(s) of a tracking category"),
        "{}",
        r.summary.headline
    );
    assert!(
        r.caveats.iter().any(|c| c.contains(": ga.example.")),
        "{:?}",
        r.caveats
    );
}
