//! How the report shows what the device did on its own (issue 18): names its idle baseline
//! saw and names first seen before the visit mark are listed apart as background and left out
//! of findings 1 to 3, each with the rates compared; a name whose traffic grew with the visit
//! stays in the findings, marked. The caveats say which baseline it was, how old, and which
//! tracking names were subtracted, so nothing is hidden from the reader.

use crate::attribute::Party;
use crate::session::{
    Activity, Background, BaselineFacts, ContactRecord, GROWTH_FACTOR, IdleMatch, MIN_EXTRA_BYTES,
    MIN_EXTRA_FLOWS, MatchBy, Session,
};

/// Listed under "Background (seen while idle)": the baseline saw it or it came before the visit
/// mark, and it is not local (the local network has its own list).
pub(super) fn in_background(c: &ContactRecord) -> bool {
    c.baseline.background.is_some() && c.attribution.party != Party::Local
}

/// A third party of a tracking category.
fn tracking_third(c: &ContactRecord) -> bool {
    c.attribution.party == Party::Third
        && c.attribution
            .category
            .is_some_and(super::tracking::is_tracking)
}

/// The summary's counts of what was set apart.
pub(super) struct Counts {
    /// Contacts listed under "Background (seen while idle)".
    pub background: usize,
    /// Third parties among them.
    pub background_third: usize,
    /// Third parties of a tracking category among them: the session is not called
    /// tracking-free while there are any (the visit may have used them too).
    pub background_tracking: usize,
    /// Those first seen before the visit mark (and not in the baseline).
    pub before_visit: usize,
    /// Seen while idle but grown with the visit: counted.
    pub also: usize,
}

impl Counts {
    /// The counts of `contacts`.
    pub fn of(contacts: &[ContactRecord]) -> Counts {
        let background: Vec<&ContactRecord> =
            contacts.iter().filter(|c| in_background(c)).collect();
        Counts {
            background: background.len(),
            background_third: background
                .iter()
                .filter(|c| c.attribution.party == Party::Third)
                .count(),
            background_tracking: background.iter().filter(|c| tracking_third(c)).count(),
            before_visit: background
                .iter()
                .filter(|c| c.baseline.background == Some(Background::BeforeVisit))
                .count(),
            also: contacts
                .iter()
                .filter(|c| c.baseline.also_seen_while_idle)
                .count(),
        }
    }

    /// The headline's words on the baseline: how many third parties it set apart, how many it
    /// kept because they grew.
    pub fn clause(&self, session: &Session) -> String {
        let (background_third, also) = (self.background_third, self.also);
        let mut s = String::new();
        if background_third > 0 {
            let against = session
                .against
                .as_ref()
                .and_then(|a| a.applied())
                .map(|b| format!(" ({})", b.name()))
                .unwrap_or_default();
            s.push_str(&format!(
                " {background_third} third-party name(s) seen while the device was idle{against} or \
                 before the visit mark are listed apart as background, not counted."
            ));
        }
        if also > 0 {
            s.push_str(&format!(
                " {also} name(s) also seen while idle are counted: their traffic grew with the visit."
            ));
        }
        s
    }
}

/// `2 flows, 3.1 kB in 10.0 s`.
fn activity(a: Activity, ms: u64) -> String {
    format!(
        "{} flow{}, {} in {:.1} s",
        a.flows,
        if a.flows == 1 { "" } else { "s" },
        crate::text::bytes(a.bytes),
        ms as f64 / 1e3
    )
}

/// `baseline 3 saw it (idle: ...; this session: ...)`.
fn idle_words(f: &BaselineFacts, m: &IdleMatch) -> String {
    let id = f.baseline_words();
    let what = match m.by {
        MatchBy::Name => format!("{id} saw this name"),
        MatchBy::Service => format!(
            "{id} saw the same service under the same domain as {} (rotating host names)",
            m.name
        ),
    };
    format!(
        "{what} (idle: {}; here: {})",
        activity(m.idle, m.idle_ms),
        activity(m.visit, m.visit_ms)
    )
}

