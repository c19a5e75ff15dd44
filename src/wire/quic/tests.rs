#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

use super::rfc_vectors::*;
use super::versions;
use super::*;

pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const DCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

fn open_vector(packet: &[u8]) -> (LongHeader<'_>, Opened) {
    let Parsed::Done((header, rest)) = parse_long_header(packet) else {
        panic!("vector does not parse");
    };
    assert!(rest.is_empty());
    let Some(Reading::Protected(p)) = versions::reading(header.version) else {
        panic!("not protected");
    };
    let keys = InitialKeys::client(p.salts[0], header.dcid).unwrap();
    let opened = open_initial(&keys, &header).unwrap();
    (header, opened)
}

fn check_a2_plaintext(opened: &Opened) {
    let frame = hex(A2_CRYPTO_FRAME);
    assert_eq!(opened.packet_number, 2);
    assert_eq!(opened.payload.len(), 1162);
    assert_eq!(&opened.payload[..frame.len()], &frame[..]);
    assert!(opened.payload[frame.len()..].iter().all(|b| *b == 0));
    let frames = walk_frames(&opened.payload);
    assert_eq!(frames.weird, None);
    assert_eq!(frames.crypto.len(), 1);
    assert_eq!(frames.crypto[0].offset, 0);
    assert_eq!(frames.crypto[0].data, &frame[4..]);
    assert_eq!(frames.crypto[0].data[0], 0x01, "a ClientHello");
    let sni = b"\x00\x0e\x00\x00\x0bexample.com";
    assert!(frames.crypto[0].data.windows(sni.len()).any(|w| w == sni));
}

#[test]
fn rfc9001_a2_client_initial_decrypts() {
    let packet = hex(RFC9001_A2_CLIENT_INITIAL);
    assert_eq!(packet.len(), 1200);
    let (header, opened) = open_vector(&packet);
    assert_eq!(header.version, VERSION_1);
    assert_eq!(header.kind, PacketKind::Initial);
    assert_eq!(header.dcid, DCID);
    assert_eq!(header.pn_offset, 18);
    check_a2_plaintext(&opened);
}

#[test]
fn rfc9369_a2_v2_client_initial_decrypts() {
    let packet = hex(RFC9369_A2_CLIENT_INITIAL);
    assert_eq!(packet.len(), 1200);
    let (header, opened) = open_vector(&packet);
    assert_eq!(header.version, VERSION_2);
    assert_eq!(
        header.kind,
        PacketKind::Initial,
        "v2 Initial type bits are 0b01"
    );
    check_a2_plaintext(&opened);
}

#[test]
fn wrong_keys_and_tampering_fail_closed() {
    let packet = hex(RFC9001_A2_CLIENT_INITIAL);
    let Parsed::Done((header, _)) = parse_long_header(&packet) else {
        panic!()
    };
    let v2_keys = InitialKeys::client(Salt::V2, &DCID).unwrap();
    assert_eq!(
        open_initial(&v2_keys, &header),
        Err(Weird::QuicDecryptFailed)
    );
    let mut tampered = packet.clone();
    tampered[500] ^= 0x01;
    let (header, _) = parse_long_header(&tampered).done().unwrap();
    let keys = InitialKeys::client(Salt::V1, &DCID).unwrap();
    assert_eq!(open_initial(&keys, &header), Err(Weird::QuicDecryptFailed));
}

#[test]
fn every_prefix_and_bit_flip_is_safe() {
    let packet = hex(RFC9001_A2_CLIENT_INITIAL);
    let keys = InitialKeys::client(Salt::V1, &DCID).unwrap();
    for n in 0..packet.len() {
        for h in coalesced(&packet[..n]).flatten() {
            assert!(open_initial(&keys, &h).is_err());
        }
    }
    for i in 0..64 {
        let mut p = packet.clone();
        p[i] ^= 0xff;
        for h in coalesced(&p).flatten() {
            let _ = open_initial(&keys, &h);
        }
    }
}

#[test]
fn coalesced_initial_and_handshake_are_walked() {
    let first = seal_initial(VERSION_1, &DCID, &DCID, 0, &[0x06, 0x00, 0x01, 0x01, 0x00]);
    let mut datagram = first.clone();
    // A Handshake packet (type 2): same shape, opaque payload.
    datagram.extend_from_slice(&[0xe0, 0, 0, 0, 1, 1, 0xaa, 0, 0x14]);
    datagram.extend_from_slice(&[0x55; 20]);
    datagram.extend_from_slice(&[0x40, 0x00, 0x00]); // 1-RTT short header: walk stops
    let kinds: Vec<_> = coalesced(&datagram).map(|h| h.unwrap().kind).collect();
    assert_eq!(kinds, [PacketKind::Initial, PacketKind::Handshake]);
    let h = coalesced(&datagram).next().unwrap().unwrap();
    assert_eq!(h.packet, &first[..]);
    assert_eq!(h.dcid, DCID);
}

