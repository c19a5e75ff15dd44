//! Lab decryption: key log text, TLS record streams without matching keys, and the HTTP/1.1 and
//! HTTP/2 (HPACK) parsers over arbitrary "decrypted" bytes in both directions.
//! The body is `sporfri::fuzzing::decrypt`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::decrypt(data));
