//! Sessions end to end through the CLI: recorded by `replay --label`, listed, shown, exported,
//! marked, purged; a replay killed with SIGKILL loses at most about a second.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use serde_json::Value;

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures")
        .join(name)
}

/// A fresh database path for one test, in a temporary directory removed on drop.
fn db(name: &str) -> Scratch {
    scratch(&format!("sessions-{name}")).at("db")
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = sporfri(args);
    assert_eq!(code, 0, "sporfri {args:?} failed: {err}");
    out
}

fn record(db: &Path, file: &Path, label: &str, extra: &[&str]) {
    let mut args = vec![
        "replay",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
        "--label",
        label,
        "--db",
        db.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args);
}

fn sessions(db: &Path) -> Vec<Value> {
    ok(&[
        "sessions",
        "list",
        "--format",
        "jsonl",
        "--db",
        db.to_str().unwrap(),
    ])
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect()
}

fn export(db: &Path, id: u64) -> Vec<Value> {
    let id = id.to_string();
    ok(&["sessions", "export", &id, "--db", db.to_str().unwrap()])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn sha256(path: &Path) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, &std::fs::read(path).unwrap());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_replay_is_stored_listed_shown_and_exported() {
    let db = db("stored");
    let file = shared("wikipedia.pcap");
    record(
        &db,
        &file,
        "wikipedia on a laptop",
        &["--site", "borger.dk"],
    );
    let list = sessions(&db);
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(s["id"], 1);
    assert_eq!(s["label"], "wikipedia on a laptop");
    assert_eq!(s["site"], "borger.dk");
    assert_eq!(s["state"], "ended");
    assert_eq!(s["source"]["kind"], "file");
    assert_eq!(s["source"]["sha256"], sha256(&file));
    assert_eq!(s["started"], "2011-03-18T19:06:07.096535Z");
    assert_eq!(s["stats"]["packets"], 136);
    assert!(s["devices"].as_array().unwrap().len() >= 5);
    let rows = export(&db, 1);
    assert_eq!(rows.len() as u64, s["stats"]["contacts"].as_u64().unwrap());
    let wiki = rows
        .iter()
        .find(|r| r["name"] == "www.wikipedia.org")
        .unwrap();
    assert_eq!(wiki["phase"], "before-consent");
    assert_eq!(wiki["session"], 1);
    assert!(wiki["party"].is_string());
    assert!(!wiki["evidence"].as_array().unwrap().is_empty());
    // The export carries everything `replay --format jsonl` prints, plus the session's view.
    let replayed = contacts(&file);
    for c in &replayed {
        let row = rows.iter().find(|r| {
            r["name"] == c["name"] && r["device"] == c["device"] && r["client_ip"] == c["client_ip"]
        });
        let row = row.unwrap_or_else(|| panic!("{} not exported", c["name"]));
        for (k, v) in c.as_object().unwrap() {
            assert_eq!(&row[k], v, "field {k} of {}", c["name"]);
        }
    }
    let csv = ok(&[
        "sessions",
        "export",
        "1",
        "--format",
        "csv",
        "--db",
        db.to_str().unwrap(),
    ]);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("session,phase,device,client_ip,client_ips,name,")
    );
    assert_eq!(lines.count(), rows.len());
    let show = ok(&["sessions", "show", "1", "--db", db.to_str().unwrap()]);
    assert!(show.contains("session 1: wikipedia on a laptop"), "{show}");
    assert!(show.contains(&sha256(&file)));
    assert!(show.contains("www.wikipedia.org"));
    // What the contacts were attributed with: the built-in set and the site profile.
    let builtin = sporfri::report::builtin_signatures();
    assert!(
        show.contains(&format!("    builtin  sha256 {}", builtin.sha256)),
        "{show}"
    );
    assert!(
        show.contains("    site profile borger.dk  signatures/sites/borger.dk.toml  sha256 "),
        "{show}"
    );
}

/// DNS queries at 0 s, 5 s and 10 s; rejection at 4 s and acceptance at exactly 10 s.
fn three_queries() -> Scratch {
    let mut p = Pcap::default();
    p.udp(
        0.0,
        (PHONE, 40000),
        (RESOLVER, 53),
        &dns_query(1, "early.example"),
    );
    p.udp(
        5.0,
        (PHONE, 40001),
        (RESOLVER, 53),
        &dns_query(2, "middle.example"),
    );
    p.udp(
        10.0,
        (PHONE, 40002),
        (RESOLVER, 53),
        &dns_query(3, "late.example"),
    );
    p.write("three-queries.pcap")
}

