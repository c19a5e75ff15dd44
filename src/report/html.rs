//! HTML rendering: one self-contained file (inline CSS and SVG, no scripts, no external assets),
//! readable on a phone and printable. Every string is escaped.

use std::fmt::Write;

use super::cells::{Page, Table, time_short, when_short};
use super::esc::html as e;
use super::finding::word;
use super::md::{attributes, lifetime};
use super::svg::timeline;
use super::{CookieRow, Finding, Item, Report, SessionInfo, SiteInfo, When};
use crate::session::Source;

/// The stylesheet, inline in every report (and the diff): the page is one file.
pub(super) const CSS: &str = include_str!("html.css");

/// A full instant: UTC, and Copenhagen below it (session metadata).
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

/// The kinds of evidence, opening onto one line per observation (full UTC times, flows).
fn evidence(i: &Item) -> String {
    let kinds = e(&i.evidence_kinds.join(" "));
    let lines = super::evidence::lines(&i.via_evidence, &i.evidence);
    if lines.is_empty() {
        return kinds;
    }
    let mut s = format!("<details class=\"ev\"><summary>{kinds}</summary>");
    for line in lines {
        let _ = write!(s, "<div>{}</div>", e(&line));
    }
    s.push_str("</details>");
    s
}

/// Organisation, service and category in one cell.
fn who(i: &Item) -> String {
    let mut s = e(i.org.as_deref().unwrap_or("–"));
    let mut second = Vec::new();
    if let Some(service) = &i.service {
        second.push(format!("<span class=\"note\">{}</span>", e(service)));
    }
    if let Some(c) = i.category {
        let tracking = if super::is_tracking(c) {
            " tracking"
        } else {
            ""
        };
        second.push(format!(
            "<span class=\"cat{tracking}\">{}</span>",
            e(&word(&c))
        ));
    }
    if !second.is_empty() {
        let _ = write!(s, "<br>{}", second.join(" · "));
    }
    s
}

fn items(out: &mut String, page: &Page, items: &[Item], finding: Option<u8>) {
    let mut heads = vec![
        "Name",
        "Organisation / service / category",
        "Phase, first seen",
    ];
    if page.devices > 1 {
        heads.push("Device");
    }
    heads.extend(["Evidence", "Detail"]);
    let table = Table::open(out, "items", heads);
    for i in items {
        let mut attr = format!(
            " class=\"item\" data-name=\"{}\" data-phase=\"{}\"",
            e(&i.name),
            i.phase.as_str()
        );
        if let Some(n) = finding {
            let _ = write!(attr, " data-finding=\"{n}\"");
        }
        if let Some(b) = i.blocked {
            let _ = write!(attr, " data-blocked=\"{}\"", b.as_str());
        }
        let mut cells = vec![
            ("name", e(&i.name)),
            ("", who(i)),
            (
                "when",
                format!(
                    "{}<br>{}",
                    i.phase.as_str(),
                    when_short(page, &i.first_seen, i.offset_s)
                ),
            ),
        ];
        if page.devices > 1 {
            cells.push(("dev", e(&i.device)));
        }
        cells.push(("", evidence(i)));
        cells.push(("detail", e(i.detail.as_deref().unwrap_or(""))));
        table.row(out, &attr, &cells);
    }
    Table::close(out);
}

/// A group of items apart from the findings: one line when empty, collapsed when `collapse`
/// (the device's own traffic: counted, listed, out of the way).
fn group(out: &mut String, page: &Page, id: &str, title: &str, note: &str, list: &[Item]) {
    if list.is_empty() {
        let _ = write!(
            out,
            "<h2 id=\"{id}\" class=\"empty\">{}: none</h2>",
            e(title)
        );
        return;
    }
    let _ = write!(out, "<h2 id=\"{id}\">{}</h2>", e(title));
    if !note.is_empty() {
        let _ = write!(out, "<p class=\"note\">{}</p>", e(note));
    }
    let names: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
    let _ = write!(
        out,
        "<details class=\"group\"><summary>{}: {}</summary>",
        e(&crate::text::count(list.len() as u64, "name")),
        e(&names.join(", "))
    );
    items(out, page, list, None);
    out.push_str("</details>");
}

fn finding(out: &mut String, page: &Page, f: &Finding) {
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
        items(out, page, &f.items, Some(f.number));
    }
    if !f.declared.is_empty() {
        out.push_str("<p>Declared in the site profile's allowed list:</p>");
        items(out, page, &f.declared, None);
    }
    if !f.cookies.is_empty() {
        out.push_str("<p>Cookies:</p>");
        cookies(out, page, &f.cookies);
    }
    out.push_str("</section>");
}

