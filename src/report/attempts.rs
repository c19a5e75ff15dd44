//! How the report marks what the network and the browser did to a contact: attempts a DNS
//! blocker stopped, public names on private addresses, and names the browser or OS contacts on
//! its own that sites also embed (issue 15).
//!
//! A blocked attempt is still a finding (the page asked for the name) but never proof that data
//! reached the third party; a `background-or-site` name is listed apart, never dropped.

use super::Item;
use crate::attribute::{Blocked, Party};
use crate::session::ContactRecord;

/// What a reader must know about `c` beside a finding's own detail.
pub(super) fn contact_notes(c: &ContactRecord) -> Vec<String> {
    let mut notes = super::idle::baseline_notes(c);
    if let Some(b) = c.blocked {
        let answer = c
            .blocked_answer
            .as_ref()
            .map(|a| format!(" (DNS answer: {})", a.summary()))
            .unwrap_or_default();
        let why = match b {
            Blocked::Nxdomain => {
                "; NXDOMAIN can also mean the name does not exist, so whether a blocker or the \
                 name's owner answered is not known"
            }
            Blocked::Nodata => "; the resolver gave the name no address",
            Blocked::Sinkhole | Blocked::Refused => "",
        };
        notes.push(format!(
            "attempted; blocked by the network: {}{answer}{why}",
            b.as_str()
        ));
    } else if c.resolved_private {
        notes.push(
            "resolved to a private address (split-horizon DNS, a lab, a local proxy or a \
             blocker's page); attributed by its name"
                .to_owned(),
        );
    }
    if let Some(browsers) = &c.attribution.browser_background {
        notes.push(match c.attribution.party {
            Party::BackgroundOrSite => format!(
                "the browser ({browsers}) contacts this name on its own, and sites embed it too: \
                 browser or OS, possibly the site"
            ),
            _ => format!("background service of the browser ({browsers})"),
        });
    }
    notes
}

/// `detail` and the contact's own notes, as one detail.
pub(super) fn detail_with_notes(detail: Option<String>, c: &ContactRecord) -> Option<String> {
    let mut all: Vec<String> = detail.into_iter().collect();
    all.extend(contact_notes(c));
    (!all.is_empty()).then(|| all.join("; "))
}

/// ` (K of them attempted but blocked by the network)`, or nothing.
pub(super) fn blocked_clause(items: &[Item]) -> String {
    let k = items.iter().filter(|i| i.blocked.is_some()).count();
    match k {
        0 => String::new(),
        _ if k == items.len() && k == 1 => {
            " (attempted, but blocked by the network: see its DNS answer)".to_owned()
        }
        _ if k == items.len() => " (all attempted, but blocked by the network)".to_owned(),
        _ => format!(" ({k} of them attempted, but blocked by the network)"),
    }
}

/// A sentence for a finding: names the browser or OS may have contacted on its own are not
/// counted in it but listed apart.
pub(super) fn background_sentence(contacts: &[&ContactRecord]) -> String {
    let n = contacts
        .iter()
        .filter(|c| c.attribution.party == Party::BackgroundOrSite)
        .count();
    match n {
        0 => String::new(),
        1 => " 1 further name the browser or OS contacts on its own, which sites also embed, \
              is not counted here: it is listed under \"Browser or OS, possibly the site\"."
            .to_owned(),
        n => format!(
            " {n} further names the browser or OS contacts on its own, which sites also embed, \
             are not counted here: they are listed under \"Browser or OS, possibly the site\"."
        ),
    }
}

/// Caveats about blockers, private addresses and browser background in the session.
pub(super) fn caveats(contacts: &[ContactRecord]) -> Vec<String> {
    let mut out = Vec::new();
    let blocked: Vec<&ContactRecord> = contacts.iter().filter(|c| c.blocked.is_some()).collect();
    let third = blocked
        .iter()
        .filter(|c| c.attribution.party == Party::Third)
        .count();
    let by_blocker = blocked
        .iter()
        .filter(|c| c.blocked != Some(Blocked::Nxdomain))
        .count();
    let nxdomain = blocked.len() - by_blocker;
    if by_blocker > 0 {
        out.push(format!(
            "A DNS blocker was present on the network: {by_blocker} contact(s) were answered \
             with a sinkhole address (0.0.0.0, ::, loopback), REFUSED or no address, and \
             reached nothing{}.",
            if nxdomain > 0 {
                format!("; {nxdomain} more got NXDOMAIN")
            } else {
                String::new()
            }
        ));
    } else if nxdomain > 0 {
        out.push(format!(
            "{nxdomain} contact(s) got NXDOMAIN and reached nothing: a DNS blocker in NXDOMAIN \
             mode answers so, and so does a name that does not exist."
        ));
    }
    if third > 0 {
        out.push(format!(
            "{third} third-party contact(s) were attempted but blocked by the network. They are \
             listed in the findings like any other contact and marked \"attempted; blocked by \
             the network\" with the DNS answer: an attempt proves that the page embeds the \
             third party, not that data reached it."
        ));
    }
    let private = contacts
        .iter()
        .filter(|c| c.resolved_private && c.blocked.is_none())
        .count();
    if private > 0 {
        out.push(format!(
            "{private} public name(s) resolved to private or loopback addresses (split-horizon \
             DNS, a lab or staging mirror, a local proxy, a blocker's block page). Each keeps \
             the attribution of its name and is marked \"resolved to a private address\"."
        ));
    }
    let maybe = contacts
        .iter()
        .filter(|c| c.attribution.party == Party::BackgroundOrSite)
        .count();
    if maybe > 0 {
        out.push(format!(
            "{maybe} name(s) are contacted by browsers on their own (start-up, sign-in, new-tab \
             page) and also embedded by sites; from this capture alone it cannot be told which \
             caused them. They are listed apart under \"Browser or OS, possibly the site\", not \
             counted as third parties in the findings; an idle baseline of the same browser \
             would decide them."
        ));
    }
    out
}
