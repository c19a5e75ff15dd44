//! DNS, mDNS and LLMNR messages.
//!
//! PLACEHOLDER SIGNATURES (the helper replaces the bodies; the types are the contract).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::Parsed;

/// Which DNS-family protocol a message belongs to, by port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flavor {
    /// Unicast DNS (port 53, or DNS over TCP 53).
    Dns,
    /// Multicast DNS (port 5353).
    Mdns,
    /// Link-Local Multicast Name Resolution (port 5355).
    Llmnr,
}

impl Flavor {
    /// The flavor for a UDP/TCP port pair, if either side is a DNS-family port.
    pub fn for_ports(src: u16, dst: u16) -> Option<Flavor> {
        let is = |p: u16| src == p || dst == p;
        if is(5353) {
            Some(Flavor::Mdns)
        } else if is(5355) {
            Some(Flavor::Llmnr)
        } else if is(53) {
            Some(Flavor::Dns)
        } else {
            None
        }
    }
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Name as tshark displays it: no trailing dot, `<Root>` for the root,
    /// non-printable bytes as `\ooo` octal.
    pub name: String,
    /// QTYPE (1 A, 28 AAAA, 64 SVCB, 65 HTTPS, ...).
    pub qtype: u16,
}

/// Data of an answer record that the flow layer uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Canonical name target.
    Cname(String),
    /// SVCB/HTTPS record.
    Svcb {
        /// SvcPriority (0 = alias form).
        priority: u16,
        /// TargetName.
        target: String,
        /// The `ech` SvcParam (key 5) is present.
        ech: bool,
        /// ALPN ids.
        alpn: Vec<String>,
        /// ipv4hint addresses.
        ipv4_hints: Vec<Ipv4Addr>,
        /// ipv6hint addresses.
        ipv6_hints: Vec<Ipv6Addr>,
    },
    /// Any other type.
    Other,
}

/// One resource record from the answer section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name (display form as in [`Question::name`]).
    pub name: String,
    /// TYPE.
    pub rtype: u16,
    /// TTL in seconds.
    pub ttl: u32,
    /// Parsed data.
    pub data: RecordData,
}

/// EDNS(0) facts from the OPT record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    /// Advertised UDP payload size.
    pub udp_size: u16,
    /// DNSSEC OK bit.
    pub dnssec_ok: bool,
}

/// A DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Transaction id.
    pub id: u16,
    /// QR bit: a response.
    pub response: bool,
    /// OPCODE.
    pub opcode: u8,
    /// RCODE (low 4 bits).
    pub rcode: u8,
    /// Questions.
    pub questions: Vec<Question>,
    /// Answer section records.
    pub answers: Vec<Record>,
    /// EDNS(0), when an OPT record is present.
    pub edns: Option<Edns>,
}

/// Parse one DNS message (UDP payload, or one TCP message without its length prefix).
pub fn parse_message(data: &[u8]) -> Parsed<Message> {
    let _ = data;
    Parsed::NotThis
}

/// Split the first length-prefixed DNS message off a TCP stream:
/// `Done((message, consumed))`, or `Incomplete` when the message is not all there yet.
pub fn tcp_message(stream: &[u8]) -> Parsed<(&[u8], usize)> {
    let _ = stream;
    Parsed::Incomplete { needed: None }
}
