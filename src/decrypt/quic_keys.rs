//! QUIC packet protection from TLS secrets (RFC 9001 §5, §6; RFC 9369 §3.3.2): the packet key,
//! IV and header-protection key a traffic secret gives, the next secret of a key update, and
//! removing protection from Handshake, 0-RTT and 1-RTT packets.
//!
//! All cryptography is ring's (HKDF through [`schedule::expand_label`], AEAD, AES/ChaCha20
//! header protection); nothing is hand-written. Initial packets are `wire::quic`'s business.

use ring::aead::quic::{self as hp, HeaderProtectionKey};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey};

use super::schedule::{self, Cipher, Hash, NONCE_LEN};
use crate::wire::quic::VERSION_2;

/// Bytes of the header-protection sample (RFC 9001 §5.4.2).
pub const SAMPLE_LEN: usize = 16;
/// Bytes of every QUIC AEAD tag.
pub const TAG_LEN: usize = 16;

/// The HKDF labels of a QUIC version's packet protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels {
    key: &'static [u8],
    iv: &'static [u8],
    hp: &'static [u8],
    ku: &'static [u8],
}

const V1_LABELS: Labels = Labels {
    key: b"quic key",
    iv: b"quic iv",
    hp: b"quic hp",
    ku: b"quic ku",
};

const V2_LABELS: Labels = Labels {
    key: b"quicv2 key",
    iv: b"quicv2 iv",
    hp: b"quicv2 hp",
    ku: b"quicv2 ku",
};

impl Labels {
    /// The labels of a version: v2's for QUIC v2, v1's for v1 and the drafts.
    pub fn of(version: u32) -> Labels {
        if version == VERSION_2 {
            V2_LABELS
        } else {
            V1_LABELS
        }
    }
}

/// A TLS 1.3 cipher suite as QUIC uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuicSuite {
    /// The AEAD (and the header-protection cipher that goes with it).
    pub cipher: Cipher,
    /// The key schedule hash.
    pub hash: Hash,
}

const AES128: QuicSuite = QuicSuite {
    cipher: Cipher::Aes128Gcm,
    hash: Hash::Sha256,
};
const CHACHA: QuicSuite = QuicSuite {
    cipher: Cipher::ChaCha20Poly1305,
    hash: Hash::Sha256,
};
const AES256: QuicSuite = QuicSuite {
    cipher: Cipher::Aes256Gcm,
    hash: Hash::Sha384,
};

impl QuicSuite {
    /// The suites a traffic secret of `len` bytes can belong to, most common first. The key log
    /// does not name the suite and the ServerHello is in the server's Initial packets, which
    /// sporfri does not open: the first packet that decrypts tells which one it is.
    pub fn candidates(len: usize) -> &'static [QuicSuite] {
        match len {
            32 => &[AES128, CHACHA],
            48 => &[AES256],
            _ => &[],
        }
    }

    fn header_algorithm(self) -> &'static hp::Algorithm {
        match self.cipher {
            Cipher::Aes128Gcm => &hp::AES_128,
            Cipher::Aes256Gcm => &hp::AES_256,
            Cipher::ChaCha20Poly1305 => &hp::CHACHA20,
        }
    }
}

/// The AEAD key and IV of one direction and one key phase.
pub struct PacketKey {
    key: LessSafeKey,
    iv: [u8; NONCE_LEN],
}

impl std::fmt::Debug for PacketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketKey").finish_non_exhaustive()
    }
}

impl PacketKey {
    /// The packet key of a traffic secret.
    pub fn derive(suite: QuicSuite, labels: Labels, secret: &[u8]) -> Option<PacketKey> {
        let key_len = suite.cipher.key_len();
        let key = schedule::expand_label(suite.hash, secret, labels.key, b"", key_len)?;
        let iv = schedule::expand_label(suite.hash, secret, labels.iv, b"", NONCE_LEN)?;
        let key = LessSafeKey::new(UnboundKey::new(suite.cipher.algorithm(), &key).ok()?);
        Some(PacketKey {
            key,
            iv: iv.try_into().ok()?,
        })
    }

    /// The nonce of packet number `pn`: the IV with the number XORed into its low bytes.
    fn nonce(&self, pn: u64) -> Nonce {
        let mut nonce = self.iv;
        for (n, p) in nonce.iter_mut().skip(NONCE_LEN - 8).zip(pn.to_be_bytes()) {
            *n ^= p;
        }
        Nonce::assume_unique_for_key(nonce)
    }

