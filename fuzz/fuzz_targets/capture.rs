//! The pcap/pcapng reader over arbitrary file bytes.
//! The body is `sporfri::fuzzing::capture_file`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::capture_file(data));
