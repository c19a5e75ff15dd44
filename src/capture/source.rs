//! [`FileSource`]: a capture file's packets, framed on the caller's thread or ahead of it.
//!
//! A file opened by path is read and framed by a thread of its own: it hands over each
//! chunk buffer with the positions of the packets in it (a [`Batch`]), and the caller walks
//! them. The copy out of the page cache and the record framing, all a bare read loop does,
//! then run beside the analysis instead of before it. Buffers come back to the thread for
//! the next reads, so nothing is copied twice and memory stays at a few chunks.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::file::{Desc, Framer, MAX_SECRETS_BYTES};
use super::input::{Input, PageBuf, READ_AHEAD_CHUNKS};
use super::merge::Merge;
use super::{CaptureError, Packet, PacketSource};

/// A capture file opened for streaming.
pub struct FileSource {
    mode: Mode,
    total_bytes: u64,
}

enum Mode {
    /// Framed on the caller's thread.
    Here(Framer),
    /// Framed by a thread ahead of the caller.
    Ahead(Ahead),
    /// Several files, each framed ahead, merged in time order.
    Merged(Box<Merge>),
}

/// One buffer's packets, framed by the thread.
#[derive(Default)]
struct Batch {
    buf: PageBuf,
    packets: Vec<Desc>,
    /// Key log text met while framing them.
    secrets: Vec<u8>,
    /// Bytes of the file framed so far.
    bytes_read: u64,
    /// The end of the file, or the error that ended it, after these packets.
    end: Option<Result<(), CaptureError>>,
}

/// The caller's side of the framing thread.
struct Ahead {
    path: String,
    batches: Receiver<Batch>,
    used: SyncSender<PageBuf>,
    current: Batch,
    next: usize,
    secrets: Vec<u8>,
    done: bool,
    /// Not joined: the thread ends by itself once `batches` is dropped (its send fails).
    #[cfg_attr(not(test), allow(dead_code))]
    thread: std::thread::JoinHandle<()>,
}

impl FileSource {
    /// Open a pcap or pcapng file; `-` reads standard input (e.g. `tcpdump -w - | sporfri ...`).
    pub fn open(path: &Path) -> Result<FileSource, CaptureError> {
        let shown = path.display().to_string();
        let io = |source| CaptureError::Io {
            path: shown.clone(),
            cause: source,
        };
        if path == Path::new("-") {
            // A pipe may pause for long: read and frame here, so no packet waits in a buffer
            // for a later read to complete it.
            let input = Input::new(Box::new(std::io::stdin()));
            return Ok(FileSource {
                mode: Mode::Here(Framer::new(input, "standard input")?),
                total_bytes: 0,
            });
        }
        let file = File::open(path).map_err(io)?;
        let total_bytes = file.metadata().map_err(io)?.len();
        let mut input = Input::new(Box::new(file));
        input.keep_retired();
        let framer = Framer::new(input, &shown)?;
        let ahead = Ahead::start(framer, &shown).map_err(io)?;
        Ok(FileSource {
            mode: Mode::Ahead(ahead),
            total_bytes,
        })
    }

    /// Open several files as one capture, packets in time order (see [`merge`](super::merge));
    /// one path is simply [`FileSource::open`].
    pub fn open_all(paths: &[PathBuf]) -> Result<FileSource, CaptureError> {
        match paths {
            [one] => FileSource::open(one),
            _ => {
                let merge = Merge::open(paths)?;
                Ok(FileSource {
                    total_bytes: merge.total_bytes(),
                    mode: Mode::Merged(Box::new(merge)),
                })
            }
        }
    }

    /// Read a capture from any byte stream, on the caller's thread; `name` appears in errors,
    /// `total_bytes` (0 when unknown) drives progress.
    pub fn from_reader(
        reader: Box<dyn Read + Send>,
        name: &str,
        total_bytes: u64,
    ) -> Result<FileSource, CaptureError> {
        Ok(FileSource {
            mode: Mode::Here(Framer::new(Input::new(reader), name)?),
            total_bytes,
        })
    }

    /// Bytes of the file consumed so far (for progress).
    pub fn bytes_read(&self) -> u64 {
        match &self.mode {
            Mode::Here(f) => f.bytes_read(),
            Mode::Ahead(a) => a.current.bytes_read,
            Mode::Merged(m) => m.bytes_read(),
        }
    }

