//! `sporfri replay FILE [--keylog KEYS] --requests`: one JSON object per HTTP request (plain, or
//! decrypted with the key log), with the consent phase when `--mark` gives the marks.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use sporfri::attribute::Attributor;
use sporfri::observation::Observation;
use sporfri::output::requests::RequestRecord;
use sporfri::pipeline::{Consumer, Pipeline};
use sporfri::session::{Mark, MarkSpec, phase_at};
use sporfri::time::Timestamp;

use super::common::{filter_summary, finish, open, run_file};
use super::keys::load_key_log;

/// Print the requests of `files`: plain HTTP, and those decrypted with the key log at `keylog`
/// (and any Decryption Secrets Blocks in them); `marks` (resolved against the first packet)
/// give each its phase.
pub fn run(
    files: &[PathBuf],
    filter: Option<&str>,
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
    let mut source = open(files, filter)?;
    let printer = Printer {
        out: BufWriter::new(super::out::stdout()),
        attributor: &attributor,
        marks,
        first: None,
        resolved: None,
        written: 0,
        decrypted: 0,
        failed: None,
    };
    let mut pipeline = Pipeline::new(printer);
    pipeline.decrypt_with(keys);
    let end = run_file(&mut source, &mut pipeline);
    let (engine, mut printer) = pipeline.into_parts();
    filter_summary(&source, filter, end.packets);
    if let Some(e) = printer.failed {
        return Err(e).context("writing requests");
    }
    printer.out.flush()?;
    let (written, decrypted) = (printer.written, printer.decrypted);
    eprintln!(
        "sporfri: {}, {} ({decrypted} decrypted, {} plain HTTP)",
        sporfri::text::count(end.packets, "packet"),
        sporfri::text::count(written, "request"),
        written - decrypted
    );
    Ok(finish(&engine, end))
}

/// Prints each request as one JSON line.
struct Printer<'a, W: Write> {
    out: W,
    attributor: &'a Attributor,
    marks: &'a [MarkSpec],
    /// Time of the first packet: the marks' origin.
    first: Option<Timestamp>,
    resolved: Option<Vec<Mark>>,
    written: u64,
    decrypted: u64,
    failed: Option<io::Error>,
}

impl<W: Write> Consumer for Printer<'_, W> {
    fn packet(&mut self, ts: Timestamp) {
        self.first.get_or_insert(ts);
    }

    fn observe(&mut self, obs: &Observation) {
        let Observation::Request {
            device,
            flow,
            exchange,
        } = obs
        else {
            return;
        };
        let phase = (!self.marks.is_empty()).then(|| {
            let first = self.first.unwrap_or_default();
            let marks = self
                .resolved
                .get_or_insert_with(|| resolve(self.marks, first));
            phase_at(marks, exchange.ts).as_str().to_owned()
        });
        let who = self.attributor.request(exchange, flow);
        let rec = RequestRecord::new(*device, exchange, &who, phase);
        let line = serde_json::to_writer(&mut self.out, &rec)
            .map_err(io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        match line {
            Ok(()) => {
                self.written += 1;
                self.decrypted += u64::from(exchange.encrypted);
            }
            Err(e) => self.failed = self.failed.take().or(Some(e)),
        }
    }
}

/// Marks in time order, as a session would hold them.
fn resolve(specs: &[MarkSpec], first: Timestamp) -> Vec<Mark> {
    let mut marks: Vec<Mark> = specs.iter().map(|s| s.resolve(first)).collect();
    marks.sort_by_key(|m| m.ts);
    marks
}
