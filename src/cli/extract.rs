//! `sporfri extract`: the raw extraction in the oracle's format.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use sporfri::output::extract::Extraction;

use super::common::{finish, run_file};

pub fn run(file: &Path, flows: bool) -> Result<ExitCode> {
    let mut extraction = Extraction::new(flows);
    let (engine, end) = run_file(file, |obs| extraction.observe(&obs))?;
    let mut out = BufWriter::new(io::stdout().lock());
    for line in extraction.lines() {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(finish(&engine, end))
}
