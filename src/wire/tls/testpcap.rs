//! Test-only: read a pcap file and reassemble client→server TCP payload streams, so parser tests
//! can run on real captures without depending on the capture or flow modules.
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};

const SHARED_CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures");

/// One direction of a TCP connection: (source address, source port, destination address, port).
pub(crate) type FlowKey = (Vec<u8>, u16, Vec<u8>, u16);

/// A TCP segment with payload.
pub(crate) struct Segment {
    pub key: FlowKey,
    pub seq: u32,
    pub payload: Vec<u8>,
}

/// Path of a shared capture by file name.
pub(crate) fn capture_path(name: &str) -> String {
    format!("{SHARED_CAPTURES}/{name}")
}

/// Every TCP segment with payload, in capture order (Ethernet/VLAN, SLL, SLL2, raw IP).
pub(crate) fn tcp_segments(name: &str) -> Vec<Segment> {
    let file = std::fs::read(capture_path(name)).expect("capture readable");
    let magic = u32::from_le_bytes(file[0..4].try_into().unwrap());
    let le = matches!(magic, 0xa1b2_c3d4 | 0xa1b2_3c4d);
    assert!(
        le || matches!(magic.swap_bytes(), 0xa1b2_c3d4 | 0xa1b2_3c4d),
        "not a pcap file: {name}"
    );
    let u32_at = |at: usize| {
        let b: [u8; 4] = file[at..at + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let link_type = u32_at(20);
    let mut pos = 24;
    let mut segments = Vec::new();
    while pos + 16 <= file.len() {
        let incl = u32_at(pos + 8) as usize;
        let frame = &file[pos + 16..pos + 16 + incl];
        pos += 16 + incl;
        if let Some(seg) = segment(link_type, frame) {
            segments.push(seg);
        }
    }
    segments
}

fn segment(link_type: u32, frame: &[u8]) -> Option<Segment> {
    let ether_type = |at: usize| EtherType(u16::from_be_bytes([frame[at], frame[at + 1]]));
    let sliced = match link_type {
        1 => SlicedPacket::from_ethernet(frame),
        101 => SlicedPacket::from_ip(frame),
        113 => SlicedPacket::from_ether_type(ether_type(14), &frame[16..]),
        276 => SlicedPacket::from_ether_type(ether_type(0), &frame[20..]),
        other => panic!("link type {other} not handled by the test walker"),
    }
    .ok()?;
    let (src, dst) = match sliced.net? {
        NetSlice::Ipv4(ip) => (
            ip.header().source().to_vec(),
            ip.header().destination().to_vec(),
        ),
        NetSlice::Ipv6(ip) => (
            ip.header().source().to_vec(),
            ip.header().destination().to_vec(),
        ),
        NetSlice::Arp(_) => return None,
    };
    let TransportSlice::Tcp(tcp) = sliced.transport? else {
        return None;
    };
    if tcp.payload().is_empty() {
        return None;
    }
    Some(Segment {
        key: (src, tcp.source_port(), dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        payload: tcp.payload().to_vec(),
    })
}

/// The in-order payload of one direction, from its first captured data segment on
/// (out-of-order segments and retransmissions are handled; stops at the first gap).
pub(crate) fn stream_of(segments: &[Segment], key: &FlowKey) -> Vec<u8> {
    let mine: Vec<&Segment> = segments.iter().filter(|s| &s.key == key).collect();
    let Some(first) = mine.first() else {
        return Vec::new();
    };
    let mut next = first.seq;
    let mut stream = Vec::new();
    while let Some(seg) = mine.iter().find(|s| {
        let off = next.wrapping_sub(s.seq) as usize;
        off < s.payload.len()
    }) {
        let off = next.wrapping_sub(seg.seq) as usize;
        stream.extend_from_slice(&seg.payload[off..]);
        next = next.wrapping_add((seg.payload.len() - off) as u32);
    }
    stream
}

/// The stream of the first connection whose first data segment starts with `prefix`.
pub(crate) fn first_stream_starting_with(name: &str, prefix: &[u8]) -> Vec<u8> {
    let segments = tcp_segments(name);
    let seg = segments
        .iter()
        .find(|s| s.payload.starts_with(prefix))
        .unwrap_or_else(|| panic!("no segment starting with {prefix:?} in {name}"));
    stream_of(&segments, &seg.key)
}

/// The streams of every connection towards `dst_port`, in order of first appearance.
pub(crate) fn streams_to_port(name: &str, dst_port: u16) -> Vec<Vec<u8>> {
    let segments = tcp_segments(name);
    let mut keys: Vec<&FlowKey> = Vec::new();
    for s in segments.iter().filter(|s| s.key.3 == dst_port) {
        if !keys.contains(&&s.key) {
            keys.push(&s.key);
        }
    }
    keys.into_iter().map(|k| stream_of(&segments, k)).collect()
}
