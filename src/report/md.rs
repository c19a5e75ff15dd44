//! Markdown rendering: the same sections as the HTML report, without the chart.

use std::fmt::Write;

use super::esc::md as e;
use super::finding::word;
use super::{CookieRow, Finding, Item, Report, When};
use crate::session::Source;

fn join<T: serde::Serialize>(v: &[T]) -> String {
    v.iter().map(word).collect::<Vec<_>>().join(", ")
}

fn when(w: &When) -> String {
    format!("{} ({})", e(&w.utc), e(&w.local))
}

fn evidence(i: &Item) -> String {
    super::evidence::lines(&i.via_evidence, &i.evidence).join("; ")
}

fn items(out: &mut String, items: &[Item]) {
    let _ = writeln!(
        out,
        "\n| Name | Organisation | Category | Phase | First seen | Device | Evidence | Detail |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for i in items {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} (+{:.3} s) | {} | {}: {} | {} |",
            e(&i.name),
            e(i.org.as_deref().unwrap_or("-")),
            i.category.map(|c| word(&c)).unwrap_or_else(|| "-".into()),
            i.phase.as_str(),
            when(&i.first_seen),
            i.offset_s,
            e(&i.device),
            e(&i.evidence_kinds.join(" ")),
            e(&evidence(i)),
            e(i.detail.as_deref().unwrap_or("")),
        );
    }
}

fn finding(out: &mut String, f: &Finding) {
    let _ = writeln!(
        out,
        "\n### {}. {} — {}\n\n{}",
        f.number,
        e(&f.title),
        f.status.as_str(),
        e(&f.statement)
    );
    if !f.items.is_empty() {
        items(out, &f.items);
    }
    if !f.declared.is_empty() {
        let _ = writeln!(out, "\nDeclared in the site profile:");
        items(out, &f.declared);
    }
    if !f.cookies.is_empty() {
        let _ = writeln!(out, "\nCookies:");
        cookies(out, &f.cookies);
    }
}

/// `90.00 days`, `session`, or `deleted`.
pub(super) fn lifetime(c: &CookieRow) -> String {
    match (c.lifetime_s, c.lifetime_days) {
        (None, _) => "session".to_owned(),
        (Some(s), _) if s <= 0 => "deleted".to_owned(),
        (Some(_), Some(d)) => format!("{d:.2} days"),
        (Some(s), None) => format!("{s} s"),
    }
}

/// `Secure HttpOnly SameSite=None; domain .x`.
pub(super) fn attributes(c: &CookieRow) -> String {
    let mut a = Vec::new();
    if c.secure {
        a.push("Secure".to_owned());
    }
    if c.http_only {
        a.push("HttpOnly".to_owned());
    }
    if let Some(s) = &c.same_site {
        a.push(format!("SameSite={s}"));
    }
    if let Some(d) = &c.domain {
        a.push(format!("Domain={d}"));
    }
    a.join(" ")
}

fn cookies(out: &mut String, cookies: &[CookieRow]) {
    let _ = writeln!(
        out,
        "\n| Cookie | Set by | Organisation | Lifetime | Phase | Set at | Device | Attributes |\n|---|---|---|---|---|---|---|---|"
    );
    for c in cookies {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} (+{:.3} s) | {} | {} |",
            e(&c.name),
            e(&c.host),
            e(c.org.as_deref().unwrap_or("-")),
            lifetime(c),
            c.phase.as_str(),
            when(&c.time),
            c.offset_s,
            e(&c.device),
            e(&attributes(c)),
        );
    }
}

fn cookies_and_requests(out: &mut String, r: &Report) {
    let s = &r.cookies_and_requests;
    let _ = writeln!(out, "\n## Cookies and requests\n");
    let _ = writeln!(out, "{}", super::requests::summary_line(s));
    if s.decrypted_requests + s.plain_requests == 0 {
        return;
    }
    for p in &s.third_parties {
        let _ = writeln!(out, "\n### {}\n", e(&p.label));
        let _ = writeln!(out, "- hosts: {}", e(&p.hosts.join(" ")));
        let _ = writeln!(out, "- categories: {}", join(&p.categories));
        let _ = writeln!(out, "- page addresses sent: {}", e(&p.pages_sent.join(" ")));
        let _ = writeln!(out, "- cookies read back: {}", e(&p.cookies_read.join(" ")));
        if !p.cookies_set.is_empty() {
            cookies(out, &p.cookies_set);
        }
        let _ = writeln!(
            out,
            "\n| Time | Phase | Method | URL | Status | Tracker endpoint | Page sent |\n|---|---|---|---|---|---|---|"
        );
        for q in &p.requests {
            let _ = writeln!(
                out,
                "| {} (+{:.3} s) | {} | {} | {} | {} | {} | {} |",
                e(&q.time.utc),
                q.offset_s,
                q.phase.as_str(),
                e(&q.method),
                e(&q.url),
                q.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                e(q.tracker_endpoint.as_deref().unwrap_or("-")),
                e(q.page.as_deref().unwrap_or("-")),
            );
        }
        if p.requests_not_listed > 0 {
            let _ = writeln!(
                out,
                "\n{} more request(s) not listed.",
                p.requests_not_listed
            );
        }
    }
}

