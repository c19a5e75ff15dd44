#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::testpcap::first_stream_starting_with;
use super::*;

/// A minimal TLS 1.2-style hello for example.com, written out byte by byte.
const MINIMAL_HELLO: &[u8] = &[
    0x16, 0x03, 0x01, 0x00, 0x43, // record: handshake, TLS 1.0, 67 bytes
    0x01, 0x00, 0x00, 0x3f, // ClientHello, 63 bytes
    0x03, 0x03, // legacy_version
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, // random
    0x00, // session id
    0x00, 0x02, 0x13, 0x01, // cipher suites
    0x01, 0x00, // compression methods
    0x00, 0x14, // extensions, 20 bytes
    0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b, b'e', b'x', b'a', b'm', b'p', b'l', b'e',
    b'.', b'c', b'o', b'm', // server_name example.com
];

fn ext(ext_type: u16, data: &[u8]) -> Vec<u8> {
    let mut v = ext_type.to_be_bytes().to_vec();
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
    v
}

fn sni_ext(name: &str) -> Vec<u8> {
    let mut entry = vec![0u8];
    entry.extend_from_slice(&(name.len() as u16).to_be_bytes());
    entry.extend_from_slice(name.as_bytes());
    let mut list = (entry.len() as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&entry);
    ext(0x0000, &list)
}

fn alpn_ext(ids: &[&str]) -> Vec<u8> {
    let mut entries = Vec::new();
    for id in ids {
        entries.push(id.len() as u8);
        entries.extend_from_slice(id.as_bytes());
    }
    let mut list = (entries.len() as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&entries);
    ext(0x0010, &list)
}

/// A handshake message (type 1) with the given extensions block contents.
fn hello_msg(extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x22; 32]);
    body.extend_from_slice(&[0x20]);
    body.extend_from_slice(&[0x33; 32]);
    body.extend_from_slice(&[0x00, 0x04, 0x0a, 0x0a, 0x13, 0x01, 0x01, 0x00]);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(extensions);
    let mut msg = vec![0x01];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    msg
}

fn record(payload: &[u8]) -> Vec<u8> {
    let mut r = vec![0x16, 0x03, 0x01];
    r.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    r.extend_from_slice(payload);
    r
}

fn browser_like_extensions() -> Vec<u8> {
    [
        ext(0x0a0a, &[]),
        ext(0x1234, &[1, 2, 3]),
        sni_ext("www.example.org"),
        alpn_ext(&["h2", "http/1.1"]),
        ext(0x002b, &[0x06, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03]),
        ext(0xfe0d, &[0x00, 0x00, 0x01, 0x00, 0x01, 0x42]),
        ext(0xfafa, &[0x00]),
    ]
    .concat()
}

#[test]
fn minimal_hello_with_sni() {
    let hello = client_hello_from_records(MINIMAL_HELLO).done().unwrap();
    assert_eq!(hello.sni.as_deref(), Some("example.com"));
    assert_eq!(hello.legacy_version, 0x0303);
    assert!(hello.alpn.is_empty());
    assert!(!hello.ech_extension);
    assert!(hello.supported_versions.is_empty());
}

#[test]
fn grease_unknown_extension_and_ech_are_read_through() {
    let stream = record(&hello_msg(&browser_like_extensions()));
    let hello = client_hello_from_records(&stream).done().unwrap();
    assert_eq!(hello.sni.as_deref(), Some("www.example.org"));
    assert_eq!(hello.alpn, ["h2", "http/1.1"]);
    assert!(hello.ech_extension);
    assert_eq!(hello.supported_versions, [0x0304, 0x0303]);
}

#[test]
fn sni_is_reported_verbatim() {
    for name in [
        "server4:443",
        "104.236.167.107",
        "[::1]",
        "caf\u{e9}.example",
    ] {
        let stream = record(&hello_msg(&sni_ext(name)));
        let hello = client_hello_from_records(&stream).done().unwrap();
        assert_eq!(hello.sni.as_deref(), Some(name));
    }
}

