//! Attribution rules against the small fixture set in `tests/fixtures/signatures/good`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::signatures::{FileKind, Signatures, SourceFile};
use super::*;
use crate::observation::{Ech, Proto, Via};

fn fixtures(which: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/signatures")
        .join(which)
}

fn attributor(site: Option<&str>) -> Attributor {
    Attributor::load(&[&fixtures("good")], site).unwrap()
}

fn facts(name: &str) -> Facts<'_> {
    Facts {
        name,
        ..Facts::default()
    }
}

fn with_ports(name: &str, ports: &[(Proto, u16)]) -> Facts<'static> {
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    Facts {
        name: leaked,
        server_ports: ports.iter().copied().collect(),
        ..Facts::default()
    }
}

#[test]
fn longest_suffix_host_beats_registrable_domain() {
    let a = attributor(None);
    let r = a.attribute(&facts("x.analytics.google.com"));
    assert_eq!(r.service.as_deref(), Some("Google Analytics"));
    assert_eq!(r.matched.as_deref(), Some("analytics.google.com"));
    let r = a.attribute(&facts("www.google.com"));
    assert_eq!(r.service.as_deref(), Some("Google"));
    assert_eq!(r.matched.as_deref(), Some("google.com"));
    assert_eq!(r.org.as_deref(), Some("Google LLC"));
    assert_eq!(r.party, Party::Third);
}

#[test]
fn matching_ignores_case_trailing_dot_and_unicode_spelling() {
    let a = attributor(None);
    for n in ["WWW.Google-Analytics.COM.", "www.google-analytics.com"] {
        assert_eq!(
            a.attribute(&facts(n)).service.as_deref(),
            Some("Google Analytics"),
            "{n}"
        );
    }
    for n in ["shop.bücher.dk", "shop.xn--bcher-kva.dk", "BÜCHER.dk."] {
        let r = a.attribute(&facts(n));
        assert_eq!(r.service.as_deref(), Some("Bücher widget"), "{n}");
        assert_eq!(r.matched.as_deref(), Some("xn--bcher-kva.dk"));
    }
    assert!(a.lookup("bücher.dk").is_some());
}

#[test]
fn no_suffix_match_across_label_boundaries_or_public_suffixes() {
    let a = attributor(None);
    assert!(a.lookup("notgoogle.com").is_none());
    assert!(a.lookup("com").is_none());
    assert!(a.lookup("net").is_none());
    // Unknown internet name: still a third-party contact, org unknown.
    let r = a.attribute(&facts("tracker.unknown-vendor.example"));
    assert_eq!((r.org, r.party), (None, Party::Third));
}

#[test]
fn ip_literals_never_match_and_are_unknown_or_local() {
    let a = attributor(None);
    assert!(a.lookup("142.250.74.46").is_none());
    assert_eq!(a.attribute(&facts("142.250.74.46")).party, Party::Unknown);
    assert_eq!(a.attribute(&facts("2a00:1450::1")).party, Party::Unknown);
    assert_eq!(a.attribute(&facts("192.168.1.10")).party, Party::Local);
    assert_eq!(a.attribute(&facts("fe80::1")).party, Party::Local);
    assert_eq!(a.attribute(&facts("fd00::1")).party, Party::Local);
    assert_eq!(a.attribute(&facts("")).party, Party::Unknown);
}

#[test]
fn party_rules() {
    let a = attributor(Some("example.dk"));
    let first = a.attribute(&facts("www.example.dk"));
    assert_eq!(first.party, Party::First);
    assert_eq!(first.org.as_deref(), Some("Testministeriet"));
    assert_eq!(first.matched.as_deref(), Some("example.dk"));
    assert_eq!(
        a.attribute(&facts("login.example-login.dk")).party,
        Party::First
    );
    assert_eq!(a.attribute(&facts("notexample.dk")).party, Party::Third);
    let os = a.attribute(&facts("connectivitycheck.gstatic.com"));
    assert_eq!(
        (os.party, os.category),
        (Party::OsBackground, Some(Category::OsBackground))
    );
    assert_eq!(a.attribute(&facts("printer.local")).party, Party::Local);
    assert_eq!(a.attribute(&facts("nas.home.arpa")).party, Party::Local);
    let mut local = facts("_googlecast._tcp.local");
    local.local = true;
    assert_eq!(a.attribute(&local).party, Party::Local);
    for n in [
        "router.lan",
        "nas.internal",
        "box.localdomain",
        "wpad",
        "localhost",
    ] {
        assert_eq!(a.attribute(&facts(n)).party, Party::Local, "{n}");
    }
    // Without a site profile no name is first party.
    assert_eq!(
        attributor(None).attribute(&facts("www.example.dk")).party,
        Party::Third
    );
}

