//! The threads of a live run: the capture thread → a bounded channel → the analysis task on a
//! tokio current-thread runtime, which hands batches, timer ticks (publication, stats, key log)
//! and link events to [`Analysis`] (the library's pipeline), and ends cleanly on SIGINT/SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, interval_at};

use crate::attribute::{Attributor, SignatureError};
use crate::capture::CaptureError;
use crate::capture::interface::{LiveConfig, LiveSource};

use super::COUNTERS_EVERY;
use super::analysis::{Analysis, Clock, WallClock};
use super::capture_thread::{self, CaptureHandle, Msg};
use super::hook::{LiveEnd, LiveHook, LiveInfo};
use super::keylog::KEYLOG_POLL;
use super::pcapng::PcapngWriter;
use super::stats::LiveCounters;

/// A deadline that is never reached (the changes timer when nothing waits).
const FAR: Duration = Duration::from_secs(365 * 24 * 3600);

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
    /// packets wait [`super::keylog::KEYLOG_DELAY`] for their secrets.
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
    let clock = WallClock;
    let mut task = Analysis::new(attributor, hook, &clock);
    if let Some(path) = &options.keylog {
        task.follow_key_log(path);
    }
    if let Some(w) = writer {
        task.write_to(w);
    }
    task.hook().started(&LiveInfo {
        interface: options.capture.interface.clone(),
        filter: options.capture.filter.clone(),
        site: options.site.clone(),
        label: options.label.clone(),
        started: clock.now(),
    });
    let capture = capture_thread::spawn(source, options.capture.clone(), Arc::clone(&counters), tx)
        .map_err(setup("starting the capture thread"))?;
    let result = runtime.block_on(serve(&mut task, rx, options, &counters, &capture, stop));
    // A panic in a capture thread is reported as the end reason, not re-raised.
    let panicked = !capture.join();
    let reason = match (result, panicked) {
        (_, true) => "the capture thread panicked".to_owned(),
        (Ok(reason), false) => reason,
        (Err(e), false) => return Err(e),
    };
    Ok(task.end(counters.snapshot(), reason))
}

/// Serve the channel until a signal or the end of capture; answers why it stopped.
async fn serve(
    task: &mut Analysis<'_>,
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
    let mut live_counters = interval_at(start + COUNTERS_EVERY, COUNTERS_EVERY);
    let mut keys = interval_at(start, KEYLOG_POLL);
    let follow = task.follows_key_log();
    let reason = loop {
        // Changes wait at most COALESCE for more packets, then go to subscribers.
        let due = task.changes_due();
        let publish_at = due.map_or(start + FAR, Instant::from_std);
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(msg) => handle(task, msg),
                None => break "the capture ended".to_owned(),
            },
            _ = tokio::time::sleep_until(publish_at), if due.is_some() => task.publish_changes(),
            _ = live_counters.tick() => task.counters(&counters.snapshot()),
            _ = publish.tick() => task.publish(),
            _ = stats.tick() => task.stats(&counters.snapshot()),
            _ = keys.tick(), if follow => task.release(false),
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
                Some(msg) => handle(task, msg),
                None => break,
            },
            _ = tokio::time::sleep(Duration::from_millis(20)) => {
                if capture.finished() {
                    while let Ok(msg) = rx.try_recv() {
                        handle(task, msg);
                    }
                    break;
                }
            }
        }
    }
    task.release(true);
    Ok(reason)
}

fn handle(task: &mut Analysis<'_>, msg: Msg) {
    match msg {
        Msg::Batch(batch) => task.batch_arrived(batch),
        Msg::Link(event) => task.link(&event),
    }
}