fn cookies(out: &mut String, page: &Page, cookies: &[CookieRow]) {
    let mut heads = vec![
        "Cookie",
        "Set by",
        "Organisation",
        "Lifetime",
        "Phase",
        "Set at",
    ];
    if page.devices > 1 {
        heads.push("Device");
    }
    heads.push("Attributes");
    let table = Table::open(out, "cookies", heads);
    for c in cookies {
        let attrs = format!(
            " class=\"cookie\" data-host=\"{}\" data-cookie=\"{}\" data-lifetime-s=\"{}\" data-phase=\"{}\"",
            e(&c.host),
            e(&c.name),
            c.lifetime_s.map(|s| s.to_string()).unwrap_or_default(),
            c.phase.as_str(),
        );
        let mut cells = vec![
            ("name", e(&c.name)),
            ("name", e(&c.host)),
            ("", e(c.org.as_deref().unwrap_or("–"))),
            ("", e(&lifetime(c))),
            ("", c.phase.as_str().to_owned()),
            ("when", when_short(page, &c.time, c.offset_s)),
        ];
        if page.devices > 1 {
            cells.push(("dev", e(&c.device)));
        }
        cells.push(("", e(&attributes(c))));
        table.row(out, &attrs, &cells);
    }
    Table::close(out);
}

/// `a b c`, or `–` for none.
fn words(v: &[String]) -> String {
    if v.is_empty() {
        "–".to_owned()
    } else {
        e(&v.join(" "))
    }
}

fn cookies_and_requests(out: &mut String, page: &Page, r: &Report) {
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
        // What was sent and kept is in the summary line; the requests open below it.
        let shown = p.requests.len() + p.requests_not_listed;
        let _ = write!(
            out,
            "<section class=\"party-requests\" data-org=\"{}\"><details><summary><h3>{}</h3> \
             <span class=\"note\">{}, {} set</span></summary><p>Hosts: <span class=\"ev\">{}</span>\
             <br>Page addresses sent: <span class=\"ev\">{}</span><br>Cookies read back: {}</p>",
            e(&p.label),
            e(&p.label),
            e(&crate::text::count(shown as u64, "request")),
            e(&crate::text::count(p.cookies_set.len() as u64, "cookie")),
            e(&p.hosts.join(" ")),
            words(&p.pages_sent),
            words(&p.cookies_read),
        );
        if !p.cookies_set.is_empty() {
            cookies(out, page, &p.cookies_set);
        }
        let table = Table::open(
            out,
            "requests",
            vec![
                "Time",
                "Phase",
                "Method",
                "URL",
                "Status",
                "Tracker endpoint",
                "Page sent",
            ],
        );
        for q in &p.requests {
            let attrs = format!(" class=\"request\" data-phase=\"{}\"", q.phase.as_str());
            let status = q.status.map_or_else(|| "–".into(), |s| s.to_string());
            table.row(
                out,
                &attrs,
                &[
                    ("when", when_short(page, &q.time, q.offset_s)),
                    ("", q.phase.as_str().to_owned()),
                    ("", e(&q.method)),
                    ("name", e(&q.url)),
                    ("", status),
                    ("", e(q.tracker_endpoint.as_deref().unwrap_or("–"))),
                    ("name", e(q.page.as_deref().unwrap_or("–"))),
                ],
            );
        }
        Table::close(out);
        if p.requests_not_listed > 0 {
            let _ = write!(
                out,
                "<p class=\"note\">{} more request(s) not listed.</p>",
                p.requests_not_listed
            );
        }
        out.push_str("</details></section>");
    }
}

fn organisations(out: &mut String, page: &Page, r: &Report) {
    out.push_str("<h2 id=\"organisations\">By organisation</h2>");
    let table = Table::open(
        out,
        "organisations",
        vec![
            "Organisation",
            "Party",
            "Categories",
            "Phases",
            "Names",
            "First seen",
            "Evidence kinds",
            "Declared",
        ],
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
        let attrs = format!(
            " class=\"org\" data-org=\"{}\" data-party=\"{}\"",
            e(&o.label),
            o.party.as_str()
        );
        let party = format!("party-{}", o.party.as_str());
        table.row(
            out,
            &attrs,
            &[
                ("", format!("{}{flags}", e(&o.label))),
                (&party, o.party.as_str().to_owned()),
                ("", list(&o.categories)),
                ("", list(&o.phases)),
                ("name", e(&o.names.join(" "))),
                ("when", time_short(page, &o.first_seen)),
                ("", e(&o.evidence_kinds.join(" "))),
                ("", e(&o.declared.join("; "))),
            ],
        );
    }
    Table::close(out);
}

