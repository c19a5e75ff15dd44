//! The real-browser lab's captures and what the lab wrote beside them, for `tests/lab.rs` and
//! `tests/verdict.rs`: the capture, its variant (`.lab.tsv`: engine, network, blocker, server
//! addresses), its ground truth from the servers' logs (`.truth.tsv`) and the lab's host table.
//!
//! With `SPORFRI_LAB_DIR` set (as `.ci/lab` does), freshly made captures in that directory are
//! used instead of the committed ones in `captures/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    dead_code
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// How a lab capture was made (`X.pcapng.lab.tsv`, written by `tests/lab/lab.sh`).
#[derive(Debug, Clone, Default)]
pub struct Variant {
    /// `chromium` or `firefox`.
    pub engine: String,
    /// The browser's own version line.
    pub browser: String,
    /// `public` (documentation ranges) or `private` (RFC 1918 / ULA).
    pub net: String,
    /// `none` or `pihole`.
    pub blocker: String,
    /// The truth has the resolver's answers (`blocked` lines); older captures lack them.
    pub answers_in_truth: bool,
    /// The resolver's addresses.
    pub resolvers: BTreeSet<String>,
    /// Every server address of the lab's internet in this variant.
    pub servers: BTreeSet<String>,
    /// name -> `sinkhole` | `nxdomain`: what the blocking resolver was told to answer.
    pub blocklist: BTreeMap<String, String>,
}

/// One lab capture.
#[derive(Debug, Clone)]
pub struct Capture {
    pub path: PathBuf,
    /// File name, as messages and the allow-list name it.
    pub name: String,
    /// `home` or `login`.
    pub scenario: String,
    pub variant: Variant,
}

impl Capture {
    /// The file beside the capture with `suffix` appended to its name.
    pub fn beside(&self, suffix: &str) -> PathBuf {
        beside(&self.path, suffix)
    }

    /// The key log beside the capture (`lab-borger-X.keys`).
    pub fn keys(&self) -> PathBuf {
        self.path.with_extension("keys")
    }

    /// The truth file's lines, split at tabs.
    pub fn truth(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(self.beside(".truth.tsv"))
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect()
    }

    /// The names of the truth's lines of `kind` (the second column).
    pub fn truth_names(&self, kind: &str) -> BTreeSet<String> {
        self.truth()
            .into_iter()
            .filter(|l| l[0] == kind && l.len() >= 2)
            .map(|l| l[1].clone())
            .collect()
    }

    /// name -> `sinkhole` | `nxdomain` for every name the resolver answered without an address.
    pub fn truth_blocked(&self) -> BTreeMap<String, String> {
        self.truth()
            .into_iter()
            .filter(|l| l[0] == "blocked" && l.len() == 3)
            .map(|l| (l[1].clone(), l[2].clone()))
            .collect()
    }

    /// Short label for messages: file name and variant.
    pub fn label(&self) -> String {
        let v = &self.variant;
        format!("{} [{} {} {}]", self.name, v.engine, v.net, v.blocker)
    }

    pub fn is_default_variant(&self) -> bool {
        self.variant.net == "public" && self.variant.blocker == "none"
    }
}

pub fn beside(pcap: &Path, suffix: &str) -> PathBuf {
    let mut name = pcap.file_name().unwrap().to_os_string();
    name.push(suffix);
    pcap.with_file_name(name)
}

/// The directory whose lab captures are checked.
pub fn lab_dir() -> PathBuf {
    std::env::var_os("SPORFRI_LAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("captures"))
}

fn parse_variant(path: &Path) -> Variant {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (made by tests/lab/lab.sh)", path.display()));
    let mut v = Variant::default();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["engine", x] => v.engine = (*x).to_owned(),
            ["browser", x] => v.browser = (*x).to_owned(),
            ["net", x] => v.net = (*x).to_owned(),
            ["blocker", x] => v.blocker = (*x).to_owned(),
            ["dns-answers", "in-truth"] => v.answers_in_truth = true,
            ["resolver", a] => {
                v.resolvers.insert((*a).to_owned());
            }
            ["server", a] => {
                v.servers.insert((*a).to_owned());
            }
            ["blocklist", name, answer] => {
                v.blocklist.insert((*name).to_owned(), (*answer).to_owned());
            }
            _ => panic!("{}: unknown line {line:?}", path.display()),
        }
    }
    for (what, value) in [
        ("engine", &v.engine),
        ("net", &v.net),
        ("blocker", &v.blocker),
    ] {
        assert!(!value.is_empty(), "{}: no {what}", path.display());
    }
    v
}

