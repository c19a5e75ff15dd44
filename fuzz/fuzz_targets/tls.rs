//! TLS ClientHello from a TCP stream head, and from a bare handshake message (QUIC CRYPTO).
//! The body is `sporfri::fuzzing::tls_hello`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::tls_hello(data));
