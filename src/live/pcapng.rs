//! A small pcapng writer (SHB, IDB, EPB, ISB) with rotation by size: `--write` of `sporfri live`.
//!
//! This is the only place where packet payload touches disk, and only when the tester asks for
//! it. Files are created with mode 0600. pcap-parser reads but does not write, and the pcap
//! crate's savefile writes classic pcap without rotation, hence these ~200 lines.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::time::Timestamp;
use crate::wire::link::LinkType;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const EPB: u32 = 6;
const ISB: u32 = 5;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const OPT_END: u16 = 0;
const OPT_SHB_USERAPPL: u16 = 4;
const OPT_IF_NAME: u16 = 2;
const OPT_IF_TSRESOL: u16 = 9;
pub(crate) const OPT_COMMENT: u16 = 1;
pub(crate) const OPT_ISB_IFRECV: u16 = 4;
pub(crate) const OPT_ISB_IFDROP: u16 = 5;
pub(crate) const OPT_ISB_OSDROP: u16 = 7;
pub(crate) const OPT_ISB_USRDELIV: u16 = 8;

/// Smallest rotation size accepted: below this a file would hold hardly one packet.
pub const MIN_ROTATE_BYTES: u64 = 1024;
/// Snap length written to the interface block (what libpcap uses for a full capture).
pub const SNAPLEN: u32 = 262_144;

/// Drop counters written into an Interface Statistics Block when a file is closed, each in
/// the option pcapng defines for it (RFC draft-ietf-opsawg-pcapng §4.6): readers such as
/// Wireshark's capture file properties show them under those names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// Packets the kernel saw pass the filter (libpcap `ps_recv`): `isb_ifrecv`.
    pub received: u64,
    /// Dropped by the network interface or its driver (`ps_ifdrop`): `isb_ifdrop`.
    pub if_dropped: u64,
    /// Dropped by the operating system: no room in the kernel capture buffer (`ps_drop`):
    /// `isb_osdrop`.
    pub os_dropped: u64,
    /// Read from libpcap by sporfri: `isb_usrdeliv`.
    pub delivered: u64,
    /// Delivered but dropped inside sporfri because the analysis was behind: pcapng has no
    /// option for it, so it is said in the block's comment (and these packets are not in the
    /// file).
    pub app_dropped: u64,
}

/// Writes pcapng files `FILE`, `FILE.1`, `FILE.2`, ... (numbered before the extension), starting a
/// new file once the current one reaches the rotation size.
#[derive(Debug)]
pub struct PcapngWriter {
    base: PathBuf,
    rotate_bytes: u64,
    link: LinkType,
    interface: String,
    out: BufWriter<File>,
    written: u64,
    index: u32,
    files: Vec<PathBuf>,
}

impl PcapngWriter {
    /// Create `base` (truncating it) and write its section and interface headers.
    /// `rotate_bytes` is raised to [`MIN_ROTATE_BYTES`] if smaller.
    pub fn create(
        base: &Path,
        rotate_bytes: u64,
        link: LinkType,
        interface: &str,
    ) -> io::Result<PcapngWriter> {
        let out = open_private(base)?;
        let mut w = PcapngWriter {
            base: base.to_path_buf(),
            rotate_bytes: rotate_bytes.max(MIN_ROTATE_BYTES),
            link,
            interface: interface.to_owned(),
            out,
            written: 0,
            index: 0,
            files: vec![base.to_path_buf()],
        };
        w.headers()?;
        Ok(w)
    }

    /// Files written so far, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Append one packet; rotates first when the current file is full.
    /// A packet whose link type differs from the file's starts a new file (after a reopen the
    /// interface may come back with another link type).
    pub fn write(
        &mut self,
        ts: Timestamp,
        link: LinkType,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        if link != self.link {
            self.link = link;
            self.rotate(None)?;
        } else if self.written >= self.rotate_bytes {
            self.rotate(None)?;
        }
        let cap_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let mut body = Vec::with_capacity(20 + data.len() + 3);
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&((ts.0 >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts.0 as u32).to_le_bytes());
        body.extend_from_slice(&cap_len.to_le_bytes());
        body.extend_from_slice(&orig_len.max(cap_len).to_le_bytes());
        body.extend_from_slice(data);
        pad4(&mut body);
        self.block(EPB, &body)
    }

    /// Start the next file now; `drops` (if given) is recorded in the closing file.
    pub fn rotate(&mut self, drops: Option<DropCounts>) -> io::Result<()> {
        if let Some(d) = drops {
            self.statistics(d)?;
        }
        self.out.flush()?;
        self.index += 1;
        let path = numbered(&self.base, self.index);
        self.out = open_private(&path)?;
        self.files.push(path);
        self.written = 0;
        self.headers()
    }

    /// Record the drop counters and flush; the writer stays usable.
    pub fn finish(&mut self, drops: DropCounts) -> io::Result<()> {
        self.statistics(drops)?;
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }

