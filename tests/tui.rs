//! The dashboard: snapshots of every screen at 80x24 and 160x48 on the lab's replayed capture
//! (ratatui `TestBackend` + insta), styles that make third parties stand out, resizing, the
//! replay feed's controls and a stored session, and the real binary in tmux.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;

use common::tmux::Tmux;
use sporfri::attribute::{Attributor, builtin_layer, dir_layer};
use sporfri::session::MarkSpec;
use sporfri::store::Store;
use sporfri::tui::feed::{
    Control, Feed, ReplayFeed, ReplayOptions, Speed, StoredFeed, replay_into,
};
use sporfri::tui::update::Pace;
use sporfri::tui::{Effect, Model, Msg, Screen, update, view};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn capture() -> PathBuf {
    root().join("captures/lab-borger-home.pcapng")
}

/// The lab's signatures and site, without any developer overlay.
fn attributor() -> Attributor {
    let layers = vec![
        builtin_layer().unwrap(),
        dir_layer(&root().join("tests/lab/signatures")).unwrap(),
    ];
    Attributor::from_layers(layers, Some("borger.test")).unwrap()
}

/// The lab capture replayed into a model, with a consent-rejected mark at 1.25 s.
fn lab_model() -> Model {
    lab_model_marked("consent-rejected@1.25s")
}

/// The lab capture replayed into a model with one mark.
fn lab_model_marked(mark: &str) -> Model {
    let mut m = Model::new(attributor());
    let marks = vec![mark.parse::<MarkSpec>().unwrap()];
    replay_into(
        &mut m,
        &capture(),
        attributor(),
        "borger.test home",
        Some("borger.test"),
        marks,
    )
    .unwrap();
    // Paths differ between machines; the snapshot shows a stable one.
    m.source.describe = "replay captures/lab-borger-home.pcapng at max speed".to_owned();
    m
}

fn key(m: &mut Model, code: KeyCode) {
    update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn draw(m: &mut Model, w: u16, h: u16) -> Terminal<TestBackend> {
    update(m, Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(m, f)).unwrap();
    t
}

fn screen(m: &mut Model, w: u16, h: u16) -> String {
    draw(m, w, h).backend().to_string()
}

fn both_sizes(name: &str, setup: impl Fn(&mut Model)) {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut m = lab_model();
        setup(&mut m);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(&mut m, w, h));
    }
}

#[test]
fn snapshot_table() {
    both_sizes("table", |_| {});
}

#[test]
fn snapshot_detail_of_the_cloaked_tracker() {
    both_sizes("detail", |m| {
        key(m, KeyCode::Char('/'));
        for c in "metrics".chars() {
            key(m, KeyCode::Char(c));
        }
        key(m, KeyCode::Enter);
        key(m, KeyCode::Enter);
    });
}

#[test]
fn snapshot_timeline() {
    both_sizes("timeline", |m| key(m, KeyCode::Tab));
}

#[test]
fn snapshot_devices() {
    both_sizes("devices", |m| {
        key(m, KeyCode::Tab);
        key(m, KeyCode::Tab);
    });
}

#[test]
fn snapshot_help() {
    both_sizes("help", |m| key(m, KeyCode::Char('?')));
}

#[test]
fn snapshot_table_hiding_first_party_and_os_grouped() {
    both_sizes("table_third_only", |m| {
        key(m, KeyCode::Char('1'));
        key(m, KeyCode::Char('o'));
        key(m, KeyCode::Char('g'));
    });
}

#[test]
fn the_model_holds_the_lab_session() {
    let m = lab_model();
    assert_eq!(m.rows.len(), 20);
    assert_eq!(m.packets, 637);
    let s = m.session.as_ref().unwrap();
    assert_eq!(s.marks.len(), 1);
    // The cloaked Adobe name is explained by the signature of its CNAME target.
    let row = &m.rows[&(
        "02:1a:b0:00:00:10".to_owned(),
        "metrics.borger.test".to_owned(),
    )];
    assert!(row.record.attribution.cloaked.is_some());
    assert!(row.about.as_ref().unwrap().purpose.len() > 10);
    assert!(!row.record.evidence.is_empty());
    // Contacts after the mark are in the rejected phase.
    let after = m
        .rows
        .values()
        .filter(|r| r.record.phase == sporfri::session::Phase::ConsentRejected)
        .count();
    assert!(after > 0 && after < 20, "{after}");
}

