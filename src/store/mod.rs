//! The session database: the only module that touches sled.
//!
//! Key layout (one sled tree, so one batch updates a session and its contacts atomically; all
//! numbers big-endian so ranges sort):
//!
//! | key                                         | value                              |
//! |---------------------------------------------|------------------------------------|
//! | `0x00 "schema"`                             | schema version, u32 BE             |
//! | `0x00 "next-id"`                            | last session id given, u64 BE      |
//! | `'s'` id(u64 BE)                            | [`Session`] as JSON                |
//! | `'c'` id(u64 BE) device `0x00` name          | [`ContactRecord`] as JSON          |
//! | `'r'` id(u64 BE) seq(u64 BE)                 | [`RequestEntry`] as JSON (schema 2) |
//! | `'a'` id(u64 BE)                            | [`SignatureSet`] as JSON (schema 3) |
//! | `'l'` device                                | the tester's label for a device    |
//!
//! Schema 4 adds fields to the session record (`baseline`, `against`) and the contact record
//! (`in_baseline`, `baseline_id`, ...; issue 18), read with their defaults from older records.
//!
//! A session travels to another database as a [`Bundle`] (`sessions export --bundle`, `sessions
//! import`): read whole and checked first, then written in one batch like a recorder's.
//!
//! One process owns the database (sled locks it); within it one [`Store`] is the writer. Writes
//! come in batches; a batch is made durable (fsync) before `write` returns when it carries a
//! mark or the session end; otherwise sled's own flusher thread writes and syncs everything at
//! least every [`SYNC_EVERY`] of wall time, without stalling the analysis, so a killed process
//! loses at most about a second. The directory is 0700 and its files 0600: the database holds
//! metadata only, but it is still a record of what someone did.

mod baseline;
pub mod bundle;
#[cfg(test)]
mod bundle_tests;
mod fs;
mod import;
mod open;
#[cfg(test)]
mod tests;
mod writer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::attribute::SignatureSet;
use crate::session::{
    Batch, ContactRecord, Mark, RequestEntry, Session, SessionId, SessionState, ts as session_ts,
};
use crate::time::Timestamp;

pub use baseline::BaselineRequest;
pub use bundle::{Bundle, BundleError, BundleHeader};
pub use fs::default_path;
pub use import::{ImportError, recording};
pub use writer::BatchWriter;

/// The schema this build writes.
pub const SCHEMA_VERSION: u32 = 4;
/// Longest wall time between two background syncs while recording.
pub const SYNC_EVERY: Duration = Duration::from_millis(250);

const VERSION_KEY: &[u8] = b"\0schema";
const NEXT_ID_KEY: &[u8] = b"\0next-id";
const SESSION: u8 = b's';
const CONTACT: u8 = b'c';
const LABEL: u8 = b'l';
const REQUEST: u8 = b'r';
const ATTRIBUTION: u8 = b'a';

/// Migrations: entry `v` turns schema `v` into `v + 1`.
const MIGRATIONS: &[fn(&sled::Db) -> sled::Result<()>] = &[
    // 0 → 1: the layout before the version key existed is the same; only the key is added.
    |_| Ok(()),
    // 1 → 2: decrypted requests under 'r'; an older database simply has none.
    |_| Ok(()),
    // 2 → 3: what a session was attributed with under 'a'; an older session has none, and its
    // report says so.
    |_| Ok(()),
    // 3 → 4: sessions say whether they are idle baselines and which baseline they were compared
    // with, contacts what it said of them (issue 18); the fields default to "not a baseline",
    // "no baseline chosen" and "not compared", which is what an older session is.
    |_| Ok(()),
];

