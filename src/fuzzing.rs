//! One entry point per fuzz target, shared by `fuzz/` (libFuzzer) and
//! `tests/fuzz_regressions.rs` (the committed regression corpus), so both run exactly the same
//! code. Each takes arbitrary bytes and must never panic.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use crate::capture::{FileSource, Packet, PacketSource};
use crate::contact::Contacts;
use crate::decrypt::quic_keys::{self, HeaderKey, Labels, PacketKey, QuicSuite};
use crate::decrypt::{
    Datagram, Feed, KeyLog, QuicDecrypt, QuicStart, TlsConn, plaintext_exchanges, plaintext_h3,
};
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
pub const TARGETS: [&str; 10] = [
    "link", "dns", "tls", "http", "quic", "gquic", "capture", "pipeline", "decrypt", "h3",
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
        "h3" => h3(data),
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

/// The `h3` target's client.
const H3_CLIENT: SocketAddr = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 50_000);
/// The `h3` target's server.
const H3_SERVER: SocketAddr = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 443);
/// The server's connection ID in the `h3` target's connection.
const FUZZ_SERVER_CID: [u8; 4] = [0x8b, 0xf0, 0x73, 0xd6];

/// HTTP/3 lab decryption. Chunks split at 0xff (the first bit of each picks the direction) run
/// as decrypted 1-RTT payloads (frames, stream reassembly, HTTP/3, QPACK), then through a
/// followed QUIC connection twice: sealed with its keys as 1-RTT packets, so that the fuzzer
/// reaches what lies behind the AEAD, and as raw datagrams (long and short headers, CIDs, header
/// protection, packets that do not open).
pub fn h3(data: &[u8]) {
    let _ = h3_requests(data);
}

/// The body of the `h3` target: requests decrypted (plaintext path, then the connection).
fn h3_requests(data: &[u8]) -> (usize, usize) {
    let chunks: Vec<(bool, &[u8])> = data
        .split(|b| *b == 0xff)
        .map(|c| (c.first().is_none_or(|b| b & 1 == 0), c))
        .collect();
    let mut weirds = Counters::default();
    let plain = plaintext_h3(&chunks, &mut weirds).len();
    let (mut q, keys, d) = h3_connection(&mut weirds);
    let suite = QuicSuite::candidates(32).first().copied();
    let labels = Labels::of(quic::VERSION_1);
    let sealers: Vec<(HeaderKey, PacketKey)> = [[3u8; 32], [4u8; 32]]
        .iter()
        .filter_map(|secret| {
            let suite = suite?;
            Some((
                HeaderKey::derive(suite, labels, secret)?,
                PacketKey::derive(suite, labels, secret)?,
            ))
        })
        .collect();
    let mut out = Vec::new();
    let mut pns = [0u16; 2];
    for (from_client, chunk) in &chunks {
        let side = usize::from(!from_client);
        let dcid: &[u8] = if *from_client { &FUZZ_SERVER_CID } else { &[] };
        let pn = pns.get(side).copied().unwrap_or(0);
        if let Some(n) = pns.get_mut(side) {
            *n = n.wrapping_add(1);
        }
        let mut header = vec![0x41];
        header.extend_from_slice(dcid);
        header.extend_from_slice(&pn.to_be_bytes());
        let mut frames = chunk.to_vec();
        frames.resize(frames.len().max(4), 0);
        let sealed = sealers.get(side).and_then(|(hk, pk)| {
            quic_keys::seal(hk, pk, &header, 1 + dcid.len(), u64::from(pn), &frames)
        });
        for payload in [sealed.as_deref().unwrap_or_default(), chunk] {
            let dg = Datagram {
                from_client: *from_client,
                payload,
                ..d
            };
            q.datagram(dg, &keys, &mut weirds, &mut out);
        }
    }
    q.finish(&mut weirds, &mut out);
    (plain, out.len())
}

/// A followed QUIC connection with known secrets: the hello registered, the server's CID
/// learned from its Initial; and a datagram template of its flow.
fn h3_connection(weirds: &mut Counters) -> (QuicDecrypt, KeyLog, Datagram<'static>) {
    let random = [0x5a; 32];
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let mut text = String::new();
    for (label, b) in [
        ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "01"),
        ("SERVER_HANDSHAKE_TRAFFIC_SECRET", "02"),
        ("CLIENT_TRAFFIC_SECRET_0", "03"),
        ("SERVER_TRAFFIC_SECRET_0", "04"),
    ] {
        text.push_str(&format!("{label} {hex} {}\n", b.repeat(32)));
    }
    let keys = KeyLog::parse(text.as_bytes());
    let (client, server) = (H3_CLIENT, H3_SERVER);
    let flow = crate::observation::FlowKey {
        proto: crate::observation::Proto::Udp,
        client,
        server,
    };
    let mut q = QuicDecrypt::new();
    let mut out = Vec::new();
    let start = QuicStart {
        version: quic::VERSION_1,
        flow,
        device: crate::observation::DeviceId::Ip(client.ip()),
        random,
        sni: Some("fuzz.example"),
        datagram: &[0xc0, 0, 0, 0, 1, 0, 0, 0, 1, 0],
        ts: Timestamp::default(),
    };
    q.start(start, weirds, &mut out);
    // The server's Initial (opaque here): it names the CID the client sends to.
    let mut initial = vec![0xc0, 0, 0, 0, 1, 0, 4];
    initial.extend_from_slice(&FUZZ_SERVER_CID);
    initial.extend_from_slice(&[0, 1, 0]);
    let d = Datagram {
        ts: Timestamp::default(),
        client,
        server,
        from_client: false,
        payload: &[],
    };
    q.datagram(
        Datagram {
            payload: &initial,
            ..d
        },
        &keys,
        weirds,
        &mut out,
    );
    (q, keys, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h3_target_reaches_http3_through_the_sealed_packets() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/h3");
        for (seed, requests) in [
            ("request-response-cookie", 1),
            ("qpack-dynamic-blocked", 1),
            ("reordered-goaway-close", 1),
            ("qpack-b3-b5-huffman", 1),
        ] {
            let data = std::fs::read(dir.join(seed)).unwrap_or_default();
            assert_eq!(h3_requests(&data), (requests, requests), "{seed}");
        }
    }
}
