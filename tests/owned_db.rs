//! The database is readable while a process records into it: a dashboard replaying a capture
//! with `--label` owns the database; meanwhile `sessions` and `report` in a second process
//! read it through the dashboard's control socket, `mark` is told where marks go, and once
//! the replay has ended the dashboard holds nothing (another recording starts).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::tmux::Tmux;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sporfri(args: &[&str], db: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .args(args)
        .arg("--db")
        .arg(db)
        .current_dir(root())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The test's directory, removed when dropped (also when an assertion fails).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_recording_dashboard_lets_others_read_and_lets_go_when_its_replay_ends() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: .ci/tui)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sporfri-owned-db-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir = TempDir(dir);
    let db = dir.0.join("db");
    let sock = sporfri::control::socket_path(&db);
    // 1.4 s of capture at a tenth of real time: about 14 s of recording.
    let command = format!(
        "cd {root} && SPORFRI_SIGNATURES_OVERLAY=/nonexistent {bin} tui --replay \
         captures/lab-borger-home.pcapng --speed 0.1 --label owned --db {db}; echo EXITED $?; \
         sleep 60",
        root = root().display(),
        bin = env!("CARGO_BIN_EXE_sporfri"),
        db = db.display()
    );
    let tmux = Tmux::new("owned-db");
    tmux.cmd(&["new", "-d", "-x", "160", "-y", "48", "-s", "t", &command]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sock.exists() {
        assert!(
            Instant::now() < deadline,
            "no control socket; screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // While it records: reads go through its socket.
    let list = sporfri(&["sessions", "list", "--format", "jsonl"], &db);
    assert!(list.status.success(), "{}", text(&list));
    let s: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(s["state"], "recording", "{}", text(&list));
    assert_eq!(s["label"], "owned");
    let report = sporfri(&["report", "1", "--format", "json"], &db);
    assert!(report.status.success(), "{}", text(&report));
    let diff = sporfri(&["diff", "1", "1", "--format", "json"], &db);
    assert!(diff.status.success(), "{}", text(&diff));
    let export = sporfri(&["sessions", "export", "1", "--format", "jsonl"], &db);
    assert!(export.status.success(), "{}", text(&export));
    let show = sporfri(&["sessions", "show", "1"], &db);
    assert!(show.status.success(), "{}", text(&show));
    assert!(
        text(&show).contains("state:    recording"),
        "{}",
        text(&show)
    );
    // Marks of a replay are set in its dashboard; the second process is told so.
    let mark = sporfri(&["mark", "consent-accepted"], &db);
    assert!(!mark.status.success());
    assert!(
        text(&mark).contains("set in the dashboard"),
        "{}",
        text(&mark)
    );

    // The replay ends; the dashboard stays open and holds nothing.
    tmux.wait_for("end of capture: 637 packets");
    let deadline = Instant::now() + Duration::from_secs(10);
    while sock.exists() {
        assert!(Instant::now() < deadline, "the socket outlived the replay");
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = sporfri(
        &[
            "replay",
            "captures/lab-borger-home.pcapng",
            "--label",
            "second",
        ],
        &db,
    );
    assert!(second.status.success(), "{}", text(&second));
    // A mark pressed after the end reopens the database for a moment and is stored.
    tmux.cmd(&["send-keys", "-t", "t", "a"]);
    tmux.wait_for("stored in session 1");
    tmux.cmd(&["send-keys", "-t", "t", "q"]);
    tmux.wait_for("Quit and end it?");
    tmux.cmd(&["send-keys", "-t", "t", "y"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{screen}");
    let list = sporfri(&["sessions", "list", "--format", "jsonl"], &db);
    let sessions: Vec<Value> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sessions.len(), 2, "{}", text(&list));
    assert_eq!(sessions[0]["state"], "ended");
    assert_eq!(sessions[0]["marks"][0]["kind"], "consent-accepted");
    assert_eq!(sessions[1]["label"], "second");
    drop(tmux);
}
