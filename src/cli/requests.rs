//! `sporfri replay FILE [--keylog KEYS] --requests`: one JSON object per HTTP request (plain, or
//! decrypted with the key log), with the consent phase when `--mark` gives the marks.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use sporfri::attribute::Attributor;
use sporfri::observation::Observation;
use sporfri::output::requests::RequestRecord;
use sporfri::session::{Mark, MarkSpec, phase_at};

use super::common::finish;
use super::keys::{load_key_log, run_keyed};

/// Print the requests of `file`: plain HTTP, and those decrypted with the key log at `keylog`
/// (and any Decryption Secrets Blocks in it); `marks` (resolved against the first packet) give
/// each its phase.
pub fn run(
    files: &[PathBuf],
    keylog: Option<&Path>,
    site: Option<&str>,
    marks: &[MarkSpec],
) -> Result<ExitCode> {
    let attributor = Attributor::builtin(site)?;
    // On even when empty: a pcapng file may carry its secrets in Decryption Secrets Blocks.
    let keys = match keylog {
        Some(path) => load_key_log(path)?,
        None => sporfri::decrypt::KeyLog::new(),
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let (mut written, mut decrypted) = (0u64, 0u64);
    let mut failed: Option<io::Error> = None;
    let mut resolved: Option<Vec<Mark>> = None;
    let sink = |first, obs| {
        let Observation::Request {
            device,
            flow,
            exchange,
        } = obs
        else {
            return;
        };
        let phase = (!marks.is_empty()).then(|| {
            let marks = resolved.get_or_insert_with(|| resolve(marks, first));
            phase_at(marks, exchange.ts).as_str().to_owned()
        });
        let who = attributor.request(&exchange, &flow);
        let rec = RequestRecord::new(device, &exchange, &who, phase);
        let line = serde_json::to_writer(&mut out, &rec)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        match line {
            Ok(()) => {
                written += 1;
                decrypted += u64::from(exchange.encrypted);
            }
            Err(e) => failed = failed.take().or(Some(e)),
        }
    };
    let (engine, end) = run_keyed(files, Some(keys), sink)?;
    if let Some(e) = failed {
        return Err(e).context("writing requests");
    }
    out.flush()?;
    eprintln!(
        "sporfri: {}, {} ({decrypted} decrypted, {} plain HTTP)",
        sporfri::text::count(end.packets, "packet"),
        sporfri::text::count(written, "request"),
        written - decrypted
    );
    Ok(finish(&engine, end))
}

/// Marks in time order, as a session would hold them.
fn resolve(specs: &[MarkSpec], first: sporfri::time::Timestamp) -> Vec<Mark> {
    let mut marks: Vec<Mark> = specs.iter().map(|s| s.resolve(first)).collect();
    marks.sort_by_key(|m| m.ts);
    marks
}