/// Issue 15: a lab or split-horizon DNS put every server on 10.x and every tracker became
/// `local`. The party comes from the name; the addresses never decide it.
#[test]
fn public_names_keep_their_party_on_private_addresses() {
    let a = attributor(Some("example.dk"));
    let private: BTreeSet<std::net::IpAddr> = ["10.0.113.31", "fd00:113::31", "127.0.0.1"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let on_lan = |name: &'static str| Facts {
        name,
        server_ips: private.clone(),
        ..Facts::default()
    };
    let ga = a.attribute(&on_lan("region1.google-analytics.com"));
    assert_eq!(
        (ga.party, ga.org.as_deref()),
        (Party::Third, Some("Google LLC"))
    );
    assert_eq!(a.attribute(&on_lan("www.example.dk")).party, Party::First);
    let os = a.attribute(&on_lan("connectivitycheck.gstatic.com"));
    assert_eq!(os.party, Party::OsBackground);
    assert_eq!(
        a.attribute(&on_lan("tracker.unknown-vendor.example")).party,
        Party::Third
    );
    // Cloaking is checked for every name, whatever its addresses.
    let chain = vec!["example.dk.sc.omtrdc.net".to_owned()];
    let f = Facts {
        name: "metrics.example.dk",
        cname_chain: &chain,
        server_ips: private.clone(),
        ..Facts::default()
    };
    let r = a.attribute(&f);
    assert_eq!(
        (r.party, r.org.as_deref()),
        (Party::Third, Some("Adobe Inc."))
    );
    assert!(r.cloaked.is_some());
    // No name at a LAN address is still local.
    assert_eq!(a.attribute(&facts("10.0.113.31")).party, Party::Local);
}

#[test]
fn unknown_site_is_an_error() {
    let e = Attributor::load(&[&fixtures("good")], Some("nope.dk")).unwrap_err();
    assert!(
        matches!(e, SignatureError::UnknownSite(ref s) if s == "nope.dk"),
        "{e}"
    );
}

#[test]
fn cname_cloaking_of_a_first_party_name() {
    let a = attributor(Some("example.dk"));
    let chain = vec![
        "example.dk.sc.omtrdc.net".to_owned(),
        "edge.example.net".to_owned(),
    ];
    let f = Facts {
        name: "metrics.example.dk",
        cname_chain: &chain,
        ..Facts::default()
    };
    let r = a.attribute(&f);
    assert_eq!(r.party, Party::Third);
    assert_eq!(r.org.as_deref(), Some("Adobe Inc."));
    assert_eq!(r.service.as_deref(), Some("Adobe Analytics"));
    assert_eq!(r.category, Some(Category::Analytics));
    assert_eq!(r.matched.as_deref(), Some("omtrdc.net"));
    let c = r.cloaked.unwrap();
    assert_eq!(c.chain, ["metrics.example.dk", "example.dk.sc.omtrdc.net"]);
    assert_eq!(c.target, "example.dk.sc.omtrdc.net");
}

#[test]
fn cname_to_the_same_org_or_to_a_non_tracker_is_not_cloaking() {
    let a = attributor(None);
    let chain = vec![
        "www-google-analytics.l.google.com".to_owned(),
        "x.google-analytics.com".to_owned(),
    ];
    let f = Facts {
        name: "www.google-analytics.com",
        cname_chain: &chain,
        ..Facts::default()
    };
    let r = a.attribute(&f);
    assert_eq!(r.cloaked, None);
    assert_eq!(r.service.as_deref(), Some("Google Analytics"));
    // A CDN in the chain is not a tracker.
    let chain = vec!["www.google.com".to_owned()];
    let f = Facts {
        name: "cdn.unknown.example",
        cname_chain: &chain,
        ..Facts::default()
    };
    assert_eq!(a.attribute(&f).cloaked, None);
    // An unknown name pointing at a tracker is cloaked even without a site.
    let chain = vec!["a.2o7.net".to_owned()];
    let f = Facts {
        name: "stats.shop.example",
        cname_chain: &chain,
        ..Facts::default()
    };
    let r = a.attribute(&f);
    assert_eq!(r.cloaked.map(|c| c.target), Some("a.2o7.net".to_owned()));
    assert_eq!(r.party, Party::Third);
}

