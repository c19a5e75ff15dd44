//! Stream-head reassembly is linear in the bytes a client sends, however it cuts them up: a
//! hostile client must not be able to stall a live capture with tiny segments. Each test
//! sends a head a byte (or a record) per segment and bounds the bytes the analyzers read.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::analyze::{self, Context};
use super::dns_cache::DnsCache;
use super::quic::QuicTracker;
use super::segment::Segment;
use super::table::{App, Flow};
use crate::decrypt::QuicDecrypt;
use crate::observation::{DeviceId, FlowKey, Observation, Proto};
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::wire::dns;
use crate::wire::link::TcpFlags;

struct Conn {
    flow: Flow,
    dns: DnsCache,
    quic: QuicTracker,
    weirds: Counters,
    msg: dns::Message,
    h3: QuicDecrypt,
    seq: u32,
    out: Vec<Observation>,
}

impl Conn {
    fn new(port: u16) -> Conn {
        let key = FlowKey {
            proto: Proto::Tcp,
            client: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 40_000),
            server: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), port),
        };
        let device = DeviceId::Ip(key.client.ip());
        let mut conn = Conn {
            flow: Flow::new(key, device, Timestamp(1)),
            dns: DnsCache::new(),
            quic: QuicTracker::new(),
            weirds: Counters::default(),
            msg: dns::Message::default(),
            h3: QuicDecrypt::new(),
            seq: 1_000,
            out: Vec::new(),
        };
        conn.segment(&[], true);
        conn
    }

    /// One client segment (a SYN when `syn`).
    fn segment(&mut self, payload: &[u8], syn: bool) {
        let key = self.flow.key;
        let seg = Segment {
            ts: Timestamp(2),
            src: key.client,
            dst: key.server,
            src_device: self.flow.device,
            dst_device: DeviceId::Ip(key.server.ip()),
            payload,
            flags: TcpFlags {
                syn,
                ack: !syn,
                fin: false,
                rst: false,
            },
            seq: self.seq,
        };
        self.seq = self.seq.wrapping_add(payload.len() as u32 + u32::from(syn));
        let mut ctx = Context {
            dns: &mut self.dns,
            quic: &mut self.quic,
            weirds: &mut self.weirds,
            keys: None,
            dns_msg: &mut self.msg,
            h3: &mut self.h3,
        };
        let out = &mut self.out;
        analyze::tcp(
            &mut self.flow,
            &seg,
            true,
            &mut ctx,
            &mut |o: Observation| out.push(o),
        );
    }

    /// Send `stream` cut into pieces of `step` bytes.
    fn send(&mut self, stream: &[u8], step: usize) {
        for piece in stream.chunks(step) {
            self.segment(piece, false);
        }
    }
}

fn hello_in_one_byte_records(name: &str, padding: usize) -> (Vec<u8>, Vec<u8>) {
    // A hello: type 1, u24 length, version, random, session id, suites, compression,
    // extensions (server_name, then padding).
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x11; 32]);
    body.extend_from_slice(&[0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
    let mut sni = vec![0x00];
    sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni.extend_from_slice(name.as_bytes());
    let mut list = (sni.len() as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&sni);
    let mut exts = vec![0x00, 0x00];
    exts.extend_from_slice(&(list.len() as u16).to_be_bytes());
    exts.extend_from_slice(&list);
    exts.extend_from_slice(&[0x00, 0x15]);
    exts.extend_from_slice(&(padding as u16).to_be_bytes());
    exts.extend(std::iter::repeat_n(0u8, padding));
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut msg = vec![0x01];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    let stream = msg
        .iter()
        .flat_map(|&b| [0x16, 0x03, 0x01, 0x00, 0x01, b])
        .collect();
    (msg, stream)
}

/// Regression: a ClientHello in one-byte TLS records, one record per TCP segment, was parsed
/// from the stream's start at every segment (quadratic: 200 such flows ran at 0.19 M
/// packets/s).
#[test]
fn a_hello_in_one_byte_records_one_per_segment_is_read_once() {
    let (msg, stream) = hello_in_one_byte_records("tiny.example", 1_200);
    let mut c = Conn::new(443);
    c.send(&stream, 6);
    let hello = c.out.iter().find_map(|o| match o {
        Observation::Hello { hello, .. } => Some(hello.sni.clone()),
        _ => None,
    });
    assert_eq!(hello, Some(Some("tiny.example".to_owned())));
    assert_eq!(c.flow.app, App::Done);
    let read = c.flow.up.examined();
    assert!(
        read <= (stream.len() + 2 * msg.len()) as u64,
        "{read} bytes read for a {}-byte stream of {} segments",
        stream.len(),
        stream.len() / 6
    );
}

/// A request head sent a byte per segment is searched once and parsed at most twice.
#[test]
fn an_http_head_a_byte_per_segment_is_read_linearly() {
    let mut head = b"GET /a HTTP/1.1\r\nHost: slow.example\r\n".to_vec();
    for i in 0..200 {
        head.extend_from_slice(format!("X-Pad-{i}: {}\r\n", "v".repeat(40)).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    let mut c = Conn::new(80);
    c.send(&head, 1);
    let hosts: Vec<_> = c
        .out
        .iter()
        .filter_map(|o| match o {
            Observation::HttpRequest { host, .. } => host.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(hosts, ["slow.example"]);
    let read = c.flow.up.examined();
    assert!(
        read <= 4 * head.len() as u64,
        "{read} bytes read for a {}-byte head",
        head.len()
    );
}

/// Empty lines before a request are skipped once each, whatever follows.
#[test]
fn empty_lines_before_a_request_are_read_once() {
    let mut stream = b"\r\n".repeat(4_000);
    stream.extend_from_slice(b"GET / HTTP/1.1\r\nHost: late.example\r\n\r\n");
    let mut c = Conn::new(80);
    c.segment(b"GET / HTTP/1.1\r\nHost: first.example\r\n\r\n", false);
    c.send(&stream, 2);
    let hosts = c
        .out
        .iter()
        .filter(|o| matches!(o, Observation::HttpRequest { .. }))
        .count();
    assert_eq!(hosts, 2);
    assert!(c.flow.up.examined() <= 4 * stream.len() as u64);
}

/// DNS over TCP: many small messages in one segment are each read once (consuming one does
/// not move the rest of the buffer).
#[test]
fn many_tcp_dns_messages_in_one_buffer_are_read_linearly() {
    let mut query = vec![
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    query.extend_from_slice(b"\x01a\x07example\x00\x00\x01\x00\x01");
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&query);
    let stream = framed.repeat(900);
    let mut c = Conn::new(53);
    c.segment(&stream[..stream.len() - 1], false);
    c.segment(&stream[stream.len() - 1..], false);
    let queries = c
        .out
        .iter()
        .filter(|o| matches!(o, Observation::DnsQuery { .. }))
        .count();
    assert_eq!(queries, 900);
    assert!(c.flow.up.examined() <= 2 * stream.len() as u64);
}
