#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::wire::quic::{VERSION_1, VERSION_2, seal_initial};

const CLIENT: &str = "192.0.2.10:50000";
const SERVER: &str = "198.51.100.7:443";
const DCID: &[u8] = &[0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn t(secs: u64) -> Timestamp {
    Timestamp::from_parts(1_700_000_000 + secs, 0)
}

/// Test-only SNI reader (the real one is `wire::tls`): handshake message → host_name.
fn sni_of(msg: &[u8]) -> Option<String> {
    let body = msg.get(4..)?;
    let mut p = 2 + 32;
    p += 1 + usize::from(*body.get(p)?);
    p += 2 + usize::from(u16::from_be_bytes(body.get(p..p + 2)?.try_into().ok()?));
    p += 1 + usize::from(*body.get(p)?);
    let ext_end = p + 2 + usize::from(u16::from_be_bytes(body.get(p..p + 2)?.try_into().ok()?));
    p += 2;
    while p + 4 <= ext_end {
        let kind = u16::from_be_bytes(body.get(p..p + 2)?.try_into().ok()?);
        let len = usize::from(u16::from_be_bytes(body.get(p + 2..p + 4)?.try_into().ok()?));
        if kind == 0 {
            let name = body.get(p + 9..p + 4 + len)?;
            return Some(String::from_utf8_lossy(name).into_owned());
        }
        p += 4 + len;
    }
    None
}

/// A ClientHello message of exactly `total` bytes naming `sni` (padding extension fills).
fn client_hello(sni: &str, total: usize) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend((0..32u8).map(|i| i.wrapping_mul(37)));
    body.extend_from_slice(&[0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
    let name = sni.as_bytes();
    let mut ext = vec![0x00, 0x00];
    ext.extend_from_slice(&(name.len() as u16 + 5).to_be_bytes());
    ext.extend_from_slice(&(name.len() as u16 + 3).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    ext.extend_from_slice(name);
    let pad = total - 4 - body.len() - 2 - ext.len() - 4;
    ext.extend_from_slice(&[0x00, 0x15]);
    ext.extend_from_slice(&(pad as u16).to_be_bytes());
    ext.resize(ext.len() + pad, 0);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut msg = vec![0x01, 0, (body.len() >> 8) as u8, body.len() as u8];
    msg.extend_from_slice(&body);
    assert_eq!(msg.len(), total);
    msg
}

/// CRYPTO frames for `(start, end)` pieces of `stream`, after a PING and an ACK.
fn crypto_frames(stream: &[u8], pieces: &[(usize, usize)]) -> Vec<u8> {
    let mut out = vec![0x01, 0x02, 0x00, 0x00, 0x00, 0x00];
    for &(s, e) in pieces {
        out.push(0x06);
        out.extend_from_slice(&(0x4000 | s as u16).to_be_bytes());
        out.extend_from_slice(&(0x4000 | (e - s) as u16).to_be_bytes());
        out.extend_from_slice(&stream[s..e]);
    }
    out.extend_from_slice(&[0; 20]);
    out
}

fn feed(tr: &mut QuicTracker, w: &mut Counters, secs: u64, dg: &[u8]) -> Option<QuicHandshake> {
    tr.ingest_handshake(t(secs), addr(CLIENT), addr(SERVER), dg, w)
        .hello()
}

#[test]
fn rfc_vectors_yield_the_client_hello() {
    let hello = crate::wire::quic::tests::hex(crate::wire::quic::rfc_vectors::A2_CRYPTO_FRAME);
    for (vector, version) in [
        (
            crate::wire::quic::rfc_vectors::RFC9001_A2_CLIENT_INITIAL,
            VERSION_1,
        ),
        (
            crate::wire::quic::rfc_vectors::RFC9369_A2_CLIENT_INITIAL,
            VERSION_2,
        ),
    ] {
        let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
        let packet = crate::wire::quic::tests::hex(vector);
        let hs = feed(&mut tr, &mut w, 0, &packet).expect("a ClientHello");
        assert_eq!(hs.version, version);
        assert_eq!(hs.message, hello[4..]);
        assert_eq!(sni_of(&hs.message).as_deref(), Some("example.com"));
        assert_eq!(
            feed(&mut tr, &mut w, 1, &packet),
            None,
            "once per connection"
        );
        assert!(w.is_empty(), "{w:?}");
    }
}

#[test]
fn shuffled_duplicated_two_packet_hello_is_reassembled() {
    let hello = client_hello("www.example.org", 1900);
    // Ten pieces in Chromium's style, shuffled, with overlapping and duplicate retransmits.
    let cuts = [0, 137, 260, 411, 590, 800, 1000, 1210, 1400, 1655, 1900];
    let piece = |i: usize| (cuts[i], cuts[i + 1]);
    let first = crypto_frames(
        &hello,
        &[piece(3), piece(0), piece(7), (100, 300), piece(5)],
    );
    let second = crypto_frames(&hello, &[piece(9), piece(2), piece(1), piece(8), piece(6)]);
    let third = crypto_frames(&hello, &[piece(4), piece(4), (395, 600)]);
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    for (i, frames) in [&second, &first].into_iter().enumerate() {
        let dg = seal_initial(VERSION_1, DCID, DCID, i as u32, frames);
        assert_eq!(feed(&mut tr, &mut w, 0, &dg), None);
    }
    let hs = feed(
        &mut tr,
        &mut w,
        0,
        &seal_initial(VERSION_1, DCID, DCID, 2, &third),
    )
    .unwrap();
    assert_eq!(hs.message, hello);
    assert_eq!(sni_of(&hs.message).as_deref(), Some("www.example.org"));
    assert_eq!(tr.keys_derived(), 1, "later Initials reuse the keys");
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn later_initials_with_the_servers_cid_keep_the_original_keys() {
    let hello = client_hello("late.example", 1500);
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let first = seal_initial(
        VERSION_1,
        DCID,
        DCID,
        0,
        &crypto_frames(&hello, &[(0, 1000)]),
    );
    assert_eq!(feed(&mut tr, &mut w, 0, &first), None);
    // The server's Initial back to the client is passed over without decrypting.
    let reply = seal_initial(VERSION_1, &[1, 2, 3, 4], &[9; 8], 0, &[0x01; 30]);
    assert_eq!(
        tr.ingest_handshake(t(0), addr(SERVER), addr(CLIENT), &reply, &mut w),
        Seen::Nothing
    );
    let server_cid = [0xaa; 8];
    let rest = crypto_frames(&hello, &[(1000, 1500)]);
    let second = seal_initial(VERSION_1, &server_cid, DCID, 1, &rest);
    assert_eq!(feed(&mut tr, &mut w, 1, &second).unwrap().message, hello);
    assert_eq!(
        tr.keys_derived(),
        1,
        "the server's CID reuses the first keys"
    );
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn retry_brings_new_keys_for_the_same_pair() {
    let hello = client_hello("server4:443", 1400);
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let before = seal_initial(
        VERSION_1,
        DCID,
        DCID,
        0,
        &crypto_frames(&hello, &[(0, 700)]),
    );
    assert_eq!(feed(&mut tr, &mut w, 0, &before), None);
    let retry_scid = [0x1b, 0x03, 0x6a, 0x11];
    let all = crypto_frames(&hello, &[(700, 1400), (0, 700)]);
    let after = seal_initial(VERSION_1, &retry_scid, &retry_scid, 1, &all);
    assert_eq!(feed(&mut tr, &mut w, 1, &after).unwrap().message, hello);
    assert_eq!(tr.len(), 1, "the connection before the Retry was replaced");
    assert_eq!(tr.keys_derived(), 2, "a Retry brings new keys");
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn crypto_beyond_max_bytes_is_refused() {
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let far = MAX_CRYPTO_BYTES as u16 - 1;
    let mut frames = vec![0x06, 0x40 | (far >> 8) as u8, far as u8, 0x02, 0xaa, 0xbb];
    frames.extend_from_slice(&[0; 20]);
    assert_eq!(
        feed(
            &mut tr,
            &mut w,
            0,
            &seal_initial(VERSION_1, DCID, DCID, 0, &frames)
        ),
        None
    );
    assert_eq!(w.get(Weird::QuicCryptoTooBig), 1);
    // A length field larger than the bound is refused as soon as the header is in.
    let huge = [0x06, 0x00, 0x04, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00];
    let other = seal_initial(VERSION_1, &[7; 8], &[7; 8], 0, &huge);
    let c2: SocketAddr = addr("192.0.2.11:1");
    assert_eq!(
        tr.ingest_handshake(t(0), c2, addr(SERVER), &other, &mut w),
        Seen::Nothing
    );
    assert_eq!(w.get(Weird::QuicCryptoTooBig), 2);
}

#[test]
fn too_many_gaps_are_refused() {
    let stream = vec![0x01u8; 4 * (MAX_CRYPTO_RANGES + 1)];
    let pieces: Vec<(usize, usize)> = (0..=MAX_CRYPTO_RANGES)
        .map(|i| (4 * i + 1, 4 * i + 2))
        .collect();
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    for (pn, part) in pieces.chunks(40).enumerate() {
        let dg = seal_initial(
            VERSION_1,
            DCID,
            DCID,
            pn as u32,
            &crypto_frames(&stream, part),
        );
        assert_eq!(feed(&mut tr, &mut w, 0, &dg), None);
    }
    assert_eq!(w.get(Weird::QuicCryptoTooFragmented), 1);
}

#[test]
fn oldest_unfinished_handshake_is_evicted_at_max_connections() {
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let frames = crypto_frames(&client_hello("a.example", 300), &[(0, 100)]);
    for i in 0..=MAX_CONNECTIONS as u32 {
        let dcid = i.to_be_bytes();
        let client = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), 4000);
        let dg = seal_initial(VERSION_1, &dcid, &dcid, 0, &frames);
        assert_eq!(
            tr.ingest_handshake(t(0), client, addr(SERVER), &dg, &mut w),
            Seen::Nothing
        );
    }
    assert_eq!(tr.len(), MAX_CONNECTIONS);
    assert_eq!(w.get(Weird::QuicEvicted), 1);
}

#[test]
fn idle_handshakes_expire() {
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let hello = client_hello("idle.example", 300);
    let dg = seal_initial(
        VERSION_1,
        DCID,
        DCID,
        0,
        &crypto_frames(&hello, &[(0, 100)]),
    );
    feed(&mut tr, &mut w, 0, &dg);
    tr.expire(t(IDLE_TIMEOUT_SECS));
    assert_eq!(tr.len(), 1);
    tr.expire(t(IDLE_TIMEOUT_SECS + 1));
    assert!(tr.is_empty());
    // The rest arrives too late: it cannot complete the forgotten prefix.
    let rest = seal_initial(
        VERSION_1,
        DCID,
        DCID,
        1,
        &crypto_frames(&hello, &[(100, 300)]),
    );
    assert_eq!(feed(&mut tr, &mut w, 40, &rest), None);
}

#[test]
fn garbage_and_wrong_messages_are_counted() {
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let mut bad = seal_initial(VERSION_1, DCID, DCID, 0, &[0x01; 40]);
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(feed(&mut tr, &mut w, 0, &bad), None);
    assert_eq!(w.get(Weird::QuicDecryptFailed), 1);
    let server_hello = [0x06, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00];
    let dg = seal_initial(VERSION_1, DCID, DCID, 0, &server_hello);
    assert_eq!(feed(&mut tr, &mut w, 0, &dg), None);
    assert_eq!(w.get(Weird::QuicNotClientHello), 1);
    let unknown = [0xc0, 0x0a, 0x1a, 0x2a, 0x3a, 0x01, 0x00, 0x00, 0x00];
    let before = w.clone();
    assert_eq!(feed(&mut tr, &mut w, 0, &unknown), None);
    // A version nobody reads is another protocol as far as sporfri can tell: not a QUIC weird.
    assert_eq!(w, before);
}

#[test]
fn ingest_parses_the_hello_with_the_tls_parser() {
    let packet =
        crate::wire::quic::tests::hex(crate::wire::quic::rfc_vectors::RFC9001_A2_CLIENT_INITIAL);
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let qh = tr
        .ingest(t(0), addr(CLIENT), addr(SERVER), &packet, &mut w)
        .hello()
        .unwrap();
    assert_eq!(qh.hello.sni.as_deref(), Some("example.com"));
    assert_eq!(qh.version, VERSION_1);
    for (file, sni) in CAPTURES {
        let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
        let snis: Vec<_> = udp_datagrams(file)
            .into_iter()
            .filter_map(|(ts, s, d, dg)| tr.ingest(ts, s, d, &dg, &mut w).hello())
            .map(|h| h.hello.sni.unwrap_or_default())
            .collect();
        assert_eq!(snis, [sni], "{file}");
    }
}

const CAPTURES: [(&str, &str); 7] = [
    (
        "chromium-115.0.5790.110-google-de-fragmented.pcap",
        "www.google.de",
    ),
    (
        "quic-multiple-initial-fragmented-crypto.pcap",
        "googleads.g.doubleclick.net",
    ),
    ("chromium-dpd-custom-port-4433.pcap", "api.cirrus-ci.com"),
    ("quicv2-echo-443.pcap", "localhost"),
    ("curl-8.1.2-dev-http3-www-google-de.pcap", "www.google.de"),
    (
        "firefox-102.13.0esr-blog-cloudflare-com.pcap",
        "blog.cloudflare.com",
    ),
    ("retry.pcap", "server4:443"),
];

#[test]
fn every_quic_capture_matches_its_oracle() {
    for (file, sni) in CAPTURES {
        let oracle =
            std::fs::read_to_string(format!("{}/{file}.oracle.tsv", captures_dir())).unwrap();
        assert!(oracle.lines().any(|l| l == format!("sni\t{sni}")), "{file}");
        let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
        let mut found = Vec::new();
        for (ts, src, dst, dg) in udp_datagrams(file) {
            if quic::looks_like_quic(&dg)
                && let Some(hs) = tr.ingest_handshake(ts, src, dst, &dg, &mut w).hello()
            {
                found.push(sni_of(&hs.message).unwrap_or_default());
            }
        }
        assert_eq!(found, [sni], "{file}: {w:?}");
        assert_eq!(w.get(Weird::QuicDecryptFailed), 0, "{file}: {w:?}");
    }
}

fn captures_dir() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures")
}

/// A tiny pcap walker: Ethernet (with VLAN) or PPP, IPv4 or IPv6 (no extension headers), UDP.
fn udp_datagrams(file: &str) -> Vec<(Timestamp, SocketAddr, SocketAddr, Vec<u8>)> {
    let data = std::fs::read(format!("{}/{file}", captures_dir())).unwrap();
    assert_eq!(
        &data[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian microsecond pcap"
    );
    let link = u32::from_le_bytes(data[20..24].try_into().unwrap());
    let mut out = Vec::new();
    let mut p = 24;
    while p + 16 <= data.len() {
        let le = |o: usize| u64::from(u32::from_le_bytes(data[o..o + 4].try_into().unwrap()));
        let ts = Timestamp::from_parts(le(p), le(p + 4) * 1000);
        let len = le(p + 8) as usize;
        let frame = &data[p + 16..p + 16 + len];
        p += 16 + len;
        let (ethertype, ip) = match link {
            1 => {
                let mut o = 12;
                while frame[o..o + 2] == [0x81, 0x00] {
                    o += 4;
                }
                (
                    u16::from_be_bytes([frame[o], frame[o + 1]]),
                    &frame[o + 2..],
                )
            }
            9 => {
                let f = if frame[..2] == [0xff, 0x03] {
                    &frame[2..]
                } else {
                    frame
                };
                let proto = u16::from_be_bytes([f[0], f[1]]);
                (if proto == 0x57 { 0x86dd } else { 0x0800 }, &f[2..])
            }
            other => panic!("link type {other}"),
        };
        let (src, dst, udp) = match ethertype {
            0x0800 if ip[9] == 17 => {
                let ihl = usize::from(ip[0] & 0x0f) * 4;
                let a: [u8; 4] = ip[12..16].try_into().unwrap();
                let b: [u8; 4] = ip[16..20].try_into().unwrap();
                (IpAddr::from(a), IpAddr::from(b), &ip[ihl..])
            }
            0x86dd if ip[6] == 17 => {
                let a: [u8; 16] = ip[8..24].try_into().unwrap();
                let b: [u8; 16] = ip[24..40].try_into().unwrap();
                (
                    IpAddr::V6(Ipv6Addr::from(a)),
                    IpAddr::V6(Ipv6Addr::from(b)),
                    &ip[40..],
                )
            }
            _ => continue,
        };
        let port = |o: usize| u16::from_be_bytes([udp[o], udp[o + 1]]);
        let udp_len = usize::from(port(4)).min(udp.len());
        let (s, d) = (SocketAddr::new(src, port(0)), SocketAddr::new(dst, port(2)));
        out.push((ts, s, d, udp[8..udp_len].to_vec()));
    }
    out
}

#[test]
fn dcids_per_connection_are_bounded_and_the_pair_still_finds_it() {
    let hello = client_hello("many.example", 1000);
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    for i in 0..8u8 {
        let dcid = [i; 8];
        let frames = crypto_frames(
            &hello,
            &[(usize::from(i) * 100, usize::from(i) * 100 + 100)],
        );
        let key_dcid = [0u8; 8];
        let dg = seal_initial(VERSION_1, &dcid, &key_dcid, u32::from(i), &frames);
        assert_eq!(feed(&mut tr, &mut w, 0, &dg), None);
    }
    let conn = tr.conns.values().next().unwrap();
    assert_eq!(conn.dcids.len(), MAX_DCIDS_PER_CONNECTION);
    assert_eq!(tr.by_dcid.len(), MAX_DCIDS_PER_CONNECTION);
    let last = seal_initial(
        VERSION_1,
        &[9; 8],
        &[0; 8],
        9,
        &crypto_frames(&hello, &[(800, 1000)]),
    );
    assert_eq!(feed(&mut tr, &mut w, 0, &last).unwrap().message, hello);
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn the_draft_vectors_yield_their_sni() {
    use crate::wire::quic::rfc_vectors::{DRAFT22_A2_CLIENT_INITIAL, DRAFT27_A2_CLIENT_INITIAL};
    for (vector, version) in [
        (DRAFT22_A2_CLIENT_INITIAL, 0xff00_0015),
        (DRAFT27_A2_CLIENT_INITIAL, 0xff00_001b),
    ] {
        let packet = crate::wire::quic::tests::hex(vector);
        let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
        let h = tr
            .ingest(t(0), addr(CLIENT), addr(SERVER), &packet, &mut w)
            .hello()
            .unwrap();
        assert_eq!(
            (h.version, h.hello.sni.as_deref()),
            (version, Some("server"))
        );
        assert!(w.is_empty(), "{w:?}");
    }
}
