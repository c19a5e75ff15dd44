//! Initial packet protection: keys from the DCID, header protection, AEAD (RFC 9001 §5).
//!
//! All cryptography comes from rustls's QUIC key API over ring; nothing is hand-written.

use std::fmt;

use rustls::Side;
use rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
use rustls::quic::DirectionalKeys;

use super::{Family, LongHeader, PacketKind};

/// The keys protecting the Initial packets a client sends.
pub struct InitialKeys {
    client: DirectionalKeys,
    family: Family,
}

impl fmt::Debug for InitialKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitialKeys")
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

impl InitialKeys {
    /// Derive the client's Initial keys from the Destination Connection ID of its first
    /// Initial (or of the Initial that follows a Retry).
    pub fn client(family: Family, dcid: &[u8]) -> Option<InitialKeys> {
        let suite = TLS13_AES_128_GCM_SHA256.tls13()?.quic_suite()?;
        // The observer plays the server: its "remote" keys open what the client sends.
        let keys = suite.keys(dcid, Side::Server, family.rustls());
        Some(InitialKeys {
            client: keys.remote,
            family,
        })
    }

    /// The version family these keys belong to.
    pub fn family(&self) -> Family {
        self.family
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
    let sample_len = keys.client.header.sample_len();
    let split = pn_offset.checked_add(4).ok_or("quic.truncated")?;
    if buf.len() < split.saturating_add(sample_len) || pn_offset == 0 {
        return Err("quic.truncated");
    }
    let (head, tail) = buf.split_at_mut(split);
    let sample = tail.get(..sample_len).ok_or("quic.truncated")?;
    let (start, pn_bytes) = head.split_at_mut(pn_offset);
    let first = start.first_mut().ok_or("quic.truncated")?;
    keys.client
        .header
        .decrypt_in_place(sample, first, pn_bytes)
        .map_err(|_| "quic.truncated")?;
    let pn_len = usize::from(*first & 0x03) + 1;
    let packet_number = pn_bytes
        .iter()
        .take(pn_len)
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let header_len = pn_offset + pn_len;
    let (aad, payload) = buf.split_at_mut(header_len);
    let plain_len = keys
        .client
        .packet
        .decrypt_in_place(packet_number, aad, payload)
        .map_err(|_| "quic.decrypt_failed")?
        .len();
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
