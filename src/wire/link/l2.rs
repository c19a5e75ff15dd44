//! Link-layer headers: from a frame of some LINKTYPE to the bytes of its IP packet.

use super::{LinkType, be16};
use crate::weird::Weird;
use crate::wire::Parsed;

/// Most VLAN / MPLS / PPPoE headers stripped before the IP header.
pub const MAX_LINK_HEADERS: usize = 8;

pub(super) const ETH_IPV4: u16 = 0x0800;
pub(super) const ETH_IPV6: u16 = 0x86dd;
pub(super) const ETH_VLAN: u16 = 0x8100;
const ETH_QINQ: u16 = 0x88a8;
const ETH_QINQ_OLD: u16 = 0x9100;
const ETH_PPPOE_SESSION: u16 = 0x8864;
const ETH_MPLS: u16 = 0x8847;
const ETH_MPLS_MULTICAST: u16 = 0x8848;

const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;

const NFLOG_PAYLOAD: u16 = 9;

/// The IP bytes of a frame and the MACs of its (outer) Ethernet-like header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkPayload<'a> {
    /// Source MAC.
    pub src_mac: Option<[u8; 6]>,
    /// Destination MAC.
    pub dst_mac: Option<[u8; 6]>,
    /// The IP packet (IPv4 or IPv6, by its version nibble).
    pub ip: &'a [u8],
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn mac(b: &[u8], at: usize) -> Option<[u8; 6]> {
    b.get(at..at.checked_add(6)?)?.try_into().ok()
}

/// Strip the link layer of `link`; `NotThis` for frames that carry no IP (ARP, LLDP, ...).
pub fn strip(link: LinkType, data: &[u8]) -> Parsed<LinkPayload<'_>> {
    match link {
        LinkType::ETHERNET => ethernet(data),
        LinkType::NULL | LinkType::LOOP => no_mac(loopback(data)),
        LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::RAW_BSDOS => no_mac(version(data)),
        LinkType::IPV4 | LinkType::IPV6 => no_mac(version(data)),
        LinkType::LINUX_SLL => sll(data),
        LinkType::LINUX_SLL2 => sll2(data),
        LinkType::PPP | LinkType::PPP_HDLC => no_mac(ppp(data)),
        LinkType::NFLOG => no_mac(nflog(data)),
        _ => Parsed::NotThis,
    }
}

fn no_mac(p: Parsed<&[u8]>) -> Parsed<LinkPayload<'_>> {
    p.map(|ip| LinkPayload {
        src_mac: None,
        dst_mac: None,
        ip,
    })
}

/// Bytes that start with an IPv4 or IPv6 header.
fn version(data: &[u8]) -> Parsed<&[u8]> {
    match data.first().map(|b| b >> 4) {
        Some(4 | 6) => Parsed::Done(data),
        Some(_) => Parsed::NotThis,
        None => Parsed::Malformed(Weird::LinkEmptyFrame),
    }
}

/// An Ethernet II frame: destination MAC, source MAC, EtherType, then the payload.
///
/// Read by hand from one 14-byte array (no per-field bounds checks): this runs for
/// nearly every captured packet.
pub fn ethernet(data: &[u8]) -> Parsed<LinkPayload<'_>> {
    let Some((header, rest)) = data.split_first_chunk::<14>() else {
        return Parsed::Malformed(Weird::EthernetTruncatedHeader);
    };
    let (dst, src, ty) = split_ethernet_header(header);
    ether_type(ty, rest).map(|ip| LinkPayload {
        src_mac: Some(src),
        dst_mac: Some(dst),
        ip,
    })
}

/// Destination MAC, source MAC and EtherType of an Ethernet II header.
pub(super) fn split_ethernet_header(h: &[u8; 14]) -> ([u8; 6], [u8; 6], u16) {
    let [d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5, t0, t1] = *h;
    (
        [d0, d1, d2, d3, d4, d5],
        [s0, s1, s2, s3, s4, s5],
        u16::from_be_bytes([t0, t1]),
    )
}

/// Follow an EtherType through VLAN tags, PPPoE sessions and MPLS labels to IP.
pub fn ether_type(mut ty: u16, mut rest: &[u8]) -> Parsed<&[u8]> {
    for _ in 0..MAX_LINK_HEADERS {
        match ty {
            ETH_IPV4 | ETH_IPV6 => return version(rest),
            ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD => {
                let (Some(next), Some(after)) = (be16(rest, 2), rest.get(4..)) else {
                    return Parsed::Malformed(Weird::VlanTruncatedHeader);
                };
                (ty, rest) = (next, after);
            }
            ETH_PPPOE_SESSION => {
                // PPPoE: version/type, code, session id, length; then the PPP protocol.
                let Some(after) = rest.get(6..) else {
                    return Parsed::Malformed(Weird::PppoeTruncatedHeader);
                };
                return ppp(after);
            }
            ETH_MPLS | ETH_MPLS_MULTICAST => return mpls(rest),
            _ => return Parsed::NotThis,
        }
    }
    Parsed::Malformed(Weird::LinkTooManyHeaders)
}

