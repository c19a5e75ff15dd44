//! `sporfri sessions export ID --bundle FILE` and `sporfri sessions import FILE`: sessions
//! travel from the appliances that recorded them to one evaluator's database.

use std::fs::OpenOptions;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, Result};

use sporfri::session::SessionId;
use sporfri::store::{Store, bundle};
use sporfri::text::count;

/// Write session `id` of `store` as a bundle to `file` (`-`: standard output), 0600 like the
/// database: it is the same record of what someone did.
pub fn export(store: &Store, id: SessionId, file: &Path) -> Result<()> {
    let b = store.bundle(id)?;
    let what = format!(
        "session {id} ({}, {})",
        count(b.contacts.len() as u64, "contact"),
        count(b.requests.len() as u64, "request")
    );
    if file == Path::new("-") {
        bundle::write(BufWriter::new(super::out::stdout()), &b)?;
        eprintln!("sporfri: exported {what}");
        return Ok(());
    }
    let out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)
        .with_context(|| format!("creating {}", file.display()))?;
    bundle::write(BufWriter::new(out), &b)
        .with_context(|| format!("writing {}", file.display()))?;
    eprintln!("sporfri: exported {what} to {}", file.display());
    Ok(())
}

/// Read the bundle `file` (`-`: standard input) whole, then add it as a new session to the
/// database at `db`, which is created if there is none (importing fills an evaluator's
/// database, as recording does), but only once the bundle has been read whole.
pub fn import(db: &Path, file: &Path, again: bool) -> Result<()> {
    let shown = file.display().to_string();
    let nothing = || format!("importing {shown}: nothing was imported");
    let input: Box<dyn Read> = if file == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {shown}"))?;
        Box::new(BufReader::new(f))
    };
    let b = bundle::read(input).with_context(nothing)?;
    let (from, version) = (b.header.session, b.header.sporfri_version.clone());
    let (contacts, requests) = (b.contacts.len() as u64, b.requests.len() as u64);
    let stored_set = b.signatures.is_some();
    let mut store = Store::open(db)?;
    for id in store.recover_interrupted()? {
        eprintln!("sporfri: session {id} was interrupted; it is complete up to its last flush");
    }
    let s = store.import(b, &shown, again).with_context(nothing)?;
    drop(store);
    let mut out = super::out::stdout();
    writeln!(
        out,
        "imported session {} {:?} from {shown} (session {from} there, exported by sporfri \
         {version}): {}, {}",
        s.id,
        s.label,
        count(contacts, "contact"),
        count(requests, "request")
    )?;
    if let Some(b) = s.against.as_ref().and_then(|a| a.baseline.as_ref()) {
        if b.elsewhere {
            eprintln!(
                "sporfri: session {} was compared with baseline #{} \"{}\" of the source \
                 database, which is not in this database: its contacts keep what that baseline \
                 said (importing the baseline's bundle links them)",
                s.id, b.id, b.label
            );
        } else {
            eprintln!(
                "sporfri: session {} is compared with baseline {} \"{}\" of this database",
                s.id, b.id, b.label
            );
        }
    }
    if !stored_set {
        eprintln!(
            "sporfri: session {} was recorded by a sporfri that did not store its signatures: \
             its report and the survey name the signatures loaded when rendering",
            s.id
        );
    }
    Ok(())
}