/// The lab captures of a page visit to check: `lab-borger-*.pcapng`, each with its `.lab.tsv`
/// and `.truth.tsv` (the idle baselines, `lab-idle*.pcapng`, are [`idle_capture`]'s).
pub fn lab_captures() -> Vec<Capture> {
    let dir = lab_dir();
    let mut found: Vec<Capture> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("lab-borger-") && name.ends_with(".pcapng")
        })
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let scenario = name
                .trim_start_matches("lab-borger-")
                .trim_end_matches(".pcapng")
                .split('-')
                .next()
                .unwrap()
                .to_owned();
            let variant = parse_variant(&beside(&path, ".lab.tsv"));
            Capture {
                path,
                name,
                scenario,
                variant,
            }
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        found.len() >= 2,
        "{}: expected the lab's captures, found {found:?}",
        dir.display()
    );
    found
}

/// The idle baseline of `engine` (`lab-idle.pcapng` for Chromium, `lab-idle-firefox.pcapng`):
/// a fresh browser on about:blank, no site (issue 18).
pub fn idle_capture(engine: &str) -> Capture {
    let name = match engine {
        "chromium" => "lab-idle.pcapng".to_owned(),
        other => format!("lab-idle-{other}.pcapng"),
    };
    let path = lab_dir().join(&name);
    assert!(
        path.is_file(),
        "{}: made by tests/lab/lab.sh run idle",
        path.display()
    );
    let variant = parse_variant(&beside(&path, ".lab.tsv"));
    assert_eq!(variant.engine, engine, "{name}");
    Capture {
        path,
        name,
        scenario: "idle".to_owned(),
        variant,
    }
}

/// One row of tests/lab/hosts.tsv.
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub serve: String,
    /// Organisation group (see [`expected_org`]).
    pub group: String,
}

pub fn lab_hosts() -> Vec<Host> {
    std::fs::read_to_string(root().join("tests/lab/hosts.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Host {
                name: f[0].to_owned(),
                serve: f[3].to_owned(),
                group: f[4].to_owned(),
            }
        })
        .collect()
}

/// The organisation behind each lab host group (tests/lab/hosts.tsv), or `None` for the first
/// party of the lab's site profile.
pub fn expected_org(group: &str) -> Option<&'static str> {
    match group {
        "google" => Some("Google LLC"),
        "facebook" => Some("Meta Platforms, Inc."),
        "adobe" => Some("Adobe Inc."),
        "cookiebot" => Some("Usercentrics GmbH"),
        "siteimprove" => Some("Siteimprove A/S"),
        "comscore" => Some("comScore, Inc."),
        _ => None,
    }
}

/// Rows of tests/lab/background.tsv: (engine, name) of the browsers' own background lookups.
pub fn background_names() -> BTreeSet<(String, String)> {
    std::fs::read_to_string(root().join("tests/lab/background.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(
                f.len() == 3 && !f[2].trim().is_empty(),
                "background.tsv needs engine, name, what: {l}"
            );
            (f[0].to_owned(), f[1].to_owned())
        })
        .collect()
}

/// The site profile arguments of the lab's replica service.
pub fn lab_site_args() -> Vec<String> {
    let site = root().join("tests/lab/signatures");
    vec![
        "--site".into(),
        "borger.test".into(),
        "--signatures".into(),
        site.to_string_lossy().into_owned(),
    ]
}

/// `sporfri ARGS` (a developer's own signature overlay left out): stdout and stderr; the command
/// must succeed.
pub fn sporfri_raw(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .env("SPORFRI_SIGNATURES_OVERLAY", "/nonexistent/sporfri-overlay")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "sporfri {args:?}: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// `sporfri ARGS FILE`: stdout as JSON lines, and stderr.
pub fn sporfri_json(args: &[&str], pcap: &Path) -> (Vec<serde_json::Value>, String) {
    let mut all: Vec<&str> = args.to_vec();
    all.push(pcap.to_str().unwrap());
    let (out, stderr) = sporfri_raw(&all);
    let lines = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, stderr)
}
