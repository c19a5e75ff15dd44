//! One subscriber: a bounded queue of event lines and a thread that writes them to its socket.
//!
//! The analysis only ever appends to the queue (a short lock), so a client that reads slowly or
//! not at all never slows the capture down: when its queue is full the oldest lines are
//! dropped and counted, and once it has read what waits it is sent the whole state again
//! ([`Subscriber::resync`]), which supersedes what it missed.

use std::collections::VecDeque;
use std::io::Write;
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// Lines waiting per subscriber; past this the oldest are dropped.
pub const MAX_QUEUED_LINES: usize = 4_096;
/// Bytes waiting per subscriber; past this the oldest lines are dropped.
pub const MAX_QUEUED_BYTES: usize = 8 << 20;

#[derive(Debug, Default)]
struct Queue {
    lines: VecDeque<Arc<str>>,
    bytes: usize,
    /// Lines were dropped since the subscriber was last sent the whole state.
    lagged: bool,
    /// The client left, or the server is closing.
    closed: bool,
}

/// A subscriber's queue, shared by the publisher and its writer thread.
#[derive(Debug)]
pub struct Subscriber {
    queue: Mutex<Queue>,
    ready: Condvar,
    stream: UnixStream,
}

impl Subscriber {
    /// Serve `stream`: its writer thread starts at once and waits for lines.
    pub fn start(stream: UnixStream) -> std::io::Result<Arc<Subscriber>> {
        let sub = Arc::new(Subscriber {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            stream: stream.try_clone()?,
        });
        let writer = Arc::clone(&sub);
        std::thread::Builder::new()
            .name("sporfri-control-sub".into())
            .spawn(move || writer.write_loop(stream))?;
        Ok(sub)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queue `line`; drops the oldest lines past the bounds and counts them in `lagged`.
    pub fn push(&self, line: &Arc<str>, lagged: &AtomicU64) {
        let mut q = self.lock();
        if q.closed {
            return;
        }
        q.bytes += line.len();
        q.lines.push_back(Arc::clone(line));
        while q.lines.len() > MAX_QUEUED_LINES || q.bytes > MAX_QUEUED_BYTES {
            let Some(old) = q.lines.pop_front() else {
                break;
            };
            q.bytes -= old.len();
            q.lagged = true;
            lagged.fetch_add(1, Ordering::Relaxed);
        }
        drop(q);
        self.ready.notify_one();
    }

    /// Replace whatever waits with `lines` (the whole state): what was missed is superseded.
    pub fn resync(&self, lines: &[Arc<str>]) {
        let mut q = self.lock();
        q.lines = lines.iter().cloned().collect();
        q.bytes = lines.iter().map(|l| l.len()).sum();
        q.lagged = false;
        drop(q);
        self.ready.notify_one();
    }

    /// Lines were dropped since the subscriber was last sent the whole state, and it has
    /// read most of what waits: time to send the whole state. While it does not read, no state
    /// is made for it (making one costs the analysis).
    pub fn wants_resync(&self) -> bool {
        let q = self.lock();
        q.lagged && q.lines.len() <= MAX_QUEUED_LINES / 4 && q.bytes <= MAX_QUEUED_BYTES / 4
    }

    /// Lines were dropped since the subscriber was last sent the whole state.
    #[cfg(test)]
    pub fn lagged(&self) -> bool {
        self.lock().lagged
    }

    /// The client left (or was closed).
    pub fn closed(&self) -> bool {
        self.lock().closed
    }

    /// Lines waiting.
    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.lock().lines.len()
    }

    /// Stop: the writer thread ends, even in the middle of a write to a client that does not
    /// read.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    fn write_loop(&self, mut stream: UnixStream) {
        loop {
            let line = {
                let mut q = self.lock();
                loop {
                    if q.closed {
                        return;
                    }
                    if let Some(line) = q.lines.pop_front() {
                        q.bytes -= line.len();
                        break line;
                    }
                    q = self.ready.wait(q).unwrap_or_else(PoisonError::into_inner);
                }
            };
            // Blocking is fine here: only this subscriber's thread waits for its client.
            let sent = stream
                .write_all(line.as_bytes())
                .and_then(|()| stream.write_all(b"\n"));
            if sent.is_err() {
                self.lock().closed = true;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};

    #[test]
    fn a_client_that_does_not_read_loses_the_oldest_lines_and_never_blocks() {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let sub = Subscriber::start(ours).unwrap();
        let lagged = AtomicU64::new(0);
        let line: Arc<str> = Arc::from("x".repeat(1_000).as_str());
        let started = std::time::Instant::now();
        for _ in 0..20_000 {
            sub.push(&line, &lagged);
        }
        // 20 MB offered to a client that reads nothing: queued up to the bounds, no waiting.
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(sub.lagged());
        assert!(lagged.load(Ordering::Relaxed) > 10_000);
        assert!(sub.queued() <= MAX_QUEUED_LINES);
        sub.resync(&[Arc::from("{\"state\":1}")]);
        assert!(!sub.lagged());
        // The client reads again: what the socket buffer held, then the whole state.
        let mut reader = BufReader::new(theirs);
        let mut got = String::new();
        loop {
            got.clear();
            reader.read_line(&mut got).unwrap();
            if got.trim() == "{\"state\":1}" {
                break;
            }
            assert_eq!(got.trim().len(), 1_000);
        }
        sub.close();
        assert!(sub.closed());
    }
}
