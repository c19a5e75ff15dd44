//! Messages say a thing once: an error's cause is not repeated by the chain that prints it,
//! a note is not given twice, and counts agree with their nouns ("1 device").

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};

use common::sporfri;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures")
        .join(name)
}

/// A fresh directory for one test, removed on drop.
fn scratch(name: &str) -> common::Scratch {
    common::scratch(&format!("messages-{name}"))
}

/// `message` names `what` exactly once and repeats none of its `: `-separated clauses.
fn says_once(message: &str, what: &str) {
    assert_eq!(message.matches(what).count(), 1, "{what:?} in {message:?}");
    for line in message.lines() {
        let clauses: Vec<&str> = line.split(": ").collect();
        for (i, c) in clauses.iter().enumerate() {
            assert!(!clauses[i + 1..].contains(c), "{c:?} twice in {line:?}");
        }
    }
}

#[test]
fn a_missing_capture_is_named_once_with_its_cause_once() {
    for args in [
        &["replay", "/nonexistent/x.pcap"][..],
        &["replay", "/nonexistent/x.pcap", "--format", "jsonl"],
        &["extract", "/nonexistent/x.pcap"],
        &["replay", "/nonexistent/x.pcap", "--null"],
    ] {
        let (code, _, err) = sporfri(args);
        assert_eq!(code, 1, "{args:?}: {err}");
        says_once(&err, "No such file or directory");
        says_once(&err, "/nonexistent/x.pcap");
    }
}

#[test]
fn a_missing_signature_directory_says_what_the_system_says_once() {
    let file = capture("wikipedia.pcap");
    let (code, _, err) = sporfri(&[
        "replay",
        file.to_str().unwrap(),
        "--signatures",
        "/nonexistent/signatures",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("entity not found"), "{err}");
    says_once(&err, "No such file or directory");
    let (code, _, err) = sporfri(&["signatures", "check", "--dir", "/nonexistent/signatures"]);
    assert_ne!(code, 0);
    says_once(&err, "No such file or directory");
}

#[test]
fn a_database_that_cannot_be_made_says_why_once() {
    let dir = scratch("notadir");
    let blocker = dir.join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let db = blocker.join("db");
    let file = capture("wikipedia.pcap");
    let (code, out, err) = sporfri(&[
        "replay",
        file.to_str().unwrap(),
        "--label",
        "x",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    says_once(&err, "Not a directory");
    // The analysis still ran: its contacts were printed.
    assert!(out.contains("wikipedia.org"), "{out}");
}

#[test]
fn hidden_ech_is_noted_once() {
    let (code, out, err) = sporfri(&["replay", capture("tls13-ech.pcap").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let row = out.lines().find(|l| l.contains("HIDDEN")).unwrap();
    assert!(row.contains("HIDDEN: ech; 162.159.138.85"), "{row}");
}

#[test]
fn counts_agree_with_their_nouns() {
    let (code, _, err) = sporfri(&["replay", capture("tls13-ech.pcap").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 contacts from 1 device\n"), "{err}");
    let (_, _, err) = sporfri(&["replay", capture("wikipedia.pcap").to_str().unwrap()]);
    assert!(err.contains(" devices\n"), "{err}");
}
