//! Following a TLS key log that grows while the browser runs (`sporfri live --keylog`), and
//! holding packets back long enough for the browser to write a connection's secrets before the
//! engine needs them.
//!
//! The engine looks a connection's secrets up at its first protected record and stops
//! decrypting it (`decrypt.no_key`) when they are missing, so packets must not overtake the key
//! log: a browser writes the secrets during the handshake, but from another thread and
//! buffered, and this tail reads the file every [`KEYLOG_POLL`]. Batches are therefore held for
//! [`KEYLOG_DELAY`] and the file is read once more just before they are analysed.

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often the key log file is checked for new lines.
pub const KEYLOG_POLL: Duration = Duration::from_millis(500);
/// How long packets wait for their secrets before they are analysed.
pub const KEYLOG_DELAY: Duration = Duration::from_millis(1500);
/// Bytes read from the key log per poll; the rest comes with the next poll.
pub const MAX_KEYLOG_READ: usize = 1 << 20;
/// Longest key log line kept while waiting for its end (an NSS key log line is < 300 bytes);
/// a longer run without a newline is dropped and counted.
pub const MAX_KEYLOG_LINE: usize = 4096;
/// Batches held back at most; past this the oldest is analysed at once (counted).
pub const MAX_HELD_BATCHES: usize = 256;

/// The new complete lines of a growing key log file.
#[derive(Debug)]
pub struct KeyLogTail {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    /// Lines longer than [`MAX_KEYLOG_LINE`] dropped.
    pub dropped_lines: u64,
    /// Times the file shrank or was replaced (read again from its start).
    pub restarts: u64,
}

impl KeyLogTail {
    /// Follow `path` from its start (it need not exist yet: the browser creates it).
    pub fn new(path: &Path) -> KeyLogTail {
        KeyLogTail {
            path: path.to_owned(),
            offset: 0,
            partial: Vec::new(),
            dropped_lines: 0,
            restarts: 0,
        }
    }

    /// The file followed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Complete lines added since the last call (empty when none, or when the file does not
    /// exist yet). An error is a file that exists but cannot be read.
    pub fn poll(&mut self) -> std::io::Result<Vec<u8>> {
        let mut file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        if len < self.offset {
            // A new browser run truncated or replaced the file: its lines are all new.
            self.offset = 0;
            self.partial.clear();
            self.restarts += 1;
        }
        if len == self.offset {
            return Ok(Vec::new());
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let want =
            usize::try_from(len - self.offset).map_or(MAX_KEYLOG_READ, |n| n.min(MAX_KEYLOG_READ));
        let mut buf = Vec::with_capacity(want);
        file.take(want as u64).read_to_end(&mut buf)?;
        self.offset += buf.len() as u64;
        Ok(self.complete_lines(&buf))
    }

    fn complete_lines(&mut self, buf: &[u8]) -> Vec<u8> {
        self.partial.extend_from_slice(buf);
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            if self.partial.len() > MAX_KEYLOG_LINE {
                self.partial.clear();
                self.dropped_lines += 1;
            }
            return Vec::new();
        };
        let rest = self.partial.split_off(end + 1);
        std::mem::replace(&mut self.partial, rest)
    }
}

/// Items waiting for [`KEYLOG_DELAY`], oldest first, at most [`MAX_HELD_BATCHES`].
#[derive(Debug)]
pub struct Held<T> {
    queue: VecDeque<(Instant, T)>,
    delay: Duration,
    /// Items released early because the queue was full.
    pub early: u64,
}

impl<T> Held<T> {
    /// An empty queue holding items for `delay`.
    pub fn new(delay: Duration) -> Held<T> {
        Held {
            queue: VecDeque::new(),
            delay,
            early: 0,
        }
    }

    /// Hold `item` from `now`; returns the oldest item when the queue was full.
    pub fn push(&mut self, now: Instant, item: T) -> Option<T> {
        let out = if self.queue.len() >= MAX_HELD_BATCHES {
            self.early += 1;
            self.queue.pop_front().map(|(_, t)| t)
        } else {
            None
        };
        self.queue.push_back((now, item));
        out
    }

