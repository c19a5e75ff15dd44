//! The README cannot rot: its quick-start command prints the output it shows, every command line
//! in its `sh` blocks runs as written (placeholders filled with the bundled lab capture, a
//! scratch database, optional parts included, each alternative once), and every option any
//! `sporfri ...` it mentions names is one that command has.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// A scratch directory removed when dropped (also when the test fails).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("sporfri-readme-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run the binary in `dir` with its default database inside it.
fn sporfri(args: &[String], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .env("SPORFRI_SIGNATURES_OVERLAY", "/nonexistent/sporfri-overlay")
        .env("XDG_DATA_HOME", dir)
        .env_remove("NO_COLOR")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// The fenced blocks: (info string, first line number, lines).
fn blocks(text: &str) -> Vec<(String, usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize, Vec<String>)> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            match open.take() {
                Some(block) => out.push(block),
                None => open = Some((info.trim().to_owned(), i + 2, Vec::new())),
            }
        } else if let Some((_, _, lines)) = &mut open {
            lines.push(line.to_owned());
        }
    }
    out
}

/// The command lines of the `sh` blocks, continuation lines joined, comments dropped.
fn sh_commands(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (_, first, lines) in blocks(text).into_iter().filter(|(i, ..)| i == "sh") {
        let mut pending: Option<(usize, String)> = None;
        for (i, line) in lines.iter().enumerate() {
            let line = line.split("  #").next().unwrap_or_default().trim_end();
            let (n, mut joined) = pending.take().unwrap_or((first + i, String::new()));
            joined.push_str(line.trim_start());
            match joined.strip_suffix('\\') {
                Some(head) => pending = Some((n, format!("{} ", head.trim_end()))),
                None => out.push((n, joined)),
            }
        }
    }
    out
}

/// Inline code spans outside fenced blocks that start with `sporfri `.
fn inline_commands(text: &str) -> Vec<String> {
    let mut prose = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    prose
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("sporfri "))
        .map(|s| s.replace('\n', " "))
        .collect()
}

/// Words as a shell splits them (double quotes group and are removed).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

/// A command line as the commands it stands for: `sporfri a b | c | d` is `a b`, `a c`, `a d`
/// when `alternative` says `c` and `d` are (else `|` is a shell pipe, and what follows it is
/// not sporfri's); `[...]` parts are included; a word `x|y` gives one command per
/// alternative. Without the leading `sporfri`.
fn expand(line: &str, alternative: &mut dyn FnMut(&[String], &str) -> bool) -> Vec<Vec<String>> {
    let mut words = words(line);
    assert_eq!(words.first().map(String::as_str), Some("sporfri"), "{line}");
    words.remove(0);
    let prefix: Vec<String> = words.iter().take(1).cloned().collect();
    let mut commands = Vec::new();
    for (i, piece) in words.split(|w| w == "|").enumerate() {
        let first = piece.first().map(String::as_str).unwrap_or_default();
        if i > 0 && !alternative(&prefix, first) {
            break;
        }
        let mut c: Vec<String> = if i == 0 { Vec::new() } else { prefix.clone() };
        c.extend(piece.iter().map(|w| {
            let w = w.trim_start_matches('[').trim_end_matches(']');
            w.trim_end_matches("...").trim_end_matches(']').to_owned()
        }));
        c.retain(|w| !w.is_empty());
        commands.push(c);
    }
    let mut out = Vec::new();
    for c in commands {
        let Some(at) = c.iter().position(|w| w.contains('|')) else {
            out.push(c);
            continue;
        };
        for alternative in c[at].split('|') {
            let mut one = c.clone();
            one[at] = alternative.to_owned();
            // A second alternative word takes its first alternative.
            for w in &mut one {
                if let Some((first, _)) = w.split_once('|') {
                    *w = first.to_owned();
                }
            }
            out.push(one);
        }
    }
    out
}

const LAB: &str = "captures/lab-borger-home.pcapng";
const LAB_MAC: &str = "02:1a:b0:00:00:10";

