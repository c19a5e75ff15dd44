//! What findings are made of, shared by the verdict, the cookie findings and the report's
//! tables: a contact cited as an [`Item`], a [`Finding`] over items, the organisation a contact
//! is grouped under.

use std::collections::BTreeSet;

use serde::Serialize;

use super::localtime::when;
use super::tracking::is_tracking;
use super::{Finding, FindingStatus, Item};
use crate::attribute::Category;
use crate::attribute::name::registrable;
use crate::session::{ContactRecord, Session};
use crate::time::Timestamp;

/// A finding over `items`: observed when there are any; categories taken from them.
pub(super) fn finding(number: u8, key: &'static str, title: &str, items: Vec<Item>) -> Finding {
    let categories: BTreeSet<Category> = items.iter().filter_map(|i| i.category).collect();
    Finding {
        number,
        key,
        title: title.to_owned(),
        status: if items.is_empty() {
            FindingStatus::NotObserved
        } else {
            FindingStatus::Observed
        },
        statement: String::new(),
        tracking_categories: categories
            .iter()
            .copied()
            .filter(|c| is_tracking(*c))
            .collect(),
        categories: categories.into_iter().collect(),
        items,
        declared: Vec::new(),
        cookies: Vec::new(),
    }
}

/// The serde word of a unit enum variant (`tag-manager`, `os-background`).
pub(super) fn word<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The key contacts are grouped by organisation with: the organisation, else the registrable
/// domain of the name, else the name.
pub(super) fn org_key(org: Option<&str>, name: &str) -> String {
    match org {
        Some(o) => o.to_owned(),
        None => format!(
            "unknown organisation ({})",
            registrable(name).unwrap_or(name)
        ),
    }
}

/// Seconds from the session's first packet to `t`.
pub(super) fn offset(session: &Session, t: Timestamp) -> f64 {
    let start = session.started.unwrap_or(t);
    // Microsecond precision, like every time in the output, so the JSON is stable.
    (t.since(start) / 1_000) as f64 / 1e6
}

/// The kinds of evidence kept for a contact, each once, sorted.
pub(super) fn kinds(c: &ContactRecord) -> Vec<String> {
    let set: BTreeSet<&str> = c.evidence.iter().map(|e| e.kind.as_str()).collect();
    set.into_iter().map(str::to_owned).collect()
}

/// A contact cited as evidence, with `detail` for the finding that cites it.
pub(super) fn item(session: &Session, c: &ContactRecord, detail: Option<String>) -> Item {
    let a = &c.attribution;
    Item {
        name: c.name.clone(),
        org: a.org.clone(),
        service: a.service.clone(),
        category: a.category,
        party: a.party,
        phase: c.phase,
        device: c.device.clone(),
        first_seen: when(c.first_seen),
        offset_s: offset(session, c.first_seen),
        last_seen: when(c.last_seen),
        via: c.via.clone(),
        evidence_kinds: kinds(c),
        via_evidence: super::evidence::per_via(c),
        evidence: c.evidence.clone(),
        detail: super::attempts::detail_with_notes(detail, c),
        blocked: c.blocked,
        resolved_private: c.resolved_private,
        background: c.baseline.background,
        in_baseline: c.baseline.in_baseline,
        also_seen_while_idle: c.baseline.also_seen_while_idle,
    }
}
