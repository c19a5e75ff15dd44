//! A table for people: contacts grouped by device, internet first, then the local network.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::contact::{Contact, Device, Scope};
use crate::observation::{DeviceId, Ech};

/// Write contacts grouped by device.
pub fn write(
    out: &mut impl Write,
    contacts: &[&Contact],
    devices: &BTreeMap<DeviceId, Device>,
) -> io::Result<()> {
    if contacts.is_empty() {
        return writeln!(out, "no contacts found");
    }
    let mut current: Option<(DeviceId, Scope)> = None;
    for &c in contacts {
        if current.map(|(d, _)| d) != Some(c.device) {
            if current.is_some() {
                writeln!(out)?;
            }
            device_header(out, c.device, devices.get(&c.device))?;
            current = None;
        }
        if current != Some((c.device, c.scope)) {
            if c.scope == Scope::Local {
                writeln!(out, "  -- local network (mDNS, LLMNR, multicast) --")?;
            }
            writeln!(
                out,
                "  {:<18} {:<8} {:<18} {:>5} {:>8} {:>8} {:<6} {:<40} SERVER IPS",
                "FIRST (UTC)", "LAST", "VIA", "FLOWS", "UP", "DOWN", "ECH", "NAME"
            )?;
            current = Some((c.device, c.scope));
        }
        row(out, c)?;
    }
    Ok(())
}

fn device_header(out: &mut impl Write, id: DeviceId, dev: Option<&Device>) -> io::Result<()> {
    write!(out, "device {id}")?;
    if let Some(d) = dev {
        if !d.ips.is_empty() {
            write!(out, "  ips {}", join(d.ips.iter()))?;
        }
        if !d.resolvers.is_empty() {
            write!(out, "  dns via {}", join(d.resolvers.iter()))?;
        }
    }
    writeln!(out)
}

fn row(out: &mut impl Write, c: &Contact) -> io::Result<()> {
    let first = c.first_seen.rfc3339();
    let last = c.last_seen.rfc3339();
    let via = c
        .via
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let ech = match c.ech {
        Some(Ech::Real) => "real",
        Some(Ech::Grease) => "grease",
        None => "",
    };
    let mut servers = c.server_ips.iter();
    let server = match (servers.next(), c.server_ips.len()) {
        (None, _) => String::new(),
        (Some(ip), 1) => ip.to_string(),
        (Some(ip), n) => format!("{ip} +{}", n - 1),
    };
    writeln!(
        out,
        "  {:<18} {:<8} {:<18} {:>5} {:>8} {:>8} {:<6} {:<40} {}",
        // Date and time to the millisecond; the last-seen column shows the time only.
        first.get(5..23).unwrap_or(&first),
        last.get(11..19).unwrap_or(&last),
        via,
        c.flows,
        bytes(c.bytes_up),
        bytes(c.bytes_down),
        ech,
        c.name,
        server
    )
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
