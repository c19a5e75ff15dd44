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
