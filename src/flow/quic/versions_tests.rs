//! Every version sporfri reads, end to end through the tracker: first packets built from the
//! specifications with known keys (`wire::quic::encode`), and the server name recovered.
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::wire::quic::encode;
use crate::wire::quic::versions::{Q043, Q046, Q050, T050, T051};
use crate::wire::quic::{Salt, seal_rest};

const CLIENT: &str = "10.0.0.2:50000";
const SERVER: &str = "192.0.2.7:443";
const DCID: [u8; 8] = [0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87];
const UA: &str = "Chrome/80.0.3987.132 Linux x86_64";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn t(secs: u64) -> Timestamp {
    Timestamp::from_parts(1_700_000_000 + secs, 0)
}

fn feed(tr: &mut QuicTracker, w: &mut Counters, dg: &[u8]) -> Seen<QuicHello> {
    tr.ingest(t(0), addr(CLIENT), addr(SERVER), dg, w)
}

/// Drafts 21 to 34, v1, v2 and mvfst: IETF frames, TLS ClientHello.
fn ietf_versions() -> impl Iterator<Item = u32> {
    [1, 0x6b33_43cf]
        .into_iter()
        .chain(0xff00_0015..=0xff00_0022)
        .chain(crate::wire::quic::versions::MVFST)
}

#[test]
fn every_ietf_style_version_yields_its_sni() {
    for version in ietf_versions() {
        let sni = format!("v{version:08x}.quic.example");
        let hello = encode::tls_client_hello(&sni, "h3");
        let dg = encode::initial(
            version,
            &DCID,
            &[1, 2, 3, 4],
            0,
            &encode::crypto_frame(0, &hello),
            1252,
        );
        let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
        let h = feed(&mut tr, &mut w, &dg).hello().expect("a hello");
        assert_eq!(
            (h.version, h.hello.sni.as_deref()),
            (version, Some(sni.as_str()))
        );
        assert_eq!(h.hello.alpn, ["h3"], "{version:#x}");
        assert_eq!(
            tr.keys_derived(),
            1,
            "{version:#x}: the first salt is right"
        );
        assert!(w.is_empty(), "{version:#x}: {w:?}");
    }
}

#[test]
fn a_hello_split_over_two_initials_of_a_draft_is_reassembled() {
    let hello = encode::tls_client_hello("split.draft27.example", "h3-27");
    let (a, b) = hello.split_at(150);
    let first = encode::initial(
        0xff00_001b,
        &DCID,
        &[],
        0,
        &encode::crypto_frame(0, a),
        1200,
    );
    let second = encode::initial(
        0xff00_001b,
        &DCID,
        &[],
        1,
        &encode::crypto_frame(150, b),
        1200,
    );
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    assert_eq!(feed(&mut tr, &mut w, &second), Seen::Nothing);
    let h = feed(&mut tr, &mut w, &first).hello().unwrap();
    assert_eq!(h.hello.sni.as_deref(), Some("split.draft27.example"));
    assert_eq!(tr.keys_derived(), 1);
}

