//! DNS, mDNS and LLMNR messages: a small zero-copy parser over one message.
//!
//! Why not a crate: tried against the real captures, simple-dns 0.13 rejects whole messages
//! that tshark reads: `InvalidQType(249)` on the TKEY query in `tkey.pcap` (losing its only
//! query name) and `InvalidClass(255)` on two messages of `dns-edns-ecs.pcap`. It also parses
//! all or nothing (one odd record loses the questions), pre-allocates from header counts,
//! prints names with `\.`/`\\` escapes and lossy UTF-8 where tshark does not (see `name.rs`), and
//! its OPT mask reads the DO bit as EDNS version 128. dns-parser fails on HTTPS/SVCB, RRSIG
//! and non-ASCII labels. So this is a small hand-written parser; `tests/captures.rs` checks
//! its query names against tshark's on the real captures.
//!
//! What the parser promises:
//! - Sections are read in order; a problem in the answer, authority or additional section
//!   keeps everything parsed before it and is reported in [`Message::damage`] (a [`Weird`]).
//!   Record data of a known type that does not parse becomes [`RecordData::Other`] (also
//!   reported in `damage`): the record length still lets the parser go on.
//! - A message cut inside the question section keeps the questions before the cut; a question
//!   whose name is complete but whose type/class are cut is kept with `qtype` 0 (tshark shows
//!   that name too). Only when not one question survives is the message `Malformed`.
//! - It never answers `Incomplete`: a UDP datagram, or a TCP message split off by
//!   [`tcp_message`], is all there will ever be of that message.
//! - The TC bit is reported in [`Message::truncated`]; a truncated response still carries its
//!   question, and whatever answers fit.
//! - Unknown types, RRSIG, private types, EDNS options and binary labels never fail a message.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::Parsed;

mod name;
mod rdata;
#[cfg(test)]
mod tests;

pub use name::{MAX_KNOWN, MAX_NAME_BYTES, MAX_POINTER_HOPS, ROOT, TOO_LONG, format_text};

use crate::weird::Weird;

/// Most questions kept from one message (mDNS may ask many at once).
pub const MAX_QUESTIONS: usize = 256;
/// Most records read from one message, over all three record sections.
pub const MAX_RECORDS: usize = 1024;

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

/// A name of one [`Message`]: a range of [`Message::names`], read with [`Message::name`].
///
/// Why not a `String` per name: a response carries several names (question, owners, CNAME
/// targets) and one allocation per name was most of the cost of parsing it; all names of a
/// message share one buffer instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NameRef {
    start: u32,
    end: u32,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Name as tshark displays it: no trailing dot, `<Root>` for the root,
    /// non-printable bytes as `\ooo` octal (text in [`Message::names`]).
    pub name: NameRef,
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
    Cname(NameRef),
    /// SVCB/HTTPS record.
    Svcb {
        /// SvcPriority (0 = alias form).
        priority: u16,
        /// TargetName.
        target: NameRef,
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
    /// Owner name (display form as in [`Question::name`]); empty for types other than
    /// A, AAAA, CNAME, SVCB and HTTPS, whose owners nothing reads.
    pub name: NameRef,
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
///
/// `Default` is an empty message, to be filled (again and again) by [`parse_into`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The display text of all names of the message, one after the other; a [`NameRef`]
    /// is a range of it (see [`Message::name`]).
    pub names: String,
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
    /// TC bit: the sender cut the message (over UDP); the client will retry over TCP.
    pub truncated: bool,
    /// RA bit: the server offers recursion (a resolver answering a device, not an
    /// authoritative server answering a resolver with a referral).
    pub recursion_available: bool,
    /// Additional section records except OPT (mDNS puts the addresses of a PTR/SRV answer
    /// here).
    pub additional: Vec<Record>,
    /// The first problem met after the header (a weird such as `dns.truncated_name`);
    /// everything parsed before it is kept.
    pub damage: Option<Weird>,
}

impl Message {
    /// The display text of `name` (empty for a `NameRef` of another message).
    pub fn name(&self, name: NameRef) -> &str {
        self.names
            .get(name.start as usize..name.end as usize)
            .unwrap_or_default()
    }

    /// Add `text` to [`Message::names`] (for messages built by hand, e.g. in tests).
    pub fn add_name(&mut self, text: &str) -> NameRef {
        let start = self.names.len();
        self.names.push_str(text);
        self.name_ref(start)
    }

    /// The range from `start` to the current end of [`Message::names`].
    fn name_ref(&self, start: usize) -> NameRef {
        // Names come from one UDP/TCP message (< 64 KiB wire, at most MAX_RECORDS names of at
        // most TOO_LONG bytes each when escaped), so the text stays far below u32::MAX.
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        NameRef {
            start: at(start),
            end: at(self.names.len()),
        }
    }
}

/// A message being parsed, with the names already decoded in it.
pub(super) struct Parser<'m> {
    msg: &'m mut Message,
    /// The names text while parsing (bytes: see [`name::read_name`]); moved into
    /// [`Message::names`] at the end, with its allocation.
    names: Vec<u8>,
    known: name::Known,
}

impl Parser<'_> {
    /// Read the name at `pos` of `data` into the names text: its reference and the offset
    /// after it.
    fn read_name(&mut self, data: &[u8], pos: usize) -> Result<(NameRef, usize), Weird> {
        let (text, end) = name::read_name(data, pos, &mut self.names, &mut self.known)?;
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let name = NameRef {
            start: at(text.start),
            end: at(text.end),
        };
        Ok((name, end))
    }
}

/// Size of the fixed DNS header.
const HEADER_LEN: usize = 12;
/// TYPE of the EDNS(0) OPT pseudo-record.
const TYPE_OPT: u16 = 41;