#[test]
fn hello_split_over_records_is_joined() {
    let msg = hello_msg(&browser_like_extensions());
    let whole = client_hello_from_records(&record(&msg)).done().unwrap();
    for split in [1, 2, 4, 40, msg.len() - 1] {
        let stream = [record(&msg[..split]), record(&msg[split..])].concat();
        assert_eq!(
            client_hello_from_records(&stream),
            Parsed::Done(whole.clone())
        );
    }
    let three: Vec<u8> = msg.chunks(30).flat_map(record).collect();
    assert_eq!(client_hello_from_records(&three), Parsed::Done(whole));
}

#[test]
fn prefix_of_one_record_is_incomplete_with_exact_need() {
    for cut in 0..MINIMAL_HELLO.len() {
        let expected = if cut < RECORD_HEADER_LEN {
            None
        } else {
            Some(MINIMAL_HELLO.len())
        };
        assert_eq!(
            client_hello_from_records(&MINIMAL_HELLO[..cut]),
            Parsed::Incomplete { needed: expected },
            "cut at {cut}"
        );
    }
}

#[test]
fn prefix_of_two_records_needs_a_lower_bound() {
    let msg = hello_msg(&sni_ext("a.example"));
    // The handshake header is whole in the first record: the need is exact.
    let stream = [record(&msg[..10]), record(&msg[10..])].concat();
    for cut in RECORD_HEADER_LEN..stream.len() {
        // Until the handshake header is there, only the first record's end is known.
        let needed = if cut < 9 { 15 } else { stream.len() };
        let got = client_hello_from_records(&stream[..cut]);
        assert_eq!(
            got,
            Parsed::Incomplete {
                needed: Some(needed)
            },
            "cut {cut}"
        );
    }
    // Only 2 bytes of the handshake header in the first record: a lower bound until the next
    // record header arrives.
    let stream = [record(&msg[..2]), record(&msg[2..])].concat();
    let between = client_hello_from_records(&stream[..7]);
    assert_eq!(
        between,
        Parsed::Incomplete {
            needed: Some(7 + 5 + 2)
        }
    );
    let in_first = client_hello_from_records(&stream[..6]);
    assert_eq!(in_first, Parsed::Incomplete { needed: Some(7) });
    let in_second = client_hello_from_records(&stream[..13]);
    assert_eq!(
        in_second,
        Parsed::Incomplete {
            needed: Some(stream.len())
        }
    );
}

#[test]
fn trailing_records_after_the_hello_are_ignored() {
    let mut stream = MINIMAL_HELLO.to_vec();
    stream.extend_from_slice(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03]);
    assert!(client_hello_from_records(&stream).done().is_some());
}

#[test]
fn http_and_other_records_are_not_this() {
    for stream in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"\x17\x03\x03\x00\x10",
        b"\x16\x03\x05\x00\x10",
        b"\x16\x02",
        b"SSH-2.0-OpenSSH_9.6\r\n",
    ] {
        assert!(!looks_like_tls(stream));
        assert_eq!(client_hello_from_records(stream), Parsed::NotThis);
    }
    assert!(looks_like_tls(MINIMAL_HELLO));
    assert!(looks_like_tls(b"\x16\x03"));
    assert!(!looks_like_tls(b"\x16"));
    assert_eq!(
        client_hello_from_records(b"\x16"),
        Parsed::Incomplete { needed: None }
    );
    assert_eq!(
        client_hello_from_records(b""),
        Parsed::Incomplete { needed: None }
    );
}

#[test]
fn broken_handshakes_are_named() {
    let cases: [(&[u8], Weird); 7] = [
        (
            b"\x16\x03\x01\x00\x05\xff\xff\xff\xff\xff",
            Weird::TlsNotClientHello,
        ),
        (b"\x16\x03\x01\x00\x05\x02", Weird::TlsNotClientHello),
        (
            b"\x16\x03\x01\x00\x10\x01\x01\x00\x01",
            Weird::TlsHelloTooLarge,
        ),
        (
            b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00",
            Weird::TlsBadClientHello,
        ),
        (b"\x16\x03\x01\x00\x00", Weird::TlsEmptyRecord),
        (
            b"\x16\x03\x01\x00\x02\x01\x00\x17\x03\x03",
            Weird::TlsHelloInterrupted,
        ),
        (
            b"\x16\x03\x01\x00\x02\x01\x00\x16\x04",
            Weird::TlsHelloInterrupted,
        ),
    ];
    for (stream, weird) in cases {
        assert_eq!(client_hello_from_records(stream), Parsed::Malformed(weird));
    }
}

