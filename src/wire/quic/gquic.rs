//! Google QUIC's unencrypted handshake packets (Q043, Q046) and its frames.
//!
//! Q043 starts with a public header (flags, 8-byte connection ID, version, packet number);
//! Q046 with an IETF-invariant long header whose two CID lengths share one byte. Until the
//! handshake sets up keys both are "null encrypted": a 12-byte FNV-1a-128 hash of header,
//! payload and the sender's perspective precedes the frames, and the client hello (a `CHLO`
//! tag-value message, see `chlo`) rides in STREAM frames of stream 1. From Q048 on (here:
//! Q050, T050, T051) the frames are the same but the handshake goes in CRYPTO frames inside
//! Initial packets protected like IETF QUIC's.
//!
//! Sources: Wireshark's `packet-gquic.c` (public flags, Q046 header, frame layouts, tags) and
//! Chromium's `null_encrypter.cc` / `null_decrypter.cc` (the hash, its "Client" suffix and its
//! 96-bit little-endian serialisation), with the test vector of `null_encrypter_test.cc`.

use crate::weird::Weird;

use super::frames::{CryptoChunk, Frames, MAX_CRYPTO_FRAMES_PER_PACKET};
use super::versions::Q043;
use super::{LongHeader, PacketKind, Parsed, Reader, kind_of};

/// Bytes of the message authentication hash of a null-encrypted packet.
pub const HASH_LEN: usize = 12;
/// Public flag: the version follows the connection ID.
const FLAG_VERSION: u8 = 0x01;
/// Public flag: public reset.
const FLAG_RESET: u8 = 0x02;
/// Public flag: the 8-byte connection ID is present.
const FLAG_CID: u8 = 0x08;
/// Public flags that must be clear up to Q043 (multipath, reserved).
const FLAGS_UNUSED: u8 = 0xc0;
/// Google's handshake stream.
const CRYPTO_STREAM: u64 = 1;

/// A Google QUIC public header (up to Q043) of a client packet that carries its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicHeader<'a> {
    /// The version (`Q043`).
    pub version: u32,
    /// The 8-byte connection ID.
    pub cid: &'a [u8],
    /// Bytes of the packet number.
    pub pn_len: usize,
    /// The header: flags through packet number (what the hash covers first).
    pub header: &'a [u8],
    /// What follows: hash and frames of an unencrypted packet.
    pub rest: &'a [u8],
}

/// Cheap test: a public header with version and connection ID, and a `Q0nn` version.
pub fn looks_like_public_header(datagram: &[u8]) -> bool {
    match datagram {
        [flags, _, _, _, _, _, _, _, _, b'Q', b'0', d1, d2, ..] => {
            flags & (FLAGS_UNUSED | FLAG_RESET) == 0
                && flags & (FLAG_VERSION | FLAG_CID) == FLAG_VERSION | FLAG_CID
                && d1.is_ascii_digit()
                && d2.is_ascii_digit()
        }
        _ => false,
    }
}

/// Parse the public header of a client packet (version present). Versions before Q043 are
/// `NotThis` for the caller to count as unreadable.
pub fn parse_public_header(datagram: &[u8]) -> Parsed<PublicHeader<'_>> {
    if !looks_like_public_header(datagram) {
        return Parsed::NotThis;
    }
    let mut r = Reader::new(datagram);
    let (Some(flags), Some(cid), Some(version)) = (r.u8(), r.take(8), r.u32()) else {
        return Parsed::Incomplete { needed: None };
    };
    if version != Q043 {
        return Parsed::NotThis;
    }
    let pn_len = sized(flags >> 4);
    if r.take(pn_len).is_none() {
        return Parsed::Malformed(Weird::GquicTruncated);
    }
    let (header, rest) = datagram.split_at_checked(r.pos).unwrap_or_default();
    Parsed::Done(PublicHeader {
        version,
        cid,
        pn_len: pn_len as usize,
        header,
        rest,
    })
}

/// The Q046 long header after its version: one byte of CID lengths (each `n + 3` when not 0),
/// the CIDs and an unprotected packet number; the packet runs to the end of the datagram.
pub(super) fn parse_q046<'a>(
    datagram: &'a [u8],
    first: u8,
    mut r: Reader<'a>,
) -> Parsed<(LongHeader<'a>, &'a [u8])> {
    let Some((dcid, scid)) = r.nibble_cids() else {
        return Parsed::Malformed(Weird::GquicTruncated);
    };
    let pn_offset = r.pos;
    let pn_len = usize::from(first & 0x03) + 1;
    if r.take(pn_len as u64).is_none() {
        return Parsed::Malformed(Weird::GquicTruncated);
    }
    let version = super::versions::Q046;
    let header = LongHeader {
        version,
        kind: kind_of(version, first),
        dcid,
        scid,
        token: &[],
        pn_offset,
        pn_len,
        packet: datagram,
    };
    Parsed::Done((header, &[]))
}

/// FNV-1a with 128 bits (offset basis and prime of the FNV reference).
fn fnv1a_128(parts: &[&[u8]]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = (1 << 88) + (1 << 8) + 0x3b;
    parts
        .iter()
        .flat_map(|p| p.iter())
        .fold(OFFSET, |h, b| (h ^ u128::from(*b)).wrapping_mul(PRIME))
}