/// Errors of the session database. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database.
    #[error(
        "the database {path} is in use by another sporfri process{}: a live session is \
         probably running; stop it or pass another --db",
        .pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Locked {
        /// Database directory.
        path: String,
        /// The owner's process id, when it left one and is still alive.
        pid: Option<u32>,
    },
    /// The database is from a newer sporfri.
    #[error(
        "the database {path} has schema version {found}, newer than this sporfri understands \
         ({supported}); use a newer sporfri or another --db"
    )]
    TooNew {
        /// Database directory.
        path: String,
        /// Version found.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// The database could not be opened (permissions, read-only file system, damage).
    #[error("cannot open the database {path}: {cause} (check permissions and free space)")]
    Open {
        /// Database directory.
        path: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: sled::Error,
    },
    /// A write or fsync failed; what was written before is intact.
    #[error("cannot write to the database {path}: {cause} (disk full or read-only?)")]
    Write {
        /// Database directory.
        path: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: sled::Error,
    },
    /// Creating the directory or setting its permissions failed.
    #[error("cannot prepare {path}: {cause}")]
    Io {
        /// Path.
        path: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: std::io::Error,
    },
    /// A record could not be decoded.
    #[error("damaged record in the database ({what}): {cause}")]
    Decode {
        /// Which record.
        what: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: serde_json::Error,
    },
    /// No session with this id.
    #[error("no session {0} (see `sporfri sessions list`)")]
    NoSession(SessionId),
    /// `--against ID` names a session that is not a baseline.
    #[error(
        "session {0} is not an idle baseline: record one with --baseline, or make it one with \
         `sporfri sessions baseline {0}`"
    )]
    NotBaseline(SessionId),
    /// `--against ID` names a baseline still being recorded.
    #[error("baseline session {0} is still being recorded: end it first")]
    BaselineRecording(SessionId),
    /// `--against ID` names a baseline of another device.
    #[error(
        "baseline session {id} was recorded on {baseline}, not on {session}: record a baseline \
         of this device, or pass --force to compare with it anyway"
    )]
    OtherDevice {
        /// The baseline session.
        id: SessionId,
        /// Its devices.
        baseline: String,
        /// The new session's devices.
        session: String,
    },
    /// No session is being recorded.
    #[error("no session is being recorded: start one with `sporfri replay --label` or live")]
    NoRecording,
    /// A command that does not record was given a path with no database.
    #[error(
        "no database at {path}: record a session first (`sporfri replay FILE --label L` or \
         `sporfri live`), or pass the --db PATH of an existing one"
    )]
    Missing {
        /// Database directory.
        path: String,
    },
    /// A database that cannot be written could not be copied to be read either.
    #[error("cannot read the database {path}: {cause}")]
    Copy {
        /// Database directory.
        path: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: std::io::Error,
    },
}

/// The session database, opened for reading and writing.
#[derive(Debug)]
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    /// The private copy read instead of a database that cannot be written (`open_read`).
    copy: Option<open::TempCopy>,
}

