//! Known answers and whole connections: RFC 8448 through the connection state, synthetic TLS 1.2
//! and 1.3 connections carrying HTTP/1.1 and HTTP/2, key updates, and garbage that must not
//! panic.

use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;

use super::keylog::{KeyLog, unhex};
use super::rfc8448 as r;
use super::schedule::{self, Framing, RecordKey, Suite};
use super::{Exchange, Feed, Stop, TlsConn};

pub(super) fn h(s: &str) -> Vec<u8> {
    unhex(s.split_whitespace().collect::<String>().as_bytes()).unwrap()
}

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A connection's two streams, fed in the order given: (from_client, bytes).
pub(super) struct Run {
    pub(super) conn: TlsConn,
    keys: KeyLog,
    weirds: Counters,
    out: Vec<Exchange>,
    buf: [Vec<u8>; 2],
}

impl Run {
    pub(super) fn new(keys: KeyLog) -> Run {
        Run {
            conn: TlsConn::new(Some("sni.example".into())),
            keys,
            weirds: Counters::default(),
            out: Vec::new(),
            buf: [Vec::new(), Vec::new()],
        }
    }

    /// Append bytes to one direction and let both directions run, as the flow layer does.
    pub(super) fn push(&mut self, from_client: bool, bytes: &[u8]) {
        self.buf[usize::from(!from_client)].extend_from_slice(bytes);
        let mut feed = Feed {
            keys: &self.keys,
            weirds: &mut self.weirds,
            ts: Timestamp(7),
            out: &mut self.out,
        };
        for dir in [false, true] {
            let b = &mut self.buf[usize::from(!dir)];
            let used = self.conn.feed(dir, b, &mut feed);
            b.drain(..used);
        }
    }

    fn finish(mut self) -> (Vec<Exchange>, Counters, TlsConn) {
        self.conn.finish(&mut self.out);
        (self.out, self.weirds, self.conn)
    }
}

fn rfc_keys() -> KeyLog {
    let random = hex(&h(r::CLIENT_HELLO)[6..38]);
    let line = |label: &str, secret: &str| format!("{label} {random} {}\n", hex(&h(secret)));
    let text = [
        line("CLIENT_HANDSHAKE_TRAFFIC_SECRET", r::CLIENT_HS_SECRET),
        line("SERVER_HANDSHAKE_TRAFFIC_SECRET", r::SERVER_HS_SECRET),
        line("CLIENT_TRAFFIC_SECRET_0", r::CLIENT_AP_SECRET),
        line("SERVER_TRAFFIC_SECRET_0", r::SERVER_AP_SECRET),
    ]
    .concat();
    KeyLog::parse(text.as_bytes())
}

fn client_hello_record(msg: &[u8]) -> Vec<u8> {
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    rec.extend_from_slice(msg);
    rec
}

#[test]
fn rfc8448_simple_1rtt_decrypts_both_directions() {
    let mut run = Run::new(rfc_keys());
    run.push(true, &client_hello_record(&h(r::CLIENT_HELLO)));
    run.push(false, &h(r::SERVER_HELLO_RECORD));
    run.push(false, &h(r::SERVER_FLIGHT_RECORD));
    run.push(true, &h(r::CLIENT_FINISHED_RECORD));
    run.push(false, &h(r::SERVER_TICKET_RECORD));
    run.push(true, &h(r::CLIENT_APP_RECORD));
    run.push(false, &h(r::SERVER_APP_RECORD));
    run.push(true, &h(r::CLIENT_ALERT_RECORD));
    run.push(false, &h(r::SERVER_ALERT_RECORD));
    assert!(run.buf.iter().all(Vec::is_empty), "every record consumed");
    let payload: Vec<u8> = (0u8..=0x31).collect();
    assert_eq!(run.conn.app.seen, [payload.clone(), payload]);
    let (_, weirds, conn) = run.finish();
    assert_eq!(conn.stopped(), None, "{weirds:?}");
    assert_eq!(conn.decrypted_bytes(), (50, 50));
}

