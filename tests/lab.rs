//! The real-browser lab's captures (`captures/lab-*.pcapng`, made by `tests/lab/lab.sh`: Chromium
//! and Firefox, servers on public or private addresses, with or without a blocking resolver)
//! checked against their ground truth, the servers' own logs (`*.truth.tsv`), and against tshark
//! (`*.oracle.tsv`), by running the `sporfri` binary as a user would.
//!
//! With `SPORFRI_LAB_DIR` set (as `.ci/lab` does), freshly generated captures in that directory
//! are checked the same way, instead of the committed ones.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod labcap;

use std::collections::BTreeSet;
use std::path::Path;

use labcap::{
    Capture, background_names, beside, expected_org, lab_captures, lab_hosts, lab_site_args, root,
    sporfri_json, sporfri_raw,
};

/// A (kind, name) line of an extraction or a truth file.
type Line = (String, String);

/// Truth kinds that `sporfri extract` and contacts answer; the others (`request`, `cookie` and
/// their `-h3` / `-http` forms) are requests: decrypted, or plain HTTP.
const METADATA_KINDS: [&str; 4] = ["dns", "sni", "quic", "http"];

fn parse_lines(text: &str) -> BTreeSet<Line> {
    text.lines()
        .filter(|l| !l.is_empty())
        .filter(|l| {
            METADATA_KINDS
                .iter()
                .any(|k| l.split('\t').next() == Some(*k))
        })
        .map(|l| {
            let (kind, name) = l.split_once('\t').unwrap();
            (kind.to_owned(), name.to_owned())
        })
        .collect()
}

fn sporfri(args: &[&str], pcap: &Path) -> String {
    let mut all = args.to_vec();
    all.push(pcap.to_str().unwrap());
    sporfri_raw(&all).0
}

/// The truth as `sporfri extract` reports it: QUIC ClientHellos are `sni` lines too.
fn truth_as_extract(truth: &BTreeSet<Line>) -> BTreeSet<Line> {
    truth
        .iter()
        .map(|(k, n)| {
            let kind = if k == "quic" { "sni" } else { k.as_str() };
            (kind.to_owned(), n.clone())
        })
        .collect()
}

/// (capture, "+" only sporfri | "-" only the reference, "kind\tname") from tests/lab/allow.tsv.
fn allowed() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(root().join("tests/lab/allow.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, '\t').collect();
            assert_eq!(
                f.len(),
                4,
                "allow.tsv needs capture, +/-, line, reason: {l}"
            );
            assert!(
                !f[3].trim().is_empty(),
                "allow.tsv line without a reason: {l}"
            );
            (f[0].to_owned(), f[1].to_owned(), f[2].replace("\\t", "\t"))
        })
        .collect()
}

/// Differences between sporfri's extraction and a reference that the allow-list does not excuse.
fn differences(
    capture: &str,
    got: &BTreeSet<Line>,
    want: &BTreeSet<Line>,
    what: &str,
) -> Vec<String> {
    let allow = allowed();
    let mut out = Vec::new();
    let excused = |sign: &str, (k, n): &Line| {
        allow.contains(&(capture.to_owned(), sign.to_owned(), format!("{k}\t{n}")))
    };
    for line in got.difference(want).filter(|l| !excused("+", l)) {
        out.push(format!(
            "{capture}: sporfri extracts {line:?}, {what} does not have it"
        ));
    }
    for line in want.difference(got).filter(|l| !excused("-", l)) {
        out.push(format!(
            "{capture}: {what} has {line:?}, sporfri does not extract it"
        ));
    }
    out
}

