//! Link layer and IP: from a captured frame to the innermost IP packet and its transport.
//!
//! PLACEHOLDER SIGNATURES (the helper replaces the bodies; the types are the contract).

use std::net::IpAddr;

use super::Parsed;

/// A LINKTYPE_* value from a pcap/pcapng header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback (LINKTYPE_NULL).
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet.
    pub const ETHERNET: LinkType = LinkType(1);
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
/// `NotThis` for frames without IP (ARP, LLDP, ...).
pub fn decode(link: LinkType, data: &[u8]) -> Parsed<Frame<'_>> {
    let _ = (link, data);
    Parsed::NotThis
}

/// Continue tunnel unwrapping (IP-in-IP, VXLAN, Teredo, ...) on a reassembled datagram.
pub fn unwrap_tunnels(ip: IpPacket<'_>) -> IpPacket<'_> {
    ip
}

/// The transport layer of an unfragmented IP packet.
pub fn transport<'a>(ip: &IpPacket<'a>) -> Parsed<Transport<'a>> {
    let _ = ip;
    Parsed::NotThis
}
