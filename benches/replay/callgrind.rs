//! Instruction counts under callgrind: repeatable where wall-clock times are not (a shared or
//! busy machine), and the figure that predicts a small CPU's headroom.

use std::path::Path;
use std::process::{Command, Stdio};

/// Instructions of one run, per thread in the order the threads started (the first is the
/// main thread, which analyses; the reading thread and the signature loader follow).
#[derive(Debug, Default)]
pub struct Counts {
    pub threads: Vec<u64>,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.threads.iter().sum()
    }

    pub fn main(&self) -> u64 {
        self.threads.first().copied().unwrap_or(0)
    }
}

/// Run `sporfri args` under callgrind, each thread counted on its own; `None` when valgrind is
/// missing or the run failed.
pub fn count(sporfri: &str, args: &[&str], dir: &Path) -> Option<Counts> {
    let stem = dir.join("callgrind.bench");
    // Leftovers of an earlier run would be counted as threads of this one.
    clean(dir);
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--separate-threads=yes")
        .arg(format!("--callgrind-out-file={}.%p", stem.display()))
        .arg(sporfri)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let mut files: Vec<(u32, u64)> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix("callgrind.bench.")?;
            // `PID-TID` with --separate-threads.
            let tid = rest.rsplit_once('-')?.1.parse().ok()?;
            let text = std::fs::read_to_string(e.path()).ok()?;
            Some((tid, totals(&text)?))
        })
        .collect();
    clean(dir);
    files.sort_unstable();
    Some(Counts {
        threads: files.into_iter().map(|(_, n)| n).collect(),
    })
}

fn clean(dir: &Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_name()
            .to_string_lossy()
            .starts_with("callgrind.bench.")
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The `totals:` (or `summary:`) line of a callgrind profile: instructions executed.
fn totals(text: &str) -> Option<u64> {
    text.lines().rev().find_map(|l| {
        l.strip_prefix("totals:")
            .or_else(|| l.strip_prefix("summary:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    })
}
