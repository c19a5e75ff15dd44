//! HTTP/3 over synthesized stream data: requests, responses, QPACK's dynamic table and its
//! blocked sections, reordering, and every limit.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::decrypt::h3_stream::MAX_STREAM_GAP_BYTES;

/// A prefixed integer with `flags` in the bits above the `bits`-bit prefix.
pub(crate) fn int(out: &mut Vec<u8>, flags: u8, bits: u32, v: usize) {
    let max = (1usize << bits) - 1;
    if v < max {
        out.push(flags | v as u8);
        return;
    }
    out.push(flags | max as u8);
    let mut rest = v - max;
    while rest >= 0x80 {
        out.push((rest as u8 & 0x7f) | 0x80);
        rest >>= 7;
    }
    out.push(rest as u8);
}

/// A QPACK field section of literal lines (static-only: Required Insert Count 0).
pub(crate) fn section(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = vec![0x00, 0x00];
    for (n, v) in fields {
        int(&mut out, 0x20, 3, n.len());
        out.extend_from_slice(n.as_bytes());
        int(&mut out, 0x00, 7, v.len());
        out.extend_from_slice(v.as_bytes());
    }
    out
}

/// An HTTP/3 frame.
pub(crate) fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    let len = payload.len();
    if len < 64 {
        out.push(len as u8);
    } else {
        out.extend_from_slice(&(0x4000 | len as u16).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

pub(crate) const GET: [(&str, &str); 4] = [
    (":method", "GET"),
    (":scheme", "https"),
    (":authority", "www.googletagmanager.com"),
    (":path", "/gtag/js?id=G-LAB0000001"),
];

struct Run {
    conn: H3Conn,
    weirds: Counters,
    out: Vec<Exchange>,
}

impl Run {
    fn new() -> Run {
        Run {
            conn: H3Conn::new(Some("sni.example".into())),
            weirds: Counters::default(),
            out: Vec::new(),
        }
    }

    fn send(&mut self, from_client: bool, id: u64, offset: u64, data: &[u8]) {
        let mut feed = H3Feed {
            ts: Timestamp(7),
            weirds: &mut self.weirds,
            out: &mut self.out,
        };
        self.conn.stream(from_client, id, offset, data, &mut feed);
    }

    fn finish(&mut self) {
        self.conn.finish(&mut self.weirds, &mut self.out);
    }
}

fn response(status: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut f = vec![(":status", status)];
    f.extend_from_slice(extra);
    frame(0x01, &section(&f))
}

#[test]
fn a_request_and_its_response_make_an_exchange() {
    let mut r = Run::new();
    let mut req = frame(0x01, &section(&GET));
    req.extend(frame(0x00, b"body"));
    r.send(true, 0, 0, &req);
    let interim = response("103", &[]);
    r.send(false, 0, 0, &interim);
    let at = interim.len() as u64;
    let mut resp = response(
        "200",
        &[
            ("content-type", "application/javascript; charset=utf-8"),
            (
                "set-cookie",
                "_gcl=secret; Max-Age=7776000; Secure; SameSite=None",
            ),
        ],
    );
    resp.extend(frame(0x00, &[0; 100]));
    // Out of order: the second half first.
    r.send(false, 0, at + 20, &resp[20..]);
    assert!(r.out.is_empty());
    r.send(false, 0, at, &resp[..20]);
    assert_eq!(r.out.len(), 1, "{:?}", r.weirds);
    let ex = &r.out[0];
    assert_eq!(
        ex.url,
        "https://www.googletagmanager.com/gtag/js?id=G-LAB0000001"
    );
    assert_eq!((ex.version, ex.status), (HttpVersion::Http3, Some(200)));
    assert_eq!(ex.content_type.as_deref(), Some("application/javascript"));
    assert_eq!(ex.set_cookies[0].name, "_gcl");
    assert_eq!(ex.set_cookies[0].lifetime_s, Some(7_776_000));
    assert!(r.weirds.is_empty(), "{:?}", r.weirds);
}

#[test]
fn settings_encoder_streams_and_blocked_sections() {
    let mut r = Run::new();
    // The request refers to dynamic entry 0 before the server's SETTINGS and the client's
    // encoder stream arrived: blocked twice over.
    let mut sec = vec![0x02, 0x00, 0x80]; // RIC 1, Base 1, indexed dynamic relative 0
    sec.extend_from_slice(&section(&[(":method", "GET"), (":path", "/p")])[2..]);
    r.send(true, 0, 0, &frame(0x01, &sec));
    // The server's control stream: SETTINGS with a 4096-byte table for the client's encoder.
    let mut control = vec![0x00];
    control.extend(frame(0x04, &[0x01, 0x50, 0x00, 0x07, 0x10]));
    r.send(false, 3, 0, &control);
    assert!(r.out.is_empty());
    assert_eq!(r.conn.blocked.len(), 1);
    // The client's encoder stream: capacity 4096, insert :authority = cdn.example.
    let mut enc = vec![0x02];
    int(&mut enc, 0x20, 5, 4096);
    enc.push(0xc0);
    enc.push(11);
    enc.extend_from_slice(b"cdn.example");
    r.send(true, 6, 0, &enc[..4]);
    assert_eq!(r.conn.blocked.len(), 1);
    r.send(true, 6, 4, &enc[4..]);
    assert!(r.conn.blocked.is_empty());
    r.send(false, 0, 0, &response("204", &[]));
    assert_eq!(r.out.len(), 1, "{:?}", r.weirds);
    assert_eq!(r.out[0].url, "https://cdn.example/p");
    // The server's GOAWAY.
    r.send(false, 3, control.len() as u64, &frame(0x07, &[0x04]));
    assert_eq!(r.conn.goaway(), Some(4));
    assert!(r.weirds.is_empty(), "{:?}", r.weirds);
}

#[test]
fn blocked_sections_are_bounded_and_counted_at_the_end() {
    let mut r = Run::new();
    let sec = frame(0x01, &[0x02, 0x00, 0x80]);
    for i in 0..=MAX_BLOCKED_SECTIONS as u64 {
        r.send(true, 4 * i, 0, &sec);
    }
    assert_eq!(r.weirds.get(Weird::DecryptQpackBlockedFull), 1);
    r.finish();
    assert_eq!(
        r.weirds.get(Weird::DecryptQpackBlockedAtEnd),
        MAX_BLOCKED_SECTIONS as u64
    );
    assert!(r.out.is_empty());
}

#[test]
fn a_broken_encoder_stream_loses_the_table_not_the_connection() {
    let mut r = Run::new();
    r.send(true, 6, 0, &[0x02, 0x03]); // duplicate of an entry that does not exist
    assert_eq!(r.weirds.get(Weird::DecryptQpackBadIndex), 1);
    r.send(true, 0, 0, &frame(0x01, &[0x02, 0x00, 0x80]));
    assert_eq!(r.weirds.get(Weird::DecryptQpackTableLost), 1);
    // Static-only sections still decode.
    r.send(true, 4, 0, &frame(0x01, &section(&GET)));
    r.finish();
    assert_eq!(r.out.len(), 1);
    assert_eq!(r.out[0].status, None);
}

#[test]
fn open_requests_and_streams_are_bounded() {
    let mut r = Run::new();
    let req = frame(0x01, &section(&GET));
    for i in 0..=MAX_OPEN_REQUESTS as u64 {
        r.send(true, 4 * i, 0, &req);
    }
    assert_eq!(r.weirds.get(Weird::DecryptH3RequestsFull), 1);
    assert_eq!(r.out.len(), 1);
    // Finished stream directions make room; unfinished ones do not.
    let mut r = Run::new();
    for i in 0..MAX_H3_STREAMS as u64 {
        r.send(true, 4 * i, 0, &[0x01]); // a HEADERS frame that never completes
    }
    r.send(true, 4 * MAX_H3_STREAMS as u64, 0, &req);
    assert_eq!(r.weirds.get(Weird::DecryptH3StreamsFull), 1);
    let mut r = Run::new();
    for i in 0..MAX_H3_STREAMS as u64 + 10 {
        r.send(true, 4 * i, 0, &req);
    }
    assert_eq!(r.weirds.get(Weird::DecryptH3StreamsFull), 0);
}

#[test]
fn stream_errors_are_counted() {
    let mut r = Run::new();
    r.send(
        true,
        0,
        (MAX_STREAM_GAP_BYTES * 2) as u64,
        &vec![0; MAX_STREAM_GAP_BYTES + 1],
    );
    assert_eq!(r.weirds.get(Weird::DecryptH3StreamGapTooLarge), 1);
    r.send(true, 4, 0, &[0x01, 0x80, 0x01, 0x00, 0x01]);
    assert_eq!(r.weirds.get(Weird::DecryptH3FrameTooLarge), 1);
    r.send(false, 8, 0, &response("200", &[]));
    assert_eq!(r.weirds.get(Weird::DecryptH3ResponseWithoutRequest), 1);
    // Streams the wrong side opens, and server-initiated bidirectional ones, are ignored.
    r.send(false, 2, 0, &[0x00]);
    r.send(true, 1, 0, &frame(0x01, &section(&GET)));
    assert!(r.conn.streams.keys().all(|(id, _)| *id % 4 == 0));
}
