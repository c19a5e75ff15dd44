//! Tests of link, IP, tunnel and transport decoding: byte literals and the shared captures.
#![allow(clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use super::*;
use crate::capture::{FileSource, PacketSource};

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0xaa];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0xbb];

fn v4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

fn v6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

fn ipv4_frag(proto: u8, src: u8, dst: u8, id: u16, frag: u16, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&frag.to_be_bytes());
    p.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, src, 10, 0, 0, dst]);
    p.extend_from_slice(payload);
    p
}

fn ipv4(proto: u8, src: u8, dst: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_frag(proto, src, dst, 1, 0x4000, payload)
}

fn ipv6(next: u8, src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, 64]);
    for last in [src, dst] {
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        p.extend_from_slice(&[0; 10]);
        p.extend_from_slice(&last.to_be_bytes());
    }
    p.extend_from_slice(payload);
    p
}

fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = sp.to_be_bytes().to_vec();
    p.extend_from_slice(&dp.to_be_bytes());
    p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

fn tcp(sp: u16, dp: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = sp.to_be_bytes().to_vec();
    p.extend_from_slice(&dp.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0x60, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(&[2, 4, 5, 0xb4]); // MSS option: data offset 6
    p.extend_from_slice(payload);
    p
}

fn eth(ether_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = MAC_B.to_vec();
    f.extend_from_slice(&MAC_A);
    f.extend_from_slice(&ether_type.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn udp_of(ip: &IpPacket<'_>) -> (u16, u16, Vec<u8>) {
    match transport(ip) {
        Parsed::Done(Transport::Udp {
            src_port,
            dst_port,
            payload,
        }) => (src_port, dst_port, payload.to_vec()),
        other => panic!("not UDP: {other:?}"),
    }
}

fn frame(link: LinkType, data: &[u8]) -> Frame<'_> {
    match decode(link, data) {
        Parsed::Done(f) => f,
        other => panic!("{link:?}: {other:?}"),
    }
}

/// Every prefix of a frame decodes without panicking.
fn no_panic_on_prefixes(link: LinkType, data: &[u8]) {
    for n in 0..=data.len() {
        if let Parsed::Done(f) = decode(link, &data[..n]) {
            let _ = transport(&f.ip);
        }
    }
}

#[test]
fn ethernet_ipv4_tcp_padding_removed() {
    let seg = tcp(40000, 80, 7, 0x18, b"GET /");
    let mut f = eth(0x0800, &ipv4(6, 1, 2, &seg));
    f.extend_from_slice(&[0; 6]); // Ethernet padding
    let fr = frame(LinkType::ETHERNET, &f);
    assert_eq!((fr.src_mac, fr.dst_mac), (Some(MAC_A), Some(MAC_B)));
    assert_eq!((fr.ip.src, fr.ip.dst, fr.ip.protocol), (v4(1), v4(2), 6));
    assert_eq!(fr.ip.wire_len as usize, 20 + seg.len());
    assert_eq!(fr.ip.payload, &seg[..]);
    let want = Transport::Tcp {
        src_port: 40000,
        dst_port: 80,
        seq: 7,
        flags: TcpFlags {
            ack: true,
            ..TcpFlags::default()
        },
        payload: b"GET /",
    };
    assert_eq!(transport(&fr.ip), Parsed::Done(want));
    no_panic_on_prefixes(LinkType::ETHERNET, &f);
}

#[test]
fn vlan_qinq_and_pppoe() {
    let ip = ipv4(17, 1, 2, &udp(5353, 53, b"q"));
    let mut tagged = vec![0x00, 0x05, 0x08, 0x00];
    tagged.extend_from_slice(&ip);
    let mut qinq = vec![0x00, 0x07, 0x81, 0x00];
    qinq.extend_from_slice(&tagged);
    for f in [eth(0x8100, &tagged), eth(0x88a8, &qinq)] {
        assert_eq!(udp_of(&frame(LinkType::ETHERNET, &f).ip).1, 53);
        no_panic_on_prefixes(LinkType::ETHERNET, &f);
    }
    let six = ipv6(17, 1, 2, &udp(1, 53, b""));
    let mut pppoe = vec![0x11, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x57];
    pppoe.extend_from_slice(&six);
    let f = eth(0x8864, &pppoe);
    assert_eq!(frame(LinkType::ETHERNET, &f).ip.src, v6(1));
    // Too many VLAN tags hit MAX_LINK_HEADERS.
    let mut deep = [&[0, 1, 0x08, 0x00][..], &ip].concat();
    for _ in 0..l2::MAX_LINK_HEADERS {
        deep = [&[0, 1, 0x81, 0x00][..], &deep].concat();
    }
    let f = eth(0x8100, &deep);
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        Parsed::Malformed(Weird::LinkTooManyHeaders)
    );
}

#[test]
fn loopback_raw_sll_sll2_ppp_nflog() {
    let ip = ipv4(17, 1, 2, &udp(1000, 53, b"dns"));
    let ip6 = ipv6(17, 1, 2, &udp(1000, 53, b"dns"));
    let with = |head: &[u8], body: &[u8]| [head, body].concat();
    let cases: Vec<(LinkType, Vec<u8>)> = vec![
        (LinkType::NULL, with(&[2, 0, 0, 0], &ip)),
        (LinkType::NULL, with(&[30, 0, 0, 0], &ip6)),
        (LinkType::LOOP, with(&[0, 0, 0, 2], &ip)),
        (LinkType::RAW, ip.clone()),
        (LinkType::RAW, ip6.clone()),
        (LinkType::IPV4, ip.clone()),
        (LinkType::IPV6, ip6.clone()),
        (LinkType::RAW_BSDOS, ip.clone()),
        (LinkType::RAW_OPENBSD, ip6.clone()),
        (LinkType::PPP, with(&[0x00, 0x21], &ip)),
        (LinkType::PPP, with(&[0x57], &ip6)),
        (LinkType::PPP_HDLC, with(&[0xff, 0x03, 0x00, 0x57], &ip6)),
        (
            LinkType::NFLOG,
            // Header, a prefix TLV (len 8, type 1), then the payload TLV (type 9).
            with(
                &[
                    [2, 0, 0, 0],
                    [8, 0, 1, 0],
                    [0x08, 0, 0, 0],
                    [(4 + ip.len()) as u8, 0, 9, 0],
                ]
                .concat(),
                &ip,
            ),
        ),
    ];
    for (link, f) in &cases {
        let fr = frame(*link, f);
        assert_eq!(udp_of(&fr.ip), (1000, 53, b"dns".to_vec()), "{link:?}");
        assert_eq!(fr.src_mac, None);
        no_panic_on_prefixes(*link, f);
    }
    let mut sll = vec![0, 0, 0, 1, 0, 6];
    sll.extend_from_slice(&MAC_A);
    sll.extend_from_slice(&[0, 0, 0x86, 0xdd]);
    sll.extend_from_slice(&ip6);
    let fr = frame(LinkType::LINUX_SLL, &sll);
    assert_eq!((fr.src_mac, fr.ip.dst), (Some(MAC_A), v6(2)));
    let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6];
    sll2.extend_from_slice(&MAC_A);
    sll2.extend_from_slice(&[0, 0]);
    sll2.extend_from_slice(&ip);
    let fr = frame(LinkType::LINUX_SLL2, &sll2);
    assert_eq!((fr.src_mac, fr.ip.dst), (Some(MAC_A), v4(2)));
    no_panic_on_prefixes(LinkType::LINUX_SLL, &sll);
    no_panic_on_prefixes(LinkType::LINUX_SLL2, &sll2);
}