    /// Flush buffered blocks to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn headers(&mut self) -> io::Result<()> {
        let mut shb = Vec::with_capacity(64);
        shb.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        option(
            &mut shb,
            OPT_SHB_USERAPPL,
            concat!("sporfri ", env!("CARGO_PKG_VERSION")).as_bytes(),
        );
        option(&mut shb, OPT_END, &[]);
        self.block(SHB, &shb)?;
        let mut idb = Vec::with_capacity(64);
        idb.extend_from_slice(&(self.link.0 as u16).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&SNAPLEN.to_le_bytes());
        option(&mut idb, OPT_IF_NAME, self.interface.as_bytes());
        // Nanoseconds, the engine's own resolution.
        option(&mut idb, OPT_IF_TSRESOL, &[9]);
        option(&mut idb, OPT_END, &[]);
        self.block(IDB, &idb)
    }

    fn statistics(&mut self, d: DropCounts) -> io::Result<()> {
        let mut isb = Vec::with_capacity(64);
        isb.extend_from_slice(&0u32.to_le_bytes());
        isb.extend_from_slice(&0u64.to_le_bytes());
        if d.app_dropped > 0 {
            let text = format!(
                "sporfri dropped {} delivered packets (analysis behind); they are not in this file",
                d.app_dropped
            );
            option(&mut isb, OPT_COMMENT, text.as_bytes());
        }
        option(&mut isb, OPT_ISB_IFRECV, &d.received.to_le_bytes());
        option(&mut isb, OPT_ISB_IFDROP, &d.if_dropped.to_le_bytes());
        option(&mut isb, OPT_ISB_OSDROP, &d.os_dropped.to_le_bytes());
        option(&mut isb, OPT_ISB_USRDELIV, &d.delivered.to_le_bytes());
        option(&mut isb, OPT_END, &[]);
        self.block(ISB, &isb)
    }

    fn block(&mut self, kind: u32, body: &[u8]) -> io::Result<()> {
        let total = u32::try_from(body.len() + 12)
            .map_err(|_| io::Error::other("pcapng block larger than 4 GiB"))?;
        self.out.write_all(&kind.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&total.to_le_bytes())?;
        self.written += u64::from(total);
        Ok(())
    }
}

/// `dir/cap.pcapng` with index 2 → `dir/cap.2.pcapng`; no extension → `dir/cap.2`.
pub fn numbered(base: &Path, index: u32) -> PathBuf {
    match (base.file_stem(), base.extension()) {
        (Some(stem), Some(ext)) => base.with_file_name(format!(
            "{}.{index}.{}",
            stem.to_string_lossy(),
            ext.to_string_lossy()
        )),
        _ => PathBuf::from(format!("{}.{index}", base.display())),
    }
}

fn open_private(path: &Path) -> io::Result<BufWriter<File>> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    Ok(BufWriter::with_capacity(256 * 1024, file))
}

fn option(buf: &mut Vec<u8>, code: u16, value: &[u8]) {
    buf.extend_from_slice(&code.to_le_bytes());
    buf.extend_from_slice(&(value.len().min(usize::from(u16::MAX)) as u16).to_le_bytes());
    buf.extend_from_slice(value.get(..usize::from(u16::MAX)).unwrap_or(value));
    pad4(buf);
}

