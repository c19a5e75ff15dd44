//! The `sporfri` command line: argument parsing, output and exit codes. The work is in the library.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use sporfri::capture::{FileSource, PacketSource};
use sporfri::contact::Contacts;
use sporfri::flow::Engine;
use sporfri::observation::Observation;
use sporfri::output::{extract::Extraction, jsonl, table};
use sporfri::replay::{self, RunEnd};

/// Exit code when the capture is damaged: results up to the damage were printed.
const EXIT_DAMAGED_CAPTURE: u8 = 3;
/// Files at least this large get a progress bar (on a terminal).
const PROGRESS_MIN_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Parser)]
#[command(
    name = "sporfri",
    version,
    about = "Which third parties did this device talk to? Passive, packet by packet."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Aligned columns for people, grouped by device.
    Table,
    /// One JSON object per contact.
    Jsonl,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Replay {
            file, null: true, ..
        } => null_cmd(&file),
        Command::Replay { file, format, .. } => replay_cmd(&file, format),
        Command::Extract { file, flows } => extract_cmd(&file, flows),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sporfri: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn replay_cmd(file: &Path, format: Format) -> Result<ExitCode> {
    let started = Instant::now();
    let mut contacts = Contacts::default();
    let (engine, end) = run_file(file, |obs| contacts.observe(&obs))?;
    let list = contacts.sorted();
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
fn null_cmd(file: &Path) -> Result<ExitCode> {
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

/// `N packets in S s (R packets/s), peak RSS M MB` for the benchmark and curious users.
fn throughput(packets: u64, started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        packets as f64 / secs
    } else {
        0.0
    };
    let rss = peak_rss_kb().map_or_else(
        || "unknown".to_owned(),
        |kb| format!("{:.1} MB", kb as f64 / 1024.0),
    );
    format!("{packets} packets in {secs:.3} s ({rate:.0} packets/s), peak RSS {rss}")
}

/// Peak resident set size of this process (Linux `VmHWM`), in kB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn extract_cmd(file: &Path, flows: bool) -> Result<ExitCode> {
    let mut extraction = Extraction::new(flows);
    let (engine, end) = run_file(file, |obs| extraction.observe(&obs))?;
    let mut out = BufWriter::new(io::stdout().lock());
    for line in extraction.lines() {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(finish(&engine, end))
}

/// Run the engine over a file with a progress bar on a terminal.
fn run_file(file: &Path, mut observe: impl FnMut(Observation)) -> Result<(Engine, RunEnd)> {
    let mut source =
        FileSource::open(file).with_context(|| format!("opening {}", file.display()))?;
    let bar = progress_bar(source.total_bytes());
    let mut engine = Engine::new();
    let mut sink = |obs| observe(obs);
    let end = replay::run(&mut source, &mut engine, &mut sink, |s| {
        bar.set_position(s.bytes_read())
    });
    bar.finish_and_clear();
    Ok((engine, end))
}

fn progress_bar(total: u64) -> ProgressBar {
    if total < PROGRESS_MIN_BYTES || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Report skipped input, and turn a capture error into the damaged-capture exit code.
fn finish(engine: &Engine, end: RunEnd) -> ExitCode {
    let weirds: Vec<String> = engine
        .weirds()
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    if !weirds.is_empty() {
        eprintln!("sporfri: skipped or limited: {}", weirds.join(" "));
    }
    match end.error {
        None => ExitCode::SUCCESS,
        Some(e) => {
            eprintln!("sporfri: {e}; results above cover everything before it");
            ExitCode::from(EXIT_DAMAGED_CAPTURE)
        }
    }
}
