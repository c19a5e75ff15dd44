//! `sporfri report` and `sporfri diff`: read sessions from the store, render, write.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use sporfri::attribute::SignatureSet;
use sporfri::attribute::site::SiteFacts;
use sporfri::control::{Database, SessionContacts};
use sporfri::report::diff::DiffSide;
use sporfri::report::{self, Meta, describe_set};
use sporfri::session::{ContactRecord, RequestEntry, Session, SessionId, reattribute, resettle};
use sporfri::store::default_path;

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
    /// Write to FILE (`-` for standard output). Without it, HTML goes to standard output
    /// when that is not a terminal, else to sporfri-report-ID.html (sporfri-diff-A-B.html)
    /// in the current directory, never over an existing file.
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
pub(super) struct Attributed {
    pub session: Session,
    pub contacts: Vec<ContactRecord>,
    pub requests: Vec<RequestEntry>,
    pub site: Option<SiteFacts>,
    pub meta: Meta,
    /// What the tester should know about how it was attributed, for standard error.
    pub notes: Vec<Note>,
}

/// Something said on standard error about a session's attribution; the kind lets the survey
/// say it once for many sessions.
pub(super) struct Note {
    pub kind: NoteKind,
    pub text: String,
}

/// What a [`Note`] is about.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum NoteKind {
    Reattributed,
    SignaturesUnused,
    SiteUnreadable,
    NotStored,
    SiteNotLoaded,
}

impl Attributed {
    /// The report of this session, exactly as `sporfri report` builds it.
    pub(super) fn report(&self) -> report::Report {
        report::build_with_requests(
            &self.session,
            &self.contacts,
            &self.requests,
            self.site.as_ref(),
            self.meta.clone(),
        )
    }

    fn print_notes(&self) {
        for n in &self.notes {
            eprintln!("sporfri: {}", n.text);
        }
    }
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
pub(super) fn attributed(
    database: &Database,
    id: SessionId,
    args: &RenderArgs,
) -> Result<Attributed> {
    let mut notes = Vec::new();
    let mut note = |kind, text: String| notes.push(Note { kind, text });
    let SessionContacts {
        session,
        mut contacts,
        signatures: stored,
    } = database.contacts(id)?;
    let mut requests = database.requests(id)?;
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
        note(
            NoteKind::Reattributed,
            format!(
                "session {id} re-attributed with this sporfri's signatures, not those it was \
                 recorded with ({})",
                describe_set(&meta.signatures)
            ),
        );
        (attributor.site().map(|p| p.facts.clone()), meta)
    } else if let Some(set) = &stored {
        if !dirs.is_empty() {
            note(
                NoteKind::SignaturesUnused,
                format!(
                    "--signatures is not used: session {id} stored the signatures it was \
                     recorded with (--reattribute attributes it with today's)"
                ),
            );
        }
        let site = set.site_facts().unwrap_or_else(|e| {
            note(
                NoteKind::SiteUnreadable,
                format!("the stored site profile of session {id} does not read ({e})"),
            );
            None
        });
        (site, Meta::recorded(set))
    } else {
        note(
            NoteKind::NotStored,
            format!(
                "session {id} was recorded by a sporfri that did not store its signatures: \
                 contacts are as recorded, the site profile as loaded now"
            ),
        );
        let set = SignatureSet::read(&dirs)?;
        let meta = Meta::current(set.layer_infos());
        // A report is still made without the site profile, and says so.
        let site = match set.attributor(session.site.as_deref()) {
            Ok(a) => a.site().map(|p| p.facts.clone()),
            Err(e) => {
                note(
                    NoteKind::SiteNotLoaded,
                    format!("site profile not loaded ({e}); the report says so"),
                );
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
        notes,
    })
}

/// Where a rendering goes.
#[derive(Debug, PartialEq, Eq)]
enum Destination {
    /// Standard output.
    Stdout,
    /// This file.
    File(PathBuf),
    /// A file named for the session(s), because HTML on a terminal is unreadable.
    Default(PathBuf),
}

/// `-o FILE` is the file and `-o -` standard output; without `-o`, HTML meant for a terminal
/// goes to `default` in the current directory instead (Markdown, JSON and CSV read there).
fn destination(
    output: Option<&Path>,
    format: ReportFormat,
    terminal: bool,
    default: &str,
) -> Destination {
    match output {
        Some(p) if p == Path::new("-") => Destination::Stdout,
        Some(p) => Destination::File(p.to_owned()),
        None if terminal && matches!(format, ReportFormat::Html) => {
            Destination::Default(PathBuf::from(default))
        }
        None => Destination::Stdout,
    }
}

pub(super) fn write_out(args: &RenderArgs, default: &str, text: &str) -> Result<()> {
    let terminal = std::io::stdout().is_terminal();
    match destination(args.output.as_deref(), args.format, terminal, default) {
        Destination::File(p) => {
            std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))
        }
        Destination::Default(p) => {
            // Never over another file: the tester names one with -o.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .with_context(|| {
                    format!(
                        "HTML is not for a terminal, and {} cannot be created: name a file \
                         with -o FILE (or -o - for standard output)",
                        p.display()
                    )
                })?;
            file.write_all(text.as_bytes())
                .with_context(|| format!("writing {}", p.display()))?;
            eprintln!(
                "sporfri: written to {} (HTML is not for a terminal; open it in a browser; \
                 -o FILE names the file, -o - prints it)",
                p.display()
            );
            Ok(())
        }
        Destination::Stdout => {
            let mut out = super::out::stdout();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

/// `sporfri report SESSION`.
pub fn report(id: SessionId, args: &RenderArgs) -> Result<ExitCode> {
    // Through the owner's control socket while a session is being recorded.
    let database = Database::open_read(&args.db.clone().unwrap_or_else(default_path))?;
    let a = attributed(&database, id, args)?;
    drop(database);
    a.print_notes();
    let r = a.report();
    let text = match args.format {
        ReportFormat::Html => report::html::render(&r),
        ReportFormat::Md => report::md::render(&r),
        ReportFormat::Json => report::json::render(&r)?,
        ReportFormat::Csv => report::csv::render(&r),
    };
    write_out(args, &format!("sporfri-report-{id}.html"), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// `sporfri diff A B`.
pub fn diff(a: SessionId, b: SessionId, args: &RenderArgs) -> Result<ExitCode> {
    let database = Database::open_read(&args.db.clone().unwrap_or_else(default_path))?;
    let sa = attributed(&database, a, args)?;
    let sb = attributed(&database, b, args)?;
    drop(database);
    sa.print_notes();
    sb.print_notes();
    let d = report::diff::diff(sa.side(), sb.side());
    let text = match args.format {
        ReportFormat::Html => report::diff::html(&d),
        ReportFormat::Md => report::diff::md(&d),
        ReportFormat::Json => report::diff::json(&d)?,
        ReportFormat::Csv => report::diff::csv(&d),
    };
    write_out(args, &format!("sporfri-diff-{a}-{b}.html"), &text)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_on_a_terminal_goes_to_a_file() {
        let d = |o: Option<&str>, f, t| destination(o.map(Path::new), f, t, "r.html");
        let html = ReportFormat::Html;
        assert_eq!(d(None, html, true), Destination::Default("r.html".into()));
        assert_eq!(d(None, html, false), Destination::Stdout);
        assert_eq!(d(None, ReportFormat::Md, true), Destination::Stdout);
        assert_eq!(d(Some("-"), html, true), Destination::Stdout);
        assert_eq!(
            d(Some("x.html"), html, true),
            Destination::File("x.html".into())
        );
    }
}
