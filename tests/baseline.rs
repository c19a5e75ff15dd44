//! Idle baselines on the real-browser lab's captures (issue 18): each browser's idle baseline
//! (`lab-idle*.pcapng`: a fresh browser on about:blank, no site) recorded with `--baseline`,
//! then its visits of the replica portal recorded `--against` it and reported as a user would.
//! The browser's own lookups (`tests/lab/background.tsv`: Chromium's, Firefox's start-up names
//! and top sites) go to the background group; every tracker the page loaded or tried stays in
//! finding 1. And the command line's baseline rules: a missing id, another device, an old
//! baseline, `sessions list`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod labcap;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use labcap::{
    Capture, background_names, expected_org, idle_capture, lab_captures, lab_hosts, lab_site_args,
    sporfri_raw,
};
use serde_json::Value;

/// A fresh database directory, removed when dropped.
struct Db(PathBuf);

impl Db {
    fn new(name: &str) -> Db {
        let dir =
            std::env::temp_dir().join(format!("sporfri-baseline-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Db(dir)
    }

    fn path(&self) -> String {
        self.0.join("db").to_string_lossy().into_owned()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `sporfri ARGS` without a developer's overlay, succeeding or not.
fn sporfri(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .env("SPORFRI_SIGNATURES_OVERLAY", "/nonexistent/sporfri-overlay")
        .args(args)
        .output()
        .unwrap()
}

/// `replay CAPTURE --label LABEL --db DB` with the lab's site and `extra`: the JSON lines.
fn record(db: &Db, cap: &Path, label: &str, extra: &[&str]) -> Vec<Value> {
    let site = lab_site_args();
    let db = db.path();
    let mut args = vec![
        "replay",
        cap.to_str().unwrap(),
        "--format",
        "jsonl",
        "--label",
        label,
        "--db",
        &db,
    ];
    args.extend(site.iter().map(String::as_str));
    args.extend_from_slice(extra);
    let (jsonl, _) = sporfri_raw(&args);
    jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn report(db: &Db, id: &str) -> Value {
    let db = db.path();
    let (json, _) = sporfri_raw(&["report", id, "--format", "json", "--db", &db]);
    serde_json::from_str(&json).unwrap()
}

fn finding(r: &Value, number: u64) -> &[Value] {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["number"] == number)
        .unwrap()["items"]
        .as_array()
        .unwrap()
}

fn names(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The default-variant visits of `engine` (home and login).
fn visits(engine: &str) -> Vec<Capture> {
    lab_captures()
        .into_iter()
        .filter(|c| c.variant.engine == engine && c.is_default_variant())
        .collect()
}

#[test]
fn each_browsers_own_lookups_are_background_and_every_tracker_stays_in_finding_1() {
    let background = background_names();
    let mut failures = Vec::new();
    let mut settled = 0;
    for engine in ["chromium", "firefox"] {
        let db = Db::new(engine);
        let idle = idle_capture(engine);
        record(&db, &idle.path, "idle", &["--baseline"]);
        let seen_idle = idle.truth_names("dns");
        let own: BTreeSet<String> = background
            .iter()
            .filter(|(e, _)| e == engine)
            .map(|(_, n)| n.clone())
            .collect();
        // The baseline shows (nearly) all of the browser's own names.
        let missing: Vec<&String> = own.difference(&seen_idle).collect();
        assert!(
            missing.len() <= 1,
            "{engine}: the idle capture lacks {missing:?} of background.tsv"
        );
        for (i, cap) in visits(engine).iter().enumerate() {
            let id = (i + 2).to_string();
            let contacts = record(&db, &cap.path, &cap.name, &["--against", "1"]);
            let r = report(&db, &id);
            let label = cap.label();
            assert_eq!(r["session"]["against"]["baseline"]["id"], 1, "{label}");
            assert_eq!(r["report_version"], 3, "{label}");
            let bg = names(r["background"].as_array().unwrap());
            let f1 = names(finding(&r, 1));
            // The browser's own lookups of this visit that its idle self made too.
            for n in cap.truth_names("dns").intersection(&seen_idle) {
                if !bg.contains(n) {
                    failures.push(format!("{label}: {n} is not in the background group"));
                }
                if f1.contains(n) {
                    failures.push(format!("{label}: {n} is in finding 1"));
                }
                let c = contacts.iter().find(|c| c["name"] == n.as_str()).unwrap();
                if c["in_baseline"] != true || c["baseline_id"] != 1 {
                    failures.push(format!("{label}: {n}: in_baseline {}", c["in_baseline"]));
                }
                settled += usize::from(c["party"] == "os-background" && own.contains(n));
            }
            // Every tracker the page loaded or tried is still in finding 1, with its org.
            let asked = cap.truth_names("dns");
            for h in lab_hosts().iter().filter(|h| asked.contains(&h.name)) {
                let Some(org) = expected_org(&h.group) else {
                    continue;
                };
                match finding(&r, 1).iter().find(|i| i["name"] == h.name.as_str()) {
                    None => failures.push(format!("{label}: finding 1 lacks {}", h.name)),
                    Some(i) if i["org"] != org => {
                        failures.push(format!("{label}: {} is {}", h.name, i["org"]))
                    }
                    Some(i) if i["in_baseline"] != false => {
                        failures.push(format!("{label}: {} counted as idle", h.name))
                    }
                    Some(_) => {}
                }
            }
            // Nothing dropped: the report keeps every contact; the summary counts the group.
            let all = r["contacts"].as_array().unwrap();
            assert_eq!(all.len(), contacts.len(), "{label}");
            assert_eq!(
                r["summary"]["background_contacts"],
                bg.len(),
                "{label}: {}",
                r["summary"]
            );
            assert!(bg.len() >= 3, "{label}: only {bg:?}");
        }
    }
    // Chromium's accounts.google.com and Firefox's top sites were background-or-site: the
    // baseline settled them as the browser's own.
    assert!(settled >= 15, "only {settled} browser names settled");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn without_a_baseline_the_browser_names_stay_undecided_and_the_report_says_so() {
    let db = Db::new("none");
    let cap = &visits("chromium")[0];
    let contacts = record(&db, &cap.path, "no baseline", &["--no-baseline"]);
    let acc = contacts
        .iter()
        .find(|c| c["name"] == "accounts.google.com")
        .unwrap();
    assert_eq!(acc["party"], "background-or-site");
    assert_eq!(acc["in_baseline"], false);
    assert_eq!(acc["baseline_id"], Value::Null);
    let r = report(&db, "1");
    assert_eq!(r["session"]["against"]["choice"], "off");
    let caveats = r["caveats"].to_string();
    assert!(
        caveats.contains("No idle baseline (turned off with --no-baseline)"),
        "{caveats}"
    );
}

#[test]
fn the_visit_mark_puts_what_came_before_in_the_background() {
    let db = Db::new("visit");
    let cap = &visits("chromium")[0];
    // The visit begins with the browser's first lookup of the portal: the mark is set at that
    // packet's time (read from a first pass), so it holds for any capture the lab makes.
    let mut plain = vec!["replay", "--format", "jsonl"];
    let site = lab_site_args();
    plain.extend(site.iter().map(String::as_str));
    let (first_pass, _) = labcap::sporfri_json(&plain, &cap.path);
    let seen = |n: &str| -> String {
        let c = first_pass.iter().find(|c| c["name"] == n).unwrap();
        c["first_seen"].as_str().unwrap().to_owned()
    };
    let visit = seen("borger.test");
    let contacts = record(
        &db,
        &cap.path,
        "visit",
        &["--mark", &format!("visit@{visit}")],
    );
    let r = report(&db, "1");
    let bg = names(r["background"].as_array().unwrap());
    let f1 = names(finding(&r, 1));
    let mut before = 0;
    for c in &contacts {
        let n = c["name"].as_str().unwrap();
        // RFC 3339 with microseconds in UTC: compared as text.
        let is_before = c["first_seen"].as_str().unwrap() < visit.as_str();
        assert_eq!(c["before_visit"], is_before, "{n}");
        if !is_before || c["party"] == "local" {
            continue;
        }
        before += 1;
        assert_eq!(c["background"], "before-visit", "{n}");
        assert!(bg.contains(n) && !f1.contains(n), "{n}");
    }
    // Chromium's start-up lookups come before the page.
    let startup = ["clients2.google.com", "update.googleapis.com"];
    assert!(
        startup.iter().all(|n| seen(n) < visit) && before >= 2,
        "{before} before {visit}"
    );
    // Every tracker the page asked for is still in finding 1.
    let asked = cap.truth_names("dns");
    for h in lab_hosts().iter().filter(|h| asked.contains(&h.name)) {
        if expected_org(&h.group).is_some() {
            assert!(f1.contains(&h.name), "{} not in finding 1: {f1:?}", h.name);
        }
    }
    assert!(f1.contains("connect.facebook.net"), "{f1:?}");
    let md = {
        let db = db.path();
        sporfri_raw(&["report", "1", "--format", "md", "--db", &db]).0
    };
    assert!(md.contains("## Background (seen while idle)"), "{md}");
    assert!(
        md.contains("before the visit: first seen before the visit mark"),
        "{md}"
    );
}

#[test]
fn bad_baselines_are_refused_with_a_clear_error() {
    let db = Db::new("bad");
    let (idle, visit) = (idle_capture("chromium"), &visits("chromium")[0]);
    let path = db.path();
    let lab = lab_site_args();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "replay",
            visit.path.to_str().unwrap(),
            "--label",
            "t",
            "--db",
            &path,
        ];
        args.extend(lab.iter().map(String::as_str));
        args.extend_from_slice(extra);
        sporfri(&args)
    };
    // No database session 9.
    record(
        &db,
        &idle.path,
        "idle elsewhere",
        &["--baseline", "--device", "02:00:00:00:00:99"],
    );
    let out = run(&["--against", "9"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("no session 9 (see `sporfri sessions list`)"),
        "{err}"
    );
    let out = sporfri(&["sessions", "baseline", "9", "--db", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("no session 9 (see `sporfri sessions list`)"),
        "{err}"
    );
    // Not a baseline.
    record(&db, &visit.path, "a test", &["--no-baseline"]);
    let err = String::from_utf8_lossy(&run(&["--against", "2"]).stderr).into_owned();
    assert!(err.contains("session 2 is not an idle baseline"), "{err}");
    // Another device: refused before recording with --device, after it without.
    let phone = ["--device", "02:1a:b0:00:00:10"];
    let out = run(&[&["--against", "1"][..], &phone[..]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("was recorded on 02:00:00:00:00:99, not on 02:1a:b0:00:00:10"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    let out = run(&["--against", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("the baseline was not applied"), "{err}");
    let out = run(&[&["--against", "1", "--force"][..], &phone[..]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (list, _) = sporfri_raw(&["sessions", "list", "--db", &path]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].contains("BASELINE"), "{list}");
    assert!(lines[1].contains("is one"), "{list}");
    assert!(lines[2].contains("none"), "{list}");
    assert!(lines.last().unwrap().contains("vs 1"), "{list}");
    let last = lines
        .last()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let r = report(&db, &last);
    assert!(
        r["caveats"]
            .to_string()
            .contains("recorded on another device and used anyway")
    );
    // Baseline options are about a recorded session.
    let out = sporfri(&["replay", visit.path.to_str().unwrap(), "--no-baseline"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_old_baseline_is_used_with_a_caveat_and_sessions_baseline_makes_one() {
    let db = Db::new("old");
    let path = db.path();
    // The Chromium visit and its idle capture, recorded as tests; the older of the two made a
    // baseline after the fact and the newer one compared with it. Which is older depends on
    // when the lab made them (the committed visit is from 27 November, its idle capture later;
    // .ci/lab's fresh ones the other way round), so the age limit is 0 days: any gap is old.
    let (visit, idle) = (&visits("chromium")[0], idle_capture("chromium"));
    record(&db, &visit.path, "visit", &["--no-baseline"]);
    record(&db, &idle.path, "idle", &["--no-baseline"]);
    let started = |id: &str| {
        report(&db, id)["session"]["started"]["utc"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (older, newer) = if started("1") < started("2") {
        ("1", &idle.path)
    } else {
        ("2", &visit.path)
    };
    let (out, _) = sporfri_raw(&["sessions", "baseline", older, "--db", &path]);
    assert!(
        out.contains(&format!(
            "session {older} is an idle baseline of 02:1a:b0:00:00:10"
        )),
        "{out}"
    );
    let contacts = record(&db, newer, "later", &["--baseline-max-age", "0"]);
    let id: u64 = older.parse().unwrap();
    assert!(
        contacts.iter().all(|c| c["baseline_id"] == id),
        "{contacts:?}"
    );
    let r = report(&db, "3");
    assert_eq!(r["session"]["against"]["choice"], "latest");
    assert_eq!(r["session"]["against"]["baseline"]["id"], id);
    let text = r["session"]["against_text"].as_str().unwrap();
    assert!(text.contains("older than 0 days"), "{text}");
    assert!(
        r["caveats"]
            .to_string()
            .contains("The baseline is older than 0 days"),
        "{}",
        r["caveats"]
    );
    let (show, _) = sporfri_raw(&["sessions", "show", "3", "--db", &path]);
    assert!(
        show.contains(&format!("baseline: baseline {older} ")),
        "{show}"
    );
    assert!(show.contains("(the latest of the device"), "{show}");
    // Without --baseline-max-age the limit is 7 days: the caveat comes exactly when the gap
    // between the two captures (whichever way the lab made them) is longer.
    record(&db, newer, "later, default age", &[]);
    let r = report(&db, "4");
    assert_eq!(r["session"]["against"]["max_age_days"], 7);
    let text = r["session"]["against_text"].as_str().unwrap();
    let days: f64 = text
        .split(" days old")
        .next()
        .filter(|_| text.contains(" days old"))
        .and_then(|t| t.rsplit(' ').next())
        .map_or(0.0, |d| d.parse().unwrap());
    assert_eq!(text.contains("older than 7 days"), days > 7.0, "{text}");
    assert_eq!(
        r["caveats"]
            .to_string()
            .contains("The baseline is older than 7 days"),
        days > 7.0,
        "{text}"
    );
    let (out, _) = sporfri_raw(&["sessions", "baseline", older, "--off", "--db", &path]);
    assert!(out.contains("no longer a baseline"), "{out}");
}

/// `sessions import` of a test session: its baseline imported before it is found by identity
/// (label, first packet, capture SHA-256) and named by its new id; without it, the contacts
/// keep what the baseline said, and every output names the source database's baseline, never
/// this database's session of the same number.
#[test]
fn an_imported_session_names_its_baseline_by_its_id_here_or_as_the_source_databases() {
    let src = Db::new("import-src");
    let (idle, visit) = (idle_capture("chromium"), &visits("chromium")[0]);
    record(&src, &idle.path, "idle", &["--baseline"]);
    record(&src, &visit.path, "visit", &[]);
    let bundle = |id: &str| {
        let file = src.0.join(format!("{id}.bundle"));
        let (db, f) = (src.path(), file.to_str().unwrap().to_owned());
        sporfri_raw(&["sessions", "export", id, "--bundle", &f, "--db", &db]);
        f
    };
    let (idle_bundle, visit_bundle) = (bundle("1"), bundle("2"));
    let import = |db: &Db, file: &str| {
        let out = sporfri(&["sessions", "import", file, "--db", &db.path()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let rows = |db: &Db, id: &str| -> Vec<Value> {
        let (jsonl, _) = sporfri_raw(&["sessions", "export", id, "--db", &db.path()]);
        jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    // Without its baseline, into a database whose session 1 is another recording.
    let alone = Db::new("import-alone");
    record(&alone, &visit.path, "local", &["--no-baseline"]);
    let err = import(&alone, &visit_bundle);
    assert!(
        err.contains("baseline #1 \"idle\" of the source database"),
        "{err}"
    );
    let (show, _) = sporfri_raw(&["sessions", "show", "2", "--db", &alone.path()]);
    assert!(
        show.contains(
            "baseline: baseline #1 \"idle\" of the source database, not in this database"
        ),
        "{show}"
    );
    let (list, _) = sporfri_raw(&["sessions", "list", "--db", &alone.path()]);
    assert!(list.lines().last().unwrap().contains("vs src#1"), "{list}");
    let contacts = rows(&alone, "2");
    let idle_names: Vec<_> = contacts
        .iter()
        .filter(|c| c["in_baseline"] == true)
        .collect();
    assert!(!idle_names.is_empty(), "the baseline's facts are kept");
    for c in &contacts {
        assert_eq!(c["baseline_id"], Value::Null, "{c}");
        assert_eq!(c["source_baseline_id"], 1, "{c}");
    }
    let r = report(&alone, "2");
    let text = r["session"]["against_text"].as_str().unwrap();
    assert!(
        text.contains("of the source database, not in this database"),
        "{text}"
    );
    assert!(!r["background"].as_array().unwrap().is_empty());
    let md = sporfri_raw(&["report", "2", "--format", "md", "--db", &alone.path()]).0;
    assert!(!md.contains("(baseline 1)"), "{md}");
    // Its baseline imported later (as session 3) is linked to it.
    import(&alone, &idle_bundle);
    let (show, _) = sporfri_raw(&["sessions", "show", "2", "--db", &alone.path()]);
    assert!(
        show.contains("baseline: baseline 3 \"idle\" (the latest"),
        "{show}"
    );
    assert!(rows(&alone, "2").iter().all(|c| c["baseline_id"] == 3));

    // With the baseline imported first (as session 2 there).
    let both = Db::new("import-both");
    record(&both, &visit.path, "local", &["--no-baseline"]);
    import(&both, &idle_bundle);
    let err = import(&both, &visit_bundle);
    assert!(
        err.contains("compared with baseline 2 \"idle\" of this database"),
        "{err}"
    );
    let (show, _) = sporfri_raw(&["sessions", "show", "3", "--db", &both.path()]);
    assert!(
        show.contains("baseline: baseline 2 \"idle\" (the latest"),
        "{show}"
    );
    let contacts = rows(&both, "3");
    assert!(
        contacts.iter().all(|c| c["baseline_id"] == 2),
        "{contacts:?}"
    );
    assert_eq!(
        contacts.iter().filter(|c| c["in_baseline"] == true).count(),
        idle_names.len()
    );
}
