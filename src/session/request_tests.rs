#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;

use super::*;
use crate::attribute::Attributor;
use crate::observation::{DeviceId, Exchange, FlowKey, HttpVersion, Observation, Proto, SetCookie};
use crate::time::Timestamp;

const PHONE: DeviceId = DeviceId::Mac([2, 0x11, 0x22, 0x33, 0x44, 0x55]);
const T0: u64 = 1_700_000_000_000_000_000;

fn t(secs: f64) -> Timestamp {
    Timestamp(T0 + (secs * 1e9) as u64)
}

fn recorder(marks: &[&str]) -> Recorder {
    let mut s = Session::new(
        "test",
        None,
        Source::Interface {
            name: "wlan0".into(),
        },
    );
    s.id = 7;
    let marks = marks.iter().map(|m| m.parse().unwrap()).collect();
    Recorder::new(s, Attributor::builtin(None).unwrap(), Vec::new(), marks)
}

fn request(secs: f64, host: &str, target: &str) -> Observation {
    let mut ex = Exchange::request(t(secs), HttpVersion::Http2, true, "GET", host, target);
    ex.status = Some(200);
    ex.set_cookies
        .push(SetCookie::parse(b"_fbp=secret-value; Max-Age=7776000; Secure", None).unwrap());
    ex.cookies_sent.push("fr".into());
    Observation::Request {
        device: PHONE,
        flow: FlowKey {
            proto: Proto::Tcp,
            client: "192.168.1.10:50000".parse::<SocketAddr>().unwrap(),
            server: "203.0.113.41:443".parse::<SocketAddr>().unwrap(),
        },
        exchange: Box::new(ex),
    }
}

#[test]
fn requests_are_kept_with_the_phase_at_their_time_and_no_cookie_values() {
    let mut r = recorder(&["consent-rejected@1s"]);
    r.packet(t(0.0));
    r.observe(&request(0.5, "www.facebook.com", "/tr/?id=42&ev=PageView"));
    r.observe(&request(1.5, "www.facebook.com", "/tr/?id=42&ev=Click"));
    let b = r.packet(t(2.0)).unwrap();
    assert_eq!(b.requests.len(), 2);
    let (a, c) = (&b.requests[0], &b.requests[1]);
    assert_eq!((a.seq, c.seq), (0, 1));
    assert_eq!(a.phase, Phase::BeforeConsent);
    assert_eq!(c.phase, Phase::ConsentRejected);
    assert_eq!(a.session, 7);
    assert_eq!(a.tracker_endpoint.as_deref(), Some("meta-pixel"));
    assert_eq!(a.tracker.as_ref().unwrap().site_id.as_deref(), Some("42"));
    assert_eq!(a.set_cookies[0].lifetime_s, Some(7_776_000));
    assert_eq!(a.set_cookies[0].lifetime_text(), "90.0 days");
    assert_eq!(a.cookies_sent, ["fr"]);
    assert_eq!(a.org.as_deref(), Some("Meta Platforms, Inc."));
    let json = serde_json::to_string(&b.requests).unwrap();
    assert!(!json.contains("secret-value"), "{json}");
    r.committed(b);
    let end = r.finish();
    assert!(end.requests.is_empty(), "each request is stored once");
    assert_eq!(end.session.stats.requests, 2);
}

#[test]
fn requests_stop_at_max_requests_and_are_counted() {
    let mut r = recorder(&[]);
    r.request_limit = 2;
    r.packet(t(0.0));
    for i in 0..5 {
        r.observe(&request(0.1 * f64::from(i), "www.facebook.com", "/tr/"));
    }
    let b = r.finish();
    assert_eq!(b.requests.len(), 2);
    assert_eq!(b.session.stats.requests, 2);
    assert_eq!(b.session.stats.requests_dropped, 3);
    assert_eq!(MAX_REQUESTS, recorder(&[]).request_limit);
}

#[test]
fn refused_requests_come_again_first() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&request(0.1, "www.facebook.com", "/tr/?a"));
    let b = r.packet(t(1.0)).unwrap();
    r.failed(&b);
    r.observe(&request(1.1, "www.facebook.com", "/tr/?b"));
    let b = r.packet(t(2.0)).unwrap();
    let seqs: Vec<u64> = b.requests.iter().map(|q| q.seq).collect();
    assert_eq!(seqs, [0, 1]);
}

#[test]
fn a_request_to_a_cloaked_name_takes_the_contacts_attribution() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&Observation::DnsChain {
        ts: t(0.0),
        device: PHONE,
        client: "192.168.1.10".parse().unwrap(),
        name: "metrics.example.org".into(),
        chain: vec!["example.sc.omtrdc.net".into()],
    });
    r.observe(&request(0.2, "metrics.example.org", "/b/ss/x"));
    let b = r.finish();
    let q = &b.requests[0];
    assert_eq!(q.org.as_deref(), Some("Adobe Inc."), "{q:?}");
}

#[test]
fn request_csv_has_a_column_per_header_and_no_values() {
    let mut r = recorder(&[]);
    r.packet(t(0.0));
    r.observe(&request(0.1, "www.facebook.com", "/tr/?id=1,2"));
    let b = r.finish();
    let row = request_csv_row(&b.requests[0]);
    assert!(
        row.contains("\"https://www.facebook.com/tr/?id=1,2\""),
        "{row}"
    );
    assert!(row.contains(",_fbp=7776000,fr"), "{row}");
    assert!(!row.contains("secret-value"));
    assert!(row.ends_with(",h2,_fbp=7776000,fr,true"), "{row}");
    assert_eq!(REQUEST_CSV_HEADER.len(), 21);
}
