//! What a live run tells the rest of the program: the seam where the session recorder, the store
//! writer and the TUI's subscribers plug in.

use std::path::PathBuf;

use serde::Serialize;

use crate::contact::Contact;
use crate::observation::Observation;
use crate::stats::Counters;
use crate::time::Timestamp;

use super::stats::LiveStats;

/// Facts about a starting live run.
#[derive(Debug, Clone, Serialize)]
pub struct LiveInfo {
    /// Capture interface.
    pub interface: String,
    /// BPF filter, if any.
    pub filter: Option<String>,
    /// Site profile of the service under test.
    pub site: Option<String>,
    /// Tester's label for the session.
    pub label: Option<String>,
    /// Wall-clock start.
    #[serde(serialize_with = "rfc3339")]
    pub started: Timestamp,
}

/// Whether a contact is new or changed since it was last published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// First time this (device, client address, name) was seen.
    New,
    /// Seen before; something about it changed (flows, bytes, evidence, attribution ...).
    Updated,
}

/// One contact as published to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactEvent {
    /// New or updated.
    pub change: Change,
    /// The contact as it is now, attributed.
    #[serde(flatten)]
    pub contact: Contact,
}

/// What happened to the capture interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum LinkEvent {
    /// Capture started (or restarted) on the interface.
    Up {
        /// Wall-clock time.
        #[serde(serialize_with = "rfc3339")]
        at: Timestamp,
        /// 0 for the first open, then the number of the reopen.
        reopen: u64,
    },
    /// The interface went away or down; sporfri keeps trying to reopen it.
    Down {
        /// Wall-clock time.
        #[serde(serialize_with = "rfc3339")]
        at: Timestamp,
        /// What libpcap or sysfs said.
        reason: String,
    },
}

/// How a live run ended.
#[derive(Debug, Clone, Serialize)]
pub struct LiveEnd {
    /// Wall-clock end.
    #[serde(serialize_with = "rfc3339")]
    pub ended: Timestamp,
    /// Final capture and drop counters.
    pub stats: LiveStats,
    /// Packets the engine analysed.
    pub packets: u64,
    /// Flows started.
    pub flows: u64,
    /// Contacts at the end.
    pub contacts: usize,
    /// Malformed input and limits hit, by kind.
    pub weirds: Vec<(String, u64)>,
    /// Raw capture files written (`--write`).
    pub files: Vec<PathBuf>,
    /// Why the run ended: `signal`, or the error that stopped it.
    pub reason: String,
}

impl LiveEnd {
    /// Turn engine counters into the serializable list.
    pub fn weirds_of(counters: &Counters) -> Vec<(String, u64)> {
        counters.iter().map(|(k, n)| (k.to_string(), n)).collect()
    }
}

/// Receives everything a live run produces, on the analysis task, in order.
///
/// Every method has an empty default, so a hook implements only what it needs. The CLI's printer
/// is one hook; the session recorder (session/ + store/) is meant to be another, combined with
/// [`Hooks`]. Methods must not block for long: packets wait meanwhile (and are counted as channel
/// drops if the wait fills the channel).
pub trait LiveHook {
    /// The run started (before the first packet).
    fn started(&mut self, _info: &LiveInfo) {}
    /// Every observation, as the engine emits it.
    fn observation(&mut self, _obs: &Observation) {}
    /// Once per publish interval (about a second), with or without traffic; `now` is the run's
    /// clock.
    fn tick(&mut self, _now: Timestamp) {}
    /// Contacts new or changed since the last publication (at most every publish interval).
    fn contacts(&mut self, _events: &[ContactEvent]) {}
    /// Packets were analysed moments ago (changes are coalesced over [`super::COALESCE`]):
    /// publish the contacts they changed.
    fn changes(&mut self) {}
    /// Live counters, every [`super::COUNTERS_EVERY`]; `now` is the run's clock.
    fn counters(&mut self, _stats: &LiveStats, _now: Timestamp) {}
    /// The interface went down or came back.
    fn link(&mut self, _event: &LinkEvent) {}
    /// Periodic counters (every stats interval, and once at the end).
    fn stats(&mut self, _stats: &LiveStats) {}
    /// Something the tester must know that does not stop the run (e.g. `--write` failed).
    fn warning(&mut self, _message: &str) {}
    /// The run ended; flush and mark the session ended here.
    fn ended(&mut self, _end: &LiveEnd) {}
}

/// Several hooks called in order.
#[derive(Default)]
pub struct Hooks<'a>(pub Vec<&'a mut dyn LiveHook>);

impl LiveHook for Hooks<'_> {
    fn started(&mut self, info: &LiveInfo) {
        self.0.iter_mut().for_each(|h| h.started(info));
    }
    fn observation(&mut self, obs: &Observation) {
        self.0.iter_mut().for_each(|h| h.observation(obs));
    }
    fn tick(&mut self, now: Timestamp) {
        self.0.iter_mut().for_each(|h| h.tick(now));
    }
    fn contacts(&mut self, events: &[ContactEvent]) {
        self.0.iter_mut().for_each(|h| h.contacts(events));
    }
    fn changes(&mut self) {
        self.0.iter_mut().for_each(|h| h.changes());
    }
    fn counters(&mut self, stats: &LiveStats, now: Timestamp) {
        self.0.iter_mut().for_each(|h| h.counters(stats, now));
    }
    fn link(&mut self, event: &LinkEvent) {
        self.0.iter_mut().for_each(|h| h.link(event));
    }
    fn stats(&mut self, stats: &LiveStats) {
        self.0.iter_mut().for_each(|h| h.stats(stats));
    }
    fn warning(&mut self, message: &str) {
        self.0.iter_mut().for_each(|h| h.warning(message));
    }
    fn ended(&mut self, end: &LiveEnd) {
        self.0.iter_mut().for_each(|h| h.ended(end));
    }
}

fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.rfc3339())
}
