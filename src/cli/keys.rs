//! What the commands that decrypt share: reading a key log given with `--keylog`. (A capture's
//! own secrets reach the engine through the library's pipeline.)

use std::path::Path;

use anyhow::{Context, Result};

use sporfri::decrypt::KeyLog;

/// Read and parse the key log at `path`, telling the tester what it holds.
pub fn load_key_log(path: &Path) -> Result<KeyLog> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let keys = KeyLog::parse(&text);
    let s = keys.stats();
    eprintln!(
        "sporfri: key log: {} connections ({} secrets, {} other labels, {} malformed lines)",
        keys.len(),
        s.kept,
        s.other_labels,
        s.malformed
    );
    Ok(keys)
}