#[test]
fn marks_split_contacts_into_phases() {
    let db = db("phases");
    let file = three_queries();
    record(
        &db,
        &file,
        "phases",
        &[
            "--mark",
            "consent-rejected@4s",
            "--mark",
            "page@4.5s=opened login",
            // Absolute time of the third query: a mark at the instant already counts.
            "--mark",
            "consent-accepted@2023-11-14T22:13:30Z",
            "--mark",
            "note@11=done",
        ],
    );
    let rows = export(&db, 1);
    let phase = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap()["phase"].clone();
    assert_eq!(phase("early.example"), "before-consent");
    assert_eq!(phase("middle.example"), "consent-rejected");
    assert_eq!(phase("late.example"), "consent-accepted");
    let s = &sessions(&db)[0];
    let marks: Vec<(&str, &str)> = s["marks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["kind"].as_str().unwrap(), m["ts"].as_str().unwrap()))
        .collect();
    assert_eq!(
        marks,
        [
            ("consent-rejected", "2023-11-14T22:13:24.000000Z"),
            ("page", "2023-11-14T22:13:24.500000Z"),
            ("consent-accepted", "2023-11-14T22:13:30.000000Z"),
            ("note", "2023-11-14T22:13:31.000000Z"),
        ]
    );
    assert_eq!(s["marks"][1]["text"], "opened login");
    let csv = ok(&[
        "sessions",
        "export",
        "1",
        "--format",
        "csv",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(csv.contains(
        ",consent-rejected,02:11:22:33:44:55,192.168.50.10,192.168.50.10,middle.example,"
    ));
}

#[test]
fn a_bad_mark_is_refused_before_anything_is_recorded() {
    let db = db("bad-mark");
    let file = three_queries();
    for bad in ["consent@4s", "page@4s", "note@soon", "note@-1s"] {
        let (code, _, err) = sporfri(&[
            "replay",
            file.to_str().unwrap(),
            "--label",
            "x",
            "--mark",
            bad,
            "--db",
            db.to_str().unwrap(),
        ]);
        assert_ne!(code, 0, "{bad} accepted");
        assert!(err.contains("mark"), "{err}");
    }
    assert!(!db.exists());
}

#[test]
fn the_device_filter_keeps_only_the_named_device() {
    let db = db("devices");
    let file = shared("wikipedia.pcap");
    record(&db, &file, "one device", &["--device", "00:16:76:23:D9:E3"]);
    let s = &sessions(&db)[0];
    assert_eq!(s["device_filter"], serde_json::json!(["00:16:76:23:d9:e3"]));
    let rows = export(&db, 1);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["device"] == "00:16:76:23:d9:e3"));
    assert_eq!(s["devices"].as_array().unwrap().len(), 1);
}

/// A session without the parts that belong to the run (id, wall-clock times).
fn without_run(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("id");
    o.remove("run");
    o.remove("session");
    v
}

#[test]
fn replaying_the_same_file_twice_gives_identical_sessions() {
    let db = db("twice");
    let file = shared("dns-edns-ecs.pcap");
    for _ in 0..2 {
        record(&db, &file, "same", &["--mark", "consent-accepted@1.5s"]);
    }
    let list = sessions(&db);
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["id"], 2);
    assert_eq!(without_run(list[0].clone()), without_run(list[1].clone()));
    let a: Vec<Value> = export(&db, 1).into_iter().map(without_run).collect();
    let b: Vec<Value> = export(&db, 2).into_iter().map(without_run).collect();
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn delete_and_purge_remove_sessions_and_their_contacts() {
    let db = db("purge");
    let d = db.to_str().unwrap();
    let file = shared("wikipedia.pcap");
    for label in ["a", "b", "c"] {
        record(&db, &file, label, &[]);
    }
    assert!(ok(&["sessions", "purge", "--older-than", "30d", "--db", d]).contains("purged 0"));
    assert!(ok(&["sessions", "delete", "2", "--db", d]).contains("deleted session 2"));
    let (code, _, err) = sporfri(&["sessions", "export", "2", "--db", d]);
    assert_ne!(code, 0);
    assert!(err.contains("no session 2"), "{err}");
    let ids: Vec<Value> = sessions(&db).iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, [1, 3]);
    assert!(!export(&db, 3).is_empty());
    std::thread::sleep(Duration::from_millis(10));
    assert!(ok(&["sessions", "purge", "--older-than", "0s", "--db", d]).contains("purged 2"));
    assert!(sessions(&db).is_empty());
    // Contacts went with their sessions: a new session starts from an empty contact space.
    record(&db, &file, "d", &[]);
    assert_eq!(sessions(&db).len(), 1);
}

