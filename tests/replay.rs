//! `sporfri replay` end to end: generated captures for each behaviour, real ones for the rest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::Path;

use common::*;

const SERVER: [u8; 4] = [93, 184, 216, 34];

fn bundled() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/zeek-mix.pcapng")
}

fn shared(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures")
        .join(name)
}

#[test]
fn dns_answer_names_a_flow_that_carries_no_name() {
    let mut p = Pcap::default();
    p.udp(
        0.0,
        (PHONE, 40000),
        (RESOLVER, 53),
        &dns_query(7, "www.example.dk"),
    );
    p.udp(
        0.01,
        (RESOLVER, 53),
        (PHONE, 40000),
        &dns_answer(7, "www.example.dk", Some("edge.cdn.example"), SERVER),
    );
    // A TCP connection to the answered address that never says its name (SSH-like).
    p.tcp(0.1, (PHONE, 50000), (SERVER, 22), 100, "S", &[]);
    p.tcp(0.11, (SERVER, 22), (PHONE, 50000), 900, "SA", &[]);
    p.tcp(
        0.12,
        (PHONE, 50000),
        (SERVER, 22),
        101,
        "A",
        b"SSH-2.0-OpenSSH_9.6 hello there",
    );
    let c = contacts(&p.write("dns-cache.pcap"));
    let web = find(&c, "www.example.dk");
    assert_eq!(web["via"], serde_json::json!(["dns", "dns-cache"]));
    assert_eq!(web["flows"], 1);
    assert_eq!(web["server_ips"], serde_json::json!(["93.184.216.34"]));
    assert_eq!(web["device"], "02:11:22:33:44:55");
    assert_eq!(web["client_ip"], "192.168.50.10");
    assert!(web["bytes_up"].as_u64().unwrap() > 100);
    assert!(web["bytes_down"].as_u64().unwrap() > 0);
    assert_eq!(web["first_seen"], "2023-11-14T22:13:20.000000Z");
    // The resolver is not a contact; the device lists it.
    assert!(c.iter().all(|x| x["name"] != "192.168.50.1"));
}

#[test]
fn a_flow_without_any_name_is_shown_by_address() {
    let mut p = Pcap::default();
    p.tcp(0.0, (PHONE, 50001), (SERVER, 443), 1, "S", &[]);
    let c = contacts(&p.write("no-name.pcap"));
    let ip = find(&c, "93.184.216.34");
    assert_eq!(ip["via"], serde_json::json!(["ip"]));
    assert_eq!(ip["flows"], 1);
}

#[test]
fn http_cookies_are_named_never_valued() {
    let mut p = Pcap::default();
    let req =
        b"GET /px.gif?u=1 HTTP/1.1\r\nHost: Tracker.Example:8080\r\nCookie: uid=SECRET1\r\n\r\n";
    let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nSet-Cookie: uid=SECRET2; Max-Age=999\r\nSet-Cookie: seen=1\r\n\r\nGIF";
    p.tcp(0.0, (PHONE, 50002), (SERVER, 8080), 10, "S", &[]);
    p.tcp(0.01, (SERVER, 8080), (PHONE, 50002), 500, "SA", &[]);
    p.tcp(0.02, (PHONE, 50002), (SERVER, 8080), 11, "AP", req);
    p.tcp(0.03, (SERVER, 8080), (PHONE, 50002), 501, "AP", resp);
    let path = p.write("cookies.pcap");
    let c = contacts(&path);
    let t = find(&c, "tracker.example");
    assert_eq!(t["via"], serde_json::json!(["http"]));
    assert_eq!(t["cookie_sent"], true);
    assert_eq!(t["cookies_set"], serde_json::json!(["seen", "uid"]));
    let (_, table, _) = sporfri(&["replay", path.to_str().unwrap()]);
    let (_, jsonl, _) = sporfri(&["replay", "--format", "jsonl", path.to_str().unwrap()]);
    for out in [table, jsonl] {
        assert!(!out.contains("SECRET"), "a cookie value leaked: {out}");
    }
    let (_, extract, _) = sporfri(&["extract", path.to_str().unwrap()]);
    assert_eq!(extract, "http\tTracker.Example:8080\n");
}

#[test]
fn tcp_port_reuse_starts_a_new_flow() {
    let mut p = Pcap::default();
    for (i, t) in [0.0, 10.0].iter().enumerate() {
        let seq = 1000 * (i as u32 + 1);
        p.tcp(*t, (PHONE, 50003), (SERVER, 80), seq, "S", &[]);
        p.tcp(t + 0.01, (SERVER, 80), (PHONE, 50003), 9, "SA", &[]);
        p.tcp(
            t + 0.02,
            (PHONE, 50003),
            (SERVER, 80),
            seq + 1,
            "AP",
            b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n",
        );
        p.tcp(t + 0.03, (PHONE, 50003), (SERVER, 80), seq + 36, "AF", &[]);
        p.tcp(t + 0.04, (SERVER, 80), (PHONE, 50003), 10, "AF", &[]);
    }
    let c = contacts(&p.write("reuse.pcap"));
    let a = find(&c, "a.example");
    assert_eq!(a["flows"], 2);
    assert_eq!(a["http_requests"], 2);
}

#[test]
fn pipelined_requests_all_count() {
    let c = contacts(&shared("pipelined-requests.pcap"));
    // tshark counts five requests on this connection.
    assert_eq!(find(&c, "www.mozilla.org")["http_requests"], 5);
}

