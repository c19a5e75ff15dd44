//! Exit codes as the README states: 0 success; 1 the file could not be read at all (or a
//! session could not be stored); 2 bad arguments, found by clap or after it; 3 a damaged
//! capture whose results before the damage were printed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};

use common::sporfri;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures")
        .join(name)
}

/// `args` are refused as bad arguments, the way clap refuses its own, before any output.
fn bad_arguments(args: &[&str], says: &str) {
    let (code, out, err) = sporfri(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert!(out.is_empty(), "{args:?}: {out}");
    assert!(err.contains(says), "{args:?}: {err}");
}

#[test]
fn bad_arguments_found_after_parsing_exit_2_like_claps_own() {
    let file = capture("wikipedia.pcap");
    let f = file.to_str().unwrap();
    // clap's own, for comparison.
    bad_arguments(&["replay", f, "--format", "xml"], "invalid value 'xml'");
    bad_arguments(
        &["replay", f, "--mark", "consent-rejected@1s"],
        "--mark needs --label",
    );
    bad_arguments(
        &["replay", f, "--mark", "consent-rejected@1s"],
        "Usage: sporfri replay",
    );
    bad_arguments(
        &[
            "replay",
            f,
            "--requests",
            "--label",
            "x",
            "--db",
            "/nonexistent/db",
        ],
        "--requests prints the requests and records nothing",
    );
    bad_arguments(
        &["replay", f, "--site", "no-such-site"],
        "no site profile named",
    );
    bad_arguments(
        &[
            "replay",
            f,
            "--site",
            "no-such-site",
            "--label",
            "x",
            "--db",
            "/nonexistent/db",
        ],
        "no site profile named",
    );
    bad_arguments(
        &[
            "signatures",
            "lookup",
            "example.com",
            "--site",
            "no-such-site",
        ],
        "no site profile named",
    );
    bad_arguments(&["replay", f, "--device", "phone"], "is not a MAC");
    bad_arguments(
        &["mark", "page", "--db", "/nonexistent/db"],
        "a page mark needs its text",
    );
    bad_arguments(&["signatures", "lookup", ""], "is not a host name");
}

/// A minimal pcapng section header block (little-endian, no options).
fn section_header() -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0x0A0D_0D0Au32, 28, 0x1A2B_3C4D] {
        b.extend(v.to_le_bytes());
    }
    b.extend(1u16.to_le_bytes());
    b.extend(0u16.to_le_bytes());
    b.extend((-1i64).to_le_bytes());
    b.extend(28u32.to_le_bytes());
    b
}

#[test]
fn a_file_with_a_damaged_header_and_no_packet_could_not_be_read() {
    let good = section_header();
    let mut bad_length = good.clone();
    bad_length[4..8].copy_from_slice(&0xffffu32.to_le_bytes());
    let mut bad_order = good.clone();
    bad_order[8..12].copy_from_slice(&[1, 2, 3, 4]);
    // A sound section header, then an interface block cut short: still no packet.
    let mut cut_interface = good.clone();
    cut_interface.extend(1u32.to_le_bytes());
    cut_interface.extend(20u32.to_le_bytes());
    let pcap_header = &std::fs::read(capture("wikipedia.pcap")).unwrap()[..20];
    for (name, bytes) in [
        ("bad-length.pcapng", &bad_length[..]),
        ("bad-order.pcapng", &bad_order[..]),
        ("short-header.pcapng", &good[..20]),
        ("cut-interface.pcapng", &cut_interface[..]),
        ("short-header.pcap", pcap_header),
    ] {
        let path = common::temp_file(name, bytes);
        let (code, _, err) = sporfri(&["replay", path.to_str().unwrap()]);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(err.contains(name), "the file is named: {err}");
        let (code, _, err) = sporfri(&["extract", path.to_str().unwrap()]);
        assert_eq!(code, 1, "{name}: {err}");
    }
    // A header and nothing else is an empty capture, not a damaged one.
    let path = common::temp_file("empty.pcapng", &good);
    let (code, _, err) = sporfri(&["replay", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn damage_after_the_first_packet_is_a_damaged_capture() {
    let data = std::fs::read(capture("wikipedia.pcap")).unwrap();
    let path = common::temp_file("cut.pcap", &data[..data.len() / 2]);
    let (code, out, err) = sporfri(&["replay", "--format", "jsonl", path.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(!out.is_empty());
    assert!(
        err.contains("cut.pcap: capture truncated at byte offset"),
        "{err}"
    );
}

/// `sporfri args` with standard output a pipe whose reader is already gone: the exit status
/// and what it wrote to stderr.
fn with_stdout_gone(args: &[&str]) -> (Option<i32>, String) {
    // The write end of a pipe whose only reader, `true`, has exited.
    let mut gone = std::process::Command::new("true")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let writer = gone.stdin.take().unwrap();
    gone.wait().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .env("SPORFRI_SIGNATURES_OVERLAY", "/nonexistent/sporfri-overlay")
        .args(args)
        .stdout(writer)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `sporfri … | head`: the reader leaving is no failure and no panic, and a recording made
/// meanwhile is stored whole.
#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-borger-home.pcapng");
    let lab = lab.to_str().unwrap();
    let dir = common::scratch("stdout-gone");
    let db = dir.join("db");
    let db = db.to_str().unwrap();
    for args in [
        &[
            "replay", lab, "--label", "piped", "--format", "jsonl", "--db", db,
        ][..],
        &["replay", lab],
        &["signatures", "lookup", "www.google-analytics.com"],
        &["signatures", "check"],
        &["doctor"],
        &["sessions", "list", "--db", db],
        &["sessions", "export", "1", "--db", db],
        &["sessions", "export", "1", "--bundle", "-", "--db", db],
        &["report", "1", "--db", db],
        &["survey", "--db", db, "--format", "csv"],
    ] {
        let (code, stderr) = with_stdout_gone(args);
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
    let (code, list, _) = sporfri(&["sessions", "list", "--db", db]);
    assert_eq!(code, 0);
    assert!(
        list.lines()
            .any(|l| l.contains("ended") && l.contains("20") && l.ends_with("piped")),
        "the recording made while stdout was gone is not stored whole:\n{list}"
    );
    // Whatever else fails still says so.
    let (code, stderr) = with_stdout_gone(&["sessions", "list", "--db", "/nonexistent/db"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no database"), "{stderr}");
}
