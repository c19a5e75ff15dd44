//! One entry point per fuzz target, shared by `fuzz/` (libFuzzer) and
//! `tests/fuzz_regressions.rs` (the committed regression corpus), so both run exactly the same
//! code. Each takes arbitrary bytes and must never panic.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use crate::capture::{FileSource, Packet, PacketSource};
use crate::contact::Contacts;
use crate::decrypt::{Feed, KeyLog, TlsConn, plaintext_exchanges};
use crate::flow::quic::QuicTracker;
use crate::output::extract::Extraction;
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::wire::link::{self, LinkType};
use crate::wire::{Parsed, dns, http, quic, tls};

/// Link types the `link` target picks from with its first byte.
const LINKS: [u32; 13] = [0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 239, 276];
/// Link types the `pipeline` target picks from (Ethernet weighted: it is what an AP sees).
const PIPE_LINKS: [u32; 6] = [1, 1, 1, 101, 113, 276];

/// Target names, as in `fuzz/Cargo.toml`.
pub const TARGETS: [&str; 9] = [
    "link", "dns", "tls", "http", "quic", "gquic", "capture", "pipeline", "decrypt",
];

/// Run the target called `name` on `data`; false for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "link" => link_frame(data),
        "dns" => dns_message(data),
        "tls" => tls_hello(data),
        "http" => http_heads(data),
        "quic" => quic_datagrams(data),
        "gquic" => gquic_packets(data),
        "capture" => capture_file(data),
        "pipeline" => pipeline(data),
        "decrypt" => decrypt(data),
        _ => return false,
    }
    true
}

/// One frame of the link type its first byte picks.
pub fn link_frame(data: &[u8]) {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let link_type = LinkType(
        LINKS
            .get(usize::from(pick) % LINKS.len())
            .copied()
            .unwrap_or(1),
    );
    if let Parsed::Done(f) = link::decode(link_type, frame) {
        let _ = link::transport(&f.ip);
        let _ = link::transport(&link::unwrap_tunnels(f.ip));
    }
}

/// A DNS message, and the TCP framing.
pub fn dns_message(data: &[u8]) {
    let _ = dns::parse_message(data);
    if let Parsed::Done((msg, _)) = dns::tcp_message(data) {
        let _ = dns::parse_message(msg);
    }
}

/// A ClientHello from a stream head and from a handshake message.
pub fn tls_hello(data: &[u8]) {
    let _ = tls::client_hello_from_records(data);
    let _ = tls::client_hello_from_handshake(data);
}

/// HTTP heads and chunked bodies.
pub fn http_heads(data: &[u8]) {
    let _ = http::looks_like_request(data);
    let _ = http::parse_request(data);
    let _ = http::parse_response(data);
    let _ = http::chunked_len(data);
}

/// Coalesced long headers, then the tracker over datagrams split at `Q` (odd ones server → client).
pub fn quic_datagrams(data: &[u8]) {
    for p in quic::coalesced(data) {
        let _ = p;
    }
    let client = SocketAddr::new(
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        50_000,
    );
    let server = SocketAddr::new(
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
        443,
    );
    let mut tracker = QuicTracker::new();
    let mut weirds = Counters::default();
    for (i, dg) in data.split(|b| *b == b'Q').enumerate() {
        let (src, dst) = if i % 2 == 0 {
            (client, server)
        } else {
            (server, client)
        };
        let _ = tracker.ingest(Timestamp(i as u64), src, dst, dg, &mut weirds);
    }
}

/// Google QUIC's parsers on the same bytes: the public header and its hash, the Q046 long
/// header, the frames (directly too, since a fuzzer cannot forge the hash) and the `CHLO`
/// in every piece of handshake data they yield, and the message on its own.
pub fn gquic_packets(data: &[u8]) {
    use crate::wire::quic::{chlo, gquic, versions};
    let walk = |payload: &[u8]| {
        for pn_len in [1, 6] {
            for chunk in gquic::walk_frames(payload, pn_len).crypto {
                let _ = chlo::parse(chunk.data);
            }
        }
    };
    if let Parsed::Done(ph) = gquic::parse_public_header(data)
        && let Ok(payload) = gquic::open_null(ph.header, ph.rest)
    {
        walk(payload);
    }
    for h in quic::coalesced(data).flatten() {
        let _ = h.offered_versions().count();
        let _ = versions::reading(h.version);
        if let Some((header, rest)) = gquic::q046_parts(&h) {
            let _ = gquic::open_null(header, rest);
        }
    }
    walk(data);
    let _ = chlo::message_len(data);
    let _ = chlo::parse(data);
}

/// The capture reader over file bytes.
pub fn capture_file(data: &[u8]) {
    let reader = Box::new(std::io::Cursor::new(data.to_vec()));
    if let Ok(mut source) = FileSource::from_reader(reader, "fuzz", data.len() as u64) {
        while let Ok(Some(_)) = source.next_packet() {}
    }
}

/// The library's pipeline over frames `[link pick][time step][len hi][len lo] bytes...`.
pub fn pipeline(data: &[u8]) {
    let mut extraction = Extraction::new(true);
    let extract = |o: &crate::observation::Observation| extraction.observe(o);
    let mut pipeline = crate::pipeline::Pipeline::new((Contacts::default(), extract));
    let mut ts = 1_700_000_000_000_000_000u64;
    let mut rest = data;
    while let [pick, step, hi, lo, tail @ ..] = rest {
        let len = ((usize::from(*hi) << 8) | usize::from(*lo)).min(tail.len());
        let (frame, next) = tail.split_at(len);
        ts += u64::from(*step) * 100_000_000;
        let packet = Packet {
            ts: Timestamp(ts),
            link: LinkType(
                PIPE_LINKS
                    .get(usize::from(*pick) % PIPE_LINKS.len())
                    .copied()
                    .unwrap_or(1),
            ),
            data: frame,
            orig_len: len as u32,
        };
        pipeline.ingest(&packet);
        rest = next;
    }
    pipeline.finish();
    let _ = pipeline.consumer().0.list();
}

/// Key log text, TLS streams without matching keys, HTTP/1.1 and HTTP/2 over plaintext; chunks
/// split at 0xff, the first bit of each picks the direction.
pub fn decrypt(data: &[u8]) {
    let keys = KeyLog::parse(data);
    let mut weirds = Counters::default();
    let mut out = Vec::new();
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
}
