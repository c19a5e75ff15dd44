#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use super::*;
use crate::attribute::Attribution;
use crate::session::{MarkKind, Phase, Source};

/// A database path in a fresh temporary directory; the directory goes when the guard drops
/// (also when the test fails).
pub(super) fn dir(name: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::Builder::new()
        .prefix(&format!("sporfri-store-{name}-"))
        .tempdir()
        .unwrap();
    let db = d.path().join("db");
    (d, db)
}

pub(super) fn session(label: &str) -> Session {
    Session::new(
        label,
        Some("borger.dk"),
        Source::Interface {
            name: "wlan0".into(),
        },
    )
}

pub(super) fn contact(session: SessionId, name: &str) -> ContactRecord {
    ContactRecord {
        session,
        phase: Phase::BeforeConsent,
        device: "02:11:22:33:44:55".into(),
        client_ip: "192.168.1.10".parse().unwrap(),
        client_ips: ["192.168.1.10".parse().unwrap()].into(),
        name: name.into(),
        scope: "internet".into(),
        via: vec!["dns".into()],
        first_seen: Timestamp(1_700_000_000_000_000_000),
        last_seen: Timestamp(1_700_000_001_000_000_000),
        flows: 1,
        bytes_up: 10,
        bytes_down: 20,
        server_ips: vec![],
        server_ports: vec![],
        cname_chain: vec![],
        ech: None,
        dns_queries: 1,
        http_requests: 0,
        cookie_sent: false,
        cookies_set: vec![],
        resolved_private: false,
        blocked: None,
        blocked_answer: None,
        attribution: Attribution::unknown(),
        evidence: vec![],
        baseline: Default::default(),
    }
}

pub(super) fn batch(s: &Session, names: &[&str], durable: bool) -> Batch {
    Batch {
        session: s.clone(),
        contacts: names.iter().map(|n| contact(s.id, n)).collect(),
        requests: vec![],
        signatures: None,
        durable,
    }
}

pub(super) fn request(session: SessionId, seq: u64, url: &str) -> RequestEntry {
    let ex = crate::observation::Exchange::request(
        crate::time::Timestamp::from_parts(1_700_000_000 + seq, 0),
        crate::observation::HttpVersion::Http2,
        true,
        "GET",
        "www.facebook.com",
        url,
    );
    let flow = crate::observation::FlowKey {
        proto: crate::observation::Proto::Tcp,
        client: "192.168.1.10:50000".parse().unwrap(),
        server: "203.0.113.41:443".parse().unwrap(),
    };
    let device = crate::observation::DeviceId::Mac([2, 0x11, 0x22, 0x33, 0x44, 0x55]);
    let mut r = RequestEntry::new(
        session,
        device,
        &flow,
        &ex,
        Phase::BeforeConsent,
        &crate::attribute::RequestAttribution {
            who: Attribution::unknown(),
            tracker: None,
        },
    );
    r.seq = seq;
    r
}

#[test]
fn requests_are_stored_in_order_and_deleted_with_their_session() {
    let (_tmp, path) = dir("requests");
    let mut store = Store::open(&path).unwrap();
    let a = store.create_session(session("a")).unwrap();
    let b = store.create_session(session("b")).unwrap();
    // seq 256 sorts after 2 only with big-endian keys.
    let mut bt = batch(&a, &["x.example"], false);
    bt.requests = vec![request(a.id, 0, "/tr?a"), request(a.id, 256, "/tr?c")];
    store.write(&bt).unwrap();
    let mut bt = batch(&a, &[], true);
    bt.requests = vec![request(a.id, 2, "/tr?b")];
    store.write(&bt).unwrap();
    let mut bt = batch(&b, &[], true);
    bt.requests = vec![request(b.id, 0, "/other")];
    store.write(&bt).unwrap();
    let got: Vec<String> = store
        .requests(a.id)
        .unwrap()
        .into_iter()
        .map(|r| r.url)
        .collect();
    assert_eq!(
        got,
        [
            "https://www.facebook.com/tr?a",
            "https://www.facebook.com/tr?b",
            "https://www.facebook.com/tr?c"
        ]
    );
    assert_eq!(store.requests(b.id).unwrap().len(), 1);
    assert!(store.delete(a.id).unwrap());
    assert_eq!(store.db.scan_prefix([REQUEST]).count(), 1);
    assert!(matches!(
        store.requests(a.id),
        Err(StoreError::NoSession(1))
    ));
}

#[test]
fn a_schema_1_database_opens_with_no_requests() {
    let (_tmp, path) = dir("schema1");
    {
        let mut store = Store::open(&path).unwrap();
        let s = store.create_session(session("old")).unwrap();
        store.write(&batch(&s, &["x.example"], true)).unwrap();
        store.db.insert(VERSION_KEY, &1u32.to_be_bytes()).unwrap();
        store.db.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), Some(SCHEMA_VERSION));
    assert_eq!(store.contacts(1).unwrap().len(), 1);
    assert!(store.requests(1).unwrap().is_empty());
}

