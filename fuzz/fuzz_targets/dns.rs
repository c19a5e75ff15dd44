//! DNS/mDNS/LLMNR messages, and the TCP length framing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sporfri::wire::dns;

fuzz_target!(|data: &[u8]| {
    let _ = dns::parse_message(data);
    if let sporfri::wire::Parsed::Done((msg, _)) = dns::tcp_message(data) {
        let _ = dns::parse_message(msg);
    }
});
