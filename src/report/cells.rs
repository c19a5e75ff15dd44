//! HTML building blocks of the report and the diff: tables whose cells carry their column's
//! heading (cards on a phone) and compact instants for table cells.

use std::fmt::Write;

use super::esc::html as e;
use super::{Report, When};

/// What every table of one report shares: the session's first day (times on that day are
/// shown without their date) and whether a device column is worth its room.
pub(super) struct Page {
    /// `2026-11-27`: the session's first day.
    pub day: Option<String>,
    /// Devices in the session.
    pub devices: usize,
}

impl Page {
    /// The page of report `r`.
    pub fn of(r: &Report) -> Page {
        Page {
            day: r.session.started.as_ref().map(|w| day(&w.utc).to_owned()),
            devices: r.session.devices.len(),
        }
    }
}

/// `2026-11-27` of `2026-11-27T10:03:08.383832Z`.
pub(super) fn day(utc: &str) -> &str {
    utc.get(..10).unwrap_or(utc)
}

/// An instant in a table: seconds into the session, then [`time_short`].
pub(super) fn when_short(page: &Page, w: &When, offset_s: f64) -> String {
    format!("+{offset_s:.3} s {}", time_short(page, w))
}

/// The UTC time of day to the millisecond, with its date when that is not the session's
/// first day (so a session over midnight or New Year is never ambiguous); the full UTC and
/// Copenhagen times in the title.
pub(super) fn time_short(page: &Page, w: &When) -> String {
    let date = day(&w.utc);
    let time = w.utc.get(11..23).unwrap_or(&w.utc);
    let date = if page.day.as_deref() == Some(date) {
        String::new()
    } else {
        format!("{date} ")
    };
    format!(
        "<time class=\"note\" datetime=\"{utc}\" title=\"{utc} · {}\">{}{} UTC</time>",
        e(&w.local),
        e(&date),
        e(time),
        utc = e(&w.utc),
    )
}

/// A table whose cells carry their column's heading (`data-label`): on a phone each row
/// becomes a card of labelled cells instead of a table wider than the screen.
pub(super) struct Table {
    heads: Vec<&'static str>,
}

impl Table {
    /// Open the table (in its scroll container) with these headings.
    pub(super) fn open(out: &mut String, class: &str, heads: Vec<&'static str>) -> Table {
        let _ = write!(
            out,
            "<div class=\"scroll\"><table class=\"{class}\"><thead><tr>"
        );
        for h in &heads {
            let _ = write!(out, "<th>{}</th>", e(h));
        }
        out.push_str("</tr></thead><tbody>");
        Table { heads }
    }

    /// One row: `attrs` go on the `<tr>`; each cell is (class, HTML) in heading order.
    pub(super) fn row(&self, out: &mut String, attrs: &str, cells: &[(&str, String)]) {
        let _ = write!(out, "<tr{attrs}>");
        for (h, (class, html)) in self.heads.iter().zip(cells) {
            let class = if class.is_empty() {
                String::new()
            } else {
                format!(" class=\"{class}\"")
            };
            let _ = write!(out, "<td{class} data-label=\"{}\">{html}</td>", e(h));
        }
        out.push_str("</tr>");
    }

    pub(super) fn close(out: &mut String) {
        out.push_str("</tbody></table></div>");
    }
}
