//! Bundles: written and read back whole, refused whole when damaged anywhere, and imported as a
//! new session, never over one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Read;

use flate2::read::GzDecoder;

use super::bundle::{self, BUNDLE_VERSION, Bundle, BundleError};
use super::tests::{batch, dir, request, session};
use super::*;
use crate::session::{Mark, MarkKind};

/// A store with one session (2 contacts, 2 requests, a mark, its signatures, a device label)
/// and that session's bundle.
fn recorded(name: &str) -> (Scratch, Store, Bundle) {
    let scratch = scratch(name);
    let mut store = Store::open(&scratch.0).unwrap();
    let mut s = store
        .create_session(session("borger.dk, Pixel, reject"))
        .unwrap();
    s.add_mark(Mark {
        ts: Timestamp(1_700_000_000_500_000_000),
        kind: MarkKind::ConsentRejected,
        text: None,
    });
    s.state = SessionState::Ended;
    s.devices.push(crate::session::DeviceRecord {
        device: "02:11:22:33:44:55".into(),
        ips: vec![],
        host_name: None,
        vendor_class: None,
    });
    let mut b = batch(&s, &["a.example", "b.example"], true);
    b.requests = vec![request(s.id, 0, "/tr?id=1"), request(s.id, 1, "/tr?id=2")];
    b.signatures = Some(crate::attribute::SignatureSet::read(&[]).unwrap());
    store.write(&b).unwrap();
    store.set_label("02:11:22:33:44:55", "test Pixel").unwrap();
    let bundle = store.bundle(s.id).unwrap();
    (scratch, store, bundle)
}

fn bytes(b: &Bundle) -> Vec<u8> {
    let mut out = Vec::new();
    bundle::write(&mut out, b).unwrap();
    out
}

fn plain(b: &Bundle) -> String {
    let mut text = String::new();
    GzDecoder::new(&bytes(b)[..])
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// A test database's path and its temporary directory, removed when dropped, also when the test
/// fails. Declared before its store so that it is dropped after it.
struct Scratch(PathBuf, #[allow(dead_code)] tempfile::TempDir);

fn scratch(name: &str) -> Scratch {
    let (d, db) = dir(name);
    Scratch(db, d)
}

#[test]
fn a_bundle_reads_back_as_written_gzipped_or_plain() {
    let (_scratch, _store, b) = recorded("bundle-roundtrip");
    assert_eq!(b.contacts.len(), 2);
    assert_eq!(b.requests.len(), 2);
    assert_eq!(b.device_labels["02:11:22:33:44:55"], "test Pixel");
    assert_eq!(bundle::read(&bytes(&b)[..]).unwrap(), b);
    let text = plain(&b);
    assert_eq!(bundle::read(text.as_bytes()).unwrap(), b);
    // The header is a flat first line anyone can read.
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["format"], "sporfri-session-bundle");
    assert_eq!(first["schema"], SCHEMA_VERSION);
    assert_eq!(first["bundle_version"], BUNDLE_VERSION);
}

#[test]
fn a_bundle_cut_anywhere_is_refused_whole() {
    let (_scratch, _store, b) = recorded("bundle-cut");
    let full = bytes(&b);
    for len in (0..full.len()).step_by(7) {
        let e = bundle::read(&full[..len]);
        assert!(
            e.is_err(),
            "a bundle cut at byte {len} of {} read",
            full.len()
        );
    }
    let text = plain(&b);
    for (at, _) in text
        .match_indices('\n')
        .filter(|(at, _)| at + 1 < text.len())
    {
        let e = bundle::read(&text.as_bytes()[..=at]).unwrap_err();
        let lines = text[..=at].lines().count() as u64;
        match e {
            BundleError::Truncated { line } => assert_eq!(line, lines),
            other => assert!(lines == 1, "cut after line {lines}: {other}"),
        }
    }
}

#[test]
fn a_flipped_byte_anywhere_is_refused_or_changes_nothing() {
    let (_scratch, _store, b) = recorded("bundle-flip");
    let full = bytes(&b);
    // Bytes 4 to 9 of a gzip header are informational (time, compression level, OS).
    let content = (0..4).chain((10..full.len()).step_by(5));
    for at in content {
        let mut bad = full.clone();
        bad[at] ^= 0x20;
        // A flip in the deflate stream's padding bits changes nothing; any other is refused.
        if let Ok(read) = bundle::read(&bad[..]) {
            assert_eq!(read, b, "byte {at} flipped read as another session");
        }
    }
}

/// Change line `n` (1-based) of the plain bundle.
fn edit(text: &str, n: usize, f: impl Fn(&str) -> String) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == n { f(l) } else { l.to_owned() } + "\n")
        .collect()
}