/// Placeholders filled: files with the lab capture, devices with its phone, sessions with 1,
/// databases and output directories in `dir`, signature directories with the lab's; paths of
/// the repository made absolute (the commands run in `dir`).
fn fill(command: &[String], dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in command {
        let previous = out.last().map(String::as_str).unwrap_or_default();
        let filled = match (previous, w.as_str()) {
            ("--out", _) => dir.join("out").display().to_string(),
            ("--db", "PATH") => dir.join("sporfri/db").display().to_string(),
            ("--note", "TEXT") => "a note".to_owned(),
            ("--site", "S") => "borger.test".to_owned(),
            // The survey's examples name sessions a scratch database of five does not have.
            ("--sessions", _) => "1,3-4".to_owned(),
            ("--label", "GLOB") => "*".to_owned(),
            ("--since", "DATE") => "2020-01-01".to_owned(),
            // The last of the five sessions: the others are reported and browsed after.
            ("delete", "ID") => "5".to_owned(),
            ("--reports", "DIR") => dir.join("reports").display().to_string(),
            (_, "DIR") => root().join("tests/lab/signatures").display().to_string(),
            // A bundle written by `export` and read by `import`, beside the database.
            ("--bundle" | "import", "FILE") => dir.join("session.bundle").display().to_string(),
            // A copy of the lab capture, fresh for each command: a command that writes where
            // the README says FILE must never overwrite the repository's capture.
            (_, "FILE" | "visit.pcapng" | "idle.pcapng" | "f.pcap") => {
                let copy = dir.join("lab-borger-home.pcapng");
                std::fs::copy(root().join(LAB), &copy).unwrap();
                copy.display().to_string()
            }
            (_, "MAC" | "DEVICE") => LAB_MAC.to_owned(),
            (_, "ID") => "1".to_owned(),
            (_, w) if root().join(w).exists() && w.contains('/') => {
                root().join(w).display().to_string()
            }
            (_, w) => w.to_owned(),
        };
        out.push(filled);
    }
    out
}

