//! The control socket of a live session, end to end in one process: a subscriber sees the
//! session and its stored contacts, a mark sent by a client is stored, `end` stops the run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sporfri::attribute::Attributor;
use sporfri::control::{Client, Event, Server, socket_path};
use sporfri::live::session::SessionHook;
use sporfri::live::{LiveEnd, LiveHook, LiveStats};
use sporfri::observation::{DeviceId, Observation};
use sporfri::session::{Mark, MarkKind, Recorder, Session, SessionState, Source};
use sporfri::store::Store;
use sporfri::time::Timestamp;
use sporfri::wire::dns::Flavor;

fn query(name: &str, ts: u64) -> Observation {
    Observation::DnsQuery {
        ts: Timestamp::from_parts(ts, 0),
        device: DeviceId::Mac([2, 0, 0, 0, 0, 9]),
        client: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        server: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        flavor: Flavor::Dns,
        name: name.into(),
        qtype: 1,
    }
}

#[test]
fn subscribe_mark_and_end_over_the_socket() {
    let dir = tempfile::Builder::new()
        .prefix("sporfri-control-")
        .tempdir()
        .unwrap();
    let db = dir.path().join("db");
    let mut store = Store::open(&db).unwrap();
    let source = Source::Interface {
        name: "veth-test".into(),
    };
    let session = store
        .create_session(Session::new("control test", None, source))
        .unwrap();
    let rec = Recorder::new(
        session,
        Attributor::builtin(None).unwrap(),
        Vec::new(),
        Vec::new(),
    );
    let sock = socket_path(&db);
    let server = Server::start(&sock).unwrap();
    let ended = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ended);
    let mut hook = SessionHook::new(
        rec,
        store,
        Some(server),
        Box::new(move || flag.store(true, Ordering::SeqCst)),
    );
    // Contacts before anyone subscribes, flushed by a later packet time.
    hook.observation(&query("before.example", 1_700_000_000));
    hook.observation(&query("later.example", 1_700_000_002));

    let client_sock = sock.clone();
    let client = std::thread::spawn(move || {
        let mut reader = Client::connect(&client_sock).unwrap().subscribe().unwrap();
        let mut events = Vec::new();
        for _ in 0..2 {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            events.push(serde_json::from_str::<Event>(&line).unwrap());
        }
        let marked = Client::connect(&client_sock)
            .unwrap()
            .mark(Mark {
                ts: Timestamp::from_parts(1_700_000_003, 0),
                kind: MarkKind::ConsentRejected,
                text: None,
            })
            .unwrap();
        Client::connect(&client_sock).unwrap().end().unwrap();
        (events, marked)
    });
    let started = Instant::now();
    // The limit guards against a hang only; the loop ends when the client is done.
    while !client.is_finished() && started.elapsed() < Duration::from_secs(120) {
        hook.tick(Timestamp::from_parts(1_700_000_003, 0));
        std::thread::sleep(Duration::from_millis(10));
    }
    let (events, marked) = client.join().unwrap();
    match &events[0] {
        Event::Session(s) => assert_eq!(s.label, "control test"),
        other => panic!("first event {other:?}"),
    }
    match &events[1] {
        Event::Contacts(c) => assert!(c.iter().any(|r| r.name == "before.example"), "{c:?}"),
        other => panic!("second event {other:?}"),
    }
    assert_eq!(marked.marks.len(), 1);
    assert_eq!(marked.marks[0].kind, MarkKind::ConsentRejected);
    assert!(
        ended.load(Ordering::SeqCst),
        "end over the socket stops the run"
    );

    hook.ended(&LiveEnd {
        ended: Timestamp::from_parts(1_700_000_004, 0),
        stats: LiveStats::default(),
        packets: 2,
        flows: 0,
        contacts: 2,
        weirds: Vec::new(),
        files: Vec::new(),
        reason: "stopped".into(),
    });
    drop(hook);
    assert!(!sock.exists(), "the socket is removed with the live run");
    let store = Store::open(&db).unwrap();
    let s = &store.sessions().unwrap()[0];
    assert_eq!(s.state, SessionState::Ended);
    assert_eq!(s.marks[0].kind, MarkKind::ConsentRejected);
    let names: Vec<String> = store
        .contacts(s.id)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(names.contains(&"later.example".to_owned()), "{names:?}");
}