#[test]
fn frames_without_ip() {
    let arp = eth(0x0806, &[0; 28]);
    assert_eq!(decode(LinkType::ETHERNET, &arp), Parsed::NotThis);
    assert_eq!(decode(LinkType(147), &[0x45; 40]), Parsed::NotThis);
    assert_eq!(decode(LinkType::PPP, &[0xc0, 0x21, 1]), Parsed::NotThis); // LCP
    assert_eq!(decode(LinkType::NULL, &[7, 0, 0, 0, 0x45]), Parsed::NotThis);
    assert_eq!(
        decode(LinkType::ETHERNET, &[1, 2, 3]),
        Parsed::Malformed(Weird::EthernetTruncatedHeader)
    );
    let mut bad = ipv4(6, 1, 2, &[]);
    bad[0] = 0x44; // header length 16
    assert_eq!(
        decode(LinkType::RAW, &bad),
        Parsed::Malformed(Weird::Ipv4BadHeader)
    );
}

#[test]
fn fragments_are_marked_and_stop_unwrapping() {
    // IPv4: MF set, offset 0; carries the start of an IP-in-IP payload.
    let inner = ipv4(17, 3, 4, &udp(1, 2, &[0; 16]));
    let first = ipv4_frag(4, 1, 2, 0x1234, 0x2000, &inner[..24]);
    let fr = frame(LinkType::RAW, &first);
    let want = Fragment {
        id: 0x1234,
        offset: 0,
        more: true,
    };
    assert_eq!((fr.ip.fragment, fr.ip.protocol), (Some(want), 4));
    assert_eq!(transport(&fr.ip), Parsed::Incomplete { needed: None });
    let last = ipv4_frag(17, 1, 2, 0x1234, 3, b"tail");
    assert_eq!(
        frame(LinkType::RAW, &last).ip.fragment,
        Some(Fragment {
            id: 0x1234,
            offset: 24,
            more: false
        })
    );
    // The reassembled datagram continues through unwrap_tunnels.
    let whole = IpPacket {
        fragment: None,
        payload: &inner,
        ..fr.ip
    };
    assert_eq!(unwrap_tunnels(whole).src, v4(3));
    // IPv6: hop-by-hop, then a fragment header (offset 8 bytes, more) for UDP.
    let mut ext = vec![44, 0, 1, 4, 0, 0, 0, 0]; // HBH: next 44, PadN
    ext.extend_from_slice(&[17, 0, 0x00, 0x09, 0xde, 0xad, 0xbe, 0xef]);
    ext.extend_from_slice(b"fragment");
    let p = ipv6(0, 1, 2, &ext);
    let fr = frame(LinkType::RAW, &p);
    let want = Fragment {
        id: 0xdead_beef,
        offset: 8,
        more: true,
    };
    assert_eq!(
        (fr.ip.fragment, fr.ip.protocol, fr.ip.payload),
        (Some(want), 17, &b"fragment"[..])
    );
    // An atomic fragment (offset 0, no more) is a whole datagram.
    let mut atomic = vec![17, 0, 0, 0, 0, 0, 0, 1];
    atomic.extend_from_slice(&udp(7, 8, b"x"));
    let p = ipv6(44, 1, 2, &atomic);
    let fr = frame(LinkType::RAW, &p);
    assert_eq!(fr.ip.fragment, None);
    assert_eq!(udp_of(&fr.ip).1, 8);
}