#[test]
fn rfc8448_without_handshake_secrets_still_reads_application_data() {
    let random = hex(&h(r::CLIENT_HELLO)[6..38]);
    let text = format!(
        "CLIENT_TRAFFIC_SECRET_0 {random} {}\nSERVER_TRAFFIC_SECRET_0 {random} {}\n",
        hex(&h(r::CLIENT_AP_SECRET)),
        hex(&h(r::SERVER_AP_SECRET))
    );
    let mut run = Run::new(KeyLog::parse(text.as_bytes()));
    run.push(true, &client_hello_record(&h(r::CLIENT_HELLO)));
    for rec in [
        r::SERVER_HELLO_RECORD,
        r::SERVER_FLIGHT_RECORD,
        r::SERVER_TICKET_RECORD,
    ] {
        run.push(false, &h(rec));
    }
    run.push(true, &h(r::CLIENT_FINISHED_RECORD));
    run.push(true, &h(r::CLIENT_APP_RECORD));
    run.push(false, &h(r::SERVER_APP_RECORD));
    // The handshake records cannot be read and are stepped over; the traffic keys open the rest.
    let (_, weirds, conn) = run.finish();
    assert_eq!(conn.stopped(), None);
    assert_eq!(conn.decrypted_bytes(), (50, 50));
    assert_eq!(weirds.get(Weird::DecryptHandshakeRecordSkipped), 2);
}

#[test]
fn rfc8448_with_a_wrong_secret_is_a_bad_record() {
    let random = hex(&h(r::CLIENT_HELLO)[6..38]);
    let text = format!(
        "SERVER_HANDSHAKE_TRAFFIC_SECRET {random} {}\nCLIENT_TRAFFIC_SECRET_0 {random} 01\n",
        "00".repeat(32)
    );
    let mut run = Run::new(KeyLog::parse(text.as_bytes()));
    run.push(true, &client_hello_record(&h(r::CLIENT_HELLO)));
    run.push(false, &h(r::SERVER_HELLO_RECORD));
    run.push(false, &h(r::SERVER_FLIGHT_RECORD));
    let (out, weirds, conn) = run.finish();
    assert!(out.is_empty());
    assert_eq!(conn.stopped(), Some(Stop::BadRecord));
    assert_eq!(weirds.get(Weird::DecryptBadRecord), 1);
}

#[test]
fn rfc8448_without_the_connection_in_the_key_log_is_no_key() {
    let mut run = Run::new(KeyLog::new());
    run.push(true, &client_hello_record(&h(r::CLIENT_HELLO)));
    run.push(false, &h(r::SERVER_HELLO_RECORD));
    run.push(false, &h(r::SERVER_FLIGHT_RECORD));
    let (_, weirds, conn) = run.finish();
    assert_eq!(conn.stopped(), Some(Stop::NoKey));
    assert_eq!(weirds.get(Weird::DecryptNoKey), 1);
}

const RANDOM: [u8; 32] = [0x42; 32];

pub(super) fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind, 0, (body.len() >> 8) as u8, body.len() as u8];
    m.extend_from_slice(body);
    m
}

pub(super) fn plain_record(ct: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn client_hello() -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&RANDOM);
    body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    plain_record(22, &handshake(1, &body))
}

fn server_hello(suite: u16, tls13: bool) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x24; 32]);
    body.push(0);
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0);
    if tls13 {
        body.extend_from_slice(&[0, 6, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]);
    }
    plain_record(22, &handshake(2, &body))
}

/// A TLS 1.3 protected record of `inner_type` content.
fn seal13(key: &mut RecordKey, inner_type: u8, plain: &[u8]) -> Vec<u8> {
    let mut inner = plain.to_vec();
    inner.push(inner_type);
    let len = (inner.len() + 16) as u16;
    let header = [23, 3, 3, (len >> 8) as u8, len as u8];
    let mut rec = header.to_vec();
    rec.extend_from_slice(&key.seal(&header, &inner));
    rec
}

/// A TLS 1.2 protected record.
fn seal12(key: &mut RecordKey, ct: u8, plain: &[u8]) -> Vec<u8> {
    let explicit = if key.framing == Framing::Tls12Explicit {
        8
    } else {
        0
    };
    let len = (plain.len() + explicit + 16) as u16;
    let header = [ct, 3, 3, (len >> 8) as u8, len as u8];
    let mut rec = header.to_vec();
    rec.extend_from_slice(&key.seal(&header, plain));
    rec
}

