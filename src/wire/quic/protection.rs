//! Initial packet protection: keys from the DCID, header protection, AEAD (RFC 9001 §5).
//!
//! All cryptography comes from ring (HKDF-SHA256, AES-128-GCM, AES header protection) and
//! rustls (the packet nonce); nothing is hand-written. Only the client's direction is
//! derived: the observer never opens what the server sends, and deriving both directions
//! (as `rustls::quic::Keys::initial` does) costs twice the HKDF and AES key set-up.

use std::fmt;

use ring::aead::quic::{AES_128, HeaderProtectionKey};
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf::{self, HKDF_SHA256, KeyType, Prk, Salt};
use rustls::crypto::cipher::{Iv, Nonce as PacketNonce};

use super::{Family, LongHeader, PacketKind};

/// Bytes of header-protection sample (RFC 9001 §5.4.2: 16 for AES).
const SAMPLE_LEN: usize = 16;
/// Bytes of AEAD tag after the payload.
const TAG_LEN: usize = 16;
/// Bytes of the packet IV.
const IV_LEN: usize = 12;

/// The keys protecting the Initial packets a client sends.
pub struct InitialKeys {
    header: HeaderProtectionKey,
    packet: LessSafeKey,
    iv: Iv,
    family: Family,
}

impl fmt::Debug for InitialKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitialKeys")
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

/// An HKDF output length that is no key type of ring's (the 12-byte IV).
struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// The initial salt of a version family (RFC 9001 §5.2, draft-29 §5.2, RFC 9369 §3.3.1).
fn initial_salt(family: Family) -> &'static [u8; 20] {
    match family {
        Family::V1 => &[
            0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
            0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
        ],
        Family::Draft => &[
            0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61,
            0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99,
        ],
        Family::V2 => &[
            0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
            0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
        ],
    }
}

