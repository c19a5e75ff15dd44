//! The common-frame fast path of [`decode`] answers exactly what the general path answers.

use super::*;

/// `decode` (fast path first) and `decode_general` agree on `data`.
fn agree(link: LinkType, data: &[u8]) {
    assert_eq!(
        decode(link, data),
        decode_general(link, data),
        "{link:?} {data:02x?}"
    );
}

/// Frames of the shapes the fast path takes, and of the shapes it must hand over.
fn base_frames() -> Vec<Vec<u8>> {
    let seg = tcp(40000, 443, 9, 0x18, b"hello");
    let dgram = udp(5353, 53, b"\x12\x34query");
    let quic_short = udp(50000, 443, &[0x61; 48]);
    let inner6 = ipv6(17, 7, 8, &udp(3, 53, b"x"));
    let teredo = udp(tunnel::TEREDO_PORT, 50000, &inner6);
    let vxlan = [
        &[0x08, 0, 0, 0, 0, 0, 1, 0][..],
        &eth(0x0800, &ipv4(6, 7, 8, &seg)),
    ]
    .concat();
    let mut with_options = ipv4(6, 1, 2, &seg);
    with_options[0] = 0x46;
    with_options.splice(20..20, [1, 1, 1, 0]);
    let mut vlan = vec![0, 5, 0x08, 0x00];
    vlan.extend_from_slice(&ipv4(6, 1, 2, &seg));
    let mut vlan6 = vec![0, 5, 0x86, 0xdd];
    vlan6.extend_from_slice(&ipv6(17, 1, 2, &dgram));
    vec![
        eth(0x0800, &ipv4(6, 1, 2, &seg)),
        eth(0x0800, &ipv4(17, 1, 2, &dgram)),
        eth(0x0800, &ipv4(17, 1, 2, &quic_short)),
        eth(0x86dd, &ipv6(6, 1, 2, &seg)),
        eth(0x86dd, &ipv6(17, 1, 2, &dgram)),
        eth(
            0x86dd,
            &ipv6(0, 1, 2, &[&[6, 0, 0, 0, 0, 0, 0, 0][..], &seg].concat()),
        ),
        eth(
            0x86dd,
            &ipv6(44, 1, 2, &[&[17, 0, 0, 9, 0, 0, 0, 1][..], &dgram].concat()),
        ),
        eth(0x0800, &ipv6(6, 1, 2, &seg)),
        eth(0x0800, &ipv4_frag(17, 1, 2, 7, 0x2000, &dgram)),
        eth(0x0800, &ipv4_frag(17, 1, 2, 7, 0x0003, &dgram)),
        eth(0x0800, &with_options),
        eth(0x8100, &vlan),
        eth(0x8100, &vlan6),
        eth(0x0800, &ipv4(17, 1, 2, &teredo)),
        eth(
            0x0800,
            &ipv4(17, 1, 2, &udp(50000, tunnel::VXLAN_PORT, &vxlan)),
        ),
        eth(0x0800, &ipv4(4, 1, 2, &ipv4(6, 7, 8, &seg))),
        eth(0x86dd, &ipv6(41, 1, 2, &inner6)),
    ]
}

#[test]
fn fast_path_agrees_on_prefixes_and_mutations() {
    let values = [
        0x00, 0x01, 0x06, 0x08, 0x11, 0x20, 0x45, 0x60, 0x81, 0x86, 0xdd, 0xff,
    ];
    for base in base_frames() {
        assert!(matches!(decode(LinkType::ETHERNET, &base), Parsed::Done(_)));
        for n in 0..=base.len() {
            agree(LinkType::ETHERNET, &base[..n]);
        }
        for at in 0..base.len().min(120) {
            for v in values {
                let mut m = base.clone();
                m[at] = v;
                agree(LinkType::ETHERNET, &m);
            }
        }
    }
}

#[test]
fn fast_path_taken_for_common_frames_only() {
    let seg = tcp(40000, 443, 9, 0x18, b"hello");
    let common = eth(0x0800, &ipv4(6, 1, 2, &seg));
    assert!(decode_common_ethernet(&common).is_some());
    let tunnel = eth(0x0800, &ipv4(4, 1, 2, &ipv4(6, 7, 8, &seg)));
    assert!(decode_common_ethernet(&tunnel).is_none());
    assert_eq!(frame(LinkType::ETHERNET, &tunnel).ip.src, v4(7));
}

#[test]
fn fast_path_agrees_on_shared_captures() {
    let mut seed = 0x2545_f491_u32;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures")).unwrap()
    {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        for (link, data) in capture_frames(&name) {
            agree(link, &data);
            // A few deterministic byte changes in the headers of each frame.
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let mut m = data.clone();
                let at = seed as usize % m.len().clamp(1, 80);
                if let Some(b) = m.get_mut(at) {
                    *b = (seed >> 8) as u8;
                }
                agree(link, &m);
            }
        }
    }
}
