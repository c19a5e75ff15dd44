//! Lab decryption end to end: a TLS 1.2 capture with its key log gives the same HTTP requests
//! as tshark decrypting it, and a missing key is a counted weird, not a crash.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sporfri::attribute::Attributor;
use sporfri::capture::FileSource;
use sporfri::decrypt::KeyLog;
use sporfri::flow::Engine;
use sporfri::observation::{Exchange, Observation};
use sporfri::pipeline::Pipeline;
use sporfri::weird::Weird;

mod common;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures")
        .join(name)
}

const TLS12: &str = "tls-1.2-stream-keylog.pcap";

/// Replay `file` with `keys`; the decrypted requests and the engine.
fn decrypt(file: &Path, keys: Option<KeyLog>) -> (Vec<Exchange>, Engine) {
    let mut source = FileSource::open(file).unwrap();
    let mut requests = Vec::new();
    let mut pipeline = Pipeline::new(|obs: &Observation| {
        if let Observation::Request { exchange, .. } = obs {
            requests.push((**exchange).clone());
        }
    });
    if let Some(keys) = keys {
        pipeline.decrypt_with(keys);
    }
    let end = pipeline.run(&mut source, &mut ());
    assert!(end.error.is_none());
    let (engine, _) = pipeline.into_parts();
    (requests, engine)
}

fn heise_keys() -> KeyLog {
    KeyLog::parse(&std::fs::read(capture(&format!("{TLS12}.keys"))).unwrap())
}

/// What tshark decrypts from the capture (`http.request.full_uri`), captured once with
/// `tshark -o tls.keylog_file:… -Y http.request -T fields -e http.request.full_uri`.
const HEISE_URLS: &[&str] = &[
    "https://www.heise.de/assets/akwa/v24/js/akwa.js?.ltc.c61e84978682308f631c",
    "https://www.heise.de/assets/heise/images/mit_technology_review_singleline.b768.ltc.svg",
    "https://www.heise.de/assets/heise/hobell/css/hobell.css?.ltc.3746e7e49abafa23b5fb",
    "https://www.heise.de/assets/components/images/heise-jobs-module-desktop-top-left.svg",
    "https://www.heise.de/icons/svg/logos/svg/mac.svg",
    "https://www.heise.de/icons/svg/logos/svg/heise_online.svg",
    "https://www.heise.de/assets/heise/images/ix.bde1.ltc.svg",
    "https://www.heise.de/assets/heise/images/mit_technology_review.2271.ltc.svg",
    "https://www.heise.de/icons/ho/favicon/favicon-32x32.png",
    "https://www.heise.de/assets/akwa/v24/js/akwa.js?.ltc.c61e84978682308f631c",
    "https://www.heise.de/icons/common-icons.svg",
    "https://www.heise.de/icons/svg/logos/svg/heise_online.svg",
    "https://www.heise.de/icons/svg/logos/svg/make.svg",
    "https://www.heise.de/icons/svg/logos/svg/heise_autos.svg",
    "https://www.heise.de/assets/heise/images/chevron-right.ab1a.ltc.svg",
    "https://www.heise.de/assets/heise/images/telepolis.a680.ltc.svg",
];

#[test]
fn tls12_capture_gives_tsharks_requests() {
    let (requests, engine) = decrypt(&capture(TLS12), Some(heise_keys()));
    let urls: Vec<&str> = requests.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, HEISE_URLS, "weirds: {:?}", engine.weirds());
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.host == "www.heise.de")
    );
    let statuses: Vec<Option<u16>> = requests.iter().map(|r| r.status).collect();
    let mut expected = vec![Some(200); 16];
    expected[9] = Some(304);
    expected[15] = Some(304);
    assert_eq!(statuses, expected);
    // The tenth request sent the consent manager's cookies: names only.
    let last = &requests[9];
    assert!(
        last.cookies_sent.contains(&"consentUUID".to_owned()),
        "{:?}",
        last.cookies_sent
    );
    assert!(!last.cookies_sent.iter().any(|n| n.contains('=')));
    assert_eq!(engine.weirds().get(Weird::DecryptNoKey), 0);
    assert_eq!(engine.weirds().get(Weird::DecryptBadRecord), 0);
}

#[test]
fn tls12_capture_agrees_with_tshark_when_installed() {
    let path = capture(TLS12);
    let keys = capture(&format!("{TLS12}.keys"));
    let Ok(out) = Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .arg("-o")
        .arg(format!("tls.keylog_file:{}", keys.display()))
        .args([
            "-Y",
            "http.request",
            "-T",
            "fields",
            "-e",
            "http.request.full_uri",
        ])
        .output()
    else {
        eprintln!("tshark not installed: skipped");
        return;
    };
    let tshark: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let (requests, _) = decrypt(&path, Some(heise_keys()));
    let ours: Vec<String> = requests.into_iter().map(|r| r.url).collect();
    assert_eq!(ours, tshark);
}

#[test]
fn without_keys_nothing_is_decrypted_and_nothing_counted() {
    let (requests, engine) = decrypt(&capture(TLS12), None);
    assert!(requests.is_empty());
    assert_eq!(engine.weirds().get(Weird::DecryptNoKey), 0);
}

