//! What the commands that decrypt share: reading a key log given with `--keylog`. (A capture's
//! own secrets reach the engine through the library's pipeline.)

use std::path::Path;

use anyhow::{Context, Result};

use sporfri::decrypt::KeyLog;
use sporfri::text::count;

/// Read and parse the key log at `path`, telling the tester what it holds.
pub fn load_key_log(path: &Path) -> Result<KeyLog> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let keys = KeyLog::parse(&text);
    let s = keys.stats();
    eprintln!(
        "sporfri: key log: {} ({}, {}, {})",
        count(keys.len() as u64, "connection"),
        count(s.kept as u64, "secret"),
        count(s.other_labels as u64, "other label"),
        count(s.malformed as u64, "malformed line")
    );
    Ok(keys)
}