    /// Size of the file.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// TLS key log text read from Decryption Secrets Blocks since the last call (as
    /// `editcap --inject-secrets` writes them); empty when there is none.
    pub fn take_secrets(&mut self) -> Vec<u8> {
        match &mut self.mode {
            Mode::Here(f) => f.take_secrets(),
            Mode::Ahead(a) => std::mem::take(&mut a.secrets),
            Mode::Merged(m) => m.take_secrets(),
        }
    }
}

impl PacketSource for FileSource {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        match &mut self.mode {
            Mode::Here(f) => f.next_packet(),
            Mode::Ahead(a) => a.next_packet(),
            Mode::Merged(m) => m.next_packet(),
        }
    }
}

impl Ahead {
    fn start(framer: Framer, path: &str) -> std::io::Result<Ahead> {
        let (batches_tx, batches) = sync_channel(READ_AHEAD_CHUNKS);
        let (used, used_rx) = sync_channel(READ_AHEAD_CHUNKS + 2);
        let thread = std::thread::Builder::new()
            .name("sporfri-read".into())
            .spawn(move || frame_ahead(framer, &batches_tx, &used_rx))?;
        Ok(Ahead {
            path: path.to_owned(),
            batches,
            used,
            current: Batch::default(),
            next: 0,
            secrets: Vec::new(),
            done: false,
            thread,
        })
    }

    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        while self.next >= self.current.packets.len() {
            if let Some(end) = self.current.end.take() {
                self.done = true;
                return end.map(|()| None);
            }
            if self.done {
                return Ok(None);
            }
            let Ok(batch) = self.batches.recv() else {
                self.done = true;
                return Err(CaptureError::Io {
                    path: self.path.clone(),
                    cause: std::io::Error::other("the capture reader stopped"),
                });
            };
            let used = std::mem::replace(&mut self.current, batch);
            let _ = self.used.try_send(used.buf);
            self.next = 0;
            let text = std::mem::take(&mut self.current.secrets);
            if self.secrets.len() + text.len() <= MAX_SECRETS_BYTES {
                self.secrets.extend_from_slice(&text);
            }
        }
        let d = self.current.packets.get(self.next).copied();
        self.next += 1;
        Ok(d.map(|d| Packet {
            ts: d.ts,
            link: d.link,
            data: self
                .current
                .buf
                .bytes()
                .get(d.at..d.at.saturating_add(d.caplen))
                .unwrap_or(&[]),
            orig_len: d.orig_len,
        }))
    }
}