#[test]
fn a_key_log_without_this_connection_counts_no_key() {
    let other = "CLIENT_RANDOM 00000000000000000000000000000000000000000000000000000000000000ff \
                 000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
    let (requests, engine) = decrypt(&capture(TLS12), Some(KeyLog::parse(other.as_bytes())));
    assert!(requests.is_empty());
    assert_eq!(engine.weirds().get(Weird::DecryptNoKey), 1);
}

#[test]
fn a_wrong_key_counts_bad_record() {
    let text = std::fs::read_to_string(capture(&format!("{TLS12}.keys"))).unwrap();
    let (head, secret) = text.trim().rsplit_once(' ').unwrap();
    let wrong: String = secret.chars().rev().collect();
    let (requests, engine) = decrypt(
        &capture(TLS12),
        Some(KeyLog::parse(format!("{head} {wrong}").as_bytes())),
    );
    assert!(requests.is_empty());
    assert_eq!(engine.weirds().get(Weird::DecryptBadRecord), 1);
}

/// Replay a pcapng whose secrets sit in Decryption Secrets Blocks, as `replay --requests` does.
fn decrypt_with_dsb(file: &Path) -> (Vec<Exchange>, Engine) {
    let mut source = FileSource::open(file).unwrap();
    let mut requests = Vec::new();
    let mut pipeline = Pipeline::new(|obs: &Observation| {
        if let Observation::Request { exchange, .. } = obs {
            requests.push((**exchange).clone());
        }
    });
    pipeline.decrypt_with(KeyLog::new());
    let end = pipeline.run(&mut source, &mut ());
    assert!(end.error.is_none());
    let (engine, _) = pipeline.into_parts();
    (requests, engine)
}

#[test]
fn pcapng_decryption_secrets_block_is_surfaced() {
    // SHB (28 bytes), then a DSB with a TLSK secret of 5 bytes padded to 8.
    let mut f = vec![];
    f.extend_from_slice(&0x0A0D0D0Au32.to_le_bytes());
    f.extend_from_slice(&28u32.to_le_bytes());
    f.extend_from_slice(&0x1A2B3C4Du32.to_le_bytes());
    f.extend_from_slice(&[1, 0, 0, 0]);
    f.extend_from_slice(&u64::MAX.to_le_bytes());
    f.extend_from_slice(&28u32.to_le_bytes());
    f.extend_from_slice(&0x0Au32.to_le_bytes());
    f.extend_from_slice(&28u32.to_le_bytes());
    f.extend_from_slice(&0x544c534bu32.to_le_bytes());
    f.extend_from_slice(&5u32.to_le_bytes());
    f.extend_from_slice(b"HELLO\0\0\0");
    f.extend_from_slice(&28u32.to_le_bytes());
    let mut source = FileSource::from_reader(Box::new(std::io::Cursor::new(f)), "dsb", 0).unwrap();
    use sporfri::capture::PacketSource;
    assert!(source.next_packet().unwrap().is_none());
    assert_eq!(source.take_secrets(), b"HELLO\n");
    assert!(source.take_secrets().is_empty());
}

#[test]
fn pcapng_with_injected_secrets_decrypts_without_a_key_file() {
    let dir = tempfile::Builder::new()
        .prefix("sporfri-dsb-")
        .tempdir()
        .unwrap();
    let out = dir.path().join("dsb.pcapng");
    let keys = capture(&format!("{TLS12}.keys"));
    let status = Command::new("editcap")
        .arg("--inject-secrets")
        .arg(format!("tls,{}", keys.display()))
        .arg(capture(TLS12))
        .arg(&out)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("editcap not installed: skipped");
        return;
    }
    let (requests, engine) = decrypt_with_dsb(&out);
    let urls: Vec<&str> = requests.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, HEISE_URLS, "weirds: {:?}", engine.weirds());
}

#[test]
fn secrets_from_blocks_are_capped() {
    use sporfri::capture::PacketSource;
    use sporfri::capture::file::MAX_SECRETS_BYTES;
    let mut f = vec![];
    f.extend_from_slice(&0x0A0D0D0Au32.to_le_bytes());
    f.extend_from_slice(&28u32.to_le_bytes());
    f.extend_from_slice(&0x1A2B3C4Du32.to_le_bytes());
    f.extend_from_slice(&[1, 0, 0, 0]);
    f.extend_from_slice(&u64::MAX.to_le_bytes());
    f.extend_from_slice(&28u32.to_le_bytes());
    let size = MAX_SECRETS_BYTES / 2 + 4;
    for _ in 0..2 {
        let block_len = 20 + size as u32;
        f.extend_from_slice(&0x0Au32.to_le_bytes());
        f.extend_from_slice(&block_len.to_le_bytes());
        f.extend_from_slice(&0x544c534bu32.to_le_bytes());
        f.extend_from_slice(&(size as u32).to_le_bytes());
        f.extend(std::iter::repeat_n(b'#', size));
        f.extend_from_slice(&block_len.to_le_bytes());
    }
    let mut source = FileSource::from_reader(Box::new(std::io::Cursor::new(f)), "dsb", 0).unwrap();
    assert!(source.next_packet().unwrap().is_none());
    assert_eq!(
        source.take_secrets().len(),
        size + 1,
        "the second block is dropped"
    );
}

