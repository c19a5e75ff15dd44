//! The survey as one self-contained HTML file (inline CSS, no scripts, no external assets), like
//! the report: the sessions table with a link to each session's report, the per-service
//! summary, the services × organisations matrix, the signature sets and the notes. Every string
//! is escaped.

use std::fmt::Write;

use super::esc::html as e;
use super::finding::word;
use super::survey::{SessionRow, Survey};
use super::survey_matrix::marks;
use super::survey_text::{baseline_cell, cell_text, devices_text, short_title};

const CSS: &str = "
:root{--fg:#1b1b1b;--muted:#555;--line:#d5d8dc;--warn:#a04000;--ok:#1e8449;--na:#666}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1400px;padding:12px 16px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.25em;border-bottom:2px solid var(--line);padding-bottom:.2em;margin-top:1.6em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:.86em;margin:6px 0}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f2f3f4}
td.finding{text-align:right;white-space:nowrap}
td.finding.observed{background:#fdf2e9;color:var(--warn);font-weight:600}
td.finding.not-observed{color:var(--ok)}td.finding.not-applicable{color:var(--na)}
td.mono,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
td.tps{min-width:17em}span.tp{display:block}.marks{font-weight:600;color:var(--warn)}
.differs{color:#fff;background:var(--warn);padding:0 5px;border-radius:8px;font-size:.85em}
table.matrix th.org{vertical-align:bottom;padding:4px 2px;font-weight:500}
table.matrix th.org span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;display:inline-block;max-height:16em;overflow:hidden;text-overflow:ellipsis}
table.matrix th.org.tracking{color:var(--warn)}
table.matrix td.cell{text-align:center;font-weight:600;color:var(--warn);min-width:2.2em}
table.matrix td.cell.blocked{color:var(--na);text-decoration:line-through}
.note{color:var(--muted);font-size:.9em}
@media print{body{max-width:none;font-size:9pt;padding:0}.scroll{overflow:visible}tr{break-inside:avoid}
 a{color:inherit;text-decoration:none}th,td.finding.observed,.differs{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
@page{size:A4 landscape;margin:10mm}
";

/// The survey as one HTML document.
pub fn render(s: &Survey) -> String {
    let title = format!(
        "sporfri survey: {} over {}",
        crate::text::count(s.sessions.len() as u64, "session"),
        crate::text::count(s.services.len() as u64, "service")
    );
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>{CSS}</style></head><body><h1>{t}</h1>\
         <p class=\"selection\">{}</p><ul class=\"notes\">",
        e(&s.selection),
        t = e(&title),
    );
    for n in &s.notes {
        let _ = write!(out, "<li>{}</li>", e(n));
    }
    out.push_str("</ul>");
    sessions(&mut out, s);
    services(&mut out, s);
    matrix(&mut out, s);
    signature_sets(&mut out, s);
    let _ = writeln!(
        out,
        "<p class=\"note\">Made by sporfri {} (survey version {}).</p></body></html>",
        e(&s.sporfri_version),
        s.survey_version
    );
    out
}

fn sessions(out: &mut String, s: &Survey) {
    out.push_str(
        "<h2 id=\"sessions\">Sessions</h2><p class=\"note\">One row per session: each finding \
         as its report states it (contacts cited, and their organisations). Third parties: \
         B before any consent decision, A first seen after \"accept\", R after \"reject\"; \
         names the session's idle baseline saw are not counted, as in its report.</p>\
         <div class=\"scroll\"><table class=\"sessions\"><thead><tr><th>Session</th>\
         <th>Service</th><th>Label</th><th>Devices</th><th>Date (UTC / Copenhagen)</th>\
         <th>Baseline</th>",
    );
    if let Some(first) = s.sessions.first() {
        for f in &first.findings {
            let _ = write!(out, "<th>{}. {}</th>", f.number, e(short_title(f.key)));
        }
    }
    out.push_str("<th>Third parties</th><th>Signatures</th></tr></thead><tbody>");
    for r in &s.sessions {
        row(out, r);
    }
    out.push_str("</tbody></table></div>");
}

fn row(out: &mut String, r: &SessionRow) {
    let id = match &r.report {
        Some(href) => format!("<a href=\"{}\">{}</a>", e(href), r.session),
        None => r.session.to_string(),
    };
    let imported = r
        .imported
        .as_ref()
        .map(|i| {
            format!(
                "<br><span class=\"note\">imported: session {} of {}</span>",
                i.original_id,
                e(&i.file)
            )
        })
        .unwrap_or_default();
    let date = r
        .date
        .as_ref()
        .map(|d| {
            format!(
                "{}<br><span class=\"note\">{}</span>",
                e(&d.utc),
                e(&d.local)
            )
        })
        .unwrap_or_else(|| "–".to_owned());
    let _ = write!(
        out,
        "<tr class=\"session\" data-session=\"{}\" data-tracking-free=\"{}\"><td>{id}{imported}</td>\
         <td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{date}</td>\
         <td class=\"baseline\" data-baseline=\"{}\" data-elsewhere=\"{}\">{}</td>",
        r.session,
        r.tracking_free,
        e(r.site.as_deref().unwrap_or("–")),
        e(&r.label),
        e(&devices_text(r)),
        r.baseline.id.map(|i| i.to_string()).unwrap_or_default(),
        r.baseline.elsewhere,
        e(&baseline_cell(r)),
    );
    for f in &r.findings {
        let _ = write!(
            out,
            "<td class=\"finding {}\" data-key=\"{}\" data-status=\"{}\" data-count=\"{}\">{}</td>",
            f.status.as_str(),
            f.key,
            f.status.as_str(),
            f.count,
            e(&cell_text(f))
        );
    }
    out.push_str("<td class=\"tps\">");
    for o in &r.third_parties {
        let cats: Vec<String> = o.categories.iter().map(word).collect();
        let _ = write!(
            out,
            "<span class=\"tp\" data-org=\"{}\" data-marks=\"{}\">{} <span class=\"note\">{}</span> \
             <span class=\"marks\">{}</span>{}{}</span>",
            e(&o.label),
            marks(&o.marks),
            e(&o.label),
            e(&cats.join(", ")),
            marks(&o.marks),
            if o.blocked {
                " <span class=\"note\">blocked</span>"
            } else {
                ""
            },
            if o.cloaked { " <b>cloaked</b>" } else { "" },
        );
    }
    let sig = &r.signatures;
    let mut flags = String::new();
    if sig.differs {
        flags.push_str(" <span class=\"differs\">other signature set</span>");
    }
    if sig.site_profile_differs {
        flags.push_str(" <span class=\"differs\">other site profile text</span>");
    }
    let _ = write!(
        out,
        "</td><td class=\"signatures\" data-set=\"{}\" data-differs=\"{}\">{} <span class=\"note\">{}</span>{flags}</td></tr>",
        e(&sig.set),
        sig.differs || sig.site_profile_differs,
        e(&sig.set),
        e(&word(&sig.attribution)),
    );
}

fn services(out: &mut String, s: &Survey) {
    out.push_str(
        "<h2 id=\"services\">Services</h2><p class=\"note\">Per finding: sessions where it was \
         observed / sessions where it applies (finding 5: where something was hidden or \
         unnamed).</p><div class=\"scroll\"><table class=\"services\"><thead><tr>\
         <th>Service</th><th>Sessions</th><th>Tracking-free sessions</th>",
    );
    if let Some(first) = s.services.first() {
        for f in &first.findings {
            let _ = write!(out, "<th>{}. {}</th>", f.number, e(short_title(f.key)));
        }
    }
    out.push_str("<th>Organisations</th><th>Tracking organisations</th></tr></thead><tbody>");
    for v in &s.services {
        let title = v
            .title
            .as_deref()
            .map(|t| format!("<br><span class=\"note\">{}</span>", e(t)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr class=\"service\" data-service=\"{}\"><td>{}{title}</td><td>{}</td><td>{}</td>",
            e(&v.service),
            e(&v.service),
            v.sessions.len(),
            v.tracking_free_sessions
        );
        for f in &v.findings {
            let _ = write!(
                out,
                "<td class=\"finding\" data-key=\"{}\">{}/{}</td>",
                f.key, f.observed, f.applicable
            );
        }
        let _ = write!(
            out,
            "<td>{}</td><td>{}</td></tr>",
            v.organisations, v.tracking_organisations
        );
    }
    out.push_str("</tbody></table></div>");
}

/// A matrix column's head: the organisation, or `? domain` for `unknown organisation
/// (domain)`, so that the rotated head keeps the domain however long it is (the cell's title
/// has the whole label).
fn column_head(label: &str) -> String {
    label
        .strip_prefix("unknown organisation (")
        .and_then(|rest| rest.strip_suffix(')'))
        .map_or_else(|| label.to_owned(), |domain| format!("? {domain}"))
}

fn matrix(out: &mut String, s: &Survey) {
    out.push_str(
        "<h2 id=\"matrix\">Services × third-party organisations</h2><p class=\"note\">B: \
         before any consent decision (finding 1); A: first seen after \"accept\"; R: after \
         \"reject\" (finding 2); the number: sessions of the service it was seen in; struck \
         through: every attempt was blocked by the network. Organisations in a tracking \
         category are in orange; \"? domain\": an organisation no signature knows, by its \
         domain.</p><div class=\"scroll\"><table class=\"matrix\"><thead><tr>\
         <th>Service</th>",
    );
    for c in &s.organisations {
        let cats: Vec<String> = c.categories.iter().map(word).collect();
        let _ = write!(
            out,
            "<th class=\"org{}\" title=\"{}: {}\"><span>{}</span></th>",
            if c.tracking { " tracking" } else { "" },
            e(&c.label),
            e(&cats.join(", ")),
            e(&column_head(&c.label))
        );
    }
    out.push_str("</tr></thead><tbody>");
    for v in &s.services {
        let _ = write!(out, "<tr><th>{}</th>", e(&v.service));
        for c in &s.organisations {
            match v.cells.iter().find(|m| m.organisation == c.label) {
                Some(m) => {
                    let _ = write!(
                        out,
                        "<td class=\"cell{}\" data-service=\"{}\" data-org=\"{}\" data-marks=\"{}\" \
                         data-sessions=\"{}\" title=\"{} at {}: {} in {} of {}\">{}<sub>{}</sub></td>",
                        if m.blocked { " blocked" } else { "" },
                        e(&v.service),
                        e(&c.label),
                        e(&m.marks),
                        m.sessions,
                        e(&c.label),
                        e(&v.service),
                        e(&m.marks),
                        m.sessions,
                        crate::text::count(v.sessions.len() as u64, "session"),
                        e(&m.marks),
                        m.sessions
                    );
                }
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

fn signature_sets(out: &mut String, s: &Survey) {
    out.push_str("<h2 id=\"signatures\">Signature sets</h2><ul class=\"sets\">");
    for set in &s.signature_sets {
        let ids: Vec<String> = set.sessions.iter().map(u64::to_string).collect();
        let _ = write!(
            out,
            "<li data-set=\"{}\"><b>{}</b> ({}): <span class=\"mono\">{}</span><br>\
             <span class=\"note\">sessions {}</span></li>",
            e(&set.id),
            e(&set.id),
            e(&word(&set.attribution)),
            e(&set.description),
            e(&ids.join(", "))
        );
    }
    out.push_str("</ul>");
}

#[cfg(test)]
mod tests {
    use super::column_head;

    #[test]
    fn unknown_organisations_head_their_matrix_column_by_domain() {
        assert_eq!(column_head("unknown organisation (zeek.org)"), "? zeek.org");
        assert_eq!(column_head("Google LLC"), "Google LLC");
        assert_eq!(
            column_head("unknown organisation (a.example"),
            "unknown organisation (a.example"
        );
    }
}
