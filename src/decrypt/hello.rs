//! The few handshake fields decryption needs: the client random of a ClientHello and the
//! ServerHello's random, cipher suite and version. Pure functions over borrowed bytes.

use crate::weird::Weird;
use crate::wire::Parsed;

use super::keylog::RANDOM_LEN;

/// Handshake message type of a ClientHello.
pub const HS_CLIENT_HELLO: u8 = 1;
/// Handshake message type of a ServerHello.
pub const HS_SERVER_HELLO: u8 = 2;
/// Handshake message type of Finished.
pub const HS_FINISHED: u8 = 20;
/// Handshake message type of KeyUpdate.
pub const HS_KEY_UPDATE: u8 = 24;

/// The ServerHello random that marks a HelloRetryRequest (RFC 8446 §4.1.3).
pub const HELLO_RETRY_RANDOM: [u8; RANDOM_LEN] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;
const TLS13: u16 = 0x0304;

/// What decryption needs from a ServerHello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerHello {
    /// server random.
    pub random: [u8; RANDOM_LEN],
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The negotiated version: supported_versions when present, else legacy_version.
    pub version: u16,
}

impl ServerHello {
    /// True for TLS 1.3.
    pub fn is_tls13(&self) -> bool {
        self.version == TLS13
    }

    /// True when this is a HelloRetryRequest, not the real ServerHello.
    pub fn is_retry(&self) -> bool {
        self.random == HELLO_RETRY_RANDOM
    }
}

/// A byte cursor that never panics.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
    }
}

/// The client random of a ClientHello handshake message (type, 24-bit length, body).
pub fn client_random(msg: &[u8]) -> Parsed<[u8; RANDOM_LEN]> {
    match msg.first() {
        None => return Parsed::Incomplete { needed: None },
        Some(&HS_CLIENT_HELLO) => {}
        Some(_) => return Parsed::NotThis,
    }
    // type(1) length(3) legacy_version(2) random(32)
    match msg.get(6..6 + RANDOM_LEN).map(<[u8; RANDOM_LEN]>::try_from) {
        Some(Ok(random)) => Parsed::Done(random),
        _ => Parsed::Incomplete {
            needed: Some(6 + RANDOM_LEN),
        },
    }
}

/// Parse a whole ServerHello handshake body (after the 4-byte handshake header).
pub fn parse_server_hello(body: &[u8]) -> Parsed<ServerHello> {
    match server_hello_fields(body) {
        Some(h) => Parsed::Done(h),
        None => Parsed::Malformed(Weird::TlsBadServerHello),
    }
}

fn server_hello_fields(body: &[u8]) -> Option<ServerHello> {
    let mut c = Cursor(body);
    let legacy_version = c.u16()?;
    let random = <[u8; RANDOM_LEN]>::try_from(c.take(RANDOM_LEN)?).ok()?;
    let session_id_len = usize::from(c.u8()?);
    c.take(session_id_len)?;
    let cipher_suite = c.u16()?;
    let _compression = c.u8()?;
    let mut version = legacy_version;
    if !c.0.is_empty() {
        let ext_len = usize::from(c.u16()?);
        let mut exts = Cursor(c.take(ext_len)?);
        while !exts.0.is_empty() {
            let kind = exts.u16()?;
            let len = usize::from(exts.u16()?);
            let mut data = Cursor(exts.take(len)?);
            if kind == EXT_SUPPORTED_VERSIONS {
                version = data.u16()?;
            }
        }
    }
    Some(ServerHello {
        random,
        cipher_suite,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(ext: &[u8]) -> Vec<u8> {
        let mut b = vec![0x03, 0x03];
        b.extend_from_slice(&[0x11; 32]);
        b.push(2);
        b.extend_from_slice(&[0xaa, 0xbb]);
        b.extend_from_slice(&[0x13, 0x01, 0x00]);
        if !ext.is_empty() {
            b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
            b.extend_from_slice(ext);
        }
        b
    }

    #[test]
    fn tls13_version_comes_from_supported_versions() {
        let h = parse_server_hello(&hello(&[0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]))
            .done()
            .unwrap();
        assert!(h.is_tls13());
        assert_eq!(h.cipher_suite, 0x1301);
        assert_eq!(h.random, [0x11; 32]);
        let h12 = parse_server_hello(&hello(&[])).done().unwrap();
        assert_eq!(h12.version, 0x0303);
    }

    #[test]
    fn every_truncation_is_malformed_not_a_panic() {
        let full = hello(&[0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]);
        for cut in 0..full.len() {
            if cut == full.len() - 8 {
                continue; // a hello without extensions is valid
            }
            assert!(
                matches!(parse_server_hello(&full[..cut]), Parsed::Malformed(_)),
                "{cut}"
            );
        }
    }

    #[test]
    fn client_random_needs_its_bytes() {
        let mut msg = vec![1, 0, 0, 40, 3, 3];
        assert!(matches!(client_random(&msg), Parsed::Incomplete { .. }));
        msg.extend_from_slice(&[9; 32]);
        assert_eq!(client_random(&msg), Parsed::Done([9; 32]));
        assert_eq!(client_random(&[2]), Parsed::NotThis);
    }
}
