//! QUIC long headers and Initial packet protection (RFC 8999, 9000, 9001, 9369).
//!
//! Owns: recognising long-header packets of every version, walking the packets coalesced in
//! one datagram, deriving the client's Initial keys from the Destination Connection ID,
//! removing Initial protection and walking the frames of an Initial payload. Connection
//! state (which keys belong to which client, CRYPTO reassembly) lives in `flow::quic`.

mod frames;
mod protection;
#[cfg(test)]
pub(crate) mod rfc_vectors;

pub use frames::{CryptoChunk, Frames, read_varint, walk_frames};
pub use protection::{InitialKeys, Opened, open_initial};

#[cfg(test)]
pub(crate) use protection::seal_initial;

use super::Parsed;

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;
/// The version field of a Version Negotiation packet.
pub const VERSION_NEGOTIATION: u32 = 0;
/// Connection IDs of versions 1 and 2 are at most 20 bytes (RFC 9000 §17.2).
pub const MAX_CID_LEN: usize = 20;

/// Cheap test: the datagram starts with a QUIC long header (form bit and fixed bit set).
///
/// Version Negotiation packets may clear the fixed bit; they carry nothing a passive
/// observer needs, so one byte test is all non-QUIC UDP pays.
///
/// Only versions sporfri can read (or Version Negotiation, which answers them) count: other UDP
/// protocols whose first byte happens to have both high bits set must not look like QUIC.
pub fn looks_like_long_header(datagram: &[u8]) -> bool {
    match datagram {
        [b, v0, v1, v2, v3, ..] if b & 0xc0 == 0xc0 => {
            let version = u32::from_be_bytes([*v0, *v1, *v2, *v3]);
            version == VERSION_NEGOTIATION || Family::of(version).is_some()
        }
        _ => false,
    }
}

/// How the Initial packets of a version are protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// RFC 9000 / RFC 9001 (and drafts 29 to 34, which share its wire image).
    V1,
    /// Drafts 29 to 32: the v1 wire image with the draft initial salt.
    Draft,
    /// RFC 9369: other long-header type bits, salt and labels.
    V2,
}

impl Family {
    /// The family of a version number, when its Initial packets can be opened.
    pub fn of(version: u32) -> Option<Family> {
        match version {
            VERSION_1 => Some(Family::V1),
            VERSION_2 => Some(Family::V2),
            // draft-29..32 use the draft-29 salt; 33 and 34 already use the v1 salt.
            0xff00_001d..=0xff00_0020 => Some(Family::Draft),
            0xff00_0021..=0xff00_0022 => Some(Family::V1),
            _ => None,
        }
    }

    /// The rustls name for the key schedule of this family (tests seal with rustls).
    #[cfg(test)]
    pub(crate) fn rustls(self) -> rustls::quic::Version {
        match self {
            Family::V1 => rustls::quic::Version::V1,
            Family::Draft => rustls::quic::Version::V1Draft,
            Family::V2 => rustls::quic::Version::V2,
        }
    }
}

/// The kind of a long-header packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// Initial: carries the ClientHello, protected with keys anyone can derive.
    Initial,
    /// 0-RTT data.
    ZeroRtt,
    /// Handshake keys (not derivable by an observer).
    Handshake,
    /// Retry: the server asks the client to start over with a new DCID.
    Retry,
    /// Version Negotiation (version 0).
    VersionNegotiation,
    /// A version this code cannot read past the connection IDs.
    UnknownVersion,
}

/// One long-header packet, borrowed from its datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongHeader<'a> {
    /// The version field.
    pub version: u32,
    /// What kind of packet this is.
    pub kind: PacketKind,
    /// Destination Connection ID.
    pub dcid: &'a [u8],
    /// Source Connection ID.
    pub scid: &'a [u8],
    /// The token of an Initial packet (empty otherwise).
    pub token: &'a [u8],
    /// Offset of the (protected) packet number in `packet`; 0 for packets without one.
    pub pn_offset: usize,
    /// The whole packet: header, packet number and protected payload.
    pub packet: &'a [u8],
}