#[test]
fn an_mvfst_version_of_open_salt_falls_back_to_the_v1_salt() {
    // 0xfaceb004 and later aliases: mvfst's sources leave the salt open; v1's is tried second.
    let hello = encode::tls_client_hello("alias.mvfst.example", "h3");
    let mut header = vec![0xc3];
    header.extend_from_slice(&0xface_b004u32.to_be_bytes());
    header.extend_from_slice(&[8]);
    header.extend_from_slice(&DCID);
    header.extend_from_slice(&[0, 0]);
    let mut frames = encode::crypto_frame(0, &hello);
    frames.resize(1150, 0);
    header.extend_from_slice(&(0x4000u16 | (4 + frames.len() + 16) as u16).to_be_bytes());
    let keys = InitialKeys::client(Salt::V1, &DCID).unwrap();
    let dg = seal_rest(&keys, header, 0, &frames);
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let h = feed(&mut tr, &mut w, &dg).hello().unwrap();
    assert_eq!(h.hello.sni.as_deref(), Some("alias.mvfst.example"));
    assert_eq!(tr.keys_derived(), 2);
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn google_tls_versions_carry_tls_in_google_crypto_frames() {
    for version in [T050, T051] {
        let hello = encode::tls_client_hello("t05x.gquic.example", "h3-T051");
        let frames = encode::google_crypto_frame(0, &hello);
        let dg = encode::initial(version, &DCID, &[], 1, &frames, 1350);
        let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
        let h = feed(&mut tr, &mut w, &dg).hello().unwrap();
        assert_eq!(h.hello.sni.as_deref(), Some("t05x.gquic.example"));
        assert_eq!(h.user_agent, None);
        assert!(w.is_empty(), "{version:#x}: {w:?}");
    }
}

#[test]
fn q050_carries_a_chlo_in_a_protected_initial() {
    let msg = encode::chlo("q050.gquic.example", UA, b"Q050");
    let dg = encode::initial(
        Q050,
        &DCID,
        &[],
        1,
        &encode::google_crypto_frame(0, &msg),
        1350,
    );
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let h = feed(&mut tr, &mut w, &dg).hello().unwrap();
    assert_eq!(h.version, Q050);
    assert_eq!(h.hello.sni.as_deref(), Some("q050.gquic.example"));
    assert_eq!(h.user_agent.as_deref(), Some(UA));
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn q043_hello_split_over_two_packets_is_reassembled() {
    let msg = encode::chlo("googleads.g.doubleclick.net", UA, b"Q043");
    let (a, b) = msg.split_at(600);
    let cid = [0x5a; 8];
    let first = encode::q043(&cid, 1, &encode::google_stream_frame(0, a), 1350);
    let second = encode::q043(&cid, 2, &encode::google_stream_frame(600, b), 1350);
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    assert_eq!(feed(&mut tr, &mut w, &first), Seen::Nothing);
    let h = feed(&mut tr, &mut w, &second).hello().unwrap();
    assert_eq!(h.version, Q043);
    assert_eq!(h.hello.sni.as_deref(), Some("googleads.g.doubleclick.net"));
    assert_eq!(h.user_agent.as_deref(), Some(UA));
    assert_eq!(
        feed(&mut tr, &mut w, &second),
        Seen::Nothing,
        "once per connection"
    );
    assert!(w.is_empty(), "{w:?}");
    // A packet whose hash does not verify is counted and taken for nothing.
    let mut bad = encode::q043(&[0x11; 8], 1, &encode::google_stream_frame(0, &msg), 1350);
    bad[100] ^= 1;
    let other = addr("10.0.0.3:50000");
    assert_eq!(
        tr.ingest(t(0), other, addr(SERVER), &bad, &mut w),
        Seen::Nothing
    );
    assert_eq!(w.get(Weird::GquicBadHash), 1);
}

#[test]
fn q046_hello_yields_its_sni() {
    let msg = encode::chlo("pagead2.googlesyndication.com", UA, b"Q046");
    let dg = encode::q046(&[0x46; 8], 1, &encode::google_stream_frame(0, &msg), 1350);
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let h = feed(&mut tr, &mut w, &dg).hello().unwrap();
    assert_eq!(
        (h.version, h.hello.sni.as_deref()),
        (Q046, Some("pagead2.googlesyndication.com"))
    );
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn zero_rtt_and_handshake_coalesced_with_initials_are_passed_over() {
    for (version, type_bits) in [
        (0xff00_0016, 1),
        (0xface_b002, 2),
        (0x6b33_43cf, 2),
        (T051, 1),
    ] {
        let hello = encode::tls_client_hello("coalesced.example", "h3");
        let frames = if version == T051 {
            encode::google_crypto_frame(0, &hello)
        } else {
            encode::crypto_frame(0, &hello)
        };
        let mut dg = encode::opaque_long(version, type_bits, &DCID, 40);
        dg.splice(0..0, encode::initial(version, &DCID, &[], 0, &frames, 600));
        dg.extend(encode::opaque_long(version, type_bits, &DCID, 500));
        let kinds: Vec<_> = quic::coalesced(&dg).map(|h| h.unwrap().kind).collect();
        assert_eq!(kinds.len(), 3, "{version:#x}");
        assert_eq!(kinds[0], PacketKind::Initial);
        let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
        let h = feed(&mut tr, &mut w, &dg).hello().unwrap();
        assert_eq!(
            h.hello.sni.as_deref(),
            Some("coalesced.example"),
            "{version:#x}"
        );
        assert!(w.is_empty(), "{version:#x}: {w:?}");
    }
}

#[test]
fn unreadable_versions_are_reported_once_they_look_like_a_first_flight() {
    let mut draft20 = vec![0xc0, 0xff, 0, 0, 0x14, 0x55];
    draft20.extend_from_slice(&[0x33; 16]);
    draft20.resize(1252, 0);
    let mut q044 = vec![0xc3, b'Q', b'0', b'4', b'4', 0x50];
    q044.resize(1350, 0xab);
    let mut q039 = encode::q043(&[3; 8], 1, &[0x07], 1350);
    q039[11..13].copy_from_slice(b"39");
    let mut grease = vec![0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8];
    grease.extend_from_slice(&DCID);
    grease.resize(1200, 0);
    for (dg, version) in [
        (&draft20, 0xff00_0014),
        (&q044, 0x5130_3434),
        (&q039, 0x5130_3339),
        (&grease, 0x1a2a_3a4a),
    ] {
        let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
        assert_eq!(feed(&mut tr, &mut w, dg), Seen::Unreadable { version });
        // Small packets of such versions are not enough to say so.
        assert_eq!(feed(&mut tr, &mut w, &dg[..200]), Seen::Nothing);
        assert!(w.is_empty(), "{w:?}");
    }
}

#[test]
fn version_negotiation_is_counted_and_the_retry_is_read() {
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    let mut grease = vec![0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8];
    grease.extend_from_slice(&DCID);
    grease.resize(1200, 0);
    assert!(matches!(
        feed(&mut tr, &mut w, &grease),
        Seen::Unreadable { .. }
    ));
    let mut vn = vec![0x80, 0, 0, 0, 0, 0, 8];
    vn.extend_from_slice(&DCID);
    for v in [1u32, 0xff00_001d, 0x6b33_43cf] {
        vn.extend_from_slice(&v.to_be_bytes());
    }
    vn[0] = 0xc5;
    let (h, _) = quic::parse_long_header(&vn).done().unwrap();
    assert_eq!(
        h.offered_versions().collect::<Vec<_>>(),
        [1, 0xff00_001d, 0x6b33_43cf]
    );
    let back = tr.ingest(t(0), addr(SERVER), addr(CLIENT), &vn, &mut w);
    assert_eq!(back, Seen::Nothing);
    assert_eq!(w.get(Weird::QuicVersionNegotiation), 1);
    let hello = encode::tls_client_hello("after-vn.example", "h3");
    let dg = encode::initial(1, &DCID, &[], 0, &encode::crypto_frame(0, &hello), 1200);
    let h = feed(&mut tr, &mut w, &dg).hello().unwrap();
    assert_eq!(h.hello.sni.as_deref(), Some("after-vn.example"));
}

#[test]
fn a_chlo_longer_than_the_crypto_bound_is_refused() {
    // One tag whose value would end past MAX_CRYPTO_BYTES: refused from the entry table on.
    let mut msg = b"CHLO\x01\x00\x00\x00SNI\x00".to_vec();
    msg.extend_from_slice(&(MAX_CRYPTO_BYTES as u32).to_le_bytes());
    msg.extend_from_slice(b"big.example");
    let dg = encode::initial(
        Q050,
        &DCID,
        &[],
        1,
        &encode::google_crypto_frame(0, &msg),
        1350,
    );
    let (mut tr, mut w) = (QuicTracker::new(), Counters::default());
    assert_eq!(feed(&mut tr, &mut w, &dg), Seen::Nothing);
    assert_eq!(w.get(Weird::QuicCryptoTooBig), 1);
}
