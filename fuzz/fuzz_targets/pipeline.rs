//! The whole pipeline (engine, flows, reassembly, contacts, extraction) fed with arbitrary
//! packets: the input is split into frames, each with a link type and a timestamp step.
//! The body is `sporfri::fuzzing::pipeline`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::pipeline(data));