/// Third-party rows are bold, first-party rows are not; the party cell is red.
#[test]
fn third_parties_stand_out() {
    let mut m = lab_model();
    let t = draw(&mut m, 160, 48);
    let buf = t.backend().buffer();
    let row_of = |name: &str| {
        (0..buf.area.height)
            .find(|y| {
                let line: String = (0..buf.area.width).map(|x| buf[(x, *y)].symbol()).collect();
                line.contains(name)
            })
            .unwrap_or_else(|| panic!("{name} not on screen"))
    };
    let x_of_time = 1;
    let third = row_of("connect.facebook.net");
    let first = row_of("static.borger.test");
    assert!(buf[(x_of_time, third)].modifier.contains(Modifier::BOLD));
    assert!(!buf[(x_of_time, first)].modifier.contains(Modifier::BOLD));
    let party_x = (0..buf.area.width)
        .find(|x| buf[(*x, third)].symbol() == "T" && buf[(*x + 1, third)].symbol() == "H")
        .unwrap();
    assert_eq!(buf[(party_x, third)].symbol(), "T");
    assert_eq!(buf[(party_x, third)].fg, ratatui::style::Color::Red);
}

/// Every screen draws at every size from tiny to large without panicking, and the header
/// keeps its facts from 80 columns up.
#[test]
fn resizes_cleanly() {
    for screen_keys in [0, 1, 2, 3] {
        for (w, h) in [(20, 5), (60, 15), (80, 24), (100, 30), (120, 40), (200, 60)] {
            let mut m = lab_model();
            for _ in 0..screen_keys {
                key(&mut m, KeyCode::Tab);
            }
            if screen_keys == 3 {
                m.ui.screen = Screen::Contacts;
                key(&mut m, KeyCode::Enter);
            }
            let text = screen(&mut m, w, h);
            if w >= 80 {
                assert!(text.contains("BEFORE CONSENT") || text.contains("AFTER REJECT"));
                assert!(text.contains("637 pkts"), "{w}x{h}\n{text}");
            }
        }
    }
}

/// How long a wait for the feed may take before the test fails: a guard against a hang only,
/// generous so that a loaded machine cannot fail the test.
const GUARD: Duration = Duration::from_secs(120);

/// A fresh directory for a database, removed on drop.
fn db_dir(name: &str) -> common::Scratch {
    common::scratch(&format!("tui-{name}"))
}

/// A recorded replay takes a mark through the feed's control channel, stores it, and the
/// stored session then browses read-only with the same contacts.
#[test]
fn replay_feed_stores_marks_and_the_session_browses() {
    let dir = db_dir("feed");
    let db = dir.join("db");
    let opts = ReplayOptions {
        file: capture(),
        speed: Speed::Max,
        site: Some("borger.test".into()),
        signature_dirs: vec![root().join("tests/lab/signatures")],
        label: Some("feed test".into()),
        db: db.clone(),
    };
    let feed = Box::new(ReplayFeed::open(opts).unwrap());
    let (tx, rx) = mpsc::sync_channel(16);
    let (ctl, ctl_rx) = mpsc::channel();
    let worker = std::thread::spawn(move || feed.run(tx, ctl_rx));
    let mut m = Model::new(attributor());
    let deadline = Instant::now() + GUARD;
    while !m.source.ended {
        assert!(Instant::now() < deadline, "replay did not end");
        if let Ok(msg) = rx.recv_timeout(Duration::from_millis(100)) {
            update(&mut m, msg);
        }
    }
    assert!(m.source.recording);
    ctl.send(Control::Mark(
        sporfri::session::MarkKind::ConsentAccepted,
        None,
    ))
    .unwrap();
    while m.session.as_ref().unwrap().marks.is_empty() {
        let msg = rx.recv_timeout(GUARD).unwrap();
        update(&mut m, msg);
    }
    // A new session from the same replay, then ended: session 2 in the database.
    ctl.send(Control::NewSession("second".into())).unwrap();
    while m.session.as_ref().unwrap().id != 2 {
        let msg = rx.recv_timeout(GUARD).unwrap();
        update(&mut m, msg);
    }
    assert!(m.rows.is_empty(), "a new session starts without contacts");
    ctl.send(Control::EndSession).unwrap();
    while m.source.recording {
        let msg = rx.recv_timeout(GUARD).unwrap();
        update(&mut m, msg);
    }
    ctl.send(Control::Stop).unwrap();
    drop(rx);
    worker.join().unwrap();

    let feed = StoredFeed::open(&db, 1).unwrap();
    let mut stored = Model::new(attributor());
    for msg in feed.messages() {
        update(&mut stored, msg);
    }
    let s = stored.session.as_ref().unwrap();
    assert_eq!(s.label, "feed test");
    assert_eq!(s.marks.len(), 1);
    assert_eq!(stored.rows.len(), 20);
    assert!(!stored.source.writable);
    drop(feed);
    let store = Store::open(&db).unwrap();
    assert_eq!(store.session(1).unwrap().marks.len(), 1);
    let second = store.session(2).unwrap();
    assert_eq!(second.label, "second");
    assert_eq!(second.state, sporfri::session::SessionState::Ended);
    drop(store);
}