#[test]
fn damage_is_named_by_line() {
    let (_scratch, _store, b) = recorded("bundle-lines");
    let text = plain(&b);
    // Line 5 is the first contact (header, session, signatures, device label).
    assert!(
        text.lines()
            .nth(4)
            .unwrap()
            .starts_with("{\"kind\":\"contact\"")
    );
    let changed = edit(&text, 5, |l| l.replace("a.example", "c.example"));
    let e = bundle::read(changed.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("line 9") && e.contains("checksum"), "{e}");
    let broken = edit(&text, 5, |l| l[..l.len() / 2].to_owned());
    let e = bundle::read(broken.as_bytes()).unwrap_err().to_string();
    assert!(e.starts_with("line 5: not a bundle line"), "{e}");
    let dropped = edit(&text, 6, |_| String::new());
    let e = bundle::read(dropped.as_bytes()).unwrap_err().to_string();
    assert!(e.starts_with("line 6:"), "{e}");
    let other = edit(&text, 7, |l| l.replace("\"session\":1,", "\"session\":2,"));
    let e = bundle::read(other.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("line 7: a request of session 2"), "{e}");
    let twice = edit(&text, 3, |l| {
        format!("{}\n{l}", text.lines().nth(1).unwrap())
    });
    let e = bundle::read(twice.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("line 3: a second session line"), "{e}");
    let after: String = text.clone() + text.lines().nth(4).unwrap() + "\n";
    let e = bundle::read(after.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("content after the end line"), "{e}");
}

#[test]
fn a_newer_bundle_is_refused_before_its_records_are_read() {
    let (_scratch, _store, b) = recorded("bundle-newer");
    let text = plain(&b);
    for (key, what) in [
        ("schema", "store schema"),
        ("bundle_version", "bundle version"),
    ] {
        // Records of a newer schema need not parse: the header alone decides.
        let newer = edit(&text, 1, |l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v[key] = 99.into();
            v.to_string()
        });
        let newer = edit(&newer, 2, |_| {
            "{\"kind\":\"a-kind-from-the-future\"}".into()
        });
        let e = bundle::read(newer.as_bytes()).unwrap_err();
        assert!(matches!(e, BundleError::TooNew { found: 99, .. }), "{e}");
        let e = e.to_string();
        assert!(e.contains(what) && e.contains("0.1.0 or newer"), "{e}");
    }
}

#[test]
fn other_files_are_not_bundles() {
    for junk in [
        &b""[..],
        b"hello\n",
        b"{\"format\":\"something\"}\n",
        b"\x1f\x8b\x08junk",
    ] {
        let e = bundle::read(junk).unwrap_err();
        assert!(
            matches!(e, BundleError::NotABundle { .. } | BundleError::Read { .. }),
            "{e}"
        );
    }
}