fn categories(out: &mut String, page: &Page, r: &Report) {
    out.push_str("<h2 id=\"categories\">By category</h2>");
    let table = Table::open(
        out,
        "categories",
        vec![
            "Category",
            "Tracking",
            "Organisations",
            "Phases",
            "Names",
            "First seen",
            "Evidence kinds",
        ],
    );
    for c in &r.categories {
        let attrs = format!(" class=\"category\" data-category=\"{}\"", e(&c.label));
        table.row(
            out,
            &attrs,
            &[
                ("", e(&c.label)),
                ("", (if c.tracking { "yes" } else { "no" }).to_owned()),
                ("", e(&c.organisations.join("; "))),
                ("", list(&c.phases)),
                ("name", e(&c.names.join(" "))),
                ("when", time_short(page, &c.first_seen)),
                ("", e(&c.evidence_kinds.join(" "))),
            ],
        );
    }
    Table::close(out);
}

fn tables(out: &mut String, page: &Page, r: &Report) {
    organisations(out, page, r);
    categories(out, page, r);
    cookies_and_requests(out, page, r);
    group(
        out,
        page,
        "background",
        "Background (seen while idle)",
        "What the device did on its own: names its idle baseline saw, and names first seen before the visit mark, whose traffic did not grow with the visit. Not counted in findings 1 to 3; each says what was compared.",
        &r.background,
    );
    group(
        out,
        page,
        "os-background",
        "OS background traffic",
        "The device's own traffic (connectivity checks, updates, browser services), not caused by the site and not counted in the findings.",
        &r.os_background,
    );
    group(
        out,
        page,
        "background-or-site",
        "Browser or OS, possibly the site",
        "Names the browser or OS contacts on its own that sites also embed (browser sign-in, new-tab top sites): not counted as third parties in the findings, and not the site's either until an idle baseline of the same browser decides.",
        &r.background_or_site,
    );
    group(out, page, "local", "Local network", "", &r.local);
}

fn dd(out: &mut String, k: &str, v: &str) {
    let _ = write!(out, "<dt>{}</dt><dd>{v}</dd>", e(k));
}

/// The session and evidence block: who recorded what, with which signatures, from which capture.
fn metadata(out: &mut String, r: &Report) {
    let s = &r.session;
    out.push_str("<h2 id=\"evidence\">Session and evidence</h2><dl class=\"meta\">");
    dd(out, "Session", &format!("{} — {}", s.id, e(&s.label)));
    if let Some(t) = super::md::baseline_line(s) {
        dd(out, "Baseline", &e(&t));
    }
    dd(out, "sporfri version", &e(&r.meta.sporfri_version));
    dd(out, "Signatures", &signatures(r));
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
    dd(out, "Devices", &devices(s));
    let list = marks(s);
    dd(out, "Marks", if list.is_empty() { "none" } else { &list });
    if let Some(p) = &r.site {
        dd(out, "Site profile", &site_profile(p));
    }
    out.push_str("</dl>");
}

/// The signature sets the attribution used (and the one recorded with the session), with hashes.
fn signatures(r: &Report) -> String {
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
    sigs
}

/// The devices of the session with their addresses and host names.
fn devices(s: &SessionInfo) -> String {
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
    devs
}

/// The consent and visit marks, each with its offset and wall-clock time.
fn marks(s: &SessionInfo) -> String {
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
    marks
}

/// The site profile: owner, mandatory self-service status, first party and allowed third parties.
fn site_profile(p: &SiteInfo) -> String {
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
    site
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
    if let Some(t) = super::md::baseline_line(s) {
        let _ = write!(out, "<p class=\"baseline\">{}</p>", e(&t));
    }
    let page = Page::of(r);
    out.push_str("<h2 id=\"verdict\">Verdict: findings</h2>");
    for f in &r.findings {
        finding(&mut out, &page, f);
    }
    out.push_str("<h2 id=\"caveats\">Caveats</h2><ul class=\"caveats\">");
    for c in &r.caveats {
        let _ = write!(out, "<li>{}</li>", e(c));
    }
    out.push_str("</ul><h2 id=\"timeline\">Timeline</h2>");
    out.push_str(&timeline(r));
    out.push_str("<p class=\"note\">Rows: organisations by party (orange third, blue first, grey OS background, purple unknown, green local). Lines: red consent-rejected, green consent-accepted, dashed page marks.</p>");
    tables(&mut out, &page, r);
    metadata(&mut out, r);
    out.push_str("<h2 id=\"frame\">Frame</h2>");
    for p in &r.frame {
        let _ = write!(out, "<p class=\"frame\">{}</p>", e(p));
    }
    out.push_str("</body></html>\n");
    out
}
