//! Initial packet protection: keys from the DCID, header protection, AEAD (RFC 9001 §5).
//!
//! All cryptography comes from ring (HKDF-SHA256, AES-128-GCM, AES header protection) and
//! rustls (the packet nonce); nothing is hand-written. Only the client's direction is
//! derived: the observer never opens what the server sends, and deriving both directions
//! (as `rustls::quic::Keys::initial` does) costs twice the HKDF and AES key set-up.

use std::fmt;
use std::sync::OnceLock;

use ring::aead::quic::{AES_128, HeaderProtectionKey};
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf::{self, HKDF_SHA256, KeyType, Prk};
use rustls::crypto::cipher::{Iv, Nonce as PacketNonce};

use crate::weird::Weird;

use super::versions::Salt;
use super::{LongHeader, PacketKind};

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
    salt: Salt,
}

impl fmt::Debug for InitialKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitialKeys")
            .field("salt", &self.salt)
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

/// The bytes of an Initial salt (sources in `versions`), as the drafts print them.
fn initial_salt(salt: Salt) -> &'static [u8; 20] {
    const DRAFT22: [u8; 20] = hex20(*b"7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a");
    const DRAFT23: [u8; 20] = hex20(*b"c3eef712c72ebb5a11a7d2432bb46365bef9f502");
    const DRAFT29: [u8; 20] = hex20(*b"afbfec289993d24c9e9786f19c6111e04390a899");
    const V1: [u8; 20] = hex20(*b"38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
    const V2: [u8; 20] = hex20(*b"0dede3def700a6db819381be6e269dcbf9bd2ed9");
    const Q050: [u8; 20] = hex20(*b"504574efd066fe2f9d945cfcdbd3a7f0d3b56b45");
    const T050: [u8; 20] = hex20(*b"7ff579e5acd072915580304c43a2367c60488310");
    const T051: [u8; 20] = hex20(*b"7a4edef4e7ccee5fa4506c19124fc8ccda6e033d");
    match salt {
        Salt::Draft22 => &DRAFT22,
        Salt::Draft23 => &DRAFT23,
        Salt::Draft29 => &DRAFT29,
        Salt::V1 => &V1,
        Salt::V2 => &V2,
        Salt::Q050 => &Q050,
        Salt::T050 => &T050,
        Salt::T051 => &T051,
    }
}

/// 40 hex digits as 20 bytes, evaluated at compile time only (a bad digit fails the build).
#[allow(clippy::indexing_slicing)]
const fn hex20(digits: [u8; 40]) -> [u8; 20] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a hex digit"),
        }
    }
    let mut out = [0u8; 20];
    let mut i = 0;
    while i < 20 {
        out[i] = nibble(digits[2 * i]) << 4 | nibble(digits[2 * i + 1]);
        i += 1;
    }
    out
}

/// Each salt as an HMAC key, set up the first time a client Initial uses it: keying HMAC
/// hashes the padded key twice, two of the sixteen SHA-256 blocks a derivation would otherwise
/// cost. One at a time, so a capture pays only for the versions it has.
static SALTS: [OnceLock<hkdf::Salt>; 8] = [const { OnceLock::new() }; 8];

/// The HMAC key of a salt.
fn salt_key(salt: Salt) -> Option<&'static hkdf::Salt> {
    let index = match salt {
        Salt::Draft22 => 0,
        Salt::Draft23 => 1,
        Salt::Draft29 => 2,
        Salt::V1 => 3,
        Salt::V2 => 4,
        Salt::Q050 => 5,
        Salt::T050 => 6,
        Salt::T051 => 7,
    };
    let key = SALTS.get(index)?;
    Some(key.get_or_init(|| hkdf::Salt::new(HKDF_SHA256, initial_salt(salt))))
}

/// The packet key, IV and header-protection labels (RFC 9369 §3.3.2 for v2).
fn labels(salt: Salt) -> [&'static [u8]; 3] {
    match salt {
        Salt::V2 => [b"quicv2 key", b"quicv2 iv", b"quicv2 hp"],
        _ => [b"quic key", b"quic iv", b"quic hp"],
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
    pub fn client(salt: Salt, dcid: &[u8]) -> Option<InitialKeys> {
        let initial = salt_key(salt)?.extract(dcid);
        let client: Prk = expand_label(&initial, b"client in", HKDF_SHA256, |okm| {
            Some(Prk::from(okm))
        })?;
        let [key_label, iv_label, hp_label] = labels(salt);
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
            salt,
        })
    }

    /// The salt these keys were derived with.
    pub fn salt(&self) -> Salt {
        self.salt
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
    /// Bytes of the packet number (Google QUIC's STOP_WAITING frame is sized by it).
    pub pn_len: usize,
    /// The decrypted frames.
    pub payload: Vec<u8>,
}