/// A session recorded before sessions stored their signatures, with evidence written before it
/// had a way (`via`): the database opens, the contact reads, the session has no signatures.
#[test]
fn a_schema_2_database_opens_with_no_stored_signatures() {
    let (_tmp, path) = dir("schema2");
    {
        let mut store = Store::open(&path).unwrap();
        let s = store.create_session(session("old")).unwrap();
        let c = contact(s.id, "x.example");
        store.write(&batch(&s, &[], true)).unwrap();
        let mut json: serde_json::Value = serde_json::to_value(&c).unwrap();
        json["evidence"] = serde_json::json!([
            {"ts": "2023-11-14T22:13:20.000001Z", "kind": "tls-hello", "flow": null}
        ]);
        let bytes = serde_json::to_vec(&json).unwrap();
        store.db.insert(contact_key(s.id, &c), bytes).unwrap();
        store.db.insert(VERSION_KEY, &2u32.to_be_bytes()).unwrap();
        store.db.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), Some(SCHEMA_VERSION));
    let contacts = store.contacts(1).unwrap();
    assert_eq!(
        contacts[0].evidence[0].kind,
        crate::session::EvidenceKind::TlsHello
    );
    assert_eq!(contacts[0].evidence[0].via, None);
    assert_eq!(store.signatures(1).unwrap(), None);
}

#[test]
fn signatures_are_stored_with_their_session_and_deleted_with_it() {
    let (_tmp, path) = dir("signatures");
    let mut store = Store::open(&path).unwrap();
    let a = store.create_session(session("a")).unwrap();
    let b = store.create_session(session("b")).unwrap();
    let set = crate::attribute::SignatureSet::read(&[]).unwrap();
    let mut bt = batch(&a, &["x.example"], true);
    bt.signatures = Some(set.clone());
    store.write(&bt).unwrap();
    // Later batches carry none; what was stored stays.
    store.write(&batch(&a, &["y.example"], true)).unwrap();
    assert_eq!(store.signatures(a.id).unwrap(), Some(set));
    assert_eq!(store.signatures(b.id).unwrap(), None);
    assert!(store.delete(a.id).unwrap());
    assert_eq!(store.db.scan_prefix([ATTRIBUTION]).count(), 0);
    assert!(matches!(
        store.signatures(a.id),
        Err(StoreError::NoSession(1))
    ));
}

#[test]
fn a_new_database_gets_the_current_schema_and_private_files() {
    let (_tmp, path) = dir("new");
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), Some(SCHEMA_VERSION));
    let s = store.create_session(session("a")).unwrap();
    store.write(&batch(&s, &["x.example"], true)).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o700);
    for e in std::fs::read_dir(&path).unwrap().flatten() {
        let want = if e.path().is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&e.path()), want, "{}", e.path().display());
    }
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let (_tmp, path) = dir("newer");
    {
        let store = Store::open(&path).unwrap();
        store.db.insert(VERSION_KEY, &7u32.to_be_bytes()).unwrap();
        store.db.flush().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(
        err,
        StoreError::TooNew {
            found: 7,
            supported: SCHEMA_VERSION,
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("newer than this sporfri understands"),
        "{err}"
    );
}

#[test]
fn an_older_schema_is_migrated_and_keeps_its_sessions() {
    let (_tmp, path) = dir("older");
    {
        let mut store = Store::open(&path).unwrap();
        store.create_session(session("old")).unwrap();
        // Schema 0: the same layout without the version key.
        store.db.remove(VERSION_KEY).unwrap();
        store.db.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), Some(SCHEMA_VERSION));
    assert_eq!(store.sessions().unwrap()[0].label, "old");
}

#[test]
fn a_second_open_is_refused_and_names_the_owner() {
    let (_tmp, path) = dir("locked");
    let _first = Store::open(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::Locked { pid, .. } => assert_eq!(*pid, Some(std::process::id())),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("live session"), "{err}");
}

