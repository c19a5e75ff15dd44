//! `sporfri mark KIND [--note TEXT]`: mark the session being recorded.
//!
//! A mark goes to whoever records the session: a running `sporfri live` over its control socket
//! beside the database when one answers, else the database itself (opened directly: this works
//! when no process holds it).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use sporfri::control::{Client, ControlError, socket_path};
use sporfri::session::{Mark, MarkKind, Session};
use sporfri::store::{self, Store, default_path};

/// Something that can add a mark to the running session.
pub trait MarkTarget {
    /// Add `mark`; returns the session as it is now.
    fn mark(self: Box<Self>, mark: Mark) -> Result<Session>;
}

/// The database opened directly.
struct Direct(Store);

impl MarkTarget for Direct {
    fn mark(mut self: Box<Self>, mark: Mark) -> Result<Session> {
        Ok(self.0.mark_recording(mark)?)
    }
}

/// The running `sporfri live`, over its control socket.
struct Live(Client);

impl MarkTarget for Live {
    fn mark(self: Box<Self>, mark: Mark) -> Result<Session> {
        Ok(self.0.mark(mark)?)
    }
}

/// Where marks go: the live process that owns the database when one answers on its socket,
/// else the database itself.
fn target(db: Option<PathBuf>) -> Result<Box<dyn MarkTarget>> {
    let db = db.unwrap_or_else(default_path);
    match Client::connect(&socket_path(&db)) {
        Ok(client) => Ok(Box::new(Live(client))),
        Err(ControlError::NotRunning(_)) => Ok(Box::new(Direct(Store::open_existing(&db)?))),
        Err(e) => Err(e.into()),
    }
}

/// Mark the running session now.
pub fn run(db: Option<PathBuf>, kind: MarkKind, note: Option<String>) -> Result<ExitCode> {
    if kind == MarkKind::Page && note.as_deref().is_none_or(str::is_empty) {
        return Err(super::bad_arguments(
            &["mark"],
            "a page mark needs its text: sporfri mark page --note \"opened login\"",
        ));
    }
    let mark = Mark {
        ts: store::now(),
        kind,
        text: note,
    };
    let session = target(db)?.mark(mark.clone())?;
    writeln!(
        super::out::stdout(),
        "marked session {} \"{}\": {} at {}",
        session.id,
        session.label,
        mark.kind,
        mark.ts.rfc3339()
    )?;
    Ok(ExitCode::SUCCESS)
}
