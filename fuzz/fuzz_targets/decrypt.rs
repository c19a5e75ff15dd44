//! Lab decryption: key log text, TLS record streams without matching keys, and the HTTP/1.1 and
//! HTTP/2 (HPACK) parsers over arbitrary "decrypted" bytes in both directions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sporfri::decrypt::{Feed, KeyLog, TlsConn, plaintext_exchanges};
use sporfri::stats::Counters;
use sporfri::time::Timestamp;

fuzz_target!(|data: &[u8]| {
    let keys = KeyLog::parse(data);
    let mut weirds = Counters::default();
    let mut out = Vec::new();
    // Chunks separated by 0xff; the first bit of each chunk picks the direction.
    let chunks: Vec<(bool, &[u8])> = data
        .split(|b| *b == 0xff)
        .map(|c| (c.first().is_none_or(|b| b & 1 == 0), c))
        .collect();
    let mut conn = TlsConn::new(Some("fuzz.example".into()));
    for (from_client, c) in &chunks {
        let mut feed = Feed {
            keys: &keys,
            weirds: &mut weirds,
            ts: Timestamp::default(),
            out: &mut out,
        };
        conn.feed(*from_client, c, &mut feed);
    }
    conn.finish(&mut out);
    let _ = plaintext_exchanges(Some("fuzz.example".into()), &chunks, &mut weirds);
});
