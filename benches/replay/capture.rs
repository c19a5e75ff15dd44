//! The benchmark's captures: the Ethernet traces of `tests/captures`, repeated to a size.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sporfri::capture::{FileSource, PacketSource};
use sporfri::wire::link::LinkType;

/// One packet of a trace, its time relative to the trace's first packet.
pub struct Record {
    ts_ns: u64,
    data: Vec<u8>,
}

/// A named selection of the traces.
pub struct Mix {
    pub label: &'static str,
    pub files: Vec<PathBuf>,
}

/// Every pcap of `tests/captures`, and its QUIC and QUIC-free halves.
pub fn mixes() -> (Mix, Mix, Mix) {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&shared)
        .expect("tests/captures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    all.sort();
    let is_quic = |p: &PathBuf| {
        let n = p.to_string_lossy();
        ["quic", "chromium", "curl", "firefox"]
            .iter()
            .any(|k| n.contains(k))
    };
    let quic = all.iter().filter(|p| is_quic(p)).cloned().collect();
    let no_quic = all.iter().filter(|p| !is_quic(p)).cloned().collect();
    (
        Mix {
            label: "all traces",
            files: all,
        },
        Mix {
            label: "QUIC traces only",
            files: quic,
        },
        Mix {
            label: "QUIC-free traces only",
            files: no_quic,
        },
    )
}

/// The Ethernet packets of `paths` (each file up to its first packet of another link type).
pub fn load(paths: &[PathBuf]) -> Vec<Record> {
    let mut out = Vec::new();
    for p in paths {
        let mut src = FileSource::open(p).expect("open a test capture");
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

/// Write `records` repeated until the file holds `size` bytes (at least one packet), each
/// repetition an hour after the previous one; answers the number of packets.
pub fn build(path: &Path, records: &[Record], size: u64) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    // pcap, microseconds, little endian, Ethernet.
    w.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
    w.write_all(&65535u32.to_le_bytes())?;
    w.write_all(&1u32.to_le_bytes())?;
    let (mut written, mut packets, mut rep) = (24u64, 0u64, 0u64);
    let base = 1_700_000_000u64 * 1_000_000_000;
    'file: loop {
        for r in records {
            let ts = base + rep * 3_600_000_000_000 + r.ts_ns;
            let secs = (ts / 1_000_000_000) as u32;
            let micros = ((ts % 1_000_000_000) / 1000) as u32;
            let len = r.data.len() as u32;
            for v in [secs, micros, len, len] {
                w.write_all(&v.to_le_bytes())?;
            }
            w.write_all(&r.data)?;
            written += 16 + u64::from(len);
            packets += 1;
            if written >= size {
                break 'file;
            }
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
