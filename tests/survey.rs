//! `sporfri survey` and session bundles end to end, on sessions recorded from the real lab
//! captures: every survey row says what `sporfri report` says of that session, bundles carry a
//! session to another database unchanged, and damaged or newer bundles import nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

mod common;
use common::sporfri;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run sporfri from the project root; (exit code, stdout, stderr).
fn ok(args: &[&str]) -> String {
    let (code, out, err) = sporfri(args);
    assert_eq!(code, 0, "sporfri {args:?}: {err}");
    out
}

/// A scratch directory for one test, removed by [`Scratch`]'s drop.
/// A test's own directory (`tests/common`'s guard: removed on drop, also when the test fails).
struct Scratch(common::Scratch);

impl Scratch {
    fn new(name: &str) -> Scratch {
        Scratch(common::scratch(&format!("survey-{name}")))
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

const LAB: &[&str] = &[
    "--signatures",
    "tests/lab/signatures",
    "--site",
    "borger.test",
];

fn record(db: &str, file: &str, label: &str, extra: &[&str]) {
    let mut args = vec![
        "replay", file, "--format", "jsonl", "--label", label, "--db", db,
    ];
    args.extend_from_slice(extra);
    ok(&args);
}

/// Four sessions: the lab portal's home page with "reject" and with "accept" (lab signatures,
/// site profile borger.test), the blocking-resolver variant, and a mixed trace without a site
/// profile, recorded with the built-in signatures only (another signature set).
fn four_sessions(db: &str) {
    let reject = [
        LAB,
        &[
            "--mark",
            "page@0.2s=home",
            "--mark",
            "consent-rejected@1.25s",
        ],
    ]
    .concat();
    record(
        db,
        "captures/lab-borger-home.pcapng",
        "borger.test home, reject",
        &reject,
    );
    let accept = [LAB, &["--mark", "consent-accepted@1.25s"]].concat();
    record(
        db,
        "captures/lab-borger-home.pcapng",
        "borger.test home, accept",
        &accept,
    );
    let blocked = [LAB, &["--mark", "consent-rejected@1.25s"]].concat();
    record(
        db,
        "captures/lab-borger-home-pihole.pcapng",
        "borger.test blocked, reject",
        &blocked,
    );
    record(db, "captures/zeek-mix.pcapng", "zeek mix", &[]);
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn survey(db: &str, extra: &[&str]) -> Value {
    let mut args = vec!["survey", "--format", "json", "--db", db];
    args.extend_from_slice(extra);
    json(&ok(&args))
}

/// The organisation as the report's tables name it.
fn org_label(org: &Value, name: &Value) -> String {
    let name = name.as_str().unwrap();
    match org.as_str() {
        Some(o) => o.to_owned(),
        None => format!(
            "unknown organisation ({})",
            sporfri::attribute::name::registrable(name).unwrap_or(name)
        ),
    }
}

/// What a report says of each finding: (key, status, cited count, organisations).
fn report_findings(report: &Value) -> Vec<(String, String, usize, usize)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let key = f["key"].as_str().unwrap().to_owned();
            let cookies = key.starts_with("cookies-");
            let list = if cookies { &f["cookies"] } else { &f["items"] };
            let list = list.as_array().unwrap();
            let name = if cookies { "host" } else { "name" };
            let orgs: BTreeSet<String> = list
                .iter()
                .map(|i| org_label(&i["org"], &i[name]))
                .collect();
            (
                key,
                f["status"].as_str().unwrap().to_owned(),
                list.len(),
                orgs.len(),
            )
        })
        .collect()
}

