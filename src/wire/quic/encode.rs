//! Test-only encoders: client hellos and first packets of every version sporfri reads, built
//! from the specifications with known keys, and a pcap writer for the generated captures.
#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

use super::gquic::HASH_LEN;
use super::versions::{self, Reading};
use super::{InitialKeys, seal_rest};

/// A TLS 1.3 ClientHello handshake message naming `sni`, with what a real client sends (so
/// that tshark takes it as one): cipher suites, groups, signature algorithms, ALPN,
/// supported versions, an X25519 key share and QUIC transport parameters.
pub(crate) fn tls_client_hello(sni: &str, alpn: &str) -> Vec<u8> {
    let mut ext = Vec::new();
    let mut put = |kind: u16, body: &[u8]| {
        ext.extend_from_slice(&kind.to_be_bytes());
        ext.extend_from_slice(&(body.len() as u16).to_be_bytes());
        ext.extend_from_slice(body);
    };
    let name = sni.as_bytes();
    let mut server_name = ((name.len() + 3) as u16).to_be_bytes().to_vec();
    server_name.push(0);
    server_name.extend_from_slice(&(name.len() as u16).to_be_bytes());
    server_name.extend_from_slice(name);
    put(0x0000, &server_name);
    put(0x000a, &[0x00, 0x02, 0x00, 0x1d]);
    put(0x000d, &[0x00, 0x04, 0x04, 0x03, 0x08, 0x04]);
    let mut protocols = vec![0, alpn.len() as u8 + 1, alpn.len() as u8];
    protocols.extend_from_slice(alpn.as_bytes());
    put(0x0010, &protocols);
    put(0x002b, &[0x02, 0x03, 0x04]);
    let mut share = vec![0x00, 0x24, 0x00, 0x1d, 0x00, 0x20];
    share.extend((0..32u8).map(|i| i.wrapping_mul(29).wrapping_add(3)));
    put(0x0033, &share);
    put(0x0039, &[0x04, 0x04, 0x80, 0x10, 0x00, 0x00]);
    let mut body = vec![0x03, 0x03];
    body.extend((0..32u8).map(|i| i.wrapping_mul(37)));
    body.push(0);
    body.extend_from_slice(&[0x00, 0x06, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0x01, 0x00]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut msg = vec![0x01, 0, (body.len() >> 8) as u8, body.len() as u8];
    msg.extend_from_slice(&body);
    msg
}

/// A Google `CHLO` naming `sni` and `uaid`, padded to 1024 bytes as Chrome pads it (tags in
/// ascending order of their little-endian value, as Chromium writes them).
pub(crate) fn chlo(sni: &str, uaid: &str, version: &[u8; 4]) -> Vec<u8> {
    let fixed: [(&[u8; 4], &[u8]); 4] = [
        (b"SNI\0", sni.as_bytes()),
        (b"VER\0", version),
        (b"UAID", uaid.as_bytes()),
        (b"PDMD", b"X509"),
    ];
    let used: usize = 8 + 8 * 5 + fixed.iter().map(|(_, v)| v.len()).sum::<usize>();
    let pad = vec![b'-'; 1024usize.saturating_sub(used)];
    let mut entries: Vec<(&[u8; 4], &[u8])> = fixed.to_vec();
    entries.push((b"PAD\0", &pad));
    entries.sort_by_key(|(tag, _)| u32::from_le_bytes(**tag));
    let mut msg = b"CHLO".to_vec();
    msg.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    msg.extend_from_slice(&[0, 0]);
    let mut end = 0u32;
    for (tag, value) in &entries {
        end += value.len() as u32;
        msg.extend_from_slice(*tag);
        msg.extend_from_slice(&end.to_le_bytes());
    }
    for (_, value) in &entries {
        msg.extend_from_slice(value);
    }
    msg
}

/// A variable-length integer (RFC 9000 §16) in 1, 2 or 4 bytes.
pub(crate) fn varint(v: u64) -> Vec<u8> {
    match v {
        0..=63 => vec![v as u8],
        64..=16_383 => (0x4000 | v as u16).to_be_bytes().to_vec(),
        _ => (0x8000_0000 | v as u32).to_be_bytes().to_vec(),
    }
}

/// An IETF CRYPTO frame.
pub(crate) fn crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06];
    f.extend(varint(offset));
    f.extend(varint(data.len() as u64));
    f.extend_from_slice(data);
    f
}

