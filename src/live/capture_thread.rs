//! The capture thread: libpcap reads → batches → bounded channel; and the link watcher that
//! reports outages and makes the capture reopen a recreated interface.
//!
//! The capture thread never waits for the analysis task: a full channel drops the batch and
//! counts it, so the kernel buffer keeps draining and every loss shows in [`LiveCounters`].
//! libpcap blocks inside a read while the interface is down (it swallows `ENETDOWN`), so the
//! link state is watched from a second thread, which also interrupts the read on shutdown.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{self, error::TrySendError};

use crate::capture::interface::{Breaker, LiveConfig, LiveSource};

use super::batch::Batch;
use super::hook::LinkEvent;
use super::link::{LinkState, LinkWatch};
use super::stats::{LiveCounters, PcapCounts, PcapReading};
use super::wall_now;

/// A partly filled batch is sent after this long even while packets keep coming; it is sent at
/// once when a read finds no packet waiting.
pub const BATCH_MAX_AGE: Duration = Duration::from_millis(5);
/// The longest a quiet capture waits for a packet before it looks at shutdown, reopening and
/// libpcap's counters again (a packet ends the wait at once).
pub const IDLE_WAIT: Duration = Duration::from_millis(50);
/// How often libpcap's counters are read.
pub const STATS_EVERY: Duration = Duration::from_secs(1);
/// How often the link watcher reads the interface state.
pub const WATCH_EVERY: Duration = Duration::from_millis(250);
/// First wait before reopening a lost interface; doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between reopen attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// `open_ifindex` when no handle is open.
const NOT_OPEN: u64 = 0;
/// `open_ifindex` when the interface cannot be watched (e.g. `any`).
const UNWATCHED: u64 = u64::MAX;

/// What the capture threads send.
#[derive(Debug)]
pub enum Msg {
    /// Packets.
    Batch(Batch),
    /// The interface went down or came back.
    Link(LinkEvent),
}

/// State shared by the capture thread, the link watcher and the owner.
struct Shared {
    stop: AtomicBool,
    /// Set by the watcher when the open handle is dead (interface recreated).
    reopen: AtomicBool,
    /// Interface index the open handle is bound to.
    open_ifindex: AtomicU64,
    /// An outage was reported and the return not yet.
    down: AtomicBool,
    breaker: Mutex<Option<Breaker>>,
    counters: Arc<LiveCounters>,
    tx: mpsc::Sender<Msg>,
}

impl Shared {
    fn interrupt(&self) {
        if let Ok(b) = self.breaker.lock()
            && let Some(b) = b.as_ref()
        {
            b.interrupt();
        }
    }

    fn mark_down(&self, reason: &str) {
        if !self.down.swap(true, Ordering::SeqCst) {
            self.counters.outages.fetch_add(1, Ordering::Relaxed);
            self.send(LinkEvent::Down {
                at: wall_now(),
                reason: reason.to_owned(),
            });
        }
    }

    fn mark_up(&self) {
        if self.down.swap(false, Ordering::SeqCst) {
            self.send(LinkEvent::Up {
                at: wall_now(),
                reopen: self.counters.reopens.load(Ordering::Relaxed),
            });
        }
    }

    /// Link events are rare and must not be lost: wait for room.
    fn send(&self, event: LinkEvent) {
        let _ = self.tx.blocking_send(Msg::Link(event));
    }
}

/// The running capture: its thread and its link watcher.
pub struct CaptureHandle {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl CaptureHandle {
    /// Ask both threads to end (a blocked read is interrupted); the channel closes once they have.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.interrupt();
    }

    /// Both threads have ended.
    pub fn finished(&self) -> bool {
        self.threads.iter().all(|t| t.is_finished())
    }

    /// Wait for both threads; `false` if one panicked.
    pub fn join(self) -> bool {
        self.stop();
        self.threads.into_iter().all(|t| t.join().is_ok())
    }
}

