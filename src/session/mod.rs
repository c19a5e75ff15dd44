//! Sessions: a tester's unit of work ("borger.dk on an iPhone, reject cookies, 14:02-14:09").
//!
//! This module owns the session model (label, site, source, marks, phases, devices) and the
//! [`Recorder`] that turns observations into per-session contact records in batches. It does no
//! I/O and reads no clock: every instant comes from a packet or from the caller. `store/`
//! persists what it produces.

mod baseline;
mod evidence;
mod mark;
mod publish;
mod reattribute;
mod record;
mod recorder;
mod request;
pub mod ts;
mod visit;

#[cfg(test)]
mod baseline_tests;
#[cfg(test)]
mod evidence_tests;
#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

#[cfg(test)]
pub(crate) use baseline::FACT_FIELDS;
pub use baseline::{
    Activity, Against, Background, BaselineFacts, BaselineRef, Choice, DEFAULT_MAX_AGE_DAYS,
    GROWTH_FACTOR, IdleBaseline, IdleMatch, Judge, MIN_EXTRA_BYTES, MIN_EXTRA_FLOWS, MatchBy,
    devices_of, grew, resettle,
};
pub use evidence::{
    ALL_VIAS, Evidence, EvidenceBook, EvidenceKind, MAX_EARLY_EVIDENCE, MAX_EVIDENCE,
    MAX_PENDING_HELLOS, parse_via,
};
pub use mark::{Mark, MarkKind, MarkSpec, MarkTime, Phase, phase_at, visit_at};
pub use reattribute::reattribute;
pub(crate) use record::quote;
pub use record::{CSV_HEADER, ContactRecord, csv_row};
pub use recorder::{MAX_PENDING_EVIDENCE, MAX_REQUESTS, Recorder};
pub use request::{CookieSet, REQUEST_CSV_HEADER, RequestEntry, request_csv_row};
pub use visit::BaselinePlan;

use crate::attribute::SignatureSet;
use crate::observation::DeviceId;
use crate::time::Timestamp;

/// A session's number: increasing with creation, unique in one database.
pub type SessionId = u64;

/// Where the packets came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Source {
    /// A capture file, with the SHA-256 of its bytes (hex) so the evidence can be re-checked.
    File {
        /// Path as given on the command line.
        path: String,
        /// SHA-256 of the whole file, lower-case hex.
        sha256: String,
    },
    /// A live interface.
    Interface {
        /// Interface name.
        name: String,
    },
}

/// Whether a session is still being recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionState {
    /// A process is recording it (or was, until it died: see [`SessionState::Interrupted`]).
    Recording,
    /// Ended normally.
    Ended,
    /// The recording process died; contacts are complete up to `last_flush`.
    Interrupted,
}

/// Wall-clock times of the run that recorded a session (the only parts that differ between two
/// replays of the same file, together with the id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTimes {
    /// When recording began (RFC 3339).
    pub started: Option<String>,
    /// The last time a batch reached the database.
    pub flushed: Option<String>,
    /// When recording ended (or was found interrupted).
    pub ended: Option<String>,
}

/// What is known of one device in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// MAC (`aa:bb:cc:dd:ee:ff`), or IP address on links without one.
    pub device: String,
    /// Addresses it used.
    pub ips: Vec<IpAddr>,
    /// DHCP host name (option 12), when DHCP was in the capture.
    pub host_name: Option<String>,
    /// DHCP vendor class (option 60), when DHCP was in the capture.
    pub vendor_class: Option<String>,
}

/// Counters of one session's recording.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStats {
    /// Packets read.
    pub packets: u64,
    /// Contacts in the session.
    pub contacts: u64,
    /// Contacts whose latest state could not be written (disk full, read-only database).
    pub unstored: u64,
    /// Batches the database refused.
    pub failed_batches: u64,
    /// Contacts not kept because the in-memory limit was reached.
    pub dropped: u64,
    /// Packets the kernel dropped (live capture).
    #[serde(default)]
    pub kernel_dropped: u64,
    /// Packets the interface dropped (live capture).
    #[serde(default)]
    pub interface_dropped: u64,
    /// Packets dropped because the analysis fell behind (live capture).
    #[serde(default)]
    pub channel_dropped: u64,
    /// Times the capture interface went away during the session (live capture).
    #[serde(default)]
    pub outages: u64,
    /// HTTP requests kept: plain HTTP, and decrypted with a TLS key log (lab decryption).
    #[serde(default)]
    pub requests: u64,
    /// Requests not kept because [`MAX_REQUESTS`] was reached.
    #[serde(default)]
    pub requests_dropped: u64,
}

/// What a live capture counted, for [`Recorder::capture_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets captured.
    pub packets: u64,
    /// Dropped by the kernel.
    pub kernel_dropped: u64,
    /// Dropped by the interface.
    pub interface_dropped: u64,
    /// Dropped because the analysis fell behind.
    pub channel_dropped: u64,
    /// Interface outages.
    pub outages: u64,
}

