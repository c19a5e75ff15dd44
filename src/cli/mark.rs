//! `sporfri mark KIND [--note TEXT]`: mark the session being recorded.
//!
//! A mark goes to whoever records the session. Today that is the database itself (opened
//! directly: this works when no process holds it); when `sporfri live` serves its Unix socket, a
//! socket client implementing [`MarkTarget`] is tried first.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use sporfri::session::{Mark, MarkKind, Session};
use sporfri::store::{self, Store, default_path};

/// Something that can add a mark to the running session.
pub trait MarkTarget {
    /// Add `mark`; returns the session as it is now.
    fn mark(&mut self, mark: Mark) -> Result<Session>;
}

/// The database opened directly.
struct Direct(Store);

impl MarkTarget for Direct {
    fn mark(&mut self, mark: Mark) -> Result<Session> {
        Ok(self.0.mark_recording(mark)?)
    }
}

/// Where marks go: (later: the live service's socket, when it answers;) else the database.
fn target(db: Option<PathBuf>) -> Result<Box<dyn MarkTarget>> {
    Ok(Box::new(Direct(Store::open(
        &db.unwrap_or_else(default_path),
    )?)))
}

/// Mark the running session now.
pub fn run(db: Option<PathBuf>, kind: MarkKind, note: Option<String>) -> Result<ExitCode> {
    if kind == MarkKind::Page && note.as_deref().is_none_or(str::is_empty) {
        anyhow::bail!("a page mark needs its text: sporfri mark page --note \"opened login\"");
    }
    let mark = Mark {
        ts: store::now(),
        kind,
        text: note,
    };
    let session = target(db)?.mark(mark.clone())?;
    println!(
        "marked session {} \"{}\": {} at {}",
        session.id,
        session.label,
        mark.kind,
        mark.ts.rfc3339()
    );
    Ok(ExitCode::SUCCESS)
}