/// MPLS label stack: pop to the bottom label, then guess IP by its version nibble.
fn mpls(mut rest: &[u8]) -> Parsed<&[u8]> {
    for _ in 0..MAX_LINK_HEADERS {
        let (Some(&flags), Some(after)) = (rest.get(2), rest.get(4..)) else {
            return Parsed::Malformed(Weird::MplsTruncatedHeader);
        };
        rest = after;
        if flags & 1 != 0 {
            return version(rest);
        }
    }
    Parsed::Malformed(Weird::LinkTooManyHeaders)
}

/// BSD loopback: a 4-byte address family in host (NULL) or network (LOOP) byte order.
fn loopback(data: &[u8]) -> Parsed<&[u8]> {
    let Some(family) = data.get(..4) else {
        return Parsed::Malformed(Weird::LoopbackTruncatedHeader);
    };
    // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24, 28 or 30 (BSDs, macOS).
    let known = |v: u8| matches!(v, 2 | 10 | 24 | 28 | 30);
    let ok = match family {
        [f, 0, 0, 0] | [0, 0, 0, f] => known(*f),
        _ => false,
    };
    if !ok {
        return Parsed::NotThis;
    }
    version(data.get(4..).unwrap_or(&[]))
}

/// PPP, with or without the HDLC-like address/control bytes `ff 03`, with a 1- or 2-byte
/// protocol field (RFC 1661 protocol field compression).
pub fn ppp(data: &[u8]) -> Parsed<&[u8]> {
    let data = match data {
        [0xff, 0x03, rest @ ..] => rest,
        _ => data,
    };
    let (proto, rest) = match data {
        [p, rest @ ..] if p & 1 == 1 => (u16::from(*p), rest),
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
        _ => return Parsed::Malformed(Weird::PppTruncatedHeader),
    };
    match proto {
        PPP_IPV4 | PPP_IPV6 => version(rest),
        _ => Parsed::NotThis,
    }
}

/// Linux cooked capture v1: 16 bytes, the EtherType last.
fn sll(data: &[u8]) -> Parsed<LinkPayload<'_>> {
    let (Some(proto), Some(rest)) = (be16(data, 14), data.get(16..)) else {
        return Parsed::Malformed(Weird::SllTruncatedHeader);
    };
    // ARPHRD_ETHER with a 6-byte address: the address is the sender's MAC.
    let src_mac = (be16(data, 2) == Some(1) && be16(data, 4) == Some(6))
        .then(|| mac(data, 6))
        .flatten();
    let payload = ether_type(proto, rest);
    payload.map(|ip| LinkPayload {
        src_mac,
        dst_mac: None,
        ip,
    })
}

/// Linux cooked capture v2: 20 bytes, the EtherType first.
fn sll2(data: &[u8]) -> Parsed<LinkPayload<'_>> {
    let (Some(proto), Some(rest)) = (be16(data, 0), data.get(20..)) else {
        return Parsed::Malformed(Weird::Sll2TruncatedHeader);
    };
    let src_mac = (be16(data, 8) == Some(1) && data.get(11) == Some(&6))
        .then(|| mac(data, 12))
        .flatten();
    ether_type(proto, rest).map(|ip| LinkPayload {
        src_mac,
        dst_mac: None,
        ip,
    })
}

/// Linux NFLOG: a 4-byte header, then TLVs (length and type in host byte order, little
/// endian on the hosts that write these files); the packet is TLV type 9.
fn nflog(data: &[u8]) -> Parsed<&[u8]> {
    let mut rest = data.get(4..).unwrap_or(&[]);
    if data.len() < 4 {
        return Parsed::Malformed(Weird::NflogTruncatedHeader);
    }
    while let (Some(len), Some(ty)) = (le16(rest, 0), le16(rest, 2)) {
        let len = usize::from(len);
        if len < 4 {
            return Parsed::Malformed(Weird::NflogBadTlv);
        }
        if ty == NFLOG_PAYLOAD {
            let end = len.min(rest.len());
            return version(rest.get(4..end).unwrap_or(&[]));
        }
        let Some(after) = rest.get(len.div_ceil(4) * 4..) else {
            return Parsed::Malformed(Weird::NflogBadTlv);
        };
        rest = after;
    }
    Parsed::NotThis
}
