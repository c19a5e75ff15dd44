//! The verdict: five findings computed from a session's contacts. Pure policy.
//!
//! A "third party" here is a contact whose attribution party is `third` (cloaked first-party
//! names included, and attempts a DNS blocker stopped, marked as such); the OS's own
//! background traffic, the local network and first-party names never count against the site.
//! Names the browser or OS contacts on its own that sites also embed (`background-or-site`)
//! are not counted either, but findings 1 and 2 say how many there were.

use std::collections::BTreeSet;

use super::attempts::{background_sentence, blocked_clause};
use super::finding::{finding, item, org_key, word};
use super::idle::idle_sentence;
use super::{Finding, FindingStatus, Item, SiteInfo};
use crate::attribute::{Category, Party};
use crate::session::{ContactRecord, MarkKind, Phase, Session};

/// A third party the findings count: not seen while idle, not first seen before the visit
/// mark (those are listed apart as background, issue 18).
pub(super) fn third(c: &ContactRecord) -> bool {
    c.attribution.party == Party::Third && c.baseline.background.is_none()
}

/// Findings 1 to 5 for `session`. `site` is the profile as loaded for the report (`None` when
/// the session named none or it could not be loaded).
pub fn findings(
    session: &Session,
    contacts: &[ContactRecord],
    site: Option<&SiteInfo>,
) -> Vec<Finding> {
    vec![
        before_consent(session, contacts),
        after_reject(session, contacts),
        undeclared(session, contacts, site),
        cloaked(session, contacts),
        hidden(session, contacts),
    ]
}

/// `N third-party name(s) (K organisation(s))`.
fn count(items: &[Item]) -> String {
    let orgs: BTreeSet<String> = items
        .iter()
        .map(|i| org_key(i.org.as_deref(), &i.name))
        .collect();
    format!(
        "{} third-party name{} ({} organisation{})",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        orgs.len(),
        if orgs.len() == 1 { "" } else { "s" }
    )
}

fn words(cats: &[Category]) -> String {
    cats.iter().map(word).collect::<Vec<_>>().join(", ")
}

fn tracking_sentence(f: &Finding) -> String {
    if f.tracking_categories.is_empty() {
        " None of them is in a tracking category.".to_owned()
    } else {
        format!(
            " Tracking categories among them: {}.",
            words(&f.tracking_categories)
        )
    }
}

fn before_consent(session: &Session, contacts: &[ContactRecord]) -> Finding {
    let items: Vec<Item> = contacts
        .iter()
        .filter(|c| third(c) && c.phase == Phase::BeforeConsent)
        .map(|c| item(session, c, None))
        .collect();
    let mut f = finding(
        1,
        "before-consent",
        "Third parties before any consent decision",
        items,
    );
    let decided = session.marks.iter().any(|m| {
        matches!(
            m.kind,
            MarkKind::ConsentAccepted | MarkKind::ConsentRejected
        )
    });
    let mut s = if decided {
        String::new()
    } else {
        "No consent decision was marked in this session, so every contact is before any \
         decision. "
            .to_owned()
    };
    if f.items.is_empty() {
        s.push_str("No third-party contact was first seen before a consent decision.");
    } else {
        s.push_str(&format!(
            "{} were contacted before any consent decision{}. Categories: {}.",
            count(&f.items),
            blocked_clause(&f.items),
            if f.categories.is_empty() {
                "none known".to_owned()
            } else {
                words(&f.categories)
            }
        ));
        s.push_str(&tracking_sentence(&f));
    }
    let maybe: Vec<&ContactRecord> = contacts
        .iter()
        .filter(|c| c.phase == Phase::BeforeConsent)
        .collect();
    s.push_str(&background_sentence(&maybe));
    s.push_str(&idle_sentence(&maybe));
    f.statement = s;
    f
}

fn after_reject(session: &Session, contacts: &[ContactRecord]) -> Finding {
    let title = "Third parties after \"reject\"";
    let Some(reject) = session
        .marks
        .iter()
        .find(|m| m.kind == MarkKind::ConsentRejected)
    else {
        let mut f = finding(2, "after-reject", title, Vec::new());
        f.status = FindingStatus::NotApplicable;
        f.statement = "No consent-rejected mark in this session.".to_owned();
        return f;
    };
    let mut items = Vec::new();
    let mut continued = 0;
    for c in contacts.iter().filter(|c| third(c)) {
        if c.phase == Phase::ConsentRejected {
            items.push(item(session, c, None));
        } else if c.first_seen < reject.ts && c.last_seen >= reject.ts {
            continued += 1;
            let detail = format!(
                "first seen before the reject ({}), still seen at {}",
                c.phase.as_str(),
                c.last_seen.rfc3339()
            );
            items.push(item(session, c, Some(detail)));
        }
    }
    let mut f = finding(2, "after-reject", title, items);
    let new = f.items.len() - continued;
    f.statement = if f.items.is_empty() {
        format!(
            "No third-party contact after the consent-rejected mark at {}.",
            reject.ts.rfc3339()
        )
    } else {
        let mut s = format!(
            "After the consent-rejected mark at {}, {} were contacted{}: {new} first seen after \
             it, {continued} first seen before it and still in use.",
            reject.ts.rfc3339(),
            count(&f.items),
            blocked_clause(&f.items)
        );
        s.push_str(&tracking_sentence(&f));
        s
    };
    let maybe: Vec<&ContactRecord> = contacts
        .iter()
        .filter(|c| c.phase == Phase::ConsentRejected)
        .collect();
    f.statement.push_str(&background_sentence(&maybe));
    f.statement.push_str(&idle_sentence(&maybe));
    f
}

