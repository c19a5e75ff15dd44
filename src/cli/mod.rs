//! Commands: one file each; this file holds the argument tree and the dispatch.

mod common;
mod extract;
mod replay;
mod requests;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

/// Exit code when the capture is damaged: results up to the damage were printed.
pub const EXIT_DAMAGED_CAPTURE: u8 = 3;

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
    /// Analyze a pcap/pcapng file: every remote name each device contacted.
    Replay {
        /// Capture file (pcap or pcapng).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Only read the packets, analyse nothing (the benchmark's baseline).
        #[arg(long)]
        null: bool,
        /// Site profile of the service under test (e.g. borger.dk): its names are first party.
        #[arg(long)]
        site: Option<String>,
        /// TLS key log (SSLKEYLOGFILE, NSS format) for lab decryption of TLS connections.
        #[arg(long, value_name = "KEYS")]
        keylog: Option<PathBuf>,
        /// Print one JSON object per decrypted request (with --keylog or pcapng secrets).
        #[arg(long)]
        requests: bool,
    },
    /// Print the raw extraction (dns/sni/http lines) in the format of shared/tools/oracle.sh.
    Extract {
        /// Capture file (pcap or pcapng).
        file: PathBuf,
        /// Add the client address as the middle column.
        #[arg(long)]
        flows: bool,
    },
}

/// Output formats of `replay`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Aligned columns for people, grouped by device.
    Table,
    /// One JSON object per contact.
    Jsonl,
}

/// Run one command.
pub fn dispatch(command: Command) -> Result<ExitCode> {
    match command {
        Command::Replay {
            file, null: true, ..
        } => replay::null(&file),
        Command::Replay {
            file,
            requests: true,
            keylog,
            site,
            ..
        } => requests::run(&file, keylog.as_deref(), site.as_deref()),
        Command::Replay {
            file, format, site, ..
        } => replay::run(&file, format, site.as_deref()),
        Command::Extract { file, flows } => extract::run(&file, flows),
    }
}
