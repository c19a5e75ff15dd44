//! Building small captures for tests: pcap files of Ethernet/IPv4 packets made with etherparse.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

use etherparse::PacketBuilder;

pub mod renumber;
pub mod tmux;

/// The phone.
pub const PHONE_MAC: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
/// The access point / router.
pub const AP_MAC: [u8; 6] = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];
/// The phone's address.
pub const PHONE: [u8; 4] = [192, 168, 50, 10];
/// The resolver.
pub const RESOLVER: [u8; 4] = [192, 168, 50, 1];

/// A pcap file being written: (seconds, frame) records.
#[derive(Default)]
pub struct Pcap {
    records: Vec<(f64, Vec<u8>)>,
}

impl Pcap {
    /// A UDP datagram between `src` and `dst`; the phone's MAC is on its side.
    pub fn udp(&mut self, t: f64, src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) {
        let (smac, dmac) = macs(src.0);
        let b = PacketBuilder::ethernet2(smac, dmac)
            .ipv4(src.0, dst.0, 64)
            .udp(src.1, dst.1);
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        self.records.push((t, v));
    }

    /// A TCP segment; `flags` is any of "S", "A", "F", "R", "P".
    pub fn tcp(
        &mut self,
        t: f64,
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        seq: u32,
        flags: &str,
        payload: &[u8],
    ) {
        let (smac, dmac) = macs(src.0);
        let mut b = PacketBuilder::ethernet2(smac, dmac)
            .ipv4(src.0, dst.0, 64)
            .tcp(src.1, dst.1, seq, 65535);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('A') {
            b = b.ack(1);
        }
        if flags.contains('F') {
            b = b.fin();
        }
        if flags.contains('R') {
            b = b.rst();
        }
        if flags.contains('P') {
            b = b.psh();
        }
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        self.records.push((t, v));
    }

    /// Write the file (pcap, microseconds, little endian) in a temporary directory of its own,
    /// removed when the returned guard is dropped.
    pub fn write(&self, name: &str) -> Scratch {
        let file = scratch("capture").at(name);
        let mut out = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        out.extend_from_slice(&65535u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        for (t, frame) in &self.records {
            let secs = 1_700_000_000 + *t as u32;
            let micros = ((t.fract()) * 1e6).round() as u32;
            let len = frame.len() as u32;
            for v in [secs, micros, len, len] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(frame);
        }
        std::fs::write(&*file, out).unwrap();
        file
    }
}

/// A path in a temporary directory of its own (the directory itself, or a name in it); the
/// directory and everything under it are removed when this is dropped, also when the test
/// panics, so test runs leave nothing in the temp dir. Derefs to the path.
pub struct Scratch {
    dir: tempfile::TempDir,
    path: PathBuf,
}

/// A new empty temporary directory named `sporfri-<tag>-<random>`.
pub fn scratch(tag: &str) -> Scratch {
    let dir = tempfile::Builder::new()
        .prefix(&format!("sporfri-{tag}-"))
        .tempdir()
        .unwrap();
    let path = dir.path().to_owned();
    Scratch { dir, path }
}

/// `bytes` in a new temporary file named `name`, in a temporary directory of its own.
pub fn temp_file(name: &str, bytes: &[u8]) -> Scratch {
    let file = scratch("file").at(name);
    std::fs::write(&*file, bytes).unwrap();
    file
}

impl Scratch {
    /// The same guard, pointing at `name` inside the directory (nothing is created).
    pub fn at(self, name: &str) -> Scratch {
        let path = self.dir.path().join(name);
        Scratch { path, ..self }
    }
}

impl Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_os_str()
    }
}

fn macs(src: [u8; 4]) -> ([u8; 6], [u8; 6]) {
    if src == PHONE {
        (PHONE_MAC, AP_MAC)
    } else {
        (AP_MAC, PHONE_MAC)
    }
}

fn dns_name(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for label in name.split('.') {
        v.push(label.len() as u8);
        v.extend_from_slice(label.as_bytes());
    }
    v.push(0);
    v
}

/// A DNS query for `name` (type A).
pub fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut v = id.to_be_bytes().to_vec();
    v.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    v.extend(dns_name(name));
    v.extend_from_slice(&[0, 1, 0, 1]);
    v
}

/// A DNS response: `name` CNAME `alias` (when given) A `addr`, TTL 300.
pub fn dns_answer(id: u16, name: &str, alias: Option<&str>, addr: [u8; 4]) -> Vec<u8> {
    let mut v = id.to_be_bytes().to_vec();
    let answers: u8 = if alias.is_some() { 2 } else { 1 };
    v.extend_from_slice(&[0x81, 0x80, 0, 1, 0, answers, 0, 0, 0, 0]);
    v.extend(dns_name(name));
    v.extend_from_slice(&[0, 1, 0, 1]);
    let owner = match alias {
        Some(a) => {
            let target = dns_name(a);
            v.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 44]);
            v.extend_from_slice(&(target.len() as u16).to_be_bytes());
            v.extend(target);
            dns_name(a)
        }
        None => vec![0xc0, 12],
    };
    v.extend(owner);
    v.extend_from_slice(&[0, 1, 0, 1, 0, 0, 1, 44, 0, 4]);
    v.extend_from_slice(&addr);
    v
}

/// Run the sporfri binary; returns (exit code, stdout, stderr).
pub fn sporfri(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sporfri"))
        // A developer\'s own signature overlay must not change test results.
        .env("SPORFRI_SIGNATURES_OVERLAY", "/nonexistent/sporfri-overlay")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Contacts of `sporfri replay FILE --format jsonl`.
pub fn contacts(path: &std::path::Path) -> Vec<serde_json::Value> {
    let (code, out, err) = sporfri(&["replay", "--format", "jsonl", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The contact named `name`.
pub fn find<'a>(contacts: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    contacts
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no contact {name} in {contacts:#?}"))
}

/// The cookies every response of the decryption labs (`tests/decrypt-data`) sets, as `ex`
/// must report them: names with lifetimes (Max-Age, none, Expires counted from Date) and the
/// first one's attributes.
pub fn assert_lab_cookies(ex: &sporfri::observation::Exchange, name: &str) {
    use sporfri::observation::SameSite;
    let lifetimes: Vec<(&str, Option<i64>)> = ex
        .set_cookies
        .iter()
        .map(|c| (c.name.as_str(), c.lifetime_s))
        .collect();
    assert_eq!(
        lifetimes,
        [
            ("lab_id", Some(34_560_000)),
            ("lab_session", None),
            ("lab_exp", Some(30 * 86_400))
        ],
        "{name}"
    );
    let id = &ex.set_cookies[0];
    assert_eq!(id.domain.as_deref(), Some("lab.example"), "{name}");
    assert!(
        id.secure && id.http_only && id.same_site == Some(SameSite::None),
        "{name}"
    );
}
