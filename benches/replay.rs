//! Replay benchmark: builds large captures from the test traces and times `sporfri replay`
//! beside the floor (`cat FILE > /dev/null`, the page-cache copy), sporfri's own read loop
//! (`--null`), nDPI's `ndpiReader -q` and optionally tshark, alternating, on the same files;
//! prints the ratios, peak RSS, the CPU model and whether the targets of README § Performance
//! are met. `--callgrind` counts instructions instead (start-up, and per packet on the analysis
//! thread), which stay repeatable on a busy machine.
//!
//! Run: `cargo bench --bench replay` with optional `-- --size-mb 1100 --rss-mb 200,2000
//! --rounds 5 --tshark --keep`, or `-- --callgrind [--callgrind-mb 10] [--bin PATH]`. Files go
//! to `target/bench/` and are removed afterwards unless `--keep` is given. Each repetition of
//! the traces is shifted by an hour, so flows end and start again as in a long capture, while
//! the devices and names stay the same: memory must stay flat however long the file is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "replay/callgrind.rs"]
mod callgrind;
#[path = "replay/capture.rs"]
mod capture;
#[path = "replay/tools.rs"]
mod tools;

use std::path::{Path, PathBuf};

use capture::{Mix, build, load, mixes};
use tools::{Run, Tool, cpu, load_average, median, run};

/// The targets of README § Performance.
const MIN_SHARE_OF_CAT: f64 = 0.5;
const MIN_TIMES_NDPI: f64 = 3.0;
const MAX_RSS_MB: f64 = 16.0;
/// Peak RSS counts as flat when the largest file needs at most this much more than the smallest.
const FLAT_RSS_MB: f64 = 1.0;

/// The median run of each program on one file (`None`: it failed).
type Row = Vec<(Tool, Option<Run>)>;

struct Args {
    size_mb: u64,
    rss_mb: Vec<u64>,
    rounds: usize,
    tshark: bool,
    keep: bool,
    callgrind: Option<u64>,
    bin: String,
}

fn args() -> Args {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let num =
        |name: &str, default: u64| value(name).and_then(|s| s.parse().ok()).unwrap_or(default);
    let flag = |name: &str| args.iter().any(|a| a == name);
    Args {
        size_mb: num("--size-mb", 1100),
        rss_mb: value("--rss-mb").map_or_else(
            || vec![200, 2000],
            |s| s.split(',').filter_map(|v| v.parse().ok()).collect(),
        ),
        rounds: num("--rounds", 5).max(1) as usize,
        tshark: flag("--tshark"),
        keep: flag("--keep"),
        callgrind: flag("--callgrind").then(|| num("--callgrind-mb", 10)),
        bin: value("--bin").map_or_else(|| env!("CARGO_BIN_EXE_sporfri").to_owned(), Clone::clone),
    }
}

fn main() {
    let args = args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let (all, quic, no_quic) = mixes();
    if let Some(mb) = args.callgrind {
        return count_instructions(&args, &dir, &[&all, &quic, &no_quic], mb);
    }
    let mut rows: Vec<(&Mix, u64)> = vec![(&all, args.size_mb)];
    rows.extend(args.rss_mb.iter().map(|&mb| (&all, mb)));
    rows.push((&quic, args.size_mb / 4));
    rows.push((&no_quic, args.size_mb / 4));
    let ndpi = Tool::Ndpi.available();
    let tshark = args.tshark && Tool::Tshark.available();
    println!(
        "CPU: {}; load average {} at the start",
        cpu(),
        load_average()
    );
    println!(
        "median of {} runs each, the programs alternating; wall clock of the whole process, \
         start-up included; peak RSS (VmHWM) in MB{}",
        args.rounds,
        if ndpi {
            ""
        } else {
            "; ndpiReader not installed (apt-get install libndpi-bin)"
        }
    );
    println!(
        "| capture | size | packets | cat > /dev/null | sporfri --null | sporfri replay | \
         ndpiReader -q | sporfri / cat | sporfri / ndpiReader |"
    );
    println!("|---|---:|---:|---|---|---|---|---:|---:|");
    let mut results = Vec::new();
    let mut records = None;
    for (i, (mix, mb)) in rows.iter().enumerate() {
        let path = dir.join(format!("bench-{i}-{mb}mb.pcap"));
        // The first rows share one mix: load it once.
        let recs = match &records {
            Some((label, r)) if *label == mix.label => r,
            _ => &records.insert((mix.label, load(&mix.files))).1,
        };
        let packets = build(&path, recs, mb * 1_000_000).expect("write capture");
        let mut tools = vec![Tool::Cat, Tool::Null, Tool::Sporfri];
        tools.extend(ndpi.then_some(Tool::Ndpi));
        tools.extend((tshark && i == 0).then_some(Tool::Tshark));
        let row = time_row(&args, &path, &tools);
        print_row(mix.label, *mb, packets, &row);
        results.push((*mb, row));
        if !args.keep {
            let _ = std::fs::remove_file(&path);
        }
    }
    println!("load average {} at the end", load_average());
    verdicts(&results);
}

