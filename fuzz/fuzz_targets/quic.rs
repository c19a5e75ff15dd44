//! QUIC: long headers, coalesced packets, and the tracker (keys, decryption, CRYPTO
//! reassembly) fed with a sequence of datagrams split from the input.
//! The body is `sporfri::fuzzing::quic_datagrams`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::quic_datagrams(data));