#[test]
fn broken_extensions_are_named() {
    let overrun = [0x00, 0x00, 0x00, 0x10, 0x00];
    let bad_sni = ext(0x0000, &[0x00, 0x05, 0x00, 0x00, 0x09, b'a']);
    let sni_trailing = [sni_ext("a.b"), vec![]].concat();
    let mut sni_trailing_byte = sni_trailing.clone();
    sni_trailing_byte[3] += 1;
    sni_trailing_byte.push(0);
    let bad_alpn = ext(0x0010, &[0x00, 0x03, 0x05, b'h', b'2']);
    let bad_versions = ext(0x002b, &[0x03, 0x03, 0x04, 0x03]);
    let cases: [(&[u8], Weird); 5] = [
        (&overrun, Weird::TlsBadExtension),
        (&bad_sni, Weird::TlsBadSni),
        (&sni_trailing_byte, Weird::TlsBadSni),
        (&bad_alpn, Weird::TlsBadAlpn),
        (&bad_versions, Weird::TlsBadSupportedVersions),
    ];
    for (extensions, weird) in cases {
        let msg = hello_msg(extensions);
        assert_eq!(
            client_hello_from_handshake(&msg),
            Parsed::Malformed(weird),
            "{weird}"
        );
    }
}

#[test]
fn extensions_block_overrunning_the_body_is_malformed() {
    let mut msg = hello_msg(&sni_ext("a.example"));
    let ext_len_at = msg.len() - sni_ext("a.example").len() - 2;
    msg[ext_len_at + 1] += 1;
    let got = client_hello_from_handshake(&msg);
    assert_eq!(got, Parsed::Malformed(Weird::TlsBadExtensionsLength));
    let mut trailing = hello_msg(&[]);
    trailing.push(0);
    trailing[3] += 1;
    let got = client_hello_from_handshake(&trailing);
    assert_eq!(got, Parsed::Malformed(Weird::TlsHelloTrailingData));
}

#[test]
fn hello_without_extensions_parses() {
    let mut msg = hello_msg(&[]);
    msg.truncate(msg.len() - 2);
    msg[3] -= 2;
    let hello = client_hello_from_handshake(&msg).done().unwrap();
    assert_eq!(hello.sni, None);
    assert_eq!(hello.legacy_version, 0x0303);
}

#[test]
fn hello_size_is_capped() {
    let at_cap = [0x01, 0x01, 0x00, 0x00];
    let needed = Some(4 + MAX_HELLO_BYTES);
    assert_eq!(
        client_hello_from_handshake(&at_cap),
        Parsed::Incomplete { needed }
    );
    let over = [0x01, 0x01, 0x00, 0x01];
    let got = client_hello_from_handshake(&over);
    assert_eq!(got, Parsed::Malformed(Weird::TlsHelloTooLarge));
    let got = client_hello_from_records(&record(&over));
    assert_eq!(got, Parsed::Malformed(Weird::TlsHelloTooLarge));
}

#[test]
fn record_size_is_capped() {
    let at_cap = (MAX_RECORD_LEN as u16).to_be_bytes();
    let stream = [0x16, 0x03, 0x01, at_cap[0], at_cap[1], 0x01];
    let needed = Some(RECORD_HEADER_LEN + MAX_RECORD_LEN);
    assert_eq!(
        client_hello_from_records(&stream),
        Parsed::Incomplete { needed }
    );
    let over = (MAX_RECORD_LEN as u16 + 1).to_be_bytes();
    let stream = [0x16, 0x03, 0x01, over[0], over[1], 0x01];
    let got = client_hello_from_records(&stream);
    assert_eq!(got, Parsed::Malformed(Weird::TlsRecordTooLarge));
}

