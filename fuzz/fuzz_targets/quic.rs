//! QUIC: long headers, coalesced packets, and the tracker (keys, decryption, CRYPTO
//! reassembly) fed with a sequence of datagrams split from the input.
#![no_main]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use sporfri::flow::quic::QuicTracker;
use sporfri::stats::Counters;
use sporfri::time::Timestamp;
use sporfri::wire::quic;

fuzz_target!(|data: &[u8]| {
    for p in quic::coalesced(data) {
        let _ = p;
    }
    let client: SocketAddr = "[2001:db8::1]:50000".parse().unwrap_or_else(|_| unreachable!());
    let server: SocketAddr = "[2001:db8::2]:443".parse().unwrap_or_else(|_| unreachable!());
    let mut tracker = QuicTracker::new();
    let mut weirds = Counters::default();
    // Datagrams separated by the byte `Q`; odd ones flow server → client.
    for (i, dg) in data.split(|b| *b == b'Q').enumerate() {
        let (src, dst) = if i % 2 == 0 { (client, server) } else { (server, client) };
        let _ = tracker.ingest(Timestamp(i as u64), src, dst, dg, &mut weirds);
    }
});
