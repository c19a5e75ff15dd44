//! The generated QUIC captures in `tests/captures/gen-quic-*.pcap`, built here from the
//! specifications with known keys (`encode`): one flow per version, each naming itself.
//!
//! `cargo test generated_quic_captures` checks that the committed files are exactly what this
//! code builds; `SPORFRI_WRITE_CAPTURES=1 cargo test generated_quic_captures` rewrites them
//! (then run `tests/tools/oracle.sh` on them again, see `tests/captures/README.md`).
#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

use super::encode::{self, Datagram};
use super::versions::{Q050, T050, T051};

const CLIENT: [u8; 4] = [10, 0, 0, 2];
const RESOLVER: [u8; 4] = [10, 0, 0, 1];
const UA: &str = "Chrome/80.0.3987.132 Linux x86_64";

/// A client flow to `192.0.2.<host>:443` from port `40000 + host`.
fn dg(secs: u32, host: u8, payload: Vec<u8>) -> Datagram {
    Datagram {
        secs,
        src: (CLIENT, 40_000 + u16::from(host)),
        dst: ([192, 0, 2, host], 443),
        payload,
    }
}

/// The server's answer on the flow of `dg`.
fn back(secs: u32, host: u8, payload: Vec<u8>) -> Datagram {
    Datagram {
        secs,
        src: ([192, 0, 2, host], 443),
        dst: (CLIENT, 40_000 + u16::from(host)),
        payload,
    }
}

/// A DNS query and its answer naming `192.0.2.<host>`.
fn dns(secs: u32, host: u8, name: &str) -> [Datagram; 2] {
    let id = u16::from(host) * 7;
    [
        Datagram {
            secs,
            src: (CLIENT, 53_000 + u16::from(host)),
            dst: (RESOLVER, 53),
            payload: encode::dns_message(id, name, None),
        },
        Datagram {
            secs,
            src: (RESOLVER, 53),
            dst: (CLIENT, 53_000 + u16::from(host)),
            payload: encode::dns_message(id, name, Some([192, 0, 2, host])),
        },
    ]
}

fn dcid(host: u8) -> [u8; 8] {
    [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, host]
}

/// An Initial of an IETF-frame version carrying a TLS ClientHello for `sni`.
fn tls_initial(version: u32, host: u8, sni: &str, alpn: &str, size: usize) -> Vec<u8> {
    let hello = encode::tls_client_hello(sni, alpn);
    encode::initial(
        version,
        &dcid(host),
        &[0xc1, host, 0x5c, 0x1d],
        0,
        &encode::crypto_frame(0, &hello),
        size,
    )
}

fn ietf() -> Vec<Datagram> {
    let mut out = Vec::new();
    let named = [
        (0x0000_0001, "v1".to_owned()),
        (0x6b33_43cf, "v2".to_owned()),
    ];
    let drafts = (21..=34u32).map(|d| (0xff00_0000 | d, format!("draft-{d}")));
    for (i, (version, name)) in named.into_iter().chain(drafts).enumerate() {
        let host = 10 + i as u8;
        let alpn = if name.starts_with("draft") {
            format!("h3-{}", &name[6..])
        } else {
            "h3".into()
        };
        let sni = format!("{name}.quic.example");
        out.push(dg(
            i as u32,
            host,
            tls_initial(version, host, &sni, &alpn, 1252),
        ));
    }
    out
}

fn mvfst() -> Vec<Datagram> {
    let versions = super::versions::MVFST;
    versions
        .iter()
        .enumerate()
        .map(|(i, &version)| {
            let host = 30 + i as u8;
            let sni = format!("{version:08x}.mvfst.example");
            dg(
                i as u32,
                host,
                tls_initial(version, host, &sni, "h3-fb-05", 1252),
            )
        })
        .collect()
}

fn google() -> Vec<Datagram> {
    let chlo = |name: &str, v: &[u8; 4]| encode::chlo(&format!("{name}.gquic.example"), UA, v);
    let q043 = encode::q043(
        &dcid(50),
        1,
        &encode::google_stream_frame(0, &chlo("q043", b"Q043")),
        1350,
    );
    let q046 = encode::q046(
        &dcid(51),
        1,
        &encode::google_stream_frame(0, &chlo("q046", b"Q046")),
        1350,
    );
    let q050 = encode::initial(
        Q050,
        &dcid(52),
        &[],
        1,
        &encode::google_crypto_frame(0, &chlo("q050", b"Q050")),
        1350,
    );
    let tls = |v, host, name: &str| {
        let hello = encode::tls_client_hello(&format!("{name}.gquic.example"), "h3-T051");
        encode::initial(
            v,
            &dcid(host),
            &[],
            1,
            &encode::google_crypto_frame(0, &hello),
            1350,
        )
    };
    vec![
        dg(0, 50, q043),
        dg(1, 51, q046),
        dg(2, 52, q050),
        dg(3, 53, tls(T050, 53, "t050")),
        dg(4, 54, tls(T051, 54, "t051")),
    ]
}