/// The lab captures of `tests/decrypt-data` (made by its `make.sh`: curl and openssl s_client
/// against a python-h2 server, recorded with their key logs).
fn lab(name: &str) -> (Vec<Exchange>, Engine) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/decrypt-data");
    let keys = KeyLog::parse(&std::fs::read(dir.join(format!("{name}.keys"))).unwrap());
    decrypt(&dir.join(format!("{name}.pcap")), Some(keys))
}

#[test]
fn lab_captures_every_suite_and_http_version() {
    use sporfri::observation::HttpVersion;
    let attributor = Attributor::builtin(None).unwrap();
    for (name, version) in [
        ("tls13-h2-aes128", HttpVersion::Http2),
        ("tls13-h2-chacha", HttpVersion::Http2),
        ("tls13-h1-aes256", HttpVersion::Http1),
        ("tls12-h2-aes256", HttpVersion::Http2),
        ("tls12-h1-chacha", HttpVersion::Http1),
    ] {
        let (requests, engine) = lab(name);
        assert!(
            engine.weirds().iter().next().is_none(),
            "{name}: {:?}",
            engine.weirds()
        );
        let urls: Vec<&str> = requests.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://lab.example:8443/index.html",
                "https://www.facebook.com:8443/tr?id=4242&ev=PageView&dl=https%3A%2F%2Fwww.borger.dk%2Fpage"
            ],
            "{name}"
        );
        let [page, pixel] = &requests[..] else {
            unreachable!()
        };
        assert_eq!(
            (page.status, pixel.status),
            (Some(200), Some(204)),
            "{name}"
        );
        assert_eq!(page.version, version, "{name}");
        assert_eq!(page.referer.as_deref(), Some("https://www.borger.dk/page"));
        assert_eq!(page.content_type.as_deref(), Some("text/html"));
        assert_eq!(page.cookies_sent, ["consent", "_fbp"], "{name}");
        common::assert_lab_cookies(page, name);
        assert!(page.encrypted && pixel.encrypted, "{name}");
        let hit = attributor.tracker_hit(&pixel.host, &pixel.url).unwrap();
        assert_eq!(hit.endpoint, "meta-pixel");
        assert_eq!(hit.site_id.as_deref(), Some("4242"));
        assert_eq!(hit.page.as_deref(), Some("https://www.borger.dk/page"));
        assert_eq!(hit.event.as_deref(), Some("PageView"));
    }
}

#[test]
fn lab_capture_with_key_updates_both_ways() {
    let (requests, engine) = lab("tls13-keyupdate");
    let got: Vec<(&str, Option<u16>)> = requests
        .iter()
        .map(|r| (r.url.as_str(), r.status))
        .collect();
    assert_eq!(
        got,
        [
            ("https://lab.example/first", Some(200)),
            ("https://lab.example/second", Some(200))
        ],
        "{:?}",
        engine.weirds()
    );
}

#[test]
fn lab_captures_agree_with_tshark_when_installed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/decrypt-data");
    for name in ["tls13-h2-aes128", "tls12-h1-chacha", "tls13-keyupdate"] {
        let Ok(out) = Command::new("tshark")
            .arg("-r")
            .arg(dir.join(format!("{name}.pcap")))
            .arg("-o")
            .arg(format!(
                "tls.keylog_file:{}",
                dir.join(format!("{name}.keys")).display()
            ))
            .args(["-Y", "http.request || http2.headers.method", "-T", "fields"])
            .args([
                "-e",
                "http.request.full_uri",
                "-e",
                "http2.request.full_uri",
            ])
            .output()
        else {
            eprintln!("tshark not installed: skipped");
            return;
        };
        let tshark: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_owned())
            .collect();
        let ours: Vec<String> = lab(name).0.into_iter().map(|r| r.url).collect();
        assert_eq!(ours, tshark, "{name}");
    }
}

#[test]
fn damaged_lab_captures_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/decrypt-data");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in ["tls13-h2-aes128", "tls12-h1-chacha", "tls13-keyupdate"] {
        let original = std::fs::read(dir.join(format!("{name}.pcap"))).unwrap();
        let keys = KeyLog::parse(&std::fs::read(dir.join(format!("{name}.keys"))).unwrap());
        for round in 0..60 {
            let mut bytes = original.clone();
            for _ in 0..1 + round % 4 {
                let at = 24 + (next() as usize) % (bytes.len() - 24);
                bytes[at] ^= 1 << (next() % 8);
            }
            let cut = bytes.len() - (next() as usize) % 200;
            bytes.truncate(cut);
            let Ok(mut source) =
                FileSource::from_reader(Box::new(std::io::Cursor::new(bytes)), name, 0)
            else {
                continue;
            };
            let mut pipeline = Pipeline::new(|_: &Observation| {});
            pipeline.decrypt_with(keys.clone());
            pipeline.run(&mut source, &mut ());
        }
    }
}