/// Check the hash of a null-encrypted packet a client sent; answer its frames.
///
/// `header` is everything up to and including the packet number, `rest` what follows it.
pub fn open_null<'a>(header: &[u8], rest: &'a [u8]) -> Result<&'a [u8], Weird> {
    let (hash, payload) = rest
        .split_at_checked(HASH_LEN)
        .ok_or(Weird::GquicTruncated)?;
    let expected = fnv1a_128(&[header, payload, b"Client"]).to_le_bytes();
    if expected.get(..HASH_LEN) == Some(hash) {
        Ok(payload)
    } else {
        Err(Weird::GquicBadHash)
    }
}

/// The header and the rest of a Q046 packet, for [`open_null`].
pub fn q046_parts<'a>(h: &LongHeader<'a>) -> Option<(&'a [u8], &'a [u8])> {
    if h.kind != PacketKind::Initial || h.pn_len == 0 {
        return None;
    }
    h.packet
        .split_at_checked(h.pn_offset.checked_add(h.pn_len)?)
}

/// Walk Google QUIC frames, collecting handshake data: CRYPTO frames (Q048 on) and STREAM
/// frames of stream 1 (up to Q047). `pn_len` sizes STOP_WAITING.
///
/// Integers are big-endian (Q039 on). A frame sporfri does not know ends the walk as
/// `gquic.bad_frame`, keeping what came before.
pub fn walk_frames(payload: &[u8], pn_len: usize) -> Frames<'_> {
    let mut out = Frames::default();
    let mut r = Reader::new(payload);
    while !r.remaining().is_empty() {
        if let Err(weird) = frame(&mut r, pn_len, &mut out) {
            out.weird = Some(weird);
            break;
        }
    }
    out
}

/// Read a big-endian integer of `n` bytes.
fn uint(r: &mut Reader<'_>, n: u64) -> Option<u64> {
    let bytes = r.take(n)?;
    Some(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// A length-prefixed reason phrase (CONNECTION_CLOSE, GOAWAY).
fn reason(r: &mut Reader<'_>) -> Option<()> {
    let len = uint(r, 2)?;
    r.take(len).map(|_| ())
}

/// Consume one frame.
fn frame<'a>(r: &mut Reader<'a>, pn_len: usize, out: &mut Frames<'a>) -> Result<(), Weird> {
    const BAD: Weird = Weird::GquicBadFrame;
    let kind = r.u8().ok_or(BAD)?;
    let ok = match kind {
        // PADDING runs to the end of the packet.
        0x00 => r.take(r.remaining().len() as u64).map(|_| ()),
        0x01 => r.take(16).map(|_| ()),
        0x02 => {
            out.connection_close = true;
            r.take(4).and_then(|_| reason(r))
        }
        0x03 => r.take(8).and_then(|_| reason(r)),
        0x04 => r.take(12).map(|_| ()),
        0x05 => r.take(4).map(|_| ()),
        0x06 => r.take(pn_len as u64).map(|_| ()),
        0x07 => Some(()),
        0x08 => {
            let offset = r.varint().ok_or(BAD)?;
            let len = r.varint().ok_or(BAD)?;
            let data = r.take(len).ok_or(BAD)?;
            return crypto(out, offset, data);
        }
        0x40..=0x7f => ack(r, kind),
        0x80..=0xff => {
            let (stream, offset, data) = stream(r, kind).ok_or(BAD)?;
            return if stream == CRYPTO_STREAM {
                crypto(out, offset, data)
            } else {
                Ok(())
            };
        }
        _ => None,
    };
    ok.ok_or(BAD)
}

fn crypto<'a>(out: &mut Frames<'a>, offset: u64, data: &'a [u8]) -> Result<(), Weird> {
    if offset
        .checked_add(data.len() as u64)
        .is_none_or(|end| end >= 1 << 62)
    {
        return Err(Weird::GquicBadFrame);
    }
    if out.crypto.len() >= MAX_CRYPTO_FRAMES_PER_PACKET {
        return Err(Weird::QuicTooManyCryptoFrames);
    }
    out.crypto.push(CryptoChunk { offset, data });
    Ok(())
}

/// Bytes of a packet-number-sized field from two type bits.
fn sized(bits: u8) -> u64 {
    match bits & 0x03 {
        0 => 1,
        1 => 2,
        2 => 4,
        _ => 6,
    }
}

/// Skip an ACK frame (`01nullmm`, Q034 on).
fn ack(r: &mut Reader<'_>, kind: u8) -> Option<()> {
    let (largest, block) = (sized(kind >> 2), sized(kind));
    r.take(largest + 2)?; // largest acked, ack delay
    let blocks = if kind & 0x20 != 0 { uint(r, 1)? } else { 0 };
    r.take(block)?;
    for _ in 0..blocks {
        r.take(1 + block)?;
    }
    let stamps = uint(r, 1)?;
    if stamps > 0 {
        r.take(5 + 3 * (stamps - 1))?;
    }
    Some(())
}

/// A STREAM frame (`1fdooo ss`): stream ID, offset and data.
fn stream<'a>(r: &mut Reader<'a>, kind: u8) -> Option<(u64, u64, &'a [u8])> {
    let id_len = u64::from(kind & 0x03) + 1;
    let offset_len = match (kind >> 2) & 0x07 {
        0 => 0,
        n => u64::from(n) + 1,
    };
    let stream = uint(r, id_len)?;
    let offset = uint(r, offset_len)?;
    let data = if kind & 0x20 != 0 {
        let len = uint(r, 2)?;
        r.take(len)?
    } else {
        r.take(r.remaining().len() as u64)?
    };
    Some((stream, offset, data))
}

#[cfg(test)]
mod tests;