#[test]
fn retry_and_version_negotiation_are_not_misparsed() {
    // Retry (v1 type 3): SCID, token, integrity tag, no Length field.
    let mut retry = vec![0xf0, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4];
    retry.extend_from_slice(b"token-bytes");
    retry.extend_from_slice(&[0x77; 16]);
    let (h, rest) = parse_long_header(&retry).done().unwrap();
    assert_eq!(
        (h.kind, h.scid, rest.len()),
        (PacketKind::Retry, &[1u8, 2, 3, 4][..], 0)
    );
    // v2 Retry uses type bits 0b00.
    retry[0] = 0xc0;
    retry[1..5].copy_from_slice(&VERSION_2.to_be_bytes());
    assert_eq!(
        parse_long_header(&retry).done().unwrap().0.kind,
        PacketKind::Retry
    );
    // Version Negotiation: version 0, a list of versions.
    let vn = [
        0xc5, 0, 0, 0, 0, 1, 9, 1, 8, 0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf,
    ];
    let (h, _) = parse_long_header(&vn).done().unwrap();
    assert_eq!(
        (h.kind, h.dcid, h.scid),
        (PacketKind::VersionNegotiation, &[9u8][..], &[8u8][..])
    );
    assert_eq!(coalesced(&vn).count(), 1);
}

#[test]
fn headers_by_version() {
    let unknown = [0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 0, 0, 1, 2, 3];
    assert_eq!(
        parse_long_header(&unknown).done().unwrap().0.kind,
        PacketKind::UnknownVersion
    );
    // Unknown versions may have CIDs up to 255 bytes (RFC 8999): never a weird.
    let mut long = vec![0xc0, 0xff, 0x00, 0x00, 0x14, 200];
    long.extend_from_slice(&[7; 200]);
    long.push(40);
    long.extend_from_slice(&[8; 40]);
    long.extend_from_slice(&[0; 900]);
    let (h, rest) = parse_long_header(&long).done().unwrap();
    assert_eq!(
        (h.kind, h.dcid.len(), h.scid.len(), rest.len()),
        (PacketKind::UnknownVersion, 200, 40, 0)
    );
    assert_eq!(coalesced(&long).count(), 1);
    // Cut inside the CIDs of an unknown version: still just an unknown version.
    let (h, _) = parse_long_header(&long[..30]).done().unwrap();
    assert_eq!(h.kind, PacketKind::UnknownVersion);
    // gQUIC Q046 packs both CID lengths in one byte: DCID 8 (5 + 3), no SCID, 4-byte PN.
    let q046 = [
        0xc3, b'Q', b'0', b'4', b'6', 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0xaa,
    ];
    let (h, rest) = parse_long_header(&q046).done().unwrap();
    assert_eq!(
        (h.kind, h.dcid, h.scid, h.pn_offset, h.pn_len, rest.len()),
        (PacketKind::Initial, &q046[6..14], &[][..], 14, 4, 0)
    );
    assert_eq!(
        parse_long_header(&q046[..16]),
        Parsed::Malformed(Weird::GquicTruncated)
    );
}

/// A client Initial sealed by rustls (an independent implementation of RFC 9001) for the
/// versions it knows.
fn rustls_sealed(version: rustls::quic::Version, wire: u32, frames: &[u8]) -> Vec<u8> {
    use rustls::Side;
    use rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let suite = TLS13_AES_128_GCM_SHA256
        .tls13()
        .unwrap()
        .quic_suite()
        .unwrap();
    let keys = suite.keys(&DCID, Side::Client, version).local;
    let type_bits: u8 = if wire == VERSION_2 { 1 } else { 0 };
    let mut packet = vec![0xc3 | (type_bits << 4)];
    packet.extend_from_slice(&wire.to_be_bytes());
    packet.push(DCID.len() as u8);
    packet.extend_from_slice(&DCID);
    packet.extend_from_slice(&[0x00, 0x00]);
    let length = 4 + frames.len() + 16;
    packet.extend_from_slice(&(0x4000u16 | length as u16).to_be_bytes());
    let pn_offset = packet.len();
    packet.extend_from_slice(&5u32.to_be_bytes());
    let mut payload = frames.to_vec();
    let tag = keys
        .packet
        .encrypt_in_place(5, &packet, &mut payload)
        .unwrap();
    packet.extend_from_slice(&payload);
    packet.extend_from_slice(tag.as_ref());
    let (head, tail) = packet.split_at_mut(pn_offset + 4);
    let (start, pn_bytes) = head.split_at_mut(pn_offset);
    keys.header
        .encrypt_in_place(&tail[..16], &mut start[0], pn_bytes)
        .unwrap();
    packet
}

