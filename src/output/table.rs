//! A table for people: contacts grouped by device, internet first, then the local network.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::attribute::{Category, Hidden, Party};
use crate::contact::{Contact, Device, Scope};
use crate::observation::{DeviceId, Ech};
use crate::session::{Background, BaselineFacts};

/// A contact and what a recorded session's baseline and visit mark say of it (`None`: not
/// recorded).
pub type WithFacts<'a> = (&'a Contact, Option<&'a BaselineFacts>);

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

/// Write contacts grouped by device: internet contacts, then the names the browser or OS may
/// have contacted on its own, then the local network (each in the order given).
pub fn write(
    out: &mut impl Write,
    contacts: &[&Contact],
    devices: &BTreeMap<DeviceId, Device>,
) -> io::Result<()> {
    let rows: Vec<WithFacts<'_>> = contacts.iter().map(|c| (*c, None)).collect();
    write_with(out, &rows, devices)
}

/// [`write`] for a recorded session: contacts seen while idle or before the visit mark get a
/// section of their own after the internet contacts, and every row says what the baseline
/// said of it.
pub fn write_with(
    out: &mut impl Write,
    contacts: &[WithFacts<'_>],
    devices: &BTreeMap<DeviceId, Device>,
) -> io::Result<()> {
    if contacts.is_empty() {
        return writeln!(out, "no contacts found");
    }
    let section = |(c, f): &WithFacts<'_>| section(c, *f);
    let mut ordered: Vec<WithFacts<'_>> = contacts.to_vec();
    // Stable: within a device and section the given order stays.
    ordered.sort_by_key(|r| (r.0.device, section(r)));
    let mut current: Option<(DeviceId, Section)> = None;
    for r in ordered {
        let c = r.0;
        if current.map(|(d, _)| d) != Some(c.device) {
            if current.is_some() {
                writeln!(out)?;
            }
            device_header(out, c.device, devices.get(&c.device))?;
            current = None;
        }
        if current != Some((c.device, section(&r))) {
            match section(&r) {
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
                "  {:<18} {:<5} {:<18} {:<22} {:<38} {:<13} {:>5} {:>8} {:>8}  NOTES",
                "FIRST (UTC)",
                "PARTY",
                "CATEGORY",
                "ORGANISATION",
                "NAME",
                "VIA",
                "FLOWS",
                "UP",
                "DOWN"
            )?;
            current = Some((c.device, section(&r)));
        }
        row(out, c, r.1)?;
    }
    Ok(())
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

fn row(out: &mut impl Write, c: &Contact, facts: Option<&BaselineFacts>) -> io::Result<()> {
    let first = c.first_seen.rfc3339();
    let via = c
        .via
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let a = &c.attribution;
    let party = match a.party {
        Party::First => "first",
        Party::Third => "third",
        Party::OsBackground => "os",
        Party::BackgroundOrSite => "bg?",
        Party::Local => "local",
        Party::Unknown => "?",
    };
    let category = a.category.map(Category::as_str).unwrap_or_default();
    let org = a.org.as_deref().unwrap_or("");
    let line = format!(
        "  {:<18} {:<5} {:<18} {:<22} {:<38} {:<13} {:>5} {:>8} {:>8}  {}",
        // Month, day and time to the millisecond.
        first.get(5..23).unwrap_or(&first),
        party,
        category,
        clip(org, 22),
        c.name,
        via,
        c.flows,
        bytes(c.bytes_up),
        bytes(c.bytes_down),
        notes(c, facts)
    );
    writeln!(out, "{}", line.trim_end())
}

/// What a reader must not miss about a row: hidden or cloaked traffic, a lookup the network
/// blocked, a public name on a private address, ECH, declarations.
fn notes(c: &Contact, facts: Option<&BaselineFacts>) -> String {
    let a = &c.attribution;
    let mut n: Vec<String> = Vec::new();
    if let Some(f) = facts {
        n.extend(baseline_note(f));
    }
    if let Some(cloak) = &a.cloaked {
        n.push(format!("CLOAKED via {}", cloak.target));
    }
    if let Some(h) = a.hidden {
        n.push(format!("HIDDEN: {}", h.as_str()));
    }
    match (&c.blocked, &c.blocked_answer) {
        (Some(b), Some(answer)) => n.push(format!(
            "BLOCKED ({}): attempted, {}",
            b.as_str(),
            answer.summary()
        )),
        (Some(b), None) => n.push(format!("BLOCKED ({}): attempted", b.as_str())),
        (None, _) if c.resolved_private => n.push("resolved to a private address".into()),
        (None, _) => {}
    }
    match (&a.browser_background, a.party) {
        (Some(b), Party::BackgroundOrSite) => {
            n.push(format!("browser or OS, possibly the site ({b})"));
        }
        (Some(b), _) => n.push(format!("browser background ({b})")),
        (None, _) => {}
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

/// What the baseline and the visit mark said, for a row.
fn baseline_note(f: &BaselineFacts) -> Option<String> {
    let id = f
        .baseline_id
        .map(|id| format!(" (baseline {id})"))
        .unwrap_or_default();
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

/// Bytes in B, kB, MB, GB (powers of 1000), three significant digits.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    if v < 10.0 {
        format!("{v:.2} {unit}")
    } else if v < 100.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_are_short() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_234), "1.23 kB");
        assert_eq!(bytes(56_789), "56.8 kB");
        assert_eq!(bytes(2_000_000_000), "2.00 GB");
    }
}
