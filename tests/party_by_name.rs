//! Issue 15 on captures: the party comes from the name whatever the addresses (the lab's
//! real-browser captures renumbered onto private ranges), blocked lookups are findings (DNS
//! answers built byte by byte as Pi-hole, AdGuard Home and NextDNS send them), and a CDN in a
//! CNAME chain is never cloaked tracking.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::renumber::{Move, checksums_ok, renumber};
use common::{PHONE, Pcap, RESOLVER, dns_answer, dns_query, scratch, sporfri, temp_file};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lab(name: &str) -> PathBuf {
    root().join("captures").join(name)
}

/// The lab's servers (203.0.113.0/24, 2001:db8:113::/48) and resolver (198.51.100.0/24) on
/// RFC 1918 / RFC 4193 addresses, as a lab, a staging mirror or split-horizon DNS puts them.
fn private_moves() -> Vec<Move> {
    vec![
        Move::new(&[203, 0, 113], &[10, 0, 113]),
        Move::new(&[198, 51, 100], &[10, 0, 100]),
        Move::new(
            &[0x20, 0x01, 0x0d, 0xb8, 0x01, 0x13],
            &[0xfd, 0x00, 0x0d, 0xb8, 0x01, 0x13],
        ),
    ]
}

fn jsonl(args: &[&str]) -> Vec<Value> {
    let (code, out, err) = sporfri(args);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Contacts of `pcap` by name, attributed with the lab's site profile.
fn lab_contacts(pcap: &Path) -> BTreeMap<String, Value> {
    let sigs = root().join("tests/lab/signatures");
    let args = [
        "replay",
        "--format",
        "jsonl",
        "--signatures",
        sigs.to_str().unwrap(),
        "--site",
        "borger.test",
        pcap.to_str().unwrap(),
    ];
    by_name(&jsonl(&args))
}

/// Issue 15.1: on the lab's captures with the servers on 10.x and fd00::, every contact keeps
/// the party, organisation, category and cloaking it has on public addresses, its scope stays
/// internet, and the names that reached a server say `resolved_private`.
#[test]
fn regression_lab_on_private_addresses_keeps_every_party_and_org() {
    for capture in ["lab-borger-home.pcapng", "lab-borger-login.pcapng"] {
        let original = std::fs::read(lab(capture)).unwrap();
        assert!(
            checksums_ok(&original),
            "{capture}: the lab writes real checksums"
        );
        let (moved, changed) = renumber(&original, &private_moves());
        assert!(changed.headers > 100, "{capture}: {changed:?}");
        assert!(changed.payload_addresses > 10, "{capture}: {changed:?}");
        assert!(
            checksums_ok(&moved),
            "{capture}: checksums after renumbering"
        );
        let private = temp_file(&format!("private-{capture}"), &moved);
        let before = lab_contacts(&lab(capture));
        let after = lab_contacts(&private);
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "{capture}: the same names"
        );
        let mut trackers = 0;
        for (name, b) in &before {
            let a = &after[name];
            for field in [
                "party", "org", "category", "service", "cloaked", "scope", "blocked",
            ] {
                assert_eq!(a[field], b[field], "{capture} {name}: {field}");
            }
            let reached = a["flows"].as_u64().unwrap() > 0;
            assert_eq!(a["resolved_private"], reached, "{capture} {name}");
            assert_eq!(b["resolved_private"], false, "{capture} {name}");
            if a["party"] == "third" {
                trackers += 1;
            }
        }
        assert!(trackers >= 4, "{capture}: {trackers} third parties");
        if capture == "lab-borger-home.pcapng" {
            let adobe = &after["metrics.borger.test"];
            assert_eq!(adobe["org"], "Adobe Inc.");
            assert_eq!(adobe["cloaked"]["target"], "borger.sc.omtrdc.net");
            assert_eq!(after["region1.google-analytics.com"]["party"], "third");
            assert_eq!(after["connect.facebook.net"]["org"], "Meta Platforms, Inc.");
        }
    }
}