#[test]
fn rustls_sealed_initials_open_and_match_our_sealing() {
    let frames = [0x06, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 0x01];
    for (version, wire) in [
        (rustls::quic::Version::V1, VERSION_1),
        (rustls::quic::Version::V1Draft, 0xff00_001d),
        (rustls::quic::Version::V2, VERSION_2),
    ] {
        let theirs = rustls_sealed(version, wire, &frames);
        let (h, _) = parse_long_header(&theirs).done().unwrap();
        let Some(Reading::Protected(p)) = versions::reading(wire) else {
            panic!()
        };
        let keys = InitialKeys::client(p.salts[0], h.dcid).unwrap();
        let opened = open_initial(&keys, &h).unwrap();
        assert_eq!(
            (opened.packet_number, &opened.payload[..]),
            (5, &frames[..])
        );
        assert_eq!(
            seal_initial(wire, &DCID, &DCID, 5, &frames),
            theirs,
            "{wire:#x}"
        );
    }
}

#[test]
fn draft29_initial_round_trips_with_the_draft_salt() {
    let frames = [0x06, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00];
    let packet = seal_initial(0xff00_001d, &DCID, &DCID, 7, &frames);
    let (h, _) = parse_long_header(&packet).done().unwrap();
    let draft = InitialKeys::client(Salt::Draft29, h.dcid).unwrap();
    let opened = open_initial(&draft, &h).unwrap();
    assert_eq!(
        (opened.packet_number, &opened.payload[..]),
        (7, &frames[..])
    );
    let v1 = InitialKeys::client(Salt::V1, h.dcid).unwrap();
    assert_eq!(open_initial(&v1, &h), Err(Weird::QuicDecryptFailed));
}

#[test]
fn malformed_headers_are_named() {
    let mut long_cid = vec![0xc0, 0, 0, 0, 1, 21];
    long_cid.extend_from_slice(&[0; 30]);
    assert_eq!(
        parse_long_header(&long_cid),
        Parsed::Malformed(Weird::QuicBadCidLength)
    );
    let cut = [0xc0, 0, 0, 0, 1, 0, 0, 0, 0x44, 0x00, 1, 2];
    assert_eq!(
        parse_long_header(&cut),
        Parsed::Malformed(Weird::QuicTruncated)
    );
    assert!(looks_like_long_header(&[0xc0, 0, 0, 0, 1]));
    assert!(looks_like_long_header(&[0xd0, 0x6b, 0x33, 0x43, 0xcf]));
    assert!(looks_like_long_header(&[0xc3, 0xff, 0, 0, 0x1d]));
    assert!(!looks_like_long_header(&[0x80, 0, 0, 0, 0]));
    // Both high bits set, but outside QUIC's version space: another UDP protocol.
    assert!(!looks_like_long_header(&[0xc0, 0x12, 0x34, 0x56, 0x78]));
    // QUIC versions sporfri does not read still look like QUIC (GREASE, draft-20, Q044).
    assert!(looks_like_long_header(&[0xc0, 0x1a, 0x2a, 0x3a, 0x4a]));
    assert!(looks_like_long_header(&[0xc0, 0xff, 0, 0, 0x14]));
    assert!(looks_like_long_header(&[0xc3, b'Q', b'0', b'4', b'4']));
    assert!(!looks_like_long_header(&[0xc0]));
    assert!(!looks_like_long_header(&[0x40, 0xc0]));
    assert!(!looks_like_long_header(&[]));
}

#[test]
fn draft27_a2_client_initial_decrypts_with_the_draft23_salt() {
    let packet = hex(DRAFT27_A2_CLIENT_INITIAL);
    assert_eq!(packet.len(), 1200);
    let (header, opened) = open_vector(&packet);
    assert_eq!((header.version, header.dcid), (0xff00_001b, &DCID[..]));
    let frame = hex(DRAFT27_A2_CRYPTO_FRAME);
    assert_eq!(opened.packet_number, 2);
    assert_eq!(opened.payload.len(), 1162);
    assert_eq!(&opened.payload[..frame.len()], &frame[..]);
    assert!(opened.payload[frame.len()..].iter().all(|b| *b == 0));
    let frames = walk_frames(&opened.payload);
    assert_eq!((frames.weird, frames.crypto[0].data), (None, &frame[4..]));
    // The v1 salt does not open it.
    let v1 = InitialKeys::client(Salt::V1, &DCID).unwrap();
    assert_eq!(open_initial(&v1, &header), Err(Weird::QuicDecryptFailed));
}

#[test]
fn draft22_a2_client_initial_decrypts_with_nibble_cids_and_the_draft22_salt() {
    let packet = hex(DRAFT22_A2_CLIENT_INITIAL);
    assert_eq!(packet.len(), 1200);
    let (header, opened) = open_vector(&packet);
    assert_eq!(
        (header.version, header.dcid, header.scid),
        (0xff00_0015, &DCID[..], &[][..])
    );
    assert_eq!(header.pn_offset, 17);
    let frame = hex(DRAFT27_A2_CRYPTO_FRAME);
    assert_eq!((opened.packet_number, opened.payload.len()), (2, 1163));
    assert_eq!(&opened.payload[..frame.len()], &frame[..]);
    assert!(opened.payload[frame.len()..].iter().all(|b| *b == 0));
}
