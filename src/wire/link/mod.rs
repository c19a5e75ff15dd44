//! Link layer and IP: from a captured frame to the innermost IP packet and its transport.
//!
//! Pure and stateless: [`decode`] strips the link layer ([`l2`]), parses IP ([`ip`]) and
//! unwraps tunnels ([`tunnel`]) up to [`MAX_TUNNEL_DEPTH`]; [`transport`] reads TCP/UDP.
//! A fragmented packet stops the unwrapping: the caller reassembles it and calls
//! [`unwrap_tunnels`] on the whole datagram.

pub mod ip;
pub mod l2;
pub mod tunnel;

use std::net::IpAddr;

use crate::weird::Weird;

use super::Parsed;

/// Most tunnel layers unwrapped; a deeper packet is returned at this depth.
pub const MAX_TUNNEL_DEPTH: usize = 8;

const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;

/// A big-endian u16 at `at`, if the bytes are there.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

/// A big-endian u32 at `at`, if the bytes are there.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// A LINKTYPE_* value from a pcap/pcapng header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback (LINKTYPE_NULL).
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet.
    pub const ETHERNET: LinkType = LinkType(1);
    /// PPP without framing (protocol field first; `ff 03` tolerated).
    pub const PPP: LinkType = LinkType(9);
    /// Raw IP as DLT_RAW is numbered on some BSDs.
    pub const RAW_BSDOS: LinkType = LinkType(12);
    /// Raw IP as DLT_RAW is numbered on OpenBSD.
    pub const RAW_OPENBSD: LinkType = LinkType(14);
    /// PPP in HDLC-like framing (RFC 1662).
    pub const PPP_HDLC: LinkType = LinkType(50);
    /// Raw IPv4 or IPv6 (LINKTYPE_RAW).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like NULL, the family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux netfilter NFLOG.
    pub const NFLOG: LinkType = LinkType(239);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// Where an IPv4/IPv6 fragment sits in its datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// IPv4 identification (or IPv6 fragment identification).
    pub id: u32,
    /// Offset of this fragment's payload in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// The innermost IP packet of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Transport protocol number (6 TCP, 17 UDP, ...), after IPv6 extension headers.
    pub protocol: u8,
    /// Set when this packet is a fragment; `payload` is then the fragment's data.
    pub fragment: Option<Fragment>,
    /// The IP payload (transport header and data), cut to the IP length.
    pub payload: &'a [u8],
    /// Bytes on the wire at the IP layer (header + payload, from the IP length field).
    pub wire_len: u32,
}

/// A decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Source MAC on Ethernet-like links.
    pub src_mac: Option<[u8; 6]>,
    /// Destination MAC on Ethernet-like links.
    pub dst_mac: Option<[u8; 6]>,
    /// The innermost IP packet (tunnels unwrapped, unless a fragment stops the unwrapping).
    pub ip: IpPacket<'a>,
}

/// TCP flags the flow layer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
}

/// A transport segment or datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport<'a> {
    /// TCP segment.
    Tcp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// Sequence number.
        seq: u32,
        /// Flags.
        flags: TcpFlags,
        /// Segment data.
        payload: &'a [u8],
    },
    /// UDP datagram.
    Udp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// Datagram data.
        payload: &'a [u8],
    },
    /// Any other protocol (ICMP, ...), by number.
    Other(u8),
}

/// Decode a captured frame of `link` type to its innermost IP packet.
/// `NotThis` for frames without IP (ARP, LLDP, ...) and for unknown link types.
pub fn decode(link: LinkType, data: &[u8]) -> Parsed<Frame<'_>> {
    if link == LinkType::ETHERNET
        && let Some(frame) = decode_common_ethernet(data)
    {
        return Parsed::Done(frame);
    }
    decode_general(link, data)
}

/// The frame nearly every packet is: Ethernet, at most one VLAN tag, IPv4 or IPv6, no
/// tunnel. `None` for anything else (other EtherTypes, a tunnel, any error), which the
/// general path then decodes from the start; when this answers, the answer is the one
/// [`decode_general`] gives (tested on every shared capture and on mutated frames).
#[inline]
fn decode_common_ethernet(data: &[u8]) -> Option<Frame<'_>> {
    let (header, mut rest) = data.split_first_chunk::<14>()?;
    let [.., t0, t1] = *header;
    let mut ty = u16::from_be_bytes([t0, t1]);
    if ty == l2::ETH_VLAN {
        let (&[_, _, t0, t1], after) = rest.split_first_chunk::<4>()?;
        (ty, rest) = (u16::from_be_bytes([t0, t1]), after);
    }
    let ip = match ty {
        l2::ETH_IPV4 => ip::parse_v4(rest).done()?,
        l2::ETH_IPV6 => ip::parse_v6(rest).done()?,
        _ => return None,
    };
    // A possible tunnel goes to the general path, which unwraps it (or finds none).
    if ip.fragment.is_none() && tunnel::payload_may_carry(ip.protocol, ip.payload) {
        return None;
    }
    // The MACs are read last: held from the start they would crowd out the IP fields.
    let (dst_mac, src_mac, _) = l2::split_ethernet_header(header);
    Some(Frame {
        src_mac: Some(src_mac),
        dst_mac: Some(dst_mac),
        ip,
    })
}