impl Store {
    /// Open (creating 0700/0600 if needed) the database at `path`; migrate an older schema,
    /// refuse a newer one, and say who holds it when it is locked.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        fs::create_private_dir(path)?;
        let db = open_sled(path)?;
        fs::write_owner(path);
        let mut store = Store {
            db,
            path: path.to_owned(),
            copy: None,
        };
        store.check_schema()?;
        store.sync()?;
        Ok(store)
    }

    /// A second handle on this open database, to read it from another thread (sled's handles
    /// share one database): a recording process answers reads on its control socket with it.
    /// It sees every batch written through `self` at once.
    pub fn reader(&self) -> Store {
        Store {
            db: self.db.clone(),
            path: self.path.clone(),
            copy: None,
        }
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_schema(&mut self) -> Result<(), StoreError> {
        let found = match self.db.get(VERSION_KEY).map_err(|e| self.write_err(e))? {
            Some(v) => u32::from_be_bytes(v.as_ref().try_into().unwrap_or([0xff; 4])),
            None if self.db.is_empty() => SCHEMA_VERSION,
            None => 0,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.display().to_string(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for step in MIGRATIONS.iter().skip(found as usize) {
            step(&self.db).map_err(|e| self.write_err(e))?;
        }
        self.db
            .insert(VERSION_KEY, &SCHEMA_VERSION.to_be_bytes())
            .map_err(|e| self.write_err(e))?;
        Ok(())
    }

    /// The schema version stored.
    pub fn schema_version(&self) -> Result<Option<u32>, StoreError> {
        let v = self.db.get(VERSION_KEY).map_err(|e| self.write_err(e))?;
        Ok(v.and_then(|v| v.as_ref().try_into().ok().map(u32::from_be_bytes)))
    }

    /// Sessions a killed process left `recording` become `interrupted`, ended at their last
    /// flush. Call once when starting; returns their ids.
    pub fn recover_interrupted(&mut self) -> Result<Vec<SessionId>, StoreError> {
        let mut ids = Vec::new();
        for mut s in self.sessions()? {
            if s.state == SessionState::Recording {
                s.state = SessionState::Interrupted;
                s.ended = s.last_flush;
                s.run.ended = s.run.flushed.clone();
                self.put_session(&s)?;
                ids.push(s.id);
            }
        }
        if !ids.is_empty() {
            self.sync()?;
        }
        Ok(ids)
    }

    /// Store a new session, giving it the next id; durable on return.
    pub fn create_session(&mut self, mut session: Session) -> Result<Session, StoreError> {
        session.id = self.next_id()?;
        session.state = SessionState::Recording;
        session.run.started = Some(now().rfc3339());
        self.put_session(&session)?;
        self.sync()?;
        Ok(session)
    }

    /// Take the next session id. Our own counter: sled's generate_id jumps after a restart,
    /// ids should read 1, 2, 3.
    fn next_id(&self) -> Result<SessionId, StoreError> {
        let next = self
            .db
            .update_and_fetch(NEXT_ID_KEY, |old| {
                let n = old
                    .and_then(|v| v.try_into().ok())
                    .map_or(0, u64::from_be_bytes);
                Some(n.saturating_add(1).to_be_bytes().to_vec())
            })
            .map_err(|e| self.write_err(e))?;
        Ok(next
            .and_then(|v| v.as_ref().try_into().ok())
            .map_or(1, u64::from_be_bytes))
    }

    /// Write a recorder's batch atomically: the session record and its changed contacts.
    pub fn write(&mut self, batch: &Batch) -> Result<(), StoreError> {
        let mut session = batch.session.clone();
        session.run.flushed = Some(now().rfc3339());
        if session.state != SessionState::Recording {
            session.run.ended = session.run.flushed.clone();
        }
        let mut b = sled::Batch::default();
        for c in &batch.contacts {
            b.insert(contact_key(session.id, c), encode(c)?);
        }
        for r in &batch.requests {
            b.insert(request_key(session.id, r.seq).to_vec(), encode(r)?);
        }
        if let Some(set) = &batch.signatures {
            b.insert(prefix(ATTRIBUTION, session.id).to_vec(), encode(set)?);
        }
        b.insert(session_key(session.id).to_vec(), encode(&session)?);
        self.db.apply_batch(b).map_err(|e| self.write_err(e))?;
        if batch.durable {
            self.sync()?;
        }
        Ok(())
    }

    /// fsync everything written so far and keep files private.
    pub fn sync(&mut self) -> Result<(), StoreError> {
        self.db.flush().map_err(|e| self.write_err(e))?;
        fs::make_private(self.copy.as_ref().map_or(&self.path, |c| c.dir()))
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Result<Vec<Session>, StoreError> {
        self.db
            .scan_prefix([SESSION])
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.write_err(e))?;
                decode(&v, &format!("session key {k:?}"))
            })
            .collect()
    }

    /// One session.
    pub fn session(&self, id: SessionId) -> Result<Session, StoreError> {
        match self
            .db
            .get(session_key(id))
            .map_err(|e| self.write_err(e))?
        {
            Some(v) => decode(&v, &format!("session {id}")),
            None => Err(StoreError::NoSession(id)),
        }
    }

    /// A session's contacts, by device, then first seen, then name.
    pub fn contacts(&self, id: SessionId) -> Result<Vec<ContactRecord>, StoreError> {
        self.session(id)?;
        let mut prefix = vec![CONTACT];
        prefix.extend_from_slice(&id.to_be_bytes());
        let mut all: Vec<ContactRecord> = self
            .db
            .scan_prefix(prefix)
            .map(|kv| {
                let (_, v) = kv.map_err(|e| self.write_err(e))?;
                decode(&v, &format!("contact of session {id}"))
            })
            .collect::<Result<_, _>>()?;
        all.sort_by(|a, b| {
            (&a.device, a.first_seen, &a.name, a.client_ip).cmp(&(
                &b.device,
                b.first_seen,
                &b.name,
                b.client_ip,
            ))
        });
        Ok(all)
    }

    /// A session's HTTP requests (plain, and decrypted by lab decryption), in the order they
    /// were made; empty for a session without any or recorded by an older sporfri.
    pub fn requests(&self, id: SessionId) -> Result<Vec<RequestEntry>, StoreError> {
        self.session(id)?;
        self.db
            .scan_prefix(prefix(REQUEST, id))
            .map(|kv| {
                let (_, v) = kv.map_err(|e| self.write_err(e))?;
                decode(&v, &format!("request of session {id}"))
            })
            .collect()
    }

    /// What a session's contacts were attributed with; `None` for a session recorded by a
    /// sporfri that did not store it (schema 2 and older) or with signatures not loaded
    /// through a [`SignatureSet`].
    pub fn signatures(&self, id: SessionId) -> Result<Option<SignatureSet>, StoreError> {
        self.session(id)?;
        let v = self
            .db
            .get(prefix(ATTRIBUTION, id))
            .map_err(|e| self.write_err(e))?;
        v.map(|v| decode(&v, &format!("signatures of session {id}")))
            .transpose()
    }

    /// Add a mark to the newest session still recording; durable on return.
    pub fn mark_recording(&mut self, mark: Mark) -> Result<Session, StoreError> {
        let mut s = self
            .sessions()?
            .into_iter()
            .rev()
            .find(|s| s.state == SessionState::Recording)
            .ok_or(StoreError::NoRecording)?;
        s.add_mark(mark);
        self.put_session(&s)?;
        self.sync()?;
        Ok(s)
    }

    /// Delete a session and its contacts; `false` if there was none.
    pub fn delete(&mut self, id: SessionId) -> Result<bool, StoreError> {
        if self.session(id).is_err() {
            return Ok(false);
        }
        // Contacts and requests first: a crash in between leaves a session with fewer, which a
        // second delete finishes, never records without a session.
        let mut b = sled::Batch::default();
        for kind in [CONTACT, REQUEST] {
            for kv in self.db.scan_prefix(prefix(kind, id)) {
                let (k, _) = kv.map_err(|e| self.write_err(e))?;
                b.remove(k);
            }
        }
        b.remove(prefix(ATTRIBUTION, id).to_vec());
        self.db.apply_batch(b).map_err(|e| self.write_err(e))?;
        self.db
            .remove(session_key(id))
            .map_err(|e| self.write_err(e))?;
        self.sync()?;
        Ok(true)
    }

    /// Delete every finished session recorded before `cutoff` (wall clock); returns their ids.
    pub fn purge(&mut self, cutoff: SystemTime) -> Result<Vec<SessionId>, StoreError> {
        let cutoff = to_timestamp(cutoff);
        let mut gone = Vec::new();
        for s in self.sessions()? {
            let started = s.run.started.as_deref().and_then(session_ts::parse);
            if s.state != SessionState::Recording && started.is_some_and(|t| t < cutoff) {
                self.delete(s.id)?;
                gone.push(s.id);
            }
        }
        Ok(gone)
    }

    /// Set (or with an empty text, clear) the tester's label for a device.
    pub fn set_label(&mut self, device: &str, label: &str) -> Result<(), StoreError> {
        let mut key = vec![LABEL];
        key.extend_from_slice(device.as_bytes());
        let r = if label.is_empty() {
            self.db.remove(key).map(|_| ())
        } else {
            self.db.insert(key, label.as_bytes()).map(|_| ())
        };
        r.map_err(|e| self.write_err(e))?;
        self.sync()
    }

    /// Device labels, by device.
    pub fn labels(&self) -> Result<BTreeMap<String, String>, StoreError> {
        self.db
            .scan_prefix([LABEL])
            .map(|kv| {
                let (k, v) = kv.map_err(|e| self.write_err(e))?;
                let dev = String::from_utf8_lossy(k.get(1..).unwrap_or_default()).into_owned();
                Ok((dev, String::from_utf8_lossy(&v).into_owned()))
            })
            .collect()
    }

    fn put_session(&self, s: &Session) -> Result<(), StoreError> {
        self.db
            .insert(session_key(s.id), encode(s)?)
            .map_err(|e| self.write_err(e))?;
        Ok(())
    }

    fn write_err(&self, source: sled::Error) -> StoreError {
        StoreError::Write {
            path: self.path.display().to_string(),
            cause: source,
        }
    }
}

