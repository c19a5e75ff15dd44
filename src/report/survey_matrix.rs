//! The survey's matrix: services × third-party organisations, each cell the phases the
//! organisation was seen in over the service's sessions, and a summary per service. Read off
//! the session rows only, so the matrix says what the rows say.

use std::collections::{BTreeMap, BTreeSet};

use super::FindingStatus;
use super::survey::{
    MatrixCell, NO_SITE, OrgColumn, PhaseMark, ServiceFinding, ServiceRow, SessionRow, tracking,
};
use crate::attribute::Category;

/// What one organisation did in one service's sessions.
#[derive(Default)]
struct Cell {
    marks: BTreeSet<PhaseMark>,
    sessions: usize,
    blocked: bool,
    categories: BTreeSet<Category>,
}

/// One row per service, in the order of `rows` (sorted by service); `titles` by site name.
pub(super) fn services(rows: &[SessionRow], titles: &BTreeMap<String, String>) -> Vec<ServiceRow> {
    let mut order: Vec<String> = Vec::new();
    let mut by: BTreeMap<String, Vec<&SessionRow>> = BTreeMap::new();
    for r in rows {
        let name = r.site.clone().unwrap_or_else(|| NO_SITE.to_owned());
        if !by.contains_key(&name) {
            order.push(name.clone());
        }
        by.entry(name).or_default().push(r);
    }
    order
        .into_iter()
        .map(|name| {
            let rows = by.remove(&name).unwrap_or_default();
            let title = titles.get(&name).cloned();
            service(name, title, &rows)
        })
        .collect()
}

fn service(name: String, title: Option<String>, rows: &[&SessionRow]) -> ServiceRow {
    let mut cells: BTreeMap<&str, Cell> = BTreeMap::new();
    for r in rows {
        for o in &r.third_parties {
            let first = !cells.contains_key(o.label.as_str());
            let c = cells.entry(o.label.as_str()).or_default();
            c.blocked = if first {
                o.blocked
            } else {
                c.blocked && o.blocked
            };
            c.marks.extend(o.marks.iter().copied());
            c.categories.extend(o.categories.iter().copied());
            c.sessions += 1;
        }
    }
    let tracking_organisations = cells
        .values()
        .filter(|c| tracking(&c.categories.iter().copied().collect::<Vec<_>>()))
        .count();
    ServiceRow {
        service: name,
        title,
        sessions: rows.iter().map(|r| r.session).collect(),
        tracking_free_sessions: rows.iter().filter(|r| r.tracking_free).count(),
        findings: findings(rows),
        organisations: cells.len(),
        tracking_organisations,
        cells: cells
            .into_iter()
            .map(|(org, c)| MatrixCell {
                organisation: org.to_owned(),
                marks: marks(&c.marks),
                sessions: c.sessions,
                blocked: c.blocked,
            })
            .collect(),
    }
}

/// `B`, `A`, `R` in that order, as one word (`BR`).
pub(super) fn marks(m: &BTreeSet<PhaseMark>) -> String {
    m.iter()
        .map(|m| match m {
            PhaseMark::B => 'B',
            PhaseMark::A => 'A',
            PhaseMark::R => 'R',
        })
        .collect()
}

/// Per finding (in the reports' order): in how many sessions it was observed and applied.
/// Finding 5 (limits) counts as observed where something was hidden or unnamed.
fn findings(rows: &[&SessionRow]) -> Vec<ServiceFinding> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    first
        .findings
        .iter()
        .map(|f| {
            let cells = rows
                .iter()
                .filter_map(|r| r.findings.iter().find(|g| g.key == f.key));
            let (mut observed, mut applicable) = (0, 0);
            for c in cells {
                applicable += usize::from(c.status != FindingStatus::NotApplicable);
                observed += usize::from(
                    c.status == FindingStatus::Observed
                        || (c.status == FindingStatus::Limits && c.count > 0),
                );
            }
            ServiceFinding {
                number: f.number,
                key: f.key,
                observed,
                applicable,
            }
        })
        .collect()
}

/// The matrix's columns: every organisation of `services`, most widespread first.
pub(super) fn columns(
    services: &[ServiceRow],
    categories: &BTreeMap<String, BTreeSet<Category>>,
) -> Vec<OrgColumn> {
    let mut seen: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for s in services {
        for c in &s.cells {
            let e = seen.entry(c.organisation.as_str()).or_default();
            e.0 += 1;
            e.1 += c.sessions;
        }
    }
    let mut cols: Vec<OrgColumn> = seen
        .into_iter()
        .map(|(label, (services, sessions))| {
            let cats: Vec<Category> = categories
                .get(label)
                .map(|c| c.iter().copied().collect())
                .unwrap_or_default();
            OrgColumn {
                label: label.to_owned(),
                tracking: tracking(&cats),
                categories: cats,
                services,
                sessions,
            }
        })
        .collect();
    cols.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.services),
            std::cmp::Reverse(a.sessions),
            &a.label,
        )
            .cmp(&(
                std::cmp::Reverse(b.services),
                std::cmp::Reverse(b.sessions),
                &b.label,
            ))
    });
    cols
}
