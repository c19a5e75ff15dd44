//! HTTP/1.x request and response heads, chunked bodies.
//! The body is `sporfri::fuzzing::http_heads`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::http_heads(data));
