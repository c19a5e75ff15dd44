//! Damaged input never panics and never loses what came before the damage: every shared capture
//! is truncated at many offsets, bit-flipped, cut to small snap lengths, and has packets
//! duplicated and reordered (deterministic pseudo-random mutations, so failures reproduce).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sporfri::capture::FileSource;
use sporfri::contact::Contacts;
use sporfri::observation::Observation;
use sporfri::output::extract::Extraction;
use sporfri::pipeline::Pipeline;

/// xorshift64*: small, deterministic, good enough to pick offsets and bits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    v.sort();
    assert!(v.len() >= 25);
    v
}

/// `bytes` in a new temporary file whose name ends in `name`, removed on drop.
fn temp(name: &str, bytes: &[u8]) -> tempfile::TempPath {
    let mut file = tempfile::Builder::new()
        .prefix("sporfri-mutation-")
        .suffix(&format!("-{name}"))
        .tempfile()
        .unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    file.into_temp_path()
}

/// Run the whole pipeline (engine, contacts, extraction); returns the extraction and whether the
/// reader stopped on an error.
fn analyse(path: &Path) -> (BTreeSet<String>, bool) {
    let mut source = match FileSource::open(path) {
        Ok(s) => s,
        Err(_) => return (BTreeSet::new(), true),
    };
    let mut contacts = Contacts::default();
    let mut extraction = Extraction::new(true);
    let end = Pipeline::new(|o: &Observation| {
        contacts.observe(o);
        extraction.observe(o);
    })
    .run(&mut source, &mut ());
    let _ = contacts.sorted();
    (
        extraction.lines().map(str::to_owned).collect(),
        end.error.is_some(),
    )
}

/// (record header, captured data) of one pcap record.
type Record = (Vec<u8>, Vec<u8>);

/// Records of a classic pcap file: (file header bytes, records).
fn pcap_records(bytes: &[u8]) -> Option<(Vec<u8>, Vec<Record>)> {
    let le = match bytes.get(..4)? {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => return None,
    };
    let u32at = |b: &[u8], o: usize| {
        let a: [u8; 4] = b[o..o + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let mut recs = Vec::new();
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let caplen = u32at(bytes, off + 8) as usize;
        let end = off + 16 + caplen;
        if end > bytes.len() {
            break;
        }
        recs.push((bytes[off..off + 16].to_vec(), bytes[off + 16..end].to_vec()));
        off = end;
    }
    Some((bytes[..24].to_vec(), recs))
}

fn set_caplen(header: &mut [u8], le: bool, len: usize) {
    let v = len as u32;
    let b = if le { v.to_le_bytes() } else { v.to_be_bytes() };
    header[8..12].copy_from_slice(&b);
}

fn join(head: &[u8], recs: &[Record]) -> Vec<u8> {
    let mut out = head.to_vec();
    for (h, d) in recs {
        out.extend_from_slice(h);
        out.extend_from_slice(d);
    }
    out
}

#[test]
fn truncation_keeps_everything_before_the_cut() {
    let mut rng = Rng(0x5eed_0001);
    for cap in captures() {
        let bytes = std::fs::read(&cap).unwrap();
        let Some((head, recs)) = pcap_records(&bytes) else {
            continue;
        };
        for i in 0..6 {
            let cut = 24 + rng.below(bytes.len() - 24);
            let damaged = temp(&format!("cut-{i}.pcap"), &bytes[..cut]);
            let (got, _) = analyse(&damaged);
            // The packets wholly before the cut, as an undamaged file.
            let mut whole = Vec::new();
            let mut off = 24;
            for r in &recs {
                off += r.0.len() + r.1.len();
                if off > cut {
                    break;
                }
                whole.push(r.clone());
            }
            let (want, err) = analyse(&temp(&format!("whole-{i}.pcap"), &join(&head, &whole)));
            assert!(!err);
            assert_eq!(got, want, "{} cut at {cut}", cap.display());
        }
    }
}

#[test]
fn flipped_bits_in_files_never_panic() {
    let mut rng = Rng(0x5eed_0002);
    for cap in captures() {
        let bytes = std::fs::read(&cap).unwrap();
        for i in 0..20 {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(16) {
                let at = rng.below(b.len());
                b[at] ^= 1 << rng.below(8);
            }
            analyse(&temp(&format!("flip-{i}.bin"), &b));
        }
    }
}

#[test]
fn damaged_packets_snaplen_duplicates_and_reordering_never_panic() {
    let mut rng = Rng(0x5eed_0003);
    for cap in captures() {
        let bytes = std::fs::read(&cap).unwrap();
        let Some((head, recs)) = pcap_records(&bytes) else {
            continue;
        };
        let le = matches!(bytes[0], 0xd4 | 0x4d);
        for round in 0..8 {
            let mut out: Vec<Record> = Vec::new();
            for (h, d) in &recs {
                let (mut h, mut d) = (h.clone(), d.clone());
                match rng.below(6) {
                    0 if !d.is_empty() => {
                        // Snap length cut.
                        let keep = rng.below(d.len());
                        d.truncate(keep);
                        set_caplen(&mut h, le, keep);
                    }
                    1 if !d.is_empty() => {
                        for _ in 0..1 + rng.below(4) {
                            let at = rng.below(d.len());
                            d[at] ^= 1 << rng.below(8);
                        }
                    }
                    2 => out.push((h.clone(), d.clone())),
                    _ => {}
                }
                out.push((h, d));
            }
            for _ in 0..out.len() / 4 {
                let (a, b) = (rng.below(out.len()), rng.below(out.len()));
                out.swap(a, b);
            }
            let (_, err) = analyse(&temp(&format!("pkt-{round}.pcap"), &join(&head, &out)));
            assert!(
                !err,
                "{}: a well-formed file of damaged packets must read to the end",
                cap.display()
            );
        }
    }
}

#[test]
fn random_garbage_packets_never_panic() {
    // Arbitrary bytes as Ethernet, raw IP and SLL2 frames: the whole pipeline, not one parser.
    let mut rng = Rng(0x5eed_0004);
    for link in [1u32, 101, 113, 276, 0, 9, 239] {
        let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        file.extend_from_slice(&65535u32.to_le_bytes());
        file.extend_from_slice(&link.to_le_bytes());
        for i in 0..3000u32 {
            let len = rng.below(200);
            let mut d: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            // Keep some frames plausible so deeper layers are reached.
            if link == 1 && d.len() > 34 && i % 2 == 0 {
                d[12] = 0x08;
                d[13] = 0x00;
                d[14] = 0x45;
                d[23] = [6u8, 17][rng.below(2)];
            }
            for v in [i, 0, d.len() as u32, d.len() as u32] {
                file.extend_from_slice(&v.to_le_bytes());
            }
            file.extend_from_slice(&d);
        }
        let (_, err) = analyse(&temp(&format!("garbage-{link}.pcap"), &file));
        assert!(!err);
    }
}