/// Start capturing on an already opened source (so that a wrong interface name or missing
/// capabilities fail the command at once instead of being retried forever).
pub fn spawn(
    mut source: LiveSource,
    config: LiveConfig,
    counters: Arc<LiveCounters>,
    tx: mpsc::Sender<Msg>,
) -> std::io::Result<CaptureHandle> {
    let watch = LinkWatch::new(&config.interface);
    let watchable = watch.watchable();
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        reopen: AtomicBool::new(false),
        open_ifindex: AtomicU64::new(bound_index(&watch, watchable)),
        down: AtomicBool::new(false),
        breaker: Mutex::new(Some(source.breaker())),
        counters,
        tx,
    });
    shared.send(LinkEvent::Up {
        at: wall_now(),
        reopen: 0,
    });
    let mut threads = Vec::new();
    let mut capture = CaptureLoop {
        batch: Batch::new(source.link()),
        source: Some(source),
        config,
        shared: Arc::clone(&shared),
        watch: watch.clone(),
        watchable,
        batch_started: Instant::now(),
        last_stats: Instant::now(),
        reading: PcapReading::default(),
        backoff: FIRST_BACKOFF,
        next_try: Instant::now(),
    };
    threads.push(
        std::thread::Builder::new()
            .name("sporfri capture".into())
            .spawn(move || capture.run())?,
    );
    if watchable {
        let shared = Arc::clone(&shared);
        threads.push(
            std::thread::Builder::new()
                .name("sporfri link watch".into())
                .spawn(move || watch_link(&watch, &shared))?,
        );
    }
    Ok(CaptureHandle { shared, threads })
}

fn bound_index(watch: &LinkWatch, watchable: bool) -> u64 {
    match (watchable, watch.state()) {
        (false, _) => UNWATCHED,
        (true, LinkState::Up { ifindex }) => ifindex,
        // Opened while down: the index is still known from sysfs when the link returns.
        (true, _) => UNWATCHED,
    }
}

/// Report outages from sysfs; interrupt a handle bound to an interface that was recreated.
fn watch_link(watch: &LinkWatch, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        match watch.state() {
            LinkState::Down => shared.mark_down("the interface is down"),
            LinkState::Gone => shared.mark_down("the interface disappeared"),
            LinkState::Up { ifindex } => match shared.open_ifindex.load(Ordering::SeqCst) {
                // The capture thread is reopening; it reports the return itself.
                NOT_OPEN => {}
                // The same socket lives on after a down/up (libpcap resumes by itself).
                open if open == ifindex || open == UNWATCHED => shared.mark_up(),
                _ => {
                    shared.mark_down("the interface was recreated");
                    shared.reopen.store(true, Ordering::SeqCst);
                    shared.interrupt();
                }
            },
        }
        std::thread::sleep(WATCH_EVERY);
    }
}

struct CaptureLoop {
    source: Option<LiveSource>,
    config: LiveConfig,
    shared: Arc<Shared>,
    watch: LinkWatch,
    watchable: bool,
    batch: Batch,
    batch_started: Instant,
    last_stats: Instant,
    /// libpcap's last counters of the open handle.
    reading: PcapReading,
    backoff: Duration,
    next_try: Instant,
}

impl CaptureLoop {
    fn run(&mut self) {
        while !self.shared.stop.load(Ordering::SeqCst) && !self.shared.tx.is_closed() {
            if self.shared.reopen.swap(false, Ordering::SeqCst) {
                self.flush();
                self.close();
            }
            let idle = if self.source.is_some() {
                !self.read_one()
            } else {
                self.try_reopen();
                true
            };
            // Nothing more waiting: what was read goes to the analysis now, not a batch later.
            if !self.batch.is_empty() && (idle || self.batch_started.elapsed() >= BATCH_MAX_AGE) {
                self.flush();
            }
            if self.last_stats.elapsed() >= STATS_EVERY {
                self.last_stats = Instant::now();
                self.read_stats();
            }
            // Only once the batch went on: the wait lasts until the next packet.
            if idle && let Some(source) = self.source.as_ref() {
                let _ = source.wait(IDLE_WAIT);
            }
        }
        self.flush();
        self.close();
    }