/// The lab capture with its last 100 bytes cut off (the last block incomplete), in a file of
/// this test's own.
fn truncated_lab(name: &str) -> (common::Scratch, PathBuf) {
    let dir = db_dir(name);
    std::fs::create_dir_all(&*dir).unwrap();
    let data = std::fs::read(capture()).unwrap();
    let path = dir.join("cut.pcapng");
    std::fs::write(&path, &data[..data.len() - 100]).unwrap();
    (dir, path)
}

/// Run a replay feed on its thread, applying its messages to `m` until `done` says so, after
/// sending `controls` (each once the previous one's answer arrived); returns the feed's control
/// sender and the message receiver to go on with.
fn feed_until(
    m: &mut Model,
    opts: ReplayOptions,
    mut step: impl FnMut(&Model, &mpsc::Sender<Control>) -> bool,
) -> (
    mpsc::Sender<Control>,
    std::thread::JoinHandle<()>,
    mpsc::Receiver<Msg>,
) {
    let feed = Box::new(ReplayFeed::open(opts).unwrap());
    let (tx, rx) = mpsc::sync_channel(64);
    let (ctl, ctl_rx) = mpsc::channel();
    let worker = std::thread::spawn(move || feed.run(tx, ctl_rx));
    let deadline = Instant::now() + GUARD;
    while !step(m, &ctl) {
        assert!(
            Instant::now() < deadline,
            "timed out; status {:?}",
            m.status
        );
        if let Ok(msg) = rx.recv_timeout(Duration::from_millis(50)) {
            update(m, msg);
        }
    }
    (ctl, worker, rx)
}

fn replay_opts(file: PathBuf, speed: Speed) -> ReplayOptions {
    ReplayOptions {
        file,
        speed,
        site: Some("borger.test".into()),
        signature_dirs: vec![root().join("tests/lab/signatures")],
        label: None,
        db: db_dir("unused").join("db"),
    }
}

/// At 80 columns the status shows whole: the byte offset of a truncated capture, and why a
/// mark was not stored (wrapped above the key hints, never cut mid-sentence).
#[test]
fn snapshot_status_texts_show_whole_at_80_columns() {
    let (_dir, cut) = truncated_lab("status");
    let mut m = Model::new(attributor());
    let (ctl, worker, rx) = feed_until(&mut m, replay_opts(cut.clone(), Speed::Max), |m, _| {
        m.source.ended && m.status.contains("truncated")
    });
    m.source.describe = "replay cut.pcapng at max speed · not recorded".to_owned();
    let text = screen(&mut m, 80, 24);
    assert!(text.contains("byte offset"), "{text}");
    insta::assert_snapshot!("status_truncated_80x24", text);
    ctl.send(Control::Mark(
        sporfri::session::MarkKind::ConsentAccepted,
        None,
    ))
    .unwrap();
    let deadline = Instant::now() + GUARD;
    while !m.status.contains("not stored") {
        assert!(Instant::now() < deadline, "{}", m.status);
        if let Ok(msg) = rx.recv_timeout(Duration::from_millis(50)) {
            update(&mut m, msg);
        }
    }
    m.source.describe = "replay cut.pcapng at max speed · not recorded".to_owned();
    let text = screen(&mut m, 80, 24);
    assert!(
        text.contains("(not stored: no session is being recorded)"),
        "{text}"
    );
    insta::assert_snapshot!("status_not_stored_80x24", text);
    ctl.send(Control::Stop).unwrap();
    drop(rx);
    worker.join().unwrap();
}

