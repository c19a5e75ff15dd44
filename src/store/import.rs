//! Sessions in and out of a database as bundles: an export gathers everything a report of the
//! session needs; an import adds a bundle as a new session, in one atomic batch, never over an
//! existing one.

use std::collections::BTreeMap;

use super::bundle::{BUNDLE_FORMAT, BUNDLE_VERSION, Bundle, BundleHeader};
use super::{
    ATTRIBUTION, LABEL, SCHEMA_VERSION, Store, StoreError, contact_key, encode, now, prefix,
    request_key, session_key,
};
use crate::session::{ContactRecord, Imported, Session, SessionId, SessionState};

/// Why a bundle was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The same recording with the same label is already in the database.
    #[error(
        "session {existing} in this database is the same recording ({what}) with the same label \
         {label:?}: it was probably imported before; pass --again to import it as another session"
    )]
    Duplicate {
        /// The session already there.
        existing: SessionId,
        /// Its label.
        label: String,
        /// What identifies the recording: the capture's SHA-256, or the interface and start.
        what: String,
    },
    /// The database refused it; nothing was written.
    #[error("{cause}")]
    Store {
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: StoreError,
    },
}

impl From<StoreError> for ImportError {
    fn from(cause: StoreError) -> Self {
        ImportError::Store { cause }
    }
}

/// What identifies the recording behind a session across databases: the capture file's SHA-256,
/// or for a live session the interface and its first packet's time.
pub fn recording(s: &Session) -> String {
    s.recording()
}

impl Store {
    /// Everything of session `id` a bundle carries, with a header naming this sporfri.
    pub fn bundle(&self, id: SessionId) -> Result<Bundle, StoreError> {
        let mut session = self.session(id)?;
        // Sessions recorded before baselines carried their recording's identity: add it from
        // the baseline itself, so that an import can find the same baseline there.
        if let Some(b) = session.against.as_mut().and_then(|a| a.baseline.as_mut()) {
            if b.recording.is_none() && !b.elsewhere {
                let base = self.session(b.id).ok().filter(|base| b.is(base));
                b.recording = base.map(|base| base.recording());
            }
        }
        let labels = self.labels()?;
        let device_labels: BTreeMap<String, String> = session
            .devices
            .iter()
            .filter_map(|d| Some((d.device.clone(), labels.get(&d.device)?.clone())))
            .collect();
        Ok(Bundle {
            header: BundleHeader {
                format: BUNDLE_FORMAT.to_owned(),
                bundle_version: BUNDLE_VERSION,
                schema: SCHEMA_VERSION,
                sporfri_version: env!("CARGO_PKG_VERSION").to_owned(),
                exported: now().rfc3339(),
                session: id,
            },
            signatures: self.signatures(id)?,
            contacts: self.contacts(id)?,
            requests: self.requests(id)?,
            device_labels,
            session,
        })
    }

    /// Add `bundle` (read from `file`) as a new session with the next id, in one atomic batch:
    /// all of it or nothing. The same recording with the same label already here is refused
    /// unless `again`. A device label is added where this database has none for the device.
    pub fn import(
        &mut self,
        bundle: Bundle,
        file: &str,
        again: bool,
    ) -> Result<Session, ImportError> {
        if !again {
            self.refuse_duplicate(&bundle.session)?;
        }
        let mut session = bundle.session;
        session.id = self.next_id()?;
        // Nobody records it here: a session the exporter was still recording is complete up
        // to its last flush, as a killed recording is.
        if session.state == SessionState::Recording {
            session.state = SessionState::Interrupted;
            session.ended = session.last_flush;
        }
        session.imported = Some(Imported {
            file: file.to_owned(),
            original_id: bundle.header.session,
            exported_by: bundle.header.sporfri_version,
            exported: bundle.header.exported,
            at: now().rfc3339(),
        });
        let id = session.id;
        let mut contacts = bundle.contacts;
        self.map_baseline(&mut session, &mut contacts)?;
        let mut b = sled::Batch::default();
        for mut c in contacts {
            c.session = id;
            b.insert(contact_key(id, &c), encode(&c)?);
        }
        for mut r in bundle.requests {
            r.session = id;
            b.insert(request_key(id, r.seq).to_vec(), encode(&r)?);
        }
        if let Some(set) = &bundle.signatures {
            b.insert(prefix(ATTRIBUTION, id).to_vec(), encode(set)?);
        }
        let have = self.labels()?;
        for (device, label) in &bundle.device_labels {
            if !have.contains_key(device) {
                let mut key = vec![LABEL];
                key.extend_from_slice(device.as_bytes());
                b.insert(key, label.as_bytes());
            }
        }
        if session.baseline {
            self.relink(&session, &mut b)?;
        }
        b.insert(session_key(id).to_vec(), encode(&session)?);
        self.db.apply_batch(b).map_err(|e| self.write_err(e))?;
        self.sync()?;
        Ok(session)
    }

    /// Point an imported test session at its baseline's number here: the same baseline
    /// imported before (or recorded here: same label, first packet and recording). When there
    /// is none, the session and its contacts keep what the baseline said, but name it as the
    /// source database's (`elsewhere`, `source_baseline_id`), never a session of this one,
    /// until that baseline is imported ([`Store::relink`]).
    fn map_baseline(
        &self,
        session: &mut Session,
        contacts: &mut [ContactRecord],
    ) -> Result<(), StoreError> {
        let Some(b) = session.against.as_mut().and_then(|a| a.baseline.as_mut()) else {
            return Ok(());
        };
        let source = b.id;
        let here = self.sessions()?.into_iter().rev().find(|o| b.is(o));
        b.elsewhere = here.is_none();
        if let Some(o) = &here {
            b.id = o.id;
        }
        for f in contacts.iter_mut().map(|c| &mut c.baseline) {
            let id = f.baseline_id.or(f.source_baseline_id);
            if id != Some(source) {
                continue;
            }
            (f.baseline_id, f.source_baseline_id) = match &here {
                Some(o) => (Some(o.id), None),
                None => (None, Some(source)),
            };
        }
        Ok(())
    }

    /// A baseline imported after its test sessions: point those that name it as the source
    /// database's at it (in the same batch as the baseline itself).
    fn relink(&self, baseline: &Session, b: &mut sled::Batch) -> Result<(), StoreError> {
        for mut s in self.sessions()? {
            let Some(r) = s.against.as_mut().and_then(|a| a.baseline.as_mut()) else {
                continue;
            };
            if !r.elsewhere || !r.is(baseline) {
                continue;
            }
            let source = r.id;
            (r.id, r.elsewhere) = (baseline.id, false);
            for mut c in self.contacts(s.id)? {
                if c.baseline.source_baseline_id == Some(source) {
                    (c.baseline.baseline_id, c.baseline.source_baseline_id) =
                        (Some(baseline.id), None);
                    b.insert(contact_key(s.id, &c), encode(&c)?);
                }
            }
            b.insert(session_key(s.id).to_vec(), encode(&s)?);
        }
        Ok(())
    }

    fn refuse_duplicate(&self, s: &Session) -> Result<(), ImportError> {
        let what = recording(s);
        match self
            .sessions()?
            .into_iter()
            .find(|o| o.label == s.label && recording(o) == what)
        {
            Some(o) => Err(ImportError::Duplicate {
                existing: o.id,
                label: o.label,
                what,
            }),
            None => Ok(()),
        }
    }
}
