//! HTTP/3 lab decryption on captures of a QUIC stack sporfri was not written against: aioquic's
//! client and server (`tests/decrypt-data/make-h3.sh`), one capture per cipher suite, each with
//! QPACK's dynamic table and Huffman strings (ls-qpack), a key update in both directions and a
//! switch to connection IDs announced by NEW_CONNECTION_ID before the last request; and one
//! where the client also moves to another port with that switch (`migrate.py`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use sporfri::attribute::Attributor;
use sporfri::capture::FileSource;
use sporfri::decrypt::KeyLog;
use sporfri::flow::Engine;
use sporfri::observation::{Exchange, FlowKey, HttpVersion, Observation, Proto};
use sporfri::pipeline::Pipeline;
use sporfri::weird::Weird;

mod common;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/decrypt-data")
        .join(name)
}

/// Replay a capture with `keys`: the decrypted requests with their flows, and the engine.
fn decrypt(name: &str, keys: KeyLog) -> (Vec<(FlowKey, Exchange)>, Engine) {
    let mut source = FileSource::open(&data(&format!("{name}.pcap"))).unwrap();
    let mut requests = Vec::new();
    let mut pipeline = Pipeline::new(|obs: &Observation| {
        if let Observation::Request { flow, exchange, .. } = obs {
            requests.push((*flow, (**exchange).clone()));
        }
    });
    pipeline.decrypt_with(keys);
    let end = pipeline.run(&mut source, &mut ());
    assert!(end.error.is_none());
    let (engine, _) = pipeline.into_parts();
    (requests, engine)
}

fn keys_of(name: &str) -> String {
    std::fs::read_to_string(data(&format!("{name}.keys"))).unwrap()
}

const SUITES: [&str; 3] = ["h3-aes128", "h3-aes256", "h3-chacha"];

#[test]
fn every_suite_gives_every_request_with_its_cookies() {
    let attributor = Attributor::builtin(None).unwrap();
    for name in SUITES {
        let (requests, engine) = decrypt(name, KeyLog::parse(keys_of(name).as_bytes()));
        assert!(
            engine.weirds().iter().next().is_none(),
            "{name}: {:?}",
            engine.weirds()
        );
        let got: Vec<(&str, Option<u16>)> = requests
            .iter()
            .map(|(_, r)| (r.url.as_str(), r.status))
            .collect();
        assert_eq!(
            got,
            [
                ("https://lab.example/index.html", Some(200)),
                (
                    "https://www.facebook.com/tr?id=4242&ev=PageView&dl=https%3A%2F%2Fwww.borger.dk%2Fpage",
                    Some(204)
                ),
                // After the key update and the switch to new connection IDs.
                ("https://lab.example/after-key-update?cid=new", Some(200)),
            ],
            "{name}"
        );
        for (flow, r) in &requests {
            assert_eq!(flow.proto, Proto::Udp, "{name}");
            assert_eq!(r.version, HttpVersion::Http3, "{name}");
            assert!(r.encrypted, "{name}");
            assert_eq!(r.referer.as_deref(), Some("https://www.borger.dk/page"));
            assert_eq!(r.content_type.as_deref(), Some("text/html"));
            assert_eq!(r.cookies_sent, ["consent", "_fbp"], "{name}");
            common::assert_lab_cookies(r, name);
        }
        let pixel = &requests[1].1;
        let hit = attributor.tracker_hit(&pixel.host, &pixel.url).unwrap();
        assert_eq!(hit.endpoint, "meta-pixel");
        assert_eq!(hit.site_id.as_deref(), Some("4242"));
        assert_eq!(hit.page.as_deref(), Some("https://www.borger.dk/page"));
    }
}

#[test]
fn missing_and_damaged_secrets_are_counted_never_a_crash() {
    let name = SUITES[0];
    let (requests, engine) = decrypt(name, KeyLog::new());
    assert!(requests.is_empty());
    assert_eq!(engine.weirds().get(Weird::DecryptQuicNoKey), 1);
    // The client's application secret damaged: its packets do not open. The server's do, but
    // answer requests never seen, or wait for the client's SETTINGS (in its lost packets) to
    // size their dynamic table.
    let damaged: String = keys_of(name)
        .lines()
        .map(|l| {
            if l.starts_with("CLIENT_TRAFFIC_SECRET_0") {
                format!("{}0\n", &l[..l.len() - 1])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let (requests, engine) = decrypt(name, KeyLog::parse(damaged.as_bytes()));
    assert!(requests.is_empty());
    assert!(engine.weirds().get(Weird::DecryptQuicBadPacket) > 0);
    assert_eq!(engine.weirds().get(Weird::DecryptQuicNoKey), 0);
    let w = engine.weirds();
    assert_eq!(
        w.get(Weird::DecryptH3ResponseWithoutRequest) + w.get(Weird::DecryptQpackBlockedAtEnd),
        3,
        "{w:?}"
    );
}

#[test]
fn http3_cookies_are_stored_with_the_session_and_reach_finding_6() {
    let db = common::scratch("h3-session").at("db");
    let (db, pcap, keys) = (
        db.to_str().unwrap(),
        data("h3-chacha.pcap"),
        data("h3-chacha.keys"),
    );
    let (code, _, err) = common::sporfri(&[
        "replay",
        pcap.to_str().unwrap(),
        "--keylog",
        keys.to_str().unwrap(),
        "--db",
        db,
        "--label",
        "h3",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, out, err) = common::sporfri(&["sessions", "export", "1", "--requests", "--db", db]);
    let stored: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(stored.len(), 3, "{err}");
    for r in &stored {
        assert_eq!(r["http"], "h3");
        assert!(
            r["flow"].as_str().unwrap().starts_with("udp 127.0.0.1:"),
            "{r}"
        );
        assert_eq!(r["phase"], "before-consent");
    }
    assert_eq!(stored[1]["tracker_endpoint"], "meta-pixel");
    let (_, out, err) = common::sporfri(&["report", "1", "--db", db, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
    let six = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["number"] == 6)
        .unwrap();
    assert_eq!(six["status"], "observed", "{six}");
    let names: Vec<&str> = six["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"lab_id"), "{six}");
}

#[test]
fn a_client_that_migrates_keeps_its_requests_on_the_hello_flow() {
    // h3-migrated: the client's port changes with its switch to a new connection ID.
    let name = "h3-migrated";
    let (requests, engine) = decrypt(name, KeyLog::parse(keys_of(name).as_bytes()));
    assert!(
        engine.weirds().iter().next().is_none(),
        "{:?}",
        engine.weirds()
    );
    let urls: Vec<&str> = requests.iter().map(|(_, r)| r.url.as_str()).collect();
    assert_eq!(urls.len(), 3, "{urls:?}");
    assert_eq!(urls[2], "https://lab.example/after-key-update?cid=new");
    let first = requests[0].0;
    assert!(requests.iter().all(|(flow, _)| *flow == first));
    assert_ne!(first.client.port(), 50123);
    assert_eq!(requests[2].1.status, Some(200));
}