#[test]
fn the_database_is_private_at_the_default_path() {
    let tmp = scratch("sessions-private");
    let home = tmp.join("xdg");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .args([
            "replay",
            shared("wikipedia.pcap").to_str().unwrap(),
            "--label",
            "p",
        ])
        .env("XDG_DATA_HOME", &home)
        .env_remove("STATE_DIRECTORY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = home.join("sporfri/db");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home.join("sporfri")), 0o700);
    assert_eq!(mode(&dir), 0o700);
    let mut files = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let want = if e.path().is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&e.path()), want, "{}", e.path().display());
        files += 1;
    }
    assert!(files >= 3);
}

#[test]
fn a_locked_database_names_its_owner() {
    let db = db("locked");
    let _held = sporfri::store::Store::open(&db).unwrap();
    for args in [vec!["sessions", "list"], vec!["mark", "consent-rejected"]] {
        let mut args = args.clone();
        args.extend(["--db", db.to_str().unwrap()]);
        let (code, _, err) = sporfri(&args);
        assert_ne!(code, 0);
        let pid = format!("(pid {})", std::process::id());
        assert!(
            err.contains("in use by another sporfri process") && err.contains(&pid),
            "{err}"
        );
    }
}

#[test]
fn mark_without_a_recording_session_says_so() {
    let db = db("no-recording");
    record(&db, &three_queries(), "ended", &[]);
    let (code, _, err) = sporfri(&["mark", "note", "--note", "x", "--db", db.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("no session is being recorded"), "{err}");
}

/// A pcap of `packets` packets: the shared Ethernet traces repeated, each repetition shifted
/// by a minute so flows end and start again and batches are written all along.
fn big_capture(name: &str, packets: usize) -> Scratch {
    let mut records = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(shared(""))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    names.sort();
    for p in names {
        let mut src = sporfri::capture::FileSource::open(&p).unwrap();
        let mut first = None;
        use sporfri::capture::PacketSource;
        while let Ok(Some(pkt)) = src.next_packet() {
            if pkt.link != sporfri::wire::link::LinkType::ETHERNET {
                break;
            }
            let t0 = *first.get_or_insert(pkt.ts.0);
            // Squeeze each trace into 50 s so every repetition fits its minute.
            let rel = (pkt.ts.0 - t0.min(pkt.ts.0)).min(50_000_000_000);
            records.push((rel, pkt.data.to_vec()));
        }
    }
    let path = scratch(&format!("sessions-{name}")).at("big.pcap");
    let mut w = BufWriter::new(std::fs::File::create(&*path).unwrap());
    w.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        .unwrap();
    w.write_all(&65535u32.to_le_bytes()).unwrap();
    w.write_all(&1u32.to_le_bytes()).unwrap();
    let base = 1_700_000_000u64 * 1_000_000_000;
    let mut rep = 0u64;
    let mut n = 0;
    'out: loop {
        let mut sorted: Vec<&(u64, Vec<u8>)> = records.iter().collect();
        sorted.sort_by_key(|r| r.0);
        for (rel, data) in sorted {
            let ts = base + rep * 60_000_000_000 + rel;
            let len = data.len() as u32;
            let (secs, micros) = (
                (ts / 1_000_000_000) as u32,
                ((ts % 1_000_000_000) / 1000) as u32,
            );
            for v in [secs, micros, len, len] {
                w.write_all(&v.to_le_bytes()).unwrap();
            }
            w.write_all(data).unwrap();
            n += 1;
            if n == packets {
                break 'out;
            }
        }
        rep += 1;
    }
    w.flush().unwrap();
    path
}

/// Bytes process `pid` has handed the kernel with write(2) and kin so far (`wchar` of
/// /proc/PID/io): its progress in writing the database, which a SIGKILL cannot take back.
fn written(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("wchar:"))?
        .trim()
        .parse()
        .ok()
}