fn undeclared(session: &Session, contacts: &[ContactRecord], site: Option<&SiteInfo>) -> Finding {
    let title = "Third parties not declared in the site profile";
    let Some(name) = session.site.as_deref() else {
        let mut f = finding(3, "undeclared", title, Vec::new());
        f.status = FindingStatus::NotApplicable;
        f.statement = "The session names no site profile, so no declarations to compare \
                       against."
            .to_owned();
        return f;
    };
    let (declared, undeclared): (Vec<&ContactRecord>, Vec<&ContactRecord>) = contacts
        .iter()
        .filter(|c| third(c))
        .partition(|c| c.attribution.declared.is_some());
    let items = undeclared.iter().map(|c| item(session, c, None)).collect();
    let mut f = finding(3, "undeclared", title, items);
    f.declared = declared
        .iter()
        .map(|c| {
            let reference = c.attribution.declared.clone().unwrap_or_default();
            item(session, c, Some(format!("declared: {reference}")))
        })
        .collect();
    let mut s = String::new();
    match site {
        Some(p) if p.mandatory_self_service => s.push_str(&format!(
            "The site profile {name} is marked as a state mandatory self-service solution: \
             under the state guideline of February 2022 each third party there needs an \
             opt-out setting or a written agreement. "
        )),
        Some(_) => {}
        None => s.push_str(&format!(
            "The site profile {name} could not be loaded for this report; declarations are \
             as recorded. "
        )),
    }
    s.push_str(&format!(
        "{} {} not declared in the profile's allowed list{}; {} declared.",
        count(&f.items),
        if f.items.len() == 1 { "is" } else { "are" },
        blocked_clause(&f.items),
        f.declared.len()
    ));
    let all: Vec<&ContactRecord> = contacts.iter().collect();
    s.push_str(&idle_sentence(&all));
    f.statement = s;
    f
}

fn cloaked(session: &Session, contacts: &[ContactRecord]) -> Finding {
    let items: Vec<Item> = contacts
        .iter()
        .filter_map(|c| {
            let k = c.attribution.cloaked.as_ref()?;
            let detail = format!(
                "CNAME chain {} (tracker name {})",
                k.chain.join(" → "),
                k.target
            );
            Some(item(session, c, Some(detail)))
        })
        .collect();
    let mut f = finding(4, "cloaked", "Cloaked first-party trackers", items);
    f.statement = if f.items.is_empty() {
        "No name resolved through a CNAME chain to a tracker's domain.".to_owned()
    } else {
        format!(
            "{} looked like the site's own but resolved through a CNAME chain to a tracker's \
             domain.",
            count(&f.items)
        )
    };
    f
}

fn hidden(session: &Session, contacts: &[ContactRecord]) -> Finding {
    let mut items = Vec::new();
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    let mut unnamed = 0;
    for c in contacts {
        if let Some(h) = c.attribution.hidden {
            *kinds.entry(h.as_str()).or_default() += 1;
            items.push(item(session, c, Some(format!("hidden: {}", hidden_why(h)))));
        } else if c.attribution.party == Party::Unknown {
            unnamed += 1;
            let detail = "internet address without a name: not attributed".to_owned();
            items.push(item(session, c, Some(detail)));
        }
    }
    let mut f = finding(5, "hidden", "What the capture could not see", items);
    f.status = FindingStatus::Limits;
    let by_kind: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let hidden_n: usize = kinds.values().sum();
    f.statement = format!(
        "{hidden_n} contact{} partly or wholly hidden from the capture{}; {unnamed} internet \
         address{} had no name and could not be attributed. Whatever passed through them is \
         not in findings 1 to 4, which are therefore lower bounds.",
        if hidden_n == 1 { " was" } else { "s were" },
        if by_kind.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_kind.join(", "))
        },
        if unnamed == 1 { "" } else { "es" },
    );
    f
}

/// What a hiding reason means, for people.
pub(super) fn hidden_why(h: crate::attribute::Hidden) -> &'static str {
    use crate::attribute::Hidden;
    match h {
        Hidden::Ech => "ech (Encrypted Client Hello: the real server name is encrypted)",
        Hidden::DnsOverTls => "dns-over-tls (the names looked up are invisible)",
        Hidden::DnsOverHttps => "dns-over-https (the names looked up are invisible)",
        Hidden::PrivateRelay => "private-relay (traffic leaves through Apple's relays)",
        Hidden::Vpn => "vpn (everything inside the tunnel is invisible)",
        Hidden::QuicUnreadable => {
            "quic-unreadable (QUIC of a version sporfri cannot read: the server name is unseen)"
        }
    }
}
