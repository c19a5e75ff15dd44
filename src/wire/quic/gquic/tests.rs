#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

use super::*;
use crate::wire::quic::encode;
use crate::wire::quic::{parse_long_header, versions};

/// Chromium's `null_encrypter_test.cc` (`EncryptClient`): associated data "hello world!",
/// plaintext "goodbye!", a client's hash.
#[test]
fn null_hash_matches_chromiums_test_vector() {
    let hash = [
        0x97, 0xdc, 0x27, 0x2f, 0x18, 0xa8, 0x56, 0x73, 0xdf, 0x8d, 0x1d, 0xd0,
    ];
    let mut rest = hash.to_vec();
    rest.extend_from_slice(b"goodbye!");
    assert_eq!(open_null(b"hello world!", &rest), Ok(&b"goodbye!"[..]));
    rest[3] ^= 1;
    assert_eq!(open_null(b"hello world!", &rest), Err(Weird::GquicBadHash));
    assert_eq!(open_null(b"x", &hash[..11]), Err(Weird::GquicTruncated));
}

#[test]
fn q043_hello_packet_opens_and_yields_stream_one() {
    let msg = encode::chlo("www.google.com", "Chrome/80.0 Linux", b"Q043");
    let frames = encode::google_stream_frame(0, &msg);
    let packet = encode::q043(&[7; 8], 1, &frames, 1350);
    assert_eq!(packet.len(), 1350);
    assert!(looks_like_public_header(&packet));
    let ph = parse_public_header(&packet).done().unwrap();
    assert_eq!((ph.version, ph.cid, ph.pn_len), (Q043, &[7u8; 8][..], 1));
    let payload = open_null(ph.header, ph.rest).unwrap();
    let walked = walk_frames(payload, ph.pn_len);
    assert_eq!(walked.weird, None);
    assert_eq!(walked.crypto.len(), 1);
    assert_eq!(
        (walked.crypto[0].offset, walked.crypto[0].data),
        (0, &msg[..])
    );
    // Other gQUIC versions look like it, but only Q043 is read.
    let mut q039 = packet.clone();
    q039[11..13].copy_from_slice(b"39");
    assert!(looks_like_public_header(&q039));
    assert_eq!(parse_public_header(&q039), Parsed::NotThis);
    // A public reset, or no version: not a hello packet.
    for flags in [0x0b, 0x08, 0x49] {
        let mut p = packet.clone();
        p[0] = flags;
        assert!(!looks_like_public_header(&p), "{flags:#x}");
    }
    assert_eq!(
        parse_public_header(&packet[..13]),
        Parsed::Malformed(Weird::GquicTruncated)
    );
}

#[test]
fn q046_hello_packet_opens() {
    let msg = encode::chlo("q046.example", "Chrome/75", b"Q046");
    let packet = encode::q046(&[9; 8], 1, &encode::google_stream_frame(0, &msg), 1350);
    let (h, rest) = parse_long_header(&packet).done().unwrap();
    assert!(rest.is_empty());
    assert_eq!(
        (h.version, h.dcid, h.pn_len),
        (versions::Q046, &[9u8; 8][..], 4)
    );
    let (header, rest) = q046_parts(&h).unwrap();
    assert_eq!(header.len(), 18);
    let walked = walk_frames(open_null(header, rest).unwrap(), h.pn_len);
    assert_eq!(walked.crypto[0].data, &msg[..]);
}

#[test]
fn frames_of_every_kind_are_walked() {
    let mut payload = vec![0x07]; // PING
    payload.extend_from_slice(&[0x06, 0x01]); // STOP_WAITING with a 1-byte packet number
    // ACK: 2-byte largest, 2-byte blocks, 2 more blocks, 2 timestamps.
    payload.extend_from_slice(&[0x65, 0x00, 0x10, 0x00, 0x00, 0x02, 0x00, 0x05]);
    payload.extend_from_slice(&[0x01, 0x00, 0x02, 0x01, 0x00, 0x01]);
    payload.extend_from_slice(&[0x02, 0x01, 0, 0, 0, 5, 0x02, 0, 7]);
    payload.extend_from_slice(&[0x04, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0x10, 0]); // WINDOW_UPDATE
    payload.extend_from_slice(&[0x05, 0, 0, 0, 3]); // BLOCKED
    payload.extend_from_slice(&[0x01, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
    payload.extend_from_slice(&[0x03, 0, 0, 0, 1, 0, 0, 0, 3, 0, 2, b'n', b'o']); // GOAWAY
    payload.extend(encode::google_stream_frame(5, b"stream one"));
    // Stream 3 (headers) is not the handshake.
    payload.extend_from_slice(&[0xa0, 0x03, 0x00, 0x02, b'h', b'i']);
    payload.extend(encode::google_crypto_frame(70, b"crypto"));
    payload.extend_from_slice(&[0x02, 0, 0, 0, 1, 0, 1, b'x']); // CONNECTION_CLOSE
    payload.extend_from_slice(&[0x00, 0x00, 0xff, 0x13]); // PADDING to the end
    let walked = walk_frames(&payload, 1);
    assert_eq!(walked.weird, None);
    assert!(walked.connection_close);
    let chunks: Vec<_> = walked.crypto.iter().map(|c| (c.offset, c.data)).collect();
    assert_eq!(chunks, [(5, &b"stream one"[..]), (70, &b"crypto"[..])]);
    // A STREAM frame without a data length runs to the end of the packet.
    let last = walk_frames(&[0x80, 0x01, b'a', b'b'], 1);
    assert_eq!(last.crypto[0].data, b"ab");
}

#[test]
fn unknown_and_truncated_frames_keep_what_came_before() {
    let mut payload = encode::google_stream_frame(0, b"kept");
    payload.push(0x21);
    let walked = walk_frames(&payload, 1);
    assert_eq!(
        (walked.crypto.len(), walked.weird),
        (1, Some(Weird::GquicBadFrame))
    );
    for cut in [
        &[0x40, 0x01][..],
        &[0x65, 0, 1, 0, 0, 0xff, 0, 1],
        &[0xa0, 0x01, 0x00, 0x09, b'x'],
        &[0x08, 0x00, 0x05, 1],
        &[0x02, 0, 0, 0, 1, 0, 9, b'x'],
    ] {
        assert_eq!(
            walk_frames(cut, 1).weird,
            Some(Weird::GquicBadFrame),
            "{cut:x?}"
        );
    }
    let mut many = Vec::new();
    for i in 0..=MAX_CRYPTO_FRAMES_PER_PACKET {
        many.extend(encode::google_crypto_frame(i as u64, b"x"));
    }
    let walked = walk_frames(&many, 1);
    assert_eq!(walked.crypto.len(), MAX_CRYPTO_FRAMES_PER_PACKET);
    assert_eq!(walked.weird, Some(Weird::QuicTooManyCryptoFrames));
}

#[test]
fn every_prefix_and_flip_of_a_q043_packet_is_safe() {
    let msg = encode::chlo("flip.example", "ua", b"Q043");
    let packet = encode::q043(&[1; 8], 2, &encode::google_stream_frame(0, &msg), 1200);
    for n in 0..packet.len() {
        if let Parsed::Done(ph) = parse_public_header(&packet[..n]) {
            assert!(open_null(ph.header, ph.rest).is_err());
        }
    }
    for i in 0..packet.len() {
        let mut p = packet.clone();
        p[i] ^= 0x40;
        if let Parsed::Done(ph) = parse_public_header(&p) {
            assert!(
                open_null(ph.header, ph.rest).is_err(),
                "flip at {i} verified"
            );
        }
    }
}
