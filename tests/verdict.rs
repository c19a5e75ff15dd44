//! The verdict on every lab capture (`captures/lab-*.pcapng`, or `SPORFRI_LAB_DIR`): Chromium and
//! Firefox, the lab's servers on public or private addresses, with or without a resolver that
//! blocks trackers as Pi-hole and AdGuard Home do (tests/lab/README.md, "Variants"). Each capture
//! is recorded as a session with the lab's site profile and reported as a user would
//! (`sporfri replay --label`, `sporfri report --format json`); finding 1, "Third parties before
//! any consent decision", must list every tracker the page loaded or tried to load, with its
//! organisation, whatever the network did (issue 15).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod labcap;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::OnceLock;

use labcap::{
    Capture, background_names, expected_org, lab_captures, lab_hosts, lab_site_args, root,
    sporfri_raw,
};
use serde_json::Value;

/// One capture as a session: its contacts (`replay --format jsonl` of the recording run) and its
/// JSON report.
struct Verdict {
    cap: Capture,
    contacts: Vec<Value>,
    report: Value,
}

impl Verdict {
    fn finding(&self, number: u64) -> &Value {
        self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["number"] == number)
            .unwrap_or_else(|| panic!("{}: no finding {number}", self.cap.label()))
    }

    fn items(&self, number: u64) -> &[Value] {
        self.finding(number)["items"].as_array().unwrap()
    }

    fn name_of(c: &Value) -> &str {
        c["name"].as_str().unwrap()
    }
}

fn record(cap: &Capture) -> Verdict {
    let dir = common::scratch("verdict");
    let db = dir.join("db");
    let db = db.to_str().unwrap();
    let site = lab_site_args();
    let site: Vec<&str> = site.iter().map(String::as_str).collect();
    let mut args = vec![
        "replay",
        cap.path.to_str().unwrap(),
        "--format",
        "jsonl",
        "--label",
        &cap.name,
        "--db",
        db,
    ];
    args.extend_from_slice(&site);
    let (jsonl, _) = sporfri_raw(&args);
    let contacts = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // `report` is given the lab's signatures again (the site profile lives there).
    let mut args = vec!["report", "1", "--format", "json", "--db", db];
    args.extend_from_slice(&site[2..]);
    let (json, _) = sporfri_raw(&args);
    Verdict {
        cap: cap.clone(),
        contacts,
        report: serde_json::from_str(&json).unwrap(),
    }
}

/// Every lab capture recorded and reported once, shared by the tests.
fn verdicts() -> &'static [Verdict] {
    static ALL: OnceLock<Vec<Verdict>> = OnceLock::new();
    ALL.get_or_init(|| lab_captures().iter().map(record).collect())
}

/// The lab's third-party hosts the page loaded or tried to load in this capture (the resolver
/// was asked for them), with the organisation behind each.
fn attempted_trackers(cap: &Capture) -> Vec<(String, &'static str)> {
    let asked = cap.truth_names("dns");
    lab_hosts()
        .into_iter()
        .filter(|h| asked.contains(&h.name))
        .filter_map(|h| expected_org(&h.group).map(|org| (h.name, org)))
        .collect()
}

#[test]
fn finding_1_lists_every_tracker_that_loaded_or_was_attempted_with_its_organisation() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for v in verdicts() {
        let items = v.items(1);
        let trackers = attempted_trackers(&v.cap);
        assert!(trackers.len() >= 4, "{}: {trackers:?}", v.cap.label());
        for (host, org) in trackers {
            checked += 1;
            match items.iter().find(|i| i["name"] == host.as_str()) {
                None => failures.push(format!("{}: finding 1 lacks {host} ({org})", v.cap.label())),
                Some(i) if i["org"] != org => failures.push(format!(
                    "{}: finding 1 has {host} as {}, not {org}",
                    v.cap.label(),
                    i["org"]
                )),
                Some(_) => {}
            }
        }
    }
    assert!(checked >= 80, "only {checked} trackers checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_first_party_is_never_a_finding_1_third_party() {
    let first: BTreeSet<String> = lab_hosts()
        .into_iter()
        .filter(|h| expected_org(&h.group).is_none())
        .map(|h| h.name)
        .collect();
    // The cloaked subdomain is a first-party name whose tracker is a third party: it is listed.
    let cloaked = "metrics.borger.test";
    for v in verdicts() {
        for i in v.items(1) {
            let name = i["name"].as_str().unwrap();
            assert!(
                !first.contains(name) || name == cloaked,
                "{}: first-party {name} in finding 1: {i}",
                v.cap.label()
            );
        }
    }
}

