//! HTTP/3 lab decryption: QUIC frames, stream reassembly, HTTP/3 and QPACK over arbitrary
//! "decrypted" payloads, the same sealed with a followed connection's keys, and raw datagrams
//! of that connection. The body is `sporfri::fuzzing::h3`, shared with
//! tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::h3(data));
