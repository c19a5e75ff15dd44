//! Where the database lives and who may read it.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::StoreError;

/// File in the database directory naming the process that holds it.
pub(super) const OWNER_FILE: &str = "owner.pid";

/// `$STATE_DIRECTORY/db` under systemd (`StateDirectory=sporfri` gives /var/lib/sporfri), else
/// `$XDG_DATA_HOME/sporfri/db`, else `~/.local/share/sporfri/db`, else /var/lib/sporfri/db.
pub fn default_path() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(state) = std::env::var("STATE_DIRECTORY")
        .ok()
        .and_then(|s| s.split(':').next().map(PathBuf::from))
        .filter(|p| p.is_absolute())
    {
        return state.join("db");
    }
    if let Some(data) = var("XDG_DATA_HOME") {
        return data.join("sporfri").join("db");
    }
    if let Some(home) = var("HOME") {
        return home.join(".local/share/sporfri/db");
    }
    PathBuf::from("/var/lib/sporfri/db")
}

/// Create `path` (and missing parents) with mode 0700.
pub fn create_private_dir(path: &Path) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.display().to_string(),
        cause: source,
    };
    if !path.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(io)?;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(io)
}

/// Directories 0700, files 0600, everywhere under `path`: sled creates files with the
/// process umask, so this runs after every fsync.
pub fn make_private(path: &Path) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.display().to_string(),
        cause: source,
    };
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(io)?;
    for entry in fs::read_dir(path).map_err(io)?.flatten() {
        let p = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        if meta.permissions().mode() & 0o777 != want {
            // A file sled removed in between is not an error.
            let _ = fs::set_permissions(&p, fs::Permissions::from_mode(want));
        }
        if meta.is_dir() {
            make_private(&p)?;
        }
    }
    Ok(())
}

/// Leave our pid so a second process can say who holds the lock.
pub fn write_owner(path: &Path) {
    let _ = fs::write(path.join(OWNER_FILE), std::process::id().to_string());
}

/// The pid in the owner file, when that process is alive.
pub fn live_owner(path: &Path) -> Option<u32> {
    let pid: u32 = fs::read_to_string(path.join(OWNER_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
}
