//! JSON rendering: the whole report, every row, pretty-printed and stable (golden-tested).

use super::Report;

/// The report as pretty JSON with a final newline.
pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(report)?;
    s.push('\n');
    Ok(s)
}