/// The quick start's command prints the rows, header and summary the README shows (the README
/// leaves columns out with `...`; what it shows on each side of them must match).
#[test]
fn the_quick_start_prints_what_the_readme_shows() {
    let text = readme();
    let all = blocks(&text);
    let (at, run) = all
        .iter()
        .enumerate()
        .find_map(|(i, (_, _, lines))| {
            let line = lines
                .iter()
                .find(|l| l.starts_with("cargo run --release -- replay"))?;
            Some((i, line.clone()))
        })
        .expect("the quick start's cargo run line");
    let args: Vec<String> = words(run.split(" -- ").nth(1).unwrap());
    let shown = &all[at + 1].2;
    let dir = Scratch::new("quick");
    let out = sporfri(&fill(&args, &dir.0), &dir.0);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let printed: Vec<String> = stdout.lines().map(squeeze).collect();
    let mut checked = 0;
    for line in shown.iter().map(|l| squeeze(l)) {
        if line == "..." || line.is_empty() {
            continue;
        }
        if line.starts_with("sporfri: ") {
            assert!(stderr.lines().any(|l| l == line), "{line}\n{stderr}");
        } else {
            let (head, tail) = line.split_once(" ... ").unwrap_or((&line, ""));
            assert!(
                printed
                    .iter()
                    .any(|p| p.starts_with(head) && p.ends_with(tail)),
                "README shows\n{line}\nreplay printed\n{stdout}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 8, "{shown:?}");
}

/// Every command line of the `sh` blocks that runs `sporfri` runs as written, in README order,
/// against a scratch database (the session example recorded four times first, so `report 3`
/// and `diff 3 4` find their sessions after `delete`).
#[test]
fn every_command_line_runs_as_written() {
    let text = readme();
    let dir = Scratch::new("run");
    let lines: Vec<(usize, String)> = sh_commands(&text)
        .into_iter()
        .filter(|(_, l)| l.starts_with("sporfri "))
        .collect();
    let (n, record) = lines
        .iter()
        .find(|(_, l)| l.contains("--label"))
        .expect("the README records a session");
    for _ in 0..4 {
        for c in expand(record, &mut |_, _| true) {
            let out = sporfri(&fill(&c, &dir.0), &dir.0);
            assert_eq!(
                out.status.code(),
                Some(0),
                "README line {n}: {c:?}\n{out:?}"
            );
        }
    }
    let lab_before = std::fs::read(root().join(LAB)).unwrap();
    let mut ran = 0;
    for (n, line) in &lines {
        for c in expand(line, &mut |_, _| true) {
            let args = fill(&c, &dir.0);
            let out = sporfri(&args, &dir.0);
            let err = String::from_utf8_lossy(&out.stderr);
            let expected = match c.first().map(String::as_str) {
                // Nothing is being recorded, and there is no terminal: a clear refusal.
                Some("mark") => (1, "no session is being recorded"),
                Some("tui") => (1, "sporfri tui"),
                _ if c.get(1).is_some_and(|w| w == "import") => continue,
                _ => (0, ""),
            };
            assert_eq!(
                out.status.code(),
                Some(expected.0),
                "README line {n}: sporfri {}\n{err}",
                args.join(" ")
            );
            assert!(err.contains(expected.1), "README line {n}: {c:?}\n{err}");
            ran += 1;
        }
    }
    assert!(ran >= 20, "{ran}");
    assert!(
        std::fs::read(root().join(LAB)).unwrap() == lab_before,
        "a README command wrote over the repository's {LAB}"
    );
    // `-o report.html` wrote where the tester stood.
    assert!(dir.0.join("report.html").exists());
}

/// Subcommand names under `path`, from its `--help`.
fn subcommands(path: &[String], help: &mut BTreeMap<Vec<String>, String>) -> Vec<String> {
    help_of(path, help)
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn help_of(path: &[String], help: &mut BTreeMap<Vec<String>, String>) -> String {
    help.entry(path.to_vec())
        .or_insert_with(|| {
            let mut args = path.to_vec();
            args.push("--help".to_owned());
            let out = sporfri(&args, &std::env::temp_dir());
            assert_eq!(out.status.code(), Some(0), "{path:?}");
            String::from_utf8(out.stdout).unwrap()
        })
        .clone()
}

/// Every `sporfri ...` the README shows (headings, prose, blocks) names a command that exists
/// and only options that command has.
#[test]
fn every_option_the_readme_names_exists() {
    let text = readme();
    let mut all: Vec<String> = inline_commands(&text);
    all.extend(
        sh_commands(&text)
            .into_iter()
            .map(|(_, l)| l)
            .filter(|l| l.starts_with("sporfri ")),
    );
    let mut help = BTreeMap::new();
    let mut options = 0;
    for line in &all {
        let mut alternative = |prefix: &[String], word: &str| {
            subcommands(prefix, &mut help).iter().any(|s| s == word)
        };
        for c in expand(line, &mut alternative) {
            let mut path: Vec<String> = Vec::new();
            for w in &c {
                if subcommands(&path, &mut help).contains(w) {
                    path.push(w.clone());
                } else {
                    break;
                }
            }
            assert!(!path.is_empty(), "{line}: no such command");
            let text = help_of(&path, &mut help);
            for w in c.iter().filter(|w| w.starts_with('-') && w.len() > 1) {
                let option = w.split('=').next().unwrap_or_default();
                let named = text
                    .split(|ch: char| ch.is_whitespace() || ch == ',' || ch == '[' || ch == ']')
                    .any(|t| t == option);
                assert!(named, "{line}: sporfri {} has no {option}", path.join(" "));
                options += 1;
            }
        }
    }
    assert!(options >= 40, "{options}");
}

#[test]
fn expansion_covers_alternatives_and_optional_parts() {
    assert_eq!(
        expand(
            "sporfri sessions list | show ID | export ID --format jsonl|csv",
            &mut |_, _| true
        ),
        [
            vec!["sessions", "list"],
            vec!["sessions", "show", "ID"],
            vec!["sessions", "export", "ID", "--format", "jsonl"],
            vec!["sessions", "export", "ID", "--format", "csv"],
        ]
    );
    assert_eq!(
        expand(
            "sporfri report 3 [--format html|md] [-o r.html] [--label L ...]",
            &mut |_, _| true
        ),
        [
            vec![
                "report", "3", "--format", "html", "-o", "r.html", "--label", "L"
            ],
            vec![
                "report", "3", "--format", "md", "-o", "r.html", "--label", "L"
            ],
        ]
    );
    assert_eq!(
        expand("sporfri man | man -l -", &mut |_, w| w != "man"),
        [vec!["man"]]
    );
    assert_eq!(
        words(r#"a "b c" "" d"#),
        ["a", "b c", "", "d"].map(String::from)
    );
}