/// Split the first long-header packet off a datagram: the packet and the bytes after it.
///
/// Retry, Version Negotiation and unknown versions extend to the end of the datagram.
pub fn parse_long_header(datagram: &[u8]) -> Parsed<(LongHeader<'_>, &[u8])> {
    let mut r = Reader::new(datagram);
    let Some(first) = r.u8() else {
        return Parsed::Incomplete { needed: None };
    };
    if first & 0x80 == 0 {
        return Parsed::NotThis;
    }
    let Some(version) = r.u32() else {
        return Parsed::Incomplete { needed: None };
    };
    let family = Family::of(version);
    let (dcid, scid) = match (r.cid(), r.cid()) {
        (Some(d), Some(s)) => (d, s),
        // Google QUIC Q046+ and other pre-invariant versions pack the CID lengths differently.
        _ if family.is_none() && version != VERSION_NEGOTIATION => (&[][..], &[][..]),
        _ => return Parsed::Incomplete { needed: None },
    };
    let whole = |kind| LongHeader {
        version,
        kind,
        dcid,
        scid,
        token: &[],
        pn_offset: 0,
        packet: datagram,
    };
    if version == VERSION_NEGOTIATION {
        return Parsed::Done((whole(PacketKind::VersionNegotiation), &[]));
    }
    let Some(family) = family else {
        return Parsed::Done((whole(PacketKind::UnknownVersion), &[]));
    };
    if first & 0x40 == 0 {
        return Parsed::Malformed("quic.fixed_bit_clear");
    }
    if dcid.len() > MAX_CID_LEN || scid.len() > MAX_CID_LEN {
        return Parsed::Malformed("quic.bad_cid_length");
    }
    let kind = kind_of(family, first);
    if kind == PacketKind::Retry {
        return Parsed::Done((whole(kind), &[]));
    }
    let Some((token, pn_offset, packet, rest)) = protected_part(&mut r, datagram, kind) else {
        return Parsed::Malformed("quic.truncated");
    };
    let header = LongHeader {
        version,
        kind,
        dcid,
        scid,
        token,
        pn_offset,
        packet,
    };
    Parsed::Done((header, rest))
}

/// After the CIDs of an Initial, 0-RTT or Handshake packet: the token, the packet number
/// offset, the packet (its Length field says where it ends) and the bytes after it.
#[allow(clippy::type_complexity)]
fn protected_part<'a>(
    r: &mut Reader<'a>,
    datagram: &'a [u8],
    kind: PacketKind,
) -> Option<(&'a [u8], usize, &'a [u8], &'a [u8])> {
    let token = if kind == PacketKind::Initial {
        let len = r.varint()?;
        r.take(len)?
    } else {
        &[]
    };
    let length = usize::try_from(r.varint()?).ok()?;
    let pn_offset = r.pos;
    let end = pn_offset.checked_add(length)?;
    Some((token, pn_offset, datagram.get(..end)?, datagram.get(end..)?))
}

/// The packet type from the (unprotected) type bits of the first byte.
fn kind_of(family: Family, first: u8) -> PacketKind {
    let bits = (first >> 4) & 0x03;
    let bits = match family {
        // RFC 9369 §3.2 rotates the type bits by one.
        Family::V2 => (bits + 3) & 0x03,
        Family::V1 | Family::Draft => bits,
    };
    match bits {
        0 => PacketKind::Initial,
        1 => PacketKind::ZeroRtt,
        2 => PacketKind::Handshake,
        _ => PacketKind::Retry,
    }
}

/// The long-header packets coalesced in one datagram (RFC 9000 §12.2), in order.
///
/// Stops at a short-header packet or at trailing padding; a broken packet ends the walk
/// with its weird name.
pub fn coalesced(datagram: &[u8]) -> Coalesced<'_> {
    Coalesced { rest: datagram }
}

/// Iterator returned by [`coalesced`].
#[derive(Debug, Clone)]
pub struct Coalesced<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Coalesced<'a> {
    type Item = Result<LongHeader<'a>, &'static str>;

    fn next(&mut self) -> Option<Self::Item> {
        if !looks_like_long_header(self.rest) {
            return None;
        }
        match parse_long_header(self.rest) {
            Parsed::Done((header, rest)) => {
                self.rest = rest;
                Some(Ok(header))
            }
            Parsed::Malformed(weird) => {
                self.rest = &[];
                Some(Err(weird))
            }
            Parsed::Incomplete { .. } | Parsed::NotThis => {
                let truncated = !self.rest.is_empty();
                self.rest = &[];
                truncated.then_some(Err("quic.truncated"))
            }
        }
    }
}

/// A bounds-checked cursor over a byte slice.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub(crate) fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|s| s.first().copied())
    }

    fn u32(&mut self) -> Option<u32> {
        let s = self.take(4)?;
        Some(u32::from_be_bytes(s.try_into().ok()?))
    }

    fn cid(&mut self) -> Option<&'a [u8]> {
        let len = self.u8()?;
        self.take(u64::from(len))
    }

    pub(crate) fn varint(&mut self) -> Option<u64> {
        let rest = self.bytes.get(self.pos..)?;
        let (v, n) = read_varint(rest)?;
        self.pos += n;
        Some(v)
    }

    pub(crate) fn remaining(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }
}

#[cfg(test)]
pub(crate) mod tests;
