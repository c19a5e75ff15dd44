//! The timeline chart: one row per party and organisation, a bar per contact from first to last
//! sight, vertical lines for consent and page marks. Inline SVG, no external assets, every text
//! escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Report;
use super::esc::html as e;
use super::finding::org_key;
use crate::attribute::Party;
use crate::session::{ContactRecord, MarkKind};
use crate::time::Timestamp;

/// Rows drawn at most; the rest are counted under the chart.
pub const MAX_TIMELINE_ROWS: usize = 60;

const WIDTH: f64 = 1000.0;
const LABEL_W: f64 = 300.0;
const PLOT_X: f64 = LABEL_W + 10.0;
const PLOT_W: f64 = WIDTH - PLOT_X - 20.0;
const TOP: f64 = 46.0;
const ROW_H: f64 = 18.0;

fn colour(p: Party) -> &'static str {
    match p {
        Party::Third => "#d35400",
        Party::First => "#2471a3",
        Party::OsBackground => "#7f8c8d",
        Party::BackgroundOrSite => "#b7950b",
        Party::Unknown => "#8e44ad",
        Party::Local => "#16a085",
    }
}

fn mark_colour(k: MarkKind) -> (&'static str, &'static str) {
    match k {
        MarkKind::ConsentRejected => ("#c0392b", ""),
        MarkKind::ConsentAccepted => ("#1e8449", ""),
        MarkKind::Page => ("#444444", " stroke-dasharray=\"4 3\""),
        MarkKind::Note => ("#888888", " stroke-dasharray=\"1 3\""),
        MarkKind::Visit => ("#1f618d", " stroke-dasharray=\"6 2\""),
    }
}

fn rank(p: Party) -> u8 {
    match p {
        Party::Third => 0,
        Party::First => 1,
        Party::Unknown => 2,
        Party::BackgroundOrSite => 3,
        Party::OsBackground => 4,
        Party::Local => 5,
    }
}

/// `+1.25 s`, `+3.5 min`, `+2.0 h`, `+12 d`.
fn span_text(secs: f64) -> String {
    if secs < 60.0 {
        format!("+{secs:.2} s")
    } else if secs < 7200.0 {
        format!("+{:.1} min", secs / 60.0)
    } else if secs < 172_800.0 {
        format!("+{:.1} h", secs / 3600.0)
    } else {
        format!("+{:.0} d", secs / 86_400.0)
    }
}

struct Scale {
    t0: Timestamp,
    span_ns: f64,
}

impl Scale {
    fn x(&self, t: Timestamp) -> f64 {
        PLOT_X + PLOT_W * (t.since(self.t0) as f64 / self.span_ns).clamp(0.0, 1.0)
    }
}

type Rows<'a> = BTreeMap<(u8, String), (Party, Vec<&'a ContactRecord>)>;

fn rows(r: &Report) -> Rows<'_> {
    let mut rows: Rows<'_> = BTreeMap::new();
    for c in &r.contacts {
        let p = c.attribution.party;
        let key = (rank(p), org_key(c.attribution.org.as_deref(), &c.name));
        rows.entry(key).or_insert_with(|| (p, Vec::new())).1.push(c);
    }
    rows
}

fn scale(r: &Report) -> Scale {
    let first = r.contacts.iter().map(|c| c.first_seen).min();
    let last = r.contacts.iter().map(|c| c.last_seen).max();
    let marks = r
        .session
        .marks
        .iter()
        .filter_map(|m| crate::session::ts::parse(&m.at.utc));
    let start = r
        .session
        .started
        .as_ref()
        .and_then(|w| crate::session::ts::parse(&w.utc));
    let end = r
        .session
        .ended
        .as_ref()
        .and_then(|w| crate::session::ts::parse(&w.utc));
    let all: Vec<Timestamp> = first
        .into_iter()
        .chain(last)
        .chain(marks)
        .chain(start)
        .chain(end)
        .collect();
    let t0 = all.iter().min().copied().unwrap_or_default();
    let t1 = all.iter().max().copied().unwrap_or_default();
    Scale {
        t0,
        span_ns: (t1.since(t0) as f64).max(1.0),
    }
}

