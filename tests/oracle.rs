//! Correctness bar: `sporfri extract` equals tshark's extraction (`tests/tools/oracle.sh`)
//! on every shared capture, except differences listed with a reason in `tests/oracle-allow.tsv`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use sporfri::capture::FileSource;
use sporfri::observation::Observation;
use sporfri::output::extract::Extraction;
use sporfri::pipeline::Pipeline;

fn shared_captures() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures");
    assert!(
        dir.is_dir(),
        "{} is missing: the test captures are part of the repository",
        dir.display()
    );
    dir
}

fn extract(pcap: &Path, flows: bool) -> BTreeSet<String> {
    let mut source = FileSource::open(pcap).unwrap();
    let mut extraction = Extraction::new(flows);
    let end = Pipeline::new(|o: &Observation| extraction.observe(o)).run(&mut source, &mut ());
    assert!(end.error.is_none(), "{}: {:?}", pcap.display(), end.error);
    extraction.lines().map(str::to_owned).collect()
}

/// Lines of an oracle file, keeping only the kinds `sporfri extract` reports.
///
/// Google QUIC's server name (Q043, Q046, Q050) is a `CHLO` tag to tshark (`gquic.tag.sni`,
/// the `gquic-sni` kind of `oracle.sh -x`), and an `sni` line to sporfri, as TLS and QUIC
/// server names are: those lines are taken from the flows file (the only one made with
/// `-x`) and renamed, without the client column when `path` is the plain file.
fn oracle(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: BTreeSet<String> = text
        .lines()
        .filter(|l| {
            let kind = l.split('\t').next().unwrap_or("");
            matches!(kind, "dns" | "sni" | "http")
        })
        .map(str::to_owned)
        .collect();
    let name = path.to_string_lossy();
    let flows_file = name.replace(".oracle.tsv", ".oracle.flows.tsv");
    let flows = std::fs::read_to_string(&flows_file).unwrap_or_default();
    for line in flows.lines() {
        if let Some(rest) = line.strip_prefix("gquic-sni\t") {
            lines.insert(if name.ends_with(".oracle.flows.tsv") {
                format!("sni\t{rest}")
            } else {
                let name = rest.split_once('\t').map_or(rest, |(_, n)| n);
                format!("sni\t{name}")
            });
        }
    }
    lines
}

/// (capture, "+" extra in sporfri | "-" missing in sporfri, line) from the allow-list.
fn allowed() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle-allow.tsv"),
    )
    .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, '\t').collect();
            assert_eq!(
                f.len(),
                4,
                "allow-list line needs capture, +/-, line, reason: {l}"
            );
            assert!(
                !f[3].trim().is_empty(),
                "allow-list line without a reason: {l}"
            );
            (f[0].to_owned(), f[1].to_owned(), f[2].replace("\\t", "\t"))
        })
        .collect()
}

fn compare(suffix: &str, flows: bool) {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let allow = allowed();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<PathBuf> = [shared_captures(), bundled]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten().map(|e| e.path()))
        .collect();
    entries.sort();
    for oracle_path in entries {
        let dir = oracle_path.parent().unwrap().to_path_buf();
        let name = oracle_path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let Some(capture) = name.strip_suffix(suffix) else {
            continue;
        };
        if !flows && name.ends_with(".oracle.flows.tsv") {
            continue;
        }
        let want = oracle(&oracle_path);
        let got = extract(&dir.join(capture), flows);
        for line in got.difference(&want) {
            if !allow.contains(&(capture.to_owned(), "+".into(), line.clone())) {
                failures.push(format!("{capture}: extra   {line}"));
            }
        }
        for line in want.difference(&got) {
            if !allow.contains(&(capture.to_owned(), "-".into(), line.clone())) {
                failures.push(format!("{capture}: missing {line}"));
            }
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} oracle files found");
    assert!(
        failures.is_empty(),
        "differences from tshark:\n{}",
        failures.join("\n")
    );
}

#[test]
fn extract_matches_tshark_on_every_shared_capture() {
    compare(".oracle.tsv", false);
}

#[test]
fn extract_flows_matches_tshark_client_addresses() {
    compare(".oracle.flows.tsv", true);
}

#[test]
fn extract_command_prints_oracle_format() {
    let pcap = shared_captures().join("wikipedia.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_sporfri"))
        // A developer\'s own signature overlay must not change test results.
        .env("SPORFRI_SIGNATURES_OVERLAY", "/nonexistent/sporfri-overlay")
        .args(["extract"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let want =
        std::fs::read_to_string(shared_captures().join("wikipedia.pcap.oracle.tsv")).unwrap();
    assert_eq!(text, want);
}
