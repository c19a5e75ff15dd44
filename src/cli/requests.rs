//! `sporfri replay FILE --keylog KEYS --requests`: one JSON object per decrypted request.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use sporfri::attribute::Attributor;
use sporfri::capture::{FileSource, PacketSource};
use sporfri::decrypt::{KeyLog, RequestRecord};
use sporfri::flow::Engine;
use sporfri::observation::Observation;
use sporfri::replay::RunEnd;

use super::common::finish;

/// Decrypt `file` with the key log at `keylog` (and any Decryption Secrets Blocks in it) and
/// print the requests.
pub fn run(file: &Path, keylog: Option<&Path>, site: Option<&str>) -> Result<ExitCode> {
    let attributor = Attributor::builtin(site)?;
    let mut engine = Engine::new();
    let keys = match keylog {
        Some(path) => {
            let text =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let keys = KeyLog::parse(&text);
            let s = keys.stats();
            eprintln!(
                "sporfri: key log: {} connections ({} secrets, {} other labels, {} malformed lines)",
                keys.len(),
                s.kept,
                s.other_labels,
                s.malformed
            );
            keys
        }
        None => KeyLog::new(),
    };
    // On even when empty: a pcapng file may carry its secrets in Decryption Secrets Blocks.
    engine.set_key_log(keys);
    let mut source =
        FileSource::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut out = BufWriter::new(io::stdout().lock());
    let mut written = 0u64;
    let mut failed: Option<io::Error> = None;
    let mut sink = |obs| {
        if let Observation::Request {
            device,
            flow,
            exchange,
        } = obs
        {
            // The lead plugs the session's consent phase in here (None until sessions exist).
            let rec = RequestRecord::new(device, &flow, &exchange, &attributor, None);
            let line = serde_json::to_writer(&mut out, &rec)
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            match line {
                Ok(()) => written += 1,
                Err(e) => failed = failed.take().or(Some(e)),
            }
        }
    };
    let mut packets = 0u64;
    let error = loop {
        let secrets = source.take_secrets();
        if !secrets.is_empty() {
            engine.add_key_log_text(&secrets);
        }
        match source.next_packet() {
            Ok(Some(p)) => {
                packets += 1;
                engine.ingest(&p, &mut sink);
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    engine.finish(&mut sink);
    if let Some(e) = failed {
        return Err(e).context("writing requests");
    }
    out.flush()?;
    eprintln!("sporfri: {packets} packets, {written} decrypted requests");
    Ok(finish(&engine, RunEnd { packets, error }))
}
