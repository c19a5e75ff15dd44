//! Protected QUIC packets for tests: the inverse of what `quic_keys` removes.

#![allow(clippy::unwrap_used)]

use super::keylog::Secrets;
use super::quic_keys::{HeaderKey, Labels, PacketKey, QuicSuite};

/// One direction's keys from a secret.
pub(crate) struct Sealer {
    pub header: HeaderKey,
    pub packet: PacketKey,
}

impl Sealer {
    pub(crate) fn new(suite: QuicSuite, version: u32, secret: &[u8]) -> Sealer {
        let labels = Labels::of(version);
        Sealer {
            header: HeaderKey::derive(suite, labels, secret).unwrap(),
            packet: PacketKey::derive(suite, labels, secret).unwrap(),
        }
    }

    /// Protect a packet whose unprotected header is `header` (packet number last, at
    /// `pn_offset`).
    pub(crate) fn seal(&self, header: &[u8], pn_offset: usize, pn: u64, frames: &[u8]) -> Vec<u8> {
        super::quic_keys::seal(&self.header, &self.packet, header, pn_offset, pn, frames).unwrap()
    }

    /// A 1-RTT packet to `dcid` (2-byte packet number), padded to a sample's length.
    pub(crate) fn short(&self, dcid: &[u8], pn: u64, phase: bool, frames: &[u8]) -> Vec<u8> {
        let mut header = vec![0x41 | if phase { 0x04 } else { 0 }];
        header.extend_from_slice(dcid);
        header.extend_from_slice(&(pn as u16).to_be_bytes());
        let mut frames = frames.to_vec();
        frames.resize(frames.len().max(4), 0);
        self.seal(&header, 1 + dcid.len(), pn, &frames)
    }

    /// A Handshake packet (QUIC v1 or v2 type bits) from `scid` to `dcid`.
    pub(crate) fn handshake(
        &self,
        version: u32,
        dcid: &[u8],
        scid: &[u8],
        pn: u64,
        frames: &[u8],
    ) -> Vec<u8> {
        let v2 = version == crate::wire::quic::VERSION_2;
        self.long(if v2 { 3 } else { 2 }, version, dcid, scid, pn, frames)
    }

    /// A 0-RTT packet (QUIC v1) from `scid` to `dcid`.
    pub(crate) fn zero_rtt(&self, dcid: &[u8], scid: &[u8], pn: u64, frames: &[u8]) -> Vec<u8> {
        self.long(1, crate::wire::quic::VERSION_1, dcid, scid, pn, frames)
    }

    fn long(
        &self,
        type_bits: u8,
        version: u32,
        dcid: &[u8],
        scid: &[u8],
        pn: u64,
        frames: &[u8],
    ) -> Vec<u8> {
        let mut header = vec![0xc1 | type_bits << 4];
        header.extend_from_slice(&version.to_be_bytes());
        header.push(dcid.len() as u8);
        header.extend_from_slice(dcid);
        header.push(scid.len() as u8);
        header.extend_from_slice(scid);
        let mut frames = frames.to_vec();
        frames.resize(frames.len().max(4), 0);
        let length = 2 + frames.len() + 16;
        header.extend_from_slice(&(0x4000 | length as u16).to_be_bytes());
        let pn_offset = header.len();
        header.extend_from_slice(&(pn as u16).to_be_bytes());
        self.seal(&header, pn_offset, pn, &frames)
    }
}

/// Secrets of a test connection: four distinct secrets of `len` bytes.
pub(crate) fn secrets(len: usize) -> Secrets {
    let s = |b: u8| Some(vec![b; len]);
    Secrets {
        master: None,
        client_handshake: s(1),
        server_handshake: s(2),
        client_traffic: s(3),
        server_traffic: s(4),
        client_early: s(5),
    }
}

/// A STREAM frame with offset, length and (optionally) FIN.
pub(crate) fn stream_frame(id: u64, offset: u64, data: &[u8], fin: bool) -> Vec<u8> {
    let mut f = vec![0x0e | u8::from(fin)];
    for v in [id, offset, data.len() as u64] {
        f.extend_from_slice(&(0x8000_0000u32 | v as u32).to_be_bytes());
    }
    f.extend_from_slice(data);
    f
}