/// Space pauses a paced replay (no packet is analysed until it is pressed again), `+` and `-`
/// change the speed, and the header says so.
#[test]
fn replay_pauses_and_changes_speed() {
    let mut m = Model::new(attributor());
    // Relative (tests run in the package root), so the header in the snapshot is the same
    // on every machine.
    let opts = replay_opts("captures/lab-borger-home.pcapng".into(), Speed::Times(0.5));
    let mut sent = 0;
    let (ctl, worker, rx) = feed_until(&mut m, opts, |m, ctl| {
        if sent == 0 && m.packets > 0 {
            ctl.send(Control::Pace(Pace::Pause)).unwrap();
            sent = 1;
        }
        sent == 1 && m.status.starts_with("paused")
    });
    let paused_at = m.packets;
    assert!(m.status.starts_with("paused at 0.5x"), "{}", m.status);
    assert!(m.source.describe.starts_with("PAUSED · replay"));
    // The counts depend on when the pause came: the first header line and the status.
    let text = screen(&mut m, 80, 24);
    let lines: Vec<&str> = text.lines().collect();
    insta::assert_snapshot!(
        "paused_80x24",
        format!("{}\n{}", lines[0], lines[lines.len() - 1])
    );
    // Paused: a while passes without a packet.
    let until = Instant::now() + Duration::from_millis(700);
    while Instant::now() < until {
        if let Ok(msg) = rx.recv_timeout(Duration::from_millis(50)) {
            update(&mut m, msg);
        }
    }
    assert_eq!(m.packets, paused_at, "no packet while paused");
    ctl.send(Control::Pace(Pace::Faster)).unwrap();
    ctl.send(Control::Pace(Pace::Slower)).unwrap();
    ctl.send(Control::Pace(Pace::Faster)).unwrap();
    for _ in 0..20 {
        ctl.send(Control::Pace(Pace::Faster)).unwrap();
    }
    ctl.send(Control::Pace(Pace::Pause)).unwrap();
    let deadline = Instant::now() + GUARD;
    while !m.status.starts_with("end of capture") {
        assert!(Instant::now() < deadline, "{}", m.status);
        if let Ok(msg) = rx.recv_timeout(Duration::from_millis(50)) {
            update(&mut m, msg);
        }
    }
    assert!(
        m.source.describe.contains("at max speed"),
        "{}",
        m.source.describe
    );
    assert_eq!(m.packets, 637);
    ctl.send(Control::Stop).unwrap();
    drop(rx);
    worker.join().unwrap();
}

/// The keys: space pauses (not on the devices screen, where it selects), `+`/`=` and `-`.
#[test]
fn pace_keys_ask_the_feed() {
    let mut m = lab_model();
    let press = |m: &mut Model, c: char| {
        update(
            m,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        )
    };
    assert_eq!(press(&mut m, ' '), vec![Effect::Pace(Pace::Pause)]);
    assert_eq!(press(&mut m, '+'), vec![Effect::Pace(Pace::Faster)]);
    assert_eq!(press(&mut m, '='), vec![Effect::Pace(Pace::Faster)]);
    assert_eq!(press(&mut m, '-'), vec![Effect::Pace(Pace::Slower)]);
    m.ui.screen = Screen::Devices;
    assert_eq!(press(&mut m, ' '), vec![]);
}

/// Without a terminal the dashboard says so (and records nothing), instead of an OS error.
#[test]
fn without_a_terminal_the_dashboard_says_so() {
    let dir = db_dir("noterm");
    let out = Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .env("SPORFRI_SIGNATURES_OVERLAY", "/nonexistent")
        .args(["tui", "--replay"])
        .arg(capture())
        .args(["--label", "x", "--db"])
        .arg(dir.join("db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sporfri tui needs a terminal"), "{err}");
    assert!(!err.contains("os error"), "{err}");
    assert!(!dir.join("db").exists(), "nothing recorded");
}

#[test]
fn attach_without_a_source_says_what_to_do() {
    let out = Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .arg("tui")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no running `sporfri live` answers"), "{err}");
    assert!(err.contains("--replay FILE"), "{err}");
}

