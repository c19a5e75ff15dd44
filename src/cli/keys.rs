//! What the commands that decrypt share: reading a key log, and running a file with its
//! Decryption Secrets Blocks fed to the engine as they appear.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use sporfri::capture::{FileSource, PacketSource};
use sporfri::decrypt::KeyLog;
use sporfri::flow::Engine;
use sporfri::observation::Observation;
use sporfri::replay::RunEnd;
use sporfri::text::count;
use sporfri::time::Timestamp;

use super::common::progress_bar;

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

/// Hand the engine the secrets of Decryption Secrets Blocks read so far (none: decryption
/// stays off unless a key log was given, so captures without secrets are analysed as before).
pub fn take_secrets(source: &mut FileSource, engine: &mut Engine) {
    let secrets = source.take_secrets();
    if !secrets.is_empty() {
        engine.add_key_log_text(&secrets);
    }
}

/// Run the engine over `files` (one capture, in time order) with `keys` (if any) and the files'
/// own secrets, with a progress bar on a terminal. `observe` gets the first packet's time with
/// each observation.
pub fn run_keyed(
    files: &[PathBuf],
    keys: Option<KeyLog>,
    mut observe: impl FnMut(Timestamp, Observation),
) -> Result<(Engine, RunEnd)> {
    let mut source = FileSource::open_all(files)?;
    let bar = progress_bar(source.total_bytes());
    let mut engine = Engine::new();
    if let Some(keys) = keys {
        engine.set_key_log(keys);
    }
    let mut first: Option<Timestamp> = None;
    let mut packets = 0u64;
    let error = loop {
        take_secrets(&mut source, &mut engine);
        match source.next_packet() {
            Ok(Some(p)) => {
                packets += 1;
                let t0 = *first.get_or_insert(p.ts);
                engine.ingest(&p, &mut |obs| observe(t0, obs));
                if packets % 8192 == 0 {
                    bar.set_position(source.bytes_read());
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let t0 = first.unwrap_or_default();
    engine.finish(&mut |obs| observe(t0, obs));
    bar.finish_and_clear();
    Ok((engine, RunEnd { packets, error }))
}