pub(super) fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn tls13_keys() -> (KeyLog, [Vec<u8>; 4]) {
    let secrets = [vec![1u8; 32], vec![2u8; 32], vec![3u8; 32], vec![4u8; 32]];
    let r = hex(&RANDOM);
    let text = format!(
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET {r} {}\nSERVER_HANDSHAKE_TRAFFIC_SECRET {r} {}\n\
         CLIENT_TRAFFIC_SECRET_0 {r} {}\nSERVER_TRAFFIC_SECRET_0 {r} {}\n",
        hex(&secrets[0]),
        hex(&secrets[1]),
        hex(&secrets[2]),
        hex(&secrets[3])
    );
    (KeyLog::parse(text.as_bytes()), secrets)
}

#[test]
fn tls13_http2_with_key_update_and_cookies() {
    let suite = Suite::from_id(0x1303).unwrap();
    let (keys, [c_hs, s_hs, c_ap, s_ap]) = tls13_keys();
    let key = |s: &[u8]| schedule::tls13_key(suite, s).unwrap();
    let (mut c_hs, mut s_hs, mut c_ap, mut s_ap) = (key(&c_hs), key(&s_hs), key(&c_ap), key(&s_ap));
    let finished = handshake(20, &[0; 32]);
    let mut client_enc = loona_hpack::Encoder::new();
    let mut server_enc = loona_hpack::Encoder::new();
    let req = |enc: &mut loona_hpack::Encoder<'_>, path: &[u8]| {
        enc.encode([
            (&b":method"[..], &b"GET"[..]),
            (b":scheme", b"https"),
            (b":authority", b"region1.google-analytics.com"),
            (b":path", path),
            (b"referer", b"https://www.borger.dk/"),
            (b"cookie", b"_ga=GA1.1.99; NID=secret"),
        ])
    };

    let mut run = Run::new(keys);
    run.push(true, &client_hello());
    let mut down = server_hello(0x1303, true);
    down.extend(plain_record(20, &[1]));
    down.extend(seal13(
        &mut s_hs,
        22,
        &[handshake(8, &[0, 0]), finished.clone()].concat(),
    ));
    run.push(false, &down);
    let mut up = plain_record(20, &[1]);
    // 0-RTT early data under a secret sporfri does not use: stepped over and counted.
    let mut early = schedule::tls13_key(suite, &[9; 32]).unwrap();
    up.extend(seal13(&mut early, 23, b"GET /early HTTP/1.1\r\n\r\n"));
    up.extend(seal13(&mut c_hs, 22, &finished));
    let mut h2 = super::app::H2_PREFACE.to_vec();
    h2.extend(h2_frame(4, 0, 0, &[]));
    h2.extend(h2_frame(
        1,
        0x5,
        1,
        &req(
            &mut client_enc,
            b"/g/collect?tid=G-XYZ&dl=https%3A%2F%2Fwww.borger.dk%2F",
        ),
    ));
    up.extend(seal13(&mut c_ap, 23, &h2));
    // KeyUpdate, then the next request under the new key.
    up.extend(seal13(&mut c_ap, 22, &handshake(24, &[0])));
    let next = schedule::next_traffic_secret(suite.hash, &[3; 32]).unwrap();
    let mut c_ap2 = schedule::tls13_key(suite, &next).unwrap();
    up.extend(seal13(
        &mut c_ap2,
        23,
        &h2_frame(
            1,
            0x5,
            3,
            &req(&mut client_enc, b"/g/collect?tid=G-XYZ&en=scroll"),
        ),
    ));
    run.push(true, &up);
    let resp = server_enc.encode([
        (&b":status"[..], &b"204"[..]),
        (b"content-type", b"text/plain; charset=utf-8"),
        (
            b"set-cookie",
            b"_ga=GA1.1.99; Max-Age=63072000; Domain=.google-analytics.com; Secure; SameSite=None",
        ),
    ]);
    let mut frames = h2_frame(4, 0, 0, &[]);
    frames.extend(h2_frame(1, 0x4, 1, &resp));
    frames.extend(h2_frame(0, 0x1, 1, &[0xaa; 300]));
    run.push(false, &seal13(&mut s_ap, 23, &frames));
    let (out, weirds, conn) = run.finish();
    assert_eq!(conn.stopped(), None, "{weirds:?}");
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(weirds.get(Weird::DecryptHandshakeRecordSkipped), 1);
    let first = &out[0];
    assert_eq!(
        first.url,
        "https://region1.google-analytics.com/g/collect?tid=G-XYZ&dl=https%3A%2F%2Fwww.borger.dk%2F"
    );
    assert_eq!(first.status, Some(204));
    assert_eq!(first.content_type.as_deref(), Some("text/plain"));
    assert_eq!(first.cookies_sent, ["_ga", "NID"]);
    assert_eq!(first.referer.as_deref(), Some("https://www.borger.dk/"));
    let cookie = &first.set_cookies[0];
    assert_eq!(
        (cookie.name.as_str(), cookie.lifetime_s, cookie.secure),
        ("_ga", Some(63_072_000), true)
    );
    assert_eq!(out[1].status, None, "no response to the second request");
    assert!(out[1].url.contains("en=scroll"), "{}", out[1].url);
}

