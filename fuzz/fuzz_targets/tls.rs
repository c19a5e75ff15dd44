//! TLS ClientHello from a TCP stream head, and from a bare handshake message (QUIC CRYPTO).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sporfri::wire::tls;

fuzz_target!(|data: &[u8]| {
    let _ = tls::client_hello_from_records(data);
    let _ = tls::client_hello_from_handshake(data);
});