/// A Google CRYPTO frame (Q048 on).
pub(crate) fn google_crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut f = crypto_frame(offset, data);
    f[0] = 0x08;
    f
}

/// A Google STREAM frame on stream 1 with a 2-byte data length (and a 2-byte offset when
/// not 0).
pub(crate) fn google_stream_frame(offset: u16, data: &[u8]) -> Vec<u8> {
    let mut f = if offset == 0 {
        vec![0xa0, 0x01]
    } else {
        let mut f = vec![0xa4, 0x01];
        f.extend_from_slice(&offset.to_be_bytes());
        f
    };
    f.extend_from_slice(&(data.len() as u16).to_be_bytes());
    f.extend_from_slice(data);
    f
}

/// A client Initial of any protected version, padded so that the datagram is `size` bytes:
/// long header with DCID, SCID and token, 4-byte packet number, frames, PADDING.
pub(crate) fn initial(
    version: u32,
    dcid: &[u8],
    scid: &[u8],
    pn: u32,
    frames: &[u8],
    size: usize,
) -> Vec<u8> {
    let Some(Reading::Protected(p)) = versions::reading(version) else {
        panic!("{version:#x} has no Initial protection");
    };
    let keys = InitialKeys::client(p.salts[0], dcid).unwrap();
    let type_bits: u8 = if versions::rotates_type_bits(version) {
        1
    } else {
        0
    };
    let mut header = vec![0xc3 | (type_bits << 4)];
    header.extend_from_slice(&version.to_be_bytes());
    if p.nibble_cids {
        let nibble = |cid: &[u8]| {
            if cid.is_empty() {
                0
            } else {
                cid.len() as u8 - 3
            }
        };
        header.push(nibble(dcid) << 4 | nibble(scid));
        header.extend_from_slice(dcid);
        header.extend_from_slice(scid);
    } else {
        for cid in [dcid, scid] {
            header.push(cid.len() as u8);
            header.extend_from_slice(cid);
        }
    }
    header.push(0); // no token
    let overhead = header.len() + 2 + 4 + 16;
    let mut payload = frames.to_vec();
    payload.resize(size.saturating_sub(overhead).max(frames.len()), 0);
    let length = 4 + payload.len() + 16;
    header.extend_from_slice(&(0x4000u16 | length as u16).to_be_bytes());
    seal_rest(&keys, header, pn, &payload)
}

/// A long-header packet of another type (0-RTT: 1, Handshake: 2) with an opaque payload.
pub(crate) fn opaque_long(version: u32, type_bits: u8, dcid: &[u8], payload_len: usize) -> Vec<u8> {
    let mut p = vec![0xc1 | (type_bits << 4)];
    p.extend_from_slice(&version.to_be_bytes());
    p.push(dcid.len() as u8);
    p.extend_from_slice(dcid);
    p.push(0);
    p.extend_from_slice(&(0x4000u16 | (payload_len + 2) as u16).to_be_bytes());
    p.extend(std::iter::repeat_n(0x5a, payload_len + 2));
    p
}

/// The 12-byte hash of a null-encrypted client packet.
fn null_hash(header: &[u8], payload: &[u8]) -> Vec<u8> {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = (1 << 88) + (1 << 8) + 0x3b;
    let h = header
        .iter()
        .chain(payload)
        .chain(b"Client")
        .fold(OFFSET, |h, b| (h ^ u128::from(*b)).wrapping_mul(PRIME));
    h.to_le_bytes()[..HASH_LEN].to_vec()
}

