//! Key schedules: TLS 1.3 HKDF-Expand-Label (RFC 8446 §7) and the TLS 1.2 PRF (RFC 5246 §5),
//! and the record keys they give. All cryptography is ring's; nothing is hand-written.

use ring::aead::{self, LessSafeKey, UnboundKey};
use ring::{hkdf, hmac};

/// Bytes of every AEAD nonce used by TLS (RFC 8446 §5.3, RFC 5288 §3, RFC 7905 §2).
pub const NONCE_LEN: usize = 12;
/// Longest key block a TLS 1.2 AEAD suite needs (2 × 32-byte keys + 2 × 12-byte IVs).
pub const MAX_KEY_BLOCK: usize = 2 * 32 + 2 * NONCE_LEN;

/// The bulk cipher of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    ChaCha20Poly1305,
}

impl Cipher {
    pub(super) fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            Cipher::Aes128Gcm => &aead::AES_128_GCM,
            Cipher::Aes256Gcm => &aead::AES_256_GCM,
            Cipher::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    /// Key bytes.
    pub fn key_len(self) -> usize {
        self.algorithm().key_len()
    }

    /// Bytes of the TLS 1.2 fixed IV (the GCM salt is 4 bytes, ChaCha20's IV 12).
    fn tls12_iv_len(self) -> usize {
        match self {
            Cipher::ChaCha20Poly1305 => NONCE_LEN,
            Cipher::Aes128Gcm | Cipher::Aes256Gcm => 4,
        }
    }
}

/// The hash of a suite's key schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl Hash {
    fn hkdf(self) -> hkdf::Algorithm {
        match self {
            Hash::Sha256 => hkdf::HKDF_SHA256,
            Hash::Sha384 => hkdf::HKDF_SHA384,
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha384 => hmac::HMAC_SHA384,
        }
    }

    /// Output bytes.
    pub fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }
}

/// A cipher suite sporfri can decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    /// IANA code point.
    pub id: u16,
    /// Bulk cipher.
    pub cipher: Cipher,
    /// Key schedule hash (TLS 1.3) or PRF hash (TLS 1.2).
    pub hash: Hash,
}

impl Suite {
    /// The suite for a code point, if it is an AEAD suite sporfri decrypts.
    pub fn from_id(id: u16) -> Option<Suite> {
        use Cipher::*;
        use Hash::*;
        let (cipher, hash) = match id {
            0x1301 => (Aes128Gcm, Sha256),
            0x1302 => (Aes256Gcm, Sha384),
            0x1303 => (ChaCha20Poly1305, Sha256),
            // TLS 1.2: (EC)DHE/RSA with AES-GCM (RFC 5288, 5289) and ChaCha20 (RFC 7905).
            0x009c | 0x009e | 0x00a2 | 0xc02b | 0xc02f | 0xc02d | 0xc031 => (Aes128Gcm, Sha256),
            0x009d | 0x009f | 0x00a3 | 0xc02c | 0xc030 | 0xc02e | 0xc032 => (Aes256Gcm, Sha384),
            0xcca8 | 0xcca9 | 0xccaa | 0xccac | 0xccad => (ChaCha20Poly1305, Sha256),
            _ => return None,
        };
        Some(Suite { id, cipher, hash })
    }
}

/// How a record's nonce and additional data are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// TLS 1.3: nonce = iv ⊕ seq, AAD = the record header, content type inside.
    Tls13,
    /// TLS 1.2 GCM: 8-byte explicit nonce after the header, nonce = salt ‖ explicit.
    Tls12Explicit,
    /// TLS 1.2 ChaCha20-Poly1305: nonce = iv ⊕ seq, no explicit part.
    Tls12Xor,
}

/// One direction's record protection: key, IV, and the next sequence number.
pub struct RecordKey {
    key: LessSafeKey,
    iv: [u8; NONCE_LEN],
    /// Records opened with this key so far (the next record's sequence number).
    pub seq: u64,
    /// Nonce and AAD construction.
    pub framing: Framing,
}

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordKey")
            .field("seq", &self.seq)
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

/// An HKDF output length for ring.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label(secret, label, context, len) of RFC 8446 §7.1.
pub fn expand_label(
    hash: Hash,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
    let out_len = u16::try_from(len).ok()?;
    let full_label_len = u8::try_from(6 + label.len()).ok()?;
    let context_len = u8::try_from(context.len()).ok()?;
    let prk = hkdf::Prk::new_less_safe(hash.hkdf(), secret);
    let info: [&[u8]; 6] = [
        &out_len.to_be_bytes(),
        &[full_label_len],
        b"tls13 ",
        label,
        &[context_len],
        context,
    ];
    let mut out = vec![0u8; len];
    prk.expand(&info, Len(len)).ok()?.fill(&mut out).ok()?;
    Some(out)
}

