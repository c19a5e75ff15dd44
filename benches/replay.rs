//! Replay benchmark: builds large captures from the shared traces and prints packets/s and peak
//! RSS of `sporfri replay` next to a bare read loop (`sporfri replay --null`) over the same file.
//!
//! Run: `cargo bench --bench replay` (optional: `-- --size-mb 1100`, and `--tshark` to also time
//! `tshark -T fields` extracting the same names on the first file). Files go to
//! `target/bench/` and are removed afterwards unless `--keep` is given. Each repetition of the
//! traces is shifted by an hour, so flows end and start again as in a long capture, while the
//! devices and names stay the same: memory must stay flat however long the file is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sporfri::capture::{FileSource, PacketSource};
use sporfri::wire::link::LinkType;

struct Record {
    ts_ns: u64,
    data: Vec<u8>,
}

fn load(paths: &[PathBuf]) -> Vec<Record> {
    let mut out = Vec::new();
    for p in paths {
        let mut src = FileSource::open(p).expect("open shared capture");
        let mut first = None;
        while let Ok(Some(pkt)) = src.next_packet() {
            if pkt.link != LinkType::ETHERNET {
                break;
            }
            let t0 = *first.get_or_insert(pkt.ts.0);
            out.push(Record {
                ts_ns: pkt.ts.0 - t0.min(pkt.ts.0),
                data: pkt.data.to_vec(),
            });
        }
    }
    out
}

fn build(path: &Path, records: &[Record], size: u64) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    // pcap, microseconds, little endian, Ethernet.
    w.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
    w.write_all(&65535u32.to_le_bytes())?;
    w.write_all(&1u32.to_le_bytes())?;
    let (mut written, mut packets, mut rep) = (24u64, 0u64, 0u64);
    let base = 1_700_000_000u64 * 1_000_000_000;
    while written < size {
        for r in records {
            let ts = base + rep * 3_600_000_000_000 + r.ts_ns;
            let data = &r.data;
            let secs = (ts / 1_000_000_000) as u32;
            let micros = ((ts % 1_000_000_000) / 1000) as u32;
            let len = data.len() as u32;
            for v in [secs, micros, len, len] {
                w.write_all(&v.to_le_bytes())?;
            }
            w.write_all(data)?;
            written += 16 + u64::from(len);
            packets += 1;
        }
        rep += 1;
    }
    // On disk before anything is timed: write-back of a freshly written gigabyte would run on
    // the same two cores as the runs it is meant to measure.
    w.into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .sync_all()?;
    Ok(packets)
}

/// One run: `(seconds, peak RSS MB)` from sporfri's own throughput line.
fn run(bin: &str, args: &[&str]) -> Option<(f64, f64)> {
    let out = Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::null())
        .output()
        .expect("run sporfri");
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| l.contains("packets/s"))?;
    // "N packets in S s (P packets/s), peak RSS M MB"
    let secs = line.split(" in ").nth(1)?.split(' ').next()?.parse().ok()?;
    let rss = line
        .split("peak RSS ")
        .nth(1)?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    Some((secs, rss))
}

/// Median seconds and largest peak RSS of `runs` runs.
fn median(runs: &mut [(f64, f64)]) -> (f64, f64) {
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let rss = runs.iter().map(|r| r.1).fold(0.0, f64::max);
    (runs.get(runs.len() / 2).map_or(f64::NAN, |r| r.0), rss)
}

/// tshark extracting the names sporfri extracts, timed by GNU time: `(seconds, peak RSS kB)`.
fn tshark(path: &Path) -> Option<(f64, u64)> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M", "tshark", "-n", "-r"])
        .arg(path)
        .args([
            "-Y",
            "dns.flags.response==0 or tls.handshake.type==1 or http.request",
            "-T",
            "fields",
            "-e",
            "dns.qry.name",
            "-e",
            "tls.handshake.extensions_server_name",
            "-e",
            "http.host",
        ])
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last()?;
    let mut f = last.split_whitespace();
    Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size_mb: u64 = args
        .iter()
        .position(|a| a == "--size-mb")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1100);
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&shared)
        .expect("tests/captures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    all.sort();
    let quic: Vec<PathBuf> = all
        .iter()
        .filter(|p| {
            let n = p.to_string_lossy();
            n.contains("quic")
                || n.contains("chromium")
                || n.contains("curl")
                || n.contains("firefox")
        })
        .cloned()
        .collect();
    let no_quic: Vec<PathBuf> = all.iter().filter(|p| !quic.contains(p)).cloned().collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let bin = env!("CARGO_BIN_EXE_sporfri");
    let mixes: [(&str, &[PathBuf], u64); 4] = [
        ("all traces", &all, size_mb),
        (
            "all traces (quarter size: RSS must stay flat)",
            &all,
            size_mb / 4,
        ),
        ("QUIC traces only", &quic, size_mb / 4),
        ("QUIC-free traces only", &no_quic, size_mb / 4),
    ];
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    println!(
        "median of {rounds} runs each, read loop and sporfri alternating (the host's memory \
         bandwidth drifts; compare within a row)"
    );
    println!(
        "| capture | size | packets | read loop (--null) | sporfri replay | sporfri / read loop |"
    );
    println!("|---|---:|---:|---|---|---:|");
    for (i, (label, files, mb)) in mixes.iter().enumerate() {
        let path = dir.join(format!("bench-{i}-{mb}mb.pcap"));
        let records = load(files);
        let packets = build(&path, &records, mb * 1_000_000).expect("write capture");
        let p = path.to_string_lossy();
        let (mut null, mut full) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            null.extend(run(bin, &["replay", "--null", &p]));
            full.extend(run(bin, &["replay", "--format", "jsonl", &p]));
        }
        let ((tn, rn), (tf, rf)) = (median(&mut null), median(&mut full));
        let rate = |t: f64| packets as f64 / t.max(1e-9) / 1e6;
        println!(
            "| {label} | {mb} MB | {packets} | {tn:.3} s ({:.1} M packets/s), peak RSS {rn:.1} MB | {tf:.3} s ({:.1} M packets/s), peak RSS {rf:.1} MB | {:.0} % |",
            rate(tn),
            rate(tf),
            100.0 * tn / tf.max(1e-9)
        );
        if i == 0 && args.iter().any(|a| a == "--tshark") {
            match tshark(&path) {
                Some((secs, kb)) => println!(
                    "| tshark -T fields, same file | {mb} MB | {packets} | | {packets} packets in {secs:.1} s ({:.0} packets/s), peak RSS {:.1} MB |",
                    packets as f64 / secs.max(0.001),
                    kb as f64 / 1024.0
                ),
                None => println!("| tshark | | | not available | |"),
            }
        }
        if !args.iter().any(|a| a == "--keep") {
            let _ = std::fs::remove_file(&path);
        }
    }
}
