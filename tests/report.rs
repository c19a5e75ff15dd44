//! `sporfri report` and `sporfri diff` on sessions recorded from the real lab captures: the
//! JSON is compared exactly with golden files (set UPDATE_GOLDEN=1 to rewrite them after a
//! deliberate change), the HTML is parsed for the verdict and tables.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run sporfri from the project root, so capture paths in the sessions are relative and stable.
fn run(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .current_dir(root())
        .env("SPORFRI_SIGNATURES_OVERLAY", "/nonexistent/sporfri-overlay")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sporfri {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn db(name: &str) -> Scratch {
    scratch(&format!("report-{name}")).at("db")
}

const LAB: &[&str] = &[
    "--signatures",
    "tests/lab/signatures",
    "--site",
    "borger.test",
];

fn record(db: &Path, file: &str, label: &str, extra: &[&str]) {
    let mut args = vec![
        "replay", file, "--format", "jsonl", "--label", label, "--db",
    ];
    args.push(db.to_str().unwrap());
    args.extend_from_slice(extra);
    run(&args);
}

/// The report alone: the session stored the signatures it was recorded with.
fn report(db: &Path, id: &str, format: &str) -> String {
    run(&[
        "report",
        id,
        "--format",
        format,
        "--db",
        db.to_str().unwrap(),
    ])
}

/// The home capture with a page mark and "reject" at 1.25 s: comScore, Google Fonts, Cookiebot,
/// the tag manager and the Adobe beacon come before, the GA4 and Meta pixel hits after. The
/// capture carries the browser's key log: Cookiebot and Adobe set cookies before the reject,
/// GA4 and Meta after it.
fn home_reject(name: &str) -> Scratch {
    let db = db(name);
    let mut extra = LAB.to_vec();
    extra.extend_from_slice(&[
        "--mark",
        "page@0.2s=home",
        "--mark",
        "consent-rejected@1.25s",
    ]);
    record(
        &db,
        "captures/lab-borger-home.pcapng",
        "borger.test home, reject",
        &extra,
    );
    db
}

/// Replace what changes with every build (version, signature hashes) after checking it.
fn stable(mut v: Value) -> Value {
    let m = &mut v["meta"];
    assert_eq!(m["sporfri_version"], env!("CARGO_PKG_VERSION"));
    m["sporfri_version"] = "<version>".into();
    let builtin = sporfri::report::builtin_signatures();
    assert_eq!(
        m["signatures"]["builtin"]["sha256"],
        builtin.sha256.as_str()
    );
    assert_eq!(m["signatures"]["builtin"]["files"], builtin.files);
    m["signatures"]["builtin"]["sha256"] = "<sha256>".into();
    m["signatures"]["builtin"]["files"] = 0.into();
    for l in m["signatures"]["extra"].as_array_mut().unwrap() {
        assert_eq!(l["sha256"].as_str().unwrap().len(), 64);
        l["sha256"] = "<sha256>".into();
    }
    if m["signatures"]["site"].is_object() {
        assert_eq!(
            m["signatures"]["site"]["sha256"].as_str().unwrap().len(),
            64
        );
        m["signatures"]["site"]["sha256"] = "<sha256>".into();
    }
    v
}

fn golden(name: &str, actual: &Value) {
    let path = root().join("tests/golden").join(name);
    let text = serde_json::to_string_pretty(actual).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        want == text,
        "{name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)"
    );
}

#[test]
fn home_reject_json_matches_golden() {
    let db = home_reject("golden");
    let v: Value = serde_json::from_str(&report(&db, "1", "json")).unwrap();
    golden("report-lab-home-reject.json", &stable(v));
}

#[test]
fn zeek_mix_json_matches_golden_and_shows_hidden_traffic() {
    let db = db("zeek");
    record(&db, "captures/zeek-mix.pcapng", "zeek mix", &[]);
    let v: Value = serde_json::from_str(&report(&db, "1", "json")).unwrap();
    let f5 = &v["findings"][4];
    assert_eq!(f5["key"], "hidden");
    assert_eq!(f5["status"], "limits");
    let ech = f5["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "cloudflare-ech.com");
    assert!(
        ech.unwrap()["detail"]
            .as_str()
            .unwrap()
            .starts_with("hidden: ech")
    );
    assert_eq!(
        v["findings"][1]["status"], "not-applicable",
        "no reject mark"
    );
    assert_eq!(
        v["findings"][2]["status"], "not-applicable",
        "no site profile"
    );
    assert!(
        v["caveats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("hidden"))
    );
    golden("report-zeek-mix.json", &stable(v));
}

/// Every way a contact was seen has its first observation as evidence, in the JSON and in what
/// a human reads (the cloaked Adobe host once showed only its DNS queries).
#[test]
fn every_way_seen_has_its_evidence() {
    let db = home_reject("via-evidence");
    let v: Value = serde_json::from_str(&report(&db, "1", "json")).unwrap();
    let mut ways = 0;
    for f in v["findings"].as_array().unwrap() {
        for i in f["items"].as_array().unwrap() {
            let via: Vec<&Value> = i["via"].as_array().unwrap().iter().collect();
            let claims = i["via_evidence"].as_array().unwrap();
            assert_eq!(claims.len(), via.len(), "{}", i["name"]);
            for c in claims {
                ways += 1;
                let e = &c["evidence"];
                assert!(e.is_object(), "{} via {}: no evidence", i["name"], c["via"]);
                assert_eq!(e["via"], c["via"], "{}", i["name"]);
            }
        }
    }
    assert!(ways > 20, "{ways}");
    let md = report(&db, "1", "md");
    let adobe = md
        .lines()
        .find(|l| l.starts_with("| metrics.borger.test |"))
        .unwrap();
    assert!(adobe.contains("dns: 2026-"), "{adobe}");
    assert!(adobe.contains("tls: 2026-"), "{adobe}");
    assert!(adobe.contains("dns-chain"), "{adobe}");
}

/// Element names in document order, checking every non-void element is closed in order.
fn check_balanced(html: &str) {
    const VOID: [&str; 2] = ["meta", "br"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unclosed tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if tag.starts_with('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.as_str()),
                "misnested </{name}>"
            );
        } else if !self_closing && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

/// The inside of the element that starts with `open` (up to the next `</section>`).
fn section<'a>(html: &'a str, open: &str) -> &'a str {
    let at = html.find(open).unwrap_or_else(|| panic!("no {open}"));
    let body = &html[at..];
    &body[..body.find("</section>").unwrap()]
}

#[test]
fn home_reject_html_has_the_verdict_and_tables() {
    let db = home_reject("html");
    let html = report(&db, "1", "html");
    check_balanced(&html);
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains(" src="), "no external assets");
    assert!(!html.contains("href=\"http"), "no external links");
    assert!(html.contains("@media print") && html.contains("name=\"viewport\""));
    let f1 = section(
        &html,
        "<section class=\"finding\" id=\"finding-1\" data-key=\"before-consent\" data-status=\"observed\">",
    );
    assert!(f1.contains("<tr class=\"item\" data-name=\"b.scorecardresearch.com\" data-phase=\"before-consent\" data-finding=\"1\">"));
    assert!(f1.contains("Tracking categories among them: analytics, "));
    assert!(f1.contains("data-name=\"www.googletagmanager.com\" data-phase=\"before-consent\""));
    assert!(!f1.contains("data-name=\"www.facebook.com\""));
    let f2 = section(
        &html,
        "id=\"finding-2\" data-key=\"after-reject\" data-status=\"observed\"",
    );
    assert!(f2.contains("data-name=\"www.facebook.com\" data-phase=\"consent-rejected\""));
    assert!(
        f2.contains("data-name=\"region1.google-analytics.com\" data-phase=\"consent-rejected\"")
    );
    // Seen before the reject and still in use after it.
    assert!(f2.contains("data-name=\"b.scorecardresearch.com\" data-phase=\"before-consent\""));
    let f3 = section(
        &html,
        "id=\"finding-3\" data-key=\"undeclared\" data-status=\"observed\"",
    );
    assert!(f3.contains("opt-out setting or a written agreement"));
    let (undeclared, declared) = f3.split_at(f3.find("Declared in the site profile").unwrap());
    assert!(undeclared.contains("data-name=\"region1.google-analytics.com\""));
    assert!(!undeclared.contains("data-name=\"siteimproveanalytics.com\""));
    assert!(declared.contains("data-name=\"siteimproveanalytics.com\""));
    let f4 = section(
        &html,
        "id=\"finding-4\" data-key=\"cloaked\" data-status=\"observed\"",
    );
    assert!(f4.contains("data-name=\"metrics.borger.test\""));
    assert!(f4.contains("metrics.borger.test → borger.sc.omtrdc.net"));
    section(
        &html,
        "id=\"finding-5\" data-key=\"hidden\" data-status=\"limits\"",
    );
    let f6 = section(
        &html,
        "id=\"finding-6\" data-key=\"cookies-before-consent\" data-status=\"observed\"",
    );
    assert!(f6.contains("data-host=\"metrics.borger.test\" data-cookie=\"s_vi\" data-lifetime-s=\"63072000\" data-phase=\"before-consent\""));
    assert!(
        f6.contains("data-host=\"consent.cookiebot.com\" data-cookie=\"CookieConsentBulkTicket\"")
    );
    assert!(!f6.contains("data-cookie=\"fr\""));
    let f7 = section(
        &html,
        "id=\"finding-7\" data-key=\"cookies-after-reject\" data-status=\"observed\"",
    );
    assert!(f7.contains("data-host=\"www.facebook.com\" data-cookie=\"fr\" data-lifetime-s=\"7776000\" data-phase=\"consent-rejected\""));
    assert!(f7.contains(">90.00 days</td>"));
    let cr = &html[html.find("id=\"cookies-and-requests\"").unwrap()
        ..html.find("id=\"os-background\"").unwrap()];
    assert!(cr.contains("<section class=\"party-requests\" data-org=\"Meta Platforms, Inc.\">"));
    assert!(cr.contains("https://www.facebook.com/tr/?id=100000000000001&amp;ev=PageView"));
    assert!(cr.contains(">meta-pixel</td>"));
    for org in [
        "Adobe Inc.",
        "Google LLC",
        "Meta Platforms, Inc.",
        "sporfri lab",
    ] {
        assert!(
            html.contains(&format!("<tr class=\"org\" data-org=\"{org}\"")),
            "{org}"
        );
    }
    assert!(html.contains("<tr class=\"category\" data-category=\"analytics\">"));
    let os = &html[html.find("id=\"os-background\"").unwrap()..html.find("id=\"local\"").unwrap()];
    assert!(os.contains("data-name=\"clients2.google.com\""));
    assert!(
        html.contains("<svg class=\"timeline\"") && html.contains("data-kind=\"consent-rejected\"")
    );
    assert!(html.contains("4f8e3c63a03f12be1affd170e259e39cdd46470048a5e7cc7576fd5e5557dcdb"));
    assert!(
        html.contains("2026-11-27 11:03:07.448656 CET"),
        "local time of the first packet"
    );
    assert!(html.contains("data-tracking-free=\"false\""));
}

#[test]
fn md_and_csv_carry_the_findings_and_every_row() {
    let db = home_reject("md-csv");
    let md = report(&db, "1", "md");
    for h in [
        "### 1. ",
        "### 2. ",
        "### 3. ",
        "### 4. ",
        "### 5. ",
        "### 6. ",
        "### 7. ",
        "## Cookies and requests",
        "## By organisation",
        "## Background (seen while idle)",
        "## OS background traffic",
    ] {
        assert!(md.contains(h), "{h}");
    }
    let csv = report(&db, "1", "csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(
        ",evidence,in_baseline,baseline_id,before_visit,background,also_seen_while_idle,\
         source_baseline_id,findings,third_party_cookies"
    ));
    let json: Value = serde_json::from_str(&report(&db, "1", "json")).unwrap();
    assert_eq!(lines.len() - 1, json["contacts"].as_array().unwrap().len());
    let gtm = lines
        .iter()
        .find(|l| l.contains(",www.googletagmanager.com,"))
        .unwrap();
    assert!(gtm.ends_with(",1 2 3,"), "{gtm}");
    let meta = lines
        .iter()
        .find(|l| l.contains(",www.facebook.com,"))
        .unwrap();
    assert!(meta.ends_with(",2 3 7,fr=7776000"), "{meta}");
}