fn header(out: &mut String, r: &Report) {
    let s = &r.session;
    let _ = writeln!(
        out,
        "# sporfri report: session {} — {}\n\n**{}**",
        s.id,
        e(&s.label),
        e(&r.summary.headline)
    );
    if let Some(t) = baseline_line(s) {
        let _ = writeln!(out, "\n{}", e(&t));
    }
    let _ = writeln!(out, "\n## Verdict");
    for f in &r.findings {
        finding(out, f);
    }
    let _ = writeln!(out, "\n## Frame\n");
    for p in &r.frame {
        let _ = writeln!(out, "- {}", e(p));
    }
    let _ = writeln!(out, "\n## Caveats\n");
    for c in &r.caveats {
        let _ = writeln!(out, "- {}", e(c));
    }
}

fn tables(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "\n## By organisation\n\n| Organisation | Party | Categories | Phases | Names | First seen | Evidence kinds | Declared |\n|---|---|---|---|---|---|---|---|"
    );
    for o in &r.organisations {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            e(&o.label),
            o.party.as_str(),
            join(&o.categories),
            join(&o.phases),
            e(&o.names.join(" ")),
            when(&o.first_seen),
            e(&o.evidence_kinds.join(" ")),
            e(&o.declared.join("; ")),
        );
    }
    let _ = writeln!(
        out,
        "\n## By category\n\n| Category | Tracking | Organisations | Phases | Names | First seen | Evidence kinds |\n|---|---|---|---|---|---|---|"
    );
    for c in &r.categories {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            e(&c.label),
            if c.tracking { "yes" } else { "no" },
            e(&c.organisations.join("; ")),
            join(&c.phases),
            e(&c.names.join(" ")),
            when(&c.first_seen),
            e(&c.evidence_kinds.join(" ")),
        );
    }
    cookies_and_requests(out, r);
    let _ = writeln!(
        out,
        "\n## Background (seen while idle)\n\nWhat the device did on its own: names its idle \
         baseline saw, and names first seen before the visit mark, whose traffic did not grow \
         with the visit. Not counted in findings 1 to 3:"
    );
    items(out, &r.background);
    let _ = writeln!(
        out,
        "\n## OS background traffic\n\nThe device's own traffic, not caused by the site:"
    );
    items(out, &r.os_background);
    let _ = writeln!(
        out,
        "\n## Browser or OS, possibly the site\n\nNames the browser or OS contacts on its own \
         that sites also embed: not counted as third parties, not the site's either until an \
         idle baseline of the same browser decides:"
    );
    items(out, &r.background_or_site);
    let _ = writeln!(out, "\n## Local network");
    items(out, &r.local);
}

/// The session and evidence section: version, signatures, capture, state, marks, devices.
fn metadata(out: &mut String, r: &Report) {
    let s = &r.session;
    let _ = writeln!(out, "\n## Session and evidence\n");
    let _ = writeln!(out, "- sporfri version: {}", e(&r.meta.sporfri_version));
    if let Some(t) = baseline_line(s) {
        let _ = writeln!(out, "- baseline: {}", e(&t));
    }
    signatures(out, r);
    match &s.source {
        Source::File { path, sha256 } => {
            let _ = writeln!(out, "- capture file: {} sha256 {}", e(path), e(sha256));
        }
        Source::Interface { name } => {
            let _ = writeln!(out, "- interface: {}", e(name));
        }
    }
    let _ = writeln!(
        out,
        "- site profile: {}",
        e(s.site.as_deref().unwrap_or("-"))
    );
    let _ = writeln!(out, "- state: {}", word(&s.state));
    if let Some(w) = &s.started {
        let _ = writeln!(out, "- first packet: {}", when(w));
    }
    if let Some(w) = &s.ended {
        let _ = writeln!(out, "- last packet: {}", when(w));
    }
    let _ = writeln!(
        out,
        "- packets: {}, contacts: {}",
        s.stats.packets, s.stats.contacts
    );
    marks_and_devices(out, s);
}

/// The signature sets the attribution used (and the one recorded with the session), with hashes.
fn signatures(out: &mut String, r: &Report) {
    let sig = &r.meta.signatures;
    let _ = writeln!(out, "- attribution: {}", e(&super::describe(sig)));
    let _ = writeln!(
        out,
        "- signatures: builtin sha256 {} ({} files)",
        sig.builtin.sha256, sig.builtin.files
    );
    for l in &sig.extra {
        let _ = writeln!(
            out,
            "- signatures: {} sha256 {} ({} files)",
            e(&l.label),
            l.sha256,
            l.files
        );
    }
    if let Some(p) = &sig.site {
        let _ = writeln!(
            out,
            "- site profile file: {} sha256 {}",
            e(&p.file),
            p.sha256
        );
    }
    if let Some(rec) = &r.meta.recorded_signatures {
        let _ = writeln!(out, "- recorded with: {}", e(&super::describe_set(rec)));
    }
}

/// The consent and visit marks, then the devices with their addresses and host names.
fn marks_and_devices(out: &mut String, s: &super::SessionInfo) {
    for m in &s.marks {
        let _ = writeln!(
            out,
            "- mark {} at {} (+{:.3} s) {}",
            m.kind,
            when(&m.at),
            m.offset_s,
            e(m.text.as_deref().unwrap_or(""))
        );
    }
    for d in &s.devices {
        let ips: Vec<String> = d.ips.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "- device {} {} {}",
            e(&d.device),
            ips.join(" "),
            e(d.host_name.as_deref().unwrap_or(""))
        );
    }
}

/// The report as Markdown.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    header(&mut out, r);
    tables(&mut out, r);
    metadata(&mut out, r);
    out
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
