//! `sporfri report` and `sporfri diff`: read sessions from the store, render, write.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use sporfri::attribute::{Attributor, signatures::read_dir};
use sporfri::report::{self, LayerInfo, Meta, files_sha256};
use sporfri::session::{ContactRecord, Session, SessionId};
use sporfri::store::{Store, default_path};

/// Output formats of `report` and `diff`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML file (inline CSS and SVG timeline).
    Html,
    /// Markdown.
    Md,
    /// The whole report as JSON, every contact included.
    Json,
    /// One row per contact (per name for `diff`).
    Csv,
}

/// Options shared by `report` and `diff`.
#[derive(Args)]
pub struct RenderArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Database directory (default $XDG_DATA_HOME/sporfri/db).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Extra signature directories (laid out as signatures/), e.g. where the site profile lives.
    #[arg(long = "signatures", value_name = "DIR")]
    pub signature_dirs: Vec<PathBuf>,
}

fn load(store: &Store, id: SessionId) -> Result<(Session, Vec<ContactRecord>)> {
    Ok((store.session(id)?, store.contacts(id)?))
}

/// Hashes of the extra signature directories.
fn meta(dirs: &[PathBuf]) -> Result<Meta> {
    let mut extra = Vec::new();
    for d in dirs {
        let files = read_dir(d)?;
        extra.push(LayerInfo {
            label: d.display().to_string(),
            sha256: files_sha256(files.iter().map(|f| (f.path.as_str(), f.text.as_str()))),
            files: files.len(),
        });
    }
    Ok(Meta::current(extra))
}

fn write_out(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

/// `sporfri report SESSION`.
pub fn report(id: SessionId, args: &RenderArgs) -> Result<ExitCode> {
    let store = Store::open_read(&args.db.clone().unwrap_or_else(default_path))?;
    let (session, contacts) = load(&store, id)?;
    let requests = store.requests(id)?;
    drop(store);
    let dirs: Vec<&Path> = args.signature_dirs.iter().map(PathBuf::as_path).collect();
    // The site profile (declarations, mandatory self-service) as loaded now; a report is still
    // made without it, and says so.
    let attributor = match Attributor::builtin_with(&dirs, session.site.as_deref()) {
        Ok(a) => Some(a),
        Err(e) => {
            eprintln!("sporfri: site profile not loaded ({e}); the report says so");
            None
        }
    };
    let site = attributor.as_ref().and_then(|a| a.site()).map(|p| &p.facts);
    let r = report::build_with_requests(
        &session,
        &contacts,
        &requests,
        site,
        meta(&args.signature_dirs)?,
    );
    let text = match args.format {
        ReportFormat::Html => report::html::render(&r),
        ReportFormat::Md => report::md::render(&r),
        ReportFormat::Json => report::json::render(&r)?,
        ReportFormat::Csv => report::csv::render(&r),
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// `sporfri diff A B`.
pub fn diff(a: SessionId, b: SessionId, args: &RenderArgs) -> Result<ExitCode> {
    let store = Store::open_read(&args.db.clone().unwrap_or_else(default_path))?;
    let (sa, ca) = load(&store, a)?;
    let (sb, cb) = load(&store, b)?;
    drop(store);
    let d = report::diff::diff((&sa, &ca), (&sb, &cb), meta(&args.signature_dirs)?);
    let text = match args.format {
        ReportFormat::Html => report::diff::html(&d),
        ReportFormat::Md => report::diff::md(&d),
        ReportFormat::Json => report::diff::json(&d)?,
        ReportFormat::Csv => report::diff::csv(&d),
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
