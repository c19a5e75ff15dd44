//! TLS ClientHello: server name, ALPN, Encrypted Client Hello.
//!
//! Owns finding the ClientHello at the start of a client→server TCP stream (one or several TLS
//! records) or in QUIC CRYPTO data, and extracting what a passive observer needs from it.
//! Records are walked here by hand because the exact `Incomplete { needed }` comes from their
//! headers; tls-parser reads the hello's fixed fields; the extensions are walked by hand in
//! `hello.rs` so that GREASE, unknown and broken extensions are handled explicitly.

mod hello;
mod records;
#[cfg(test)]
pub(crate) mod testpcap;
#[cfg(test)]
mod tests;

use crate::weird::Weird;

use super::Parsed;

pub use records::HelloRecords;

/// Largest ClientHello body accepted (the handshake length field); Chrome's post-quantum hello
/// is under 2 KiB, so anything claiming more is treated as broken rather than buffered.
pub const MAX_HELLO_BYTES: usize = 64 * 1024;
/// Largest TLS record payload accepted (2^14 plus the 256 bytes TLS 1.3 allows for expansion).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 256;
/// ALPN protocol ids kept per hello; later ones are ignored (browsers send 2 or 3).
pub const MAX_ALPN_PROTOCOLS: usize = 16;
/// supported_versions entries kept per hello; later ones are ignored.
pub const MAX_SUPPORTED_VERSIONS: usize = 16;
/// Bytes of a TLS record header: content type, legacy version, u16 length.
pub const RECORD_HEADER_LEN: usize = 5;

const HANDSHAKE_HEADER_LEN: usize = 4;
const CONTENT_TYPE_HANDSHAKE: u8 = 22;
const HANDSHAKE_CLIENT_HELLO: u8 = 1;

/// What a ClientHello tells a passive observer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientHello {
    /// server_name (host_name), bytes as sent (lossy UTF-8), e.g. `server4:443` verbatim.
    pub sni: Option<String>,
    /// ALPN protocol ids in order (at most [`MAX_ALPN_PROTOCOLS`]).
    pub alpn: Vec<String>,
    /// The encrypted_client_hello extension (0xfe0d) is present (real or GREASE).
    pub ech_extension: bool,
    /// legacy_version of the hello.
    pub legacy_version: u16,
    /// supported_versions in order, GREASE values removed (empty when the extension is absent;
    /// 0x0304 here means the client offers TLS 1.3).
    pub supported_versions: Vec<u16>,
}

/// Cheap test of the first bytes of a TCP stream: a TLS handshake record header.
///
/// Needs at least two bytes; the third (minor version 0..=4) is checked when present.
pub fn looks_like_tls(stream: &[u8]) -> bool {
    stream.len() >= 2 && is_handshake_record_prefix(stream)
}

/// Parse a ClientHello at the start of a TCP stream (TLS records, possibly several).
///
/// `Incomplete { needed }`: `needed` is the smallest total stream length at which the hello can
/// be complete, judged from the record and handshake headers seen so far (exact when the rest
/// arrives in the current or one more record); `None` before the first record header is whole.
/// Bytes after the hello (further records) are ignored.
/// A stream that grows segment by segment is read with [`HelloRecords`] instead, which keeps
/// its place.
pub fn client_hello_from_records(stream: &[u8]) -> Parsed<ClientHello> {
    HelloRecords::new().feed(stream)
}

/// Parse a ClientHello handshake message (type 1, 24-bit length, body) as QUIC CRYPTO carries it.
///
/// `Incomplete { needed }` gives the total message length once the 4-byte header is there.
/// Bytes after the message are ignored.
pub fn client_hello_from_handshake(msg: &[u8]) -> Parsed<ClientHello> {
    let total = match hello_message_len(msg) {
        Ok(Some(total)) => total,
        Ok(None) => return Parsed::Incomplete { needed: None },
        Err(weird) => return Parsed::Malformed(weird),
    };
    match msg.get(HANDSHAKE_HEADER_LEN..total) {
        Some(body) => hello::parse_body(body),
        None => Parsed::Incomplete {
            needed: Some(total),
        },
    }
}

/// The first bytes (up to three) agree with a handshake record header: 0x16 0x03 0x00..=0x04.
fn is_handshake_record_prefix(bytes: &[u8]) -> bool {
    let expected: [fn(u8) -> bool; 3] = [
        |b| b == CONTENT_TYPE_HANDSHAKE,
        |b| b == 0x03,
        |b| b <= 0x04,
    ];
    bytes.iter().zip(expected).all(|(&b, ok)| ok(b))
}

/// Total length (header included) of the ClientHello message starting `msg`, once known.
fn hello_message_len(msg: &[u8]) -> Result<Option<usize>, Weird> {
    match msg.first() {
        None => return Ok(None),
        Some(&HANDSHAKE_CLIENT_HELLO) => {}
        Some(_) => return Err(Weird::TlsNotClientHello),
    }
    let Some(&[_, a, b, c]) = msg.get(..HANDSHAKE_HEADER_LEN) else {
        return Ok(None);
    };
    let body_len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
    if body_len > MAX_HELLO_BYTES {
        return Err(Weird::TlsHelloTooLarge);
    }
    Ok(Some(HANDSHAKE_HEADER_LEN + body_len))
}