/// Remove header protection and decrypt one Initial packet.
///
/// Errors are weirds: `quic.truncated` when the packet is too short to sample,
/// `quic.decrypt_failed` when the AEAD tag does not verify (wrong keys or corruption).
pub fn open_initial(keys: &InitialKeys, header: &LongHeader<'_>) -> Result<Opened, Weird> {
    if header.kind != PacketKind::Initial {
        return Err(Weird::QuicNotInitial);
    }
    let mut buf = header.packet.to_vec();
    let pn_offset = header.pn_offset;
    let split = pn_offset.checked_add(4).ok_or(Weird::QuicTruncated)?;
    if buf.len() < split.saturating_add(SAMPLE_LEN) || pn_offset == 0 {
        return Err(Weird::QuicTruncated);
    }
    let (head, tail) = buf.split_at_mut(split);
    let sample = tail.get(..SAMPLE_LEN).ok_or(Weird::QuicTruncated)?;
    let (start, pn_bytes) = head.split_at_mut(pn_offset);
    let first = start.first_mut().ok_or(Weird::QuicTruncated)?;
    let pn_len = keys
        .unmask_header(sample, first, pn_bytes)
        .ok_or(Weird::QuicTruncated)?;
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
        .map_err(|_| Weird::QuicDecryptFailed)?
        .len();
    debug_assert!(plain_len + TAG_LEN == payload.len());
    buf.truncate(header_len + plain_len);
    buf.drain(..header_len);
    Ok(Opened {
        packet_number,
        pn_len,
        payload: buf,
    })
}

/// Build a protected client Initial (tests only): `key_dcid` derives the keys with the first
/// salt of `version`, `dcid` goes in the header (they differ after the server's first
/// Initial). The packet number is sent in 4 bytes.
#[cfg(test)]
pub(crate) fn seal_initial(
    version: u32,
    dcid: &[u8],
    key_dcid: &[u8],
    pn: u32,
    frames: &[u8],
) -> Vec<u8> {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used)]
    let Some(super::versions::Reading::Protected(p)) = super::versions::reading(version) else {
        panic!("{version:#x} has no Initial protection");
    };
    let keys = InitialKeys::client(p.salts[0], key_dcid).unwrap();
    let type_bits: u8 = if super::versions::rotates_type_bits(version) {
        1
    } else {
        0
    };
    let mut packet = vec![0xc3 | (type_bits << 4)];
    packet.extend_from_slice(&version.to_be_bytes());
    packet.push(dcid.len() as u8);
    packet.extend_from_slice(dcid);
    packet.extend_from_slice(&[0x00, 0x00]); // no SCID, no token
    let length = 4 + frames.len() + TAG_LEN;
    packet.extend_from_slice(&(0x4000u16 | length as u16).to_be_bytes());
    seal_rest(&keys, packet, pn, frames)
}

/// Append packet number and payload to `header`, encrypt, then protect the header (tests).
#[cfg(test)]
pub(crate) fn seal_rest(
    keys: &InitialKeys,
    mut packet: Vec<u8>,
    pn: u32,
    frames: &[u8],
) -> Vec<u8> {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used)]
    let pn_offset = packet.len();
    packet.extend_from_slice(&pn.to_be_bytes());
    let mut payload = frames.to_vec();
    let nonce = Nonce::assume_unique_for_key(PacketNonce::new(&keys.iv, u64::from(pn)).0);
    let tag = keys
        .packet
        .seal_in_place_separate_tag(nonce, Aad::from(&packet[..]), &mut payload)
        .unwrap();
    packet.extend_from_slice(&payload);
    packet.extend_from_slice(tag.as_ref());
    let sample: [u8; SAMPLE_LEN] = packet[pn_offset + 4..pn_offset + 4 + SAMPLE_LEN]
        .try_into()
        .unwrap();
    let mask = keys.header.new_mask(&sample).unwrap();
    packet[0] ^= mask[0] & 0x0f;
    for (b, m) in packet[pn_offset..pn_offset + 4].iter_mut().zip(&mask[1..]) {
        *b ^= m;
    }
    packet
}
