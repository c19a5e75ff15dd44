//! Comparing two sessions: names contacted only in A, only in B, and in both, by organisation
//! and consent phase (typical: accept vs reject, or last month's release vs today's).
//!
//! Names are compared across devices (A and B may be different phones); a name contacted by
//! several devices of one session counts once, with every phase it was first seen in.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use super::cells::Table;
use super::esc::{html as h, md as m};
use super::finding::{org_key, word};
use super::localtime::when;
use super::meta::{SignatureInfo, describe};
use super::{REPORT_VERSION, When};
use crate::attribute::{Category, Party};
use crate::session::{Background, ContactRecord, Phase, Session, SessionId, Source};

/// Which side(s) a name or organisation was seen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// Only in session A.
    OnlyA,
    /// Only in session B.
    OnlyB,
    /// In both.
    Both,
}

impl Side {
    /// The word used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::OnlyA => "only-a",
            Side::OnlyB => "only-b",
            Side::Both => "both",
        }
    }
}

/// One session as the diff shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideInfo {
    /// Session number.
    pub id: SessionId,
    /// The tester's label.
    pub label: String,
    /// Site profile.
    pub site: Option<String>,
    /// Capture file or interface.
    pub source: Source,
    /// First packet.
    pub started: Option<When>,
    /// Consent marks, as `kind@offset` words.
    pub consent: Vec<String>,
    /// The signatures its contacts were attributed with.
    pub signatures: SignatureInfo,
    /// Its idle baseline, in one line (or that it is one); `None` for older sessions.
    pub baseline: Option<String>,
}

/// One session to compare: its record, its contacts and the signatures they were attributed with.
#[derive(Debug, Clone, Copy)]
pub struct DiffSide<'a> {
    /// The session.
    pub session: &'a Session,
    /// Its contacts.
    pub contacts: &'a [ContactRecord],
    /// What they were attributed with.
    pub signatures: &'a SignatureInfo,
}

/// One name compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffRow {
    /// Only in A, only in B, both.
    pub side: Side,
    /// Contacted name.
    pub name: String,
    /// Organisation label (as in the report's organisation table).
    pub organisation: String,
    /// Party (from B when in both, else from its side).
    pub party: Party,
    /// Category.
    pub category: Option<Category>,
    /// Phases at first sight in A.
    pub phases_a: Vec<Phase>,
    /// Phases at first sight in B.
    pub phases_b: Vec<Phase>,
    /// In A, listed apart as background (seen while idle or before the visit mark).
    pub background_a: Option<Background>,
    /// In B, listed apart as background.
    pub background_b: Option<Background>,
}

/// One organisation compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgDiff {
    /// Only in A, only in B, both.
    pub side: Side,
    /// Organisation label.
    pub organisation: String,
    /// Party.
    pub party: Party,
    /// Phases of its names in A.
    pub phases_a: Vec<Phase>,
    /// Phases of its names in B.
    pub phases_b: Vec<Phase>,
    /// Its names only in A.
    pub names_only_a: Vec<String>,
    /// Its names only in B.
    pub names_only_b: Vec<String>,
    /// Its names in both.
    pub names_both: Vec<String>,
}

/// Counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffSummary {
    /// Names only in A.
    pub only_a: usize,
    /// Names only in B.
    pub only_b: usize,
    /// Names in both.
    pub both: usize,
    /// Third-party names only in A (not background there).
    pub third_only_a: usize,
    /// Third-party names only in B (not background there).
    pub third_only_b: usize,
}

/// The comparison of two sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// Report JSON shape version.
    pub report_version: u32,
    /// `CARGO_PKG_VERSION` of the sporfri that rendered it.
    pub sporfri_version: String,
    /// Session A.
    pub a: SideInfo,
    /// Session B.
    pub b: SideInfo,
    /// Counts.
    pub summary: DiffSummary,
    /// By organisation: third parties first, then by side and name.
    pub organisations: Vec<OrgDiff>,
    /// Every name: only in A, only in B, then both; by name within.
    pub names: Vec<DiffRow>,
}

