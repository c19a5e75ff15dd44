//! What several commands share: running the pipeline over a file with progress, throughput,
//! the exit code, `--device`.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use sporfri::capture::{FileSource, Filtered};
use sporfri::contact::{Contact, Device};
use sporfri::flow::Engine;
use sporfri::observation::DeviceId;
use sporfri::output::table;
use sporfri::pipeline::{Consumer, Pipeline, Progress, RunEnd, Source, Watch};
use sporfri::text::count;

use super::EXIT_DAMAGED_CAPTURE;

/// Files at least this large get a progress bar (on a terminal).
const PROGRESS_MIN_BYTES: u64 = 8 * 1024 * 1024;

/// `N packets in S s (R packets/s), peak RSS M MB` for the benchmark and curious users.
pub fn throughput(packets: u64, started: Instant) -> String {
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

/// Open one capture file (`-`: standard input), or several read as one capture in time order;
/// only the packets `filter` (BPF) accepts, when given. A filter libpcap cannot compile is a bad
/// argument.
pub fn open(files: &[PathBuf], filter: Option<&str>) -> Result<Filtered<FileSource>> {
    let source = FileSource::open_all(files)?;
    Filtered::new(source, filter).map_err(|e| super::bad_arguments(&["replay"], &e.to_string()))
}

/// Say how many packets `--filter` let through, when there was one.
pub fn filter_summary(source: &Filtered<FileSource>, filter: Option<&str>, analysed: u64) {
    if let Some(f) = filter {
        eprintln!(
            "sporfri: --filter {f:?} accepted {analysed} of {}",
            count(source.read(), "packet")
        );
    }
}

/// Run `pipeline` over `source` with a progress bar on a terminal.
pub fn run_file<C: Consumer, S: Source>(source: &mut S, pipeline: &mut Pipeline<C>) -> RunEnd {
    let mut bar = Bar(progress_bar(source.position().1));
    let end = pipeline.run(source, &mut bar);
    bar.0.finish_and_clear();
    end
}

/// The progress bar as the pipeline's [`Watch`].
struct Bar(ProgressBar);

/// Packets between two updates of the bar.
const PROGRESS_EVERY: u64 = 8192;

impl<C> Watch<C> for Bar {
    fn after(&mut self, _: &mut Pipeline<C>, progress: Progress) -> ControlFlow<()> {
        if progress.packets % PROGRESS_EVERY == 0 {
            self.0.set_position(progress.bytes_read);
        }
        ControlFlow::Continue(())
    }
}

pub(super) fn progress_bar(total: u64) -> ProgressBar {
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
pub fn finish(engine: &Engine, end: RunEnd) -> ExitCode {
    let weirds: Vec<String> = engine
        .weirds()
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    if !weirds.is_empty() {
        eprintln!("sporfri: skipped or limited: {}", weirds.join(" "));
    }
    capture_exit(
        end.error.map(|e| e.to_string()),
        end.packets,
        "results above cover everything before it",
    )
}

/// The exit code of a capture that ended with `error` after `packets` packets: 3 when damaged
/// after some packets (`shown` says what covers them), 1 when no packet could be read.
pub fn capture_exit(error: Option<String>, packets: u64, shown: &str) -> ExitCode {
    match error {
        None => ExitCode::SUCCESS,
        // Damage before the first packet: nothing was analysed, the file could not be read.
        Some(e) if packets == 0 => {
            eprintln!("sporfri: {e}; no packet could be read");
            ExitCode::FAILURE
        }
        Some(e) => {
            eprintln!("sporfri: {e}; {shown}");
            ExitCode::from(EXIT_DAMAGED_CAPTURE)
        }
    }
}

/// `--device`: a MAC (`aa:bb:cc:dd:ee:ff`, or with `-`) or an IP address.
pub fn device_arg(s: &str) -> Result<DeviceId, String> {
    sporfri::session::parse_device(s)
        .ok_or_else(|| format!("{s:?} is not a MAC (aa:bb:cc:dd:ee:ff) or an IP address"))
}

/// The contacts of `devices` only (every contact when it is empty): `replay --device` shows
/// one phone's contacts, with or without recording.
pub fn only_devices<'a>(list: Vec<&'a Contact>, devices: &[DeviceId]) -> Vec<&'a Contact> {
    if devices.is_empty() {
        return list;
    }
    list.into_iter()
        .filter(|c| devices.contains(&c.device))
        .collect()
}

/// How many of the devices seen are shown (all when `devices` is empty).
pub fn device_count(seen: &BTreeMap<DeviceId, Device>, devices: &[DeviceId]) -> u64 {
    let shown = seen
        .keys()
        .filter(|d| devices.is_empty() || devices.contains(d));
    shown.count() as u64
}

/// `--color`: colours in the table for people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// When standard output is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always (overrides NO_COLOR, as an explicit flag should).
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// The table style for standard output now.
    pub fn style(self) -> table::Style {
        table::Style {
            colour: self.colour(std::env::var_os("NO_COLOR"), io::stdout().is_terminal()),
        }
    }

    /// Colour or not, given the NO_COLOR variable and whether stdout is a terminal
    /// (<https://no-color.org>: set and not empty means no colour by default).
    fn colour(self, no_color: Option<std::ffi::OsString>, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ColorChoice;

    #[test]
    fn colour_follows_the_flag_then_no_color_then_the_terminal() {
        let set = Some("1".into());
        assert!(ColorChoice::Auto.colour(None, true));
        assert!(!ColorChoice::Auto.colour(None, false));
        assert!(!ColorChoice::Auto.colour(set.clone(), true));
        assert!(ColorChoice::Auto.colour(Some("".into()), true));
        assert!(ColorChoice::Always.colour(set, false));
        assert!(!ColorChoice::Never.colour(None, true));
    }
}