/// The framing thread: one batch per buffer, until the end, an error, or the caller is gone.
fn frame_ahead(mut framer: Framer, batches: &SyncSender<Batch>, used: &Receiver<PageBuf>) {
    let mut packets: Vec<Desc> = Vec::new();
    loop {
        while let Ok(buf) = used.try_recv() {
            framer.input_mut().give_back(buf);
        }
        let step = framer.next_desc();
        // A new buffer was swapped in: the packets so far lie in the first one swapped out.
        let mut retired = framer.input_mut().take_retired().into_iter();
        if let Some(full) = retired.next() {
            if packets.is_empty() {
                framer.input_mut().give_back(full);
            } else {
                let batch = Batch {
                    buf: full,
                    packets: std::mem::take(&mut packets),
                    secrets: framer.take_secrets(),
                    bytes_read: framer.bytes_read(),
                    end: None,
                };
                if batches.send(batch).is_err() {
                    return;
                }
            }
            retired.for_each(|b| framer.input_mut().give_back(b));
        }
        let end = match step {
            Ok(Some(d)) => {
                packets.push(d);
                continue;
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        let batch = Batch {
            secrets: framer.take_secrets(),
            bytes_read: framer.bytes_read(),
            buf: framer.into_buf(),
            packets,
            end: Some(end),
        };
        let _ = batches.send(batch);
        return;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use std::path::PathBuf;

    type Seen = (Vec<(u64, u32, Vec<u8>, u32)>, Vec<u8>, Option<String>);

    /// Every packet, the secrets and how it ended, taking secrets before each packet as the
    /// engine does.
    fn read_all(mut src: FileSource) -> Seen {
        let (mut packets, mut secrets) = (Vec::new(), Vec::new());
        let end = loop {
            secrets.extend(src.take_secrets());
            match src.next_packet() {
                Ok(Some(p)) => packets.push((p.ts.0, p.link.0, p.data.to_vec(), p.orig_len)),
                Ok(None) => break None,
                Err(e) => break Some(e.to_string()),
            }
        };
        secrets.extend(src.take_secrets());
        (packets, secrets, end)
    }

    fn captures() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut all = Vec::new();
        for dir in [root.join("tests/captures"), root.join("captures")] {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                    all.push(p);
                }
            }
        }
        all
    }

    #[test]
    fn framing_ahead_gives_what_framing_here_gives_on_every_capture() {
        let all = captures();
        assert!(all.len() > 10);
        for path in all {
            let here = FileSource::from_reader(
                Box::new(File::open(&path).unwrap()),
                &path.display().to_string(),
                0,
            )
            .unwrap();
            let ahead = FileSource::open(&path).unwrap();
            assert!(matches!(ahead.mode, Mode::Ahead(_)));
            assert!(read_all(here) == read_all(ahead), "{}", path.display());
        }
    }

    #[test]
    fn a_cut_file_ends_with_the_same_error_after_the_same_packets() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        // Four sections back to back: larger than several chunks, so cuts fall across their
        // borders, and the packets before a cut span many batches.
        let one = std::fs::read(root.join("captures/lab-borger-home.pcapng")).unwrap();
        let whole = one.repeat(4);
        assert!(whole.len() > 3 * super::super::input::CHUNK_BYTES);
        let tmp = tempfile::Builder::new()
            .prefix("sporfri-ahead-")
            .tempdir()
            .unwrap();
        let dir = tmp.path();
        // Cuts inside the first chunk, across chunk borders, and near the end.
        for cut in [5_000, 300_000, 600_001, whole.len() - 7, whole.len()] {
            let path = dir.join(format!("cut-{cut}.pcapng"));
            std::fs::write(&path, &whole[..cut]).unwrap();
            let here =
                FileSource::from_reader(Box::new(File::open(&path).unwrap()), "f", 0).unwrap();
            let (hp, hs, he) = read_all(here);
            let (ap, as_, ae) = read_all(FileSource::open(&path).unwrap());
            if cut < whole.len() {
                assert!(he.as_deref().unwrap().contains("truncated"), "{he:?}");
            } else {
                assert!(he.is_none() && hp.len() > 1000);
            }
            assert_eq!(
                he.map(|e| e.replace(&path.display().to_string(), "f")),
                ae.map(|e| e.replace(&path.display().to_string(), "f"))
            );
            assert!(hp == ap && hs == as_, "cut at {cut}");
        }
    }

    #[test]
    fn dropping_a_source_early_ends_its_thread() {
        // An endless capture through a named pipe: the framing thread can only stop because
        // its source is gone, not because the file ended.
        let tmp = tempfile::Builder::new()
            .prefix("sporfri-fifo-")
            .tempdir()
            .unwrap();
        let fifo = tmp.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let target = fifo.clone();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let mut w = std::fs::OpenOptions::new()
                .write(true)
                .open(target)
                .unwrap();
            let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
            header.extend([0; 8]);
            header.extend(65535u32.to_le_bytes());
            header.extend(1u32.to_le_bytes());
            let mut record = Vec::new();
            for v in [1u32, 0, 60, 60] {
                record.extend(v.to_le_bytes());
            }
            record.extend([0u8; 60]);
            let mut data = header;
            // Ends when the reading side is closed (EPIPE).
            loop {
                if w.write_all(&data).is_err() {
                    return;
                }
                data = record.repeat(1000);
            }
        });
        let mut src = FileSource::open(&fifo).unwrap();
        assert!(src.next_packet().unwrap().is_some());
        let Mode::Ahead(ahead) = src.mode else {
            panic!("a source opened by path is framed ahead")
        };
        let Ahead {
            batches, thread, ..
        } = ahead;
        drop(batches);
        let waited = std::time::Instant::now();
        while !thread.is_finished() {
            assert!(
                // A guard only: generous, so a loaded machine cannot fail it.
                waited.elapsed().as_secs() < 60,
                "framing thread still running"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        drop(thread);
        writer.join().unwrap();
    }
}