/// The TLS 1.3 record key of a traffic secret.
pub fn tls13_key(suite: Suite, secret: &[u8]) -> Option<RecordKey> {
    let key = expand_label(suite.hash, secret, b"key", b"", suite.cipher.key_len())?;
    let iv = expand_label(suite.hash, secret, b"iv", b"", NONCE_LEN)?;
    RecordKey::new(suite.cipher, &key, &iv, Framing::Tls13)
}

/// The next traffic secret after a KeyUpdate (RFC 8446 §7.2).
pub fn next_traffic_secret(hash: Hash, secret: &[u8]) -> Option<Vec<u8>> {
    expand_label(hash, secret, b"traffic upd", b"", hash.output_len())
}

/// The TLS 1.2 PRF: P_hash(secret, label ‖ seed) cut to `out.len()` (RFC 5246 §5).
pub fn prf12(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    let key = hmac::Key::new(hash.hmac(), secret);
    let mut label_seed = label.to_vec();
    label_seed.extend_from_slice(seed);
    let mut a = hmac::sign(&key, &label_seed);
    let mut filled = 0;
    while filled < out.len() {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(&label_seed);
        let block = ctx.sign();
        for (o, b) in out.iter_mut().skip(filled).zip(block.as_ref()) {
            *o = *b;
        }
        filled += block.as_ref().len();
        a = hmac::sign(&key, a.as_ref());
    }
}

/// Client and server record keys of a TLS 1.2 connection from its master secret.
pub fn tls12_keys(
    suite: Suite,
    master: &[u8],
    client_random: &[u8],
    server_random: &[u8],
) -> Option<(RecordKey, RecordKey)> {
    let key_len = suite.cipher.key_len();
    let iv_len = suite.cipher.tls12_iv_len();
    let mut block = [0u8; MAX_KEY_BLOCK];
    let block = block.get_mut(..2 * (key_len + iv_len))?;
    let mut seed = server_random.to_vec();
    seed.extend_from_slice(client_random);
    prf12(suite.hash, master, b"key expansion", &seed, block);
    let (client_key, rest) = block.split_at(key_len);
    let (server_key, rest) = rest.split_at(key_len);
    let (client_iv, server_iv) = rest.split_at(iv_len);
    let framing = match suite.cipher {
        Cipher::ChaCha20Poly1305 => Framing::Tls12Xor,
        Cipher::Aes128Gcm | Cipher::Aes256Gcm => Framing::Tls12Explicit,
    };
    Some((
        RecordKey::new(suite.cipher, client_key, client_iv, framing)?,
        RecordKey::new(suite.cipher, server_key, server_iv, framing)?,
    ))
}

impl RecordKey {
    /// A key from raw bytes; `iv` is the 4-byte salt for [`Framing::Tls12Explicit`], else 12
    /// bytes.
    pub fn new(cipher: Cipher, key: &[u8], iv: &[u8], framing: Framing) -> Option<RecordKey> {
        let key = LessSafeKey::new(UnboundKey::new(cipher.algorithm(), key).ok()?);
        let mut full = [0u8; NONCE_LEN];
        full.get_mut(..iv.len())?.copy_from_slice(iv);
        Some(RecordKey {
            key,
            iv: full,
            seq: 0,
            framing,
        })
    }

    /// The nonce for the next record; `explicit` is the TLS 1.2 GCM explicit part.
    fn nonce(&self, explicit: &[u8]) -> Option<aead::Nonce> {
        let mut nonce = self.iv;
        match self.framing {
            Framing::Tls12Explicit => nonce.get_mut(4..)?.copy_from_slice(explicit.get(..8)?),
            Framing::Tls13 | Framing::Tls12Xor => {
                for (n, s) in nonce.iter_mut().skip(4).zip(self.seq.to_be_bytes()) {
                    *n ^= s;
                }
            }
        }
        Some(aead::Nonce::assume_unique_for_key(nonce))
    }