#[test]
fn replay_and_the_report_of_the_same_session_agree() {
    // Finding 1 is replay's third parties (no consent mark: every contact is before any
    // decision), each with the organisation replay gave it; a third-party item is one of them.
    let mut failures = Vec::new();
    for v in verdicts() {
        let items = v.items(1);
        for c in v.contacts.iter().filter(|c| c["party"] == "third") {
            match items.iter().find(|i| i["name"] == c["name"]) {
                None => failures.push(format!(
                    "{}: replay's third party {} is not in finding 1",
                    v.cap.label(),
                    c["name"]
                )),
                Some(i) if i["org"] != c["org"] => failures.push(format!(
                    "{}: {}: replay says {}, the report {}",
                    v.cap.label(),
                    c["name"],
                    c["org"],
                    i["org"]
                )),
                Some(_) => {}
            }
        }
        for i in items.iter().filter(|i| i["party"] == "third") {
            if !v
                .contacts
                .iter()
                .any(|c| c["name"] == i["name"] && c["party"] == "third")
            {
                failures.push(format!(
                    "{}: finding 1's third party {} is not replay's",
                    v.cap.label(),
                    i["name"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A public DNS name (issue 15): not an address, not single-label, not under a local-only suffix.
fn is_public_name(name: &str) -> bool {
    const LOCAL_ONLY: [&str; 5] = [".local", ".home.arpa", ".lan", ".internal", ".localdomain"];
    name.contains('.')
        && name.parse::<IpAddr>().is_err()
        && !LOCAL_ONLY.iter().any(|s| name.ends_with(s))
}

#[test]
fn nothing_with_a_public_name_is_local() {
    // Every lab name is public (the first party by the site profile, the rest by the signatures),
    // whatever address it resolved to: private servers make nothing `local` (issue 15).
    let mut failures = Vec::new();
    for v in verdicts() {
        for c in &v.contacts {
            let name = Verdict::name_of(c);
            if is_public_name(name) && c["party"] == "local" {
                failures.push(format!("{}: {name} is local: {c}", v.cap.label()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_lab_host_has_its_party_on_every_network() {
    // tests/lab.rs checks organisations, cloaking and declarations; here the party, on private
    // servers and behind the blocker as on public ones.
    let mut failures = Vec::new();
    for v in verdicts() {
        for h in lab_hosts() {
            let Some(c) = v.contacts.iter().find(|c| c["name"] == h.name.as_str()) else {
                continue;
            };
            let want = if expected_org(&h.group).is_some() {
                "third"
            } else {
                "first"
            };
            let want = if h.name == "metrics.borger.test" {
                "third" // the cloaked first-party name is its tracker's
            } else {
                want
            };
            if c["party"] != want || c["org"] != expected_org(&h.group).unwrap_or("sporfri lab") {
                failures.push(format!(
                    "{}: {}: want {want}, got {}/{}",
                    v.cap.label(),
                    h.name,
                    c["org"],
                    c["party"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn blocked_is_what_the_resolver_answered() {
    // sinkhole (0.0.0.0 / ::) and NXDOMAIN, from dnsmasq's own answers: the blocker's names,
    // and the names the lab does not know (the browsers' background lookups).
    let mut failures = Vec::new();
    let mut blocked_seen = 0;
    for v in verdicts().iter().filter(|v| v.cap.variant.answers_in_truth) {
        let blocked = v.cap.truth_blocked();
        for name in v.cap.truth_names("dns") {
            let Some(c) = v.contacts.iter().find(|c| c["name"] == name.as_str()) else {
                failures.push(format!("{}: no contact {name}", v.cap.label()));
                continue;
            };
            let want = blocked
                .get(&name)
                .map_or(Value::Null, |b| Value::String(b.clone()));
            blocked_seen += usize::from(!want.is_null());
            if c["blocked"] != want {
                failures.push(format!(
                    "{}: {name}: blocked {} (the resolver answered: {want})",
                    v.cap.label(),
                    c["blocked"]
                ));
            }
        }
        // The blocker's trackers are attempts, listed in finding 1 with how they were blocked.
        for (name, answer) in &v.cap.variant.blocklist {
            if let Some(i) = v.items(1).iter().find(|i| i["name"] == name.as_str()) {
                if i["blocked"] != answer.as_str() {
                    failures.push(format!(
                        "{}: finding 1's {name} is not marked {answer}: {i}",
                        v.cap.label()
                    ));
                }
            }
        }
    }
    assert!(blocked_seen >= 20, "only {blocked_seen} blocked names");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_name_that_resolved_to_a_private_address_says_so() {
    let mut failures = Vec::new();
    for v in verdicts() {
        let blocked = v.cap.truth_blocked();
        let asked = v.cap.truth_names("dns");
        for h in lab_hosts() {
            if !asked.contains(&h.name) || blocked.contains_key(&h.name) {
                continue; // not looked up, or no address in the answer
            }
            if v.cap.variant.blocklist.contains_key(&h.name) {
                continue; // blocked (older truth without answers)
            }
            let Some(c) = v.contacts.iter().find(|c| c["name"] == h.name.as_str()) else {
                continue;
            };
            let private = v.cap.variant.net == "private";
            if (c["resolved_private"] == true) != private {
                failures.push(format!(
                    "{}: {}: resolved_private {} on {} servers",
                    v.cap.label(),
                    h.name,
                    c["resolved_private"],
                    v.cap.variant.net
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The evidence kind that shows each way a contact was seen (`None`: any kind, e.g. a flow).
fn evidence_kind_for(via: &str) -> Option<&'static [&'static str]> {
    match via {
        "dns" => Some(&["dns-query", "dns-chain", "dns-answer"]),
        "tls" => Some(&["tls-hello"]),
        "quic" => Some(&["quic-hello"]),
        "http" => Some(&["http-request"]),
        _ => None,
    }
}

#[test]
fn every_way_a_finding_1_contact_was_seen_has_its_evidence() {
    let mut failures = Vec::new();
    let mut ways = 0;
    for v in verdicts() {
        for i in v.items(1) {
            let name = Verdict::name_of(i);
            let claims = i["via_evidence"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            for via in i["via"].as_array().unwrap() {
                ways += 1;
                let via = via.as_str().unwrap();
                let e = claims
                    .iter()
                    .find(|c| c["via"] == via)
                    .map(|c| &c["evidence"])
                    .filter(|e| e.is_object());
                let Some(e) = e else {
                    failures.push(format!("{}: {name} via {via}: no evidence", v.cap.label()));
                    continue;
                };
                let kind = e["kind"].as_str().unwrap_or_default();
                if let Some(kinds) = evidence_kind_for(via) {
                    if !kinds.contains(&kind) {
                        failures.push(format!(
                            "{}: {name} via {via}: evidence is a {kind}",
                            v.cap.label()
                        ));
                    }
                }
            }
        }
    }
    assert!(ways >= 150, "only {ways} ways seen");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_report_a_year_later_gives_the_same_finding_1() {
    // The session keeps what it was attributed with (issue 15.4): reported after the site
    // profile's directory is gone, without --signatures, finding 1 is the same.
    let mut failures = Vec::new();
    for v in verdicts() {
        let dir = common::scratch("verdict-later");
        let sigs = dir.join("signatures/sites");
        std::fs::create_dir_all(&sigs).unwrap();
        std::fs::copy(
            root().join("tests/lab/signatures/sites/borger.test.toml"),
            sigs.join("borger.test.toml"),
        )
        .unwrap();
        let db = dir.join("db");
        let (db, sig) = (db.to_str().unwrap(), dir.join("signatures"));
        let sig = sig.to_str().unwrap();
        sporfri_raw(&[
            "replay",
            v.cap.path.to_str().unwrap(),
            "--label",
            "later",
            "--db",
            db,
            "--site",
            "borger.test",
            "--signatures",
            sig,
        ]);
        std::fs::remove_dir_all(dir.join("signatures")).unwrap();
        let (json, _) = sporfri_raw(&["report", "1", "--format", "json", "--db", db]);
        let later: Value = serde_json::from_str(&json).unwrap();
        let summary = |r: &Value| -> Vec<(String, String, String)> {
            let f1 = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["number"] == 1)
                .unwrap();
            f1["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["name"].to_string(),
                        i["org"].to_string(),
                        i["party"].to_string(),
                    )
                })
                .collect()
        };
        if summary(&later) != summary(&v.report) || later["site"] != v.report["site"] {
            failures.push(format!(
                "{}: finding 1 or the site profile differ a year later",
                v.cap.label()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_browsers_background_lookups_are_not_the_sites_third_parties() {
    // issue 15.7: Chromium's and Firefox's own lookups (tests/lab/background.tsv) are the
    // browser's, or "browser or OS, possibly the site" - never a plain third party of the page.
    let background = background_names();
    let mut failures = Vec::new();
    for v in verdicts() {
        for c in &v.contacts {
            let name = Verdict::name_of(c).to_owned();
            if background.contains(&(v.cap.variant.engine.clone(), name.clone()))
                && c["party"] == "third"
            {
                failures.push(format!(
                    "{}: background {name} is a third party: {}",
                    v.cap.label(),
                    c["org"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
