//! `sporfri extract`: the raw extraction in the oracle's format.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use sporfri::capture::FileSource;
use sporfri::observation::Observation;
use sporfri::output::extract::Extraction;
use sporfri::pipeline::Pipeline;

use super::common::{finish, run_file};

pub fn run(file: &Path, flows: bool) -> Result<ExitCode> {
    let mut extraction = Extraction::new(flows);
    let mut source = FileSource::open(file)?;
    let mut pipeline = Pipeline::new(|obs: &Observation| extraction.observe(obs));
    let end = run_file(&mut source, &mut pipeline);
    let (engine, _) = pipeline.into_parts();
    let mut out = BufWriter::new(super::out::stdout());
    for line in extraction.lines() {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(finish(&engine, end))
}
