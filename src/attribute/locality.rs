//! Which names and addresses belong to the local network, and which answers are sinkholes.
//!
//! The party of a contact comes from its name, never from the address it resolved to: a public
//! DNS name answered with a private address (split-horizon DNS, a lab, a staging mirror) is still
//! the same first or third party. Only names that cannot exist in public DNS (mDNS `.local`,
//! RFC 8375 home networks, the suffixes routers hand out, single labels, reverse names of LAN
//! addresses) and contacts with no name at a LAN address are local.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Name suffixes that only exist on the local network: mDNS (RFC 6762), RFC 8375 home
/// networks, the suffixes home routers and DHCP servers hand out (`lan`, `localdomain`),
/// ICANN's private-use `internal`, RFC 6761 `localhost` and RFC 9462's `resolver.arpa`
/// (answered by the configured resolver itself).
pub const LOCAL_SUFFIXES: [&str; 7] = [
    "local",
    "home.arpa",
    "lan",
    "internal",
    "localdomain",
    "localhost",
    "resolver.arpa",
];

/// `host` is `domain` or a subdomain of it.
pub(super) fn under(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

/// An address that belongs to the local network (private, loopback, link-local, multicast,
/// broadcast, unspecified).
pub fn is_lan_addr(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_multicast()
                || v6.is_unspecified()
                || v6.is_unicast_link_local()
                || is_unique_local(v6)
        }
    }
}

/// fc00::/7 (RFC 4193).
fn is_unique_local(v6: Ipv6Addr) -> bool {
    (v6.segments().first().copied().unwrap_or(0) & 0xfe00) == 0xfc00
}

/// A unicast address a public name should not resolve to: RFC 1918 private, RFC 4193 unique
/// local, link-local or loopback (what split-horizon DNS, labs and local proxies answer).
pub fn is_private_addr(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local() || v4.is_loopback(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private_addr(IpAddr::V4(v4)),
            None => v6.is_loopback() || v6.is_unicast_link_local() || is_unique_local(v6),
        },
    }
}

/// An address DNS blockers answer with instead of the real one: 0.0.0.0 and `::` (Pi-hole's
/// and AdGuard Home's default, NextDNS without a block page), 127.0.0.0/8 and `::1` (hosts-file
/// style lists). A device cannot reach a server there.
pub fn is_sinkhole_addr(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_unspecified() || v4.is_loopback(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_sinkhole_addr(IpAddr::V4(v4)),
            None => v6.is_unspecified() || v6.is_loopback(),
        },
    }
}

/// A normalised DNS name that only exists on the local network: a single label (LLMNR, WINS,
/// Chrome's intranet probes), a name under [`LOCAL_SUFFIXES`], or the reverse name of a LAN
/// address. Every other name is public, whether or not the Public Suffix List knows its top
/// level (a lab's `.test` or a new gTLD is still looked up in public DNS).
pub fn is_local_name(host: &str) -> bool {
    !host.contains('.')
        || LOCAL_SUFFIXES.iter().any(|s| under(host, s))
        || reverse_address(host).is_some_and(is_lan_addr)
}

/// The address of a full reverse-lookup name (`4.3.2.1.in-addr.arpa`, 32 nibbles under
/// `ip6.arpa`).
fn reverse_address(host: &str) -> Option<IpAddr> {
    if let Some(rest) = host.strip_suffix(".in-addr.arpa") {
        let mut octets = [0u8; 4];
        let mut labels = rest.split('.');
        for slot in octets.iter_mut().rev() {
            *slot = labels.next()?.parse().ok()?;
        }
        return labels
            .next()
            .is_none()
            .then_some(IpAddr::V4(Ipv4Addr::from(octets)));
    }
    let rest = host.strip_suffix(".ip6.arpa")?;
    let mut value: u128 = 0;
    let mut count = 0;
    for (i, nibble) in rest.split('.').enumerate() {
        let digit = u128::from(u8::from_str_radix(nibble, 16).ok()?);
        if nibble.len() != 1 || i >= 32 {
            return None;
        }
        value |= digit << (4 * i);
        count += 1;
    }
    (count == 32).then_some(IpAddr::V6(Ipv6Addr::from(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::BROADCAST))
    }

    #[test]
    fn local_only_names() {
        for n in [
            "printer.local",
            "nas.home.arpa",
            "router.lan",
            "db.corp.internal",
            "box.localdomain",
            "localhost",
            "app.localhost",
            "_dns.resolver.arpa",
            "wpad",
            "qxkzvhtrpw",
            "10.1.168.192.in-addr.arpa",
            "1.0.0.127.in-addr.arpa",
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa",
        ] {
            assert!(is_local_name(n), "{n}");
        }
        for n in [
            "borger.dk",
            "metrics.borger.test",
            "www.google-analytics.com",
            "lan.example.com",
            "local.example",
            "8.8.8.8.in-addr.arpa",
            "in-addr.arpa",
            "1.168.192.in-addr.arpa.example",
        ] {
            assert!(!is_local_name(n), "{n}");
        }
    }

    #[test]
    fn sinkhole_and_private_addresses() {
        for a in [
            "0.0.0.0",
            "::",
            "127.0.0.1",
            "127.3.2.1",
            "::1",
            "::ffff:0.0.0.0",
        ] {
            assert!(is_sinkhole_addr(ip(a)), "{a}");
        }
        for a in [
            "10.0.0.1",
            "192.168.1.1",
            "8.8.8.8",
            "fd00::1",
            "2001:db8::1",
        ] {
            assert!(!is_sinkhole_addr(ip(a)), "{a}");
        }
        for a in [
            "10.0.113.5",
            "172.16.0.1",
            "192.168.77.1",
            "169.254.1.1",
            "127.0.0.1",
            "fd00:113::20",
            "fe80::1",
            "::1",
            "::ffff:10.1.2.3",
        ] {
            assert!(is_private_addr(ip(a)), "{a}");
        }
        for a in [
            "0.0.0.0",
            "::",
            "203.0.113.20",
            "2001:db8:113::20",
            "224.0.0.251",
        ] {
            assert!(!is_private_addr(ip(a)), "{a}");
        }
    }
}
