//! DNS/mDNS/LLMNR messages, and the TCP length framing.
//! The body is `sporfri::fuzzing::dns_message`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sporfri::fuzzing::dns_message(data));
