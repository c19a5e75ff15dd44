//! Tunnels: IP-in-IP (4, 41), GRE (47), VXLAN (UDP 4789) and Teredo (IPv6 in UDP).

use std::net::IpAddr;

use super::{IpPacket, be16, ip, l2};

/// UDP port of VXLAN (RFC 7348).
pub const VXLAN_PORT: u16 = 4789;
/// UDP port of Teredo servers and relays (RFC 4380).
pub const TEREDO_PORT: u16 = 3544;

const PROTO_IPIP: u8 = 4;
const PROTO_IPV6: u8 = 41;
const PROTO_GRE: u8 = 47;
const PROTO_UDP: u8 = 17;

const GRE_TRANSPARENT_ETHERNET: u16 = 0x6558;

/// Cheap test: could `outer` carry a tunnel? False for nearly every packet (TCP, UDP whose
/// port and first data byte rule out VXLAN and Teredo); only when true does [`inner`]
/// parse further.
#[inline]
pub fn may_carry(outer: &IpPacket<'_>) -> bool {
    outer.fragment.is_none() && payload_may_carry(outer.protocol, outer.payload)
}

/// [`may_carry`] for the protocol and payload of an unfragmented packet. Taking the parts,
/// not the packet, lets the decoder keep its packet in registers. Exact for Teredo without
/// indications (so QUIC short headers, which also start with 0x6_, rarely pass).
#[inline]
pub(super) fn payload_may_carry(protocol: u8, payload: &[u8]) -> bool {
    match protocol {
        PROTO_IPIP | PROTO_IPV6 | PROTO_GRE => true,
        PROTO_UDP => match payload.split_first_chunk::<8>() {
            Some((&[s0, s1, d0, d1, l0, l1, _, _], after)) => {
                let (src, dst) = (u16::from_be_bytes([s0, s1]), u16::from_be_bytes([d0, d1]));
                let data_len = usize::from(u16::from_be_bytes([l0, l1])).saturating_sub(8);
                let data = after.get(..data_len.min(after.len())).unwrap_or_default();
                match data.first() {
                    _ if dst == VXLAN_PORT => true,
                    // Teredo indications, then the IPv6 header: left to `teredo`.
                    Some(0x00) => true,
                    Some(b) if b >> 4 == 6 => {
                        teredo(data, src == TEREDO_PORT || dst == TEREDO_PORT).is_some()
                    }
                    _ => false,
                }
            }
            None => false,
        },
        _ => false,
    }
}

/// The IP packet carried inside `outer`, when `outer` is a whole (unfragmented) packet of
/// a known tunnel and the inner bytes parse as IP.
pub fn inner<'a>(outer: &IpPacket<'a>) -> Option<IpPacket<'a>> {
    if outer.fragment.is_some() {
        return None;
    }
    inner_of(outer.protocol, outer.payload)
}

/// [`inner`] for the protocol and payload of an unfragmented packet.
pub(super) fn inner_of(protocol: u8, payload: &[u8]) -> Option<IpPacket<'_>> {
    if !payload_may_carry(protocol, payload) {
        return None;
    }
    let bytes = match protocol {
        PROTO_IPIP | PROTO_IPV6 => payload,
        PROTO_GRE => gre(payload)?,
        PROTO_UDP => udp(payload)?,
        _ => return None,
    };
    parse_inner(protocol, bytes)
}

/// The inner IP packet of tunnel bytes; IP-in-IP must carry the IP version it announces.
fn parse_inner(protocol: u8, bytes: &[u8]) -> Option<IpPacket<'_>> {
    let inner = ip::parse(bytes).done()?;
    match (protocol, inner.src) {
        (PROTO_IPIP, IpAddr::V6(_)) | (PROTO_IPV6, IpAddr::V4(_)) => None,
        _ => Some(inner),
    }
}

/// GRE version 0 (RFC 2784/2890); optional checksum, key and sequence fields.
fn gre(payload: &[u8]) -> Option<&[u8]> {
    let flags = be16(payload, 0)?;
    // Version 1 is PPTP's enhanced GRE; routing (R bit) is deprecated. Neither is followed.
    if flags & 0x0007 != 0 || flags & 0x4000 != 0 {
        return None;
    }
    let optional = [0x8000u16, 0x2000, 0x1000]
        .iter()
        .filter(|bit| flags & **bit != 0)
        .count();
    let rest = payload.get(4 + 4 * optional..)?;
    match be16(payload, 2)? {
        GRE_TRANSPARENT_ETHERNET => l2::ethernet(rest).done().map(|l| l.ip),
        proto => l2::ether_type(proto, rest).done(),
    }
}

/// VXLAN and Teredo inside a UDP datagram.
fn udp(payload: &[u8]) -> Option<&[u8]> {
    let (&[s0, s1, d0, d1, l0, l1, _, _], after) = payload.split_first_chunk::<8>()?;
    let (src, dst) = (u16::from_be_bytes([s0, s1]), u16::from_be_bytes([d0, d1]));
    let data_len = usize::from(u16::from_be_bytes([l0, l1])).saturating_sub(8);
    let data = after.get(..data_len.min(after.len()))?;
    if dst == VXLAN_PORT {
        vxlan(data)
    } else {
        teredo(data, src == TEREDO_PORT || dst == TEREDO_PORT)
    }
}

/// VXLAN: an 8-byte header whose I flag says a VNI is present, then an Ethernet frame.
fn vxlan(data: &[u8]) -> Option<&[u8]> {
    if data.first()? & 0x08 == 0 {
        return None;
    }
    l2::ethernet(data.get(8..)?).done().map(|l| l.ip)
}

/// Teredo: optional authentication and origin indications, then IPv6. On the Teredo port
/// a plausible IPv6 header is enough; on other ports (client to relay) the length must
/// match exactly and one address must be in the Teredo prefix 2001:0::/32, so that other
/// UDP payloads (QUIC short headers also start with 0x6_) are not mistaken for it.
#[inline]
fn teredo(data: &[u8], on_teredo_port: bool) -> Option<&[u8]> {
    let mut rest = data;
    if let [0x00, 0x01, id_len, auth_len, ..] = rest {
        let skip = 4 + usize::from(*id_len) + usize::from(*auth_len) + 8 + 1;
        rest = rest.get(skip..)?;
    }
    if let [0x00, 0x00, ..] = rest {
        rest = rest.get(8..)?;
    }
    if rest.first()? >> 4 != 6 || rest.len() < 40 {
        return None;
    }
    let claimed = usize::from(be16(rest, 4)?) + 40;
    if on_teredo_port {
        return (claimed >= rest.len()).then_some(rest);
    }
    let teredo_prefix = |at: usize| rest.get(at..at + 4) == Some(&[0x20, 0x01, 0x00, 0x00]);
    (claimed == rest.len() && (teredo_prefix(8) || teredo_prefix(24))).then_some(rest)
}