#[test]
fn an_import_is_a_new_session_and_a_second_one_is_refused_unless_again() {
    let (_src_scratch, _src, b) = recorded("bundle-src");
    let dst = scratch("bundle-dst");
    let mut store = Store::open(&dst.0).unwrap();
    let mine = store.create_session(session("already here")).unwrap();
    store
        .set_label("02:11:22:33:44:55", "evaluator's name")
        .unwrap();
    let s = store.import(b.clone(), "x.bundle", false).unwrap();
    assert_eq!(s.id, mine.id + 1);
    assert_eq!(store.session(mine.id).unwrap().label, "already here");
    let imported = s.imported.clone().unwrap();
    assert_eq!(
        (imported.file.as_str(), imported.original_id),
        ("x.bundle", 1)
    );
    assert_eq!(s.marks, b.session.marks);
    let contacts = store.contacts(s.id).unwrap();
    assert_eq!(contacts.len(), 2);
    assert!(contacts.iter().all(|c| c.session == s.id));
    let requests = store.requests(s.id).unwrap();
    assert_eq!(
        requests
            .iter()
            .map(|r| (r.session, r.seq))
            .collect::<Vec<_>>(),
        [(s.id, 0), (s.id, 1)]
    );
    assert_eq!(store.signatures(s.id).unwrap(), b.signatures);
    // The database's own label for the device stays.
    assert_eq!(
        store.labels().unwrap()["02:11:22:33:44:55"],
        "evaluator's name"
    );
    let e = store.import(b.clone(), "x.bundle", false).unwrap_err();
    assert!(
        matches!(e, ImportError::Duplicate { existing, .. } if existing == s.id),
        "{e}"
    );
    assert!(e.to_string().contains("--again"));
    assert_eq!(store.sessions().unwrap().len(), 2);
    let again = store.import(b, "x.bundle", true).unwrap();
    assert_eq!(again.id, s.id + 1);
}

#[test]
fn a_session_still_recording_is_imported_as_interrupted() {
    let (_src_scratch, _src, mut b) = recorded("bundle-recording");
    b.session.state = SessionState::Recording;
    b.session.last_flush = Some(Timestamp(1_700_000_000_700_000_000));
    let dst = scratch("bundle-recording-dst");
    let mut store = Store::open(&dst.0).unwrap();
    let s = store.import(b, "x.bundle", false).unwrap();
    assert_eq!(s.state, SessionState::Interrupted);
    assert_eq!(s.ended, s.last_flush);
    assert!(store.recover_interrupted().unwrap().is_empty());
}

/// A source database with an idle baseline (session 1) and a test session compared with it
/// (session 2: `idle.example` seen while idle, `tracker.example` not), and both bundles. The
/// test session's baseline reference has no recording identity, as sessions recorded before it
/// was stored: the export adds it.
fn baseline_and_test(name: &str) -> (Scratch, Bundle, Bundle) {
    let scratch = scratch(name);
    let mut store = Store::open(&scratch.0).unwrap();
    let mut idle = session("Pixel idle");
    idle.baseline = true;
    let mut idle = store.create_session(idle).unwrap();
    idle.started = Some(Timestamp(1_700_000_000_000_000_000));
    idle.ended = Some(Timestamp(1_700_000_060_000_000_000));
    idle.state = SessionState::Ended;
    store.write(&batch(&idle, &["idle.example"], true)).unwrap();
    let idle_contacts = store.contacts(idle.id).unwrap();
    let mut reference = crate::session::IdleBaseline::new(&idle, &idle_contacts).reference;
    reference.recording = None;
    let mut test = store.create_session(session("Pixel visit")).unwrap();
    test.state = SessionState::Ended;
    test.against = Some(crate::session::Against {
        choice: crate::session::Choice::Named,
        baseline: Some(reference),
        max_age_days: 7,
        refused: None,
    });
    let mut b = batch(&test, &["idle.example", "tracker.example"], true);
    b.contacts[0].baseline.in_baseline = true;
    b.contacts[0].baseline.background = Some(crate::session::Background::SeenWhileIdle);
    for c in &mut b.contacts {
        c.baseline.baseline_id = Some(idle.id);
    }
    store.write(&b).unwrap();
    let (idle_bundle, test_bundle) = (store.bundle(idle.id).unwrap(), store.bundle(2).unwrap());
    (scratch, idle_bundle, test_bundle)
}

/// A database that already has an unrelated session 1 (not a baseline).
fn destination(name: &str) -> (Scratch, Store) {
    let scratch = scratch(name);
    let mut store = Store::open(&scratch.0).unwrap();
    store.create_session(session("unrelated")).unwrap();
    (scratch, store)
}

