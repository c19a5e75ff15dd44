//! CSV rendering: one row per contact with the columns of `sessions export --format csv`, plus
//! the findings that cite the contact and the cookies it set (lab decryption).

use super::Report;
use crate::session::{CSV_HEADER, csv_row};

/// Extra column after [`CSV_HEADER`]: the numbers of the findings citing the contact
/// (space-separated, e.g. `1 3`).
pub const FINDINGS_COLUMN: &str = "findings";
/// Last column: cookies this name set as a third party, seen by lab decryption, as
/// `name=lifetime_s` (empty lifetime: session cookie), space-separated.
pub const COOKIES_COLUMN: &str = "third_party_cookies";

fn cookies(report: &Report, device: &str, name: &str) -> String {
    let cells: Vec<String> = report
        .cookies_and_requests
        .third_parties
        .iter()
        .flat_map(|p| &p.cookies_set)
        .filter(|c| c.device == device && c.host == name)
        .map(|c| {
            let life = c.lifetime_s.map(|s| s.to_string()).unwrap_or_default();
            format!("{}={life}", c.name)
        })
        .collect();
    cells.join(" ")
}

/// The findings (by number) whose items or declared list name this contact.
fn cited(report: &Report, device: &str, name: &str) -> String {
    let nums: Vec<String> = report
        .findings
        .iter()
        .filter(|f| {
            f.items
                .iter()
                .chain(&f.declared)
                .any(|i| i.device == device && i.name == name)
        })
        .map(|f| f.number.to_string())
        .collect();
    nums.join(" ")
}

/// Header line and one line per contact, each ending in `\n`.
pub fn render(report: &Report) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push(',');
    out.push_str(FINDINGS_COLUMN);
    out.push(',');
    out.push_str(COOKIES_COLUMN);
    out.push('\n');
    for c in &report.contacts {
        out.push_str(&csv_row(c));
        out.push(',');
        // Only digits and spaces: no quoting needed.
        out.push_str(&cited(report, &c.device, &c.name));
        out.push(',');
        out.push_str(&crate::session::quote(&cookies(report, &c.device, &c.name)));
        out.push('\n');
    }
    out
}