/// What the idle baseline and the visit mark say of `c`, for people.
pub(super) fn baseline_notes(c: &ContactRecord) -> Vec<String> {
    let f = &c.baseline;
    let mut notes = Vec::new();
    match (f.background, &f.idle) {
        (Some(Background::SeenWhileIdle), Some(m)) => {
            notes.push(format!("seen while idle: {}", idle_words(f, m)));
        }
        (Some(_), _) if f.before_visit => notes.push(
            "before the visit: first seen before the visit mark, while the device was on its \
             own, and its traffic did not grow after it"
                .to_owned(),
        ),
        (None, Some(m)) if f.also_seen_while_idle && m.grew => notes.push(format!(
            "also seen while idle, but its traffic grew at least {GROWTH_FACTOR}x during the \
             visit: counted; {}",
            idle_words(f, m)
        )),
        (None, _) if f.also_seen_while_idle => notes.push(format!(
            "also seen before the visit mark, but its traffic grew at least {GROWTH_FACTOR}x \
             after it: counted"
        )),
        _ => {}
    }
    notes
}

/// A sentence for findings 1 to 3: third-party names seen while idle (or before the visit
/// mark) are not counted in them but listed apart.
pub(super) fn idle_sentence(contacts: &[&ContactRecord]) -> String {
    let n = contacts
        .iter()
        .filter(|c| c.attribution.party == Party::Third && c.baseline.background.is_some())
        .count();
    match n {
        0 => String::new(),
        1 => " 1 further third-party name was seen while the device was idle (in its baseline, \
              or before the visit mark) and is not counted here: it is listed under \
              \"Background (seen while idle)\"."
            .to_owned(),
        n => format!(
            " {n} further third-party names were seen while the device was idle (in its \
             baseline, or before the visit mark) and are not counted here: they are listed \
             under \"Background (seen while idle)\"."
        ),
    }
}

/// Caveats about the session's baseline and visit mark.
pub(super) fn caveats(session: &Session, contacts: &[ContactRecord]) -> Vec<String> {
    let mut out = Vec::new();
    if session.baseline {
        out.push(
            "This session is an idle baseline: the device left alone, to compare test sessions \
             with. Its contacts are what the device does on its own, not a service's third \
             parties."
                .to_owned(),
        );
        return out;
    }
    match &session.against {
        Some(a) if a.applied().is_some() => {
            out.push(format!(
                "Compared with {}. Names the baseline saw (the same name; for non-tracking \
                 services also the same organisation and service under the same domain, for rotating \
                 host names) are \
                 listed under \"Background (seen while idle)\" and not counted in findings 1 to \
                 3, unless their rate of flows or bytes during the visit was at least \
                 {GROWTH_FACTOR} times the idle rate (and {MIN_EXTRA_FLOWS} flows or {} more): \
                 those stay in the findings, marked \"also seen while idle\".",
                a.describe(session.started),
                crate::text::bytes(MIN_EXTRA_BYTES)
            ));
            if a.stale(session.started) {
                out.push(format!(
                    "The baseline is older than {} days: the device may do other things on its \
                     own by now (updates, new apps); a fresh baseline is better evidence.",
                    a.max_age_days
                ));
            }
            if a.baseline.as_ref().is_some_and(|b| b.forced) {
                out.push(
                    "The baseline was recorded on another device and used anyway (--force): \
                     what one device does on its own is not proof of what another does."
                        .to_owned(),
                );
            }
        }
        Some(a) => {
            let why = match (&a.refused, a.choice) {
                (Some(why), _) => format!("the named baseline was not applied: {why}"),
                (None, crate::session::Choice::Off) => "turned off with --no-baseline".to_owned(),
                (None, _) => {
                    "none was recorded for this device; record one with --baseline".to_owned()
                }
            };
            out.push(format!(
                "No idle baseline ({why}): names the device contacts on its own (OS, apps, the \
                 browser) are counted like the site's unless a signature knows them."
            ));
        }
        None => {}
    }
    if let Some(v) = session.visit() {
        out.push(format!(
            "The visit mark at {} says when the tester opened the service: contacts first seen \
             before it are listed as background unless their traffic grew after it.",
            v.rfc3339()
        ));
    }
    let subtracted: Vec<&str> = contacts
        .iter()
        .filter(|c| in_background(c) && tracking_third(c))
        .map(|c| c.name.as_str())
        .collect();
    if !subtracted.is_empty() {
        out.push(format!(
            "{} name(s) of a tracking category were seen while the device was idle (or before \
             the visit) and are not counted in findings 1 to 3: {}. An app or an earlier page \
             may have caused them, or the service may use them too: check them under \
             \"Background (seen while idle)\".",
            subtracted.len(),
            subtracted.join(", ")
        ));
    }
    out
}
