//! Plain HTTP needs no keys: its requests, with the cookies their responses set (names and
//! lifetimes, never values), come out of `replay --requests`, `sessions export --requests` and
//! the report like decrypted ones, marked `encrypted: false`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

const SERVER: [u8; 4] = [203, 0, 113, 80];

/// A LinkedIn pixel over plain HTTP on one pipelined connection: the hit sets `lidc` for a day,
/// a HEAD request's response announces a body it does not carry, a third request is answered
/// with 404 and a fourth gets no response before the capture ends.
fn pixel_capture() -> Scratch {
    let mut p = Pcap::default();
    let (phone, server) = ((PHONE, 40000), (SERVER, 80));
    p.tcp(1.0, phone, server, 0, "S", b"");
    p.tcp(1.01, server, phone, 0, "SA", b"");
    let requests = "GET /collect?pid=42&url=http%3A%2F%2Fa.dk%2F HTTP/1.1\r\n\
                    Host: px.ads.linkedin.com\r\nCookie: bcookie=\"v=2&secret-cookie\"\r\n\
                    Referer: http://a.dk/\r\n\r\n\
                    HEAD /head HTTP/1.1\r\nHost: px.ads.linkedin.com\r\n\r\n\
                    GET /third HTTP/1.1\r\nHost: px.ads.linkedin.com\r\n\r\n\
                    GET /fourth HTTP/1.1\r\nHost: px.ads.linkedin.com\r\n\r\n";
    p.tcp(1.1, phone, server, 1, "AP", requests.as_bytes());
    let responses = "HTTP/1.1 200 OK\r\nDate: Tue, 01 Jan 2030 00:00:00 GMT\r\n\
                     Set-Cookie: lidc=\"secret-value\"; Expires=Wed, 02-Jan-2030 00:00:00 GMT; \
                     domain=.linkedin.com; Path=/; SameSite=None; Secure\r\n\
                     Content-Type: image/gif\r\nContent-Length: 5\r\n\r\nGIF89\
                     HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n\
                     HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    p.tcp(1.2, server, phone, 1, "AP", responses.as_bytes());
    p.write("plain-pixel.pcap")
}

fn run_ok(args: &[&str]) -> String {
    let (code, out, err) = sporfri(args);
    assert_eq!(code, 0, "sporfri {args:?}: {err}");
    assert!(
        !out.contains("secret-value") && !out.contains("secret-cookie"),
        "cookie values are never kept: {out}"
    );
    out
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn plain_http_requests_and_their_cookie_lifetimes_need_no_keys() {
    let file = pixel_capture();
    let out = run_ok(&["replay", file.to_str().unwrap(), "--requests"]);
    let rs = json_lines(&out);
    let urls: Vec<&str> = rs.iter().map(|r| r["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            "http://px.ads.linkedin.com/collect?pid=42&url=http%3A%2F%2Fa.dk%2F",
            "http://px.ads.linkedin.com/head",
            "http://px.ads.linkedin.com/third",
            "http://px.ads.linkedin.com/fourth",
        ]
    );
    let statuses: Vec<&Value> = rs.iter().map(|r| &r["status"]).collect();
    assert_eq!(
        statuses,
        [&200.into(), &200.into(), &404.into(), &Value::Null]
    );
    for r in &rs {
        assert_eq!(
            (&r["http"], &r["encrypted"]),
            (&"http/1.1".into(), &false.into())
        );
        assert_eq!(r["party"], "third");
    }
    let hit = &rs[0];
    assert_eq!(hit["tracker_endpoint"], "linkedin-insight");
    assert_eq!(hit["tracker"]["site_id"], "42");
    assert_eq!(hit["tracker"]["page"], "http://a.dk/");
    assert_eq!(hit["referer"], "http://a.dk/");
    assert_eq!(hit["content_type"], "image/gif");
    assert_eq!(hit["cookies_sent"], serde_json::json!(["bcookie"]));
    let lidc = &hit["set_cookies"][0];
    assert_eq!(lidc["name"], "lidc");
    assert_eq!(lidc["lifetime_s"], 86_400);
    assert_eq!(lidc["domain"], "linkedin.com");
    assert_eq!(
        (&lidc["secure"], &lidc["same_site"]),
        (&true.into(), &"None".into())
    );
    // The contact still names the cookie, as before.
    let contacts = contacts(&file);
    let px = contacts
        .iter()
        .find(|c| c["name"] == "px.ads.linkedin.com")
        .unwrap();
    assert_eq!(px["cookies_set"], serde_json::json!(["lidc"]));
}

fn db(name: &str) -> Scratch {
    scratch(&format!("requests-{name}")).at("db")
}

fn record(db: &Path, file: &Path) {
    run_ok(&[
        "replay",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
        "--label",
        "plain pixel",
        "--db",
        db.to_str().unwrap(),
    ]);
}

#[test]
fn a_session_stores_plain_requests_and_the_report_finds_their_cookies() {
    let (file, db) = (pixel_capture(), db("session"));
    record(&db, &file);
    let db_arg = db.to_str().unwrap();
    let export = run_ok(&["sessions", "export", "1", "--requests", "--db", db_arg]);
    let rs = json_lines(&export);
    assert_eq!(rs.len(), 4);
    assert!(
        rs.iter()
            .all(|r| r["encrypted"] == false && r["http"] == "http/1.1")
    );
    assert_eq!(rs[0]["set_cookies"][0]["lifetime_s"], 86_400);
    assert_eq!(rs[0]["phase"], "before-consent");
    let csv = run_ok(&[
        "sessions",
        "export",
        "1",
        "--requests",
        "--format",
        "csv",
        "--db",
        db_arg,
    ]);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",cookies_sent,encrypted")
    );
    assert!(csv.contains(",lidc=86400,bcookie,false"), "{csv}");
    let report = run_ok(&["report", "1", "--format", "json", "--db", db_arg]);
    let v: Value = serde_json::from_str(&report).unwrap();
    let section = &v["cookies_and_requests"];
    assert_eq!(
        (&section["decrypted_requests"], &section["plain_requests"]),
        (&0.into(), &4.into())
    );
    let f6 = &v["findings"][5];
    assert_eq!(f6["key"], "cookies-before-consent");
    assert_eq!(f6["status"], "observed", "{f6}");
    assert_eq!(f6["cookies"][0]["name"], "lidc");
    assert_eq!(f6["cookies"][0]["encrypted"], false);
    let statement = f6["statement"].as_str().unwrap();
    assert!(
        statement.contains("plain HTTP") && statement.contains("lower bound"),
        "{statement}"
    );
    // Without a reject mark finding 7 does not apply; without any request neither would 6.
    assert_eq!(v["findings"][6]["status"], "not-applicable");
    let md = run_ok(&["report", "1", "--format", "md", "--db", db_arg]);
    assert!(
        md.contains("4 plain-HTTP request(s); none was decrypted"),
        "{md}"
    );
}
