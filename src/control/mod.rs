//! The control socket of a process that records a session: the only way into its database
//! while it runs.
//!
//! sled lets one process own the database, so while `sporfri live`, `sporfri replay --label`
//! or a recording `sporfri tui --replay` holds it, the others talk to that process over a Unix
//! socket beside the database (`<db>.sock`, mode 0660, never on the network): `sporfri mark`,
//! `sporfri tui` attached to a live run, and `sessions list/show/export`, `report` and `diff`,
//! which read the database through it. The protocol is one JSON object per line:
//!
//! - `{"mark":{"kind":"consent-accepted","text":null}}` → `{"ok":true,"session":{...}}`
//! - `{"status":{}}` → `{"ok":true,"session":{...}}`
//! - `{"subscribe":{}}` → `{"ok":true}`, then the session and every contact, then [`Event`]
//!   lines as things change (`{"session":{...}}`, `{"contacts":[...]}`, `{"counters":{...}}`)
//!   until the client leaves. A subscriber that does not keep up loses its oldest events and is
//!   sent the whole state again.
//! - `{"end":{}}` → `{"ok":true}`, and the live run ends as on SIGTERM
//! - `{"sessions":{}}` → `{"ok":true,"sessions":[...]}`
//! - `{"contacts":{"id":N}}` → `{"ok":true,"session":{...},"contacts":[...],"signatures":...}`
//! - `{"requests":{"id":N}}` → `{"ok":true,"requests":[...]}`
//! - `{"labels":{}}` → `{"ok":true,"labels":{...}}`
//!
//! Errors answer `{"ok":false,"error":"..."}`. Reads are answered from the database on the
//! connection's own thread, never by the analysis.

mod client;
mod database;
mod server;
mod subscriber;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::attribute::SignatureSet;
use crate::session::{ContactRecord, Mark, RequestEntry, Session, SessionId};
use crate::time::Timestamp;

pub use client::{Client, ControlError};
pub use database::{Database, DatabaseError, SessionContacts};
pub use server::{Command, Server, ServerStats};

/// How long a client waits for the owning process to answer.
pub const ANSWER_TIMEOUT_MS: u64 = 3_000;
/// Subscribers served at once; more are refused.
pub const MAX_SUBSCRIBERS: usize = 16;
/// Longest request line read from a client.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// The socket of the process that owns the database at `db`.
pub fn socket_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".sock");
    PathBuf::from(p)
}

/// A request line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Request {
    /// Add a mark to the running session (time given by the client).
    Mark(Mark),
    /// The running session as it is now.
    Status {},
    /// Stream contact events.
    Subscribe {},
    /// End the live run.
    End {},
    /// Every session in the database.
    Sessions {},
    /// One session with its contacts and the signatures it was attributed with.
    Contacts {
        /// Session number.
        id: SessionId,
    },
    /// One session's requests.
    Requests {
        /// Session number.
        id: SessionId,
    },
    /// The testers' device labels.
    Labels {},
}

/// Live counters as subscribers see them (at least every
/// [`crate::live::COUNTERS_EVERY`] while a live run goes on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Wall-clock time of the reading.
    #[serde(with = "crate::session::ts")]
    pub now: Timestamp,
    /// Packets captured.
    pub packets: u64,
    /// Bytes on the wire of the packets captured.
    pub bytes: u64,
    /// Packets lost before analysis (kernel, interface, channel).
    pub dropped: u64,
    /// Events dropped for subscribers that did not keep up (`control.subscriber_lagged`).
    #[serde(default)]
    pub subscriber_lagged: u64,
}

/// What subscribers receive: the session after each change, contacts as they change, counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// The session record (label, marks, counters, state).
    Session(Box<Session>),
    /// New or changed contacts.
    Contacts(Vec<ContactRecord>),
    /// Live counters.
    Counters(Counters),
}

/// An answer line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Answer {
    /// Whether the request was carried out.
    pub ok: bool,
    /// The session after the request, where it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    /// Sessions (`sessions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Vec<Session>>,
    /// A session's contacts (`contacts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<ContactRecord>>,
    /// What the session was attributed with (`contacts`; absent for older sessions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatures: Option<SignatureSet>,
    /// A session's requests (`requests`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<Vec<RequestEntry>>,
    /// Device labels (`labels`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Answer {
    /// Success, with the session.
    pub fn session(session: Session) -> Answer {
        Answer {
            ok: true,
            session: Some(session),
            ..Answer::default()
        }
    }

    /// Success.
    pub fn ok() -> Answer {
        Answer {
            ok: true,
            ..Answer::default()
        }
    }

    /// Failure.
    pub fn error(text: impl Into<String>) -> Answer {
        Answer {
            ok: false,
            error: Some(text.into()),
            ..Answer::default()
        }
    }
}