#[test]
fn an_imported_session_follows_its_baseline_imported_before_it() {
    let (_src, idle, test) = baseline_and_test("bundle-baseline-src");
    let b = test
        .session
        .against
        .as_ref()
        .unwrap()
        .baseline
        .as_ref()
        .unwrap();
    assert_eq!(
        b.recording.as_deref(),
        Some(idle.session.recording().as_str())
    );
    let (_dst, mut store) = destination("bundle-baseline-dst");
    let base = store.import(idle, "idle.bundle", false).unwrap();
    assert_eq!(base.id, 2);
    let s = store.import(test, "test.bundle", false).unwrap();
    let a = s.against.as_ref().unwrap();
    let b = a.applied().unwrap();
    assert_eq!((b.id, b.elsewhere), (2, false));
    assert!(
        a.describe(s.started)
            .starts_with("baseline 2 \"Pixel idle\"")
    );
    let contacts = store.contacts(s.id).unwrap();
    assert!(
        contacts
            .iter()
            .all(|c| c.baseline.baseline_id == Some(2) && c.baseline.source_baseline_id.is_none())
    );
    let seen: Vec<bool> = contacts.iter().map(|c| c.baseline.in_baseline).collect();
    assert_eq!(seen, [true, false]);
}

#[test]
fn an_imported_session_without_its_baseline_names_the_source_databases() {
    let (_src, _idle, test) = baseline_and_test("bundle-nobaseline-src");
    let (_dst, mut store) = destination("bundle-nobaseline-dst");
    let s = store.import(test, "test.bundle", false).unwrap();
    let a = s.against.as_ref().unwrap();
    let b = a.applied().unwrap();
    // Session 1 here is another session: the baseline is named as the source database's.
    assert_eq!((b.id, b.elsewhere), (1, true));
    let text = a.describe(s.started);
    assert!(
        text.starts_with("baseline #1 \"Pixel idle\" of the source database, not in this database"),
        "{text}"
    );
    let contacts = store.contacts(s.id).unwrap();
    for c in &contacts {
        assert_eq!(c.baseline.baseline_id, None, "{}", c.name);
        assert_eq!(c.baseline.source_baseline_id, Some(1), "{}", c.name);
    }
    // What the baseline said is kept.
    assert!(contacts[0].baseline.in_baseline);
    assert_eq!(
        contacts[0].baseline.background,
        Some(crate::session::Background::SeenWhileIdle)
    );
    assert_eq!(
        contacts[0].baseline.baseline_words(),
        "baseline #1 of the source database, not in this database"
    );
    // Another baseline with the same label but another recording is not it either.
    let mut other = session("Pixel idle");
    other.baseline = true;
    other.started = Some(Timestamp(1_700_000_000_000_000_000));
    other.source = crate::session::Source::Interface {
        name: "wlan1".into(),
    };
    assert!(!b.is(&other));
}

#[test]
fn a_baseline_imported_after_its_test_session_is_linked_to_it() {
    let (_src, idle, test) = baseline_and_test("bundle-late-src");
    let (_dst, mut store) = destination("bundle-late-dst");
    let s = store.import(test, "test.bundle", false).unwrap();
    assert!(s.against.as_ref().unwrap().applied().unwrap().elsewhere);
    let base = store.import(idle, "idle.bundle", false).unwrap();
    assert_eq!(base.id, 3);
    let s = store.session(s.id).unwrap();
    let b = s.against.as_ref().unwrap().applied().unwrap();
    assert_eq!((b.id, b.elsewhere), (3, false));
    for c in store.contacts(s.id).unwrap() {
        assert_eq!(c.baseline.baseline_id, Some(3), "{}", c.name);
        assert_eq!(c.baseline.source_baseline_id, None, "{}", c.name);
    }
    // The unrelated session 1 is left alone.
    assert_eq!(store.session(1).unwrap().against, None);
}