struct Seen<'a> {
    first: &'a ContactRecord,
    phases: BTreeSet<Phase>,
    /// Background on every device that contacted it (else `None`: counted somewhere).
    background: Option<Background>,
}

fn by_name(contacts: &[ContactRecord]) -> BTreeMap<&str, Seen<'_>> {
    let mut map: BTreeMap<&str, Seen<'_>> = BTreeMap::new();
    for c in contacts {
        let seen = map.entry(c.name.as_str()).or_insert_with(|| Seen {
            first: c,
            phases: BTreeSet::new(),
            background: c.baseline.background,
        });
        seen.phases.insert(c.phase);
        if c.baseline.background.is_none() {
            seen.background = None;
        }
    }
    map
}

fn side_info(side: DiffSide<'_>) -> SideInfo {
    let s = side.session;
    SideInfo {
        signatures: side.signatures.clone(),
        baseline: if s.baseline {
            Some("an idle baseline".to_owned())
        } else {
            s.against.as_ref().map(|a| a.describe(s.started))
        },
        id: s.id,
        label: s.label.clone(),
        site: s.site.clone(),
        source: s.source.clone(),
        started: s.started.map(when),
        consent: s
            .marks
            .iter()
            .filter(|m| {
                m.kind != crate::session::MarkKind::Page && m.kind != crate::session::MarkKind::Note
            })
            .map(|m| format!("{}@+{:.3}s", m.kind, super::finding::offset(s, m.ts)))
            .collect(),
    }
}

fn rows(a: &[ContactRecord], b: &[ContactRecord]) -> Vec<DiffRow> {
    let (ma, mb) = (by_name(a), by_name(b));
    let names: BTreeSet<&str> = ma.keys().chain(mb.keys()).copied().collect();
    let mut rows: Vec<DiffRow> = names
        .into_iter()
        .filter_map(|n| {
            let (sa, sb) = (ma.get(n), mb.get(n));
            let side = match (sa, sb) {
                (Some(_), Some(_)) => Side::Both,
                (Some(_), None) => Side::OnlyA,
                (None, _) => Side::OnlyB,
            };
            let c = sb.or(sa)?.first;
            let phases = |s: Option<&Seen<'_>>| {
                s.map(|s| s.phases.iter().copied().collect())
                    .unwrap_or_default()
            };
            Some(DiffRow {
                side,
                name: n.to_owned(),
                organisation: org_key(c.attribution.org.as_deref(), &c.name),
                party: c.attribution.party,
                category: c.attribution.category,
                phases_a: phases(sa),
                phases_b: phases(sb),
                background_a: sa.and_then(|s| s.background),
                background_b: sb.and_then(|s| s.background),
            })
        })
        .collect();
    rows.sort_by(|x, y| (x.side, &x.name).cmp(&(y.side, &y.name)));
    rows
}

fn organisations(rows: &[DiffRow]) -> Vec<OrgDiff> {
    let mut map: BTreeMap<(Party, &str), Vec<&DiffRow>> = BTreeMap::new();
    for r in rows {
        map.entry((r.party, r.organisation.as_str()))
            .or_default()
            .push(r);
    }
    let mut out: Vec<OrgDiff> = map
        .into_iter()
        .map(|((party, org), rs)| {
            let names = |s: Side| {
                rs.iter()
                    .filter(|r| r.side == s)
                    .map(|r| r.name.clone())
                    .collect::<Vec<_>>()
            };
            let phases = |f: fn(&DiffRow) -> &Vec<Phase>| {
                let set: BTreeSet<Phase> = rs.iter().flat_map(|r| f(r).iter().copied()).collect();
                set.into_iter().collect::<Vec<_>>()
            };
            let (pa, pb) = (phases(|r| &r.phases_a), phases(|r| &r.phases_b));
            let side = match (pa.is_empty(), pb.is_empty()) {
                (false, true) => Side::OnlyA,
                (true, false) => Side::OnlyB,
                _ => Side::Both,
            };
            OrgDiff {
                side,
                organisation: org.to_owned(),
                party,
                phases_a: pa,
                phases_b: pb,
                names_only_a: names(Side::OnlyA),
                names_only_b: names(Side::OnlyB),
                names_both: names(Side::Both),
            }
        })
        .collect();
    out.sort_by(|x, y| {
        (x.party != Party::Third, x.side, &x.organisation).cmp(&(
            y.party != Party::Third,
            y.side,
            &y.organisation,
        ))
    });
    out
}

