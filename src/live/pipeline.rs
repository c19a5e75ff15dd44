//! The analysis task: batches → engine → contacts → hooks, on a tokio current-thread runtime,
//! with periodic publication, stats, idle-flow expiry, and a clean end on SIGINT/SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, interval_at};

use crate::attribute::{Attributor, SignatureError};
use crate::capture::CaptureError;
use crate::capture::live::{LiveConfig, LiveSource};
use crate::contact::Contacts;
use crate::flow::Engine;
use crate::observation::Observation;

use super::batch::Batch;
use super::capture::{self, CaptureHandle, Msg};
use super::feed::ContactFeed;
use super::hook::{LiveEnd, LiveHook, LiveInfo};
use super::keylog::{Held, KEYLOG_DELAY, KEYLOG_POLL, KeyLogTail};
use super::pcapng::{DropCounts, PcapngWriter};
use super::stats::LiveCounters;
use super::wall_now;

/// Batches the channel holds: with [`super::batch::MAX_BATCH_PACKETS`] that is up to 32k
/// packets of slack while the analysis task is busy.
pub const CHANNEL_BATCHES: usize = 64;

/// Where and how to write the raw capture.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// First file; later ones are numbered (`cap.1.pcapng`, ...).
    pub path: PathBuf,
    /// Start a new file at this size.
    pub rotate_bytes: u64,
}

/// Everything `sporfri live` needs.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Interface and libpcap settings.
    pub capture: LiveConfig,
    /// Site profile of the service under test.
    pub site: Option<String>,
    /// Tester's label for the session.
    pub label: Option<String>,
    /// Also write the raw capture.
    pub write: Option<WriteOptions>,
    /// How often new/updated contacts are published.
    pub publish_every: Duration,
    /// How often counters are reported.
    pub stats_every: Duration,
    /// A TLS key log the browser writes while the run goes on (lab decryption): followed, and
    /// packets wait [`KEYLOG_DELAY`] for their secrets.
    pub keylog: Option<PathBuf>,
}

impl LiveOptions {
    /// Defaults for `interface`.
    pub fn new(interface: &str) -> LiveOptions {
        LiveOptions {
            capture: LiveConfig::new(interface),
            site: None,
            label: None,
            write: None,
            publish_every: Duration::from_secs(1),
            stats_every: Duration::from_secs(30),
            keylog: None,
        }
    }
}

/// Why a live run could not start or went wrong.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The interface could not be opened.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The site profile or signatures could not be loaded.
    #[error(transparent)]
    Signatures(#[from] SignatureError),
    /// The runtime, a signal handler, the thread or the `--write` file could not be set up.
    #[error("{what}: {cause}")]
    Setup {
        /// What was being set up.
        what: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: std::io::Error,
    },
}