fn pad4(buf: &mut Vec<u8>) {
    while buf.len() % 4 != 0 {
        buf.push(0);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
/// The options of the Interface Statistics Block at the end of `path`: code → value bytes.
pub(crate) fn isb_options(path: &Path) -> Vec<(u16, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let mut pos = 0;
    let mut isb = None;
    while pos + 12 <= bytes.len() {
        let kind = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        if kind == ISB {
            isb = Some(bytes[pos + 8..pos + len - 4].to_vec());
        }
        pos += len;
    }
    let body = isb.expect("an ISB");
    let mut opts = Vec::new();
    let mut at = 12;
    while at + 4 <= body.len() {
        let code = u16::from_le_bytes([body[at], body[at + 1]]);
        let len = usize::from(u16::from_le_bytes([body[at + 2], body[at + 3]]));
        if code == OPT_END {
            break;
        }
        opts.push((code, body[at + 4..at + 4 + len].to_vec()));
        at += 4 + len.div_ceil(4) * 4;
    }
    opts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{FileSource, PacketSource};

    /// A capture path in a fresh temporary directory, removed with the guard (also on failure).
    fn tmp(name: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::Builder::new()
            .prefix(&format!("sporfri-pcapng-{name}-"))
            .tempdir()
            .unwrap();
        let path = dir.path().join("cap.pcapng");
        (dir, path)
    }

    fn read_all(path: &Path) -> Vec<(Timestamp, LinkType, Vec<u8>, u32)> {
        let mut src = FileSource::open(path).unwrap();
        let mut out = Vec::new();
        while let Some(p) = src.next_packet().unwrap() {
            out.push((p.ts, p.link, p.data.to_vec(), p.orig_len));
        }
        out
    }

    #[test]
    fn written_file_reads_back_with_nanosecond_times() {
        let (_tmp, path) = tmp("roundtrip");
        let mut w = PcapngWriter::create(&path, 1 << 20, LinkType::ETHERNET, "veth0").unwrap();
        let t = Timestamp(1_700_000_000_123_456_789);
        w.write(t, LinkType::ETHERNET, &[1, 2, 3, 4, 5], 60)
            .unwrap();
        w.write(t.plus_secs(1), LinkType::ETHERNET, &[9; 64], 64)
            .unwrap();
        w.finish(DropCounts::default()).unwrap();
        let got = read_all(&path);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (t, LinkType::ETHERNET, vec![1, 2, 3, 4, 5], 60));
        assert_eq!(got[1].0, t.plus_secs(1));
        assert_eq!(got[1].2, vec![9; 64]);
        assert_eq!(w.files(), std::slice::from_ref(&path));
        let mode = std::fs::metadata(&path).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
    }

    #[test]
    fn rotation_by_size_splits_into_numbered_files_that_all_read() {
        let (_tmp, path) = tmp("rotate");
        let mut w = PcapngWriter::create(&path, MIN_ROTATE_BYTES, LinkType::ETHERNET, "x").unwrap();
        for i in 0..40u64 {
            w.write(Timestamp(i), LinkType::ETHERNET, &[i as u8; 100], 100)
                .unwrap();
        }
        w.finish(DropCounts {
            received: 40,
            if_dropped: 1,
            os_dropped: 2,
            ..DropCounts::default()
        })
        .unwrap();
        let files = w.files().to_vec();
        assert!(files.len() >= 3, "{files:?}");
        assert_eq!(files[1], path.with_file_name("cap.1.pcapng"));
        let mut total = 0;
        for f in &files {
            let n = read_all(f).len();
            assert!(n > 0, "{f:?} is empty");
            total += n;
            // At most one packet past the size, and the closing statistics block.
            assert!(std::fs::metadata(f).unwrap().len() < MIN_ROTATE_BYTES + 256);
        }
        assert_eq!(total, 40);
    }

    #[test]
    fn rotation_size_below_the_minimum_is_raised() {
        let (_tmp, path) = tmp("min");
        let mut w = PcapngWriter::create(&path, 1, LinkType::RAW, "x").unwrap();
        w.write(Timestamp(1), LinkType::RAW, &[0x45; 20], 20)
            .unwrap();
        w.write(Timestamp(2), LinkType::RAW, &[0x45; 20], 20)
            .unwrap();
        assert_eq!(w.files().len(), 1);
    }

    #[test]
    fn a_new_link_type_starts_a_new_file() {
        let (_tmp, path) = tmp("link");
        let mut w = PcapngWriter::create(&path, 1 << 20, LinkType::ETHERNET, "x").unwrap();
        w.write(Timestamp(1), LinkType::ETHERNET, &[0; 14], 14)
            .unwrap();
        w.write(Timestamp(2), LinkType::LINUX_SLL, &[0; 16], 16)
            .unwrap();
        w.flush().unwrap();
        assert_eq!(w.files().len(), 2);
        assert_eq!(read_all(&w.files()[1])[0].1, LinkType::LINUX_SLL);
    }

    #[test]
    fn statistics_go_into_the_options_pcapng_names_them() {
        let (_dir, path) = tmp("isb");
        let mut w = PcapngWriter::create(&path, 1 << 20, LinkType::RAW, "x").unwrap();
        w.finish(DropCounts {
            received: 1000,
            if_dropped: 3,
            os_dropped: 40,
            delivered: 960,
            app_dropped: 7,
        })
        .unwrap();
        let opts = isb_options(&path);
        let u64_of = |code: u16| {
            let (_, v) = opts.iter().find(|(c, _)| *c == code).unwrap();
            u64::from_le_bytes(v.as_slice().try_into().unwrap())
        };
        assert_eq!(u64_of(OPT_ISB_IFRECV), 1000);
        // ifdrop: the interface's own drops; osdrop: the kernel buffer's.
        assert_eq!(u64_of(OPT_ISB_IFDROP), 3);
        assert_eq!(u64_of(OPT_ISB_OSDROP), 40);
        assert_eq!(u64_of(OPT_ISB_USRDELIV), 960);
        let comment = opts.iter().find(|(c, _)| *c == OPT_COMMENT).unwrap();
        assert!(String::from_utf8_lossy(&comment.1).contains("dropped 7"));
    }

    #[test]
    fn numbering_keeps_the_extension_last() {
        assert_eq!(
            numbered(Path::new("/a/cap.pcapng"), 3),
            PathBuf::from("/a/cap.3.pcapng")
        );
        assert_eq!(numbered(Path::new("/a/cap"), 1), PathBuf::from("/a/cap.1"));
    }
}
