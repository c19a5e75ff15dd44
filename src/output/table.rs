//! A table for people: contacts grouped by device, internet first, then the local network.
//!
//! Columns are as wide as their widest cell in the device's block (every section of a block
//! shares them), so a long name or a contact seen every way (`dns,tls,quic,http,dns-cache`)
//! never shifts the columns after it. Times carry the full date with the year: a capture that
//! spans New Year (or a file replayed a year later) is never ambiguous, and a row copied out of
//! the table still says when. With [`Style::colour`], the party and category cells and the
//! name are coloured (ANSI SGR) by party and category, and the notes' alarms are bold; the
//! escapes are added after padding, so the columns align the same with and without them.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::attribute::{Category, Hidden, Party};
use crate::contact::{Contact, Device, Scope};
use crate::observation::{DeviceId, Ech};
use crate::session::{Background, BaselineFacts};
pub use crate::text::bytes;

/// A contact and what a recorded session's baseline and visit mark say of it (`None`: not
/// recorded).
pub type WithFacts<'a> = (&'a Contact, Option<&'a BaselineFacts>);

/// How the table is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours (for a terminal).
    pub colour: bool,
}

/// The groups of a device's block, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    /// Internet contacts.
    Internet,
    /// Seen while idle (the baseline) or before the visit mark: apart from the findings.
    Background,
    /// Names the browser or OS contacts on its own that sites also embed: apart.
    BackgroundOrSite,
    /// The local network.
    Local,
}

fn section(c: &Contact, facts: Option<&BaselineFacts>) -> Section {
    let background = facts.is_some_and(|f| f.background.is_some());
    match (c.scope, c.attribution.party) {
        (Scope::Local, _) => Section::Local,
        (Scope::Internet, _) if background => Section::Background,
        (Scope::Internet, Party::BackgroundOrSite) => Section::BackgroundOrSite,
        (Scope::Internet, _) => Section::Internet,
    }
}

/// Widest organisation shown; longer ones are cut with an ellipsis (the name beside it, never
/// cut, is the evidence).
const MAX_ORG: usize = 28;
/// Width of the time column: `2024-11-27T10:03:08.236`.
const TIME: usize = 23;

/// Column widths of one device's block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Widths {
    category: usize,
    org: usize,
    name: usize,
    via: usize,
}

