//! A database to read, wherever it is: through the control socket of the process that owns
//! it (a live run, a replay recording a session), or opened directly when no process does.
//! `sessions list/show/export`, `report` and `diff` read through this, so they work while a
//! session is being recorded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Client, ControlError, socket_path};
use crate::attribute::SignatureSet;
use crate::session::{ContactRecord, RequestEntry, Session, SessionId};
use crate::store::{Store, StoreError};

/// Why the database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// Opening or reading the database directly failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The owning process could not be asked, or refused.
    #[error(transparent)]
    Control(#[from] ControlError),
}

/// A session with its contacts, as a report or `sessions show` needs it.
#[derive(Debug, Clone)]
pub struct SessionContacts {
    /// The session.
    pub session: Session,
    /// Its contacts, by device, first seen, name.
    pub contacts: Vec<ContactRecord>,
    /// What it was attributed with (absent for sessions recorded before this was stored).
    pub signatures: Option<SignatureSet>,
}

/// A database opened for reading.
#[derive(Debug)]
pub enum Database {
    /// Another process owns it and answers at this socket.
    Owned(PathBuf),
    /// Opened here (see [`Store::open_read`]).
    Direct(Store),
}

impl Database {
    /// The database at `db`: asked through its owner's socket when a process answers there,
    /// else opened directly ([`StoreError::Missing`] when there is none).
    pub fn open_read(db: &Path) -> Result<Database, DatabaseError> {
        let socket = socket_path(db);
        match Client::connect(&socket) {
            Ok(_) => Ok(Database::Owned(socket)),
            Err(ControlError::NotRunning(_)) => Ok(Database::Direct(Store::open_read(db)?)),
            Err(e) => Err(e.into()),
        }
    }

    /// The store, when opened here.
    pub fn direct(&mut self) -> Option<&mut Store> {
        match self {
            Database::Direct(store) => Some(store),
            Database::Owned(_) => None,
        }
    }

    fn client(socket: &Path) -> Result<Client, DatabaseError> {
        Ok(Client::connect(socket)?)
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Result<Vec<Session>, DatabaseError> {
        match self {
            Database::Owned(socket) => Ok(Self::client(socket)?.sessions()?),
            Database::Direct(store) => Ok(store.sessions()?),
        }
    }

    /// Session `id` with its contacts and signatures.
    pub fn contacts(&self, id: SessionId) -> Result<SessionContacts, DatabaseError> {
        let (session, contacts, signatures) = match self {
            Database::Owned(socket) => Self::client(socket)?.contacts(id)?,
            Database::Direct(store) => (
                store.session(id)?,
                store.contacts(id)?,
                store.signatures(id)?,
            ),
        };
        Ok(SessionContacts {
            session,
            contacts,
            signatures,
        })
    }

    /// Session `id`'s requests, in the order they were made.
    pub fn requests(&self, id: SessionId) -> Result<Vec<RequestEntry>, DatabaseError> {
        match self {
            Database::Owned(socket) => Ok(Self::client(socket)?.requests(id)?),
            Database::Direct(store) => Ok(store.requests(id)?),
        }
    }

    /// The device labels.
    pub fn labels(&self) -> Result<BTreeMap<String, String>, DatabaseError> {
        match self {
            Database::Owned(socket) => Ok(Self::client(socket)?.labels()?),
            Database::Direct(store) => Ok(store.labels()?),
        }
    }
}
