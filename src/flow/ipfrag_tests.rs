//! Tests of fragment reassembly: ordering, overlaps, every bound, and real fragmented captures.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use super::*;
use crate::capture::{FileSource, PacketSource};
use crate::wire::Parsed;
use crate::wire::link::{self, IpPacket, Transport};

const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

fn frag(id: u32, offset: u32, more: bool) -> Fragment {
    Fragment { id, offset, more }
}

fn t(secs: u64) -> Timestamp {
    Timestamp::from_parts(secs, 0)
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[test]
fn in_order_out_of_order_and_duplicates() {
    let data = payload(3000);
    let mut w = Counters::default();
    let mut d = Defragmenter::new();
    // Pieces 2, 0, 0 again, 1: out of order with a duplicate.
    let pieces = [(2000, false), (0, true), (0, true), (1000, true)];
    let mut got = None;
    for (i, (off, more)) in pieces.iter().enumerate() {
        let chunk = &data[*off as usize..*off as usize + 1000];
        got = d.push(t(1), A, B, 17, frag(7, *off, *more), chunk, &mut w);
        assert_eq!(got.is_some(), i == 3, "piece {i}");
    }
    assert_eq!(got.unwrap(), data);
    assert!(w.is_empty(), "{w:?}");
    assert!(d.is_empty());
    assert_eq!(d.bytes(), 0);
}

#[test]
fn overlap_first_data_wins() {
    let mut w = Counters::default();
    let mut d = Defragmenter::new();
    assert!(
        d.push(t(1), A, B, 6, frag(1, 0, true), &[1; 16], &mut w)
            .is_none()
    );
    // Overlaps bytes 8..16 with different data and adds 16..24.
    assert!(
        d.push(t(1), A, B, 6, frag(1, 8, true), &[2; 16], &mut w)
            .is_none()
    );
    let whole = d.push(t(1), A, B, 6, frag(1, 24, false), &[3; 8], &mut w);
    let mut want = vec![1; 16];
    want.extend_from_slice(&[2; 8]);
    want.extend_from_slice(&[3; 8]);
    assert_eq!(whole.unwrap(), want);
    assert_eq!(w.get(Weird::IpfragOverlap), 1);
}

#[test]
fn different_keys_do_not_mix() {
    let mut w = Counters::default();
    let mut d = Defragmenter::new();
    assert!(
        d.push(t(1), A, B, 17, frag(1, 0, true), &[1; 8], &mut w)
            .is_none()
    );
    assert!(
        d.push(t(1), B, A, 17, frag(1, 8, false), &[2; 8], &mut w)
            .is_none()
    );
    assert!(
        d.push(t(1), A, B, 17, frag(2, 8, false), &[2; 8], &mut w)
            .is_none()
    );
    assert_eq!(d.len(), 3);
}

#[test]
fn too_large_is_rejected() {
    let mut w = Counters::default();
    let mut d = Defragmenter::new();
    assert!(
        d.push(t(1), A, B, 17, frag(1, 0, true), &[0; 8], &mut w)
            .is_none()
    );
    let r = d.push(t(1), A, B, 17, frag(1, 65528, false), &[0; 16], &mut w);
    assert!(r.is_none());
    assert_eq!(w.get(Weird::IpfragTooLarge), 1);
    assert!(d.is_empty(), "the whole datagram is dropped");
}

#[test]
fn inconsistent_end_is_dropped() {
    let mut w = Counters::default();
    let mut d = Defragmenter::new();
    assert!(
        d.push(t(1), A, B, 17, frag(1, 16, false), &[0; 8], &mut w)
            .is_none()
    );
    assert!(
        d.push(t(1), A, B, 17, frag(1, 24, true), &[0; 8], &mut w)
            .is_none()
    );
    assert_eq!(w.get(Weird::IpfragInconsistent), 1);
    assert!(d.is_empty());
}

#[test]
fn timeout_expires_and_counts() {
    let mut w = Counters::default();
    let mut d = Defragmenter::new();
    assert!(
        d.push(t(100), A, B, 17, frag(1, 0, true), &[0; 8], &mut w)
            .is_none()
    );
    assert!(
        d.push(t(120), A, B, 17, frag(2, 0, true), &[0; 8], &mut w)
            .is_none()
    );
    d.expire(t(100 + TIMEOUT_SECS), &mut w);
    assert_eq!(d.len(), 2, "exactly at the timeout it is kept");
    d.expire(t(101 + TIMEOUT_SECS), &mut w);
    assert_eq!((d.len(), w.get(Weird::IpfragTimeout)), (1, 1));
    assert_eq!(d.bytes(), 8);
    // A late piece of a timed-out datagram starts over instead of completing it.
    assert!(
        d.push(t(200), A, B, 17, frag(2, 8, false), &[0; 8], &mut w)
            .is_none()
    );
    assert_eq!(w.get(Weird::IpfragTimeout), 2);
}

#[test]
fn table_bound_evicts_oldest() {
    let mut w = Counters::default();
    let mut d = Defragmenter::new();
    for id in 0..=MAX_REASSEMBLIES as u32 {
        d.push(
            t(1 + u64::from(id) / 100),
            A,
            B,
            17,
            frag(id, 0, true),
            &[0; 8],
            &mut w,
        );
    }
    assert_eq!(d.len(), MAX_REASSEMBLIES);
    assert_eq!(w.get(Weird::IpfragEvicted), 1);
    // id 1 is still there.
    assert!(
        d.push(t(20), A, B, 17, frag(1, 8, false), &[0; 8], &mut w)
            .is_some()
    );
    // id 0 was the oldest: its last piece no longer completes anything.
    assert!(
        d.push(t(20), A, B, 17, frag(0, 8, false), &[0; 8], &mut w)
            .is_none()
    );
    assert_eq!(w.get(Weird::IpfragEvicted), 1);
}

#[test]
fn byte_bound_evicts_oldest() {
    let mut w = Counters::default();
    let mut d = Defragmenter::new();
    let chunk = vec![0; 60_000];
    let n = MAX_BYTES_TOTAL / chunk.len() + 5;
    for id in 0..n as u32 {
        d.push(t(1), A, B, 17, frag(id, 0, true), &chunk, &mut w);
        assert!(d.bytes() <= MAX_BYTES_TOTAL);
    }
    assert!(w.get(Weird::IpfragEvicted) >= 5, "{w:?}");
}

#[test]
fn fragment_count_bound() {
    let mut w = Counters::default();
    let mut d = Defragmenter::new();
    // Every other 8-byte slot, so pieces never merge.
    for i in 0..=MAX_FRAGMENTS as u32 {
        d.push(t(1), A, B, 17, frag(9, i * 16, true), &[0; 8], &mut w);
    }
    assert_eq!(w.get(Weird::IpfragTooManyFragments), 1);
    assert!(d.is_empty());
}

/// Feed every fragment of a shared capture through link decoding and the reassembler;
/// return the reassembled datagrams (protocol, payload after tunnels).
fn reassemble_capture(name: &str) -> (Vec<(u8, Vec<u8>)>, Counters) {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures")).join(name);
    let mut src = FileSource::open(&path).unwrap();
    let mut d = Defragmenter::new();
    let mut w = Counters::default();
    let mut out = Vec::new();
    while let Some(p) = src.next_packet().unwrap() {
        let Parsed::Done(f) = link::decode(p.link, p.data) else {
            continue;
        };
        let Some(fr) = f.ip.fragment else {
            continue;
        };
        let ip = &f.ip;
        if let Some(whole) = d.push(p.ts, ip.src, ip.dst, ip.protocol, fr, ip.payload, &mut w) {
            let inner = link::unwrap_tunnels(IpPacket {
                fragment: None,
                payload: &whole,
                ..ip.clone()
            });
            out.push((inner.protocol, inner.payload.to_vec()));
        }
    }
    (out, w)
}

#[test]
fn shared_dns_edns_ecs_fragments_reassemble_to_whole_udp() {
    let (datagrams, w) = reassemble_capture("dns-edns-ecs.pcap");
    // tshark: frames 53+54, 58+59, 62+63 and 84+85 are IPv4 fragments of DNS responses.
    assert_eq!(datagrams.len(), 4);
    for (protocol, data) in &datagrams {
        assert_eq!(*protocol, 17);
        let udp_len = u16::from_be_bytes([data[4], data[5]]) as usize;
        assert_eq!(udp_len, data.len());
        let ip = IpPacket {
            src: A,
            dst: B,
            protocol: 17,
            fragment: None,
            payload: data,
            wire_len: data.len() as u32 + 20,
        };
        match link::transport(&ip) {
            Parsed::Done(Transport::Udp { src_port, .. }) => assert_eq!(src_port, 53),
            other => panic!("{other:?}"),
        }
    }
    assert!(w.is_empty(), "{w:?}");
}