#[test]
fn ipv6_extension_header_bound() {
    let mut ext = Vec::new();
    for _ in 0..=ip::MAX_IPV6_EXT_HEADERS {
        ext.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
    }
    assert_eq!(
        decode(LinkType::RAW, &ipv6(60, 1, 2, &ext)),
        Parsed::Malformed(Weird::Ipv6TooManyExtHeaders)
    );
}

#[test]
fn tunnels_ipip_gre_vxlan_teredo() {
    let inner4 = ipv4(6, 7, 8, &tcp(1234, 80, 1, 0x02, b""));
    let inner6 = ipv6(17, 7, 8, &udp(3, 53, b"x"));
    let gre_key = [&[0x20, 0x00, 0x08, 0x00, 0, 0, 0, 9][..], &inner4].concat();
    let gre_eth = [&[0x00, 0x00, 0x65, 0x58][..], &eth(0x86dd, &inner6)].concat();
    let vxlan = [&[0x08, 0, 0, 0, 0, 0, 1, 0][..], &eth(0x0800, &inner4)].concat();
    let origin = [&[0x00, 0x00, 0x0d, 0x80, 1, 2, 3, 4][..], &inner6].concat();
    let outers = [
        ipv4(4, 1, 2, &inner4),
        ipv6(41, 1, 2, &inner6),
        ipv4(47, 1, 2, &gre_key),
        ipv4(47, 1, 2, &gre_eth),
        ipv4(17, 1, 2, &udp(50000, tunnel::VXLAN_PORT, &vxlan)),
        ipv4(17, 1, 2, &udp(tunnel::TEREDO_PORT, 50000, &origin)),
        // Authentication indication (no id, no auth value, nonce, confirmation), then origin.
        ipv4(
            17,
            1,
            2,
            &udp(
                50000,
                tunnel::TEREDO_PORT,
                &[&[0x00, 0x01, 0, 0][..], &[9; 9], &origin].concat(),
            ),
        ),
    ];
    for outer in &outers {
        let et = if outer[0] >> 4 == 6 { 0x86dd } else { 0x0800 };
        let f = eth(et, outer);
        let fr = frame(LinkType::ETHERNET, &f);
        assert_eq!(fr.src_mac, Some(MAC_A), "outer MAC kept");
        assert!(fr.ip.src == v4(7) || fr.ip.src == v6(7), "{:?}", fr.ip);
        no_panic_on_prefixes(LinkType::ETHERNET, &f);
    }
    // 6in4 must carry IPv6, and Teredo off its port needs the Teredo prefix.
    assert_eq!(frame(LinkType::RAW, &ipv4(41, 1, 2, &inner4)).ip.src, v4(1));
    let off_port = ipv4(17, 1, 2, &udp(40000, 50000, &inner6));
    assert_eq!(frame(LinkType::RAW, &off_port).ip.src, v4(1));
}