#[test]
fn tls12_chacha_http1_pipelined_with_chunked_bodies() {
    let suite = Suite::from_id(0xcca8).unwrap();
    let master = [9u8; 48];
    let (mut c, mut s) = schedule::tls12_keys(suite, &master, &RANDOM, &[0x24; 32]).unwrap();
    let keys =
        KeyLog::parse(format!("CLIENT_RANDOM {} {}\n", hex(&RANDOM), hex(&master)).as_bytes());
    let mut run = Run::new(keys);
    run.push(true, &client_hello());
    run.push(false, &server_hello(0xcca8, false));
    let mut up = plain_record(20, &[1]);
    up.extend(seal12(&mut c, 22, &handshake(20, &[0; 12])));
    up.extend(seal12(&mut c, 23, b"GET /a HTTP/1.1\r\nHost: www.Example.dk\r\nCookie: sid=1\r\n\r\nHEAD /b HTTP/1.1\r\nHost: www.example.dk\r\n\r\n"));
    run.push(true, &up);
    let mut down = plain_record(20, &[1]);
    down.extend(seal12(&mut s, 22, &handshake(20, &[0; 12])));
    let body = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: sid=2; Path=/; HttpOnly\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    // The chunked body arrives split over records; the HEAD response has a length but no body.
    let (a, b) = body.split_at(body.len() - 9);
    down.extend(seal12(&mut s, 23, a.as_bytes()));
    down.extend(seal12(&mut s, 23, b.as_bytes()));
    down.extend(seal12(
        &mut s,
        23,
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nContent-Type: text/html\r\n\r\n",
    ));
    run.push(false, &down);
    let (out, weirds, conn) = run.finish();
    assert_eq!(conn.stopped(), None, "{weirds:?}");
    let urls: Vec<(&str, Option<u16>)> = out.iter().map(|e| (e.url.as_str(), e.status)).collect();
    assert_eq!(
        urls,
        [
            ("https://www.example.dk/a", Some(200)),
            ("https://www.example.dk/b", Some(200))
        ]
    );
    assert_eq!(out[0].set_cookies[0].name, "sid");
    assert!(out[0].set_cookies[0].http_only);
    assert_eq!(out[0].cookies_sent, ["sid"]);
    assert_eq!(out[1].content_type.as_deref(), Some("text/html"));
}

#[test]
fn tls12_aes_gcm_records_split_across_feeds() {
    let suite = Suite::from_id(0xc02f).unwrap();
    let master = [5u8; 48];
    let (mut c, _) = schedule::tls12_keys(suite, &master, &RANDOM, &[0x24; 32]).unwrap();
    let keys =
        KeyLog::parse(format!("CLIENT_RANDOM {} {}\n", hex(&RANDOM), hex(&master)).as_bytes());
    let mut run = Run::new(keys);
    run.push(false, &server_hello(0xc02f, false));
    let mut up = client_hello();
    up.extend(plain_record(20, &[1]));
    up.extend(seal12(&mut c, 22, &handshake(20, &[0; 12])));
    up.extend(seal12(&mut c, 23, b"GET /x HTTP/1.1\r\nHost: a.dk\r\n\r\n"));
    for byte in up.chunks(7) {
        run.push(true, byte);
    }
    let (out, weirds, _) = run.finish();
    assert_eq!(out.len(), 1, "{weirds:?}");
    assert_eq!(out[0].url, "https://a.dk/x");
}