#[test]
fn quic_tls_ech_and_local_names_on_the_bundled_capture() {
    let c = contacts(&bundled());
    let ads = find(&c, "googleads.g.doubleclick.net");
    assert_eq!(ads["via"], serde_json::json!(["quic"]));
    assert_eq!(ads["ech"], "grease");
    let lh3 = find(&c, "lh3.google.com");
    assert_eq!(lh3["via"], serde_json::json!(["tls"]));
    assert_eq!(lh3["ech"], "grease");
    assert_eq!(find(&c, "cloudflare-ech.com")["ech"], "real");
    let mdns = find(&c, "gemini._sftp-ssh._tcp.local");
    assert_eq!(mdns["scope"], "local");
    assert_eq!(mdns["via"], serde_json::json!(["mdns"]));
    let web = find(&c, "upload.wikimedia.org");
    assert_eq!(web["via"], serde_json::json!(["dns", "http"]));
    assert_eq!(web["scope"], "internet");
    for contact in &c {
        for field in [
            "device",
            "client_ip",
            "name",
            "via",
            "first_seen",
            "last_seen",
            "flows",
            "bytes_up",
            "bytes_down",
            "server_ips",
            "ech",
        ] {
            assert!(contact.get(field).is_some(), "{field} missing in {contact}");
        }
    }
}

#[test]
fn jsonl_output_is_stable() {
    let (code, out, err) = sporfri(&["replay", "--format", "jsonl", bundled().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/zeek-mix.jsonl");
    if std::env::var_os("SPORFRI_BLESS").is_some() {
        std::fs::write(&golden, &out).unwrap();
    }
    assert_eq!(
        out,
        std::fs::read_to_string(golden).unwrap(),
        "set SPORFRI_BLESS=1 to accept"
    );
}

#[test]
fn standard_input_gives_what_the_file_gives() {
    // `tcpdump -w - | sporfri replay -`: framed on the caller's thread, not ahead of it.
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .args(["replay", "--format", "jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(bundled()).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        // In pieces, as a pipe delivers them.
        for piece in bytes.chunks(1000) {
            stdin.write_all(piece).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(out.status.success());
    let (_, from_file, _) = sporfri(&["replay", "--format", "jsonl", bundled().to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), from_file);
}

#[test]
fn table_groups_by_device() {
    let (code, out, _) = sporfri(&["replay", bundled().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("device 00:24:7e:e0:1d:b5  ips 141.142.220.118  dns via 141.142.2.2"));
    assert!(out.contains("-- local network"));
    assert!(
        out.lines()
            .any(|l| l.contains("googleads.g.doubleclick.net") && l.contains("quic"))
    );
}

/// `--color always` colours even into a pipe (and despite NO_COLOR, as an explicit flag
/// should); `never` and `auto` into a pipe never do; the text is the same but for the escapes.
#[test]
fn table_colours_only_when_asked() {
    let file = bundled();
    let file = file.to_str().unwrap();
    let (code, always, _) = sporfri(&["replay", "--color", "always", file]);
    assert_eq!(code, 0);
    assert!(always.contains("\x1b[1;33mthird\x1b[0m"), "{always}");
    let (_, never, _) = sporfri(&["replay", "--color", "never", file]);
    let (_, auto, _) = sporfri(&["replay", file]);
    assert!(!never.contains('\x1b') && !auto.contains('\x1b'));
    assert_eq!(auto, never);
    let plain: String = always
        .split("\x1b[")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once('m').map_or("", |(_, t)| t)
            }
        })
        .collect();
    assert_eq!(plain, never);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .env("SPORFRI_SIGNATURES_OVERLAY", "/nonexistent/sporfri-overlay")
        .env("NO_COLOR", "1")
        .args(["replay", "--color", "always", file])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn a_truncated_capture_keeps_what_came_before_and_names_the_offset() {
    let data = std::fs::read(bundled()).unwrap();
    let cut = &data[..data.len() - 100];
    let path = temp_file("cut.pcapng", cut);
    let (code, out, err) = sporfri(&["replay", "--format", "jsonl", path.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("truncated at byte offset"), "{err}");
    assert!(
        out.contains("upload.wikimedia.org"),
        "results before the damage are printed"
    );
    let (code, out, _) = sporfri(&["extract", path.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(out.contains("dns\tmeta.wikimedia.org"));
}

#[test]
fn not_a_capture_is_a_clear_error() {
    let path = temp_file("text.pcap", b"hello, this is not a capture");
    let (code, out, err) = sporfri(&["replay", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("not a pcap or pcapng file"), "{err}");
    let (code, _, err) = sporfri(&["replay", "/nonexistent/file.pcap"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/file.pcap"), "{err}");
}

#[test]
fn dns_over_tcp_split_over_segments_is_read() {
    let c = contacts(&shared("tkey.pcap"));
    let q = find(
        &c,
        "1068-ms-7.309-2c6e448.7a9463b8-b109-11ed-26a3-080027f220e5",
    );
    assert_eq!(q["via"], serde_json::json!(["dns"]));
}

#[test]
fn dhcp_names_the_device() {
    let (code, out, _) = sporfri(&["replay", shared("Teredo.pcap").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("device 00:1a:e9:9d:53:b7 \"Wii\""), "{out}");
}
