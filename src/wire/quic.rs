//! QUIC long headers and Initial packet protection (RFC 9000, 9001, 9369).
//!
//! PLACEHOLDER: the QUIC helper owns this file and `src/flow/quic.rs`.

/// Cheap test: the datagram starts with a QUIC long header (form bit and fixed bit set).
pub fn looks_like_long_header(datagram: &[u8]) -> bool {
    matches!(datagram.first(), Some(b) if b & 0xc0 == 0xc0)
}
