//! HTTP/1.x request and response heads, chunked bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sporfri::wire::http;

fuzz_target!(|data: &[u8]| {
    let _ = http::looks_like_request(data);
    let _ = http::parse_request(data);
    let _ = http::parse_response(data);
    let _ = http::chunked_len(data);
});
