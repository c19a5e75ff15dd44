//! TLS ClientHello: server name, ALPN, Encrypted Client Hello.
//!
//! PLACEHOLDER SIGNATURES (the helper replaces the bodies; the types are the contract).

use super::Parsed;

/// What a ClientHello tells a passive observer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientHello {
    /// server_name (host_name), bytes as sent (lossy UTF-8), e.g. `server4:443` verbatim.
    pub sni: Option<String>,
    /// ALPN protocol ids in order.
    pub alpn: Vec<String>,
    /// The encrypted_client_hello extension (0xfe0d) is present (real or GREASE).
    pub ech_extension: bool,
    /// legacy_version of the hello.
    pub legacy_version: u16,
}

/// Cheap test of the first bytes of a TCP stream: a TLS handshake record.
pub fn looks_like_tls(stream: &[u8]) -> bool {
    matches!(stream, [0x16, 0x03, ..])
}

/// Parse a ClientHello at the start of a TCP stream (TLS records, possibly several).
pub fn client_hello_from_records(stream: &[u8]) -> Parsed<ClientHello> {
    let _ = stream;
    Parsed::NotThis
}

/// Parse a ClientHello handshake message (type 1, 24-bit length, body) as QUIC CRYPTO carries it.
pub fn client_hello_from_handshake(msg: &[u8]) -> Parsed<ClientHello> {
    let _ = msg;
    Parsed::NotThis
}