/// xorshift64*: deterministic garbage.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

#[test]
fn garbage_and_bit_flips_never_panic() {
    let streams = [
        (true, client_hello_record(&h(r::CLIENT_HELLO))),
        (
            false,
            [
                h(r::SERVER_HELLO_RECORD),
                h(r::SERVER_FLIGHT_RECORD),
                h(r::SERVER_TICKET_RECORD),
                h(r::SERVER_APP_RECORD),
            ]
            .concat(),
        ),
        (
            true,
            [h(r::CLIENT_FINISHED_RECORD), h(r::CLIENT_APP_RECORD)].concat(),
        ),
    ];
    let mut seed = 0x1234_5678_9abc_def0u64;
    for round in 0..400 {
        let mut run = Run::new(rfc_keys());
        for (from_client, bytes) in &streams {
            let mut b = bytes.clone();
            if round > 0 {
                let i = (rng(&mut seed) as usize) % b.len();
                b[i] ^= 1 << (rng(&mut seed) % 8);
            }
            let cut = 1 + (rng(&mut seed) as usize) % b.len();
            run.push(*from_client, &b[..cut]);
            run.push(*from_client, &b[cut..]);
        }
        let mut junk = vec![0u8; (rng(&mut seed) % 512) as usize];
        junk.iter_mut().for_each(|x| *x = rng(&mut seed) as u8);
        run.push(round % 2 == 0, &junk);
        run.finish();
    }
}

#[test]
fn hpack_and_h2_garbage_never_panics() {
    use super::app::{AppLayer, H2_PREFACE};
    let keys = KeyLog::new();
    let mut seed = 99u64;
    for _ in 0..300 {
        let mut weirds = Counters::default();
        let mut out = Vec::new();
        let mut feed = Feed {
            keys: &keys,
            weirds: &mut weirds,
            ts: Timestamp(0),
            out: &mut out,
        };
        let mut app = AppLayer::new(None);
        app.data(true, H2_PREFACE, &mut feed);
        for _ in 0..4 {
            let len = (rng(&mut seed) % 64) as usize;
            let mut payload = vec![0u8; len];
            payload.iter_mut().for_each(|x| *x = rng(&mut seed) as u8);
            let kind = [0u8, 1, 5, 9][(rng(&mut seed) % 4) as usize];
            let frame = h2_frame(
                kind,
                rng(&mut seed) as u8,
                (rng(&mut seed) % 4) as u32,
                &payload,
            );
            app.data(rng(&mut seed) % 2 == 0, &frame, &mut feed);
        }
        app.finish(&mut out);
    }
}

#[test]
fn tls13_after_hello_retry_request() {
    let suite = Suite::from_id(0x1301).unwrap();
    let (keys, [_, _, c_ap, s_ap]) = tls13_keys();
    let mut c_ap = schedule::tls13_key(suite, &c_ap).unwrap();
    let mut s_ap = schedule::tls13_key(suite, &s_ap).unwrap();
    let mut hrr = server_hello(0x1301, true);
    hrr[11..43].copy_from_slice(&super::hello::HELLO_RETRY_RANDOM);
    let mut run = Run::new(keys);
    run.push(true, &client_hello());
    run.push(false, &[hrr, plain_record(20, &[1])].concat());
    // The client's CCS and second hello come before the real ServerHello is known.
    run.push(true, &[plain_record(20, &[1]), client_hello()].concat());
    run.push(false, &server_hello(0x1301, true));
    run.push(
        true,
        &seal13(
            &mut c_ap,
            23,
            b"GET /after-retry HTTP/1.1\r\nHost: a.dk\r\n\r\n",
        ),
    );
    run.push(
        false,
        &seal13(&mut s_ap, 23, b"HTTP/1.1 204 No Content\r\n\r\n"),
    );
    let (out, weirds, conn) = run.finish();
    assert_eq!(conn.stopped(), None, "{weirds:?}");
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].url.as_str(), out[0].status),
        ("https://a.dk/after-retry", Some(204))
    );
    // No handshake flight here: the first protected records open with the traffic keys.
    assert_eq!(weirds.get(Weird::DecryptHandshakeRecordSkipped), 0);
}