/// Median run of each tool on one file, the tools alternating within each round; a warm-up
/// read first, so every run finds the file in the page cache.
fn time_row(args: &Args, path: &Path, tools: &[Tool]) -> Row {
    let _ = run(Tool::Cat, &args.bin, path);
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); tools.len()];
    for _ in 0..args.rounds {
        for (t, out) in tools.iter().zip(runs.iter_mut()) {
            out.extend(run(*t, &args.bin, path));
        }
    }
    tools
        .iter()
        .zip(runs.iter_mut())
        .map(|(t, r)| (*t, median(r)))
        .collect()
}

fn of(row: &[(Tool, Option<Run>)], tool: Tool) -> Option<Run> {
    row.iter().find(|(t, _)| *t == tool).and_then(|(_, r)| *r)
}

fn print_row(label: &str, mb: u64, packets: u64, row: &[(Tool, Option<Run>)]) {
    let cell = |tool| {
        of(row, tool).map_or_else(
            || "–".to_owned(),
            |r| format!("{:.3} s, {:.1} MB", r.secs, r.rss_mb),
        )
    };
    let sporfri = of(row, Tool::Sporfri).map_or_else(
        || "failed".to_owned(),
        |r| {
            format!(
                "{:.3} s ({:.1} M packets/s), {:.1} MB",
                r.secs,
                packets as f64 / r.secs.max(1e-9) / 1e6,
                r.rss_mb
            )
        },
    );
    let (share, times) = ratios(row);
    println!(
        "| {label} | {mb} MB | {packets} | {} | {} | {sporfri} | {} | {} | {} |",
        cell(Tool::Cat),
        cell(Tool::Null),
        cell(Tool::Ndpi),
        share.map_or_else(|| "–".to_owned(), |s| format!("{:.0} %", 100.0 * s)),
        times.map_or_else(|| "–".to_owned(), |t| format!("{t:.1}×")),
    );
    if let Some(t) = of(row, Tool::Tshark) {
        println!(
            "| tshark -T fields, same file | {mb} MB | {packets} | | | {:.1} s ({:.0} packets/s), {:.1} MB | | | |",
            t.secs,
            packets as f64 / t.secs.max(1e-9),
            t.rss_mb
        );
    }
}