/// Parse one DNS message (UDP payload, or one TCP message without its length prefix).
///
/// `Malformed` only when the header is short or the question section yields no question;
/// later problems are kept in [`Message::damage`]. Never `Incomplete` (see the module doc).
pub fn parse_message(data: &[u8]) -> Parsed<Message> {
    let mut msg = Message::default();
    parse_into(&mut msg, data).map(|()| msg)
}

/// [`parse_message`] into `msg`, reusing its buffers: a caller that parses many messages
/// allocates nothing per message once the buffers have grown. `msg` is cleared first; on
/// `Done` it holds the message, otherwise what was read before the problem.
pub fn parse_into(msg: &mut Message, data: &[u8]) -> Parsed<()> {
    msg.names.clear();
    msg.questions.clear();
    msg.answers.clear();
    msg.additional.clear();
    msg.edns = None;
    msg.damage = None;
    let (Some(id), Some(flags)) = (be16(data, 0), be16(data, 2)) else {
        return Parsed::Malformed(Weird::DnsShortHeader);
    };
    let (Some(qd), Some(an), Some(ns), Some(ar)) =
        (be16(data, 4), be16(data, 6), be16(data, 8), be16(data, 10))
    else {
        return Parsed::Malformed(Weird::DnsShortHeader);
    };
    msg.id = id;
    msg.response = flags & 0x8000 != 0;
    msg.opcode = ((flags >> 11) & 0x0f) as u8;
    msg.rcode = (flags & 0x0f) as u8;
    msg.truncated = flags & 0x0200 != 0;
    msg.recursion_available = flags & 0x0080 != 0;
    let mut p = Parser {
        names: std::mem::take(&mut msg.names).into_bytes(),
        msg,
        known: name::Known::default(),
    };
    let pos = read_questions(data, qd, &mut p);
    if let Some(pos) = pos {
        read_records(data, pos, [an, ns, ar], &mut p);
    }
    let Parser { msg, names, .. } = p;
    // Only UTF-8 text is ever appended (see `name::read_name`): this never takes the lossy
    // branch, which is there so that no input can make it panic.
    msg.names = String::from_utf8(names)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    match pos {
        None if msg.questions.is_empty() => {
            Parsed::Malformed(msg.damage.unwrap_or(Weird::DnsBadQuestion))
        }
        _ => Parsed::Done(()),
    }
}

/// Read `count` questions after the header into `msg`; the offset after them, or `None` (with
/// `msg.damage` set) when the section is broken and the records cannot be found.
fn read_questions(data: &[u8], count: u16, p: &mut Parser<'_>) -> Option<usize> {
    let mut pos = HEADER_LEN;
    for n in 0..usize::from(count) {
        if n >= MAX_QUESTIONS {
            p.msg.damage = Some(Weird::DnsTooManyQuestions);
            return None;
        }
        let (name, end) = match p.read_name(data, pos) {
            Ok(v) => v,
            Err(weird) => {
                p.msg.damage = Some(weird);
                return None;
            }
        };
        let qtype = be16(data, end);
        p.msg.questions.push(Question {
            name,
            qtype: qtype.unwrap_or(0),
        });
        if qtype.is_none() || be16(data, end + 2).is_none() {
            p.msg.damage = Some(Weird::DnsTruncatedQuestion);
            return None;
        }
        pos = end + 4;
    }
    Some(pos)
}

/// Read the answer, authority and additional sections (counts in that order) from `pos`.
/// Authority records are walked over but not kept.
fn read_records(data: &[u8], mut pos: usize, counts: [u16; 3], p: &mut Parser<'_>) {
    let mut seen = 0usize;
    for (section, &count) in counts.iter().enumerate() {
        for _ in 0..count {
            if seen >= MAX_RECORDS {
                p.msg.damage.get_or_insert(Weird::DnsTooManyRecords);
                return;
            }
            seen += 1;
            let raw = match rdata::read_record(data, pos, p) {
                Ok(raw) => raw,
                Err(weird) => {
                    p.msg.damage.get_or_insert(weird);
                    return;
                }
            };
            pos = raw.next;
            if let Some(weird) = raw.damage {
                p.msg.damage.get_or_insert(weird);
            }
            match section {
                0 => p.msg.answers.push(raw.record),
                2 if raw.record.rtype == TYPE_OPT => {
                    // The OPT TTL is ext-rcode(8) version(8) DO(1) Z(15).
                    p.msg.edns.get_or_insert(Edns {
                        udp_size: raw.class,
                        dnssec_ok: raw.record.ttl & 0x8000 != 0,
                    });
                }
                2 => p.msg.additional.push(raw.record),
                _ => {}
            }
        }
    }
}

/// Split the first length-prefixed DNS message off a TCP stream:
/// `Done((message, consumed))`, or `Incomplete` when the message is not all there yet
/// (`needed` = prefix plus message length once the prefix is there). A length shorter than a
/// DNS header (including zero) is `Malformed`: the stream is not DNS or lost sync.
pub fn tcp_message(stream: &[u8]) -> Parsed<(&[u8], usize)> {
    let Some(len) = be16(stream, 0) else {
        return Parsed::Incomplete { needed: None };
    };
    let len = usize::from(len);
    if len == 0 {
        return Parsed::Malformed(Weird::DnsTcpZeroLength);
    }
    if len < HEADER_LEN {
        return Parsed::Malformed(Weird::DnsTcpShortLength);
    }
    match stream.get(2..2 + len) {
        Some(message) => Parsed::Done((message, 2 + len)),
        None => Parsed::Incomplete {
            needed: Some(2 + len),
        },
    }
}

/// Big-endian u16 at `at`, if there.
fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(s.try_into().ok()?))
}

/// Big-endian u32 at `at`, if there.
fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}
