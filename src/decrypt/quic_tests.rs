//! QUIC decryption end to end on synthesized connections: registration by the hello, CIDs from
//! long headers and NEW_CONNECTION_ID, migration, key updates, and what is counted.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use super::*;
use crate::decrypt::h3::tests::{GET, frame, section};
use crate::decrypt::quic_keys::QuicSuite;
use crate::decrypt::quic_testing::{Sealer, stream_frame};
use crate::observation::{DeviceId, Proto};
use crate::wire::quic::VERSION_1;

const SERVER_CID: [u8; 4] = [0x8b, 0xf0, 0x73, 0xd6];
const NEW_CID: [u8; 8] = [7; 8];

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn flow(client: &str) -> FlowKey {
    FlowKey {
        proto: Proto::Udp,
        client: addr(client),
        server: addr("[2001:db8:113::5]:443"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// A client Initial whose protected part is opaque (the tracker opened it; here only the CIDs
/// matter): zero-length SCID, as Chromium sends.
fn client_initial() -> Vec<u8> {
    let mut p = vec![0xc3, 0, 0, 0, 1, 8];
    p.extend_from_slice(&[0x64; 8]);
    p.extend_from_slice(&[0, 0, 0x40, 24]);
    p.extend_from_slice(&[0; 24]);
    p
}

/// Secrets 1 to 4 (handshake and traffic, client then server); with `early`, secret 5 is the
/// client's 0-RTT secret.
fn key_log(random: [u8; 32], early: bool) -> KeyLog {
    let r = hex(&random);
    let mut text = String::new();
    for (label, b) in [
        ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", 1u8),
        ("SERVER_HANDSHAKE_TRAFFIC_SECRET", 2),
        ("CLIENT_TRAFFIC_SECRET_0", 3),
        ("SERVER_TRAFFIC_SECRET_0", 4),
        ("CLIENT_EARLY_TRAFFIC_SECRET", 5),
    ] {
        if b < 5 || early {
            text.push_str(&format!("{label} {r} {}\n", hex(&[b; 32])));
        }
    }
    KeyLog::parse(text.as_bytes())
}

struct Lab {
    q: QuicDecrypt,
    keys: KeyLog,
    weirds: Counters,
    out: Vec<H3Request>,
    flow: FlowKey,
    seal: [Sealer; 4],
}

impl Lab {
    fn new(random: [u8; 32]) -> Lab {
        let suite = QuicSuite::candidates(32)[0];
        let seal = [1u8, 2, 3, 4].map(|b| Sealer::new(suite, VERSION_1, &[b; 32]));
        let mut lab = Lab {
            q: QuicDecrypt::new(),
            keys: key_log(random, false),
            weirds: Counters::default(),
            out: Vec::new(),
            flow: flow("[2001:db8:77::10]:39617"),
            seal,
        };
        let initial = client_initial();
        let start = QuicStart {
            version: VERSION_1,
            flow: lab.flow,
            device: DeviceId::Ip(lab.flow.client.ip()),
            random,
            sni: Some("www.googletagmanager.com"),
            datagram: &initial,
            ts: Timestamp(1),
        };
        lab.q.start(start, &mut lab.weirds, &mut lab.out);
        lab
    }

    fn send(&mut self, client: SocketAddr, from_client: bool, payload: &[u8]) {
        let d = Datagram {
            ts: Timestamp(2),
            client,
            server: self.flow.server,
            from_client,
            payload,
        };
        self.q
            .datagram(d, &self.keys, &mut self.weirds, &mut self.out);
    }
}

fn request_stream(id: u64, path: &str) -> Vec<u8> {
    let mut fields = GET.to_vec();
    fields[3] = (":path", path);
    stream_frame(id, 0, &frame(0x01, &section(&fields)), true)
}

fn response_stream(id: u64, status: &str, cookie: &str) -> Vec<u8> {
    let resp = section(&[(":status", status), ("set-cookie", cookie)]);
    stream_frame(id, 0, &frame(0x01, &resp), false)
}

#[test]
fn requests_of_a_connection_that_migrates_and_updates_keys() {
    let mut lab = Lab::new([5; 32]);
    let client = lab.flow.client;
    // The server's Initial-and-Handshake datagram names its CID.
    let hs = lab.seal[1].handshake(VERSION_1, &[], &SERVER_CID, 0, &[0x06, 0x00, 0x01, 0x14]);
    let mut datagram = vec![0xc1, 0, 0, 0, 1, 0, 4];
    datagram.extend_from_slice(&SERVER_CID);
    datagram.extend_from_slice(&[0, 0x40, 20]);
    datagram.extend_from_slice(&[0; 20]);
    datagram.extend_from_slice(&hs);
    lab.send(client, false, &datagram);
    // The client's first request, with its control stream.
    let mut frames = stream_frame(2, 0, &[0x00, 0x04, 0x00], false);
    frames.extend(request_stream(0, "/gtag/js?id=G-LAB0000001"));
    let p = lab.seal[2].short(&SERVER_CID, 0, false, &frames);
    lab.send(client, true, &p);
    // The server answers (no CID toward Chromium) and offers another CID.
    let mut frames = vec![0x18, 0x01, 0x00, 0x08];
    frames.extend_from_slice(&NEW_CID);
    frames.extend_from_slice(&[0; 16]);
    frames.extend(response_stream(0, "200", "_gcl=v; Max-Age=7776000"));
    let p = lab.seal[3].short(&[], 0, false, &frames);
    lab.send(client, false, &p);
    assert_eq!(lab.out.len(), 1, "{:?}", lab.weirds);
    // The client moves to another port and uses the new CID: a flow the table has never seen.
    let moved = addr("[2001:db8:77::10]:40000");
    let p = lab.seal[2].short(
        &NEW_CID,
        1,
        false,
        &request_stream(4, "/gtm.js?id=GTM-LAB0001"),
    );
    assert!(lab.q.knows(&p, true));
    assert!(!lab.q.knows(&p, false));
    lab.send(moved, true, &p);
    // The server updates its keys before answering on the new path.
    let labels = crate::decrypt::quic_keys::Labels::of(VERSION_1);
    let suite = QuicSuite::candidates(32)[0];
    let next = crate::decrypt::quic_keys::next_secret(suite, labels, &[4; 32]).unwrap();
    let mut updated = Sealer::new(suite, VERSION_1, &next);
    updated.header = Sealer::new(suite, VERSION_1, &[4; 32]).header;
    let p = updated.short(&[], 1, true, &response_stream(4, "204", "x=1"));
    lab.send(moved, false, &p);
    assert!(lab.weirds.is_empty(), "{:?}", lab.weirds);
    let urls: Vec<&str> = lab.out.iter().map(|r| r.exchange.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://www.googletagmanager.com/gtag/js?id=G-LAB0000001",
            "https://www.googletagmanager.com/gtm.js?id=GTM-LAB0001"
        ]
    );
    assert!(lab.out.iter().all(|r| r.flow == lab.flow));
    assert_eq!(lab.out[1].exchange.status, Some(204));
    assert_eq!(lab.out[0].exchange.set_cookies[0].name, "_gcl");
}

#[test]
fn zero_rtt_requests_open_with_the_early_secret() {
    let mut lab = Lab::new([4; 32]);
    lab.keys = key_log([4; 32], true);
    let client = lab.flow.client;
    let suite = QuicSuite::candidates(32)[0];
    let early = Sealer::new(suite, VERSION_1, &[5; 32]);
    // Before any server packet: to the original DCID, from the client's empty SCID.
    let p = early.zero_rtt(
        &[0x64; 8],
        &[],
        0,
        &request_stream(0, "/g/collect?v=2&en=page_view"),
    );
    lab.send(client, true, &p);
    lab.send(
        client,
        false,
        &lab.seal[1].handshake(VERSION_1, &[], &SERVER_CID, 0, &[0x01]),
    );
    // 0-RTT and 1-RTT share a packet number space: the next 1-RTT packet is number 1.
    let p = lab.seal[2].short(&SERVER_CID, 1, false, &request_stream(4, "/second"));
    lab.send(client, true, &p);
    let mut answers = response_stream(0, "204", "_ga=1; Max-Age=63072000");
    answers.extend(response_stream(4, "200", "x=1"));
    lab.send(client, false, &lab.seal[3].short(&[], 0, false, &answers));
    assert!(lab.weirds.is_empty(), "{:?}", lab.weirds);
    let got: Vec<(&str, Option<u16>)> = lab
        .out
        .iter()
        .map(|r| (r.exchange.url.as_str(), r.exchange.status))
        .collect();
    assert_eq!(
        got,
        [
            (
                "https://www.googletagmanager.com/g/collect?v=2&en=page_view",
                Some(204)
            ),
            ("https://www.googletagmanager.com/second", Some(200)),
        ]
    );
}

#[test]
fn a_close_hands_out_requests_without_response() {
    let mut lab = Lab::new([6; 32]);
    let client = lab.flow.client;
    lab.send(
        client,
        false,
        &lab.seal[1].handshake(VERSION_1, &[], &SERVER_CID, 0, &[0x01]),
    );
    let p = lab.seal[2].short(&SERVER_CID, 0, false, &request_stream(0, "/g/collect?v=2"));
    lab.send(client, true, &p);
    assert!(lab.out.is_empty());
    let p = lab.seal[3].short(&[], 0, false, &[0x1c, 0x00, 0x00, 0x00]);
    lab.send(client, false, &p);
    assert_eq!(lab.out.len(), 1);
    assert_eq!(lab.out[0].exchange.status, None);
    // Later packets are ignored; the end hands out nothing twice.
    lab.send(client, true, &p);
    lab.q.finish(&mut lab.weirds, &mut lab.out);
    assert_eq!(lab.out.len(), 1);
    assert!(lab.q.is_empty());
}

#[test]
fn missing_keys_and_bad_packets_are_counted() {
    let mut lab = Lab::new([7; 32]);
    lab.keys = KeyLog::new();
    let client = lab.flow.client;
    let hs = lab.seal[1].handshake(VERSION_1, &[], &SERVER_CID, 0, &[0x01]);
    lab.send(client, false, &hs);
    lab.send(client, false, &hs);
    assert_eq!(lab.weirds.get(Weird::DecryptQuicNoKey), 1);
    let mut lab = Lab::new([8; 32]);
    lab.send(client, false, &hs);
    let mut p = lab.seal[2].short(&SERVER_CID, 0, false, &request_stream(0, "/"));
    let last = p.len() - 1;
    p[last] ^= 1;
    lab.send(client, true, &p);
    lab.send(client, true, &[0x41, 0x8b]); // too short to unmask
    assert_eq!(lab.weirds.get(Weird::DecryptQuicBadPacket), 2);
    lab.send(client, true, &[0xc3, 0, 0, 0, 1, 30]); // cut long header
    assert_eq!(lab.weirds.get(Weird::DecryptQuicBadPacket), 3);
    lab.send(addr("[2001:db8:77::10]:1"), true, &[0x41, 1, 2, 3]);
    assert_eq!(lab.weirds.get(Weird::DecryptQuicUnknownConnection), 1);
    let mut zero_rtt = vec![0xd3, 0, 0, 0, 1, 4];
    zero_rtt.extend_from_slice(&SERVER_CID);
    zero_rtt.extend_from_slice(&[0, 0x40, 20]);
    zero_rtt.extend_from_slice(&[0; 20]);
    lab.send(client, true, &zero_rtt);
    assert_eq!(lab.weirds.get(Weird::DecryptQuic0rttSkipped), 1);
    assert!(lab.out.is_empty());
}

#[test]
fn connections_and_cids_are_bounded_and_expire() {
    let mut lab = Lab::new([9; 32]);
    let client = lab.flow.client;
    lab.send(
        client,
        false,
        &lab.seal[1].handshake(VERSION_1, &[], &SERVER_CID, 0, &[0x01]),
    );
    let mut frames = Vec::new();
    for i in 0..MAX_CIDS_PER_CONNECTION as u8 {
        frames.extend_from_slice(&[0x18, i, 0x00, 0x04, i, i, i, 0xaa]);
        frames.extend_from_slice(&[0; 16]);
    }
    let p = lab.seal[3].short(&[], 0, false, &frames);
    lab.send(client, false, &p);
    assert_eq!(lab.weirds.get(Weird::DecryptQuicCidsFull), 1);
    lab.q.expire(
        Timestamp(2).plus_secs(IDLE_TIMEOUT_SECS),
        &mut lab.weirds,
        &mut lab.out,
    );
    assert_eq!(lab.q.len(), 1);
    lab.q.expire(
        Timestamp(3).plus_secs(IDLE_TIMEOUT_SECS),
        &mut lab.weirds,
        &mut lab.out,
    );
    assert!(lab.q.is_empty() && lab.q.by_cid.is_empty() && lab.q.by_path.is_empty());
    // The table of connections is bounded.
    for port in 0..=MAX_QUIC_CONNECTIONS as u16 {
        let f = flow(&format!("[2001:db8:77::10]:{}", 10_000 + port));
        let start = QuicStart {
            version: VERSION_1,
            flow: f,
            device: DeviceId::Ip(f.client.ip()),
            random: [1; 32],
            sni: None,
            datagram: &[],
            ts: Timestamp(1),
        };
        lab.q.start(start, &mut lab.weirds, &mut lab.out);
    }
    assert_eq!(lab.q.len(), MAX_QUIC_CONNECTIONS);
    assert_eq!(lab.weirds.get(Weird::DecryptQuicEvicted), 1);
}

#[test]
fn paths_per_connection_are_bounded_and_cids_still_find_it() {
    let mut lab = Lab::new([3; 32]);
    let client = lab.flow.client;
    lab.send(
        client,
        false,
        &lab.seal[1].handshake(VERSION_1, &[], &SERVER_CID, 0, &[0x01]),
    );
    for i in 0..MAX_PATHS_PER_CONNECTION as u64 + 2 {
        let moved = addr(&format!("[2001:db8:77::10]:{}", 50_000 + i));
        let path = format!("/p{i}");
        let p = lab.seal[2].short(&SERVER_CID, i, false, &request_stream(4 * i, &path));
        lab.send(moved, true, &p);
    }
    assert_eq!(lab.q.by_path.len(), MAX_PATHS_PER_CONNECTION);
    lab.q.finish(&mut lab.weirds, &mut lab.out);
    assert_eq!(
        lab.out.len(),
        MAX_PATHS_PER_CONNECTION + 2,
        "{:?}",
        lab.weirds
    );
}