#[test]
fn hidden_dns_over_tls_and_quic() {
    let a = attributor(None);
    assert_eq!(
        a.attribute(&with_ports("dns.google", &[(Proto::Tcp, 853)]))
            .hidden,
        Some(Hidden::DnsOverTls)
    );
    assert_eq!(
        a.attribute(&with_ports("1.1.1.1", &[(Proto::Tcp, 853)]))
            .hidden,
        Some(Hidden::DnsOverTls)
    );
    assert_eq!(
        a.attribute(&with_ports("x.example", &[(Proto::Udp, 853)]))
            .hidden,
        Some(Hidden::DnsOverTls)
    );
}

#[test]
fn hidden_dns_over_https_needs_a_resolver_and_encryption() {
    let a = attributor(None);
    let mut f = facts("dns.google");
    f.via = BTreeSet::from([Via::Tls]);
    assert_eq!(a.attribute(&f).hidden, Some(Hidden::DnsOverHttps));
    let mut f = facts("mozilla.cloudflare-dns.com");
    f.server_ports = BTreeSet::from([(Proto::Udp, 443)]);
    assert_eq!(a.attribute(&f).hidden, Some(Hidden::DnsOverHttps));
    // Only looked up: not hidden.
    let mut f = facts("dns.google");
    f.via = BTreeSet::from([Via::Dns]);
    assert_eq!(a.attribute(&f).hidden, None);
    // Not a resolver.
    let mut f = facts("www.google.com");
    f.via = BTreeSet::from([Via::Tls]);
    assert_eq!(a.attribute(&f).hidden, None);
}

#[test]
fn hidden_private_relay_ech_and_vpn() {
    let a = attributor(None);
    let r = a.attribute(&facts("mask.icloud.com"));
    assert_eq!(
        (r.hidden, r.party),
        (Some(Hidden::PrivateRelay), Party::OsBackground)
    );
    // Also by name alone, without a signature.
    let b = Attributor::default();
    assert_eq!(
        b.attribute(&facts("mask-h2.icloud.com")).hidden,
        Some(Hidden::PrivateRelay)
    );
    let mut f = facts("cloudflare-ech.com");
    f.ech = Some(Ech::Real);
    assert_eq!(a.attribute(&f).hidden, Some(Hidden::Ech));
    f.ech = Some(Ech::Grease);
    assert_eq!(a.attribute(&f).hidden, None);
    for port in VPN_UDP_PORTS {
        let r = a.attribute(&with_ports("203.0.113.9", &[(Proto::Udp, port)]));
        assert_eq!(r.hidden, Some(Hidden::Vpn), "udp/{port}");
    }
    assert_eq!(
        a.attribute(&with_ports("x.example", &[(Proto::Tcp, 51820)]))
            .hidden,
        None
    );
}

#[test]
fn site_declares_third_parties_by_domain_and_by_organisation() {
    let a = attributor(Some("example.dk"));
    let reference = Some("https://example.dk/privacy#siteimprove".to_owned());
    assert_eq!(
        a.attribute(&facts("6543.global.siteimproveanalytics.io"))
            .declared,
        reference
    );
    assert_eq!(
        a.attribute(&facts("siteimproveanalytics.com")).declared,
        reference
    );
    // Same organisation, other domain: declared through the organisation.
    assert_eq!(
        a.attribute(&facts("my.siteimprove.com")).declared,
        reference
    );
    assert_eq!(
        a.attribute(&facts("www.google-analytics.com")).declared,
        None
    );
    assert_eq!(a.attribute(&facts("www.example.dk")).declared, None);
    assert_eq!(
        attributor(None)
            .attribute(&facts("siteimproveanalytics.com"))
            .declared,
        None
    );
}

#[test]
fn empty_attributor_still_gives_third_party_contacts() {
    let a = Attributor::default();
    let r = a.attribute(&facts("www.example.com"));
    assert_eq!((r.org, r.party, r.matched), (None, Party::Third, None));
}

#[test]
fn builtin_set_loads_even_when_empty() {
    let layer = builtin_layer().unwrap();
    assert_eq!(layer.label, "builtin");
}

#[test]
fn earlier_layers_win_over_later_ones() {
    let base = Signatures::from_files(&[org("base.toml", "Base Org", "analytics", "shop.example")])
        .unwrap();
    let over = Signatures::from_files(&[org(
        "over.toml",
        "Overlay Org",
        "advertising",
        "ads.shop.example",
    )])
    .unwrap();
    let layers = vec![
        Layer {
            label: "builtin".into(),
            signatures: base,
        },
        Layer {
            label: "overlay".into(),
            signatures: over,
        },
    ];
    let a = Attributor::from_layers(layers, None).unwrap();
    // The base set knows the name (via its registrable domain), so it decides.
    let m = a.lookup("ads.shop.example").unwrap();
    assert_eq!((m.org_name(), m.layer), (Some("Base Org"), "builtin"));
    let layers = vec![Layer {
        label: "overlay".into(),
        signatures: Signatures::from_files(&[org(
            "o.toml",
            "Overlay Org",
            "advertising",
            "other.example",
        )])
        .unwrap(),
    }];
    let a = Attributor::from_layers(layers, None).unwrap();
    assert_eq!(a.lookup("x.other.example").unwrap().layer, "overlay");
}