#[test]
fn alpn_and_versions_lists_are_capped() {
    let ids: Vec<String> = (0..MAX_ALPN_PROTOCOLS + 3)
        .map(|i| format!("p{i}"))
        .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut versions = vec![2 * (MAX_SUPPORTED_VERSIONS as u8 + 2)];
    for v in 0..MAX_SUPPORTED_VERSIONS as u16 + 2 {
        versions.extend_from_slice(&(0x0300 + v).to_be_bytes());
    }
    let extensions = [alpn_ext(&refs), ext(0x002b, &versions)].concat();
    let hello = client_hello_from_handshake(&hello_msg(&extensions))
        .done()
        .unwrap();
    assert_eq!(hello.alpn, refs[..MAX_ALPN_PROTOCOLS]);
    assert_eq!(hello.supported_versions.len(), MAX_SUPPORTED_VERSIONS);
}

#[test]
fn handshake_message_as_quic_carries_it() {
    let msg = hello_msg(&sni_ext("quic.example"));
    let hello = client_hello_from_handshake(&msg).done().unwrap();
    assert_eq!(hello.sni.as_deref(), Some("quic.example"));
    assert_eq!(
        client_hello_from_handshake(&[]),
        Parsed::Incomplete { needed: None }
    );
    assert_eq!(
        client_hello_from_handshake(&msg[..3]),
        Parsed::Incomplete { needed: None }
    );
    let needed = Some(msg.len());
    assert_eq!(
        client_hello_from_handshake(&msg[..4]),
        Parsed::Incomplete { needed }
    );
    let got = client_hello_from_handshake(&[0x02, 0x00, 0x00, 0x00]);
    assert_eq!(got, Parsed::Malformed(Weird::TlsNotClientHello));
}

#[test]
fn grease_values_are_recognised() {
    assert!(hello::is_grease(0x0a0a));
    assert!(hello::is_grease(0xfafa));
    assert!(!hello::is_grease(0x0a1a));
    assert!(!hello::is_grease(0x0304));
}

/// Arbitrary bytes after a valid record start never panic (a cheap stand-in for the fuzz target).
#[test]
fn garbage_never_panics() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for round in 0..2000 {
        let len = round % 300;
        let mut stream = vec![0x16, 0x03, (round % 5) as u8];
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            stream.push(state as u8);
        }
        let _ = client_hello_from_records(&stream);
        let _ = client_hello_from_handshake(&stream[3..]);
    }
    let real = chrome_stream();
    for at in 0..real.len() {
        let mut mutated = real.clone();
        mutated[at] ^= 0xff;
        let _ = client_hello_from_records(&mutated);
    }
}

fn chrome_stream() -> Vec<u8> {
    first_stream_starting_with("chrome-1250-tls-x25519-kyber.pcap", b"\x16\x03")
}