    /// The next item that has waited long enough at `now`.
    pub fn due(&mut self, now: Instant) -> Option<T> {
        let (at, _) = self.queue.front()?;
        if now.saturating_duration_since(*at) < self.delay {
            return None;
        }
        self.queue.pop_front().map(|(_, t)| t)
    }

    /// Everything still held, oldest first (at the end of a run).
    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.queue.drain(..).map(|(_, t)| t)
    }

    /// Items held now.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Nothing held.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::io::Write;

    /// A path in a fresh temporary directory, removed with the guard (also on failure).
    fn temp(name: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::Builder::new()
            .prefix("sporfri-keylog-")
            .tempdir()
            .unwrap();
        let p = dir.path().join(name);
        (dir, p)
    }

    fn append(p: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn only_complete_new_lines_come_out_as_the_file_grows() {
        let (_tmp, p) = temp("grow");
        let mut tail = KeyLogTail::new(&p);
        assert!(tail.poll().unwrap().is_empty(), "no file yet");
        append(&p, "CLIENT_RANDOM aa bb\nCLIENT_TRAFFIC_SECRET_0 cc");
        assert_eq!(tail.poll().unwrap(), b"CLIENT_RANDOM aa bb\n");
        assert!(tail.poll().unwrap().is_empty(), "nothing new");
        append(&p, " dd\n# comment\n");
        assert_eq!(
            tail.poll().unwrap(),
            b"CLIENT_TRAFFIC_SECRET_0 cc dd\n# comment\n"
        );
    }

    #[test]
    fn a_truncated_file_is_read_again_from_its_start() {
        let (_tmp, p) = temp("truncate");
        let mut tail = KeyLogTail::new(&p);
        append(&p, "CLIENT_RANDOM aa bb\nCLIENT_RANDOM cc dd\n");
        assert_eq!(tail.poll().unwrap().len(), 40);
        std::fs::write(&p, "CLIENT_RANDOM ee\n").unwrap();
        assert_eq!(tail.poll().unwrap(), b"CLIENT_RANDOM ee\n");
        assert_eq!(tail.restarts, 1);
    }

    #[test]
    fn reads_stop_at_max_keylog_read_and_go_on_next_time() {
        let (_tmp, p) = temp("big");
        let line = format!("CLIENT_RANDOM {} bb\n", "a".repeat(64));
        let n = MAX_KEYLOG_READ / line.len() + 10;
        append(&p, &line.repeat(n));
        let mut tail = KeyLogTail::new(&p);
        let first = tail.poll().unwrap();
        assert!(first.len() <= MAX_KEYLOG_READ && first.ends_with(b"\n"));
        let second = tail.poll().unwrap();
        assert_eq!(first.len() + second.len(), line.len() * n);
    }

    #[test]
    fn a_line_without_end_past_max_keylog_line_is_dropped_and_counted() {
        let (_tmp, p) = temp("long");
        append(&p, &"x".repeat(MAX_KEYLOG_LINE + 1));
        let mut tail = KeyLogTail::new(&p);
        assert!(tail.poll().unwrap().is_empty());
        assert_eq!(tail.dropped_lines, 1);
        append(&p, "\nCLIENT_RANDOM aa bb\n");
        assert_eq!(tail.poll().unwrap(), b"\nCLIENT_RANDOM aa bb\n");
    }

    #[test]
    fn held_items_wait_their_delay_and_a_full_queue_releases_the_oldest() {
        let t0 = Instant::now();
        let mut h = Held::new(Duration::from_millis(100));
        assert!(h.push(t0, 1).is_none());
        assert!(h.due(t0 + Duration::from_millis(99)).is_none());
        assert_eq!(h.due(t0 + Duration::from_millis(100)), Some(1));
        for i in 0..MAX_HELD_BATCHES {
            assert!(h.push(t0, i).is_none());
        }
        assert_eq!(h.push(t0, 999), Some(0));
        assert_eq!(h.early, 1);
        assert_eq!(h.len(), MAX_HELD_BATCHES);
        assert_eq!(h.drain().count(), MAX_HELD_BATCHES);
        assert!(h.is_empty());
    }
}