    /// Read one packet; `false` when none was waiting.
    fn read_one(&mut self) -> bool {
        let Some(source) = self.source.as_mut() else {
            return false;
        };
        let counters = &self.shared.counters;
        match source.poll() {
            Ok(Some(p)) => {
                counters.captured.fetch_add(1, Ordering::Relaxed);
                counters
                    .captured_bytes
                    .fetch_add(u64::from(p.orig_len), Ordering::Relaxed);
                if p.link != self.batch.link() {
                    let (ts, orig_len, data) = (p.ts, p.orig_len, p.data.to_vec());
                    let link = p.link;
                    self.flush();
                    self.batch = Batch::new(link);
                    self.batch_started = Instant::now();
                    self.batch.push(ts, &data, orig_len);
                } else {
                    if self.batch.is_empty() {
                        self.batch_started = Instant::now();
                    }
                    self.batch.push(p.ts, p.data, p.orig_len);
                }
                if self.batch.is_full() {
                    self.flush();
                }
                true
            }
            Ok(None) => false,
            Err(e) => {
                self.flush();
                self.close();
                self.shared.mark_down(&e.to_string());
                false
            }
        }
    }

    fn read_stats(&mut self) {
        if let Some(source) = self.source.as_mut()
            && let Ok(s) = source.stats()
        {
            self.shared.counters.add_pcap(&mut self.reading, counts(s));
        }
    }

    fn try_reopen(&mut self) {
        let now = Instant::now();
        if now < self.next_try {
            // Short naps keep shutdown prompt while waiting.
            std::thread::sleep((self.next_try - now).min(Duration::from_millis(100)));
            return;
        }
        let up = !self.watchable || matches!(self.watch.state(), LinkState::Up { .. });
        let opened = if up {
            LiveSource::open(&self.config).ok()
        } else {
            None
        };
        let Some(mut source) = opened else {
            self.next_try = Instant::now() + self.backoff;
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            return;
        };
        self.backoff = FIRST_BACKOFF;
        if let Ok(mut b) = self.shared.breaker.lock() {
            *b = Some(source.breaker());
        }
        let index = bound_index(&self.watch, self.watchable);
        self.shared.open_ifindex.store(index, Ordering::SeqCst);
        self.source = Some(source);
        self.shared.counters.reopens.fetch_add(1, Ordering::Relaxed);
        self.shared.mark_up();
    }

    fn close(&mut self) {
        self.shared.open_ifindex.store(NOT_OPEN, Ordering::SeqCst);
        if let Ok(mut b) = self.shared.breaker.lock() {
            *b = None;
        }
        if let Some(mut source) = self.source.take() {
            if let Ok(s) = source.stats() {
                self.shared.counters.add_pcap(&mut self.reading, counts(s));
            }
            // The next handle's counters start from zero.
            self.reading = PcapReading::default();
        }
        self.next_try = Instant::now() + FIRST_BACKOFF;
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let link = self.batch.link();
        let batch = std::mem::replace(&mut self.batch, Batch::new(link));
        let n = batch.len() as u64;
        match self.shared.tx.try_send(Msg::Batch(batch)) {
            Ok(()) => {
                self.shared.counters.batches.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) => self.shared.counters.channel_drop(n),
            // The analysis task is gone: the loop ends at its next turn.
            Err(TrySendError::Closed(_)) => {}
        }
    }
}

fn counts(s: crate::capture::interface::KernelStats) -> PcapCounts {
    PcapCounts {
        received: s.received,
        dropped: s.dropped,
        if_dropped: s.if_dropped,
    }
}
