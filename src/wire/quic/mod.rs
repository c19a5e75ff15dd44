//! QUIC long headers and Initial packet protection (RFC 8999, 9000, 9001, 9369), for every
//! published version (drafts 22 to 34, mvfst, Google QUIC): see `versions`.
//!
//! Owns: recognising long-header packets of every version, walking the packets coalesced in
//! one datagram, deriving the client's Initial keys from the Destination Connection ID,
//! removing Initial protection and walking the frames of an Initial payload; Google QUIC's
//! unencrypted hello packets (`gquic`) and its tag-value client hello (`chlo`). Connection
//! state (which keys belong to which client, CRYPTO reassembly) lives in `flow::quic`.

pub mod chlo;
#[cfg(test)]
pub(crate) mod encode;
mod frames;
#[cfg(test)]
mod generated;
pub mod gquic;
mod protection;
#[cfg(test)]
pub(crate) mod rfc_vectors;
pub mod versions;

pub use frames::{CryptoChunk, Frames, read_varint, walk_frames};
pub use protection::{InitialKeys, Opened, open_initial};
pub use versions::{
    FrameFormat, Handshake, Protected, Reading, Salt, VERSION_1, VERSION_2, VERSION_NEGOTIATION,
};

use crate::weird::Weird;

#[cfg(test)]
pub(crate) use protection::{seal_initial, seal_rest};

use super::Parsed;

/// Connection IDs of the versions sporfri reads are at most 20 bytes (RFC 9000 §17.2, since
/// draft-22); other versions may use up to 255 (RFC 8999 §5.1) and still parse.
pub const MAX_CID_LEN: usize = 20;

/// Cheap test: the datagram starts with a long header (form bit and fixed bit set) of a QUIC
/// version, readable or not.
///
/// Version Negotiation packets may clear the fixed bit; they carry nothing a passive
/// observer needs, so one byte test is all non-QUIC UDP pays.
///
/// Only QUIC's version space counts (registered ranges, drafts, GREASE): other UDP protocols
/// whose first byte happens to have both high bits set must not look like QUIC.
pub fn looks_like_long_header(datagram: &[u8]) -> bool {
    match datagram {
        [b, v0, v1, v2, v3, ..] if b & 0xc0 == 0xc0 => {
            let version = u32::from_be_bytes([*v0, *v1, *v2, *v3]);
            version == VERSION_1
                || version == VERSION_NEGOTIATION
                || versions::is_quic_version(version)
        }
        _ => false,
    }
}

/// Cheap test for any QUIC a client may start with: a long header of a QUIC version, or the
/// public header of Google QUIC up to Q043.
pub fn looks_like_quic(datagram: &[u8]) -> bool {
    looks_like_long_header(datagram) || gquic::looks_like_public_header(datagram)
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
    /// Offset of the packet number in `packet`; 0 for packets without one.
    pub pn_offset: usize,
    /// Length of an unprotected packet number (Google Q046); 0 while header protection hides it.
    pub pn_len: usize,
    /// The whole packet: header, packet number and (protected) payload.
    pub packet: &'a [u8],
}

impl<'a> LongHeader<'a> {
    /// The versions a Version Negotiation packet offers (RFC 8999 §6), in order; a trailing
    /// partial entry is ignored. Empty for other packets.
    pub fn offered_versions(&self) -> impl Iterator<Item = u32> + 'a {
        let start = 7 + self.dcid.len() + self.scid.len();
        let list = match self.kind {
            PacketKind::VersionNegotiation => self.packet.get(start..).unwrap_or_default(),
            _ => &[],
        };
        list.chunks_exact(4)
            .map(|c| c.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
    }
}

/// Split the first long-header packet off a datagram: the packet and the bytes after it.
///
/// Retry, Version Negotiation, Google Q046 and unknown versions extend to the end of the
/// datagram (they have no Length field).
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
    let reading = versions::reading(version);
    if reading == Some(Reading::Q046) {
        return gquic::parse_q046(datagram, first, r);
    }
    let nibbles = matches!(reading, Some(Reading::Protected(p)) if p.nibble_cids);
    let cids = if nibbles {
        r.nibble_cids()
    } else {
        r.cid().zip(r.cid())
    };
    let Some((dcid, scid)) = cids else {
        return if reading.is_some() || version == VERSION_NEGOTIATION {
            Parsed::Malformed(Weird::QuicTruncated)
        } else {
            Parsed::Done((
                whole(datagram, version, PacketKind::UnknownVersion, &[], &[]),
                &[],
            ))
        };
    };
    if version == VERSION_NEGOTIATION {
        let vn = whole(
            datagram,
            version,
            PacketKind::VersionNegotiation,
            dcid,
            scid,
        );
        return Parsed::Done((vn, &[]));
    }
    let Some(Reading::Protected(_)) = reading else {
        return Parsed::Done((
            whole(datagram, version, PacketKind::UnknownVersion, dcid, scid),
            &[],
        ));
    };
    if first & 0x40 == 0 {
        return Parsed::Malformed(Weird::QuicFixedBitClear);
    }
    if dcid.len() > MAX_CID_LEN || scid.len() > MAX_CID_LEN {
        return Parsed::Malformed(Weird::QuicBadCidLength);
    }
    let kind = kind_of(version, first);
    if kind == PacketKind::Retry {
        return Parsed::Done((whole(datagram, version, kind, dcid, scid), &[]));
    }
    let Some((token, pn_offset, packet, rest)) = protected_part(&mut r, datagram, kind) else {
        return Parsed::Malformed(Weird::QuicTruncated);
    };
    let header = LongHeader {
        version,
        kind,
        dcid,
        scid,
        token,
        pn_offset,
        pn_len: 0,
        packet,
    };
    Parsed::Done((header, rest))
}

/// A packet that runs to the end of its datagram and has no packet number sporfri reads.
fn whole<'a>(
    datagram: &'a [u8],
    version: u32,
    kind: PacketKind,
    dcid: &'a [u8],
    scid: &'a [u8],
) -> LongHeader<'a> {
    LongHeader {
        version,
        kind,
        dcid,
        scid,
        token: &[],
        pn_offset: 0,
        pn_len: 0,
        packet: datagram,
    }
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
fn kind_of(version: u32, first: u8) -> PacketKind {
    let bits = (first >> 4) & 0x03;
    // RFC 9369 §3.2 rotates the type bits by one.
    let bits = if versions::rotates_type_bits(version) {
        (bits + 3) & 0x03
    } else {
        bits
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
/// with its weird.
pub fn coalesced(datagram: &[u8]) -> Coalesced<'_> {
    Coalesced { rest: datagram }
}

/// Iterator returned by [`coalesced`].
#[derive(Debug, Clone)]
pub struct Coalesced<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Coalesced<'a> {
    type Item = Result<LongHeader<'a>, Weird>;

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
                truncated.then_some(Err(Weird::QuicTruncated))
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

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let s = self.take(4)?;
        Some(u32::from_be_bytes(s.try_into().ok()?))
    }

    fn cid(&mut self) -> Option<&'a [u8]> {
        let len = self.u8()?;
        self.take(u64::from(len))
    }

    /// Two CIDs whose lengths share one byte, each `n + 3` when not 0 (draft-21 and older,
    /// Google Q046).
    pub(crate) fn nibble_cids(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        let len = |nibble: u8| {
            if nibble == 0 {
                0
            } else {
                u64::from(nibble) + 3
            }
        };
        let lengths = self.u8()?;
        Some((
            self.take(len(lengths >> 4))?,
            self.take(len(lengths & 0x0f))?,
        ))
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
