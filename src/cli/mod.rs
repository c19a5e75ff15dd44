//! Commands: one file each; this file holds the argument tree and the dispatch.

mod baseline;
mod bundle;
mod common;
mod docs;
mod doctor;
mod extract;
mod keys;
mod live;
mod mark;
mod out;
mod replay;
mod report;
mod requests;
mod sessions;
mod signatures;
mod survey;
mod tui;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// Exit code when the capture is damaged: results up to the damage were printed.
pub const EXIT_DAMAGED_CAPTURE: u8 = 3;
/// Exit code for bad arguments, as clap's own.
pub const EXIT_BAD_ARGUMENTS: u8 = 2;

#[derive(Parser)]
#[command(
    name = "sporfri",
    version,
    about = "Which third parties did this device talk to? Passive, packet by packet."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Analyze pcap/pcapng files: every remote name each device contacted.
    Replay {
        /// Capture files (pcap or pcapng; `-` is standard input); several are read as one
        /// capture, packets in time order.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Colours in the table: auto (when standard output is a terminal and NO_COLOR is
        /// not set), always, never.
        #[arg(long, value_enum, value_name = "WHEN", default_value_t = common::ColorChoice::Auto)]
        color: common::ColorChoice,
        /// Only read the packets, analyse nothing (the benchmark's baseline).
        #[arg(long)]
        null: bool,
        /// Only the packets this BPF expression accepts, as `live --filter` (libpcap syntax,
        /// e.g. "not port 22"; needs the `live` feature). Not with --label or --null.
        #[arg(long, value_name = "BPF", conflicts_with = "null")]
        filter: Option<String>,
        /// Site profile of the service under test (e.g. borger.dk): its names are first party.
        /// Without it, no name is first party.
        #[arg(long)]
        site: Option<String>,
        /// Extra signature directories (laid out as signatures/), after the built-in set.
        #[arg(long = "signatures", value_name = "DIR")]
        signature_dirs: Vec<PathBuf>,
        /// TLS key log (SSLKEYLOGFILE, NSS format) for lab decryption of TLS connections.
        #[arg(long, value_name = "KEYS")]
        keylog: Option<PathBuf>,
        /// Print one JSON object per HTTP request: plain HTTP, and decrypted ones (with --keylog
        /// or pcapng secrets); with --mark, each carries its consent phase.
        #[arg(long)]
        requests: bool,
        /// Recording the run as a session.
        #[command(flatten)]
        session: replay::SessionArgs,
    },
    /// Recorded test sessions: list, show, export, import, delete, purge.
    Sessions {
        /// Database directory (default $XDG_DATA_HOME/sporfri/db).
        #[arg(long, global = true, value_name = "PATH")]
        db: Option<PathBuf>,
        #[command(subcommand)]
        action: sessions::Action,
    },
    /// Mark the session being recorded: consent-accepted, consent-rejected, page, note, visit.
    Mark {
        /// consent-accepted, consent-rejected, page, note, or visit (the tester opened the
        /// service: what came before is the device on its own).
        kind: sporfri::session::MarkKind,
        /// Text of the mark (required for page, e.g. "opened login").
        #[arg(long)]
        note: Option<String>,
        /// Database directory (default $XDG_DATA_HOME/sporfri/db).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
    /// Print the raw extraction (dns/sni/http lines) in the format of tests/tools/oracle.sh.
    Extract {
        /// Capture file (pcap or pcapng).
        file: PathBuf,
        /// Add the client address as the middle column.
        #[arg(long)]
        flows: bool,
    },
    /// A session's report: findings with evidence, tables, timeline (html, md, json, csv).
    Report {
        /// Session number.
        session: sporfri::session::SessionId,
        #[command(flatten)]
        render: report::RenderArgs,
    },
    /// Compare two sessions: names only in A, only in B, in both, by organisation and phase.
    Diff {
        /// Session A (e.g. the accept run).
        a: sporfri::session::SessionId,
        /// Session B (e.g. the reject run).
        b: sporfri::session::SessionId,
        #[command(flatten)]
        render: report::RenderArgs,
    },
    /// Many sessions in one table: a row per session with its findings, a per-service summary
    /// and a matrix of services by organisations (html, md, json, csv: one line per contact).
    Survey(survey::SurveyArgs),
    /// Signatures: check the files, explain a name, import a list into a local overlay.
    Signatures {
        #[command(subcommand)]
        command: signatures::SignaturesCommand,
    },
    /// Capture live on an interface (the access point's) and print contacts as they appear.
    Live(live::LiveArgs),
    /// Check the access-point set-up (interface, capabilities, state directory, signatures,
    /// forwarding, hostapd, dnsmasq) and say what to fix.
    Doctor(doctor::DoctorArgs),
    /// Dashboard: third-party contacts as they happen, with consent marks (--replay FILE,
    /// --session ID).
    Tui(tui::TuiArgs),
    /// Print a shell completion script (e.g. `sporfri completions bash > /etc/bash_completion.d/sporfri`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Manual pages: sporfri(1) on standard output, or with --dir every page written there.
    Man {
        /// Write sporfri.1 and one page per subcommand (sporfri-replay.1, ...) into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Output formats of `replay` and `live`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Aligned columns for people, grouped by device.
    Table,
    /// One JSON object per contact.
    Jsonl,
}

/// A usage error found after parsing, as clap reports its own (message, usage, exit code 2);
/// `command` is the path to the subcommand whose usage is shown, e.g. `["sessions", "list"]`.
pub fn bad_arguments(command: &[&str], message: &str) -> anyhow::Error {
    let mut at = Cli::command();
    // Built, so a subcommand's usage line reads `sporfri replay ...`.
    at.build();
    for name in command {
        match at.find_subcommand(name).cloned() {
            Some(sub) => at = sub,
            None => break,
        }
    }
    at.error(clap::error::ErrorKind::ValueValidation, message)
        .into()
}

/// Whether standard output's reader went away during the command (see `out`).
pub fn stdout_closed() -> bool {
    out::closed()
}

/// The exit code of a failed command: 2 for bad arguments (a usage error, or a `--site` that
/// names no profile), else 1. A damaged capture (3) is not an error: it has results.
pub fn exit_code(e: &anyhow::Error) -> ExitCode {
    let unknown_site = e.chain().any(|c| {
        matches!(
            c.downcast_ref::<sporfri::attribute::SignatureError>(),
            Some(sporfri::attribute::SignatureError::UnknownSite(_))
        )
    });
    if unknown_site || e.downcast_ref::<clap::Error>().is_some() {
        ExitCode::from(EXIT_BAD_ARGUMENTS)
    } else {
        ExitCode::FAILURE
    }
}

/// Run one command.
pub fn dispatch(command: Command) -> Result<ExitCode> {
    match command {
        Command::Replay {
            files, null: true, ..
        } => replay::null(&files),
        Command::Replay {
            filter: Some(_),
            session,
            ..
        } if session.label.is_some() => Err(bad_arguments(
            &["replay"],
            "--filter with --label: a session records the whole capture (its report could not \
             say what a filter left out); filter the file first (tcpdump -r IN -w OUT 'FILTER')",
        )),
        Command::Replay {
            requests: true,
            session,
            ..
        } if session.label.is_some() => Err(bad_arguments(
            &["replay"],
            "--requests prints the requests and records nothing: record with --label (and \
             --keylog), then `sporfri sessions export ID --requests`",
        )),
        Command::Replay {
            files,
            requests: true,
            keylog,
            site,
            session,
            filter,
            ..
        } => requests::run(
            &files,
            filter.as_deref(),
            keylog.as_deref(),
            site.as_deref(),
            &session.marks,
        ),
        Command::Replay { session, .. } if session.baseline.given() && session.label.is_none() => {
            Err(bad_arguments(
                &["replay"],
                "--baseline, --against and --no-baseline are about a recorded session: add \
                 --label",
            ))
        }
        Command::Replay { session, .. } if !session.marks.is_empty() && session.label.is_none() => {
            Err(bad_arguments(
                &["replay"],
                "--mark needs --label (record a session) or --requests",
            ))
        }
        Command::Replay {
            files,
            format,
            site,
            signature_dirs,
            session,
            keylog,
            color,
            ..
        } if session.label.is_some() => replay::record(
            &files,
            (format, color.style()),
            site.as_deref(),
            &signature_dirs,
            &session,
            keylog.as_deref(),
        ),
        Command::Replay {
            files,
            format,
            site,
            signature_dirs,
            keylog,
            session,
            color,
            filter,
            ..
        } => replay::run(
            &files,
            filter.as_deref(),
            (format, color.style()),
            site.as_deref(),
            &signature_dirs,
            keylog.as_deref(),
            &session.devices,
        ),
        Command::Sessions { db, action } => sessions::run(db, action),
        Command::Mark { kind, note, db } => mark::run(db, kind, note),
        Command::Extract { file, flows } => extract::run(&file, flows),
        Command::Signatures { command } => signatures::run(command),
        Command::Live(args) => live::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Report { session, render } => report::report(session, &render),
        Command::Diff { a, b, render } => report::diff(a, b, &render),
        Command::Survey(args) => survey::run(&args),
        Command::Tui(args) => tui::run(args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { dir } => docs::man(dir.as_deref()),
    }
}
