//! The survey as text: the long CSV (one line per contact of every session, for spreadsheets
//! and analytic engines), Markdown and JSON.

use std::fmt::Write;

use super::FindingStatus;
use super::esc::md as e;
use super::finding::word;
use super::survey::{FindingCell, OrgCell, SessionRow, Survey};
use super::survey_matrix::marks;
use crate::session::quote;

/// Columns of `survey --format csv`, in order.
pub const SURVEY_CSV_HEADER: &[&str] = &[
    "session",
    "site",
    "label",
    "phase",
    "org",
    "service",
    "category",
    "name",
    "first_seen",
    "blocked",
    "in_baseline",
    "evidence_count",
    "party",
    "background",
    "device",
    "findings",
    "declared",
    "cloaked",
    "hidden",
    "signatures",
    "baseline",
];

/// Header line and one line per contact, each ending in `\n`.
pub fn csv(s: &Survey) -> String {
    let mut out = SURVEY_CSV_HEADER.join(",");
    out.push('\n');
    for c in &s.contacts {
        let cells = [
            c.session.to_string(),
            c.site.clone(),
            c.label.clone(),
            c.phase.as_str().to_owned(),
            c.org.clone(),
            c.service.clone().unwrap_or_default(),
            c.category.map(|k| word(&k)).unwrap_or_default(),
            c.name.clone(),
            c.first_seen.clone(),
            c.blocked.clone(),
            c.in_baseline.to_string(),
            c.evidence.to_string(),
            c.party.as_str().to_owned(),
            c.background.clone(),
            c.device.clone(),
            c.findings.clone(),
            c.declared.clone(),
            c.cloaked.clone(),
            c.hidden.clone(),
            c.signatures.clone(),
            c.baseline.clone(),
        ];
        let line: Vec<String> = cells.iter().map(|c| quote(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// The survey as pretty JSON with a final newline (the long contact lines are the CSV's).
pub fn json(s: &Survey) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(s)?;
    text.push('\n');
    Ok(text)
}

/// A column title for a finding key.
pub fn short_title(key: &str) -> &str {
    match key {
        "before-consent" => "Before consent",
        "after-reject" => "After reject",
        "undeclared" => "Undeclared",
        "cloaked" => "Cloaked",
        "hidden" => "Hidden or unnamed",
        "cookies-before-consent" => "Cookies before consent",
        "cookies-after-reject" => "Cookies after reject",
        other => other,
    }
}

/// A finding cell in words: `n/a`, `0`, `3 (2 orgs)`, `2 cookies`.
pub fn cell_text(f: &FindingCell) -> String {
    let cookies = f.key.starts_with("cookies-");
    match f.status {
        FindingStatus::NotApplicable => "n/a".to_owned(),
        _ if f.count == 0 => "0".to_owned(),
        _ if cookies => crate::text::count(f.count as u64, "cookie"),
        FindingStatus::Limits => f.count.to_string(),
        _ => format!(
            "{} ({})",
            f.count,
            crate::text::count(f.organisations as u64, "org")
        ),
    }
}

/// `Google LLC (analytics, tag-manager) BR`, with `blocked` and `cloaked` when so.
pub fn org_text(o: &OrgCell) -> String {
    let cats: Vec<String> = o.categories.iter().map(word).collect();
    let mut s = o.label.clone();
    if !cats.is_empty() {
        let _ = write!(s, " ({})", cats.join(", "));
    }
    let _ = write!(s, " {}", marks(&o.marks));
    if o.blocked {
        s.push_str(" blocked");
    }
    if o.cloaked {
        s.push_str(" cloaked");
    }
    s
}

/// Devices named in a row; the JSON lists them all.
const DEVICES_SHOWN: usize = 3;

/// Devices as `label (mac)`, the first [`DEVICES_SHOWN`] and how many more (a capture of a
/// whole network has dozens; a test session has one phone).
pub fn devices_text(r: &SessionRow) -> String {
    let mut d: Vec<String> = r
        .devices
        .iter()
        .take(DEVICES_SHOWN)
        .map(|d| match &d.label {
            Some(l) => format!("{l} ({})", d.device),
            None => d.device.clone(),
        })
        .collect();
    if r.devices.len() > DEVICES_SHOWN {
        let more = (r.devices.len() - DEVICES_SHOWN) as u64;
        d.push(format!("and {more} more"));
    }
    d.join(", ")
}

/// The row's baseline, and how many third parties it set apart from the findings.
pub fn baseline_cell(r: &SessionRow) -> String {
    match r.baseline.background_third_parties {
        0 => r.baseline.text.clone(),
        n => format!(
            "{}; {} set apart, not counted",
            r.baseline.text,
            crate::text::count(n as u64, "third-party name")
        ),
    }
}

/// The set a row rests on, with a warning when it differs from most rows'.
pub fn signatures_text(r: &SessionRow) -> String {
    let mut s = r.signatures.set.clone();
    if r.signatures.differs {
        s.push_str(" (differs)");
    }
    if r.signatures.site_profile_differs {
        s.push_str(" (other site profile text)");
    }
    s
}

/// Markdown: sessions, services, the matrix, the organisations, signature sets and notes.
pub fn md(s: &Survey) -> String {
    let mut out = format!(
        "# sporfri survey: {} over {}\n\n{}\n",
        crate::text::count(s.sessions.len() as u64, "session"),
        crate::text::count(s.services.len() as u64, "service"),
        e(&s.selection)
    );
    md_sessions(&mut out, s);
    md_services(&mut out, s);
    md_matrix(&mut out, s);
    let _ = writeln!(out, "\n## Signature sets\n");
    for set in &s.signature_sets {
        let _ = writeln!(
            out,
            "- **{}** ({}): {} — sessions {}",
            set.id,
            word(&set.attribution),
            e(&set.description),
            set.sessions
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(out, "\n## Notes\n");
    for n in &s.notes {
        let _ = writeln!(out, "- {}", e(n));
    }
    out
}

fn md_sessions(out: &mut String, s: &Survey) {
    let keys: Vec<(u8, &str)> = s
        .sessions
        .first()
        .map(|r| r.findings.iter().map(|f| (f.number, f.key)).collect())
        .unwrap_or_default();
    let _ = write!(
        out,
        "\n## Sessions\n\n| Session | Service | Label | Devices | Date | Baseline |"
    );
    for (n, k) in &keys {
        let _ = write!(out, " {n}. {} |", short_title(k));
    }
    let _ = writeln!(out, " Third parties | Signatures |");
    let _ = writeln!(out, "|{}", "---|".repeat(8 + keys.len()));
    for r in &s.sessions {
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.session,
            e(r.site.as_deref().unwrap_or("-")),
            e(&r.label),
            e(&devices_text(r)),
            r.date.as_ref().map(|d| e(&d.utc)).unwrap_or_default(),
            e(&baseline_cell(r))
        );
        for f in &r.findings {
            let _ = write!(out, " {} |", cell_text(f));
        }
        let orgs: Vec<String> = r.third_parties.iter().map(org_text).collect();
        let _ = writeln!(
            out,
            " {} | {} |",
            e(&orgs.join("; ")),
            e(&signatures_text(r))
        );
    }
}

fn md_services(out: &mut String, s: &Survey) {
    let _ = writeln!(
        out,
        "\n## Services\n\nPer finding: sessions where it was observed / sessions where it applies.\n"
    );
    let keys: Vec<&str> = s
        .services
        .first()
        .map(|r| r.findings.iter().map(|f| f.key).collect())
        .unwrap_or_default();
    let _ = write!(out, "| Service | Sessions | Tracking-free |");
    for k in &keys {
        let _ = write!(out, " {} |", short_title(k));
    }
    let _ = writeln!(out, " Organisations | Tracking organisations |");
    let _ = writeln!(out, "|{}", "---|".repeat(5 + keys.len()));
    for v in &s.services {
        let _ = write!(
            out,
            "| {} | {} | {} |",
            e(&v.service),
            v.sessions.len(),
            v.tracking_free_sessions
        );
        for f in &v.findings {
            let _ = write!(out, " {}/{} |", f.observed, f.applicable);
        }
        let _ = writeln!(out, " {} | {} |", v.organisations, v.tracking_organisations);
    }
}

fn md_matrix(out: &mut String, s: &Survey) {
    let _ = writeln!(
        out,
        "\n## Matrix\n\nB: before any consent decision (finding 1); A: first seen after \
         \"accept\"; R: after \"reject\" (finding 2); a number: sessions of the service; \
         x: every attempt blocked by the network.\n"
    );
    let _ = write!(out, "| Service |");
    for c in &s.organisations {
        let _ = write!(out, " {} |", e(&c.label));
    }
    let _ = writeln!(out, "\n|{}", "---|".repeat(1 + s.organisations.len()));
    for v in &s.services {
        let _ = write!(out, "| {} |", e(&v.service));
        for c in &s.organisations {
            let cell = v.cells.iter().find(|m| m.organisation == c.label);
            let text = cell
                .map(|m| {
                    format!(
                        "{} {}{}",
                        m.marks,
                        m.sessions,
                        if m.blocked { " x" } else { "" }
                    )
                })
                .unwrap_or_default();
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\n| Organisation | Categories | Services | Sessions |\n|---|---|---|---|"
    );
    for c in &s.organisations {
        let cats: Vec<String> = c.categories.iter().map(word).collect();
        let _ = writeln!(
            out,
            "| {} | {}{} | {} | {} |",
            e(&c.label),
            cats.join(", "),
            if c.tracking { " (tracking)" } else { "" },
            c.services,
            c.sessions
        );
    }
}