fn capture_sni(name: &str) -> ClientHello {
    let stream = first_stream_starting_with(name, b"\x16\x03");
    match client_hello_from_records(&stream) {
        Parsed::Done(hello) => hello,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn capture_chrome_kyber_hello() {
    let hello = capture_sni("chrome-1250-tls-x25519-kyber.pcap");
    assert_eq!(hello.sni.as_deref(), Some("lh3.google.com"));
    assert!(hello.ech_extension);
    assert_eq!(hello.alpn, ["h2", "http/1.1"]);
    assert_eq!(hello.supported_versions, [0x0304, 0x0303]);
}

#[test]
fn capture_chrome_hello_every_prefix_is_incomplete() {
    let stream = chrome_stream();
    let hello_end = RECORD_HEADER_LEN + usize::from(u16::from_be_bytes([stream[3], stream[4]]));
    for cut in RECORD_HEADER_LEN..hello_end {
        let got = client_hello_from_records(&stream[..cut]);
        assert_eq!(
            got,
            Parsed::Incomplete {
                needed: Some(hello_end)
            }
        );
    }
}

#[test]
fn capture_chrome_hello_resegmented_in_order_and_out_of_order() {
    for name in [
        "chrome-1250-tls-x25519-kyber.reseg2.pcap",
        "chrome-1250-tls-x25519-kyber.reseg3-ooo.pcap",
    ] {
        assert_eq!(
            capture_sni(name).sni.as_deref(),
            Some("lh3.google.com"),
            "{name}"
        );
    }
}

#[test]
fn capture_ech_outer_sni() {
    let hello = capture_sni("tls13-ech.pcap");
    assert_eq!(hello.sni.as_deref(), Some("cloudflare-ech.com"));
    assert!(hello.ech_extension);
}

#[test]
fn capture_openjdk_over_sll2() {
    assert_eq!(
        capture_sni("openjdk-25.0.2-zeek.org.pcap").sni.as_deref(),
        Some("zeek.org")
    );
}

#[test]
fn capture_ip_literal_sni_and_tls12() {
    let literal = capture_sni("tls-fragmented-handshake.pcap");
    assert_eq!(literal.sni.as_deref(), Some("104.236.167.107"));
    let heise = capture_sni("tls-1.2-stream-keylog.pcap");
    assert_eq!(heise.sni.as_deref(), Some("www.heise.de"));
}

/// Regression: a ClientHello cut into one-byte records, one per TCP segment, was re-read from
/// the stream's start at every segment: quadratic. Fed as it grows, each byte is read about
/// once.
#[test]
fn one_byte_records_fed_segment_by_segment_are_read_once() {
    let msg = hello_msg(&browser_like_extensions());
    let whole = client_hello_from_records(&record(&msg)).done().unwrap();
    let stream: Vec<u8> = msg.chunks(1).flat_map(record).collect();
    let mut reader = HelloRecords::new();
    let mut answers = Vec::new();
    for end in (6..=stream.len()).step_by(6) {
        answers.push(reader.feed(&stream[..end]));
    }
    assert_eq!(answers.last(), Some(&Parsed::Done(whole)));
    assert!(
        answers[..answers.len() - 1]
            .iter()
            .all(|a| matches!(a, Parsed::Incomplete { .. }))
    );
    // Record headers and payloads once, the joined hello once more.
    let bound = (stream.len() + 2 * msg.len()) as u64;
    assert!(
        reader.examined() <= bound,
        "{} bytes read for a {}-byte stream",
        reader.examined(),
        stream.len()
    );
}

/// A big record arriving a byte at a time is not re-read either: once its headers are whole,
/// calls before its end read nothing.
#[test]
fn a_record_arriving_byte_by_byte_is_waited_for() {
    let msg = hello_msg(&[sni_ext("x.example"), ext(0x1234, &[7; 3000])].concat());
    let stream = record(&msg);
    let mut reader = HelloRecords::new();
    for end in 1..stream.len() {
        assert!(matches!(
            reader.feed(&stream[..end]),
            Parsed::Incomplete { .. } | Parsed::NotThis
        ));
    }
    let hello = reader.feed(&stream).done().unwrap();
    assert_eq!(hello.sni.as_deref(), Some("x.example"));
    assert!(
        reader.examined() <= 3 * stream.len() as u64 + 64,
        "{}",
        reader.examined()
    );
}

/// Fed as it grows, the reader answers what a fresh parse of the whole stream answers.
#[test]
fn feeding_a_growing_stream_ends_as_parsing_it_whole() {
    let msg = hello_msg(&browser_like_extensions());
    let streams = [
        record(&msg),
        msg.chunks(7).flat_map(record).collect::<Vec<u8>>(),
        [record(&msg[..3]), record(&msg[3..])].concat(),
        // Interrupted by an application data record.
        [record(&msg[..40]), vec![0x17, 0x03, 0x03, 0x00, 0x01, 0x00]].concat(),
        // Not a hello.
        record(&[0x02, 0x00, 0x00, 0x01, 0x00]),
    ];
    for stream in &streams {
        for step in [1, 2, 5, 64] {
            let mut reader = HelloRecords::new();
            let mut got = Parsed::Incomplete { needed: None };
            let mut end = 0;
            while end < stream.len() {
                end = (end + step).min(stream.len());
                got = reader.feed(&stream[..end]);
                if !matches!(got, Parsed::Incomplete { .. }) {
                    break;
                }
            }
            assert_eq!(
                got,
                client_hello_from_records(&stream[..end]),
                "step {step}"
            );
        }
    }
}