/// The real binary in a real terminal: replay, press `a`, quit with `q` + `y`, then the
/// stored session has the consent-accepted mark.
#[test]
fn real_terminal_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED real_terminal_in_tmux: tmux is not installed (CI installs it: .ci/tui)");
        return;
    }
    let dir = db_dir("tmux");
    let db = dir.join("db");
    let bin = env!("CARGO_BIN_EXE_sporfri");
    // The sleep keeps the pane and its last screen until the Tmux guard kills the server.
    let command = format!(
        "cd {root} && SPORFRI_SIGNATURES_OVERLAY=/nonexistent {bin} tui --replay \
         captures/lab-borger-home.pcapng --speed max --signatures tests/lab/signatures \
         --site borger.test --label t --db {db}; echo EXITED $?; sleep 600",
        root = root().display(),
        db = db.display()
    );
    let tmux = Tmux::new("tui");
    tmux.cmd(&["new", "-d", "-x", "160", "-y", "48", "-s", "t", &command]);
    let s = tmux.wait_for("end of capture: 637 packets");
    assert!(s.contains("BEFORE CONSENT"), "{s}");
    assert!(s.contains("connect.facebook.net"), "{s}");
    assert!(s.contains("THIRD"), "{s}");
    assert!(s.contains("CLOAKED"), "{s}");
    tmux.cmd(&["send-keys", "-t", "t", "a"]);
    let s = tmux.wait_for("consent-accepted at");
    assert!(s.contains("AFTER ACCEPT"), "{s}");
    assert!(s.contains("stored in session 1"), "{s}");
    tmux.cmd(&["send-keys", "-t", "t", "q"]);
    tmux.wait_for("Quit and end it?");
    tmux.cmd(&["send-keys", "-t", "t", "y"]);
    let s = tmux.wait_for("EXITED");
    assert!(s.contains("EXITED 0"), "{s}");
    assert!(s.contains("session 1 \"t\": 20 contacts, 1 mark,"), "{s}");
    let out = Command::new(bin)
        .args(["sessions", "show", "1", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("consent-accepted"), "{text}");
    assert!(text.contains("state:    ended"), "{text}");
    drop(tmux);
}

/// Contacts first seen before the visit mark are background: dimmed, not counted in the
/// header's third parties, hidden with `b`; the header names the session's baseline (issue 18).
#[test]
fn background_rows_are_dimmed_hideable_and_the_header_names_the_baseline() {
    let mut m = lab_model_marked("visit@0.85s");
    let s = m.session.as_mut().unwrap();
    s.against = Some(sporfri::session::Against {
        choice: sporfri::session::Choice::Named,
        baseline: Some(sporfri::session::BaselineRef {
            id: 3,
            label: "idle chromium".into(),
            devices: vec!["02:1a:b0:00:00:10".into()],
            started: s.started,
            ended: s.started,
            forced: false,
            recording: None,
            elsewhere: false,
        }),
        max_age_days: 7,
        refused: None,
    });
    let t = draw(&mut m, 160, 48);
    let buf = t.backend().buffer();
    let lines: Vec<String> = (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    assert!(
        lines[0].contains("vs baseline #3 \"idle chromium\""),
        "{}",
        lines[0]
    );
    let row = |name: &str| lines.iter().position(|l| l.contains(name)).unwrap();
    let idle = row("update.googleapis.com");
    assert!(buf[(1, idle as u16)].modifier.contains(Modifier::DIM));
    let visit = row("connect.facebook.net");
    assert!(!buf[(1, visit as u16)].modifier.contains(Modifier::DIM));
    key(&mut m, KeyCode::Char('b'));
    let text = screen(&mut m, 160, 48);
    assert!(!text.contains("update.googleapis.com"), "{text}");
    assert!(text.contains("background hidden"), "{text}");
    // An imported session whose baseline stayed behind names it as the source database's.
    let s = m.session.as_mut().unwrap();
    let b = s.against.as_mut().unwrap().baseline.as_mut().unwrap();
    b.elsewhere = true;
    let text = screen(&mut m, 160, 48);
    let header = text.lines().next().unwrap();
    assert!(
        header
            .contains("vs baseline #3 \"idle chromium\" (of the source database, not in this one)"),
        "{header}"
    );
}

/// The real binary on a truncated capture at 80 columns: the status names the offset, and the
/// dashboard exits 3 as `sporfri replay` does.
#[test]
fn truncated_capture_in_tmux_exits_3() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED truncated_capture_in_tmux_exits_3: tmux is not installed");
        return;
    }
    let (_dir, cut) = truncated_lab("tmux-cut");
    let command = format!(
        "cd {root} && SPORFRI_SIGNATURES_OVERLAY=/nonexistent {bin} tui --replay {cut} \
         --speed max --signatures tests/lab/signatures --site borger.test; echo EXITED $?; \
         sleep 60",
        root = root().display(),
        bin = env!("CARGO_BIN_EXE_sporfri"),
        cut = cut.display()
    );
    let tmux = Tmux::new("cut");
    tmux.cmd(&["new", "-d", "-x", "80", "-y", "24", "-s", "t", &command]);
    let s = tmux.wait_for("packets before it analysed");
    assert!(
        s.contains("capture truncated at byte offset 211300;"),
        "{s}"
    );
    tmux.cmd(&["send-keys", "-t", "t", "q"]);
    let s = tmux.wait_for("EXITED");
    assert!(s.contains("EXITED 3"), "{s}");
    // The pane wraps the message at 80 columns, wherever the temporary path's length puts the
    // break (the space at a break may be lost): compare without white space.
    assert!(
        s.split_whitespace()
            .collect::<String>()
            .contains("truncatedatbyteoffset211300"),
        "{s}"
    );
    drop(tmux);
}

