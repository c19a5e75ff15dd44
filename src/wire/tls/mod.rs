//! TLS ClientHello: server name, ALPN, Encrypted Client Hello.
//!
//! Owns finding the ClientHello at the start of a client→server TCP stream (one or several TLS
//! records) or in QUIC CRYPTO data, and extracting what a passive observer needs from it.
//! Records are walked here by hand because the exact `Incomplete { needed }` comes from their
//! headers; tls-parser reads the hello's fixed fields; the extensions are walked by hand in
//! `hello.rs` so that GREASE, unknown and broken extensions are handled explicitly.

mod hello;
#[cfg(test)]
pub(crate) mod testpcap;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use crate::weird::Weird;

use super::Parsed;

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
pub fn client_hello_from_records(stream: &[u8]) -> Parsed<ClientHello> {
    match handshake_from_records(stream) {
        Parsed::Done(msg) => client_hello_from_handshake(&msg),
        Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
        Parsed::NotThis => Parsed::NotThis,
        Parsed::Malformed(weird) => Parsed::Malformed(weird),
    }
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

/// Join the payloads of the leading handshake records until the first handshake message (the
/// ClientHello) is whole; borrows when one record carries it all.
fn handshake_from_records(stream: &[u8]) -> Parsed<Cow<'_, [u8]>> {
    if !is_handshake_record_prefix(stream) {
        return Parsed::NotThis;
    }
    let mut msg: Cow<'_, [u8]> = Cow::Borrowed(&[]);
    let mut pos = 0usize;
    loop {
        let want = match hello_message_len(&msg) {
            Ok(want) => want,
            Err(weird) => return Parsed::Malformed(weird),
        };
        if want.is_some_and(|total| msg.len() >= total) {
            // Bytes after the hello stay attached; the handshake parser ignores them.
            return Parsed::Done(msg);
        }
        let rest = stream.get(pos..).unwrap_or_default();
        let Some(&[content_type, major, minor, hi, lo]) = rest.get(..RECORD_HEADER_LEN) else {
            if !is_handshake_record_prefix(rest) {
                return Parsed::Malformed(Weird::TlsHelloInterrupted);
            }
            let needed = (pos > 0).then(|| missing_lower_bound(pos, want, msg.len()));
            return Parsed::Incomplete { needed };
        };
        if !is_handshake_record_prefix(&[content_type, major, minor]) {
            return Parsed::Malformed(Weird::TlsHelloInterrupted);
        }
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len > MAX_RECORD_LEN {
            return Parsed::Malformed(Weird::TlsRecordTooLarge);
        }
        if len == 0 {
            // RFC 8446 §5.1 forbids empty handshake fragments; refusing them also bounds the loop.
            return Parsed::Malformed(Weird::TlsEmptyRecord);
        }
        let end = pos + RECORD_HEADER_LEN + len;
        let Some(payload) = stream.get(pos + RECORD_HEADER_LEN..end) else {
            let partial = stream.get(pos + RECORD_HEADER_LEN..).unwrap_or_default();
            return partial_record_need(&msg, partial, len, end);
        };
        msg = append(msg, payload);
        pos = end;
    }
}

/// Inside a partial record the need is the record end, or more when the handshake header (read
/// across what is there) says the hello spills into a later record.
fn partial_record_need<T>(msg: &[u8], partial: &[u8], record_len: usize, end: usize) -> Parsed<T> {
    let mut header = [0u8; HANDSHAKE_HEADER_LEN];
    let mut seen = 0;
    for (slot, &b) in header.iter_mut().zip(msg.iter().chain(partial)) {
        *slot = b;
        seen += 1;
    }
    let after_record = msg.len() + record_len;
    match hello_message_len(header.get(..seen).unwrap_or_default()) {
        Err(weird) => Parsed::Malformed(weird),
        Ok(Some(want)) if want > after_record => Parsed::Incomplete {
            needed: Some(end + RECORD_HEADER_LEN + (want - after_record)),
        },
        Ok(_) => Parsed::Incomplete { needed: Some(end) },
    }
}

/// Smallest stream length that could complete the hello when the next record header is missing.
fn missing_lower_bound(pos: usize, want: Option<usize>, have: usize) -> usize {
    let want = want.unwrap_or(HANDSHAKE_HEADER_LEN);
    pos + RECORD_HEADER_LEN + want.saturating_sub(have)
}

fn append<'a>(msg: Cow<'a, [u8]>, payload: &'a [u8]) -> Cow<'a, [u8]> {
    if msg.is_empty() {
        return Cow::Borrowed(payload);
    }
    let mut joined = msg.into_owned();
    joined.extend_from_slice(payload);
    Cow::Owned(joined)
}
