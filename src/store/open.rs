//! Opening a database that must already exist: every command but recording.
//!
//! Only recording (`replay --label`, `live`, a recording dashboard) creates a database; a
//! command that reads or changes sessions given a path with no database says so and leaves
//! nothing behind. sled has no read-only mode (it locks and writes its files on open), so a
//! database that can be read but not written (a read-only file system, a backup, a directory
//! of another user that this one may only read) is read through a private copy made in a
//! temporary directory and removed when the store is dropped; nothing is written back.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::{Store, StoreError, open_sled};

/// The file sled keeps its log in: its presence is what makes a directory a database.
const SLED_LOG: &str = "db";

impl Store {
    /// Open the existing database at `path` to read and change it; [`StoreError::Missing`]
    /// when there is none (nothing is created).
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        exists(path)?;
        Store::open(path)
    }

    /// Open the existing database at `path` to read it: as [`Store::open_existing`], or, when
    /// it cannot be written, through a private copy (see the module). Changes made to a copy
    /// are lost with it.
    pub fn open_read(path: &Path) -> Result<Store, StoreError> {
        exists(path)?;
        match Store::open(path) {
            // Not readable either: the copy's error says so ("cannot read ...").
            Err(e) if not_writable(&e) => Store::open_copy(path),
            other => other,
        }
    }

    /// Whether this store reads a copy of a database that could not be written.
    pub fn is_copy(&self) -> bool {
        self.copy.is_some()
    }

    fn open_copy(path: &Path) -> Result<Store, StoreError> {
        let copy = TempCopy::of(path)?;
        let db = open_sled(&copy.0)?;
        let mut store = Store {
            db,
            path: path.to_owned(),
            copy: Some(copy),
        };
        store.check_schema()?;
        Ok(store)
    }
}

/// [`StoreError::Missing`] unless `path` holds a sled database.
fn exists(path: &Path) -> Result<(), StoreError> {
    if path.join(SLED_LOG).is_file() {
        return Ok(());
    }
    Err(StoreError::Missing {
        path: path.display().to_string(),
    })
}

/// The database could be read but not written: a read-only file system or no write permission.
fn not_writable(e: &StoreError) -> bool {
    let kind = match e {
        StoreError::Io { cause, .. } => cause.kind(),
        StoreError::Open {
            cause: sled::Error::Io(io),
            ..
        }
        | StoreError::Write {
            cause: sled::Error::Io(io),
            ..
        } => io.kind(),
        _ => return false,
    };
    matches!(
        kind,
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied
    )
}

/// Copies are named `{COPY_PREFIX}{pid}-{n}` so that a later process can tell whose they are.
const COPY_PREFIX: &str = "sporfri-db-copy-";

/// Remove copies left by processes that no longer run: a reader killed by a signal never
/// drops its copy, and a copy holds session metadata that must not outlive its reader.
/// Without `/proc` nobody can tell a live reader from a dead one, so nothing is removed.
fn sweep_orphans(tmp: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(COPY_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            // Another user's orphan is theirs to remove: the error is expected then.
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// A private copy of a database directory, removed on drop.
#[derive(Debug)]
pub(super) struct TempCopy(PathBuf);

impl TempCopy {
    /// Copy the database at `from` (its files, not the owner's pid) into a new 0700 directory.
    fn of(from: &Path) -> Result<TempCopy, StoreError> {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let tmp = std::env::temp_dir();
        sweep_orphans(&tmp);
        let dir = tmp.join(format!(
            "{COPY_PREFIX}{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        super::fs::create_private_dir(&dir)?;
        let copy = TempCopy(dir);
        copy_tree(from, &copy.0).map_err(|cause| StoreError::Copy {
            path: from.display().to_string(),
            cause,
        })?;
        Ok(copy)
    }

    /// The copy's directory.
    pub(super) fn dir(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            fs::create_dir(&dst)?;
            copy_tree(&src, &dst)?;
        } else if entry.file_name() != super::fs::OWNER_FILE {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod sweep_tests {
    use super::*;

    #[test]
    fn orphans_of_dead_readers_are_removed_and_live_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        // Above the kernel's largest pid_max (2^22), so never a running process.
        let dead = tmp.path().join(format!("{COPY_PREFIX}99999999-0"));
        let live = tmp
            .path()
            .join(format!("{COPY_PREFIX}{}-0", std::process::id()));
        let other = tmp.path().join("sporfri-db-copy-notapid-0");
        for d in [&dead, &live, &other] {
            fs::create_dir(d).unwrap();
            fs::write(d.join("db"), b"x").unwrap();
        }
        sweep_orphans(tmp.path());
        assert!(!dead.exists(), "a dead reader's copy is removed");
        assert!(live.exists(), "a running reader's copy is kept");
        assert!(other.exists(), "a name that is not ours is left alone");
    }
}