/// The packet key, IV and header-protection labels of a version family (RFC 9369 §3.3.2).
fn labels(family: Family) -> [&'static [u8]; 3] {
    match family {
        Family::V1 | Family::Draft => [b"quic key", b"quic iv", b"quic hp"],
        Family::V2 => [b"quicv2 key", b"quicv2 iv", b"quicv2 hp"],
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context: `prk` expanded with the
/// `HkdfLabel` structure for `label`, to the length of `key_type`.
fn expand_label<L: KeyType, T>(
    prk: &Prk,
    label: &[u8],
    key_type: L,
    into: impl FnOnce(hkdf::Okm<'_, L>) -> Option<T>,
) -> Option<T> {
    const PREFIX: &[u8] = b"tls13 ";
    let length = u16::try_from(key_type.len()).ok()?.to_be_bytes();
    let label_len = [u8::try_from(PREFIX.len() + label.len()).ok()?];
    let info: [&[u8]; 5] = [&length, &label_len, PREFIX, label, &[0]];
    into(prk.expand(&info, key_type).ok()?)
}

impl InitialKeys {
    /// Derive the client's Initial keys from the Destination Connection ID of its first
    /// Initial (or of the Initial that follows a Retry).
    pub fn client(family: Family, dcid: &[u8]) -> Option<InitialKeys> {
        let initial = Salt::new(HKDF_SHA256, initial_salt(family)).extract(dcid);
        let client: Prk = expand_label(&initial, b"client in", HKDF_SHA256, |okm| {
            Some(Prk::from(okm))
        })?;
        let [key_label, iv_label, hp_label] = labels(family);
        let packet = expand_label(&client, key_label, &AES_128_GCM, |okm| {
            Some(LessSafeKey::new(UnboundKey::from(okm)))
        })?;
        let iv = expand_label(&client, iv_label, Len(IV_LEN), |okm| {
            let mut iv = [0u8; IV_LEN];
            okm.fill(&mut iv).ok()?;
            Some(Iv::from(iv))
        })?;
        let header = expand_label(&client, hp_label, &AES_128, |okm| {
            Some(HeaderProtectionKey::from(okm))
        })?;
        Some(InitialKeys {
            header,
            packet,
            iv,
            family,
        })
    }

    /// The version family these keys belong to.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Remove header protection (RFC 9001 §5.4.1, long header: 4 bits of the first byte);
    /// answers the packet number length.
    fn unmask_header(&self, sample: &[u8], first: &mut u8, pn_bytes: &mut [u8]) -> Option<usize> {
        let [first_mask, pn_mask @ ..] = self.header.new_mask(sample).ok()?;
        *first ^= first_mask & 0x0f;
        let pn_len = usize::from(*first & 0x03) + 1;
        for (b, m) in pn_bytes.iter_mut().zip(pn_mask).take(pn_len) {
            *b ^= m;
        }
        Some(pn_len)
    }
}

/// A decrypted Initial packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The packet number as sent (truncated; Initial numbers start near zero).
    pub packet_number: u64,
    /// The decrypted frames.
    pub payload: Vec<u8>,
}

/// Remove header protection and decrypt one Initial packet.
///
/// Errors are weird names: `quic.truncated` when the packet is too short to sample,
/// `quic.decrypt_failed` when the AEAD tag does not verify (wrong keys or corruption).
pub fn open_initial(keys: &InitialKeys, header: &LongHeader<'_>) -> Result<Opened, &'static str> {
    if header.kind != PacketKind::Initial {
        return Err("quic.not_initial");
    }
    let mut buf = header.packet.to_vec();
    let pn_offset = header.pn_offset;
    let split = pn_offset.checked_add(4).ok_or("quic.truncated")?;
    if buf.len() < split.saturating_add(SAMPLE_LEN) || pn_offset == 0 {
        return Err("quic.truncated");
    }
    let (head, tail) = buf.split_at_mut(split);
    let sample = tail.get(..SAMPLE_LEN).ok_or("quic.truncated")?;
    let (start, pn_bytes) = head.split_at_mut(pn_offset);
    let first = start.first_mut().ok_or("quic.truncated")?;
    let pn_len = keys
        .unmask_header(sample, first, pn_bytes)
        .ok_or("quic.truncated")?;
    let packet_number = pn_bytes
        .iter()
        .take(pn_len)
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let header_len = pn_offset + pn_len;
    let (aad, payload) = buf.split_at_mut(header_len);
    let nonce = Nonce::assume_unique_for_key(PacketNonce::new(&keys.iv, packet_number).0);
    let plain_len = keys
        .packet
        .open_in_place(nonce, Aad::from(&*aad), payload)
        .map_err(|_| "quic.decrypt_failed")?
        .len();
    debug_assert!(plain_len + TAG_LEN == payload.len());
    buf.truncate(header_len + plain_len);
    buf.drain(..header_len);
    Ok(Opened {
        packet_number,
        payload: buf,
    })
}

/// Build a protected client Initial (tests only): `key_dcid` derives the keys, `dcid` goes
/// in the header (they differ after the server's first Initial).
#[cfg(test)]
pub(crate) fn seal_initial(
    version: u32,
    dcid: &[u8],
    key_dcid: &[u8],
    pn: u32,
    frames: &[u8],
) -> Vec<u8> {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used)]
    use rustls::Side;
    use rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let family = Family::of(version).unwrap();
    let suite = TLS13_AES_128_GCM_SHA256
        .tls13()
        .unwrap()
        .quic_suite()
        .unwrap();
    let keys = suite.keys(key_dcid, Side::Client, family.rustls()).local;
    let type_bits: u8 = if family == Family::V2 { 1 } else { 0 };
    let mut packet = vec![0xc3 | (type_bits << 4)];
    packet.extend_from_slice(&version.to_be_bytes());
    packet.push(dcid.len() as u8);
    packet.extend_from_slice(dcid);
    packet.extend_from_slice(&[0x00, 0x00]); // no SCID, no token
    let length = 4 + frames.len() + 16;
    packet.extend_from_slice(&(0x4000u16 | length as u16).to_be_bytes());
    let pn_offset = packet.len();
    packet.extend_from_slice(&pn.to_be_bytes());
    let mut payload = frames.to_vec();
    let tag = keys
        .packet
        .encrypt_in_place(u64::from(pn), &packet, &mut payload)
        .unwrap();
    packet.extend_from_slice(&payload);
    packet.extend_from_slice(tag.as_ref());
    let (head, tail) = packet.split_at_mut(pn_offset + 4);
    let (start, pn_bytes) = head.split_at_mut(pn_offset);
    keys.header
        .encrypt_in_place(&tail[..16], &mut start[0], pn_bytes)
        .unwrap();
    packet
}
