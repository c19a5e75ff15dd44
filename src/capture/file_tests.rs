//! Tests of the pcap/pcapng reader: generated files for every variant, and the shared captures.

use super::*;
use crate::capture::FileSource;
use std::path::Path;

/// `bytes` in a new temporary file whose name ends in `name`, removed on drop.
fn write_temp(name: &str, bytes: &[u8]) -> tempfile::TempPath {
    let mut file = tempfile::Builder::new()
        .prefix("sporfri-file-tests-")
        .suffix(&format!("-{name}"))
        .tempfile()
        .unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    file.into_temp_path()
}

fn put32(out: &mut Vec<u8>, v: u32, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn put16(out: &mut Vec<u8>, v: u16, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

/// A classic pcap file with `frames` as (seconds, fraction, data).
fn pcap(be: bool, nanos: bool, link: u32, frames: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    put32(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }, be);
    put16(&mut out, 2, be);
    put16(&mut out, 4, be);
    put32(&mut out, 0, be);
    put32(&mut out, 0, be);
    put32(&mut out, 65535, be);
    put32(&mut out, link, be);
    for (s, f, data) in frames {
        put32(&mut out, *s, be);
        put32(&mut out, *f, be);
        put32(&mut out, data.len() as u32, be);
        put32(&mut out, data.len() as u32 + 10, be);
        out.extend_from_slice(data);
    }
    out
}

/// Packets as (time, link, data, original length).
type Got = Vec<(Timestamp, LinkType, Vec<u8>, u32)>;

fn read_all(path: &Path) -> (Got, Option<CaptureError>) {
    let mut src = FileSource::open(path).unwrap();
    let mut got = Vec::new();
    loop {
        match src.next_packet() {
            Ok(Some(p)) => got.push((p.ts, p.link, p.data.to_vec(), p.orig_len)),
            Ok(None) => return (got, None),
            Err(e) => return (got, Some(e)),
        }
    }
}

#[test]
fn pcap_all_magics_and_byte_orders() {
    for (be, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        let frac = if nanos { 123_456_789 } else { 123_456 };
        let bytes = pcap(be, nanos, 1, &[(1_700_000_000, frac, b"abc"), (5, 0, b"")]);
        let path = write_temp(&format!("m-{be}-{nanos}.pcap"), &bytes);
        let (got, err) = read_all(&path);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got.len(), 2);
        let want_ns = if nanos { 123_456_789 } else { 123_456_000 };
        assert_eq!(got[0].0, Timestamp::from_parts(1_700_000_000, want_ns));
        assert_eq!(got[0].1, LinkType::ETHERNET);
        assert_eq!(got[0].2, b"abc");
        assert_eq!(got[0].3, 13);
        assert_eq!(got[1].0, Timestamp::from_parts(5, 0));
        let src = FileSource::open(&path).unwrap();
        assert_eq!(src.total_bytes(), bytes.len() as u64);
    }
}

#[test]
fn pcap_truncated_last_record_after_earlier_packets() {
    let mut bytes = pcap(false, false, 1, &[(1, 0, b"first"), (2, 0, b"second")]);
    let second_at = 24 + 16 + 5;
    bytes.truncate(bytes.len() - 2);
    let path = write_temp("trunc.pcap", &bytes);
    let (got, err) = read_all(&path);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].2, b"first");
    match err {
        Some(CaptureError::Truncated { offset, .. }) => assert_eq!(offset, second_at),
        other => panic!("expected Truncated, got {other:?}"),
    }
    // Truncated inside the record header too.
    bytes.truncate(second_at as usize + 7);
    let path = write_temp("trunc-hdr.pcap", &bytes);
    let (got, err) = read_all(&path);
    assert_eq!(got.len(), 1);
    assert!(matches!(err, Some(CaptureError::Truncated { offset, .. }) if offset == second_at));
}

#[test]
fn pcap_oversized_record_is_corrupt() {
    let mut bytes = pcap(false, false, 1, &[(1, 0, b"ok")]);
    let at = bytes.len() as u64;
    for v in [1u32, 0, (MAX_BLOCK_BYTES + 1) as u32, 0] {
        put32(&mut bytes, v, false);
    }
    let path = write_temp("huge.pcap", &bytes);
    let (got, err) = read_all(&path);
    assert_eq!(got.len(), 1);
    assert!(matches!(err, Some(CaptureError::Corrupt { offset, .. }) if offset == at));
}