/// Compare session `a` (with its contacts) to session `b`.
pub fn diff(a: DiffSide<'_>, b: DiffSide<'_>) -> Diff {
    let names = rows(a.contacts, b.contacts);
    let count = |s: Side, third: bool| {
        names
            .iter()
            .filter(|r| r.side == s)
            .filter(|r| {
                let background = r.background_a.is_some() || r.background_b.is_some();
                !third || (r.party == Party::Third && !background)
            })
            .count()
    };
    Diff {
        report_version: REPORT_VERSION,
        sporfri_version: env!("CARGO_PKG_VERSION").to_owned(),
        a: side_info(a),
        b: side_info(b),
        summary: DiffSummary {
            only_a: count(Side::OnlyA, false),
            only_b: count(Side::OnlyB, false),
            both: count(Side::Both, false),
            third_only_a: count(Side::OnlyA, true),
            third_only_b: count(Side::OnlyB, true),
        },
        organisations: organisations(&names),
        names,
    }
}

fn phases(p: &[Phase]) -> String {
    p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" ")
}

/// A side's phases, and `(background: seen-while-idle)` when it was listed apart there.
fn phases_of(p: &[Phase], background: Option<Background>) -> String {
    match background {
        Some(b) => format!("{} (background: {})", phases(p), b.as_str()),
        None => phases(p),
    }
}

/// `A: baseline 3 "idle" (...); B: no baseline (...)`.
fn baselines(d: &Diff) -> String {
    let side = |s: &SideInfo| s.baseline.clone().unwrap_or_else(|| "not recorded".into());
    format!("A: {}; B: {}", side(&d.a), side(&d.b))
}

/// The diff as pretty JSON with a final newline.
pub fn json(d: &Diff) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(d)?;
    s.push('\n');
    Ok(s)
}

/// One CSV row per name: `side,name,organisation,party,category,phases_a,phases_b`.
pub fn csv(d: &Diff) -> String {
    let mut out =
        "side,name,organisation,party,category,phases_a,phases_b,background_a,background_b\n"
            .to_owned();
    for r in &d.names {
        let cells = [
            r.side.as_str().to_owned(),
            r.name.clone(),
            r.organisation.clone(),
            r.party.as_str().to_owned(),
            r.category.map(|c| word(&c)).unwrap_or_default(),
            phases(&r.phases_a),
            phases(&r.phases_b),
            r.background_a
                .map(|b| b.as_str().to_owned())
                .unwrap_or_default(),
            r.background_b
                .map(|b| b.as_str().to_owned())
                .unwrap_or_default(),
        ];
        let quoted: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&quoted.join(","));
        out.push('\n');
    }
    out
}

/// RFC 4180 quoting with a formula guard, as `sessions export` does.
fn csv_cell(c: &str) -> String {
    let g = if c.starts_with(['=', '+', '-', '@']) {
        format!("'{c}")
    } else {
        c.to_owned()
    };
    if g.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", g.replace('"', "\"\""))
    } else {
        g
    }
}

fn title(d: &Diff) -> String {
    format!(
        "sporfri diff: session {} ({}) vs session {} ({})",
        d.a.id, d.a.label, d.b.id, d.b.label
    )
}

