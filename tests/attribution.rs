//! A report stands on its own: a session stores what it was attributed with (the built-in set's
//! hash, a copy of every `--signatures` directory, the site profile), so `report` gives the same
//! findings when the directory is gone; `--reattribute` uses today's signatures and says so; and
//! `replay` and the report of the same capture agree.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::sporfri;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn home() -> String {
    root()
        .join("captures/lab-borger-home.pcapng")
        .display()
        .to_string()
}

/// A fresh directory for one test, removed on drop.
fn scratch(name: &str) -> common::Scratch {
    common::scratch(&format!("attribution-{name}"))
}

/// A copy of the lab's signature directory (the borger.test site profile) at `dir`.
fn copy_lab_signatures(dir: &Path) {
    let from = root().join("tests/lab/signatures");
    for sub in ["orgs", "sites"] {
        let Ok(entries) = std::fs::read_dir(from.join(sub)) else {
            continue;
        };
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for e in entries.flatten() {
            std::fs::copy(e.path(), dir.join(sub).join(e.file_name())).unwrap();
        }
    }
}

fn ok(args: &[&str]) -> (String, String) {
    let (code, out, err) = sporfri(args);
    assert_eq!(code, 0, "sporfri {args:?}: {err}");
    (out, err)
}

fn json_report(db: &Path, extra: &[&str]) -> (Value, String) {
    let mut args = vec![
        "report",
        "1",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (out, err) = ok(&args);
    (serde_json::from_str(&out).unwrap(), err)
}

/// Record the home capture with the lab's signatures from `sigs` and a reject mark.
fn record(db: &Path, sigs: &Path) -> Vec<Value> {
    let (out, _) = ok(&[
        "replay",
        &home(),
        "--format",
        "jsonl",
        "--label",
        "home, reject",
        "--db",
        db.to_str().unwrap(),
        "--signatures",
        sigs.to_str().unwrap(),
        "--site",
        "borger.test",
        "--mark",
        "consent-rejected@1.25s",
    ]);
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// What the findings say: per finding, its status and the names cited.
fn findings(r: &Value) -> Vec<(String, String, Vec<String>)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let names = f["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_owned())
                .collect();
            (
                f["key"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
                names,
            )
        })
        .collect()
}

#[test]
fn a_report_gives_the_same_findings_when_the_signature_directory_is_gone() {
    let dir = scratch("gone");
    let db = dir.join("db");
    let sigs = dir.join("lab");
    copy_lab_signatures(&sigs);
    record(&db, &sigs);
    let (before, err) = json_report(&db, &[]);
    assert!(!err.contains("site profile not loaded"), "{err}");
    std::fs::rename(&sigs, dir.join("moved")).unwrap();
    let (after, err) = json_report(&db, &[]);
    assert!(!err.contains("not loaded"), "{err}");
    assert_eq!(findings(&after), findings(&before));
    assert_eq!(after["summary"], before["summary"]);
    assert_eq!(after["contacts"], before["contacts"]);
    assert_eq!(after["site"], before["site"]);
    assert_eq!(
        after["site"]["name"], "borger.test",
        "the stored site profile"
    );
    // Finding 3 needs the site profile's declarations: it reads them from the session.
    assert_eq!(findings(&after)[2].1, "observed");
    let sig = &after["meta"]["signatures"];
    assert_eq!(sig["attribution"], "recorded");
    assert_eq!(
        sig["builtin"]["sha256"],
        sporfri::report::builtin_signatures().sha256
    );
    assert_eq!(sig["extra"][0]["label"], sigs.display().to_string());
    assert_eq!(sig["site"]["name"], "borger.test");
    assert_eq!(sig["site"]["sha256"].as_str().unwrap().len(), 64);
    let md = ok(&[
        "report",
        "1",
        "--format",
        "md",
        "--db",
        db.to_str().unwrap(),
    ])
    .0;
    assert!(
        md.contains("- attribution: as recorded: builtin sha256 "),
        "{md}"
    );
}

#[test]
fn reattribute_uses_todays_signatures_and_says_so() {
    let dir = scratch("reattribute");
    let db = dir.join("db");
    let sigs = dir.join("lab");
    copy_lab_signatures(&sigs);
    record(&db, &sigs);
    let (recorded, _) = json_report(&db, &[]);
    std::fs::rename(&sigs, dir.join("moved")).unwrap();
    // Today's built-in set with the session's stored copy of the directory.
    let (again, err) = json_report(&db, &["--reattribute"]);
    assert!(
        err.contains("re-attributed with this sporfri's signatures"),
        "{err}"
    );
    let sig = &again["meta"]["signatures"];
    assert_eq!(sig["attribution"], "reattributed");
    assert!(
        sig["extra"][0]["label"]
            .as_str()
            .unwrap()
            .ends_with("(stored copy)")
    );
    assert_eq!(
        again["meta"]["recorded_signatures"],
        recorded["meta"]["signatures"]
    );
    assert!(
        again["caveats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("--reattribute"))
    );
    // The same signatures attribute the same way.
    assert_eq!(findings(&again), findings(&recorded));
    // Without the site profile's directory (no stored copy asked for), it says what to give.
    let (code, _, err) = sporfri(&[
        "report",
        "1",
        "--db",
        db.to_str().unwrap(),
        "--reattribute",
        "--signatures",
        root().join("signatures").to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("--signatures"), "{err}");
}

#[test]
fn replay_and_the_report_of_its_session_agree() {
    let dir = scratch("agree");
    let db = dir.join("db");
    let sigs = root().join("tests/lab/signatures");
    let replayed = record(&db, &sigs);
    let (report, _) = json_report(&db, &[]);
    let key = |c: &Value| {
        (
            c["device"].as_str().unwrap().to_owned(),
            c["name"].as_str().unwrap().to_owned(),
            c["party"].as_str().unwrap().to_owned(),
            c["org"].as_str().map(str::to_owned),
            c["category"].as_str().map(str::to_owned),
        )
    };
    let a: BTreeSet<_> = replayed.iter().map(key).collect();
    let b: BTreeSet<_> = report["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    assert_eq!(a, b);
    assert!(a.iter().any(|k| k.2 == "third") && a.iter().any(|k| k.2 == "first"));
    // A replay that records nothing says the same.
    let (out, _) = ok(&[
        "replay",
        &home(),
        "--format",
        "jsonl",
        "--signatures",
        sigs.to_str().unwrap(),
        "--site",
        "borger.test",
    ]);
    let plain: BTreeSet<_> = out
        .lines()
        .map(|l| key(&serde_json::from_str(l).unwrap()))
        .collect();
    assert_eq!(plain, a);
}

/// A session recorded before sessions stored their signatures (written here without them, as
/// an older sporfri did): the report says so and loads the site profile from --signatures.
#[test]
fn a_session_without_stored_signatures_is_reported_as_such() {
    use sporfri::session::{Batch, Session, Source};
    let dir = scratch("old");
    let db = dir.join("db");
    {
        let mut store = sporfri::store::Store::open(&db).unwrap();
        let source = Source::Interface {
            name: "wlan0".into(),
        };
        let s = store
            .create_session(Session::new("old", Some("borger.test"), source))
            .unwrap();
        store
            .write(&Batch {
                session: s,
                contacts: vec![],
                requests: vec![],
                signatures: None,
                durable: true,
            })
            .unwrap();
    }
    let lab = root().join("tests/lab/signatures");
    let (r, err) = json_report(&db, &["--signatures", lab.to_str().unwrap()]);
    assert!(err.contains("did not store its signatures"), "{err}");
    assert_eq!(r["meta"]["signatures"]["attribution"], "not-stored");
    assert_eq!(r["site"]["name"], "borger.test");
    let (r, err) = json_report(&db, &[]);
    assert!(err.contains("site profile not loaded"), "{err}");
    assert!(r["site"].is_null());
}
