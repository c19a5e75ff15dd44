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