#[test]
fn every_row_says_what_the_sessions_report_says() {
    let dir = Scratch::new("agree");
    let db = dir.path("db");
    four_sessions(&db);
    let reports = dir.path("reports");
    let out = dir.path("out/survey.html");
    std::fs::create_dir_all(dir.0.join("out")).unwrap();
    ok(&["survey", "--db", &db, "--reports", &reports, "-o", &out]);
    let s = survey(&db, &[]);
    let rows = s["sessions"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        let id = row["session"].to_string();
        let report = json(&ok(&["report", &id, "--format", "json", "--db", &db]));
        let want = report_findings(&report);
        let got: Vec<(String, String, usize, usize)> = row["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let key = f["key"].as_str().unwrap().to_owned();
                let status = f["status"].as_str().unwrap().to_owned();
                (
                    key,
                    status,
                    f["count"].as_u64().unwrap() as usize,
                    f["organisations"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(got, want, "session {id}");
        assert_eq!(row["tracking_free"], report["summary"]["tracking_free"]);
        assert_eq!(row["headline"], report["summary"]["headline"]);
        assert_eq!(row["site"], report["session"]["site"]);
        assert_eq!(row["date"], report["session"]["started"]);
        // The third parties are the report's third-party organisations, with their categories.
        let theirs: BTreeMap<String, Value> = report["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["party"] == "third")
            .map(|o| {
                (
                    o["label"].as_str().unwrap().to_owned(),
                    o["categories"].clone(),
                )
            })
            .collect();
        let ours: BTreeMap<String, Value> = row["third_parties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["label"].as_str().unwrap().to_owned(),
                    o["categories"].clone(),
                )
            })
            .collect();
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>()
        );
        for (label, cats) in &ours {
            let mut a: Vec<String> = cats
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.to_string())
                .collect();
            let mut b: Vec<String> = theirs[label]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.to_string())
                .collect();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{label} in session {id}");
        }
        // The linked report is the report, byte for byte.
        let html = ok(&["report", &id, "--db", &db]);
        let file = std::fs::read_to_string(format!("{reports}/session-{id}.html")).unwrap();
        assert!(
            file == html,
            "the report written for session {id} is not `sporfri report`'s"
        );
    }
    let page = std::fs::read_to_string(&out).unwrap();
    for id in 1..=4 {
        assert!(
            page.contains(&format!(
                "<a href=\"../reports/session-{id}.html\">{id}</a>"
            )),
            "link {id}"
        );
    }
    // The home page: the reject session's after-reject finding is observed, the accept
    // session's is not applicable.
    let by_label = |l: &str| rows.iter().find(|r| r["label"] == l).unwrap();
    let f2 = |r: &Value| r["findings"][1]["status"].as_str().unwrap().to_owned();
    assert_eq!(f2(by_label("borger.test home, reject")), "observed");
    assert_eq!(f2(by_label("borger.test home, accept")), "not-applicable");
}