    /// Decrypt `body` (payload and tag) in place; `header` is the unprotected header.
    pub fn open<'b>(&self, pn: u64, header: &[u8], body: &'b mut [u8]) -> Option<&'b mut [u8]> {
        self.key
            .open_in_place(self.nonce(pn), Aad::from(header), body)
            .ok()
    }

    /// Encrypt a payload: the payload followed by its tag (for [`seal`]).
    fn seal(&self, pn: u64, header: &[u8], plain: &[u8]) -> Option<Vec<u8>> {
        let mut body = plain.to_vec();
        self.key
            .seal_in_place_append_tag(self.nonce(pn), Aad::from(header), &mut body)
            .ok()?;
        Some(body)
    }
}

/// The header-protection key of one direction (constant across key updates).
pub struct HeaderKey(HeaderProtectionKey);

impl std::fmt::Debug for HeaderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderKey").finish_non_exhaustive()
    }
}

impl HeaderKey {
    /// The header-protection key of a traffic secret.
    pub fn derive(suite: QuicSuite, labels: Labels, secret: &[u8]) -> Option<HeaderKey> {
        let len = suite.cipher.key_len();
        let key = schedule::expand_label(suite.hash, secret, labels.hp, b"", len)?;
        HeaderProtectionKey::new(suite.header_algorithm(), &key)
            .ok()
            .map(HeaderKey)
    }

    fn mask(&self, sample: &[u8]) -> Option<[u8; 5]> {
        self.0.new_mask(sample).ok()
    }
}

/// Protect a packet: the inverse of [`unmask`] and [`open`]. `header` is the unprotected
/// header, its packet number (of the length its first byte says) at `pn_offset`. sporfri never
/// sends packets: this is for the fuzz target, which must reach the code behind decryption, and
/// for tests.
pub fn seal(
    header_key: &HeaderKey,
    key: &PacketKey,
    header: &[u8],
    pn_offset: usize,
    pn: u64,
    frames: &[u8],
) -> Option<Vec<u8>> {
    let mut packet = header.to_vec();
    packet.extend(key.seal(pn, header, frames)?);
    let sample_at = pn_offset.checked_add(4)?;
    let sample = packet.get(sample_at..sample_at.checked_add(SAMPLE_LEN)?)?;
    let [first_mask, pn_mask @ ..] = header_key.mask(sample)?;
    let first = packet.first_mut()?;
    let long = *first & 0x80 != 0;
    let pn_len = usize::from(*first & 0x03) + 1;
    *first ^= first_mask & if long { 0x0f } else { 0x1f };
    let pn_bytes = packet.get_mut(pn_offset..pn_offset + pn_len)?;
    for (b, m) in pn_bytes.iter_mut().zip(pn_mask) {
        *b ^= m;
    }
    Some(packet)
}

/// The secret after a key update (RFC 9001 §6.1).
pub fn next_secret(suite: QuicSuite, labels: Labels, secret: &[u8]) -> Option<Vec<u8>> {
    let len = suite.hash.output_len();
    schedule::expand_label(suite.hash, secret, labels.ku, b"", len)
}

/// A packet whose header protection is removed: what the header said, and the packet with the
/// first byte and packet number in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmasked {
    /// The packet number as sent (its low `pn_len` bytes).
    pub truncated_pn: u64,
    /// Bytes of packet number.
    pub pn_len: usize,
    /// The key phase bit (short headers only).
    pub key_phase: bool,
    /// The whole packet with the header unprotected.
    pub packet: Vec<u8>,
    /// Where the payload starts (after the packet number).
    pub header_len: usize,
}

/// Remove header protection from `packet` (RFC 9001 §5.4): `pn_offset` is where the packet
/// number starts, `long` whether it is a long header (4 masked bits of the first byte, else 5).
pub fn unmask(key: &HeaderKey, packet: &[u8], pn_offset: usize, long: bool) -> Option<Unmasked> {
    let sample_at = pn_offset.checked_add(4)?;
    let sample = packet.get(sample_at..sample_at.checked_add(SAMPLE_LEN)?)?;
    let [first_mask, pn_mask @ ..] = key.mask(sample)?;
    let mut packet = packet.to_vec();
    let first = packet.first_mut()?;
    *first ^= first_mask & if long { 0x0f } else { 0x1f };
    let first = *first;
    let pn_len = usize::from(first & 0x03) + 1;
    let pn_bytes = packet.get_mut(pn_offset..pn_offset + pn_len)?;
    let mut truncated_pn = 0u64;
    for (b, m) in pn_bytes.iter_mut().zip(pn_mask) {
        *b ^= m;
        truncated_pn = truncated_pn << 8 | u64::from(*b);
    }
    Some(Unmasked {
        truncated_pn,
        pn_len,
        key_phase: !long && first & 0x04 != 0,
        packet,
        header_len: pn_offset + pn_len,
    })
}