#[test]
fn tunnel_depth_is_bounded() {
    let mut p = ipv4(17, 99, 99, &udp(1, 2, b""));
    for level in 0..MAX_TUNNEL_DEPTH + 2 {
        p = ipv4(4, level as u8, 0, &p);
    }
    // Outermost src is MAX+1; MAX layers are peeled, so the result's src is 1.
    let fr = frame(LinkType::RAW, &p);
    assert_eq!(fr.ip.src, v4(1));
    assert_eq!(fr.ip.protocol, 4);
}

#[test]
fn transport_cut_and_broken_headers() {
    // Snaplen cut inside the TCP options: the IP length says more was sent.
    let seg = tcp(1, 2, 3, 0x02, b"data");
    let full = ipv4(6, 1, 2, &seg);
    let fr = frame(LinkType::RAW, &full[..20 + 22]);
    match transport(&fr.ip) {
        Parsed::Done(Transport::Tcp { payload, .. }) => assert!(payload.is_empty()),
        other => panic!("{other:?}"),
    }
    let fr = frame(LinkType::RAW, &full[..full.len() - 2]);
    match transport(&fr.ip) {
        Parsed::Done(Transport::Tcp { payload, .. }) => assert_eq!(payload, b"da"),
        other => panic!("{other:?}"),
    }
    let mut bad = seg.clone();
    bad[12] = 0x40; // data offset 4
    let p = ipv4(6, 1, 2, &bad);
    let fr = frame(LinkType::RAW, &p);
    assert_eq!(transport(&fr.ip), Parsed::Malformed(Weird::TcpBadHeader));
    let mut long = seg.clone();
    long[12] = 0xf0; // data offset 60 > segment, not cut
    let p = ipv4(6, 1, 2, &long);
    assert_eq!(
        transport(&frame(LinkType::RAW, &p).ip),
        Parsed::Malformed(Weird::TcpBadHeader)
    );
    let p = ipv4(6, 1, 2, &seg[..10]);
    assert_eq!(
        transport(&frame(LinkType::RAW, &p).ip),
        Parsed::Malformed(Weird::TcpTruncatedHeader)
    );
    let mut u = udp(1, 2, b"abc");
    u[5] = 3;
    let p = ipv4(17, 1, 2, &u);
    assert_eq!(
        transport(&frame(LinkType::RAW, &p).ip),
        Parsed::Malformed(Weird::UdpBadLength)
    );
    let p = ipv4(1, 1, 2, &[8, 0, 0, 0]);
    assert_eq!(
        transport(&frame(LinkType::RAW, &p).ip),
        Parsed::Done(Transport::Other(1))
    );
}