#[test]
fn sessions_and_contacts_are_written_read_and_deleted() {
    let (_tmp, path) = dir("crud");
    let mut store = Store::open(&path).unwrap();
    let a = store.create_session(session("a")).unwrap();
    let b = store.create_session(session("b")).unwrap();
    assert_eq!((a.id, b.id), (1, 2));
    store
        .write(&batch(&a, &["x.example", "y.example"], false))
        .unwrap();
    store.write(&batch(&b, &["z.example"], false)).unwrap();
    let mut changed = contact(a.id, "x.example");
    changed.flows = 9;
    let mut bt = batch(&a, &[], true);
    bt.contacts.push(changed);
    store.write(&bt).unwrap();
    let ca = store.contacts(a.id).unwrap();
    assert_eq!(ca.len(), 2);
    assert_eq!(ca.iter().find(|c| c.name == "x.example").unwrap().flows, 9);
    assert_eq!(store.contacts(b.id).unwrap().len(), 1);
    assert!(store.session(a.id).unwrap().run.flushed.is_some());
    assert!(store.delete(a.id).unwrap());
    assert!(!store.delete(a.id).unwrap());
    assert!(matches!(
        store.contacts(a.id),
        Err(StoreError::NoSession(1))
    ));
    assert_eq!(store.db.scan_prefix([CONTACT]).count(), 1);
    // Ids are never reused, also after a restart.
    drop(store);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.create_session(session("c")).unwrap().id, 3);
}

#[test]
fn sessions_left_recording_are_interrupted_at_their_last_flush() {
    let (_tmp, path) = dir("interrupted");
    let mut store = Store::open(&path).unwrap();
    let mut s = store.create_session(session("killed")).unwrap();
    s.last_flush = Some(Timestamp(42_000_000_000));
    store.write(&batch(&s, &["x.example"], true)).unwrap();
    let m = Mark {
        ts: Timestamp(43_000_000_000),
        kind: MarkKind::Note,
        text: Some("still there".into()),
    };
    assert_eq!(store.mark_recording(m).unwrap().marks.len(), 1);
    assert_eq!(store.recover_interrupted().unwrap(), [s.id]);
    let back = store.session(s.id).unwrap();
    assert_eq!(back.state, SessionState::Interrupted);
    assert_eq!(back.ended, Some(Timestamp(42_000_000_000)));
    assert_eq!(back.run.ended, back.run.flushed);
    assert!(store.recover_interrupted().unwrap().is_empty());
    let m = Mark {
        ts: Timestamp(1),
        kind: MarkKind::Note,
        text: None,
    };
    assert!(matches!(
        store.mark_recording(m),
        Err(StoreError::NoRecording)
    ));
}

#[test]
fn purge_spares_recent_and_recording_sessions() {
    let (_tmp, path) = dir("purge");
    let mut store = Store::open(&path).unwrap();
    let mut old = store.create_session(session("old")).unwrap();
    old.state = SessionState::Ended;
    old.run.started = Some("2020-01-01T00:00:00.000000Z".into());
    store.put_session(&old).unwrap();
    let recording = store.create_session(session("recording")).unwrap();
    let mut new = store.create_session(session("new")).unwrap();
    new.state = SessionState::Ended;
    store.write(&batch(&new, &[], true)).unwrap();
    let cutoff = SystemTime::now() - Duration::from_secs(30 * 86_400);
    assert_eq!(store.purge(cutoff).unwrap(), [old.id]);
    let left: Vec<SessionId> = store.sessions().unwrap().iter().map(|s| s.id).collect();
    assert_eq!(left, [recording.id, new.id]);
}

#[test]
fn device_labels_are_set_and_cleared() {
    let (_tmp, path) = dir("labels");
    let mut store = Store::open(&path).unwrap();
    store.set_label("02:11:22:33:44:55", "test iPhone").unwrap();
    assert_eq!(store.labels().unwrap()["02:11:22:33:44:55"], "test iPhone");
    store.set_label("02:11:22:33:44:55", "").unwrap();
    assert!(store.labels().unwrap().is_empty());
}

#[test]
fn the_default_path_follows_systemd_then_xdg() {
    // Only reads the environment; the variables are not changed here (tests run in parallel).
    let p = default_path();
    assert!(p.ends_with("db"), "{}", p.display());
    assert!(p.is_absolute());
}

