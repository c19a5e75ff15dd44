//! Flood benchmark: hostile volumes must stay bounded. Builds three captures and prints the peak
//! RSS and the counted evictions of `sporfri replay` on each:
//! - 10^6 distinct TCP flows (SYNs to distinct servers),
//! - 10^5 half-open QUIC handshakes (a real first Initial of a split ClientHello, replayed from
//!   10^5 client addresses, never completed),
//! - a DNS answer storm (10^6 responses naming distinct hosts and addresses).
//!
//! Run: `cargo bench --bench flood`. Files go to `target/bench/` and are removed afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use etherparse::PacketBuilder;
use sporfri::capture::{FileSource, PacketSource};

const PHONE_MAC: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
const AP_MAC: [u8; 6] = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];

struct Writer {
    out: BufWriter<File>,
    n: u64,
}

impl Writer {
    fn create(path: &Path) -> Writer {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
        out.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            .unwrap();
        out.write_all(&65535u32.to_le_bytes()).unwrap();
        out.write_all(&1u32.to_le_bytes()).unwrap();
        Writer { out, n: 0 }
    }

    /// One frame, 10 µs after the previous one.
    fn frame(&mut self, data: &[u8]) {
        let us = self.n * 10;
        let len = data.len() as u32;
        let secs = 1_700_000_000 + (us / 1_000_000) as u32;
        for v in [secs, (us % 1_000_000) as u32, len, len] {
            self.out.write_all(&v.to_le_bytes()).unwrap();
        }
        self.out.write_all(data).unwrap();
        self.n += 1;
    }
}

fn server(i: u32) -> [u8; 4] {
    // 198.18.0.0/15 is reserved for benchmarks.
    let v = (198u32 << 24) | (18 << 16) | (i & 0x1ffff);
    v.to_be_bytes()
}

fn flows(path: &Path, n: u32) -> u64 {
    let mut w = Writer::create(path);
    for i in 0..n {
        let b = PacketBuilder::ethernet2(PHONE_MAC, AP_MAC)
            .ipv4([192, 168, 50, 10], server(i), 64)
            .tcp(
                10_000 + (i % 50_000) as u16,
                443 + (i >> 17) as u16,
                i,
                1024,
            )
            .syn();
        let mut v = Vec::new();
        b.write(&mut v, &[]).unwrap();
        w.frame(&v);
    }
    w.out.flush().unwrap();
    w.n
}

fn quic_half_open(path: &Path, n: u32) -> u64 {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures/quic-multiple-initial-fragmented-crypto.pcap");
    let mut src = FileSource::open(&shared).unwrap();
    let first = src.next_packet().unwrap().unwrap().data.to_vec();
    let mut w = Writer::create(path);
    for i in 0..n {
        let mut f = first.clone();
        // IPv6 source address (last 4 bytes) and UDP source port: a new client each time.
        f[14 + 20..14 + 24].copy_from_slice(&i.to_be_bytes());
        f[14 + 40..14 + 42].copy_from_slice(&(20_000 + (i % 40_000) as u16).to_be_bytes());
        w.frame(&f);
    }
    w.out.flush().unwrap();
    w.n
}

fn dns_storm(path: &Path, n: u32) -> u64 {
    let mut w = Writer::create(path);
    for i in 0..n {
        let name = format!("h{i}.storm.example");
        let mut msg = vec![(i >> 8) as u8, i as u8, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        for label in name.split('.') {
            msg.push(label.len() as u8);
            msg.extend_from_slice(label.as_bytes());
        }
        msg.extend_from_slice(&[0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
        msg.extend_from_slice(&server(i));
        let b = PacketBuilder::ethernet2(AP_MAC, PHONE_MAC)
            .ipv4([192, 168, 50, 1], [192, 168, 50, 10], 64)
            .udp(53, 40_000);
        let mut v = Vec::new();
        b.write(&mut v, &msg).unwrap();
        w.frame(&v);
    }
    w.out.flush().unwrap();
    w.n
}

fn run(path: &Path) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .args(["replay", "--format", "jsonl"])
        .arg(path)
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = |key: &str| {
        err.lines()
            .find(|l| l.contains(key))
            .unwrap_or("")
            .trim_start_matches("sporfri: ")
            .to_owned()
    };
    (line("packets/s"), line("skipped or limited"))
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    type Build = fn(&Path, u32) -> u64;
    let cases: [(&str, Build, u32); 3] = [
        ("10^6 distinct TCP flows", flows, 1_000_000),
        ("10^5 half-open QUIC handshakes", quic_half_open, 100_000),
        ("DNS answer storm, 10^6 names", dns_storm, 1_000_000),
    ];
    println!("| flood | packets | run | counted |");
    println!("|---|---:|---|---|");
    for (label, build, n) in cases {
        let path: PathBuf = dir.join(format!("flood-{n}.pcap"));
        let packets = build(&path, n);
        let (run_line, counted) = run(&path);
        println!("| {label} | {packets} | {run_line} | {counted} |");
        let _ = std::fs::remove_file(&path);
    }
}