/// sporfri's throughput as a share of cat's, and as a multiple of ndpiReader's.
fn ratios(row: &[(Tool, Option<Run>)]) -> (Option<f64>, Option<f64>) {
    let Some(s) = of(row, Tool::Sporfri) else {
        return (None, None);
    };
    let share = of(row, Tool::Cat).map(|c| c.secs / s.secs.max(1e-9));
    let times = of(row, Tool::Ndpi).map(|n| n.secs / s.secs.max(1e-9));
    (share, times)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// The targets, on the first (largest mixed) file and, for memory, on every file.
fn verdicts(results: &[(u64, Row)]) {
    let Some((mb, first)) = results.first() else {
        return;
    };
    let (share, times) = ratios(first);
    if let Some(s) = share {
        println!(
            "target: sporfri ≥ {:.0} % of cat's throughput on the {mb} MB file: {:.0} %, {}",
            100.0 * MIN_SHARE_OF_CAT,
            100.0 * s,
            verdict(s >= MIN_SHARE_OF_CAT)
        );
    }
    if let Some(t) = times {
        println!(
            "target: sporfri ≥ {MIN_TIMES_NDPI:.0}× ndpiReader -q on the {mb} MB file: {t:.1}×, {}",
            verdict(t >= MIN_TIMES_NDPI)
        );
    }
    let rss: Vec<(u64, f64)> = results
        .iter()
        .filter_map(|(mb, row)| Some((*mb, of(row, Tool::Sporfri)?.rss_mb)))
        .collect();
    let peak = rss.iter().map(|r| r.1).fold(0.0, f64::max);
    println!(
        "target: peak RSS ≤ {MAX_RSS_MB:.0} MB on every file: {peak:.1} MB, {}",
        verdict(peak <= MAX_RSS_MB)
    );
    let smallest = rss.iter().min_by_key(|r| r.0);
    let largest = rss.iter().max_by_key(|r| r.0);
    if let (Some(s), Some(l)) = (smallest, largest) {
        println!(
            "target: peak RSS flat from {} MB to {} MB of capture: {:.1} → {:.1} MB, {}",
            s.0,
            l.0,
            s.1,
            l.1,
            verdict(l.1 - s.1 <= FLAT_RSS_MB)
        );
    }
}

/// Instructions under callgrind: start-up on a one-packet capture, then per packet on the
/// analysis (main) thread for `mb` MB of each mix, start-up subtracted and included.
fn count_instructions(args: &Args, dir: &Path, mixes: &[&Mix], mb: u64) {
    let one = dir.join("bench-one-packet.pcap");
    let first = mixes.first().map(|m| load(&m.files)).unwrap_or_default();
    build(&one, &first, 1).expect("write capture");
    let replay = |p: &Path, null: bool| {
        let p = p.to_string_lossy().into_owned();
        let mut a = vec!["replay".to_owned()];
        if null {
            a.push("--null".to_owned());
        } else {
            a.extend(["--format".to_owned(), "jsonl".to_owned()]);
        }
        a.push(p);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        callgrind::count(&args.bin, &a, dir)
    };
    let Some(start) = replay(&one, false) else {
        println!("valgrind not installed or sporfri failed under it");
        return;
    };
    println!(
        "start-up, one-packet capture: {:.2} M instructions in all (threads: {})",
        start.total() as f64 / 1e6,
        list(&start.threads)
    );
    println!(
        "| capture | size | packets | analysis thread per packet | with start-up | --null per packet | threads (M instructions) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    for mix in mixes {
        let path = dir.join(format!("bench-callgrind-{}mb.pcap", mb));
        let packets = build(&path, &load(&mix.files), mb * 1_000_000).expect("write capture");
        let (Some(full), Some(null)) = (replay(&path, false), replay(&path, true)) else {
            println!("| {} | failed under callgrind |", mix.label);
            continue;
        };
        let n = packets.max(1) as f64;
        println!(
            "| {} | {mb} MB | {packets} | {:.0} | {:.0} | {:.0} | {} |",
            mix.label,
            full.main().saturating_sub(start.main()) as f64 / n,
            full.main() as f64 / n,
            null.main() as f64 / n,
            list(&full.threads)
        );
        if args.keep {
            let kept: PathBuf = dir.join(format!(
                "bench-callgrind-{}-{mb}mb.pcap",
                mix.label.split(' ').next().unwrap_or("mix")
            ));
            let _ = std::fs::rename(&path, kept);
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
    if !args.keep {
        let _ = std::fs::remove_file(&one);
    }
}

fn list(threads: &[u64]) -> String {
    threads
        .iter()
        .map(|n| format!("{:.2}", *n as f64 / 1e6))
        .collect::<Vec<_>>()
        .join(" + ")
}