#[test]
fn extraction_equals_server_truth_and_tshark() {
    let mut failures = Vec::new();
    for cap in lab_captures() {
        let name = &cap.name;
        let got = parse_lines(&sporfri(&["extract"], &cap.path));
        let truth = parse_lines(&std::fs::read_to_string(cap.beside(".truth.tsv")).unwrap());
        assert!(truth.len() >= 10, "{name}: truth is too small: {truth:?}");
        failures.extend(differences(
            name,
            &got,
            &truth_as_extract(&truth),
            "the servers' logs",
        ));
        let oracle: BTreeSet<Line> =
            parse_lines(&std::fs::read_to_string(cap.beside(".oracle.tsv")).unwrap())
                .into_iter()
                .filter(|(k, _)| matches!(k.as_str(), "dns" | "sni" | "http"))
                .collect();
        failures.extend(differences(name, &got, &oracle, "tshark"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn contacts(pcap: &Path) -> Vec<serde_json::Value> {
    sporfri_json(&["replay", "--format", "jsonl"], pcap).0
}

fn has_via(contacts: &[serde_json::Value], name: &str, via: &str) -> bool {
    contacts
        .iter()
        .filter(|c| c["name"] == name)
        .any(|c| c["via"].as_array().unwrap().iter().any(|v| v == via))
}

#[test]
fn replay_shows_every_truth_name_with_its_evidence() {
    let hosts = lab_hosts();
    let mut failures = Vec::new();
    for cap in lab_captures() {
        let name = cap.label();
        let truth = parse_lines(&std::fs::read_to_string(cap.beside(".truth.tsv")).unwrap());
        let c = contacts(&cap.path);
        for (kind, host) in &truth {
            let via = match kind.as_str() {
                "sni" => "tls",
                other => other,
            };
            if !has_via(&c, host, via) {
                failures.push(format!("{name}: no contact {host} with via {via}"));
            }
        }
        // Nothing the servers did not see: every named contact is a truth name; contacts
        // without a name are flows to the lab's own server addresses (this variant's: public or
        // private), and every flow went to one of them.
        let names: BTreeSet<&str> = truth.iter().map(|(_, n)| n.as_str()).collect();
        let servers = &cap.variant.servers;
        for contact in &c {
            let n = contact["name"].as_str().unwrap();
            let ok = names.contains(n)
                || (contact["via"] == serde_json::json!(["ip"]) && servers.contains(n));
            if !ok {
                failures.push(format!(
                    "{name}: contact {n} is not in the truth: {contact}"
                ));
            }
            for ip in contact["server_ips"].as_array().unwrap() {
                let ip = ip.as_str().unwrap();
                if !servers.contains(ip) && !cap.variant.resolvers.contains(ip) {
                    failures.push(format!("{name}: {n}: server {ip} is not a lab server"));
                }
            }
            if contact["ech"] == "real" {
                failures.push(format!("{name}: {n}: the lab has no ECH, yet ech=real"));
            }
        }
        // CNAME cloaking: the first-party alias shows the tracker it points to.
        for h in hosts.iter().filter(|h| h.serve.starts_with("cname:")) {
            if !names.contains(h.name.as_str()) {
                continue;
            }
            let target = &h.serve["cname:".len()..];
            let chained = c.iter().any(|x| {
                x["name"] == h.name.as_str()
                    && x["cname_chain"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t == target)
            });
            if !chained {
                failures.push(format!("{name}: {} has no cname_chain to {target}", h.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Is `ip` in the private ranges the lab's private variant uses (RFC 1918 10/8, RFC 4193 fc00::/7)?
fn is_private(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>().unwrap() {
        std::net::IpAddr::V4(a) => a.is_private(),
        std::net::IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00,
    }
}

#[test]
fn the_lab_covers_both_browsers_and_every_variant() {
    let caps = lab_captures();
    let have: BTreeSet<(&str, &str, &str, &str)> = caps
        .iter()
        .map(|c| {
            let v = &c.variant;
            (
                c.scenario.as_str(),
                v.engine.as_str(),
                v.net.as_str(),
                v.blocker.as_str(),
            )
        })
        .collect();
    // The matrix of `tests/lab/lab.sh matrix` (what .ci/lab runs and captures/ holds).
    for engine in ["chromium", "firefox"] {
        for (scenario, net, blocker) in [
            ("home", "public", "none"),
            ("login", "public", "none"),
            ("home", "private", "none"),
            ("home", "public", "pihole"),
        ] {
            assert!(
                have.contains(&(scenario, engine, net, blocker)),
                "no {scenario} capture of {engine} {net} {blocker}: {have:?}"
            );
        }
    }
    // Each variant is what it says: its servers and resolver on the right kind of address, its
    // blocklist only with a blocker.
    for c in &caps {
        let v = &c.variant;
        assert!(!v.servers.is_empty(), "{}: no server addresses", c.label());
        for a in v.servers.iter().chain(&v.resolvers) {
            assert_eq!(
                is_private(a),
                v.net == "private",
                "{}: address {a}",
                c.label()
            );
        }
        assert_eq!(v.blocklist.is_empty(), v.blocker == "none", "{}", c.label());
        let browser = match v.engine.as_str() {
            "chromium" => "Chromium",
            _ => "Firefox",
        };
        assert!(v.browser.contains(browser), "{}: {}", c.label(), v.browser);
    }
}

#[test]
fn the_blocking_resolver_answered_as_its_blocklist_says() {
    let mut failures = Vec::new();
    for c in lab_captures().iter().filter(|c| c.variant.answers_in_truth) {
        let blocked = c.truth_blocked();
        let asked = c.truth_names("dns");
        for (host, answer) in &c.variant.blocklist {
            if asked.contains(host) && blocked.get(host) != Some(answer) {
                failures.push(format!(
                    "{}: {host}: blocklist says {answer}, resolver answered {:?}",
                    c.label(),
                    blocked.get(host)
                ));
            }
        }
        // No lab host is blocked unless the blocklist says so.
        for h in lab_hosts() {
            if blocked.contains_key(&h.name) && !c.variant.blocklist.contains_key(&h.name) {
                failures.push(format!("{}: {} not answered", c.label(), h.name));
            }
        }
        // The home page attempts every blocked name: the capture shows a blocker at work.
        if c.scenario == "home" {
            for host in c.variant.blocklist.keys() {
                if !asked.contains(host) {
                    failures.push(format!("{}: {host} was never asked for", c.label()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_other_name_is_a_known_browser_background_lookup() {
    // A name no replica page uses comes from the browser itself (tests/lab/background.tsv): a new
    // browser version's new background lookup is noticed here, and named there.
    let hosts: BTreeSet<String> = lab_hosts().into_iter().map(|h| h.name).collect();
    let background = background_names();
    let mut failures = Vec::new();
    for c in lab_captures() {
        for name in c.truth_names("dns") {
            let known = hosts.contains(&name)
                || background.contains(&(c.variant.engine.clone(), name.clone()));
            if !known {
                failures.push(format!(
                    "{}: {name} is neither a lab host nor a known {} background lookup",
                    c.label(),
                    c.variant.engine
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn lab_captures_show_real_browser_behaviour() {
    // The point of the lab: the front page uses QUIC, plain HTTP and a cloaked CNAME, in every
    // browser and variant (bar what the blocker stops).
    let homes: Vec<Capture> = lab_captures()
        .into_iter()
        .filter(|c| c.scenario == "home")
        .collect();
    for home in &homes {
        let truth = parse_lines(&std::fs::read_to_string(home.beside(".truth.tsv")).unwrap());
        for kind in ["dns", "sni", "quic", "http"] {
            assert!(
                truth.iter().any(|(k, _)| k == kind),
                "{}: no {kind} truth",
                home.label()
            );
        }
        for (kind, host) in [
            ("quic", "www.googletagmanager.com"),
            ("http", "b.scorecardresearch.com"),
            ("dns", "metrics.borger.test"),
            ("sni", "metrics.borger.test"),
        ] {
            let line = (kind.to_owned(), host.to_owned());
            let stopped = kind != "dns" && home.variant.blocklist.contains_key(host);
            assert!(
                stopped || truth.contains(&line),
                "{}: truth lacks {line:?}",
                home.label()
            );
        }
    }
}

#[test]
fn every_lab_third_party_is_attributed_and_the_cloaked_subdomain_flagged() {
    let mut failures = Vec::new();
    for cap in lab_captures() {
        let name = cap.label();
        let mut args: Vec<String> = vec!["replay".into(), "--format".into(), "jsonl".into()];
        args.extend(lab_site_args());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (contacts, _) = sporfri_json(&args, &cap.path);
        for h in lab_hosts() {
            let host = &h.name;
            let Some(c) = contacts.iter().find(|c| c["name"] == host.as_str()) else {
                continue;
            };
            match expected_org(&h.group) {
                Some(org) => {
                    if c["org"] != org || c["party"] != "third" {
                        failures.push(format!(
                            "{name}: {host}: want {org}/third, got {}/{}",
                            c["org"], c["party"]
                        ));
                    }
                }
                None => {
                    if c["party"] != "first" {
                        failures.push(format!("{name}: {host}: want first party, got {c}"));
                    }
                }
            }
            let cloaked = !c["cloaked"].is_null();
            if cloaked != (host == "metrics.borger.test") {
                failures.push(format!("{name}: {host}: cloaked={cloaked}"));
            }
            if h.group == "siteimprove" && c["declared"].is_null() {
                failures.push(format!(
                    "{name}: {host}: declared by the lab profile, not marked"
                ));
            }
        }
        // The cloaked subdomain names its target and the organisation behind it.
        if let Some(m) = contacts.iter().find(|c| c["name"] == "metrics.borger.test") {
            if m["cloaked"]["target"] != "borger.sc.omtrdc.net" {
                failures.push(format!("{name}: metrics.borger.test cloaking target: {m}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The lab-decryption lines of a truth file: (kind, the tab-separated rest).
fn decryption_truth(pcap: &Path) -> Vec<(String, Vec<String>)> {
    std::fs::read_to_string(beside(pcap, ".truth.tsv"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let kind = f.next()?;
            let rest: Vec<String> = f.map(str::to_owned).collect();
            (kind.starts_with("request") || kind.starts_with("cookie"))
                .then(|| (kind.to_owned(), rest))
        })
        .collect()
}

/// The lifetime as the truth writes it: seconds, or empty for a session cookie.
fn lifetime(v: &serde_json::Value) -> String {
    v.as_i64().map(|n| n.to_string()).unwrap_or_default()
}

#[test]
fn decryption_reports_every_https_request_and_every_cookie_the_servers_set() {
    let mut failures = Vec::new();
    for cap in lab_captures() {
        let (pcap, name) = (&cap.path, cap.label());
        let truth = decryption_truth(pcap);
        assert!(
            truth.iter().any(|(k, _)| k == "request"),
            "{name}: no request truth (made before lab decryption?)"
        );
        // The capture carries its key log (Decryption Secrets Block): no --keylog needed.
        let (requests, stderr) = sporfri_json(&["replay", "--requests"], pcap);
        for weird in [
            "decrypt.no_key",
            "decrypt.bad_record",
            "decrypt.unsupported",
            "decrypt.quic_no_key",
            "decrypt.quic_bad_packet",
            "decrypt.qpack",
            "decrypt.h3",
        ] {
            if stderr.contains(weird) {
                failures.push(format!("{name}: {weird} with the browser's own key log"));
            }
        }
        // Decrypted requests are `encrypted`, plain-HTTP ones not; both are reported alike.
        let urls = |encrypted: bool| -> BTreeSet<&str> {
            requests
                .iter()
                .filter(|r| r["encrypted"] == encrypted)
                .filter_map(|r| r["url"].as_str())
                .collect()
        };
        let (https, http) = (urls(true), urls(false));
        let h3: BTreeSet<&str> = requests
            .iter()
            .filter(|r| r["http"] == "h3" && r["encrypted"] == true)
            .filter_map(|r| r["url"].as_str())
            .collect();
        for (kind, rest) in &truth {
            match (kind.as_str(), rest.as_slice()) {
                ("request", [url]) if !https.contains(url.as_str()) => {
                    failures.push(format!("{name}: request {url} not reported"));
                }
                ("request-h3", [url]) if !h3.contains(url.as_str()) => {
                    failures.push(format!("{name}: HTTP/3 request {url} not reported"));
                }
                ("request-http", [url]) if !http.contains(url.as_str()) => {
                    failures.push(format!("{name}: plain-HTTP request {url} not reported"));
                }
                ("cookie" | "cookie-http" | "cookie-h3", [host, cookie, life]) => {
                    let encrypted = kind != "cookie-http";
                    let seen = requests.iter().any(|r| {
                        r["host"] == host.as_str()
                            && r["encrypted"] == encrypted
                            && (kind != "cookie-h3" || r["http"] == "h3")
                            && r["set_cookies"].as_array().unwrap().iter().any(|c| {
                                c["name"] == cookie.as_str() && lifetime(&c["lifetime_s"]) == *life
                            })
                    });
                    if !seen {
                        failures.push(format!(
                            "{name}: {kind} {cookie} set by {host} for {life:?} s not reported"
                        ));
                    }
                }
                _ => {}
            }
        }
        // Every HTTP/3 request reported is one the servers logged.
        let h3_truth: BTreeSet<&str> = truth
            .iter()
            .filter(|(k, _)| k == "request-h3")
            .filter_map(|(_, r)| r.first().map(String::as_str))
            .collect();
        if h3 != h3_truth {
            failures.push(format!(
                "{name}: HTTP/3 requests {h3:?}, servers saw {h3_truth:?}"
            ));
        }
        for r in requests.iter().filter(|r| r["encrypted"] == false) {
            if r["http"] != "http/1.1" || !r["url"].as_str().unwrap().starts_with("http://") {
                failures.push(format!("{name}: plain-HTTP request {r}"));
            }
        }
        // The Meta pixel hit says which page it reported.
        if let Some(px) = requests
            .iter()
            .find(|r| r["tracker_endpoint"] == "meta-pixel")
        {
            assert!(
                px["tracker"]["page"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://www.borger.test/"),
                "{px}"
            );
        }
        // The key log beside the capture is the one inside it.
        let keys = cap.keys();
        let (again, _) = sporfri_json(
            &["replay", "--requests", "--keylog", keys.to_str().unwrap()],
            pcap,
        );
        if again != requests {
            failures.push(format!(
                "{name}: --keylog {} changes the requests",
                keys.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn home_truth_has_the_cookies_of_the_lab_third_parties() {
    let homes = default_homes();
    for home in &homes {
        let truth = decryption_truth(&home.path);
        let has = |kind: &str, host: &str, cookie: &str| {
            truth
                .iter()
                .any(|(k, r)| k.starts_with(kind) && r.len() == 3 && r[0] == host && r[1] == cookie)
        };
        // Google Tag Manager answers over HTTP/3 (Alt-Svc) in both browsers: the HTTP/3 checks
        // have something to check.
        assert!(
            truth.iter().any(|(k, r)| k == "request-h3"
                && r.first()
                    .is_some_and(|u| u.starts_with("https://www.googletagmanager.com/"))),
            "{}: truth has no HTTP/3 request",
            home.label()
        );
        // A host may travel over HTTP/3 (HTTPS record, Alt-Svc): then it is a cookie-h3 line.
        for (host, cookie) in [
            ("www.facebook.com", "fr"),
            ("metrics.borger.test", "s_vi"),
            ("metrics.borger.test", "s_sess"),
            ("consent.cookiebot.com", "CookieConsentBulkTicket"),
            ("region1.google-analytics.com", "_ga_collect"),
            ("b.scorecardresearch.com", "UID"),
        ] {
            assert!(
                has("cookie", host, cookie),
                "{}: truth lacks {host} {cookie}",
                home.label()
            );
        }
    }
}

/// The home captures of the default variant (public servers, no blocker), one per browser.
fn default_homes() -> Vec<Capture> {
    let homes: Vec<Capture> = lab_captures()
        .into_iter()
        .filter(|c| c.scenario == "home" && c.is_default_variant())
        .collect();
    let engines: BTreeSet<&str> = homes.iter().map(|c| c.variant.engine.as_str()).collect();
    assert_eq!(
        engines,
        BTreeSet::from(["chromium", "firefox"]),
        "{homes:?}"
    );
    homes
}

/// `pcap` without its Decryption Secrets Blocks (pcapng block type 10), written to a temp file.
fn without_secrets(pcap: &Path) -> common::Scratch {
    let data = std::fs::read(pcap).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    let le = data[8..12] == [0x4d, 0x3c, 0x2b, 0x1a];
    while at + 8 <= data.len() {
        let word = |i: usize| {
            let b: [u8; 4] = data[i..i + 4].try_into().unwrap();
            if le {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        };
        let (kind, len) = (word(at), word(at + 4) as usize);
        if kind != 10 {
            out.extend_from_slice(&data[at..at + len]);
        }
        at += len;
    }
    let name = pcap.file_name().unwrap().to_string_lossy();
    common::temp_file(&format!("nosecrets-{name}"), &out)
}

#[test]
fn missing_and_wrong_keys_are_counted_never_a_crash() {
    for home in default_homes() {
        keys_missing_or_wrong(&home.path);
    }
}

fn keys_missing_or_wrong(home: &Path) {
    let bare = without_secrets(home);
    // Without secrets, --requests counts every TLS connection as without a key; plain HTTP
    // needs none.
    let (plain, stderr) = sporfri_json(&["replay", "--requests"], &bare);
    assert!(stderr.contains("decrypt.no_key="), "{stderr}");
    assert!(stderr.contains("decrypt.quic_no_key="), "{stderr}");
    assert!(
        !plain.is_empty() && plain.iter().all(|r| r["encrypted"] == false),
        "{plain:?}"
    );
    // ... and a plain replay does not decrypt at all.
    let (_, stderr) = sporfri_json(&["replay", "--format", "jsonl"], &bare);
    assert!(!stderr.contains("decrypt"), "{stderr}");
    let (all, _) = sporfri_json(&["replay", "--requests"], home);
    let keys = std::fs::read_to_string(home.with_extension("keys")).unwrap();
    // Keep every other connection's lines, and damage one secret of the rest.
    let randoms: Vec<&str> = {
        let mut r: Vec<&str> = keys.lines().filter_map(|l| l.split(' ').nth(1)).collect();
        r.dedup();
        r
    };
    let mut partial = String::new();
    for (i, random) in randoms.iter().enumerate() {
        for line in keys.lines().filter(|l| l.split(' ').nth(1) == Some(random)) {
            match i % 3 {
                0 => {}
                1 => partial.push_str(&format!("{line}\n")),
                _ => partial.push_str(&format!("{}0\n", &line[..line.len() - 1])),
            }
        }
    }
    let file = common::temp_file(&format!("partial-{}", keys_name(home)), partial.as_bytes());
    let (some, stderr) = sporfri_json(
        &["replay", "--requests", "--keylog", file.to_str().unwrap()],
        &bare,
    );
    // Which connections lose their key depends on the order the browser opened them in: the
    // ones left without one may all be QUIC in a fresh capture, so either count is right.
    assert!(
        stderr.contains("decrypt.no_key=") || stderr.contains("decrypt.quic_no_key="),
        "{stderr}"
    );
    assert!(stderr.contains("decrypt.bad_record="), "{stderr}");
    let decrypted = some.iter().filter(|r| r["encrypted"] == true).count();
    assert!(
        decrypted > 0 && some.len() < all.len(),
        "{} of {} requests with a partial key log ({decrypted} decrypted)",
        some.len(),
        all.len()
    );
    // Contacts do not depend on keys.
    let (c_bare, _) = sporfri_json(&["replay", "--format", "jsonl"], &bare);
    let (c_keys, _) = sporfri_json(&["replay", "--format", "jsonl"], home);
    assert_eq!(c_bare, c_keys, "{}", home.display());
}

fn keys_name(pcap: &Path) -> String {
    pcap.with_extension("keys")
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}
