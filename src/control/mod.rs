//! The control socket of a running `sporfri live`: the only way into a live session.
//!
//! sled lets one process own the database, so while `sporfri live` records, `sporfri mark` and
//! `sporfri tui` talk to it over a Unix socket beside the database (`<db>.sock`, mode 0660,
//! never on the network). The protocol is one JSON object per line:
//!
//! - `{"mark":{"kind":"consent-accepted","text":null}}` → `{"ok":true,"session":{...}}`
//! - `{"status":{}}` → `{"ok":true,"session":{...}}`
//! - `{"subscribe":{}}` → `{"ok":true}`, then the session and every stored contact, then one
//!   [`Event`] line per change (`{"session":{...}}`, `{"contacts":[...]}`) until the client leaves
//! - `{"end":{}}` → `{"ok":true}`, and the live run ends as on SIGTERM
//!
//! Errors answer `{"ok":false,"error":"..."}`.

mod client;
mod server;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::session::{ContactRecord, Mark, Session};

pub use client::{Client, ControlError};
pub use server::{Command, Server};

/// How long a client waits for the live process to answer.
pub const ANSWER_TIMEOUT_MS: u64 = 3_000;
/// Subscribers served at once; more are refused.
pub const MAX_SUBSCRIBERS: usize = 16;
/// Longest request line read from a client.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// The socket of the live process that owns the database at `db`.
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
}

/// What subscribers receive: the session after each change, and contacts as they are stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// The session record (label, marks, counters, state).
    Session(Box<Session>),
    /// New or changed contacts, as stored.
    Contacts(Vec<ContactRecord>),
}

/// An answer line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// Whether the request was carried out.
    pub ok: bool,
    /// The session after the request, where it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
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
            error: None,
        }
    }

    /// Success.
    pub fn ok() -> Answer {
        Answer {
            ok: true,
            session: None,
            error: None,
        }
    }

    /// Failure.
    pub fn error(text: impl Into<String>) -> Answer {
        Answer {
            ok: false,
            session: None,
            error: Some(text.into()),
        }
    }
}