#[test]
fn a_first_party_only_session_is_tracking_free_and_the_label_is_escaped() {
    let mut p = Pcap::default();
    p.udp(
        0.0,
        (PHONE, 50000),
        (RESOLVER, 53),
        &dns_query(1, "www.borger.test"),
    );
    p.udp(
        0.01,
        (RESOLVER, 53),
        (PHONE, 50000),
        &dns_answer(1, "www.borger.test", None, [203, 0, 113, 5]),
    );
    let file = p.write("report-first-party.pcap");
    let db = db("free");
    let mut extra = LAB.to_vec();
    extra.extend_from_slice(&["--mark", "consent-rejected@0s"]);
    record(
        &db,
        file.to_str().unwrap(),
        "<b>label</b> & \"quotes\"",
        &extra,
    );
    let json: Value = serde_json::from_str(&report(&db, "1", "json")).unwrap();
    assert_eq!(json["summary"]["tracking_free"], true);
    assert!(
        json["summary"]["headline"]
            .as_str()
            .unwrap()
            .starts_with("Tracking-free within what the capture could see")
    );
    assert_eq!(json["findings"][0]["status"], "not-observed");
    assert_eq!(json["findings"][1]["status"], "not-observed");
    let html = report(&db, "1", "html");
    check_balanced(&html);
    assert!(html.contains("&lt;b&gt;label&lt;/b&gt; &amp; &quot;quotes&quot;"));
    assert!(!html.contains("<b>label</b>"));
    assert!(html.contains("data-tracking-free=\"true\""));
}

