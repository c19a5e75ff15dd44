//! QUIC of every version on the generated captures (`tests/captures/gen-quic-*.pcap`, built by
//! `src/wire/quic/generated.rs` from the specifications): each flow is named by the server
//! name its first packets carry, and what cannot be read is a hidden contact, in the contacts
//! and in the report.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures")
        .join(name)
}

fn quic_names(file: &str) -> Vec<String> {
    let mut names: Vec<String> = contacts(&capture(file))
        .iter()
        .filter(|c| c["via"] == serde_json::json!(["quic"]))
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_version_names_its_contact_over_quic() {
    let mut ietf: Vec<String> = (21..=34)
        .map(|d| format!("draft-{d}.quic.example"))
        .collect();
    ietf.extend(["v1.quic.example".to_owned(), "v2.quic.example".to_owned()]);
    ietf.sort();
    assert_eq!(quic_names("gen-quic-ietf.pcap"), ietf);
    let mvfst: Vec<String> = ["001", "002", "003", "00e", "010", "011", "013"]
        .iter()
        .map(|v| format!("faceb{v}.mvfst.example"))
        .collect();
    assert_eq!(quic_names("gen-quic-mvfst.pcap"), mvfst);
    let google: Vec<String> = ["q043", "q046", "q050", "t050", "t051"]
        .iter()
        .map(|v| format!("{v}.gquic.example"))
        .collect();
    assert_eq!(quic_names("gen-quic-google.pcap"), google);
    let coalesced = quic_names("gen-quic-coalesced.pcap");
    for name in [
        "after-version-negotiation.quic.example",
        "coalesced-0rtt.quic.example",
        "coalesced-handshake.quic.example",
        "coalesced.mvfst.example",
        "long-cids.quic.example",
    ] {
        assert!(coalesced.iter().any(|n| n == name), "{name}: {coalesced:?}");
    }
}

#[test]
fn quic_that_cannot_be_read_is_a_hidden_contact_named_from_dns() {
    let c = contacts(&capture("gen-quic-unreadable.pcap"));
    for (name, version) in [
        ("draft20.unreadable.example", "0xff000014"),
        ("q039.unreadable.example", "0x51303339"),
        ("v2-draft.unreadable.example", "0x709a50c4"),
    ] {
        let contact = find(&c, name);
        assert_eq!(contact["hidden"], "quic-unreadable", "{contact}");
        assert_eq!(contact["via"], serde_json::json!(["dns", "dns-cache"]));
        assert_eq!(contact["quic_unreadable"], serde_json::json!([version]));
    }
    let bare = find(&c, "192.0.2.71");
    assert_eq!(bare["hidden"], "quic-unreadable");
    assert_eq!(bare["via"], serde_json::json!(["ip"]));
    // Readable QUIC is never marked, nor a flow whose GREASE version a readable retry after
    // Version Negotiation followed.
    for file in ["gen-quic-google.pcap", "gen-quic-coalesced.pcap"] {
        let read = contacts(&capture(file));
        assert!(read.iter().all(|c| c["hidden"].is_null()), "{read:?}");
        assert!(read.iter().all(|c| c.get("quic_unreadable").is_none()));
    }
}

#[test]
fn the_report_counts_unreadable_quic_among_what_the_capture_could_not_see() {
    let dir = scratch("quic");
    let db = dir.join("db");
    let file = capture("gen-quic-unreadable.pcap");
    let (code, _, err) = sporfri(&[
        "replay",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
        "--label",
        "unreadable quic",
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
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let hidden = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "hidden")
        .expect("the hidden finding");
    let items = hidden["items"].as_array().unwrap();
    let unreadable: Vec<&str> = items
        .iter()
        .filter(|i| {
            i["detail"]
                .as_str()
                .unwrap_or("")
                .starts_with("hidden: quic-unreadable")
        })
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(unreadable.len(), 4, "{items:#?}");
    assert!(unreadable.contains(&"draft20.unreadable.example"));
    assert!(
        hidden["statement"]
            .as_str()
            .unwrap()
            .contains("quic-unreadable 4"),
        "{}",
        hidden["statement"]
    );
}