#[test]
fn a_replay_killed_with_sigkill_loses_at_most_a_second() {
    let db = db("kill9");
    let d = db.to_str().unwrap();
    // An earlier session that must survive untouched.
    record(
        &db,
        &shared("wikipedia.pcap"),
        "before",
        &["--mark", "consent-rejected@2s"],
    );
    let before_session = without_run(sessions(&db)[0].clone());
    let before_rows = export(&db, 1);
    // 200,000 packets (160 MB, removed with the test): a run long enough that the kill comes
    // seconds into the recording, so "at most a second lost" says something.
    let big = big_capture("kill9-capture", 200_000);
    let replay = |label: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sporfri"))
            .args(["replay", big.to_str().unwrap(), "--label", label, "--db", d])
            .args(["--mark", "consent-accepted@30s", "--format", "jsonl"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // The same file to the end first, watching how much it writes, so the kill below lands
    // half-way through the recording however fast or loaded the machine is.
    let mut child = replay("complete");
    let mut complete_wrote = 0;
    while child.try_wait().unwrap().is_none() {
        complete_wrote = complete_wrote.max(written(child.id()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the complete replay failed: {err}");
    let full = export(&db, 2);
    let mut child = replay("killed");
    let spawned = Instant::now();
    // A guard against a hung replay only; the kill waits for progress, not for time.
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the replay ended before the kill"
        );
        let wrote = written(child.id()).unwrap_or(0);
        if wrote >= complete_wrote / 2 {
            eprintln!(
                "killed after {wrote} of {complete_wrote} bytes written, {:?} after the start",
                spawned.elapsed()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no progress: {wrote} bytes written"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    let killed_at = SystemTime::now();
    child.wait().unwrap();

    // The next start can still mark the session the dead process left recording.
    ok(&["mark", "note", "--note", "after the crash", "--db", d]);
    let list = sessions(&db);
    assert_eq!(list.len(), 3);
    assert_eq!(without_run(list[0].clone()), before_session);
    assert_eq!(export(&db, 1), before_rows);
    assert_eq!(export(&db, 2), full);
    let s = &list[2];
    assert_eq!(s["state"], "interrupted");
    assert_eq!(s["marks"][1]["text"], "after the crash");
    let flushed = s["run"]["flushed"].as_str().unwrap();
    let flushed = sporfri::session::ts::parse(flushed).unwrap();
    let killed = killed_at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let lost = Duration::from_nanos(killed.saturating_sub(flushed.0));
    eprintln!("last durable batch {lost:?} before the kill");
    assert!(lost <= Duration::from_secs(1), "lost {lost:?} of recording");
    let last_flush = s["last_flush"].as_str().unwrap();
    assert_eq!(s["ended"].as_str().unwrap(), last_flush);
    let partial = export(&db, 3);
    assert!(!partial.is_empty());
    assert_eq!(
        partial.len() as u64,
        s["stats"]["contacts"].as_u64().unwrap()
    );
    assert!(full.len() >= partial.len());
    eprintln!(
        "{} of {} contacts stored before the kill",
        partial.len(),
        full.len()
    );
    // Every contact of the killed run is a prefix of one of the complete run.
    for p in &partial {
        assert!(p["last_seen"].as_str().unwrap() <= last_flush);
        let f = full
            .iter()
            .find(|f| {
                f["name"] == p["name"]
                    && f["device"] == p["device"]
                    && f["client_ip"] == p["client_ip"]
            })
            .unwrap_or_else(|| panic!("{} not in the complete run", p["name"]));
        assert_eq!(p["first_seen"], f["first_seen"]);
        assert_eq!(p["phase"], f["phase"]);
        for k in ["flows", "bytes_up", "bytes_down", "dns_queries"] {
            assert!(p[k].as_u64() <= f[k].as_u64(), "{k} of {}", p["name"]);
        }
    }
    // The database still takes new sessions.
    record(&db, &shared("wikipedia.pcap"), "after", &[]);
    assert_eq!(sessions(&db)[3]["state"], "ended");
}

/// A small tmpfs in a temporary directory, unmounted on drop (before the directory is removed);
/// `None` where mounting is not allowed (not root).
struct Tmpfs {
    mnt: PathBuf,
    _dir: Scratch,
}

impl Tmpfs {
    fn mount(name: &str, size: &str) -> Option<Tmpfs> {
        let tmp = scratch(&format!("sessions-{name}"));
        let dir = tmp.join("mnt");
        std::fs::create_dir_all(&dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        }
        ok.then_some(Tmpfs {
            mnt: dir,
            _dir: tmp,
        })
    }

    fn remount(&self, opts: &str) {
        let s = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.mnt)
            .status()
            .unwrap();
        assert!(s.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let umount = |lazy: bool| {
            std::process::Command::new("umount")
                .args(lazy.then_some("--lazy"))
                .arg(&self.mnt)
                .status()
                .is_ok_and(|s| s.success())
        };
        // Busy (a process of a failed test still inside): detach it, so removing the
        // directory afterwards never empties a mounted file system or leaves a mount behind.
        if !umount(false) && !umount(true) {
            eprintln!("could not unmount {}", self.mnt.display());
        }
    }
}

#[test]
fn a_full_disk_is_reported_counted_and_the_analysis_goes_on() {
    let Some(fs) = Tmpfs::mount("full", "3m") else {
        return;
    };
    let db = fs.mnt.join("db");
    let d = db.to_str().unwrap();
    record(&db, &shared("wikipedia.pcap"), "before", &[]);
    let before = export(&db, 1);
    let fill = fs.mnt.join("fill");
    // Leave room for the new session record, too little for the big session.
    let df = std::process::Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(&fs.mnt)
        .output()
        .unwrap();
    let avail: usize = String::from_utf8_lossy(&df.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::write(&fill, vec![0u8; avail.saturating_sub(700_000)]).unwrap();
    // 40,000 packets (32 MB) overflow the room left about three times over (12,000 was measured
    // to be enough, 8,000 not): no bigger a capture than the test needs.
    let big = big_capture("full-capture", 40_000);
    let (code, out, err) = sporfri(
        &["replay", big.to_str().unwrap(), "--format", "jsonl"]
            .iter()
            .copied()
            .chain(["--label", "full", "--db", d])
            .collect::<Vec<_>>(),
    );
    assert_ne!(code, 0);
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        err.contains("analysis goes on, unstored contacts are counted"),
        "{err}"
    );
    assert!(
        err.contains("contacts of session 2 could not be stored"),
        "{err}"
    );
    // The analysis itself finished: every contact was printed.
    assert!(out.lines().count() > 50, "{out}");
    std::fs::remove_file(&fill).unwrap();
    // Earlier sessions are intact; the full one is complete up to its last good flush.
    assert_eq!(export(&db, 1), before);
    let list = sessions(&db);
    assert_eq!(list[1]["state"], "interrupted");
}

#[test]
fn a_read_only_database_is_read_and_recording_into_it_is_a_clear_error() {
    let Some(fs) = Tmpfs::mount("ro", "8m") else {
        return;
    };
    let db = fs.mnt.join("db");
    let d = db.to_str().unwrap();
    record(&db, &shared("wikipedia.pcap"), "before", &[]);
    let listed = sessions(&db);
    let exported = export(&db, 1);
    fs.remount("ro");
    // Reading works (through a private copy: sled cannot open read-only).
    assert_eq!(sessions(&db), listed);
    assert_eq!(export(&db, 1), exported);
    assert!(ok(&["sessions", "show", "1", "--db", d]).contains("before"));
    let report = ok(&["report", "1", "--format", "json", "--db", d]);
    assert!(report.contains("wikipedia"), "{report}");
    // Recording: the analysis runs to the end and prints every contact, then the run fails.
    let (code, out, err) = sporfri(&[
        "replay",
        shared("wikipedia.pcap").to_str().unwrap(),
        "--format",
        "jsonl",
        "--label",
        "ro",
        "--db",
        d,
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.lines().count(), exported.len(), "{out}");
    assert!(err.contains("the session could not be stored"), "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    assert_eq!(err.matches("Read-only file system").count(), 1, "{err}");
    assert!(err.contains(d), "{err}");
    // Changing it is one clear error.
    let (code, _, err) = sporfri(&["sessions", "delete", "1", "--db", d]);
    assert_eq!(code, 1);
    assert_eq!(err.matches("Read-only file system").count(), 1, "{err}");
    fs.remount("rw");
    assert_eq!(sessions(&db), listed);
}

#[test]
fn commands_that_do_not_record_never_create_a_database() {
    let dir = scratch("sessions-missing");
    let db = dir.join("nothing/db");
    let d = db.to_str().unwrap();
    for args in [
        &["sessions", "list"][..],
        &["sessions", "show", "1"],
        &["sessions", "export", "1"],
        &["sessions", "delete", "1"],
        &["sessions", "purge", "--older-than", "1d"],
        &["sessions", "label", "02:11:22:33:44:55", "phone"],
        &["report", "1"],
        &["diff", "1", "2"],
        &["mark", "note"],
        &["tui", "--session", "1"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--db", d]);
        let (code, out, err) = sporfri(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.contains(&format!("no database at {d}")),
            "{args:?}: {err}"
        );
        assert!(!dir.join("nothing").exists(), "{args:?} created {d}");
    }
    // An existing directory that holds no database is not one either, and stays empty.
    std::fs::create_dir_all(&db).unwrap();
    let (code, _, err) = sporfri(&["sessions", "list", "--db", d]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(std::fs::read_dir(&db).unwrap().count(), 0);
    // Recording creates it.
    record(&db, &shared("wikipedia.pcap"), "first", &[]);
    assert_eq!(sessions(&db).len(), 1);
}
