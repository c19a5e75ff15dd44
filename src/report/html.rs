//! HTML rendering: one self-contained file (inline CSS and SVG, no scripts, no external assets),
//! readable on a phone and printable. Every string is escaped.

use std::fmt::Write;

use super::build::word;
use super::esc::html as e;
use super::md::{attributes, lifetime};
use super::svg::timeline;
use super::{CookieRow, Finding, Item, Report, When};
use crate::session::Source;

const CSS: &str = "
:root{--fg:#1b1b1b;--muted:#555;--line:#d5d8dc;--warn:#a04000;--ok:#1e8449;--na:#666}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1100px;padding:12px 16px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.25em;border-bottom:2px solid var(--line);padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em;margin:.2em 0}
.headline{font-size:1.1em;padding:10px 12px;border-left:6px solid var(--warn);background:#fdf2e9}
.headline.free{border-color:var(--ok);background:#eafaf1}
.finding{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:10px 0;break-inside:avoid-page}
.status{display:inline-block;font-size:.8em;font-weight:600;padding:1px 8px;border-radius:10px;color:#fff;background:var(--na);vertical-align:middle}
.status.observed{background:var(--warn)}.status.not-observed{background:var(--ok)}.status.limits{background:#5d6d7e}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.88em;margin:6px 0}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f2f3f4}
td.name{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere;min-width:10em}
td.dev{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap;font-size:.9em}
td.evc{min-width:16em}
.ev{font-size:.8em;color:var(--muted);font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.party-third{color:#d35400;font-weight:600}.party-first{color:#2471a3}.party-os-background{color:#7f8c8d}
.meta dt{font-weight:600}.meta dd{margin:0 0 6px 0;word-break:break-all}
.note{color:var(--muted);font-size:.9em}
svg.timeline{border:1px solid var(--line);border-radius:4px;margin:6px 0}
@media (max-width:640px){body{font-size:14px;padding:8px}table{font-size:.8em}h1{font-size:1.25em}}
@media print{body{max-width:none;font-size:10pt;padding:0}.scroll{overflow:visible}
 h2{break-after:avoid}tr{break-inside:avoid}a{color:inherit;text-decoration:none}
 .headline,.status,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
@page{size:A4;margin:14mm}
";

fn when(w: &When) -> String {
    format!(
        "<time datetime=\"{}\">{}</time><br><span class=\"note\">{}</span>",
        e(&w.utc),
        e(&w.utc),
        e(&w.local)
    )
}

fn list<T: serde::Serialize>(v: &[T]) -> String {
    e(&v.iter().map(word).collect::<Vec<_>>().join(", "))
}

fn evidence(i: &Item) -> String {
    let mut s = e(&i.evidence_kinds.join(" "));
    for line in super::evidence::lines(&i.via_evidence, &i.evidence) {
        let _ = write!(s, "<div class=\"ev\">{}</div>", e(&line));
    }
    s
}

fn items(out: &mut String, items: &[Item], finding: Option<u8>) {
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th>Name</th><th>Organisation / service</th>\
         <th>Category</th><th>Phase</th><th>First seen (UTC / Copenhagen)</th><th>Device</th>\
         <th>Evidence</th><th>Detail</th></tr></thead><tbody>",
    );
    for i in items {
        let mut attr = finding
            .map(|n| format!(" data-finding=\"{n}\""))
            .unwrap_or_default();
        if let Some(b) = i.blocked {
            attr.push_str(&format!(" data-blocked=\"{}\"", b.as_str()));
        }
        let _ = write!(
            out,
            "<tr class=\"item\" data-name=\"{}\" data-phase=\"{}\"{attr}><td class=\"name\">{}</td><td>{}{}</td><td>{}</td>\
             <td>{}</td><td>{} <span class=\"note\">+{:.3} s</span></td><td class=\"dev\">{}</td><td class=\"evc\">{}</td><td>{}</td></tr>",
            e(&i.name),
            i.phase.as_str(),
            e(&i.name),
            e(i.org.as_deref().unwrap_or("–")),
            i.service
                .as_deref()
                .map(|s| format!("<br><span class=\"note\">{}</span>", e(s)))
                .unwrap_or_default(),
            i.category
                .map(|c| e(&word(&c)))
                .unwrap_or_else(|| "–".into()),
            i.phase.as_str(),
            when(&i.first_seen),
            i.offset_s,
            e(&i.device),
            evidence(i),
            e(i.detail.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</tbody></table></div>");
}

fn finding(out: &mut String, f: &Finding) {
    let _ = write!(
        out,
        "<section class=\"finding\" id=\"finding-{}\" data-key=\"{}\" data-status=\"{}\"><h3>{}. {} \
         <span class=\"status {}\">{}</span></h3><p class=\"statement\">{}</p>",
        f.number,
        f.key,
        f.status.as_str(),
        f.number,
        e(&f.title),
        f.status.as_str(),
        f.status.as_str(),
        e(&f.statement)
    );
    if !f.items.is_empty() {
        items(out, &f.items, Some(f.number));
    }
    if !f.declared.is_empty() {
        out.push_str("<p>Declared in the site profile's allowed list:</p>");
        items(out, &f.declared, None);
    }
    if !f.cookies.is_empty() {
        out.push_str("<p>Cookies:</p>");
        cookies(out, &f.cookies);
    }
    out.push_str("</section>");
}

fn cookies(out: &mut String, cookies: &[CookieRow]) {
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th>Cookie</th><th>Set by</th>\
         <th>Organisation</th><th>Lifetime</th><th>Phase</th><th>Set at</th><th>Device</th>\
         <th>Attributes</th></tr></thead><tbody>",
    );
    for c in cookies {
        let _ = write!(
            out,
            "<tr class=\"cookie\" data-host=\"{}\" data-cookie=\"{}\" data-lifetime-s=\"{}\" data-phase=\"{}\">\
             <td class=\"name\">{}</td><td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{} <span class=\"note\">+{:.3} s</span></td><td class=\"dev\">{}</td><td>{}</td></tr>",
            e(&c.host),
            e(&c.name),
            c.lifetime_s.map(|s| s.to_string()).unwrap_or_default(),
            c.phase.as_str(),
            e(&c.name),
            e(&c.host),
            e(c.org.as_deref().unwrap_or("–")),
            e(&lifetime(c)),
            c.phase.as_str(),
            when(&c.time),
            c.offset_s,
            e(&c.device),
            e(&attributes(c)),
        );
    }
    out.push_str("</tbody></table></div>");
}

fn cookies_and_requests(out: &mut String, r: &Report) {
    let s = &r.cookies_and_requests;
    out.push_str("<h2 id=\"cookies-and-requests\">Cookies and requests</h2>");
    let _ = write!(
        out,
        "<p class=\"note\">{}</p>",
        e(&super::requests::summary_line(s))
    );
    if s.decrypted_requests + s.plain_requests == 0 {
        return;
    }
    for p in &s.third_parties {
        let _ = write!(
            out,
            "<section class=\"party-requests\" data-org=\"{}\"><h3>{}</h3><p>Hosts: <span class=\"ev\">{}</span>\
             <br>Page addresses sent: <span class=\"ev\">{}</span><br>Cookies read back: {}</p>",
            e(&p.label),
            e(&p.label),
            e(&p.hosts.join(" ")),
            e(&if p.pages_sent.is_empty() {
                "–".to_owned()
            } else {
                p.pages_sent.join(" ")
            }),
            e(&if p.cookies_read.is_empty() {
                "–".to_owned()
            } else {
                p.cookies_read.join(" ")
            }),
        );
        if !p.cookies_set.is_empty() {
            cookies(out, &p.cookies_set);
        }
        out.push_str(
            "<div class=\"scroll\"><table><thead><tr><th>Time</th><th>Phase</th><th>Method</th>\
             <th>URL</th><th>Status</th><th>Tracker endpoint</th><th>Page sent</th></tr></thead><tbody>",
        );
        for q in &p.requests {
            let _ = write!(
                out,
                "<tr class=\"request\" data-phase=\"{}\"><td>{} <span class=\"note\">+{:.3} s</span></td><td>{}</td><td>{}</td>\
                 <td class=\"name\">{}</td><td>{}</td><td>{}</td><td class=\"name\">{}</td></tr>",
                q.phase.as_str(),
                e(&q.time.utc),
                q.offset_s,
                q.phase.as_str(),
                e(&q.method),
                e(&q.url),
                q.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "–".into()),
                e(q.tracker_endpoint.as_deref().unwrap_or("–")),
                e(q.page.as_deref().unwrap_or("–")),
            );
        }
        out.push_str("</tbody></table></div>");
        if p.requests_not_listed > 0 {
            let _ = write!(
                out,
                "<p class=\"note\">{} more request(s) not listed.</p>",
                p.requests_not_listed
            );
        }
        out.push_str("</section>");
    }
}

fn tables(out: &mut String, r: &Report) {
    out.push_str(
        "<h2 id=\"organisations\">By organisation</h2><div class=\"scroll\"><table><thead><tr>\
         <th>Organisation</th><th>Party</th><th>Categories</th><th>Phases</th><th>Names</th>\
         <th>First seen</th><th>Evidence kinds</th><th>Declared</th></tr></thead><tbody>",
    );
    for o in &r.organisations {
        let flags = format!(
            "{}{}",
            if o.cloaked { "<br><b>cloaked</b>" } else { "" },
            if o.hidden.is_empty() {
                String::new()
            } else {
                format!("<br>hidden: {}", list(&o.hidden))
            }
        );
        let _ = write!(
            out,
            "<tr class=\"org\" data-org=\"{}\" data-party=\"{}\"><td>{}{flags}</td><td class=\"party-{}\">{}</td><td>{}</td><td>{}</td>\
             <td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&o.label),
            o.party.as_str(),
            e(&o.label),
            o.party.as_str(),
            o.party.as_str(),
            list(&o.categories),
            list(&o.phases),
            e(&o.names.join(" ")),
            when(&o.first_seen),
            e(&o.evidence_kinds.join(" ")),
            e(&o.declared.join("; ")),
        );
    }
    out.push_str(
        "</tbody></table></div><h2 id=\"categories\">By category</h2><div class=\"scroll\"><table><thead><tr>\
         <th>Category</th><th>Tracking</th><th>Organisations</th><th>Phases</th><th>Names</th>\
         <th>First seen</th><th>Evidence kinds</th></tr></thead><tbody>",
    );
    for c in &r.categories {
        let _ = write!(
            out,
            "<tr class=\"category\" data-category=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"name\">{}</td><td>{}</td><td>{}</td></tr>",
            e(&c.label),
            e(&c.label),
            if c.tracking { "yes" } else { "no" },
            e(&c.organisations.join("; ")),
            list(&c.phases),
            e(&c.names.join(" ")),
            when(&c.first_seen),
            e(&c.evidence_kinds.join(" ")),
        );
    }
    out.push_str("</tbody></table></div>");
    cookies_and_requests(out, r);
    out.push_str("<h2 id=\"background\">Background (seen while idle)</h2><p class=\"note\">What the device did on its own: names its idle baseline saw, and names first seen before the visit mark, whose traffic did not grow with the visit. Not counted in findings 1 to 3; each says what was compared.</p>");
    items(out, &r.background, None);
    out.push_str("<h2 id=\"os-background\">OS background traffic</h2><p class=\"note\">The device's own traffic (connectivity checks, updates, browser services), not caused by the site and not counted in the findings.</p>");
    items(out, &r.os_background, None);
    out.push_str("<h2 id=\"background-or-site\">Browser or OS, possibly the site</h2><p class=\"note\">Names the browser or OS contacts on its own that sites also embed (browser sign-in, new-tab top sites): not counted as third parties in the findings, and not the site's either until an idle baseline of the same browser decides.</p>");
    items(out, &r.background_or_site, None);
    out.push_str("<h2 id=\"local\">Local network</h2>");
    items(out, &r.local, None);
}

fn dd(out: &mut String, k: &str, v: &str) {
    let _ = write!(out, "<dt>{}</dt><dd>{v}</dd>", e(k));
}

fn metadata(out: &mut String, r: &Report) {
    let s = &r.session;
    out.push_str("<h2 id=\"evidence\">Session and evidence</h2><dl class=\"meta\">");
    dd(out, "Session", &format!("{} — {}", s.id, e(&s.label)));
    if let Some(t) = baseline_line(s) {
        dd(out, "Baseline", &e(&t));
    }
    dd(out, "sporfri version", &e(&r.meta.sporfri_version));
    let sig = &r.meta.signatures;
    let mut sigs = format!(
        "<span class=\"attribution\" data-attribution=\"{}\">{}</span><br>builtin: sha256 {} ({} files)",
        word(&sig.attribution),
        e(&super::describe(sig)),
        e(&sig.builtin.sha256),
        sig.builtin.files
    );
    for l in &sig.extra {
        let _ = write!(
            sigs,
            "<br>{}: sha256 {} ({} files)",
            e(&l.label),
            e(&l.sha256),
            l.files
        );
    }
    if let Some(p) = &sig.site {
        let _ = write!(
            sigs,
            "<br>site profile {}: sha256 {}",
            e(&p.file),
            e(&p.sha256)
        );
    }
    if let Some(rec) = &r.meta.recorded_signatures {
        let _ = write!(sigs, "<br>recorded with: {}", e(&super::describe_set(rec)));
    }
    let _ = write!(sigs, "<br><span class=\"note\">{}</span>", e(&sig.note));
    dd(out, "Signatures", &sigs);
    match &s.source {
        Source::File { path, sha256 } => {
            dd(
                out,
                "Capture file",
                &format!("{}<br>sha256 {}", e(path), e(sha256)),
            );
        }
        Source::Interface { name } => dd(out, "Interface", &e(name)),
    }
    dd(out, "State", &e(&word(&s.state)));
    if let Some(w) = &s.started {
        dd(out, "First packet", &when(w));
    }
    if let Some(w) = &s.ended {
        dd(out, "Last packet", &when(w));
    }
    dd(
        out,
        "Packets / contacts",
        &format!("{} / {}", s.stats.packets, s.stats.contacts),
    );
    let mut devs = String::new();
    for d in &s.devices {
        let ips: Vec<String> = d.ips.iter().map(ToString::to_string).collect();
        let host = d
            .host_name
            .as_deref()
            .map(|h| format!(" ({})", e(h)))
            .unwrap_or_default();
        let _ = write!(
            devs,
            "<div class=\"device\">{} {}{host}</div>",
            e(&d.device),
            e(&ips.join(" "))
        );
    }
    dd(out, "Devices", &devs);
    let mut marks = String::new();
    for m in &s.marks {
        let _ = write!(
            marks,
            "<div class=\"markline\" data-kind=\"{}\">+{:.3} s {} {} — {} / {}</div>",
            m.kind,
            m.offset_s,
            m.kind,
            e(m.text.as_deref().unwrap_or("")),
            e(&m.at.utc),
            e(&m.at.local)
        );
    }
    dd(out, "Marks", if marks.is_empty() { "none" } else { &marks });
    if let Some(p) = &r.site {
        let mut site = format!(
            "{} — {} ({}, {})<br>mandatory self-service solution: {}<br>first party: {}",
            e(&p.name),
            e(&p.title),
            e(&p.owner),
            e(&p.country),
            if p.mandatory_self_service {
                "yes"
            } else {
                "no"
            },
            e(&p.first_party.join(", "))
        );
        for a in &p.allowed {
            let _ = write!(
                site,
                "<br>allowed: {} — {} ({})",
                e(&a.domains.join(", ")),
                e(&a.reason),
                e(&a.reference)
            );
        }
        dd(out, "Site profile", &site);
    }
    out.push_str("</dl>");
}

/// `Compared with baseline 3 "idle" (...)`, or that the session is a baseline itself.
pub(super) fn baseline_line(s: &super::SessionInfo) -> Option<String> {
    if s.baseline {
        return Some("This session is an idle baseline (the device on its own).".to_owned());
    }
    s.against_text
        .as_ref()
        .map(|t| format!("Compared with {t}."))
}

/// The report as one HTML document.
pub fn render(r: &Report) -> String {
    let s = &r.session;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>sporfri report: session {} — {}</title><style>{CSS}</style></head><body>\
         <h1>sporfri report: session {} — {}</h1>",
        s.id,
        e(&s.label),
        s.id,
        e(&s.label)
    );
    let _ = write!(
        out,
        "<p class=\"headline{}\" data-tracking-free=\"{}\">{}</p>",
        if r.summary.tracking_free { " free" } else { "" },
        r.summary.tracking_free,
        e(&r.summary.headline)
    );
    if let Some(t) = baseline_line(s) {
        let _ = write!(out, "<p class=\"baseline\">{}</p>", e(&t));
    }
    out.push_str("<h2 id=\"verdict\">Verdict: findings</h2>");
    for f in &r.findings {
        finding(&mut out, f);
    }
    out.push_str("<h2 id=\"caveats\">Caveats</h2><ul class=\"caveats\">");
    for c in &r.caveats {
        let _ = write!(out, "<li>{}</li>", e(c));
    }
    out.push_str("</ul><h2 id=\"timeline\">Timeline</h2>");
    out.push_str(&timeline(r));
    out.push_str("<p class=\"note\">Rows: organisations by party (orange third, blue first, grey OS background, purple unknown, green local). Lines: red consent-rejected, green consent-accepted, dashed page marks.</p>");
    tables(&mut out, r);
    metadata(&mut out, r);
    out.push_str("<h2 id=\"frame\">Frame</h2>");
    for p in &r.frame {
        let _ = write!(out, "<p class=\"frame\">{}</p>", e(p));
    }
    out.push_str("</body></html>\n");
    out
}