/// The same capture's report: finding 1 lists the same third parties on private addresses.
#[test]
fn report_on_private_addresses_lists_every_tracker_in_finding_1() {
    let original = std::fs::read(lab("lab-borger-home.pcapng")).unwrap();
    let (moved, _) = renumber(&original, &private_moves());
    let private = temp_file("report-private.pcapng", &moved);
    let sigs = root().join("tests/lab/signatures");
    let mut finding_1 = Vec::new();
    for pcap in [lab("lab-borger-home.pcapng"), private.to_path_buf()] {
        let db = scratch("party-db").at("db");
        let (code, _, err) = sporfri(&[
            "replay",
            pcap.to_str().unwrap(),
            "--label",
            "private",
            "--site",
            "borger.test",
            "--signatures",
            sigs.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = sporfri(&[
            "report",
            "1",
            "--format",
            "json",
            "--db",
            db.to_str().unwrap(),
            "--signatures",
            sigs.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let report: Value = serde_json::from_str(&out).unwrap();
        let mut names: Vec<(String, String)> = report["findings"][0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["name"].as_str().unwrap().to_owned(), i["org"].to_string()))
            .collect();
        names.sort();
        finding_1.push(names);
    }
    assert!(finding_1[0].len() >= 10, "{:?}", finding_1[0]);
    assert_eq!(finding_1[0], finding_1[1]);
}

/// A DNS response to `name` of type `qtype` with `rcode` and the given answer records
/// (type, rdata), RA set, as a resolver sends it.
fn response(id: u16, name: &str, qtype: u16, rcode: u8, answers: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut v = id.to_be_bytes().to_vec();
    v.extend_from_slice(&[0x81, 0x80 | rcode, 0, 1, 0, answers.len() as u8, 0, 0, 0, 0]);
    for label in name.split('.') {
        v.push(label.len() as u8);
        v.extend_from_slice(label.as_bytes());
    }
    v.push(0);
    v.extend_from_slice(&qtype.to_be_bytes());
    v.extend_from_slice(&[0, 1]);
    for (rtype, rdata) in answers {
        v.extend_from_slice(&[0xc0, 12]);
        v.extend_from_slice(&rtype.to_be_bytes());
        v.extend_from_slice(&[0, 1, 0, 0, 0, 2]);
        v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        v.extend_from_slice(rdata);
    }
    v
}

fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut v = dns_query(id, name);
    let n = v.len();
    v[n - 4..n - 2].copy_from_slice(&qtype.to_be_bytes());
    v
}

const A: u16 = 1;
const AAAA: u16 = 28;
const HTTPS: u16 = 65;

/// One lookup: the query from the phone and the resolver's answer (`rcode`, `answers`), 1 ms
/// later.
fn lookup(p: &mut Pcap, t: f64, id: u16, q: (&str, u16), rcode: u8, answers: &[(u16, Vec<u8>)]) {
    let (name, qtype) = q;
    let (phone, resolver) = ((PHONE, 40_000 + id), (RESOLVER, 53));
    p.udp(t, phone, resolver, &query(id, name, qtype));
    let answer = response(id, name, qtype, rcode, answers);
    p.udp(t + 0.001, resolver, phone, &answer);
}

/// An A record's type and data.
fn a(octets: [u8; 4]) -> (u16, Vec<u8>) {
    (A, octets.to_vec())
}

fn by_name(contacts: &[Value]) -> BTreeMap<String, Value> {
    contacts
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_owned(), c.clone()))
        .collect()
}