fn setup(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> LiveError {
    let what = what.into();
    move |cause| LiveError::Setup { what, cause }
}

/// Ends a live run from elsewhere (the control socket's "end session", a test); cheap to clone,
/// callable from any thread, and remembered if called before the run waits for it.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<tokio::sync::Notify>);

impl Stop {
    /// A stop that nobody has pulled yet.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// End the run as if SIGTERM had arrived (the end reason is `stopped`).
    pub fn stop(&self) {
        self.0.notify_one();
    }
}

/// Run a live capture until SIGINT or SIGTERM; every product goes to `hook`.
pub fn run(options: &LiveOptions, hook: &mut dyn LiveHook) -> Result<LiveEnd, LiveError> {
    run_until(options, hook, &Stop::new())
}

/// [`run`], also ended by `stop`.
pub fn run_until(
    options: &LiveOptions,
    hook: &mut dyn LiveHook,
    stop: &Stop,
) -> Result<LiveEnd, LiveError> {
    let attributor = Attributor::builtin(options.site.as_deref())?;
    let source = LiveSource::open(&options.capture)?;
    let writer = match &options.write {
        Some(w) => Some(
            PcapngWriter::create(
                &w.path,
                w.rotate_bytes,
                source.link(),
                &options.capture.interface,
            )
            .map_err(setup(format!("creating {}", w.path.display())))?,
        ),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(setup("starting the tokio runtime"))?;
    let counters = Arc::new(LiveCounters::default());
    let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
    let mut engine = Engine::new();
    if options.keylog.is_some() {
        engine.set_key_log(crate::decrypt::KeyLog::new());
    }
    let mut task = Analysis {
        engine,
        keylog: options.keylog.as_deref().map(KeyLogTail::new),
        held: Held::new(KEYLOG_DELAY),
        keylog_warned: false,
        contacts: Contacts::default(),
        feed: ContactFeed::default(),
        attributor,
        hook,
        writer,
        dirty: false,
    };
    task.hook.started(&LiveInfo {
        interface: options.capture.interface.clone(),
        filter: options.capture.filter.clone(),
        site: options.site.clone(),
        label: options.label.clone(),
        started: wall_now(),
    });
    let capture = capture::spawn(source, options.capture.clone(), Arc::clone(&counters), tx)
        .map_err(setup("starting the capture thread"))?;
    let result = runtime.block_on(task.run(rx, options, &counters, &capture, stop));
    // A panic in a capture thread is reported as the end reason, not re-raised.
    let panicked = !capture.join();
    let reason = match (result, panicked) {
        (_, true) => "the capture thread panicked".to_owned(),
        (Ok(reason), false) => reason,
        (Err(e), false) => return Err(e),
    };
    Ok(task.end(&counters, reason))
}

struct Analysis<'h> {
    engine: Engine,
    /// `--keylog`: the file followed; batches wait in `held` for their secrets.
    keylog: Option<KeyLogTail>,
    held: Held<Batch>,
    keylog_warned: bool,
    contacts: Contacts,
    feed: ContactFeed,
    attributor: Attributor,
    hook: &'h mut dyn LiveHook,
    writer: Option<PcapngWriter>,
    dirty: bool,
}

impl Analysis<'_> {
    /// Serve the channel until a signal or the end of capture; answers why it stopped.
    async fn run(
        &mut self,
        mut rx: mpsc::Receiver<Msg>,
        options: &LiveOptions,
        counters: &LiveCounters,
        capture: &CaptureHandle,
        stop: &Stop,
    ) -> Result<String, LiveError> {
        let mut sigint = signal(SignalKind::interrupt()).map_err(setup("handling SIGINT"))?;
        let mut sigterm = signal(SignalKind::terminate()).map_err(setup("handling SIGTERM"))?;
        let start = Instant::now();
        let mut publish = interval_at(start + options.publish_every, options.publish_every);
        let mut stats = interval_at(start + options.stats_every, options.stats_every);
        let mut keys = interval_at(start, KEYLOG_POLL);
        let follow = self.keylog.is_some();
        let reason = loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg),
                    None => break "the capture ended".to_owned(),
                },
                _ = publish.tick() => self.publish(),
                _ = stats.tick() => self.hook.stats(&counters.snapshot()),
                _ = keys.tick(), if follow => self.release(false),
                _ = sigint.recv() => break "SIGINT".to_owned(),
                _ = sigterm.recv() => break "SIGTERM".to_owned(),
                _ = stop.0.notified() => break "stopped".to_owned(),
            }
        };
        // Let the capture thread send its last batch, then drain everything still queued.
        capture.stop();
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(msg),
                    None => break,
                },
                _ = tokio::time::sleep(Duration::from_millis(20)) => {
                    if capture.finished() {
                        while let Ok(msg) = rx.try_recv() {
                            self.handle(msg);
                        }
                        break;
                    }
                }
            }
        }
        self.release(true);
        Ok(reason)
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Batch(batch) if self.keylog.is_some() => {
                if let Some(early) = self.held.push(std::time::Instant::now(), batch) {
                    self.read_keys();
                    self.batch(&early);
                }
            }
            Msg::Batch(batch) => self.batch(&batch),
            Msg::Link(event) => self.hook.link(&event),
        }
    }

    fn batch(&mut self, batch: &Batch) {
        let Analysis {
            engine,
            contacts,
            hook,
            writer,
            ..
        } = self;
        let mut sink = |obs: Observation| {
            hook.observation(&obs);
            contacts.observe(&obs);
        };
        let mut write_error = None;
        for packet in batch.packets() {
            engine.ingest(&packet, &mut sink);
            if let Some(w) = writer.as_mut()
                && let Err(e) = w.write(packet.ts, packet.link, packet.data, packet.orig_len)
            {
                write_error = Some(e);
            }
        }
        if let Some(e) = write_error {
            // A full disk must not stop the analysis; the file stops, and the tester is told.
            self.writer = None;
            self.hook
                .warning(&format!("writing the raw capture stopped: {e}"));
        }
        self.dirty = true;
    }

    /// Read the key log's new lines into the engine.
    fn read_keys(&mut self) {
        let Some(tail) = self.keylog.as_mut() else {
            return;
        };
        match tail.poll() {
            Ok(lines) if !lines.is_empty() => self.engine.add_key_log_text(&lines),
            Ok(_) => {}
            Err(e) if !self.keylog_warned => {
                self.keylog_warned = true;
                let path = tail.path().display().to_string();
                self.hook.warning(&format!(
                    "reading the key log {path} failed ({e}); connections without secrets stay \
                     metadata (counted as decrypt.no_key)"
                ));
            }
            Err(_) => {}
        }
    }

    /// Read the key log, then analyse the held batches that waited long enough (all: `all`).
    fn release(&mut self, all: bool) {
        self.read_keys();
        let now = std::time::Instant::now();
        let due: Vec<Batch> = if all {
            self.held.drain().collect()
        } else {
            std::iter::from_fn(|| self.held.due(now)).collect()
        };
        for b in &due {
            self.batch(b);
        }
    }

    fn publish(&mut self) {
        let Analysis {
            engine,
            contacts,
            hook,
            ..
        } = self;
        // Wall time ends idle flows even when no packet arrives to carry the time; their
        // flow ends change contacts (flows, bytes), which must be published too.
        let mut ended = false;
        let mut sink = |obs: Observation| {
            ended = true;
            hook.observation(&obs);
            contacts.observe(&obs);
        };
        engine.tick(wall_now(), &mut sink);
        self.dirty |= ended;
        self.hook.tick();
        if let Some(w) = self.writer.as_mut() {
            let _ = w.flush();
        }
        if !std::mem::take(&mut self.dirty) {
            return;
        }
        let events = self.feed.changes(&self.contacts, &self.attributor);
        if !events.is_empty() {
            self.hook.contacts(&events);
        }
    }

    fn end(mut self, counters: &LiveCounters, reason: String) -> LiveEnd {
        let Analysis {
            engine,
            contacts,
            hook,
            ..
        } = &mut self;
        let mut sink = |obs: Observation| {
            hook.observation(&obs);
            contacts.observe(&obs);
        };
        engine.finish(&mut sink);
        self.dirty = true;
        self.publish();
        let stats = counters.snapshot();
        let mut files = Vec::new();
        if let Some(w) = self.writer.as_mut() {
            let drops = DropCounts {
                received: stats.received,
                if_dropped: stats.kernel_dropped + stats.if_dropped,
                os_dropped: stats.channel_dropped,
            };
            if let Err(e) = w.finish(drops) {
                self.hook
                    .warning(&format!("closing the raw capture failed: {e}"));
            }
            files = w.files().to_vec();
        }
        self.hook.stats(&stats);
        let end = LiveEnd {
            ended: wall_now(),
            stats,
            packets: self.engine.stats().packets,
            flows: self.engine.stats().flows,
            contacts: self.contacts.sorted().len(),
            weirds: LiveEnd::weirds_of(self.engine.weirds()),
            files,
            reason,
        };
        self.hook.ended(&end);
        end
    }
}