/// The full packet number from its truncated form and the largest number received so far in
/// its number space (RFC 9000 §A.3).
pub fn decode_pn(largest: Option<u64>, truncated: u64, pn_len: usize) -> u64 {
    let expected = largest.map_or(0, |l| l.saturating_add(1));
    let bits = 8 * pn_len.clamp(1, 4) as u32;
    let win = 1u64 << bits;
    let half = win / 2;
    let candidate = (expected & !(win - 1)) | truncated;
    if candidate.saturating_add(half) <= expected && candidate < (1 << 62) - win {
        candidate + win
    } else if candidate > expected.saturating_add(half) && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

/// Decrypt an unmasked packet with `key` as packet number `pn`: the plaintext frames. The
/// packet is left as it was, so that another key can be tried.
pub fn open(key: &PacketKey, pn: u64, unmasked: &Unmasked) -> Option<Vec<u8>> {
    let (header, body) = unmasked.packet.split_at_checked(unmasked.header_len)?;
    if body.len() < TAG_LEN {
        return None;
    }
    let mut body = body.to_vec();
    let len = key.open(pn, header, &mut body)?.len();
    body.truncate(len);
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decrypt::keylog::unhex;

    fn h(s: &str) -> Vec<u8> {
        unhex(s.as_bytes()).unwrap()
    }

    /// RFC 9001 A.5 / RFC 9369 A.5: the ChaCha20-Poly1305 short-header packet.
    const SECRET: &str = "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b";

    fn short_packet_opens(version: u32, packet: &str, ku: &str) {
        let labels = Labels::of(version);
        let suite = QuicSuite::candidates(32)[1];
        assert_eq!(suite.cipher, Cipher::ChaCha20Poly1305);
        let secret = h(SECRET);
        let hp = HeaderKey::derive(suite, labels, &secret).unwrap();
        let key = PacketKey::derive(suite, labels, &secret).unwrap();
        let u = unmask(&hp, &h(packet), 1, false).unwrap();
        assert_eq!(&u.packet[..4], &h("4200bff4")[..]);
        assert_eq!((u.pn_len, u.key_phase), (3, false));
        let pn = decode_pn(Some(654_360_563), u.truncated_pn, u.pn_len);
        assert_eq!(pn, 654_360_564);
        assert_eq!(open(&key, pn, &u).unwrap(), [0x01]);
        assert!(open(&key, pn + 1, &u).is_none());
        assert_eq!(next_secret(suite, labels, &secret).unwrap(), h(ku));
    }

    #[test]
    fn rfc9001_chacha20_short_header_packet() {
        short_packet_opens(
            1,
            "4cfe4189655e5cd55c41f69080575d7999c25a5bfb",
            "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9",
        );
    }

    #[test]
    fn rfc9369_v2_chacha20_short_header_packet() {
        short_packet_opens(
            VERSION_2,
            "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba",
            "c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88",
        );
    }

    #[test]
    fn rfc9000_packet_number_decoding() {
        // RFC 9000 A.3: largest 0xa82f30ea, 2-byte 0x9b32 → 0xa82f9b32.
        assert_eq!(decode_pn(Some(0xa82f_30ea), 0x9b32, 2), 0xa82f_9b32);
        assert_eq!(decode_pn(None, 0, 1), 0);
        assert_eq!(decode_pn(Some(255), 0x00, 1), 256);
        assert_eq!(decode_pn(Some(300), 0xff, 1), 255);
    }

    #[test]
    fn suites_by_secret_length() {
        assert_eq!(QuicSuite::candidates(32).len(), 2);
        assert_eq!(QuicSuite::candidates(48)[0].cipher, Cipher::Aes256Gcm);
        assert!(QuicSuite::candidates(20).is_empty());
    }

    #[test]
    fn short_packets_are_refused_not_read_past() {
        let suite = QuicSuite::candidates(32)[0];
        let hp = HeaderKey::derive(suite, V1_LABELS, &[1; 32]).unwrap();
        assert!(unmask(&hp, &[0x40; 20], 1, false).is_none());
        let u = unmask(&hp, &[0x40; 21], 1, false).unwrap();
        let key = PacketKey::derive(suite, V1_LABELS, &[1; 32]).unwrap();
        assert!(open(&key, 0, &u).is_none());
    }
}