fn org(path: &str, name: &str, category: &str, domain: &str) -> SourceFile {
    SourceFile {
        path: path.into(),
        kind: FileKind::Org,
        text: format!(
            "[organisation]\nname = {name:?}\ncountry = \"DK\"\nsource = \"s\"\n\n[[service]]\nname = \"S\"\ncategory = {category:?}\npurpose = \"p\"\nsource = \"example.org/s\"\ndomains = [{domain:?}]\n"
        ),
    }
}

#[test]
fn checker_reports_every_problem_with_file_and_line() {
    let e = Signatures::from_dir(&fixtures("bad")).unwrap_err();
    let SignatureError::Invalid(problems) = e else {
        panic!("{e}");
    };
    let bad = fixtures("bad");
    let alpha = bad.join("orgs/alpha.toml").display().to_string();
    let beta = bad.join("orgs/beta.toml").display().to_string();
    let expect = [
        format!("{beta}:8: unknown category \"adverts\""),
        format!("{beta}:13: duplicate domain \"shared.example\" (first at {alpha}:13)"),
        format!("{beta}:14: bad domain \"Bad_Domain.example\": domain must be lower case"),
        format!(
            "{beta}:15: bad domain \"co.uk\": a bare public suffix would match unrelated sites"
        ),
        format!("{beta}:18: missing key `category`"),
    ];
    assert_eq!(problems, expect);
}

#[test]
fn checker_structural_errors() {
    let cases = [
        (
            "[organisation]\nname = \"X\"\ncountry = \"DK\"\nsource = \"s\"\nwebsite = \"w\"\n",
            "t.toml:5: unknown field `website`",
        ),
        ("name = \"X\"\n", "t.toml:1: unknown field `name`"),
        (
            "\n[[service]]\nname = \"x\"\n",
            "t.toml:1: missing table [organisation]",
        ),
        (
            "[organisation]\nname = \"X\"\ncountry = \"Denmark\"\nsource = \"s\"\n",
            "t.toml:3: country \"Denmark\" is not an ISO 3166-1 alpha-2 code",
        ),
        (
            "[organisation]\nname = \"\"\ncountry = \"DK\"\nsource = \"s\"\n",
            "t.toml:2: `name` is empty",
        ),
        ("[organisation\n", "t.toml:1: unclosed table, expected `]`"),
        (
            "[organisation]\nname = \"X\"\ncountry = \"DK\"\nsource = \"s\"\n[[service]]\nname = \"S\"\ncategory = \"cdn\"\npurpose = \"p\"\nsource = \"example.org/s\"\ndomains = []\n",
            "t.toml:10: `domains` is empty",
        ),
    ];
    for (text, want) in cases {
        let f = SourceFile {
            path: "t.toml".into(),
            kind: FileKind::Org,
            text: text.into(),
        };
        let Err(SignatureError::Invalid(p)) = Signatures::from_files(&[f]) else {
            panic!("no error for {text:?}");
        };
        assert!(
            p.first().is_some_and(|l| l.starts_with(want)),
            "{text:?}: {p:?}"
        );
    }
}

#[test]
fn checker_site_profiles() {
    let text = "[site]\nname = \"other.dk\"\ntitle = \"t\"\nowner = \"o\"\ncountry = \"DK\"\nfirst_party = [\"x.dk\"]\nsource = \"s\"\n\n[[allowed]]\ndomains = [\"ok.example\"]\nreason = \"r\"\n";
    let f = SourceFile {
        path: "sites/x.dk.toml".into(),
        kind: FileKind::Site,
        text: text.into(),
    };
    let Err(SignatureError::Invalid(p)) = Signatures::from_files(&[f]) else {
        panic!("accepted");
    };
    assert_eq!(
        p,
        [
            "sites/x.dk.toml:2: site name \"other.dk\" differs from its file name \"x.dk\"",
            "sites/x.dk.toml:9: missing key `reference`",
        ]
    );
}