#[test]
fn the_matrix_marks_phases_per_service_and_rows_name_their_signature_set() {
    let dir = Scratch::new("matrix");
    let db = dir.path("db");
    four_sessions(&db);
    let s = survey(&db, &[]);
    let services: Vec<&str> = s["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["borger.test", "(no site profile)"]);
    let borger = &s["services"][0];
    assert_eq!(borger["sessions"].as_array().unwrap().len(), 3);
    let cell = |org: &str| {
        borger["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["organisation"] == org)
            .cloned()
    };
    // Meta's pixel fires after "accept" in one session and after "reject" in another.
    let meta = cell("Meta Platforms, Inc.").unwrap();
    assert!(meta["marks"].as_str().unwrap().contains('A'), "{meta}");
    assert!(meta["marks"].as_str().unwrap().contains('R'), "{meta}");
    // The per-service summary counts sessions per finding.
    let f2 = &borger["findings"][1];
    assert_eq!(
        (f2["key"].as_str(), f2["applicable"].as_u64()),
        (Some("after-reject"), Some(2))
    );
    // Lab sessions were attributed with the lab's directory on top of the built-in set, the
    // mixed trace with the built-in set alone: two sets, the minority's row marked.
    let sets = s["signature_sets"].as_array().unwrap();
    assert_eq!(sets.len(), 2, "{sets:?}");
    let rows = s["sessions"].as_array().unwrap();
    let zeek = rows.iter().find(|r| r["label"] == "zeek mix").unwrap();
    assert_eq!(zeek["signatures"]["differs"], true);
    assert!(
        rows.iter()
            .filter(|r| r["label"] != "zeek mix")
            .all(|r| r["signatures"]["differs"] == false)
    );
    assert!(
        s["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("2 different signature sets"))
    );
    let html = ok(&["survey", "--db", &db]);
    assert!(html.contains("other signature set"));
    assert!(html.contains("data-org=\"Meta Platforms, Inc.\""));
    assert!(!html.contains("<script"));
}

#[test]
fn the_long_csv_has_every_contact_with_the_findings_that_cite_it() {
    let dir = Scratch::new("csv");
    let db = dir.path("db");
    four_sessions(&db);
    let csv = ok(&["survey", "--format", "csv", "--db", &db]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    // The issue's columns, in its order, then the rest.
    assert_eq!(
        &header[..12],
        [
            "session",
            "site",
            "label",
            "phase",
            "org",
            "service",
            "category",
            "name",
            "first_seen",
            "blocked",
            "in_baseline",
            "evidence_count"
        ]
    );
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let rows: Vec<Vec<String>> = lines.map(split_csv).collect();
    for id in 1..=4u64 {
        // The report's CSV cites the same findings for each contact.
        let report = ok(&["report", &id.to_string(), "--format", "csv", "--db", &db]);
        let mut rl = report.lines();
        let rh: Vec<&str> = rl.next().unwrap().split(',').collect();
        let (rn, rd, rf) = (
            rh.iter().position(|h| *h == "name").unwrap(),
            rh.iter().position(|h| *h == "device").unwrap(),
            rh.iter().position(|h| *h == "findings").unwrap(),
        );
        let want: BTreeSet<(String, String, String)> = rl
            .map(split_csv)
            .map(|r| (r[rd].clone(), r[rn].clone(), r[rf].clone()))
            .collect();
        let got: BTreeSet<(String, String, String)> = rows
            .iter()
            .filter(|r| r[0] == id.to_string())
            .map(|r| {
                (
                    r[col("device")].clone(),
                    r[col("name")].clone(),
                    r[col("findings")].clone(),
                )
            })
            .collect();
        assert_eq!(got, want, "session {id}");
    }
    // The blocking resolver's attempts are marked.
    assert!(
        rows.iter()
            .any(|r| r[2] == "borger.test blocked, reject" && !r[col("blocked")].is_empty())
    );
}

/// The third-party organisations a report counts (its `organisations` table).
fn counted_orgs(report: &Value) -> BTreeSet<String> {
    report["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["party"] == "third")
        .map(|o| o["label"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn rows_name_their_baseline_and_count_nothing_it_saw() {
    let dir = Scratch::new("baseline");
    let (a, b) = (dir.path("appliance"), dir.path("evaluator"));
    // A baseline recorded with the portal left open saw its trackers: the reject session
    // compared with it (the device's latest baseline) lists them apart as background.
    let home = "captures/lab-borger-home.pcapng";
    record(
        &a,
        home,
        "idle, portal left open",
        &[LAB, &["--baseline"]].concat(),
    );
    let reject = [LAB, &["--mark", "consent-rejected@1.25s"]].concat();
    record(&a, home, "home, reject", &reject);
    let report = json(&ok(&["report", "2", "--format", "json", "--db", &a]));
    let apart = report["summary"]["background_third_party_contacts"]
        .as_u64()
        .unwrap();
    assert!(apart > 0, "the baseline set no third party apart");
    let s = survey(&a, &["--sessions", "2"]);
    assert_eq!(s["survey_version"], 2);
    let row = &s["sessions"][0];
    assert_eq!(row["baseline"]["id"], 1);
    assert_eq!(row["baseline"]["text"], "1 \"idle, portal left open\"");
    assert_eq!(row["baseline"]["background_third_parties"], apart);
    // Findings and third parties as the report counts them: none of what the baseline saw.
    let findings: Vec<u64> = row["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = report_findings(&report)
        .into_iter()
        .map(|f| f.2 as u64)
        .collect();
    assert_eq!(findings, want);
    assert_eq!(
        &findings[..3],
        [0, 0, 0],
        "findings 1 to 3 count a background contact"
    );
    let ours: BTreeSet<String> = row["third_parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["label"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ours, counted_orgs(&report));
    assert!(s["services"][0]["cells"].as_array().unwrap().is_empty());
    // The long CSV keeps every contact and says which are background.
    let csv = ok(&["survey", "--format", "csv", "--sessions", "2", "--db", &a]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let rows: Vec<Vec<String>> = lines.map(split_csv).collect();
    let mut background = 0;
    for r in rows.iter().filter(|r| r[col("party")] == "third") {
        if r[col("background")] == "seen-while-idle" {
            background += 1;
            assert_eq!(r[col("in_baseline")], "true");
            let cited: Vec<&str> = r[col("findings")].split(' ').collect();
            assert!(
                !cited.iter().any(|f| ["1", "2", "3"].contains(f)),
                "{} is background but cited by findings {cited:?}",
                r[col("name")]
            );
        }
    }
    assert_eq!(background, apart);
    assert!(
        rows.iter()
            .all(|r| r[col("baseline")] == "1 \"idle, portal left open\"")
    );
    // A baseline records a device at rest, not a service: no row unless asked for or named.
    let all = survey(&a, &[]);
    let ids: Vec<&Value> = all["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["session"])
        .collect();
    assert_eq!(ids, [&Value::from(2)], "a baseline became a survey row");
    assert!(
        all["selection"]
            .to_string()
            .contains("1 idle baseline left out"),
        "{}",
        all["selection"]
    );
    let both = survey(&a, &["--with-baselines"]);
    assert_eq!(both["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(both["sessions"][0]["baseline"]["is_baseline"], true);
    // Imported without its baseline: said to be elsewhere; with it: found under its number here.
    let _ = plain_bundle(&a, "2", &dir.path("s2.bundle"));
    ok(&["sessions", "import", &dir.path("s2.bundle"), "--db", &b]);
    let row = &survey(&b, &[])["sessions"][0];
    assert_eq!(row["baseline"]["elsewhere"], true);
    assert_eq!(
        row["baseline"]["text"],
        "\"idle, portal left open\" (session 1 where recorded; not in this database)"
    );
    let notes = survey(&b, &[])["notes"].to_string();
    assert!(
        notes.contains("1 session was compared with an idle baseline that is not in this database"),
        "{notes}"
    );
    let _ = plain_bundle(&a, "1", &dir.path("s1.bundle"));
    ok(&["sessions", "import", &dir.path("s1.bundle"), "--db", &b]);
    let s = survey(&b, &["--sessions", "1"]);
    assert_eq!(s["sessions"][0]["baseline"]["id"], 2);
    assert_eq!(s["sessions"][0]["baseline"]["elsewhere"], false);
    let md = ok(&["survey", "--format", "md", "--sessions", "1", "--db", &b]);
    assert!(md.contains("2 \"idle, portal left open\"; "), "{md}");
    let html = ok(&["survey", "--sessions", "1", "--db", &b]);
    assert!(
        html.contains("data-baseline=\"2\" data-elsewhere=\"false\""),
        "{html}"
    );
}

/// RFC 4180 fields of one line.
fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[test]
fn sessions_are_chosen_by_number_label_or_date() {
    let dir = Scratch::new("select");
    let db = dir.path("db");
    four_sessions(&db);
    let ids = |s: &Value| -> Vec<u64> {
        let mut v: Vec<u64> = s["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["session"].as_u64().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&survey(&db, &["--sessions", "1,3-4"])), [1, 3, 4]);
    assert_eq!(ids(&survey(&db, &["--label", "*reject"])), [1, 3]);
    assert_eq!(ids(&survey(&db, &["--label", "borger.test home*"])), [1, 2]);
    // The lab captures are from November 2026, the mixed trace from years before.
    assert_eq!(ids(&survey(&db, &["--since", "2026-11-01"])), [1, 2, 3]);
    let (code, _, err) = sporfri(&["survey", "--db", &db, "--since", "2030-01-01"]);
    assert_eq!(code, 1);
    assert!(err.contains("no session to survey"), "{err}");
    let (code, _, err) = sporfri(&["survey", "--db", &db, "--sessions", "9"]);
    assert_eq!(code, 1);
    assert!(err.contains("no session 9"), "{err}");
    let (code, _, _) = sporfri(&["survey", "--db", &db, "--sessions", "1", "--label", "x"]);
    assert_eq!(code, 2);
    let (code, _, err) = sporfri(&["survey", "--db", &db, "--sessions", "x"]);
    assert_eq!(code, 2, "{err}");
}

/// The bundle of session `id` of `db`, as plain JSON lines.
fn plain_bundle(db: &str, id: &str, file: &str) -> String {
    ok(&["sessions", "export", id, "--bundle", file, "--db", db]);
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn bundles_carry_sessions_to_one_database_and_the_survey_there_is_the_same() {
    let dir = Scratch::new("travel");
    let (a, b) = (dir.path("appliance"), dir.path("evaluator"));
    four_sessions(&a);
    // The evaluator's database already has a session of its own.
    record(&b, "captures/zeek-mix.pcapng", "evaluator's own", &[]);
    for id in ["1", "2", "3"] {
        let file = dir.path(&format!("s{id}.bundle"));
        ok(&["sessions", "export", id, "--bundle", &file, "--db", &a]);
        let out = ok(&["sessions", "import", &file, "--db", &b]);
        assert!(out.starts_with("imported session "), "{out}");
    }
    let list = ok(&["sessions", "list", "--format", "jsonl", "--db", &b]);
    let sessions: Vec<Value> = list.lines().map(json).collect();
    assert_eq!(sessions.len(), 4);
    assert_eq!(sessions[0]["label"], "evaluator's own");
    assert_eq!(sessions[1]["imported"]["original_id"], 1);
    let show = ok(&["sessions", "show", "2", "--db", &b]);
    assert!(
        show.contains("  imported: ") && show.contains("(session 1 there"),
        "{show}"
    );
    // The survey of the imported sessions is the appliance's, but for session numbers.
    let strip = |mut v: Value| {
        for r in v["sessions"].as_array_mut().unwrap() {
            r["session"] = Value::Null;
            r["imported"] = Value::Null;
        }
        for s in v["services"].as_array_mut().unwrap() {
            s["sessions"] = Value::Null;
        }
        for s in v["signature_sets"].as_array_mut().unwrap() {
            s["sessions"] = Value::Null;
        }
        v["selection"] = Value::Null;
        v
    };
    let there = strip(survey(&a, &["--sessions", "1-3"]));
    let here = strip(survey(&b, &["--sessions", "2-4"]));
    assert_eq!(there, here);
    // A report made from the import is the appliance's report.
    let r1 = json(&ok(&["report", "1", "--format", "json", "--db", &a]));
    let r2 = json(&ok(&["report", "2", "--format", "json", "--db", &b]));
    assert_eq!(r1["findings"], r2["findings"].clone());
    assert_eq!(r1["meta"], r2["meta"]);
    // Imported twice: refused, nothing added; with --again it is another session.
    let file = dir.path("s1.bundle");
    let (code, _, err) = sporfri(&["sessions", "import", &file, "--db", &b]);
    assert_eq!(code, 1);
    assert!(
        err.contains("same recording")
            && err.contains("--again")
            && err.contains("nothing was imported"),
        "{err}"
    );
    let out = ok(&["sessions", "import", &file, "--db", &b, "--again"]);
    assert!(out.starts_with("imported session 5 "), "{out}");
}

#[test]
fn a_damaged_or_newer_bundle_imports_nothing_and_says_where() {
    let dir = Scratch::new("damaged");
    let (a, b) = (dir.path("appliance"), dir.path("evaluator"));
    four_sessions(&a);
    record(&b, "captures/zeek-mix.pcapng", "evaluator's own", &[]);
    let before = ok(&["sessions", "list", "--format", "jsonl", "--db", &b]);
    let file = dir.path("s1.bundle");
    let text = plain_bundle(&a, "1", &file);
    let gz = std::fs::read(&file).unwrap();
    let write_gz = |name: &str, text: &str| {
        let path = dir.path(name);
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap();
        path
    };
    let import = |path: &str| sporfri(&["sessions", "import", path, "--db", &b]);
    // Cut in half: where the stream broke.
    let cut = dir.path("cut.bundle");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let (code, _, err) = import(&cut);
    assert_eq!(code, 1);
    assert!(
        err.contains("nothing was imported") && err.contains("line "),
        "{err}"
    );
    // A contact line changed: the checksum names the end line.
    let n = text.lines().count();
    let changed = text.replacen(
        "\"kind\":\"contact\",\"contact\":{\"session\":1,\"phase\":\"before-consent\"",
        "\"kind\":\"contact\",\"contact\":{\"session\":1,\"phase\":\"consent-accepted\"",
        1,
    );
    assert_ne!(changed, text);
    let (code, _, err) = import(&write_gz("changed.bundle", &changed));
    assert_eq!(code, 1);
    assert!(err.contains(&format!("line {n}: the checksum")), "{err}");
    // Lines lost at the end: no end line.
    let short: String = text.lines().take(n - 3).map(|l| format!("{l}\n")).collect();
    let (code, _, err) = import(&write_gz("short.bundle", &short));
    assert_eq!(code, 1);
    assert!(err.contains(&format!("ends after line {}", n - 3)), "{err}");
    // A newer schema: refused with the version it needs.
    let newer = text.replacen("\"schema\":", "\"schema\":99,\"was\":", 1);
    let (code, _, err) = import(&write_gz("newer.bundle", &newer));
    assert_eq!(code, 1);
    assert!(
        err.contains("store schema 99") && err.contains("or newer"),
        "{err}"
    );
    // Not a bundle at all.
    let (code, _, err) = import("captures/zeek-mix.pcapng");
    assert_eq!(code, 1);
    assert!(err.contains("not a sporfri session bundle"), "{err}");
    assert_eq!(
        ok(&["sessions", "list", "--format", "jsonl", "--db", &b]),
        before
    );
    // Into a database that does not exist yet: a damaged bundle creates none.
    let fresh = dir.path("fresh");
    let (code, _, _) = sporfri(&["sessions", "import", &cut, "--db", &fresh]);
    assert_eq!(code, 1);
    assert!(!Path::new(&fresh).exists());
    ok(&["sessions", "import", &file, "--db", &fresh]);
}

#[test]
fn the_readme_shows_the_matrix_query_and_duckdb_script_ci_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let sql = std::fs::read_to_string(root().join("tests/tools/survey-matrix.sql")).unwrap();
    assert!(
        readme.contains(&format!("```sql\n{sql}```")),
        "README.md must quote tests/tools/survey-matrix.sql as it is"
    );
    let duckdb =
        std::fs::read_to_string(root().join("tests/tools/survey-matrix-duckdb.py")).unwrap();
    assert!(
        readme.contains(&format!("```python\n{duckdb}```")),
        "README.md must quote tests/tools/survey-matrix-duckdb.py as it is"
    );
    assert!(duckdb.contains("survey-matrix.sql"));
    let ci = std::fs::read_to_string(root().join(".ci/survey")).unwrap();
    assert!(ci.contains("tests/tools/survey-matrix.sql"));
    assert!(ci.contains("tests/tools/survey-matrix-duckdb.py"));
    let run = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(run.contains("bash .ci/survey"));
}
