//! `sporfri report` and `sporfri diff`: read sessions from the store, render, write.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use sporfri::attribute::SignatureSet;
use sporfri::attribute::site::SiteFacts;
use sporfri::report::diff::DiffSide;
use sporfri::report::{self, Meta, describe_set};
use sporfri::session::{ContactRecord, RequestEntry, Session, SessionId, reattribute, resettle};
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
    /// Attribute the contacts again with this sporfri's signatures (its built-in set, the
    /// --signatures directories or else the session's stored copies of those it was recorded
    /// with, the user's overlay) instead of those the session was recorded with; the report
    /// says so.
    #[arg(long)]
    pub reattribute: bool,
    /// Extra signature directories (laid out as signatures/), for --reattribute and for
    /// sessions recorded before sessions stored their signatures.
    #[arg(long = "signatures", value_name = "DIR")]
    pub signature_dirs: Vec<PathBuf>,
}

/// A session as a report shows it: contacts and requests attributed as chosen, the site
/// profile's facts, and which signatures they rest on.
struct Attributed {
    session: Session,
    contacts: Vec<ContactRecord>,
    requests: Vec<RequestEntry>,
    site: Option<SiteFacts>,
    meta: Meta,
}

impl Attributed {
    fn side(&self) -> DiffSide<'_> {
        DiffSide {
            session: &self.session,
            contacts: &self.contacts,
            signatures: &self.meta.signatures,
        }
    }
}

/// Session `id` with the attribution it was recorded with, or today's with `--reattribute`.
fn attributed(store: &Store, id: SessionId, args: &RenderArgs) -> Result<Attributed> {
    let session = store.session(id)?;
    let mut contacts = store.contacts(id)?;
    let mut requests = store.requests(id)?;
    let stored = store.signatures(id)?;
    let dirs: Vec<&Path> = args.signature_dirs.iter().map(PathBuf::as_path).collect();
    let (site, meta) = if args.reattribute {
        let set = match &stored {
            Some(s) if dirs.is_empty() => SignatureSet::again(s)?,
            _ => SignatureSet::read(&dirs)?,
        };
        let attributor = set.attributor(session.site.as_deref()).with_context(|| {
            format!(
                "re-attributing session {id} with this sporfri's signatures (give the \
                 directory of its site profile with --signatures)"
            )
        })?;
        reattribute(&mut contacts, &mut requests, &attributor);
        // What the idle baseline said of each contact stays; its browser names settle again.
        resettle(&mut contacts);
        let today = attributor
            .signature_set()
            .context("signatures loaded without their set")?;
        let meta = Meta::reattributed(today, stored.as_ref());
        eprintln!(
            "sporfri: session {id} re-attributed with this sporfri's signatures, not those it \
             was recorded with ({})",
            describe_set(&meta.signatures)
        );
        (attributor.site().map(|p| p.facts.clone()), meta)
    } else if let Some(set) = &stored {
        if !dirs.is_empty() {
            eprintln!(
                "sporfri: --signatures is not used: session {id} stored the signatures it was \
                 recorded with (--reattribute attributes it with today's)"
            );
        }
        let site = set.site_facts().unwrap_or_else(|e| {
            eprintln!("sporfri: the stored site profile of session {id} does not read ({e})");
            None
        });
        (site, Meta::recorded(set))
    } else {
        eprintln!(
            "sporfri: session {id} was recorded by a sporfri that did not store its signatures: \
             contacts are as recorded, the site profile as loaded now"
        );
        let set = SignatureSet::read(&dirs)?;
        let meta = Meta::current(set.layer_infos());
        // A report is still made without the site profile, and says so.
        let site = match set.attributor(session.site.as_deref()) {
            Ok(a) => a.site().map(|p| p.facts.clone()),
            Err(e) => {
                eprintln!("sporfri: site profile not loaded ({e}); the report says so");
                None
            }
        };
        (site, meta)
    };
    Ok(Attributed {
        session,
        contacts,
        requests,
        site,
        meta,
    })
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
    let a = attributed(&store, id, args)?;
    drop(store);
    let r = report::build_with_requests(
        &a.session,
        &a.contacts,
        &a.requests,
        a.site.as_ref(),
        a.meta,
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
    let sa = attributed(&store, a, args)?;
    let sb = attributed(&store, b, args)?;
    drop(store);
    let d = report::diff::diff(sa.side(), sb.side());
    let text = match args.format {
        ReportFormat::Html => report::diff::html(&d),
        ReportFormat::Md => report::diff::md(&d),
        ReportFormat::Json => report::diff::json(&d)?,
        ReportFormat::Csv => report::diff::csv(&d),
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
