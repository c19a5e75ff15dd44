//! `sporfri replay`: contacts per device from a capture file.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};

use sporfri::attribute::Attributor;
use sporfri::capture::{FileSource, PacketSource};
use sporfri::contact::Contacts;
use sporfri::output::{jsonl, table};

use super::common::{finish, run_file, throughput};
use super::{EXIT_DAMAGED_CAPTURE, Format};

/// Analyze `file`; `site` names the site profile of the service under test.
pub fn run(
    file: &Path,
    format: Format,
    site: Option<&str>,
    signature_dirs: &[PathBuf],
) -> Result<ExitCode> {
    let started = Instant::now();
    let dirs: Vec<&Path> = signature_dirs.iter().map(PathBuf::as_path).collect();
    let attributor = Attributor::builtin_with(&dirs, site)?;
    let mut contacts = Contacts::default();
    let (engine, end) = run_file(file, |obs| contacts.observe(&obs))?;
    contacts.attribute(&attributor);
    let list = contacts.list();
    let mut out = BufWriter::new(io::stdout().lock());
    match format {
        Format::Table => table::write(&mut out, &list, contacts.devices())?,
        Format::Jsonl => jsonl::write(&mut out, &list)?,
    }
    out.flush()?;
    eprintln!(
        "sporfri: {} packets, {} flows, {} contacts from {} devices",
        end.packets,
        engine.stats().flows,
        list.len(),
        contacts.devices().len()
    );
    eprintln!("sporfri: {}", throughput(end.packets, started));
    if contacts.dropped() > 0 {
        eprintln!(
            "sporfri: {} contacts not kept (limit reached)",
            contacts.dropped()
        );
    }
    Ok(finish(&engine, end))
}

/// Read every packet and do nothing else: the floor any analysis is measured against.
pub fn null(file: &Path) -> Result<ExitCode> {
    let started = Instant::now();
    let mut source =
        FileSource::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut packets = 0u64;
    let mut bytes = 0u64;
    let error = loop {
        match source.next_packet() {
            Ok(Some(p)) => {
                packets += 1;
                bytes += p.data.len() as u64;
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    eprintln!("sporfri: null read of {packets} packets, {bytes} captured bytes");
    eprintln!("sporfri: {}", throughput(packets, started));
    Ok(match error {
        None => ExitCode::SUCCESS,
        Some(e) => {
            eprintln!("sporfri: {e}");
            ExitCode::from(EXIT_DAMAGED_CAPTURE)
        }
    })
}
