//! `sporfri completions` and `sporfri man`: made from the argument tree, they name every
//! command; the pages are valid roff; `systemd/install-docs.sh` installs them, again and again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::process::Command;

use common::sporfri;

/// Subcommand names as `sporfri [CMD] --help` lists them (an independent view of the tree).
fn subcommands(path: &[&str]) -> Vec<String> {
    let mut args = path.to_vec();
    args.push("--help");
    let (code, out, err) = sporfri(&args);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// A fresh directory for one test, removed on drop.
fn scratch(name: &str) -> common::Scratch {
    common::scratch(&format!("docs-{name}"))
}

fn has(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn bash_completion_offers_every_subcommand() {
    let top = subcommands(&[]);
    assert!(
        top.len() >= 12 && top.iter().any(|c| c == "replay"),
        "{top:?}"
    );
    let (code, script, err) = sporfri(&["completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    let dir = scratch("bash");
    let file = dir.join("sporfri.bash");
    std::fs::write(&file, &script).unwrap();
    // Ask the completion function itself, as bash does on TAB.
    let complete = |words: &str, cword: usize| -> Vec<String> {
        let cmd = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE=\"{words}\"; \
             COMP_POINT=${{#COMP_LINE}}; _sporfri sporfri \"${{COMP_WORDS[$COMP_CWORD]}}\" \
             \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = Command::new("bash").args(["-c", &cmd]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let offered = complete("sporfri ''", 1);
    for name in &top {
        assert!(offered.contains(name), "{name} not offered: {offered:?}");
    }
    for name in subcommands(&["sessions"]) {
        assert!(complete("sporfri sessions ''", 2).contains(&name), "{name}");
    }
    assert!(complete("sporfri replay --for", 2).contains(&"--format".to_owned()));
}

#[test]
fn zsh_and_fish_completions_name_every_subcommand() {
    let top = subcommands(&[]);
    for shell in ["zsh", "fish"] {
        let (code, script, err) = sporfri(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        for name in &top {
            assert!(script.contains(name.as_str()), "{shell}: {name}");
        }
        // Syntax-checked by the shell itself where it is installed.
        if has(shell) {
            let dir = scratch(shell);
            let file = dir.join("script");
            std::fs::write(&file, &script).unwrap();
            let out = Command::new(shell).arg("-n").arg(&file).output().unwrap();
            assert!(out.status.success(), "{shell} -n: {out:?}");
        }
    }
    let (code, _, err) = sporfri(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
}

/// Every page file `man --dir` wrote: its name, for each subcommand path.
fn expected_pages() -> Vec<String> {
    let mut pages = vec!["sporfri.1".to_owned()];
    for top in subcommands(&[]) {
        pages.push(format!("sporfri-{top}.1"));
        for sub in subcommands(&[&top]) {
            pages.push(format!("sporfri-{top}-{sub}.1"));
        }
    }
    pages.sort();
    pages
}

/// The names of the files in `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn man_writes_a_page_per_command_and_groff_reads_them_without_warnings() {
    let dir = scratch("man");
    let out_dir = dir.join("man1");
    let (code, out, err) = sporfri(&["man", "--dir", out_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let written = file_names(&out_dir);
    assert_eq!(written, expected_pages());
    assert_eq!(
        out.lines().count(),
        written.len(),
        "each file is named: {out}"
    );
    let main = std::fs::read_to_string(out_dir.join("sporfri.1")).unwrap();
    for section in ["EXIT STATUS", "ENVIRONMENT", "FILES", "SUBCOMMANDS"] {
        assert!(
            main.contains(&format!(".SH \"{section}\""))
                || main.contains(&format!(".SH {section}")),
            "{section}"
        );
    }
    assert!(
        main.contains("sporfri\\-replay(1)"),
        "the main page points to the others"
    );
    let replay = std::fs::read_to_string(out_dir.join("sporfri-replay.1")).unwrap();
    assert!(replay.contains("\\-\\-label"), "{replay}");
    // Without --dir the main page goes to standard output, the same as the file.
    let (code, stdout_page, _) = sporfri(&["man"]);
    assert_eq!(code, 0);
    assert_eq!(stdout_page, main);
    if has("groff") {
        for page in &written {
            let out = Command::new("groff")
                .args(["-man", "-ww", "-z"])
                .arg(out_dir.join(page))
                .output()
                .unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{page}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    } else {
        eprintln!("skipped: groff is not installed (CI installs groff-base)");
    }
}

#[test]
fn install_docs_installs_pages_and_completions_and_can_run_again() {
    let prefix = scratch("prefix");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/install-docs.sh");
    let run = || {
        let out = Command::new("bash")
            .arg(&script)
            .args(["--binary", env!("CARGO_BIN_EXE_sporfri"), "--prefix"])
            .arg(&prefix)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    run();
    let man1 = prefix.join("share/man/man1");
    let stale = man1.join("sporfri-gone.1");
    std::fs::write(&stale, ".TH gone 1\n").unwrap();
    run();
    assert!(
        !stale.exists(),
        "a page of a command that is gone is removed"
    );
    assert_eq!(file_names(&man1), expected_pages());
    for file in [
        "share/bash-completion/completions/sporfri",
        "share/zsh/site-functions/_sporfri",
        "share/fish/vendor_completions.d/sporfri.fish",
    ] {
        let text = std::fs::read_to_string(prefix.join(file)).unwrap();
        assert!(text.contains("replay"), "{file}");
    }
}