#[test]
fn every_category_word_round_trips() {
    for c in Category::ALL {
        assert_eq!(Category::parse(c.as_str()), Some(c));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, format!("\"{}\"", c.as_str()));
    }
    assert_eq!(Category::parse("ads"), None);
}

/// The built-in signatures only (no overlay), with the lab's site profile when `lab` is set.
fn builtin(lab: bool) -> Attributor {
    let mut layers = vec![builtin_layer().unwrap()];
    let mut site = None;
    if lab {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lab/signatures");
        layers.push(dir_layer(&dir).unwrap());
        site = Some("borger.test");
    }
    Attributor::from_layers(layers, site).unwrap()
}

fn with_chain<'a>(name: &'a str, chain: &'a [String]) -> Facts<'a> {
    Facts {
        name,
        cname_chain: chain,
        ..Facts::default()
    }
}

/// Issue 15.6: on a real capture `www.weibo.com` (CNAME `www.weibo.com.cdngc.net`, CDNetworks)
/// became a cloaked Contentsquare session-replay finding, because `cdngc.net` stood in the
/// Contentsquare signature and any tracking category counted as a cloaking target. A CDN in a
/// chain is never an accusation; only flagged trackers' own domains are.
#[test]
fn regression_real_cdn_cname_chains_are_not_cloaking() {
    let a = builtin(false);
    let chains: [(&str, &[&str]); 4] = [
        ("www.weibo.com", &["www.weibo.com.cdngc.net"]),
        // Blogger custom domains point at ghs.google.com (a google.com host: advertising).
        ("blog.example.dk", &["ghs.google.com"]),
        (
            "www.apple.com",
            &[
                "www.apple.com.edgekey.net",
                "www.apple.com.edgekey.net.globalredir.akadns.net",
                "e6858.dscx.akamaiedge.net",
            ],
        ),
        ("www.reddit.com", &["reddit.map.fastly.net"]),
    ];
    for (name, chain) in chains {
        let chain: Vec<String> = chain.iter().map(|s| (*s).to_owned()).collect();
        let r = a.attribute(&with_chain(name, &chain));
        assert_eq!(r.cloaked, None, "{name} -> {chain:?}: {r:?}");
        assert_ne!(r.category, Some(Category::SessionReplay), "{name}");
    }
    // The CDN host itself is the CDN's, not a session-replay vendor's.
    let cdn = a.attribute(&facts("www.weibo.com.cdngc.net"));
    assert_eq!(cdn.category, Some(Category::Cdn));
    assert_eq!(cdn.org.as_deref(), Some("CDNetworks Co., Ltd."));
    // Clicktale's own host on that CDN is still Contentsquare's.
    let own = a.attribute(&facts("clicktalecdn.sslcs.cdngc.net"));
    assert_eq!(own.org.as_deref(), Some("Contentsquare SAS"));
}

/// The lab's Adobe case stays cloaked with the built-in signatures.
#[test]
fn adobe_first_party_cname_in_the_lab_stays_cloaked() {
    let a = builtin(true);
    let chain = vec!["borger.sc.omtrdc.net".to_owned()];
    let r = a.attribute(&with_chain("metrics.borger.test", &chain));
    assert_eq!(r.party, Party::Third);
    assert_eq!(r.org.as_deref(), Some("Adobe Inc."));
    let c = r.cloaked.unwrap();
    assert_eq!(c.chain, ["metrics.borger.test", "borger.sc.omtrdc.net"]);
    // Without the chain it is the site's own name.
    assert_eq!(
        a.attribute(&facts("metrics.borger.test")).party,
        Party::First
    );
}

/// A tracking category is not enough: only `cloaking_target` services are cloaking targets,
/// and the checker refuses the flag on a service that is no tracker.
#[test]
fn only_flagged_tracker_domains_are_cloaking_targets() {
    let replay = org(
        "orgs/replay.toml",
        "Replay Ltd",
        "session-replay",
        "replay.example",
    );
    let layer = Layer {
        label: "test".into(),
        signatures: Signatures::from_files(&[replay]).unwrap(),
    };
    let a = Attributor::from_layers(vec![layer], None).unwrap();
    let chain = vec!["shop.example.replay.example".to_owned()];
    assert_eq!(
        a.attribute(&with_chain("www.shop.example", &chain)).cloaked,
        None
    );
    let mut flagged_cdn = org("orgs/cdn.toml", "Cdn Ltd", "cdn", "cdn.example");
    flagged_cdn.text.push_str("cloaking_target = true\n");
    let err = Signatures::from_files(&[flagged_cdn])
        .unwrap_err()
        .to_string();
    assert!(err.contains("cloaking_target on a cdn service"), "{err}");
}
