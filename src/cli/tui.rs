//! `sporfri tui`: the dashboard over a replayed capture, a stored session, or a running
//! `sporfri live` (over its control socket beside the database).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use sporfri::attribute::Attributor;
use sporfri::control::socket_path;
use sporfri::session::SessionId;
use sporfri::store::default_path;
use sporfri::tui::feed::{Feed, LiveFeed, ReplayFeed, ReplayOptions, Speed, StoredFeed};
use sporfri::tui::{Model, term};

use super::common::capture_exit;

/// Arguments of `sporfri tui`.
#[derive(clap::Args, Debug)]
pub struct TuiArgs {
    /// Drive the dashboard from a capture file (pcap or pcapng) instead of a live service.
    #[arg(long, value_name = "FILE", conflicts_with = "session")]
    pub replay: Option<PathBuf>,
    /// Replay pace: 1 (real time), 10, or max (as fast as possible).
    #[arg(long, default_value = "1", requires = "replay")]
    pub speed: Speed,
    /// Browse a stored session (read-only).
    #[arg(long, value_name = "ID")]
    pub session: Option<SessionId>,
    /// Site profile of the service under test (e.g. borger.dk): its names are first party.
    #[arg(long, requires = "replay")]
    pub site: Option<String>,
    /// Extra signature directories (laid out as signatures/), after the built-in set.
    #[arg(long = "signatures", value_name = "DIR")]
    pub signature_dirs: Vec<PathBuf>,
    /// Record the replay as a session with this label.
    #[arg(long, requires = "replay")]
    pub label: Option<String>,
    /// Database directory (default $XDG_DATA_HOME/sporfri/db).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Idle baselines of the recorded session (with --label).
    #[command(flatten)]
    pub baseline: super::baseline::BaselineArgs,
}

/// Run the dashboard.
pub fn run(args: TuiArgs) -> Result<ExitCode> {
    let db = args.db.clone().unwrap_or_else(default_path);
    let dirs: Vec<&Path> = args.signature_dirs.iter().map(PathBuf::as_path).collect();
    let mut capture_end = None;
    let (feed, site): (Box<dyn Feed>, Option<String>) = if let Some(file) = &args.replay {
        // Before the feed opens: with --label it creates the session.
        needs_terminal()?;
        let opts = ReplayOptions {
            file: file.clone(),
            speed: args.speed,
            site: args.site.clone(),
            signature_dirs: args.signature_dirs.clone(),
            label: args.label.clone(),
            db: db.clone(),
        };
        if args.baseline.given() && args.label.is_none() {
            return Err(super::bad_arguments(
                &["tui"],
                "--baseline, --against and --no-baseline are about a recorded session: add --label",
            ));
        }
        let b = &args.baseline;
        let feed = ReplayFeed::open_with_baseline(opts, b.request(), b.baseline_max_age)?;
        capture_end = Some(feed.end());
        (Box::new(feed), args.site.clone())
    } else if let Some(id) = args.session {
        let feed = StoredFeed::open(&db, id)?;
        let site = feed.site().map(str::to_owned);
        (Box::new(feed), site)
    } else {
        let socket = socket_path(&db);
        let feed = LiveFeed::connect(&socket).map_err(|e| {
            anyhow::anyhow!(
                "no running `sporfri live` answers at {} ({e}).\n\
                 Start one (sporfri live -i wlan0 --label L), or run the dashboard on a capture: \
                 sporfri tui --replay FILE [--speed 1|10|max] [--label L],\n\
                 or browse a stored session: sporfri tui --session ID (see `sporfri sessions list`)",
                socket.display()
            )
        })?;
        (Box::new(feed), None)
    };
    // Explanations (purpose, source) use the same signatures; an unknown stored site falls
    // back to no site rather than refusing to show the session.
    let attributor = Attributor::builtin_with(&dirs, site.as_deref())
        .or_else(|_| Attributor::builtin_with(&dirs, None))?;
    needs_terminal()?;
    let model = term::run(Model::new(attributor), feed).map_err(|e| {
        // No controlling terminal to open (a service, `setsid`, some CI runners).
        if e.raw_os_error() == Some(ENXIO) {
            anyhow::anyhow!("{NEEDS_TERMINAL} (opening it: {e})")
        } else {
            anyhow::Error::new(e).context("terminal")
        }
    })?;
    if let Some(s) = &model.session {
        if s.id > 0 {
            eprintln!(
                "sporfri: session {} \"{}\": {}, {}, database {}",
                s.id,
                s.label,
                sporfri::text::count(model.rows.len() as u64, "contact"),
                sporfri::text::count(s.marks.len() as u64, "mark"),
                db.display()
            );
            // A recorded replay says what it was compared with, as `replay --label` does.
            if capture_end.is_some() {
                super::baseline::after_recording(s)?;
            }
        }
    }
    Ok(capture_end
        .and_then(|end| end.get().cloned())
        // As `sporfri replay` exits: 3 for a damaged capture, 1 when no packet could be read.
        .map_or(ExitCode::SUCCESS, |end| {
            capture_exit(
                end.error,
                end.packets,
                "the dashboard showed everything before it",
            )
        }))
}

const NEEDS_TERMINAL: &str = "sporfri tui needs a terminal";
/// "No such device or address": there is no terminal to open.
const ENXIO: i32 = 6;

fn needs_terminal() -> Result<()> {
    if std::io::stdout().is_terminal() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "{NEEDS_TERMINAL}: standard output is not one (without one, `sporfri replay FILE` \
             analyses a capture and `sporfri sessions show ID` shows a stored session)"
        ))
    }
}
