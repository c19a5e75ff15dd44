//! Known answers and whole connections: RFC 8448 through the connection state, synthetic TLS 1.2
//! and 1.3 connections carrying HTTP/1.1 and HTTP/2, key updates, and garbage that must not
//! panic.

use crate::stats::Counters;
use crate::time::Timestamp;

use super::keylog::{KeyLog, unhex};
use super::rfc8448 as r;
use super::schedule::{self, Framing, RecordKey, Suite};
use super::{Exchange, Feed, Stop, TlsConn};

fn h(s: &str) -> Vec<u8> {
    unhex(s.split_whitespace().collect::<String>().as_bytes()).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A connection's two streams, fed in the order given: (from_client, bytes).
struct Run {
    conn: TlsConn,
    keys: KeyLog,
    weirds: Counters,
    out: Vec<Exchange>,
    buf: [Vec<u8>; 2],
}

impl Run {
    fn new(keys: KeyLog) -> Run {
        Run { conn: TlsConn::new(Some("sni.example".into())), keys, weirds: Counters::default(), out: Vec::new(), buf: [Vec::new(), Vec::new()] }
    }

    /// Append bytes to one direction and let both directions run, as the flow layer does.
    fn push(&mut self, from_client: bool, bytes: &[u8]) {
        self.buf[usize::from(!from_client)].extend_from_slice(bytes);
        let mut feed = Feed { keys: &self.keys, weirds: &mut self.weirds, ts: Timestamp(7), out: &mut self.out };
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
    for rec in [r::SERVER_HELLO_RECORD, r::SERVER_FLIGHT_RECORD, r::SERVER_TICKET_RECORD] {
        run.push(false, &h(rec));
    }
    run.push(true, &h(r::CLIENT_FINISHED_RECORD));
    run.push(true, &h(r::CLIENT_APP_RECORD));
    run.push(false, &h(r::SERVER_APP_RECORD));
    // The handshake records cannot be read and are stepped over; the traffic keys open the rest.
    let (_, weirds, conn) = run.finish();
    assert_eq!(conn.stopped(), None);
    assert_eq!(conn.decrypted_bytes(), (50, 50));
    assert_eq!(weirds.get("decrypt.handshake_record_skipped"), 2);
}

#[test]
fn rfc8448_with_a_wrong_secret_is_a_bad_record() {
    let random = hex(&h(r::CLIENT_HELLO)[6..38]);
    let text = format!("SERVER_HANDSHAKE_TRAFFIC_SECRET {random} {}\nCLIENT_TRAFFIC_SECRET_0 {random} 01\n", "00".repeat(32));
    let mut run = Run::new(KeyLog::parse(text.as_bytes()));
    run.push(true, &client_hello_record(&h(r::CLIENT_HELLO)));
    run.push(false, &h(r::SERVER_HELLO_RECORD));
    run.push(false, &h(r::SERVER_FLIGHT_RECORD));
    let (out, weirds, conn) = run.finish();
    assert!(out.is_empty());
    assert_eq!(conn.stopped(), Some(Stop::BadRecord));
    assert_eq!(weirds.get("decrypt.bad_record"), 1);
}

#[test]
fn rfc8448_without_the_connection_in_the_key_log_is_no_key() {
    let mut run = Run::new(KeyLog::new());
    run.push(true, &client_hello_record(&h(r::CLIENT_HELLO)));
    run.push(false, &h(r::SERVER_HELLO_RECORD));
    run.push(false, &h(r::SERVER_FLIGHT_RECORD));
    let (_, weirds, conn) = run.finish();
    assert_eq!(conn.stopped(), Some(Stop::NoKey));
    assert_eq!(weirds.get("decrypt.no_key"), 1);
}
