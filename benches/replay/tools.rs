//! The programs timed on each capture, each run as a process under GNU time (for its peak RSS)
//! and timed by wall clock from here, start-up included.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// A program the benchmark compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `cat FILE > /dev/null`: the page-cache copy, the floor of any reader.
    Cat,
    /// `sporfri replay --null FILE`: sporfri's own read loop, framing and nothing else.
    Null,
    /// `sporfri replay --format jsonl FILE`.
    Sporfri,
    /// `ndpiReader -i FILE -q` (nDPI's demo reader, Debian `libndpi-bin`): detection only.
    Ndpi,
    /// `tshark -T fields` extracting the names sporfri extracts, with the oracle's filter.
    Tshark,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Cat => "cat > /dev/null",
            Tool::Null => "sporfri --null",
            Tool::Sporfri => "sporfri replay",
            Tool::Ndpi => "ndpiReader -q",
            Tool::Tshark => "tshark -T fields",
        }
    }

    fn command(self, sporfri: &str, capture: &Path) -> Command {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%M"]);
        match self {
            Tool::Cat => {
                c.arg("cat").arg(capture);
            }
            Tool::Null => {
                c.args([sporfri, "replay", "--null"]).arg(capture);
            }
            Tool::Sporfri => {
                c.args([sporfri, "replay", "--format", "jsonl"])
                    .arg(capture);
            }
            Tool::Ndpi => {
                c.args(["ndpiReader", "-q", "-i"]).arg(capture);
            }
            Tool::Tshark => {
                c.args(["tshark", "-n", "-r"]).arg(capture).args([
                    "-Y",
                    "dns.flags.response==0 or tls.handshake.type==1 or http.request",
                    "-T",
                    "fields",
                    "-e",
                    "dns.qry.name",
                    "-e",
                    "tls.handshake.extensions_server_name",
                    "-e",
                    "http.host",
                ]);
            }
        }
        c
    }

    /// Whether the program is installed (`cat` and sporfri always are).
    pub fn available(self) -> bool {
        let probe = match self {
            Tool::Cat | Tool::Null | Tool::Sporfri => return true,
            Tool::Ndpi => Command::new("ndpiReader").arg("-h").output(),
            Tool::Tshark => Command::new("tshark").arg("-v").output(),
        };
        probe.is_ok() && Command::new("/usr/bin/time").arg("true").output().is_ok()
    }
}

/// One run's wall time and peak RSS.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub secs: f64,
    pub rss_mb: f64,
}

/// Run `tool` once on `capture`, its output thrown away; `None` when it failed.
pub fn run(tool: Tool, sporfri: &str, capture: &Path) -> Option<Run> {
    let mut cmd = tool.command(sporfri, capture);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let started = Instant::now();
    let out = cmd.output().ok()?;
    let secs = started.elapsed().as_secs_f64();
    if !out.status.success() {
        eprintln!(
            "{} failed: {}",
            tool.name(),
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    // GNU time's line is the last one on standard error.
    let err = String::from_utf8_lossy(&out.stderr);
    let kb: f64 = err.lines().last()?.trim().parse().ok()?;
    Some(Run {
        secs,
        rss_mb: kb / 1024.0,
    })
}

/// The median wall time and the largest peak RSS of `runs`.
pub fn median(runs: &mut [Run]) -> Option<Run> {
    runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    let mid = runs.get(runs.len() / 2)?;
    Some(Run {
        secs: mid.secs,
        rss_mb: runs.iter().map(|r| r.rss_mb).fold(0.0, f64::max),
    })
}

/// The CPU's model name (`/proc/cpuinfo`) and how many cores this process may use.
pub fn cpu() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{model}, {cores} cores")
}

/// The load average over the last minute (`/proc/loadavg`).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}
