//! Each converter on a small hand-written sample, then the overlay they write loads and matches.

use super::*;
use crate::attribute::{Attributor, Layer};

fn opts(name: &str) -> ImportOptions {
    ImportOptions {
        default_category: Category::Advertising,
        list_name: name.to_owned(),
        companies: None,
    }
}

const DISCONNECT: &str = r#"{
  "license": "sample",
  "categories": {
    "Advertising": [
      {"Ad Co": {"https://adco.example/": ["adco.example", "adco-cdn.example"], "performance": "true"}},
      {"Big Co": {"https://big.example/": ["big-ads.example"]}}
    ],
    "Analytics": [
      {"Big Co": {"https://big.example/": ["big-stats.example", "adco.example"]}}
    ],
    "Cryptomining": [
      {"Miner": {"https://miner.example/": ["miner.example", "co.uk", "not a domain"]}}
    ]
  }
}"#;

#[test]
fn disconnect_services_json() {
    let out = convert(ImportFormat::Disconnect, DISCONNECT, &opts("services.json")).unwrap();
    assert_eq!((out.domains, out.duplicate, out.invalid), (5, 1, 2));
    let big = out
        .orgs
        .iter()
        .find(|o| o.name.as_deref() == Some("Big Co"))
        .unwrap();
    assert_eq!(big.source, "https://big.example/");
    let names: Vec<&str> = big.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Big Co (Advertising)", "Big Co (Analytics)"]);
    assert_eq!(big.services[1].category, Category::Analytics);
    let adco = out
        .orgs
        .iter()
        .find(|o| o.name.as_deref() == Some("Ad Co"))
        .unwrap();
    assert_eq!(adco.services[0].name, "Ad Co");
    assert_eq!(
        adco.services[0].domains,
        ["adco.example", "adco-cdn.example"]
    );
    // A category we do not have takes the default.
    let miner = out
        .orgs
        .iter()
        .find(|o| o.name.as_deref() == Some("Miner"))
        .unwrap();
    assert_eq!(miner.services[0].category, Category::Advertising);
    assert!(convert(ImportFormat::Disconnect, "{}", &opts("x")).is_err());
    assert!(convert(ImportFormat::Disconnect, "nope", &opts("x")).is_err());
}

const TDS: &str = r#"{
  "trackers": {
    "tracker.example": {"domain": "tracker.example", "owner": {"name": "Tracker Inc.", "displayName": "Tracker", "url": "https://tracker.example/"},
                        "categories": ["Analytics", "Session Replay"], "default": "block"},
    "ads.example": {"domain": "ads.example", "owner": {"name": "Tracker Inc.", "displayName": "Tracker"},
                    "categories": ["Advertising"]},
    "orphan.example": {"domain": "orphan.example", "categories": []}
  },
  "entities": {}, "domains": {}
}"#;

#[test]
fn ddg_tds_json() {
    let out = convert(ImportFormat::DdgTds, TDS, &opts("tds.json")).unwrap();
    assert_eq!(out.domains, 3);
    let t = out
        .orgs
        .iter()
        .find(|o| o.name.as_deref() == Some("Tracker Inc."))
        .unwrap();
    let cats: Vec<(String, Category)> = t
        .services
        .iter()
        .map(|s| (s.name.clone(), s.category))
        .collect();
    assert_eq!(
        cats,
        [
            ("Tracker (advertising)".to_owned(), Category::Advertising),
            (
                "Tracker (session-replay)".to_owned(),
                Category::SessionReplay
            ),
        ]
    );
    // No owner: organisation unknown, default category.
    let orphan = out.orgs.iter().find(|o| o.name.is_none()).unwrap();
    assert_eq!(orphan.services[0].domains, ["orphan.example"]);
    assert_eq!(orphan.services[0].category, Category::Advertising);
}

const ADGUARD: &str = r#"{
  "timeUpdated": "2026-01-01T00:00:00Z",
  "categories": {"4": "advertising", "6": "site_analytics", "8": "misc"},
  "trackers": {
    "big_stats": {"name": "Big Stats", "categoryId": 6, "url": "https://stats.example/", "companyId": "bigco"},
    "lonely": {"name": "Lonely", "categoryId": 8, "url": null, "companyId": null}
  },
  "trackerDomains": {"stats.example": "big_stats", "cdn.stats.example": "big_stats", "lonely.example": "lonely", "x.example": "missing"}
}"#;

const COMPANIES: &str = r#"{"companies": {"bigco": {"name": "Big Company AG", "websiteUrl": "https://bigco.example/"}}}"#;