/// One test session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Number (0 until the store assigns one).
    pub id: SessionId,
    /// The tester's words, e.g. "borger.dk on iPhone, reject cookies".
    pub label: String,
    /// Site profile of the service under test (e.g. "borger.dk").
    pub site: Option<String>,
    /// Devices recorded (MACs or IPs as shown); empty means all.
    pub device_filter: Vec<String>,
    /// Where the packets came from.
    pub source: Source,
    /// First packet (packet time).
    #[serde(with = "ts::opt")]
    pub started: Option<Timestamp>,
    /// Last packet of a finished session (packet time).
    #[serde(with = "ts::opt")]
    pub ended: Option<Timestamp>,
    /// Packet time of the last batch written: an interrupted session is complete up to here.
    #[serde(with = "ts::opt")]
    pub last_flush: Option<Timestamp>,
    /// Recording, ended or interrupted.
    pub state: SessionState,
    /// Consent, page and note marks, in time order.
    pub marks: Vec<Mark>,
    /// Devices seen.
    pub devices: Vec<DeviceRecord>,
    /// Counters.
    pub stats: SessionStats,
    /// Wall-clock times of the run.
    pub run: RunTimes,
    /// This session is an idle baseline: the device left alone, to compare test sessions with.
    #[serde(default)]
    pub baseline: bool,
    /// The baseline this test session is compared with, as chosen when it was recorded
    /// (`None` for a baseline, and for sessions recorded before baselines existed).
    #[serde(default)]
    pub against: Option<Against>,
    /// Where the session came from when it was imported from a bundle (`sessions import`);
    /// `None` for a session recorded into this database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
}

/// How a session came into this database from a bundle (`sessions export --bundle`, `sessions
/// import`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// The bundle file as given on the command line.
    pub file: String,
    /// The session's number in the database it was exported from.
    pub original_id: SessionId,
    /// The sporfri version that exported it.
    pub exported_by: String,
    /// When it was exported (wall clock, RFC 3339).
    pub exported: String,
    /// When it was imported here (wall clock, RFC 3339).
    pub at: String,
}

impl Session {
    /// A new session to be recorded (id 0 until stored).
    pub fn new(label: &str, site: Option<&str>, source: Source) -> Session {
        Session {
            id: 0,
            label: label.to_owned(),
            site: site.map(str::to_owned),
            device_filter: Vec::new(),
            source,
            started: None,
            ended: None,
            last_flush: None,
            state: SessionState::Recording,
            marks: Vec::new(),
            devices: Vec::new(),
            stats: SessionStats::default(),
            run: RunTimes::default(),
            baseline: false,
            against: None,
            imported: None,
        }
    }

    /// What identifies the recording behind the session across databases: the capture file's
    /// SHA-256, or for a live session the interface and its first packet's time.
    pub fn recording(&self) -> String {
        match &self.source {
            Source::File { sha256, .. } => format!("capture sha256 {sha256}"),
            Source::Interface { name } => format!(
                "interface {name} from {}",
                self.started.map(|t| t.rfc3339()).unwrap_or_default()
            ),
        }
    }

    /// The consent phase at `ts` (the last consent mark at or before it).
    pub fn phase_at(&self, ts: Timestamp) -> Phase {
        phase_at(&self.marks, ts)
    }

    /// The instant the tester opened the service (the first visit mark).
    pub fn visit(&self) -> Option<Timestamp> {
        visit_at(&self.marks)
    }

    /// Add a mark, keeping marks in time order (a mark at the same instant goes after).
    pub fn add_mark(&mut self, mark: Mark) {
        let at = self.marks.partition_point(|m| m.ts <= mark.ts);
        self.marks.insert(at, mark);
    }
}

/// A device as written on the command line: a MAC (`aa:bb:cc:dd:ee:ff`, `-` also accepted) or
/// an IP address (devices on links without MACs).
pub fn parse_device(s: &str) -> Option<DeviceId> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(DeviceId::Ip(ip));
    }
    let mut mac = [0u8; 6];
    let mut parts = s.split([':', '-']);
    for b in &mut mac {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(DeviceId::Mac(mac))
}

/// What the recorder hands to the store: the session record and the contacts that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The session as it is now.
    pub session: Session,
    /// Contacts new or changed since the last committed batch.
    pub contacts: Vec<ContactRecord>,
    /// Requests (plain HTTP, or decrypted) since the last committed batch (each is stored once).
    pub requests: Vec<RequestEntry>,
    /// What the session is attributed with, until a batch carrying it is committed (stored once).
    pub signatures: Option<SignatureSet>,
    /// Make it durable before returning (marks and session end), not just written.
    pub durable: bool,
}