#[test]
fn garbage_is_not_a_capture() {
    let path = write_temp("garbage.bin", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    match FileSource::open(&path) {
        Err(CaptureError::NotACapture { magic, .. }) => assert_eq!(magic, "474554202f204854"),
        other => panic!("expected NotACapture, got {:?}", other.err()),
    }
    let short = &pcap(false, false, 1, &[])[..20];
    let path = write_temp("short-header.pcap", short);
    assert!(matches!(
        FileSource::open(&path),
        Err(CaptureError::Truncated { offset: 0, .. })
    ));
    let path = write_temp("empty.bin", b"");
    assert!(matches!(
        FileSource::open(&path),
        Err(CaptureError::NotACapture { .. })
    ));
    let missing = std::env::temp_dir().join("sporfri-does-not-exist.pcap");
    assert!(matches!(
        FileSource::open(&missing),
        Err(CaptureError::Io { .. })
    ));
}

/// A pcapng block with `body` padded to 32 bits.
fn block(out: &mut Vec<u8>, be: bool, block_type: u32, body: &[u8]) {
    let padded = body.len().div_ceil(4) * 4;
    let len = (12 + padded) as u32;
    put32(out, block_type, be);
    put32(out, len, be);
    out.extend_from_slice(body);
    out.resize(out.len() + padded - body.len(), 0);
    put32(out, len, be);
}

fn shb(out: &mut Vec<u8>, be: bool) {
    let mut b = Vec::new();
    put32(&mut b, 0x1A2B_3C4D, be);
    put16(&mut b, 1, be);
    put16(&mut b, 0, be);
    b.extend_from_slice(&(-1i64).to_le_bytes());
    block(out, be, PCAPNG_SHB, &b);
}

fn idb(out: &mut Vec<u8>, be: bool, link: u16, tsresol: Option<u8>) {
    let mut b = Vec::new();
    put16(&mut b, link, be);
    put16(&mut b, 0, be);
    put32(&mut b, 65535, be);
    if let Some(r) = tsresol {
        put16(&mut b, 9, be);
        put16(&mut b, 1, be);
        b.extend_from_slice(&[r, 0, 0, 0]);
        put32(&mut b, 0, be); // opt_endofopt
    }
    block(out, be, PCAPNG_IDB, &b);
}

fn epb(out: &mut Vec<u8>, be: bool, if_id: u32, ts: u64, data: &[u8]) {
    let mut b = Vec::new();
    put32(&mut b, if_id, be);
    put32(&mut b, (ts >> 32) as u32, be);
    put32(&mut b, ts as u32, be);
    put32(&mut b, data.len() as u32, be);
    put32(&mut b, data.len() as u32, be);
    b.extend_from_slice(data);
    block(out, be, PCAPNG_EPB, &b);
}

fn opb(out: &mut Vec<u8>, be: bool, if_id: u16, ts: u64, data: &[u8]) {
    let mut b = Vec::new();
    put16(&mut b, if_id, be);
    put16(&mut b, 0, be);
    put32(&mut b, (ts >> 32) as u32, be);
    put32(&mut b, ts as u32, be);
    put32(&mut b, data.len() as u32, be);
    put32(&mut b, data.len() as u32, be);
    b.extend_from_slice(data);
    block(out, be, PCAPNG_OPB, &b);
}

fn spb(out: &mut Vec<u8>, be: bool, data: &[u8]) {
    let mut b = Vec::new();
    put32(&mut b, data.len() as u32, be);
    b.extend_from_slice(data);
    block(out, be, PCAPNG_SPB, &b);
}

fn multi_interface_pcapng(be: bool) -> Vec<u8> {
    let mut out = Vec::new();
    shb(&mut out, be);
    idb(&mut out, be, 1, None); // Ethernet, microseconds
    idb(&mut out, be, 101, Some(9)); // raw IP, nanoseconds
    block(&mut out, be, 4, &[1, 2, 3, 4]); // name resolution block: skipped
    epb(&mut out, be, 0, 1_700_000_000_123_456, b"ether");
    epb(&mut out, be, 1, 1_700_000_000_123_456_789, b"rawip");
    spb(&mut out, be, b"simple");
    opb(&mut out, be, 1, 2_000_000_000, b"opb");
    block(&mut out, be, 5, &[0; 8]); // interface statistics: skipped
    out
}

#[test]
fn pcapng_interfaces_link_types_and_resolutions() {
    for be in [false, true] {
        let path = write_temp(&format!("multi-{be}.pcapng"), &multi_interface_pcapng(be));
        let (got, err) = read_all(&path);
        assert!(err.is_none(), "{err:?}");
        let summary: Vec<_> = got.iter().map(|p| (p.0, p.1, p.2.as_slice())).collect();
        assert_eq!(
            summary,
            vec![
                (
                    Timestamp::from_parts(1_700_000_000, 123_456_000),
                    LinkType::ETHERNET,
                    &b"ether"[..]
                ),
                (
                    Timestamp::from_parts(1_700_000_000, 123_456_789),
                    LinkType::RAW,
                    &b"rawip"[..]
                ),
                (
                    Timestamp::from_parts(1_700_000_000, 123_456_789),
                    LinkType::ETHERNET,
                    &b"simple"[..]
                ),
                (Timestamp::from_parts(2, 0), LinkType::RAW, &b"opb"[..]),
            ]
        );
    }
}

#[test]
fn pcapng_second_section_resets_interfaces_and_byte_order() {
    let mut bytes = multi_interface_pcapng(false);
    let second = bytes.len() as u64;
    shb(&mut bytes, true);
    idb(&mut bytes, true, 113, Some(0x80 | 10)); // SLL, 2^-10 s
    epb(&mut bytes, true, 0, 3 * 1024 + 512, b"sll");
    epb(&mut bytes, true, 1, 0, b"x"); // interface 1 does not exist in this section
    let path = write_temp("sections.pcapng", &bytes);
    let (got, err) = read_all(&path);
    assert_eq!(got.len(), 5);
    assert_eq!(got[4].0, Timestamp::from_parts(3, 500_000_000));
    assert_eq!(got[4].1, LinkType(113));
    match err {
        Some(CaptureError::Corrupt { offset, reason, .. }) => {
            assert!(offset > second, "{offset}");
            assert!(reason.contains("interface 1"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn pcapng_truncated_and_bad_length() {
    let mut bytes = multi_interface_pcapng(false);
    let last_at = bytes.len() as u64;
    epb(&mut bytes, false, 0, 0, b"cut");
    bytes.truncate(bytes.len() - 3);
    let path = write_temp("trunc.pcapng", &bytes);
    let (got, err) = read_all(&path);
    assert_eq!(got.len(), 4);
    assert!(matches!(err, Some(CaptureError::Truncated { offset, .. }) if offset == last_at));

    let mut bytes = multi_interface_pcapng(false);
    put32(&mut bytes, PCAPNG_EPB, false);
    put32(&mut bytes, 13, false); // not a multiple of 4
    bytes.extend_from_slice(&[0; 8]);
    let path = write_temp("badlen.pcapng", &bytes);
    let (got, err) = read_all(&path);
    assert_eq!(got.len(), 4);
    assert!(matches!(err, Some(CaptureError::Corrupt { offset, .. }) if offset == last_at));
}

#[test]
fn pcapng_large_block_grows_buffer() {
    let mut bytes = Vec::new();
    shb(&mut bytes, false);
    idb(&mut bytes, false, 1, None);
    let big = vec![0x5a; BUF_BYTES + 4000];
    epb(&mut bytes, false, 0, 0, &big);
    epb(&mut bytes, false, 0, 0, b"after");
    let path = write_temp("big.pcapng", &bytes);
    let (got, err) = read_all(&path);
    assert!(err.is_none());
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].2, big);
    assert_eq!(got[1].2, b"after");
}

/// The packet counts of tests/captures/README.md.
const SHARED: &[(&str, usize)] = &[
    ("mdns.pcap", 24),
    ("dns-https.pcap", 2),
    ("dns-svcb.pcap", 2),
    ("ech.pcap", 4),
    ("tkey.pcap", 12),
    ("long-connection.pcap", 22),
    ("dns-edns-ecs.pcap", 89),
    ("pcapng-multi-interface.pcapng", 6),
    ("tls13-ech.pcap", 69),
    ("chrome-1250-tls-x25519-kyber.pcap", 15),
    ("tls-fragmented-handshake.pcap", 416),
    ("tls-1.2-stream-keylog.pcap", 237),
    ("openjdk-25.0.2-zeek.org.pcap", 6),
    ("pppoe-over-qinq.pcap", 86),
    ("chromium-115.0.5790.110-google-de-fragmented.pcap", 917),
    ("quic-multiple-initial-fragmented-crypto.pcap", 15),
    ("chromium-dpd-custom-port-4433.pcap", 19),
    ("quicv2-echo-443.pcap", 12),
    ("curl-8.1.2-dev-http3-www-google-de.pcap", 48),
    ("firefox-102.13.0esr-blog-cloudflare-com.pcap", 608),
    ("retry.pcap", 26),
    ("http-vlan-0.pcap", 14),
    ("pipelined-requests.pcap", 49),
    ("vxlan-encapsulated-http.pcap", 12),
    ("nflog-http.pcap", 13),
    ("wikipedia.pcap", 136),
    ("Teredo.pcap", 78),
    ("cooper-grill-dvwa.pcapng", 64),
];

#[test]
fn shared_captures_packet_counts() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures"));
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let (got, err) = read_all(&path);
        assert!(err.is_none(), "{name}: {err:?}");
        if let Some((_, want)) = SHARED.iter().find(|(n, _)| *n == name) {
            assert_eq!(got.len(), *want, "{name}");
            seen += 1;
        }
        // The QUIC interop simulator writes timestamps from zero.
        if name != "retry.pcap" {
            assert!(got.iter().all(|p| p.0.secs() > 1_000_000_000), "{name}");
        }
    }
    assert_eq!(seen, SHARED.len());
}

#[test]
fn shared_multi_interface_progress_reaches_the_end() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/captures/pcapng-multi-interface.pcapng"
    ));
    let mut src = FileSource::open(path).unwrap();
    let mut n = 0;
    while let Some(p) = src.next_packet().unwrap() {
        assert_eq!(p.link, LinkType::ETHERNET);
        n += 1;
    }
    assert_eq!(n, 6);
    assert_eq!(src.bytes_read(), src.total_bytes());
}