/// Pad Google frames with a PADDING frame (type 0, runs to the end) to `len` bytes.
fn google_padded(frames: &[u8], len: usize) -> Vec<u8> {
    let mut p = frames.to_vec();
    if p.len() < len {
        p.resize(len, 0);
    }
    p
}

/// A Q043 client packet: public flags (version, 8-byte CID, 1-byte packet number), CID,
/// version, packet number, hash, frames (padded to `size` bytes in all).
pub(crate) fn q043(cid: &[u8; 8], pn: u8, frames: &[u8], size: usize) -> Vec<u8> {
    let mut header = vec![0x09];
    header.extend_from_slice(cid);
    header.extend_from_slice(b"Q043");
    header.push(pn);
    null_packet(header, frames, size)
}

/// A Q046 client Initial: long header, CID lengths in one byte, 4-byte packet number, hash,
/// frames.
pub(crate) fn q046(dcid: &[u8; 8], pn: u32, frames: &[u8], size: usize) -> Vec<u8> {
    let mut header = vec![0xc3];
    header.extend_from_slice(b"Q046");
    header.push(0x50);
    header.extend_from_slice(dcid);
    header.extend_from_slice(&pn.to_be_bytes());
    null_packet(header, frames, size)
}

fn null_packet(header: Vec<u8>, frames: &[u8], size: usize) -> Vec<u8> {
    let payload = google_padded(frames, size.saturating_sub(header.len() + HASH_LEN));
    let mut p = header.clone();
    p.extend(null_hash(&header, &payload));
    p.extend_from_slice(&payload);
    p
}

/// One UDP datagram of a generated capture.
pub(crate) struct Datagram {
    /// Seconds since the capture's start.
    pub secs: u32,
    pub src: ([u8; 4], u16),
    pub dst: ([u8; 4], u16),
    pub payload: Vec<u8>,
}

/// A little-endian microsecond pcap (Ethernet, IPv4, UDP with checksums) of `datagrams`.
pub(crate) fn pcap(datagrams: &[Datagram]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for d in datagrams {
        let frame = ethernet_ipv4_udp(d);
        out.extend_from_slice(&(1_700_000_000 + d.secs).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    for part in parts {
        for pair in part.chunks(2) {
            let hi = u32::from(pair[0]) << 8;
            sum += hi | pair.get(1).map_or(0, |b| u32::from(*b));
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ethernet_ipv4_udp(d: &Datagram) -> Vec<u8> {
    let udp_len = 8 + d.payload.len();
    let mut udp = Vec::with_capacity(udp_len);
    udp.extend_from_slice(&d.src.1.to_be_bytes());
    udp.extend_from_slice(&d.dst.1.to_be_bytes());
    udp.extend_from_slice(&(udp_len as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(&d.payload);
    let pseudo = [
        &d.src.0[..],
        &d.dst.0[..],
        &[0, 17],
        &(udp_len as u16).to_be_bytes(),
    ]
    .concat();
    let sum = checksum(&[&pseudo, &udp]);
    udp[6..8].copy_from_slice(&(if sum == 0 { 0xffff } else { sum }).to_be_bytes());
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&((20 + udp_len) as u16).to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0]);
    ip.extend_from_slice(&d.src.0);
    ip.extend_from_slice(&d.dst.0);
    let sum = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    // Each address has its own MAC (02:00 and the address), so devices are told apart.
    let mut frame = vec![0x02, 0];
    frame.extend_from_slice(&d.dst.0);
    frame.extend_from_slice(&[0x02, 0]);
    frame.extend_from_slice(&d.src.0);
    frame.extend_from_slice(&[0x08, 0x00]);
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&udp);
    frame
}

/// A DNS query for `name` (A), or its response with one A record `answer` (so that the
/// flow to that address can be named from the DNS cache).
pub(crate) fn dns_message(id: u16, name: &str, answer: Option<[u8; 4]>) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    let (flags, answers) = if answer.is_some() {
        (0x8180u16, 1u8)
    } else {
        (0x0100, 0)
    };
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, answers, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    if let Some(addr) = answer {
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
        m.extend_from_slice(&addr);
    }
    m
}
