use super::*;
use crate::attribute::signatures::{FileKind, Signatures, SourceFile};
use crate::attribute::{Attributor, Category, Facts, SignatureError, builtin_layer};

fn builtin() -> Signatures {
    builtin_layer().unwrap().signatures
}

fn check(text: &str) -> Vec<String> {
    let file = SourceFile {
        path: "endpoints/t.toml".into(),
        kind: FileKind::Endpoints,
        text: text.into(),
    };
    match Signatures::from_files(&[file]) {
        Ok(_) => Vec::new(),
        Err(SignatureError::Invalid(p)) => p,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn ga4_hit_names_property_and_page() {
    let url = "https://region1.google-analytics.com/g/collect?v=2&tid=G-ABC123&en=page_view\
               &dl=https%3A%2F%2Fwww.borger.dk%2Fskat&dr=https%3A%2F%2Fwww.google.com%2F";
    let sigs = builtin();
    let hit = sigs
        .endpoints()
        .classify("region1.google-analytics.com", url)
        .unwrap();
    assert_eq!(hit.endpoint, "ga4-collect");
    assert_eq!(hit.site_id.as_deref(), Some("G-ABC123"));
    assert_eq!(hit.page.as_deref(), Some("https://www.borger.dk/skat"));
    assert_eq!(hit.referrer.as_deref(), Some("https://www.google.com/"));
    assert_eq!(hit.event.as_deref(), Some("page_view"));
    let other_host = sigs.endpoints().classify(
        "analytics.google.com",
        "https://analytics.google.com/g/collect?tid=G-1",
    );
    assert_eq!(other_host.unwrap().endpoint, "ga4-collect");
}

#[test]
fn meta_pixel_linkedin_siteimprove() {
    let sigs = builtin();
    let e = sigs.endpoints();
    let meta = e
        .classify(
            "www.facebook.com",
            "https://www.facebook.com/tr/?id=123&ev=PageView&dl=https%3A%2F%2Fa.dk%2F",
        )
        .unwrap();
    assert_eq!(
        (
            meta.endpoint.as_str(),
            meta.site_id.as_deref(),
            meta.event.as_deref()
        ),
        ("meta-pixel", Some("123"), Some("PageView"))
    );
    let li = e
        .classify(
            "px.ads.linkedin.com",
            "https://px.ads.linkedin.com/collect?pid=42&url=https%3A%2F%2Fa.dk",
        )
        .unwrap();
    assert_eq!(li.site_id.as_deref(), Some("42"));
    let si = e
        .classify(
            "6543.global.siteimproveanalytics.io",
            "https://6543.global.siteimproveanalytics.io/image.aspx?accountid=6543&url=https%3A%2F%2Fa.dk%2Fx",
        )
        .unwrap();
    assert_eq!(
        (si.endpoint.as_str(), si.page.as_deref()),
        ("siteimprove-analytics", Some("https://a.dk/x"))
    );
}

#[test]
fn look_alikes_are_not_trackers() {
    let sigs = builtin();
    let e = sigs.endpoints();
    assert!(
        e.classify("notfacebook.com", "https://notfacebook.com/tr?id=1")
            .is_none()
    );
    assert!(
        e.classify("www.facebook.com", "https://www.facebook.com/profile")
            .is_none()
    );
    assert!(
        e.classify("www.facebook.com", "https://www.facebook.com/tracking")
            .is_none()
    );
}

#[test]
fn parameter_count_and_length_are_capped() {
    let sigs = builtin();
    let e = sigs.endpoints();
    let filler = "x=1&".repeat(MAX_QUERY_PARAMS);
    let url = format!("https://www.facebook.com/tr?{filler}id=late");
    assert_eq!(e.classify("www.facebook.com", &url).unwrap().site_id, None);
    let long = "a".repeat(MAX_PARAM_BYTES + 10);
    let hit = e
        .classify(
            "www.facebook.com",
            &format!("https://www.facebook.com/tr?id={long}"),
        )
        .unwrap();
    assert_eq!(hit.site_id.unwrap().len(), MAX_PARAM_BYTES);
}

#[test]
fn percent_decoding_keeps_bad_escapes() {
    assert_eq!(percent_decode("a%20b+c%zz%4"), "a b c%zz%4");
}

/// A tracker endpoint the signatures do not attribute to a tracking service would name a hit
/// nobody is accountable for.
#[test]
fn every_builtin_endpoint_host_is_a_tracking_signature() {
    let a = Attributor::from_layers(vec![builtin_layer().unwrap()], None).unwrap();
    let sigs = builtin();
    let e = sigs.endpoints();
    assert!(e.list().len() >= 18, "{}", e.list().len());
    for ep in e.list() {
        for host in &ep.hosts {
            let who = a.attribute(&Facts {
                name: host,
                ..Facts::default()
            });
            let tracking = [
                Category::Analytics,
                Category::Advertising,
                Category::Social,
                Category::TagManager,
                Category::SessionReplay,
            ];
            assert!(
                who.category.is_some_and(|c| tracking.contains(&c)),
                "{} ({}): {:?}",
                host,
                ep.origin,
                who.category
            );
        }
    }
}

#[test]
fn checker_names_every_problem() {
    let problems = check(
        r#"
[[endpoint]]
name = "Bad Name"
hosts = ["ok.example", "not a domain"]
path = "collect?x"
site_id = [""]
source = "test"

[[endpoint]]
name = "dup"
hosts = ["ok.example"]
path = "collect?x"

[[endpoint]]
name = "dup2"
hosts = ["ok.example"]
source = "test"

[[endpoint]]
name = "dup3"
hosts = ["ok.example"]
path = ""
source = "test"
"#,
    );
    let joined = problems.join("\n");
    for want in [
        "t.toml:3: endpoint name \"Bad Name\"",
        "t.toml:4: bad domain \"not a domain\"",
        "t.toml:5: path \"collect?x\"",
        "t.toml:6: empty parameter name",
        "t.toml:9: missing key `source`",
        "t.toml:21: duplicate endpoint \"ok.example\" path \"\" (first at endpoints/t.toml:16)",
    ] {
        assert!(joined.contains(want), "{want} in\n{joined}");
    }
    assert!(
        check("[[endpoint]]\nname = \"x\"\nhosts = [\"a.example\"]\nsource = \"s\"\nextra = 1\n")
            .join("\n")
            .contains("unknown field `extra`")
    );
    assert_eq!(
        check("# nothing\n"),
        ["endpoints/t.toml:1: no [[endpoint]] table"]
    );
    assert!(
        check("[[endpoint]]\nname = \"x\"\nhosts = [\"a.example\"]\nsource = \"s\"\n").is_empty()
    );
}

#[test]
fn an_endpoint_without_path_matches_any_path_and_the_first_entry_decides() {
    let text = r#"
[[endpoint]]
name = "first"
hosts = ["t.example"]
path = "/hit"
site_id = ["a"]
source = "s"

[[endpoint]]
name = "catch-all"
hosts = ["t.example"]
source = "s"
"#;
    let file = SourceFile {
        path: "endpoints/t.toml".into(),
        kind: FileKind::Endpoints,
        text: text.into(),
    };
    let s = Signatures::from_files(&[file]).unwrap();
    let e = s.endpoints();
    let hit = e
        .classify("x.t.example", "http://x.t.example/hit/1?a=7")
        .unwrap();
    assert_eq!(
        (hit.endpoint.as_str(), hit.site_id.as_deref()),
        ("first", Some("7"))
    );
    assert_eq!(
        e.classify("t.example", "https://t.example/other")
            .unwrap()
            .endpoint,
        "catch-all"
    );
    assert!(
        e.classify("t.example.org", "https://t.example.org/hit")
            .is_none()
    );
}