/// Issue 18 in a real terminal: `tui --replay --baseline --label` records the lab's idle
/// Chromium as a baseline (the header says so, `sessions list` shows it), and a later `tui`
/// recording of the visit on the same device is compared with it: its header names the
/// baseline.
#[test]
fn a_baseline_recorded_in_the_dashboard_names_itself_and_the_next_session_names_it() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it: .ci/tui)");
        return;
    }
    let dir = db_dir("tmux-baseline");
    let db = dir.join("db");
    let bin = env!("CARGO_BIN_EXE_sporfri");
    let run = |name: &str, capture: &str, extra: &str| {
        let command = format!(
            "cd {root} && SPORFRI_SIGNATURES_OVERLAY=/nonexistent {bin} tui --replay \
             captures/{capture} --speed max --signatures tests/lab/signatures {extra} --db {db}; \
             echo EXITED $?; sleep 600",
            root = root().display(),
            db = db.display()
        );
        let tmux = Tmux::new(name);
        tmux.cmd(&["new", "-d", "-x", "160", "-y", "48", "-s", "t", &command]);
        tmux
    };
    let quit = |tmux: &Tmux| {
        tmux.cmd(&["send-keys", "-t", "t", "q"]);
        tmux.wait_for("Quit and end it?");
        tmux.cmd(&["send-keys", "-t", "t", "y"]);
        tmux.wait_for("EXITED")
    };

    let tmux = run("idle", "lab-idle.pcapng", "--baseline --label idle");
    let s = tmux.wait_for("end of capture:");
    let header = s.lines().next().unwrap_or_default().to_owned();
    assert!(header.contains("idle baseline"), "{s}");
    let s = quit(&tmux);
    assert!(s.contains("EXITED 0"), "{s}");
    assert!(s.contains("session 1 is an idle baseline"), "{s}");
    drop(tmux);
    let list = Command::new(bin)
        .args(["sessions", "list", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success(), "{text}");
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with('1'))
        .unwrap_or_default();
    assert!(row.contains("is one"), "{text}");

    let tmux = run(
        "visit",
        "lab-borger-home.pcapng",
        "--site borger.test --label visit",
    );
    let s = tmux.wait_for("end of capture: 637 packets");
    let header = s.lines().next().unwrap_or_default().to_owned();
    assert!(header.contains("vs baseline #1 \"idle\""), "{s}");
    let s = quit(&tmux);
    assert!(s.contains("EXITED 0"), "{s}");
    assert!(
        s.contains("compared with baseline 1 \"idle\" (the latest of the device"),
        "{s}"
    );
    drop(tmux);
    let show = Command::new(bin)
        .args(["sessions", "show", "2", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains("baseline: baseline 1 \"idle\" (the latest of the device"),
        "{text}"
    );
}