/// The diff as Markdown.
pub fn md(d: &Diff) -> String {
    let s = &d.summary;
    let mut out = format!(
        "# {}\n\nNames only in A: {} ({} third party); only in B: {} ({} third party); in both: {}.\n\nA consent marks: {}; B consent marks: {}.\n\nBaselines: {}.\n\nA attributed {}.\n\nB attributed {}.\n",
        m(&title(d)),
        s.only_a,
        s.third_only_a,
        s.only_b,
        s.third_only_b,
        s.both,
        m(&d.a.consent.join(" ")),
        m(&d.b.consent.join(" ")),
        m(&baselines(d)),
        m(&describe(&d.a.signatures)),
        m(&describe(&d.b.signatures)),
    );
    out.push_str("\n## By organisation\n\n| Side | Organisation | Party | Phases A | Phases B | Only A | Only B | Both |\n|---|---|---|---|---|---|---|---|\n");
    for o in &d.organisations {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            o.side.as_str(),
            m(&o.organisation),
            o.party.as_str(),
            phases(&o.phases_a),
            phases(&o.phases_b),
            m(&o.names_only_a.join(" ")),
            m(&o.names_only_b.join(" ")),
            m(&o.names_both.join(" "))
        );
    }
    out.push_str("\n## By name\n\n| Side | Name | Organisation | Party | Phases A | Phases B |\n|---|---|---|---|---|---|\n");
    for r in &d.names {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.side.as_str(),
            m(&r.name),
            m(&r.organisation),
            r.party.as_str(),
            phases_of(&r.phases_a, r.background_a),
            phases_of(&r.phases_b, r.background_b)
        );
    }
    out
}

/// The diff as one self-contained HTML document (the report's stylesheet: on a phone every
/// row becomes a card).
pub fn html(d: &Diff) -> String {
    let s = &d.summary;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
         <style>{css}tr.only-a td:first-child{{color:#a04000}}tr.only-b td:first-child{{color:#1f618d}}</style></head><body><h1>{t}</h1>\
         <p class=\"summary\">Names only in A: {} ({} third party); only in B: {} ({} third party); in both: {}.</p><p>A consent marks: {}; B consent marks: {}.</p><p class=\"baselines\">Baselines: {}.</p><p class=\"attribution\">A attributed {}.<br>B attributed {}.</p>",
        s.only_a,
        s.third_only_a,
        s.only_b,
        s.third_only_b,
        s.both,
        h(&d.a.consent.join(" ")),
        h(&d.b.consent.join(" ")),
        h(&baselines(d)),
        h(&describe(&d.a.signatures)),
        h(&describe(&d.b.signatures)),
        t = h(&title(d)),
        css = super::html::CSS,
    );
    out.push_str("<h2>By organisation</h2>");
    let heads = vec![
        "Side",
        "Organisation",
        "Party",
        "Phases A",
        "Phases B",
        "Only A",
        "Only B",
        "Both",
    ];
    let table = Table::open(&mut out, "organisations", heads);
    for o in &d.organisations {
        let attrs = format!(
            " class=\"{}\" data-org=\"{}\"",
            o.side.as_str(),
            h(&o.organisation)
        );
        let cells = [
            ("", o.side.as_str().to_owned()),
            ("", h(&o.organisation)),
            ("", o.party.as_str().to_owned()),
            ("", phases(&o.phases_a)),
            ("", phases(&o.phases_b)),
            ("name", h(&o.names_only_a.join(" "))),
            ("name", h(&o.names_only_b.join(" "))),
            ("name", h(&o.names_both.join(" "))),
        ];
        table.row(&mut out, &attrs, &cells);
    }
    Table::close(&mut out);
    out.push_str("<h2>By name</h2>");
    let heads = vec![
        "Side",
        "Name",
        "Organisation",
        "Party",
        "Phases A",
        "Phases B",
    ];
    let table = Table::open(&mut out, "names", heads);
    for r in &d.names {
        let attrs = format!(
            " class=\"{}\" data-name=\"{}\"",
            r.side.as_str(),
            h(&r.name)
        );
        let cells = [
            ("", r.side.as_str().to_owned()),
            ("name", h(&r.name)),
            ("", h(&r.organisation)),
            ("", r.party.as_str().to_owned()),
            ("", h(&phases_of(&r.phases_a, r.background_a))),
            ("", h(&phases_of(&r.phases_b, r.background_b))),
        ];
        table.row(&mut out, &attrs, &cells);
    }
    Table::close(&mut out);
    out.push_str("</body></html>\n");
    out
}