/// `cargo test --lib store::tests::contacts_written_per_second -- --ignored --nocapture`
#[test]
#[ignore = "benchmark"]
fn contacts_written_per_second() {
    let (_tmp, path) = dir("bench");
    let mut store = Store::open(&path).unwrap();
    let s = store.create_session(session("bench")).unwrap();
    let per_batch = 1_000;
    let batches = 100;
    let names: Vec<String> = (0..per_batch)
        .map(|i| format!("host{i}.tracker.example"))
        .collect();
    let started = Instant::now();
    for n in 0..batches {
        let mut b = batch(&s, &[], n + 1 == batches);
        b.contacts = names
            .iter()
            .map(|name| {
                let mut c = contact(s.id, name);
                c.flows = n as u64;
                c
            })
            .collect();
        store.write(&b).unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let total = per_batch * batches;
    println!(
        "{total} contacts in {batches} batches: {secs:.2} s, {:.0} contacts/s",
        total as f64 / secs
    );
    assert_eq!(store.contacts(s.id).unwrap().len(), per_batch);
}

/// Regression: sled's flusher thread released a dropped database only at its next tick, so a
/// reopen right after a drop in the same process failed as "in use" (seen once in CI).
#[test]
fn reopening_right_after_a_drop_in_the_same_process_waits_for_the_lock() {
    let (_tmp, path) = dir("reopen");
    for i in 0..10 {
        let mut store = Store::open(&path).unwrap();
        store.create_session(session(&format!("s{i}"))).unwrap();
        drop(store);
    }
    assert_eq!(Store::open(&path).unwrap().sessions().unwrap().len(), 10);
}

/// A session and contact recorded before baselines existed (schema 3): they read as "not a
/// baseline", "no baseline chosen", "not compared".
#[test]
fn a_schema_3_database_reads_without_baselines() {
    let (_dir, path) = dir("schema3");
    {
        let mut store = Store::open(&path).unwrap();
        let s = store.create_session(session("old")).unwrap();
        let c = contact(s.id, "x.example");
        let mut json = serde_json::to_value(&s).unwrap();
        let o = json.as_object_mut().unwrap();
        o.remove("baseline");
        o.remove("against");
        store
            .db
            .insert(session_key(s.id), serde_json::to_vec(&json).unwrap())
            .unwrap();
        let mut json = serde_json::to_value(&c).unwrap();
        for k in crate::session::FACT_FIELDS {
            json.as_object_mut().unwrap().remove(k);
        }
        let bytes = serde_json::to_vec(&json).unwrap();
        store.db.insert(contact_key(s.id, &c), bytes).unwrap();
        store.db.insert(VERSION_KEY, &3u32.to_be_bytes()).unwrap();
        store.db.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), Some(4));
    let s = store.session(1).unwrap();
    assert!(!s.baseline && s.against.is_none());
    let c = &store.contacts(1).unwrap()[0];
    assert_eq!(c.baseline, crate::session::BaselineFacts::default());
}

#[test]
fn baselines_are_marked_found_per_device_and_checked() {
    use crate::session::SessionState;
    let (_dir, path) = dir("baselines");
    let mut store = Store::open(&path).unwrap();
    let ended = |store: &mut Store, label: &str, device: &str| {
        let mut s = store.create_session(session(label)).unwrap();
        s.device_filter = vec![device.to_owned()];
        s.state = SessionState::Ended;
        store.write(&batch(&s, &["idle.example"], true)).unwrap();
        s
    };
    let phone = "02:11:22:33:44:55";
    let a = ended(&mut store, "idle 1", phone);
    let b = ended(&mut store, "idle 2", phone);
    let c = ended(&mut store, "other idle", "02:00:00:00:00:09");
    let test = ended(&mut store, "test", phone);
    // Not a baseline yet.
    let e = store.idle_baseline(a.id).unwrap_err();
    assert!(matches!(e, StoreError::NotBaseline(1)), "{e}");
    assert!(e.to_string().contains("sporfri sessions baseline 1"), "{e}");
    for id in [a.id, b.id, c.id] {
        assert!(store.set_baseline(id, true).unwrap().baseline);
    }
    let latest: Vec<u64> = store
        .latest_baselines()
        .unwrap()
        .iter()
        .map(|b| b.reference.id)
        .collect();
    assert_eq!(latest, [c.id, b.id]);
    // The default finds the phone's latest; a named baseline of another device is refused.
    let plan = store
        .baseline_plan(&BaselineRequest::Latest, &[phone.to_owned()], 7)
        .unwrap()
        .unwrap();
    assert!(
        plan.baseline().is_none(),
        "chosen once a contact of the device is seen"
    );
    let named = |force| BaselineRequest::Named { id: c.id, force };
    let e = store
        .baseline_plan(&named(false), &[phone.to_owned()], 7)
        .unwrap_err();
    assert!(e.to_string().contains("pass --force"), "{e}");
    let plan = store
        .baseline_plan(&named(true), &[phone.to_owned()], 7)
        .unwrap()
        .unwrap();
    assert!(plan.forced());
    assert!(matches!(
        store.baseline_plan(
            &BaselineRequest::Named {
                id: 99,
                force: false
            },
            &[],
            7
        ),
        Err(StoreError::NoSession(99))
    ));
    assert!(
        store
            .baseline_plan(&BaselineRequest::IsBaseline, &[], 7)
            .unwrap()
            .is_none()
    );
    // A baseline still recording is not used.
    let mut rec = store.create_session(session("recording idle")).unwrap();
    rec.baseline = true;
    store.write(&batch(&rec, &[], true)).unwrap();
    let e = store.idle_baseline(rec.id).unwrap_err();
    assert!(matches!(e, StoreError::BaselineRecording(_)), "{e}");
    assert!(!store.set_baseline(test.id, false).unwrap().baseline);
}