/// Every link type, header stack and tunnel: strip the link layer, parse IP, unwrap.
/// Kept out of line so the fast path's function stays small.
#[inline(never)]
fn decode_general(link: LinkType, data: &[u8]) -> Parsed<Frame<'_>> {
    let outer = match l2::strip(link, data) {
        Parsed::Done(l) => l,
        Parsed::Incomplete { needed } => return Parsed::Incomplete { needed },
        Parsed::NotThis => return Parsed::NotThis,
        Parsed::Malformed(w) => return Parsed::Malformed(w),
    };
    ip::parse(outer.ip).map(|ip| Frame {
        src_mac: outer.src_mac,
        dst_mac: outer.dst_mac,
        ip: unwrap_tunnels(ip),
    })
}

/// Continue tunnel unwrapping (IP-in-IP, GRE, VXLAN, Teredo) on a reassembled datagram,
/// at most [`MAX_TUNNEL_DEPTH`] layers; stops at a fragment or a payload that is no tunnel.
pub fn unwrap_tunnels(ip: IpPacket<'_>) -> IpPacket<'_> {
    let mut ip = ip;
    for _ in 0..MAX_TUNNEL_DEPTH {
        match tunnel::inner(&ip) {
            Some(inner) => ip = inner,
            None => break,
        }
    }
    ip
}

/// The transport layer of an unfragmented IP packet. A fragment answers
/// `Incomplete` (reassemble first); a segment cut by the snap length gives the bytes that
/// were captured.
pub fn transport<'a>(ip: &IpPacket<'a>) -> Parsed<Transport<'a>> {
    if ip.fragment.is_some() {
        return Parsed::Incomplete { needed: None };
    }
    match ip.protocol {
        PROTO_TCP => tcp(ip),
        PROTO_UDP => udp(ip.payload),
        other => Parsed::Done(Transport::Other(other)),
    }
}

/// True when the capture holds fewer IP payload bytes than the IP length announced
/// (at least the minimum IP header is taken off `wire_len`, so options may hide a cut).
fn cut_by_snaplen(ip: &IpPacket<'_>) -> bool {
    let min_header = if ip.src.is_ipv4() { 20 } else { 40 };
    (ip.payload.len() as u64) + min_header < u64::from(ip.wire_len)
}

fn tcp<'a>(ip: &IpPacket<'a>) -> Parsed<Transport<'a>> {
    let b = ip.payload;
    let Some((header, _)) = b.split_first_chunk::<14>() else {
        return Parsed::Malformed(Weird::TcpTruncatedHeader);
    };
    let [s0, s1, d0, d1, q0, q1, q2, q3, _, _, _, _, f0, f1] = *header;
    let flags = u16::from_be_bytes([f0, f1]);
    let header_len = usize::from(flags >> 12) * 4;
    if header_len < 20 {
        return Parsed::Malformed(Weird::TcpBadHeader);
    }
    let payload = match b.get(header_len..) {
        Some(p) => p,
        None if cut_by_snaplen(ip) => &[],
        None => return Parsed::Malformed(Weird::TcpBadHeader),
    };
    Parsed::Done(Transport::Tcp {
        src_port: u16::from_be_bytes([s0, s1]),
        dst_port: u16::from_be_bytes([d0, d1]),
        seq: u32::from_be_bytes([q0, q1, q2, q3]),
        flags: TcpFlags {
            syn: flags & 0x02 != 0,
            ack: flags & 0x10 != 0,
            fin: flags & 0x01 != 0,
            rst: flags & 0x04 != 0,
        },
        payload,
    })
}

fn udp(b: &[u8]) -> Parsed<Transport<'_>> {
    let Some((&[s0, s1, d0, d1, l0, l1], _)) = b.split_first_chunk::<6>() else {
        return Parsed::Malformed(Weird::UdpTruncatedHeader);
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    // Length 0 appears with segmentation offload and IPv6 jumbograms: take what is there.
    let end = match len {
        0 => b.len(),
        1..8 => return Parsed::Malformed(Weird::UdpBadLength),
        _ => len.min(b.len()),
    };
    Parsed::Done(Transport::Udp {
        src_port: u16::from_be_bytes([s0, s1]),
        dst_port: u16::from_be_bytes([d0, d1]),
        payload: b.get(8..end).unwrap_or(&[]),
    })
}

#[cfg(test)]
mod tests;