    /// Decrypt one record's payload (`header` is its 5-byte header) in place; on success the
    /// sequence number advances and the plaintext is returned (TLS 1.3: still with its inner
    /// content type and padding).
    pub fn open<'b>(&mut self, header: &[u8; 5], payload: &'b mut [u8]) -> Option<&'b mut [u8]> {
        let tag = self.key.algorithm().tag_len();
        let (aad, nonce, body) = match self.framing {
            Framing::Tls13 => (header.to_vec(), self.nonce(&[])?, payload),
            Framing::Tls12Explicit | Framing::Tls12Xor => {
                let explicit = if self.framing == Framing::Tls12Explicit {
                    8
                } else {
                    0
                };
                let plain_len = payload.len().checked_sub(explicit + tag)?;
                let mut aad = self.seq.to_be_bytes().to_vec();
                aad.extend_from_slice(header.get(..3)?);
                aad.extend_from_slice(&u16::try_from(plain_len).ok()?.to_be_bytes());
                let (head, body) = payload.split_at_mut(explicit);
                (aad, self.nonce(head)?, body)
            }
        };
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::from(aad), body)
            .ok()?;
        self.seq += 1;
        Some(plain)
    }

    /// Encrypt a record payload (tests only): the inverse of [`RecordKey::open`].
    #[cfg(test)]
    pub(crate) fn seal(&mut self, header: &[u8; 5], plain: &[u8]) -> Vec<u8> {
        #![allow(clippy::unwrap_used)]
        let explicit: Vec<u8> = match self.framing {
            Framing::Tls12Explicit => self.seq.to_be_bytes().to_vec(),
            _ => Vec::new(),
        };
        let aad = match self.framing {
            Framing::Tls13 => header.to_vec(),
            _ => {
                let mut aad = self.seq.to_be_bytes().to_vec();
                aad.extend_from_slice(&header[..3]);
                aad.extend_from_slice(&(plain.len() as u16).to_be_bytes());
                aad
            }
        };
        let nonce = self.nonce(&explicit).unwrap();
        let mut body = plain.to_vec();
        self.key
            .seal_in_place_append_tag(nonce, aead::Aad::from(aad), &mut body)
            .unwrap();
        self.seq += 1;
        let mut out = explicit;
        out.extend_from_slice(&body);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decrypt::keylog::unhex;

    fn h(s: &str) -> Vec<u8> {
        unhex(s.replace([' ', '\n'], "").as_bytes()).unwrap()
    }

    #[test]
    fn rfc8448_server_handshake_key_and_iv() {
        // RFC 8448 §3: server_handshake_traffic_secret → write key and iv.
        let secret = h(
            "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d
                        42 be fd 59 d3 91 ad 38",
        );
        assert_eq!(
            expand_label(Hash::Sha256, &secret, b"key", b"", 16).unwrap(),
            h("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc")
        );
        assert_eq!(
            expand_label(Hash::Sha256, &secret, b"iv", b"", 12).unwrap(),
            h("5d 31 3e b2 67 12 76 ee 13 00 0b 30")
        );
    }

    #[test]
    fn prf_sha256_known_answer() {
        // The widely used TLS 1.2 PRF test vector (SHA-256, 100 bytes), first 16 bytes.
        let secret = h("9bbe436ba940f017b17652849a71db35");
        let seed = h("a0ba9f936cda311827a6f796ffd5198c");
        let mut out = [0u8; 100];
        prf12(Hash::Sha256, &secret, b"test label", &seed, &mut out);
        assert_eq!(&out[..16], &h("e3f229ba727be17b8d122620557cd453")[..]);
        assert_eq!(&out[16..24], &h("c2aab21d07c3d495")[..]);
        assert_eq!(&out[96..], &h("87347b66")[..]);
    }

    #[test]
    fn tls12_round_trip_for_every_cipher() {
        for id in [0xc02f, 0xc030, 0xcca8] {
            let suite = Suite::from_id(id).unwrap();
            let (mut seal, _) = tls12_keys(suite, &[7; 48], &[1; 32], &[2; 32]).unwrap();
            let (mut open, _) = tls12_keys(suite, &[7; 48], &[1; 32], &[2; 32]).unwrap();
            let header = [23, 3, 3, 0, 0];
            for msg in [&b"first"[..], b"second record"] {
                let mut sealed = seal.seal(&header, msg);
                assert_eq!(open.open(&header, &mut sealed).unwrap(), msg);
            }
            let mut bad = seal.seal(&header, b"x");
            bad[0] ^= 1;
            assert!(open.open(&header, &mut bad).is_none(), "suite {id:#x}");
        }
    }

    #[test]
    fn unknown_suites_are_refused() {
        assert!(Suite::from_id(0x002f).is_none());
        assert_eq!(Suite::from_id(0x1302).unwrap().hash, Hash::Sha384);
    }
}