/// Issue 15.2 with answers built byte by byte: each blocker mode makes a blocked contact that
/// is still attributed; ordinary answers do not.
#[test]
fn blocked_lookups_from_byte_literal_answers() {
    let mut p = Pcap::default();
    let v6 = |s: &str| {
        (
            AAAA,
            s.parse::<std::net::Ipv6Addr>().unwrap().octets().to_vec(),
        )
    };
    // Pi-hole NULL / AdGuard Home default / NextDNS: 0.0.0.0 and ::.
    let ga = "www.google-analytics.com";
    lookup(&mut p, 1.0, 1, (ga, A), 0, &[a([0, 0, 0, 0])]);
    lookup(&mut p, 1.1, 2, (ga, AAAA), 0, &[v6("::")]);
    lookup(&mut p, 1.2, 3, (ga, HTTPS), 0, &[]);
    // Pi-hole / AdGuard Home NXDOMAIN mode.
    let fb = "connect.facebook.net";
    lookup(&mut p, 2.0, 4, (fb, A), 3, &[]);
    lookup(&mut p, 2.1, 5, (fb, AAAA), 3, &[]);
    // AdGuard Home REFUSED mode.
    let li = "snap.licdn.com";
    lookup(&mut p, 3.0, 6, (li, A), 5, &[]);
    // A hosts file: 127.0.0.1.
    let hj = "static.hotjar.com";
    lookup(&mut p, 3.5, 7, (hj, A), 0, &[a([127, 0, 0, 1])]);
    // NXDOMAIN for AAAA but a real A answer: not blocked.
    let sc = "b.scorecardresearch.com";
    lookup(&mut p, 4.0, 8, (sc, AAAA), 3, &[]);
    lookup(&mut p, 4.1, 9, (sc, A), 0, &[a([93, 184, 216, 34])]);
    // Chromium's HTTPS question answered NOERROR and empty, with a real A: not blocked.
    let yt = "i.ytimg.com";
    lookup(&mut p, 5.0, 10, (yt, HTTPS), 0, &[]);
    lookup(&mut p, 5.1, 11, (yt, A), 0, &[a([142, 250, 74, 46])]);
    // Split-horizon DNS: a private answer is an answer, not a block.
    let gtm = "www.googletagmanager.com";
    lookup(&mut p, 6.0, 12, (gtm, A), 0, &[a([10, 0, 113, 30])]);
    // A blocked answer first, then the real one (the blocker was switched off): not blocked.
    let cb = "consent.cookiebot.com";
    lookup(&mut p, 7.0, 13, (cb, A), 0, &[a([0, 0, 0, 0])]);
    lookup(&mut p, 7.5, 14, (cb, A), 0, &[a([5, 9, 110, 1])]);
    let path = p.write("blocked.pcap");
    let c = by_name(&common::contacts(&path));
    let blocked = |n: &str| c[n]["blocked"].as_str().map(str::to_owned);
    assert_eq!(blocked(ga).as_deref(), Some("sinkhole"));
    assert_eq!(c[ga]["blocked_answer"]["qtype"], "A");
    assert_eq!(c[ga]["blocked_answer"]["rcode"], "NOERROR");
    assert_eq!(c[ga]["blocked_answer"]["addresses"][0], "0.0.0.0");
    assert_eq!(c[ga]["blocked_answer"]["resolver"], "192.168.50.1");
    assert_eq!(blocked(fb).as_deref(), Some("nxdomain"));
    assert_eq!(blocked(li).as_deref(), Some("refused"));
    assert_eq!(blocked(hj).as_deref(), Some("sinkhole"));
    for n in [sc, yt, gtm, cb] {
        assert_eq!(c[n]["blocked"], Value::Null, "{n}");
        assert_eq!(c[n]["blocked_answer"], Value::Null, "{n}");
    }
    // Blocked or not, each is attributed by its name.
    assert_eq!(c[ga]["party"], "third");
    assert_eq!(c[ga]["org"], "Google LLC");
    assert_eq!(c[fb]["org"], "Meta Platforms, Inc.");
    assert_eq!(c[gtm]["resolved_private"], true);
    assert_eq!(c[gtm]["scope"], "internet");
    assert_eq!(c[hj]["resolved_private"], true, "127.0.0.1 is loopback");
    // The table says it too.
    let (code, out, err) = sporfri(&["replay", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.contains(ga)).unwrap();
    assert!(
        line.contains("BLOCKED sinkhole: A 0.0.0.0 from 192.168.50.1"),
        "{line}"
    );
    let line = out.lines().find(|l| l.contains(gtm)).unwrap();
    assert!(line.contains("private address"), "{line}");
}

/// Issue 15.6 on the wire: a real CDN chain (www.weibo.com → CDNetworks) is not cloaked; the
/// lab's Adobe chain is.
#[test]
fn a_cdn_cname_chain_is_not_cloaked_an_adobe_one_is() {
    let mut p = Pcap::default();
    let weibo = "www.weibo.com";
    p.udp(1.0, (PHONE, 40_001), (RESOLVER, 53), &dns_query(1, weibo));
    let chain = dns_answer(1, weibo, Some("www.weibo.com.cdngc.net"), [121, 194, 7, 1]);
    p.udp(1.001, (RESOLVER, 53), (PHONE, 40_001), &chain);
    let metrics = "metrics.borger.test";
    p.udp(2.0, (PHONE, 40_002), (RESOLVER, 53), &dns_query(2, metrics));
    let chain = dns_answer(2, metrics, Some("borger.sc.omtrdc.net"), [10, 0, 113, 20]);
    p.udp(2.001, (RESOLVER, 53), (PHONE, 40_002), &chain);
    let c = lab_contacts(&p.write("cdn-chain.pcap"));
    assert_eq!(c[weibo]["cname_chain"][0], "www.weibo.com.cdngc.net");
    assert_eq!(c[weibo]["cloaked"], Value::Null);
    assert_ne!(c[weibo]["category"], "session-replay");
    assert_eq!(c[metrics]["cloaked"]["target"], "borger.sc.omtrdc.net");
    assert_eq!(c[metrics]["org"], "Adobe Inc.");
    assert_eq!(c[metrics]["party"], "third");
    assert_eq!(c[metrics]["resolved_private"], true);
}

/// Sessions stored before issue 15 have no `resolved_private`, `blocked`, `blocked_answer` or
/// `browser_background`: they still load, with the fields empty.
#[test]
fn contacts_stored_before_these_fields_still_load() {
    let old = r#"{"session":1,"phase":"before-consent","device":"02:00:00:00:00:01",
        "client_ip":"192.168.1.2","client_ips":[],"name":"a.example","scope":"internet",
        "via":["dns"],"first_seen":"2023-11-14T22:13:20.000000Z",
        "last_seen":"2023-11-14T22:13:21.000000Z","flows":0,"bytes_up":0,"bytes_down":0,
        "server_ips":[],"server_ports":[],"cname_chain":[],"ech":null,"dns_queries":1,
        "http_requests":0,"cookie_sent":false,"cookies_set":[],"org":null,"service":null,
        "category":null,"party":"third","matched":null,"declared":null,"cloaked":null,
        "hidden":null,"evidence":[]}"#;
    let r: sporfri::session::ContactRecord = serde_json::from_str(old).unwrap();
    assert!(!r.resolved_private);
    assert_eq!(r.blocked, None);
    assert_eq!(r.blocked_answer, None);
    assert_eq!(r.attribution.browser_background, None);
}
