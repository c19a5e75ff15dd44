//! The live pipeline of `sporfri live`: capture thread → bounded channel → analysis task.
//!
//! Owns the threads, the channel, shutdown on SIGINT/SIGTERM, reopening a lost interface, the
//! drop counters and the optional raw pcapng file. libpcap itself is behind
//! `crate::capture::interface`; everything after the channel is the same pipeline replay uses.
//! [`LiveHook`] is where sessions, the store and the TUI subscribe.
//!
//! Contacts reach subscribers as they change: a batch of packets is analysed and, at most
//! [`COALESCE`] later, what changed is published ([`LiveHook::changes`]); counters go out every
//! [`COUNTERS_EVERY`]; the store keeps flushing once a second, independently.
//!
//! The analysis step itself is [`analysis::Analysis`] over the library's
//! [`crate::pipeline::Pipeline`], with the clock injected. It and `batch`, `feed`, `hook`,
//! `link`, `pcapng` and `stats` are plain Rust and always built; the capture thread and the
//! tokio task need the cargo feature `live`.

pub mod analysis;
pub mod batch;
#[cfg(feature = "live")]
pub mod capture_thread;
pub mod feed;
pub mod hook;
pub mod keylog;
pub mod link;
pub mod pcapng;
#[cfg(feature = "live")]
pub mod pipeline;
pub mod session;
pub mod stats;

pub use hook::{Change, ContactEvent, Hooks, LinkEvent, LiveEnd, LiveHook, LiveInfo};
#[cfg(feature = "live")]
pub use pipeline::{LiveError, LiveOptions, Stop, WriteOptions, run, run_until};
pub use stats::{LiveCounters, LiveStats};

use std::time::Duration;

use crate::time::Timestamp;

/// Longest a changed contact waits for the packets after it before it is published: changes
/// within this window go out together (an issue's bound is 100 ms from packet to subscriber).
pub const COALESCE: Duration = Duration::from_millis(10);
/// How often subscribers get the live counters (packets, bytes, drops).
pub const COUNTERS_EVERY: Duration = Duration::from_millis(250);

/// The wall clock as a packet timestamp. Live capture is the one place that reads a clock: to
/// date link events and to end idle flows when no packet carries the time forward.
pub fn wall_now() -> Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(d.as_secs(), u64::from(d.subsec_nanos()))
}
