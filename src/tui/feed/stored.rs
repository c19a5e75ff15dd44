//! A stored session, read-only: everything is sent once; only device labels can change.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender};

use super::{Control, Feed, FeedError};
use crate::session::{ContactRecord, Session, SessionId};
use crate::store::Store;
use crate::tui::model::SourceInfo;
use crate::tui::update::Msg;

/// Browses one session of the database.
#[derive(Debug)]
pub struct StoredFeed {
    store: Store,
    session: Session,
    contacts: Vec<ContactRecord>,
}

impl StoredFeed {
    /// Open the database at `db` and read session `id` (fails before any terminal is touched).
    pub fn open(db: &Path, id: SessionId) -> Result<StoredFeed, FeedError> {
        let store = Store::open_existing(db)?;
        let session = store.session(id)?;
        let contacts = store.contacts(id)?;
        Ok(StoredFeed {
            store,
            session,
            contacts,
        })
    }

    /// The session's site profile.
    pub fn site(&self) -> Option<&str> {
        self.session.site.as_deref()
    }

    /// The messages that show the session.
    pub fn messages(&self) -> Vec<Msg> {
        let s = &self.session;
        let now = s
            .ended
            .or(s.last_flush)
            .or_else(|| self.contacts.iter().map(|c| c.last_seen).max());
        let mut out = vec![
            Msg::Source(SourceInfo {
                describe: format!("stored session {} (read-only)", s.id),
                writable: false,
                recording: false,
                ended: true,
            }),
            Msg::Session(Box::new(s.clone())),
            Msg::Contacts(self.contacts.clone()),
        ];
        if let Some(now) = now {
            out.push(Msg::Progress {
                now,
                packets: s.stats.packets,
                drops: 0,
            });
        }
        if let Ok(l) = self.store.labels() {
            out.push(Msg::Labels(l));
        }
        out
    }
}

impl Feed for StoredFeed {
    fn run(mut self: Box<Self>, out: SyncSender<Msg>, control: Receiver<Control>) {
        for m in self.messages() {
            if out.send(m).is_err() {
                return;
            }
        }
        while let Ok(c) = control.recv() {
            let reply = match c {
                Control::Stop => return,
                Control::LabelDevice { device, label } => {
                    match self.store.set_label(&device, &label) {
                        Ok(()) => match self.store.labels() {
                            Ok(l) => Msg::Labels(l),
                            Err(e) => Msg::Status(e.to_string()),
                        },
                        Err(e) => Msg::Status(e.to_string()),
                    }
                }
                _ => Msg::Status("read-only: this is a stored session".to_owned()),
            };
            if out.send(reply).is_err() {
                return;
            }
        }
    }
}
