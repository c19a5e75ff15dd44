//! Link layers, IP, tunnels and transport: arbitrary frames of every supported link type.
//! The body is `sporfri::fuzzing::link_frame`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::link_frame(data));
