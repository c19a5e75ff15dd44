//! Google QUIC: the Q043 public header and its null-encryption hash, the Q046 long header,
//! Google frames and the `CHLO` tag-value message.
//! The body is `sporfri::fuzzing::gquic_packets`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::gquic_packets(data));