/// All frames of a shared capture, decoded.
fn capture_frames(name: &str) -> Vec<(LinkType, Vec<u8>)> {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures")).join(name);
    let mut src = FileSource::open(&path).unwrap();
    let mut out = Vec::new();
    while let Some(p) = src.next_packet().unwrap() {
        out.push((p.link, p.data.to_vec()));
    }
    out
}

/// (src port, dst port, protocol, innermost src) of every packet with a transport layer.
fn transports(name: &str) -> Vec<(u16, u16, u8, IpAddr)> {
    let mut out = Vec::new();
    for (link, data) in capture_frames(name) {
        if let Parsed::Done(f) = decode(link, &data) {
            match transport(&f.ip) {
                Parsed::Done(Transport::Tcp {
                    src_port, dst_port, ..
                }) => out.push((src_port, dst_port, 6, f.ip.src)),
                Parsed::Done(Transport::Udp {
                    src_port, dst_port, ..
                }) => out.push((src_port, dst_port, 17, f.ip.src)),
                _ => {}
            }
        }
    }
    out
}

fn has_port(name: &str, proto: u8, port: u16) -> bool {
    transports(name)
        .iter()
        .any(|t| t.2 == proto && (t.0 == port || t.1 == port))
}

#[test]
fn shared_captures_decode_without_panic() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures")).unwrap()
    {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let mut decoded = 0;
        for (link, data) in capture_frames(&name) {
            if let Parsed::Done(f) = decode(link, &data) {
                decoded += 1;
                let _ = transport(&f.ip);
            }
        }
        assert!(decoded > 0, "{name}: nothing decoded");
    }
}

#[test]
fn shared_capture_spot_checks() {
    assert!(has_port("http-vlan-0.pcap", 6, 80));
    assert!(has_port("pppoe-over-qinq.pcap", 6, 443));
    assert!(has_port("openjdk-25.0.2-zeek.org.pcap", 6, 443));
    assert!(has_port("nflog-http.pcap", 6, 80));
    assert!(has_port("dns-svcb.pcap", 17, 53));
    assert!(has_port("ech.pcap", 17, 53));
    assert!(transports("retry.pcap").iter().any(|t| t.2 == 17));
    assert!(has_port("vxlan-encapsulated-http.pcap", 6, 80));
    assert!(!has_port(
        "vxlan-encapsulated-http.pcap",
        17,
        tunnel::VXLAN_PORT
    ));
    let teredo = transports("Teredo.pcap");
    assert!(
        teredo
            .iter()
            .any(|t| t.3.is_ipv6() && t.2 == 6 && t.1 == 80)
    );
}

#[test]
fn shared_vxlan_inner_addresses() {
    for (link, data) in capture_frames("vxlan-encapsulated-http.pcap") {
        let f = frame(link, &data);
        let inner: [IpAddr; 2] = [
            Ipv4Addr::new(172, 16, 11, 201).into(),
            Ipv4Addr::new(54, 86, 237, 188).into(),
        ];
        assert!(inner.contains(&f.ip.src) && inner.contains(&f.ip.dst));
    }
}

#[test]
fn shared_oracle_client_ips_are_innermost_addresses() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures")).unwrap()
    {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(capture) = name.strip_suffix(".oracle.flows.tsv") else {
            continue;
        };
        let mut seen = std::collections::HashSet::new();
        for (link, data) in capture_frames(capture) {
            if let Parsed::Done(f) = decode(link, &data) {
                seen.insert(f.ip.src);
                seen.insert(f.ip.dst);
            }
        }
        let oracle = std::fs::read_to_string(&path).unwrap();
        for line in oracle.lines() {
            let client: IpAddr = line.split('\t').nth(1).unwrap().parse().unwrap();
            assert!(seen.contains(&client), "{capture}: {client} ({line})");
        }
    }
}

mod fast_path;