impl Widths {
    /// As wide as the widest cell (and the heading) of each column.
    fn of(rows: &[WithFacts<'_>]) -> Widths {
        let mut w = Widths {
            category: "CATEGORY".len(),
            org: "ORGANISATION".len(),
            name: "NAME".len(),
            via: "VIA".len(),
        };
        for (c, _) in rows {
            let a = &c.attribution;
            w.category = w.category.max(a.category.map_or(0, |k| k.as_str().len()));
            w.org = w.org.max(org(c).chars().count());
            w.name = w.name.max(c.name.chars().count());
            w.via = w.via.max(via(c).len());
        }
        w
    }
}

/// Write contacts grouped by device: internet contacts, then the names the browser or OS may
/// have contacted on its own, then the local network (each in the order given).
pub fn write(
    out: &mut impl Write,
    contacts: &[&Contact],
    devices: &BTreeMap<DeviceId, Device>,
    style: Style,
) -> io::Result<()> {
    let rows: Vec<WithFacts<'_>> = contacts.iter().map(|c| (*c, None)).collect();
    write_with(out, &rows, devices, style)
}

/// [`write`] for a recorded session: contacts seen while idle or before the visit mark get a
/// section of their own after the internet contacts, and every row says what the baseline
/// said of it.
pub fn write_with(
    out: &mut impl Write,
    contacts: &[WithFacts<'_>],
    devices: &BTreeMap<DeviceId, Device>,
    style: Style,
) -> io::Result<()> {
    if contacts.is_empty() {
        return writeln!(out, "no contacts found");
    }
    let mut blocks: BTreeMap<DeviceId, Vec<WithFacts<'_>>> = BTreeMap::new();
    for &(c, f) in contacts {
        blocks.entry(c.device).or_default().push((c, f));
    }
    for (i, (id, mut rows)) in blocks.into_iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        // Stable: within a section the given order stays.
        rows.sort_by_key(|(c, f)| section(c, *f));
        device_header(out, id, devices.get(&id))?;
        let widths = Widths::of(&rows);
        let mut current = None;
        for (c, f) in rows {
            let s = section(c, f);
            if current != Some(s) {
                current = Some(s);
                section_header(out, s, widths)?;
            }
            row(out, c, f, widths, style)?;
        }
    }
    Ok(())
}

fn section_header(out: &mut impl Write, s: Section, w: Widths) -> io::Result<()> {
    match s {
        Section::Internet => {}
        Section::Background => writeln!(
            out,
            "  -- background (seen while idle, or before the visit mark): not in findings 1-3 --"
        )?,
        Section::BackgroundOrSite => writeln!(
            out,
            "  -- browser or OS, possibly the site (contacted by the browser on its own; sites embed them too) --"
        )?,
        Section::Local => writeln!(
            out,
            "  -- local network (mDNS, LLMNR, local-only names, LAN addresses without a name) --"
        )?,
    }
    writeln!(
        out,
        "  {:<TIME$} {:<5} {:<cw$} {:<ow$} {:<nw$} {:<vw$} {:>5} {:>8} {:>8}  NOTES; SERVERS",
        "FIRST (UTC)",
        "PARTY",
        "CATEGORY",
        "ORGANISATION",
        "NAME",
        "VIA",
        "FLOWS",
        "UP",
        "DOWN",
        cw = w.category,
        ow = w.org,
        nw = w.name,
        vw = w.via,
    )
}

fn device_header(out: &mut impl Write, id: DeviceId, dev: Option<&Device>) -> io::Result<()> {
    write!(out, "device {id}")?;
    if let Some(d) = dev {
        if let Some(h) = &d.host_name {
            write!(out, " \"{h}\"")?;
        }
        if let Some(v) = &d.vendor_class {
            write!(out, " ({v})")?;
        }
        if !d.ips.is_empty() {
            write!(out, "  ips {}", join(d.ips.iter()))?;
        }
        if !d.resolvers.is_empty() {
            write!(out, "  dns via {}", join(d.resolvers.iter()))?;
        }
    }
    writeln!(out)
}

fn via(c: &Contact) -> String {
    c.via
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn org(c: &Contact) -> String {
    clip(c.attribution.org.as_deref().unwrap_or(""), MAX_ORG)
}

fn party_word(p: Party) -> &'static str {
    match p {
        Party::First => "first",
        Party::Third => "third",
        Party::OsBackground => "os",
        Party::BackgroundOrSite => "bg?",
        Party::Local => "local",
        Party::Unknown => "?",
    }
}

fn row(
    out: &mut impl Write,
    c: &Contact,
    facts: Option<&BaselineFacts>,
    w: Widths,
    style: Style,
) -> io::Result<()> {
    let first = c.first_seen.rfc3339();
    let a = &c.attribution;
    let category = a.category.map(Category::as_str).unwrap_or_default();
    let party_sgr = style.colour.then(|| party_colour(a.party)).flatten();
    let category_sgr = style.colour.then(|| a.category.and_then(category_colour));
    let line = format!(
        "  {:<TIME$} {} {} {:<ow$} {} {:<vw$} {:>5} {:>8} {:>8}  {}",
        // Date with the year, time to the millisecond.
        first.get(..TIME).unwrap_or(&first),
        paint(&format!("{:<5}", party_word(a.party)), party_sgr),
        paint(
            &format!("{category:<cw$}", cw = w.category),
            category_sgr.flatten()
        ),
        org(c),
        paint(&format!("{:<nw$}", c.name, nw = w.name), party_sgr),
        via(c),
        c.flows,
        bytes(c.bytes_up),
        bytes(c.bytes_down),
        notes(c, facts, style),
        ow = w.org,
        vw = w.via,
    );
    writeln!(out, "{}", line.trim_end())
}

/// Bold (`1`), and the colours of the 8-colour ANSI palette every terminal has.
const BOLD: &str = "1";

/// Third parties stand out; the site itself is calm; what the device does on its own recedes.
fn party_colour(p: Party) -> Option<&'static str> {
    match p {
        Party::Third => Some("1;33"),
        Party::Unknown => Some("1;35"),
        Party::First => Some("34"),
        Party::OsBackground => Some("2"),
        Party::BackgroundOrSite => Some("35"),
        Party::Local => Some("32"),
    }
}