fn axis(out: &mut String, s: &Scale, bottom: f64) {
    let _ = write!(
        out,
        "<line x1=\"{PLOT_X}\" y1=\"{bottom}\" x2=\"{:.1}\" y2=\"{bottom}\" stroke=\"#999\"/>",
        PLOT_X + PLOT_W
    );
    for i in 0..=4 {
        let f = f64::from(i) / 4.0;
        let x = PLOT_X + PLOT_W * f;
        let anchor = if i == 4 { "end" } else { "start" };
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{bottom}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"{anchor}\" fill=\"#333\">{}</text>",
            bottom + 4.0,
            bottom + 16.0,
            e(&span_text(s.span_ns * f / 1e9))
        );
    }
}

fn marks(out: &mut String, r: &Report, s: &Scale, bottom: f64) {
    for (i, m) in r.session.marks.iter().enumerate() {
        let Some(t) = crate::session::ts::parse(&m.at.utc) else {
            continue;
        };
        let x = s.x(t);
        let (c, dash) = mark_colour(m.kind);
        let label = match &m.text {
            Some(t) => format!("{} {t}", m.kind),
            None => m.kind.to_string(),
        };
        let y = 14.0 + 14.0 * (i % 2) as f64;
        let _ = write!(
            out,
            "<g class=\"mark\" data-kind=\"{}\"><line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"{c}\" stroke-width=\"2\"{dash}/>\
             <text x=\"{x:.1}\" y=\"{y}\" font-size=\"11\" fill=\"{c}\" text-anchor=\"middle\">{}</text><title>{} {}</title></g>",
            m.kind,
            y + 4.0,
            e(&label),
            e(&label),
            e(&m.at.utc)
        );
    }
}

/// The chart as one `<svg>` element (width 100%, scales with the page).
pub fn timeline(r: &Report) -> String {
    let rows = rows(r);
    let s = scale(r);
    let shown = rows.len().min(MAX_TIMELINE_ROWS);
    let bottom = TOP + ROW_H * shown as f64 + 4.0;
    let height = bottom + 24.0;
    let mut out = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" role=\"img\" aria-label=\"Contacts over time by party, with marks\" font-family=\"sans-serif\">"
    );
    for (n, ((_, label), (party, contacts))) in rows.iter().take(MAX_TIMELINE_ROWS).enumerate() {
        let y = TOP + ROW_H * n as f64;
        let col = colour(*party);
        if n % 2 == 0 {
            let _ = write!(
                out,
                "<rect x=\"0\" y=\"{y}\" width=\"{WIDTH}\" height=\"{ROW_H}\" fill=\"#f4f6f7\"/>"
            );
        }
        let _ = write!(
            out,
            "<g class=\"row\" data-party=\"{}\"><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"{col}\">{}</text>",
            party.as_str(),
            LABEL_W,
            y + 13.0,
            e(&truncate(label, 44))
        );
        for c in contacts {
            let x1 = s.x(c.first_seen);
            let w = (s.x(c.last_seen) - x1).max(3.0);
            let _ = write!(
                out,
                "<rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"10\" rx=\"2\" fill=\"{col}\" fill-opacity=\"0.8\"><title>{} — {} — {}</title></rect>",
                y + 4.0,
                e(&c.name),
                c.phase.as_str(),
                e(&c.first_seen.rfc3339())
            );
        }
        out.push_str("</g>");
    }
    marks(&mut out, r, &s, bottom);
    axis(&mut out, &s, bottom);
    out.push_str("</svg>");
    if rows.len() > shown {
        let _ = write!(
            out,
            "<p class=\"note\">{} more rows not drawn (see the tables).</p>",
            rows.len() - shown
        );
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_units() {
        assert_eq!(span_text(1.234), "+1.23 s");
        assert_eq!(span_text(90.0), "+1.5 min");
        assert_eq!(span_text(7200.0), "+2.0 h");
        assert_eq!(span_text(864_000.0), "+10 d");
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
