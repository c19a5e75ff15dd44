//! `replay` with several files reads them as one capture, in time order, each with its own
//! secrets; `--device` shows one device's contacts without recording.

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
    common::scratch(&format!("multi-{name}"))
}

/// A little-endian microsecond pcap split into `parts` files, packet `i` going to file
/// `i % parts`: every file spans the whole capture, so only a merge by time restores it.
fn deal(pcap: &[u8], parts: usize, dir: &Path) -> Vec<PathBuf> {
    assert_eq!(pcap[..4], [0xd4, 0xc3, 0xb2, 0xa1]);
    let mut files: Vec<Vec<u8>> = vec![pcap[..24].to_vec(); parts];
    let (mut at, mut i) = (24, 0);
    while at + 16 <= pcap.len() {
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        files[i % parts].extend_from_slice(&pcap[at..at + 16 + caplen]);
        at += 16 + caplen;
        i += 1;
    }
    files
        .into_iter()
        .enumerate()
        .map(|(n, bytes)| {
            let path = dir.join(format!("part{n}.pcap"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect()
}

fn replay(files: &[&Path], extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["replay", "--format", "jsonl"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.extend_from_slice(extra);
    sporfri(&args)
}

#[test]
fn files_dealt_packet_by_packet_merge_back_into_the_capture() {
    let dir = scratch("deal");
    let whole = capture("wikipedia.pcap");
    let parts = deal(&std::fs::read(&whole).unwrap(), 3, &dir);
    let (code, expected, err) = replay(&[&whole], &[]);
    assert_eq!(code, 0, "{err}");
    // Given in any order: time decides.
    let (code, merged, err) = replay(&[&parts[2], &parts[0], &parts[1]], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(merged, expected);
    assert!(err.contains("136 packets"), "{err}");
    // One part alone is not the capture (the merge is doing the work).
    let (_, alone, _) = replay(&[&parts[0]], &[]);
    assert_ne!(alone, expected);
    // A session is one capture file (its SHA-256 is the evidence): several are refused.
    let (code, _, err) = replay(
        &[&parts[0], &parts[1]],
        &["--label", "x", "--db", "/nonexistent/db"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(!Path::new("/nonexistent/db").exists());
}

#[test]
fn a_damaged_file_is_named_and_the_others_are_read_to_the_end() {
    let dir = scratch("damaged");
    let parts = deal(&std::fs::read(capture("wikipedia.pcap")).unwrap(), 2, &dir);
    let cut = std::fs::read(&parts[1]).unwrap();
    std::fs::write(&parts[1], &cut[..cut.len() / 3]).unwrap();
    let (code, out, err) = replay(&[&parts[0], &parts[1]], &[]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&format!("{}: capture truncated", parts[1].display())),
        "{err}"
    );
    // Every packet of the sound file was analysed, after the damage in the other too.
    let (_, first_alone, _) = replay(&[&parts[0]], &[]);
    for line in first_alone.lines() {
        let c: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(out.contains(c["name"].as_str().unwrap()), "{}", c["name"]);
    }
    // A file that cannot be opened fails the run, naming it.
    let missing = dir.join("missing.pcap");
    let (code, _, err) = replay(&[&parts[0], &missing], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.pcap: No such file"), "{err}");
}

/// A little-endian pcapng split into files of `chunk` packet blocks each: every file gets the
/// section and interface blocks, only the first the Decryption Secrets Block.
fn split_pcapng(pcapng: &[u8], chunk: usize, dir: &Path) -> Vec<PathBuf> {
    let (mut head, mut secrets, mut packets) = (Vec::new(), Vec::new(), Vec::new());
    let mut at = 0;
    while at + 8 <= pcapng.len() {
        let kind = u32::from_le_bytes(pcapng[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(pcapng[at + 4..at + 8].try_into().unwrap()) as usize;
        let block = &pcapng[at..at + len];
        match kind {
            6 => packets.push(block),
            10 => secrets.extend_from_slice(block),
            _ => head.extend_from_slice(block),
        }
        at += len;
    }
    packets
        .chunks(chunk)
        .enumerate()
        .map(|(n, blocks)| {
            let mut file = head.clone();
            if n == 0 {
                file.extend_from_slice(&secrets);
            }
            blocks.iter().for_each(|b| file.extend_from_slice(b));
            let path = dir.join(format!("part{n}.pcapng"));
            std::fs::write(&path, file).unwrap();
            path
        })
        .collect()
}

#[test]
fn each_files_secrets_decrypt_the_merged_capture() {
    let dir = scratch("secrets");
    let whole = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-borger-home.pcapng");
    // The secrets are in the first file, the TLS of later connections in the others.
    let mut parts = split_pcapng(&std::fs::read(&whole).unwrap(), 200, &dir);
    assert!(parts.len() >= 3, "{parts:?}");
    parts.reverse();
    let requests = |files: &[PathBuf]| {
        let mut args = vec!["replay", "--requests"];
        args.extend(files.iter().map(|f| f.to_str().unwrap()));
        let (code, out, err) = sporfri(&args);
        assert_eq!(code, 0, "{err}");
        out
    };
    let expected = requests(&[whole]);
    assert!(expected.lines().count() > 5, "{expected}");
    assert_eq!(requests(&parts), expected);
    // Without the first file's secrets the later files decrypt nothing.
    assert!(requests(&parts[..parts.len() - 1]).is_empty());
}

#[test]
fn device_shows_one_devices_contacts_without_recording() {
    let file = capture("wikipedia.pcap");
    let (_, all, _) = replay(&[&file], &[]);
    let all: Vec<serde_json::Value> = all
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let device = all[0]["device"].as_str().unwrap().to_owned();
    let (code, only, err) = replay(&[&file], &["--device", &device]);
    assert_eq!(code, 0, "{err}");
    let only: Vec<serde_json::Value> = only
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected: Vec<&serde_json::Value> = all
        .iter()
        .filter(|c| c["device"] == device.as_str())
        .collect();
    assert!(!expected.is_empty() && expected.len() < all.len());
    assert_eq!(only.iter().collect::<Vec<_>>(), expected);
    assert!(err.contains("from 1 device\n"), "{err}");
    // Nothing recorded: no session line, and no database made at the default path.
    assert!(!err.contains("session"), "{err}");
}