/// The wall clock as a timestamp (for run times and live marks; the engine never calls it).
pub fn now() -> Timestamp {
    to_timestamp(SystemTime::now())
}

fn to_timestamp(t: SystemTime) -> Timestamp {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    Timestamp(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn session_key(id: SessionId) -> [u8; 9] {
    let mut k = [SESSION; 9];
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

/// `kind` then the session id: the prefix of a session's contacts or requests.
fn prefix(kind: u8, id: SessionId) -> [u8; 9] {
    let mut k = [kind; 9];
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

fn request_key(id: SessionId, seq: u64) -> [u8; 17] {
    let mut k = [REQUEST; 17];
    k[1..9].copy_from_slice(&id.to_be_bytes());
    k[9..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn contact_key(id: SessionId, c: &ContactRecord) -> Vec<u8> {
    let mut k = vec![CONTACT];
    k.extend_from_slice(&id.to_be_bytes());
    k.extend(c.key());
    k
}

fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|source| StoreError::Decode {
        what: "encoding".to_owned(),
        cause: source,
    })
}

fn decode<T: serde::de::DeserializeOwned>(v: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(v).map_err(|source| StoreError::Decode {
        what: what.to_owned(),
        cause: source,
    })
}

/// How long to wait for a lock this process itself still holds: sled's flusher thread lets go
/// of a dropped database only at its next tick.
const OWN_LOCK_WAIT: Duration = Duration::from_secs(3);

/// Open sled; a lock held by another live process fails at once, one held by this process (a
/// store just dropped) or by a dead one is waited for briefly.
fn open_sled(path: &Path) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    loop {
        let opened = sled::Config::new()
            .path(path)
            .flush_every_ms(Some(SYNC_EVERY.as_millis() as u64))
            .open();
        match opened.map_err(|e| open_error(path, e)) {
            Err(StoreError::Locked { pid, .. })
                if pid.is_none_or(|p| p == std::process::id())
                    && started.elapsed() < OWN_LOCK_WAIT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn open_error(path: &Path, e: sled::Error) -> StoreError {
    let locked =
        matches!(&e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"));
    if locked {
        StoreError::Locked {
            path: path.display().to_string(),
            pid: fs::live_owner(path),
        }
    } else {
        StoreError::Open {
            path: path.display().to_string(),
            cause: e,
        }
    }
}