#[test]
fn diff_of_home_reject_and_login() {
    let db = home_reject("diff");
    record(
        &db,
        "captures/lab-borger-login.pcapng",
        "borger.test login",
        LAB,
    );
    let d: Value = serde_json::from_str(&run(&[
        "diff",
        "1",
        "2",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
    ]))
    .unwrap();
    let side = |n: &str| {
        d["names"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()["side"]
            .clone()
    };
    assert_eq!(side("www.googletagmanager.com"), "only-a");
    assert_eq!(side("login.nemlog-in.test"), "only-b");
    assert_eq!(side("consent.cookiebot.com"), "both");
    let cb = d["names"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "consentcdn.cookiebot.com")
        .unwrap();
    assert_eq!(cb["phases_a"], serde_json::json!(["before-consent"]));
    assert_eq!(cb["phases_b"], serde_json::json!(["before-consent"]));
    let px = d["names"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "www.facebook.com")
        .unwrap();
    assert_eq!(px["phases_a"], serde_json::json!(["consent-rejected"]));
    let meta = d["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["organisation"] == "Meta Platforms, Inc.")
        .unwrap();
    assert_eq!(meta["side"], "only-a");
    assert_eq!(d["summary"]["only_b"], 2, "{:#}", d["summary"]);
    // Each side names the signatures its contacts were attributed with.
    for side in ["a", "b"] {
        let sig = &d[side]["signatures"];
        assert_eq!(sig["attribution"], "recorded");
        assert_eq!(sig["site"]["name"], "borger.test");
    }
    let html = run(&["diff", "1", "2", "--db", db.to_str().unwrap()]);
    check_balanced(&html);
    assert!(html.contains("A attributed as recorded: builtin sha256 "));
    assert!(html.contains("<tr class=\"only-a\" data-name=\"connect.facebook.net\">"));
    let csv = run(&[
        "diff",
        "1",
        "2",
        "--format",
        "csv",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(csv.starts_with(
        "side,name,organisation,party,category,phases_a,phases_b,background_a,background_b\n"
    ));
}

#[test]
fn report_writes_a_file_with_o() {
    let db = home_reject("out");
    let out = db.parent().unwrap().join("r.html");
    run(&[
        "report",
        "1",
        "-o",
        out.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
}

/// Without -o on a terminal (a pseudo-terminal from `script`), HTML goes to a file named for
/// the session, not onto the screen; a second run does not overwrite it; `-o -` prints.
#[test]
fn html_never_pours_onto_a_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED html_never_pours_onto_a_terminal: no `script` (util-linux)");
        return;
    }
    let db = home_reject("tty");
    let dir = db.parent().unwrap().to_owned();
    let on_a_terminal = |args: &str| {
        let command = format!(
            "SPORFRI_SIGNATURES_OVERLAY=/nonexistent {} {args} --db {}",
            env!("CARGO_BIN_EXE_sporfri"),
            db.display()
        );
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(&dir)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, screen) = on_a_terminal("report 1");
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains("<!DOCTYPE"), "{screen}");
    assert!(
        screen.contains("written to sporfri-report-1.html"),
        "{screen}"
    );
    let file = std::fs::read_to_string(dir.join("sporfri-report-1.html")).unwrap();
    assert!(file.starts_with("<!DOCTYPE html>"));
    let (code, screen) = on_a_terminal("report 1");
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("-o FILE"), "{screen}");
    let (code, screen) = on_a_terminal("diff 1 1");
    assert_eq!(code, Some(0), "{screen}");
    assert!(dir.join("sporfri-diff-1-1.html").exists(), "{screen}");
    let (_, screen) = on_a_terminal("report 1 -o -");
    assert!(screen.contains("<!DOCTYPE html>"), "-o - prints");
    let (_, screen) = on_a_terminal("report 1 --format md");
    assert!(screen.contains("# sporfri report"), "{screen}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cookie_findings_without_a_reject_mark_and_the_requests_export() {
    let db = db("cookies");
    record(
        &db,
        "captures/lab-borger-home.pcapng",
        "home, no marks",
        LAB,
    );
    let v: Value = serde_json::from_str(&report(&db, "1", "json")).unwrap();
    let (f6, f7) = (&v["findings"][5], &v["findings"][6]);
    assert_eq!(f6["key"], "cookies-before-consent");
    assert_eq!(f6["status"], "observed");
    let names: Vec<&str> = f6["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for n in [
        "fr",
        "_ga_collect",
        "s_vi",
        "s_sess",
        "CookieConsentBulkTicket",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert_eq!(f7["key"], "cookies-after-reject");
    assert_eq!(f7["status"], "not-applicable");
    let meta = v["cookies_and_requests"]["third_parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == "Meta Platforms, Inc.")
        .unwrap();
    assert_eq!(
        meta["pages_sent"],
        serde_json::json!(["https://www.borger.test/"])
    );
    assert_eq!(meta["cookies_set"][0]["lifetime_days"], 90.0);
    let csv = run(&[
        "sessions",
        "export",
        "1",
        "--requests",
        "--format",
        "csv",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(csv.starts_with("session,seq,time,phase,"));
    assert!(csv.contains(",meta-pixel,100000000000001,https://www.borger.test/,"));
    assert!(!csv.contains("lab-fr-1"), "cookie values are never stored");
}

#[test]
fn requests_carry_the_phase_of_the_marks_without_a_database() {
    let phases = |extra: &[&str]| -> Vec<Value> {
        let mut args = vec!["replay", "captures/lab-borger-home.pcapng", "--requests"];
        args.extend_from_slice(extra);
        run(&args)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["phase"].clone())
            .collect()
    };
    let none = phases(&[]);
    assert!(!none.is_empty() && none.iter().all(Value::is_null));
    let marked = phases(&["--mark", "consent-rejected@1.25s"]);
    assert!(marked.contains(&Value::from("before-consent")));
    assert!(marked.contains(&Value::from("consent-rejected")));
}