fn coalesced() -> Vec<Datagram> {
    let mut out = Vec::new();
    let with = |mut first: Vec<u8>, more: Vec<u8>| {
        first.extend(more);
        first
    };
    let v1 = tls_initial(1, 60, "coalesced-0rtt.quic.example", "h3", 700);
    out.push(dg(
        0,
        60,
        with(v1, encode::opaque_long(1, 1, &dcid(60), 400)),
    ));
    let d29 = tls_initial(
        0xff00_001d,
        61,
        "coalesced-handshake.quic.example",
        "h3-29",
        700,
    );
    out.push(dg(
        1,
        61,
        with(d29, encode::opaque_long(0xff00_001d, 2, &dcid(61), 400)),
    ));
    let fb = tls_initial(0xface_b002, 62, "coalesced.mvfst.example", "h3-fb-05", 700);
    out.push(dg(
        2,
        62,
        with(fb, encode::opaque_long(0xface_b002, 1, &dcid(62), 400)),
    ));
    // A GREASE version, the server's Version Negotiation, the client's v1 retry.
    let mut grease = vec![0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8];
    grease.extend_from_slice(&dcid(63));
    grease.extend_from_slice(&[4, 1, 2, 3, 4]);
    grease.resize(1200, 0x11);
    out.push(dg(3, 63, grease));
    let mut vn = vec![0xc5, 0, 0, 0, 0, 4, 1, 2, 3, 4, 8];
    vn.extend_from_slice(&dcid(63));
    for v in [1u32, 0xff00_001d] {
        vn.extend_from_slice(&v.to_be_bytes());
    }
    out.push(back(3, 63, vn));
    // A new attempt takes a new DCID (RFC 9000 §6.2), on the same addresses.
    let hello = encode::tls_client_hello("after-version-negotiation.quic.example", "h3");
    let retry = encode::initial(
        1,
        &dcid(163),
        &[],
        0,
        &encode::crypto_frame(0, &hello),
        1200,
    );
    out.push(dg(4, 63, retry));
    // Connection IDs of the longest length v1 allows, both ways.
    let hello = encode::tls_client_hello("long-cids.quic.example", "h3");
    let long = encode::initial(
        1,
        &[0x20; 20],
        &[0x21; 20],
        0,
        &encode::crypto_frame(0, &hello),
        1252,
    );
    out.push(dg(5, 64, long));
    out
}

fn unreadable() -> Vec<Datagram> {
    let mut out = Vec::new();
    let long = |version: u32, host: u8| {
        let mut p = vec![0xc0];
        p.extend_from_slice(&version.to_be_bytes());
        p.push(8);
        p.extend_from_slice(&dcid(host));
        p.push(0);
        p.extend((0..1240u32).map(|i| (i * 7 + u32::from(host)) as u8));
        p.truncate(1252);
        p
    };
    out.extend(dns(0, 70, "draft20.unreadable.example"));
    out.push(dg(1, 70, long(0xff00_0014, 70)));
    // Q044 to an address no answer named: the contact is the address.
    let mut q044 = vec![0xc3, b'Q', b'0', b'4', b'4', 0x50];
    q044.extend_from_slice(&dcid(71));
    q044.resize(1350, 0x2d);
    out.push(dg(2, 71, q044));
    out.extend(dns(3, 72, "q039.unreadable.example"));
    let mut q039 = encode::q043(&dcid(72), 1, &[0x07], 1350);
    q039[11..13].copy_from_slice(b"39");
    out.push(dg(4, 72, q039));
    out.extend(dns(5, 73, "v2-draft.unreadable.example"));
    out.push(dg(6, 73, long(0x709a_50c4, 73)));
    out
}

/// The captures by file name.
pub(crate) fn captures() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("gen-quic-ietf.pcap", encode::pcap(&ietf())),
        ("gen-quic-mvfst.pcap", encode::pcap(&mvfst())),
        ("gen-quic-google.pcap", encode::pcap(&google())),
        ("gen-quic-coalesced.pcap", encode::pcap(&coalesced())),
        ("gen-quic-unreadable.pcap", encode::pcap(&unreadable())),
    ]
}

#[test]
fn generated_quic_captures_are_current() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures");
    let write = std::env::var_os("SPORFRI_WRITE_CAPTURES").is_some();
    for (name, bytes) in captures() {
        let path = format!("{dir}/{name}");
        if write {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{name} differs from what the encoder builds"
        );
    }
}