#[test]
fn adguard_trackers_json_with_and_without_companies() {
    let mut o = opts("trackers.json");
    o.companies = Some(COMPANIES.to_owned());
    let out = convert(ImportFormat::Adguard, ADGUARD, &o).unwrap();
    assert_eq!((out.domains, out.unsupported), (3, 1));
    let big = out
        .orgs
        .iter()
        .find(|o| o.name.as_deref() == Some("Big Company AG"))
        .unwrap();
    assert_eq!(big.source, "https://bigco.example/");
    assert_eq!(big.services[0].name, "Big Stats");
    assert_eq!(big.services[0].category, Category::Analytics);
    assert_eq!(
        big.services[0].domains,
        ["cdn.stats.example", "stats.example"]
    );
    let lonely = out.orgs.iter().find(|o| o.name.is_none()).unwrap();
    assert_eq!(lonely.services[0].category, Category::Advertising);
    // Without companies.json the company id stands in for the name.
    let out = convert(ImportFormat::Adguard, ADGUARD, &opts("trackers.json")).unwrap();
    assert!(out.orgs.iter().any(|o| o.name.as_deref() == Some("bigco")));
}

#[test]
fn hosts_file() {
    let text = "# a hosts list\n127.0.0.1 localhost\n0.0.0.0 ads.example track.example # two\n::1 ip6-localhost\n0.0.0.0 ads.example\nbare.example\n0.0.0.0 com\n";
    let out = convert(ImportFormat::Hosts, text, &opts("hosts.txt")).unwrap();
    assert_eq!((out.domains, out.duplicate, out.invalid), (3, 1, 1));
    assert_eq!(out.orgs.len(), 1);
    assert_eq!(out.orgs[0].name, None);
    assert_eq!(out.orgs[0].services[0].name, "Listed in hosts.txt");
    assert_eq!(
        out.orgs[0].services[0].domains,
        ["ads.example", "track.example", "bare.example"]
    );
}

#[test]
fn adblock_list() {
    let text = "[Adblock Plus 2.0]\n! comment\n||ads.example^\n||track.example^$third-party\n||cond.example^$domain=a.example\n||path.example/ads.js\n@@||ok.example^\nexample.com##.banner\n/banner/*\n||wild*.example^\n";
    let out = convert(ImportFormat::Adblock, text, &opts("list.txt")).unwrap();
    assert_eq!(out.domains, 2);
    assert_eq!(out.unsupported, 6);
    assert_eq!(
        out.orgs[0].services[0].domains,
        ["ads.example", "track.example"]
    );
}

/// A fresh temporary directory, removed when dropped (also when the test fails).
fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("sporfri-import-{tag}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn overlay_is_written_in_our_format_loads_and_replaces_its_own_import() {
    let tmp = temp_dir("overlay");
    let dir = tmp.path().join("overlay");
    let out = convert(ImportFormat::Disconnect, DISCONNECT, &opts("services.json")).unwrap();
    let w = write_overlay(&dir, "disconnect", &out).unwrap();
    assert_eq!(w.files.len(), 3);
    assert!(w.files.iter().all(|f| f.starts_with(dir.join("orgs"))));
    // A second list sharing a domain: it is left out, the overlay stays valid.
    let hosts = convert(
        ImportFormat::Hosts,
        "0.0.0.0 adco.example\n0.0.0.0 new.example\n",
        &opts("h"),
    )
    .unwrap();
    let w2 = write_overlay(&dir, "hosts", &hosts).unwrap();
    assert_eq!((w2.files.len(), w2.already_in_overlay), (1, 1));
    // Importing the same prefix again replaces its files instead of colliding with them.
    let w3 = write_overlay(&dir, "disconnect", &out).unwrap();
    assert_eq!(w3.files.len(), 3);
    let layer = Layer {
        label: "overlay".into(),
        signatures: Signatures::from_dir(&dir).unwrap(),
    };
    let a = Attributor::from_layers(vec![layer], None).unwrap();
    let m = a.lookup("x.big-stats.example").unwrap();
    assert_eq!(m.org_name(), Some("Big Co"));
    assert_eq!(m.service.category, Category::Analytics);
    let unknown = a.lookup("new.example").unwrap();
    assert_eq!(unknown.org_name(), None);
    let r = a.attribute(&crate::attribute::Facts {
        name: "new.example",
        ..Default::default()
    });
    assert_eq!((r.org, r.service.as_deref()), (None, Some("Listed in h")));
}

#[test]
fn slugs() {
    assert_eq!(slug("Google LLC"), "google-llc");
    assert_eq!(slug("  Ad & Co. (Ltd) "), "ad-co-ltd");
    assert_eq!(slug("å"), "org");
    assert_eq!(slug(&"x".repeat(100)).len(), MAX_SLUG_LEN);
}