/// Tracking categories red, consent management yellow, infrastructure cyan, the device's own
/// services dim.
fn category_colour(c: Category) -> Option<&'static str> {
    match c {
        Category::Analytics
        | Category::Advertising
        | Category::Social
        | Category::TagManager
        | Category::SessionReplay => Some("31"),
        Category::ConsentManagement => Some("33"),
        Category::Cdn
        | Category::Fonts
        | Category::Video
        | Category::Maps
        | Category::CaptchaSecurity
        | Category::Widget
        | Category::IdentityLogin
        | Category::DnsResolver => Some("36"),
        Category::OsBackground => Some("2"),
        Category::PublicSector => None,
    }
}

/// `text` between an SGR escape and a reset, or as it is.
fn paint(text: &str, sgr: Option<&str>) -> String {
    match sgr {
        Some(code) => format!("\x1b[{code}m{text}\x1b[0m"),
        None => text.to_owned(),
    }
}

/// What a reader must not miss about a row, shortest first where it can be: cloaked or hidden
/// traffic, a lookup the network blocked (with the answer that says so), a public name on a
/// private address, a browser's own service, ECH, declarations, then the server addresses.
fn notes(c: &Contact, facts: Option<&BaselineFacts>, style: Style) -> String {
    let a = &c.attribution;
    let alarm = |s: String| paint(&s, style.colour.then_some(BOLD));
    let mut n: Vec<String> = Vec::new();
    if let Some(f) = facts {
        n.extend(baseline_note(f));
    }
    if let Some(cloak) = &a.cloaked {
        n.push(alarm(format!("CLOAKED via {}", cloak.target)));
    }
    match a.hidden {
        Some(Hidden::QuicUnreadable) if !c.quic_unreadable.is_empty() => {
            let versions: Vec<String> = c
                .quic_unreadable
                .iter()
                .map(|v| format!("{v:#010x}"))
                .collect();
            n.push(alarm(format!(
                "HIDDEN: quic-unreadable {}",
                versions.join(",")
            )));
        }
        Some(h) => n.push(alarm(format!("HIDDEN: {}", h.as_str()))),
        None => {}
    }
    match (&c.blocked, &c.blocked_answer) {
        // The kind says the response code; the answer adds the question, any sinkhole
        // address and the resolver: `BLOCKED sinkhole: A 0.0.0.0 from 192.168.1.2`.
        (Some(b), Some(answer)) => {
            let addresses: String = answer.addresses.iter().map(|a| format!(" {a}")).collect();
            n.push(alarm(format!(
                "BLOCKED {}: {}{addresses} from {}",
                b.as_str(),
                answer.qtype,
                answer.resolver
            )));
        }
        (Some(b), None) => n.push(alarm(format!("BLOCKED {}", b.as_str()))),
        (None, _) if c.resolved_private => n.push("private address".into()),
        (None, _) => {}
    }
    // The section (or the party `os`) already says whose; the note says which browser.
    if let Some(b) = &a.browser_background {
        n.push(format!("browser: {b}"));
    }
    // Real ECH hides the name, so it is usually also the `hidden` reason: say it once.
    if c.ech == Some(Ech::Real) && a.hidden != Some(Hidden::Ech) {
        n.push("ech".into());
    }
    if a.declared.is_some() {
        n.push("declared by site".into());
    }
    let mut servers = c.server_ips.iter();
    match (servers.next(), c.server_ips.len()) {
        (None, _) => {}
        (Some(ip), 1) => n.push(ip.to_string()),
        (Some(ip), k) => n.push(format!("{ip} +{}", k - 1)),
    }
    n.join("; ")
}

/// What the baseline and the visit mark said of a row.
fn baseline_note(f: &BaselineFacts) -> Option<String> {
    let id = if f.compared() {
        format!(" ({})", f.baseline_words())
    } else {
        String::new()
    };
    match f.background {
        Some(Background::SeenWhileIdle) => Some(format!("seen while idle{id}")),
        Some(Background::BeforeVisit) => Some("before the visit".to_owned()),
        None if f.also_seen_while_idle => Some(format!("ALSO SEEN WHILE IDLE, grew{id}")),
        None => None,
    }
}

/// At most `width` characters, with an ellipsis when cut.
fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn join<T: ToString>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
