//! The one pipeline (source with its secrets → engine → consumer) on fake input: packets and
//! secrets from memory, a consumer that writes down what reaches it, watches that stop the run;
//! and the commands built on it agreeing with each other.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sporfri::attribute::Attributor;
use sporfri::capture::{CaptureError, FileSource, Packet, PacketSource};
use sporfri::contact::{Contact, Contacts};
use sporfri::decrypt::KeyLog;
use sporfri::live::analysis::{Analysis, Clock};
use sporfri::live::batch::Batch;
use sporfri::live::{ContactEvent, LiveEnd, LiveHook, LiveStats};
use sporfri::observation::Observation;
use sporfri::pipeline::{Consumer, Pipeline, Progress, RunEnd, Source, Watch};
use sporfri::store::Store;
use sporfri::time::Timestamp;
use sporfri::tui::feed::{ReplayFeed, ReplayOptions, Speed};
use sporfri::wire::link::LinkType;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const TLS12: &str = "tests/captures/tls-1.2-stream-keylog.pcap";

/// Packets and secrets from memory: `secrets` (text, packet index) are handed out once packet
/// `index` is next (as a Decryption Secrets Block between packets would be), and `error` ends
/// the input.
struct Memory {
    packets: Vec<(Timestamp, LinkType, Vec<u8>, u32)>,
    next: usize,
    secrets: Option<(Vec<u8>, usize)>,
    error: Option<CaptureError>,
}

impl Memory {
    /// Every packet of a capture file, read into memory.
    fn of(file: &Path) -> Memory {
        let mut source = FileSource::open(file).unwrap();
        let mut packets = Vec::new();
        while let Some(p) = source.next_packet().unwrap() {
            packets.push((p.ts, p.link, p.data.to_vec(), p.orig_len));
        }
        Memory {
            packets,
            next: 0,
            secrets: None,
            error: None,
        }
    }
}

impl PacketSource for Memory {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let Some((ts, link, data, orig_len)) = self.packets.get(self.next) else {
            return self.error.take().map_or(Ok(None), Err);
        };
        self.next += 1;
        Ok(Some(Packet {
            ts: *ts,
            link: *link,
            data,
            orig_len: *orig_len,
        }))
    }
}

impl Source for Memory {
    fn take_secrets(&mut self) -> Vec<u8> {
        let next = self.next;
        match self.secrets.take_if(|(_, index)| *index <= next) {
            Some((text, _)) => text,
            None => Vec::new(),
        }
    }
}

/// What reached the consumer, in order.
#[derive(Debug, Default)]
struct Seen {
    packets: Vec<Timestamp>,
    urls: Vec<String>,
    flow_ends: usize,
    /// Observations that arrived before any packet was announced.
    unannounced: usize,
}

impl Consumer for Seen {
    fn packet(&mut self, ts: Timestamp) {
        self.packets.push(ts);
    }

    fn observe(&mut self, obs: &Observation) {
        if self.packets.is_empty() {
            self.unannounced += 1;
        }
        match obs {
            Observation::Request { exchange, .. } => self.urls.push(exchange.url.clone()),
            Observation::FlowEnd(_) => self.flow_ends += 1,
            _ => {}
        }
    }
}

/// The requests a file gives with its key log passed as `--keylog` passes it.
fn with_key_file(file: &Path, keys: &Path) -> Vec<String> {
    let mut pipeline = Pipeline::new(Seen::default());
    pipeline.decrypt_with(KeyLog::parse(&std::fs::read(keys).unwrap()));
    let end = pipeline.run(&mut FileSource::open(file).unwrap(), &mut ());
    assert!(end.error.is_none());
    pipeline.into_parts().1.urls
}

/// Stops the run after `after` packets.
struct StopAfter(u64);

impl<C> Watch<C> for StopAfter {
    fn after(&mut self, _: &mut Pipeline<C>, progress: Progress) -> ControlFlow<()> {
        if progress.packets >= self.0 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// Secrets that the source carries reach the engine: the requests are those a key file gives,
/// every packet is announced before its observations, and a damaged end still ends the flows.
#[test]
fn secrets_from_the_source_decrypt_and_a_damaged_end_keeps_everything_before_it() {
    let file = root().join(TLS12);
    let expected = with_key_file(&file, &root().join(format!("{TLS12}.keys")));
    assert!(!expected.is_empty());

    let mut source = Memory::of(&file);
    let packets = source.packets.len();
    let keys = std::fs::read(root().join(format!("{TLS12}.keys"))).unwrap();
    source.secrets = Some((keys, 3));
    source.error = Some(CaptureError::Truncated {
        path: "memory".into(),
        offset: 99,
    });
    let mut pipeline = Pipeline::new(Seen::default());
    let RunEnd {
        packets: read,
        error,
        stopped,
    } = pipeline.run(&mut source, &mut ());
    assert_eq!(read as usize, packets);
    assert!(matches!(
        error,
        Some(CaptureError::Truncated { offset: 99, .. })
    ));
    assert!(!stopped);
    assert!(
        pipeline.engine().key_log().is_some(),
        "decryption turned on"
    );
    let seen = pipeline.into_parts().1;
    assert_eq!(seen.urls, expected);
    assert_eq!(seen.packets.len(), packets);
    assert_eq!(seen.unannounced, 0);
    assert!(seen.flow_ends > 0, "flows end after a damaged capture too");

    // Without the secrets nothing is decrypted: the test above cannot pass by accident.
    let mut bare = Pipeline::new(Seen::default());
    bare.run(&mut Memory::of(&file), &mut ());
    assert!(bare.engine().key_log().is_none());
    assert!(bare.consumer().urls.is_empty());
}

/// A watch that stops the run leaves flows open and says so; a later tick with a clock far
/// ahead ends them, as a live run's clock does when no packet comes.
#[test]
fn a_stopped_run_leaves_flows_open_until_time_passes() {
    let file = root().join(TLS12);
    let mut pipeline = Pipeline::new(Seen::default());
    let end = pipeline.run(&mut Memory::of(&file), &mut StopAfter(10));
    assert!(end.stopped && end.error.is_none());
    assert_eq!(end.packets, 10);
    assert_eq!(pipeline.consumer().packets.len(), 10);
    assert_eq!(pipeline.consumer().flow_ends, 0);
    let last = *pipeline.consumer().packets.last().unwrap();
    assert!(!pipeline.tick(last), "no time passed: nothing ends");
    assert!(
        pipeline.tick(last.plus_secs(3600)),
        "an hour later the flows are idle"
    );
    assert!(pipeline.consumer().flow_ends > 0);
    pipeline.finish();
}

/// The pipeline over a file and over the same packets from memory gives the same contacts.
#[test]
fn contacts_from_memory_equal_contacts_from_the_file() {
    for name in [
        "captures/zeek-mix.pcapng",
        "captures/lab-borger-home.pcapng",
    ] {
        let file = root().join(name);
        let mut from_file = Pipeline::new(Contacts::default());
        from_file.run(&mut FileSource::open(&file).unwrap(), &mut ());
        let mut from_memory = Pipeline::new(Contacts::default());
        from_memory.run(&mut Memory::of(&file), &mut ());
        let a = from_file.consumer().sorted();
        assert!(!a.is_empty());
        assert_eq!(a, from_memory.consumer().sorted(), "{name}");
    }
}

/// A fresh directory, removed on drop.
fn temp_dir(name: &str) -> common::Scratch {
    common::scratch(&format!("pipeline-{name}"))
}

/// The bug: the dashboard's replay loop never took the capture's own secrets, so
/// `tui --replay lab-borger-home.pcapng --label t` stored no decrypted request where
/// `replay --label t` stored 15 from the same file.
#[test]
fn tui_replay_with_label_stores_the_same_decrypted_requests_as_replay_label() {
    let file = root().join("captures/lab-borger-home.pcapng");
    let dir = temp_dir("tui-label");
    let (tui_db, replay_db) = (dir.join("tui"), dir.join("replay"));
    let opts = ReplayOptions {
        file: file.clone(),
        speed: Speed::Max,
        site: None,
        signature_dirs: Vec::new(),
        label: Some("t".into()),
        db: tui_db.clone(),
    };
    ReplayFeed::open(opts).unwrap().drive(&mut |_| true, None);
    // Its messages go to the test's output.
    let status = Command::new(env!("CARGO_BIN_EXE_sporfri"))
        .args(["replay", "--label", "t", "--db"])
        .arg(&replay_db)
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());

    let (tui, replay) = (
        Store::open(&tui_db).unwrap(),
        Store::open(&replay_db).unwrap(),
    );
    let requests = replay.requests(1).unwrap();
    assert!(!requests.is_empty(), "the capture carries its secrets");
    let shown = tui.requests(1).unwrap();
    assert_eq!(shown.len(), requests.len(), "decrypted requests stored");
    assert_eq!(shown, requests);
    assert_eq!(tui.contacts(1).unwrap(), replay.contacts(1).unwrap());
    let (a, b) = (tui.session(1).unwrap(), replay.session(1).unwrap());
    assert_eq!(
        (a.stats.requests, a.stats.packets),
        (b.stats.requests, b.stats.packets)
    );
    drop((tui, replay));
}

/// A clock the test sets.
struct FakeClock {
    now: Cell<Timestamp>,
    instant: Cell<Instant>,
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        self.now.get()
    }

    fn instant(&self) -> Instant {
        self.instant.get()
    }
}

/// What a live run's hook heard.
#[derive(Default)]
struct Heard {
    /// The last published state of each contact.
    contacts: BTreeMap<(String, String, String), Contact>,
    urls: Vec<String>,
    ticks: usize,
    end: Option<LiveEnd>,
}

impl LiveHook for Heard {
    fn observation(&mut self, obs: &Observation) {
        if let Observation::Request { exchange, .. } = obs {
            self.urls.push(exchange.url.clone());
        }
    }

    fn tick(&mut self, _now: Timestamp) {
        self.ticks += 1;
    }

    fn contacts(&mut self, events: &[ContactEvent]) {
        for e in events {
            self.contacts.insert(key(&e.contact), e.contact.clone());
        }
    }

    fn ended(&mut self, end: &LiveEnd) {
        self.end = Some(end.clone());
    }
}

fn key(c: &Contact) -> (String, String, String) {
    (
        c.device.to_string(),
        c.client_ip.to_string(),
        c.name.clone(),
    )
}

/// The capture thread's batches of a capture file.
fn batches(file: &Path) -> Vec<Batch> {
    let mut source = FileSource::open(file).unwrap();
    let mut all: Vec<Batch> = Vec::new();
    while let Some(p) = source.next_packet().unwrap() {
        match all.last_mut() {
            Some(b) if !b.is_full() && b.link() == p.link => b.push(p.ts, p.data, p.orig_len),
            _ => {
                let mut b = Batch::new(p.link);
                b.push(p.ts, p.data, p.orig_len);
                all.push(b);
            }
        }
    }
    all
}

/// A live run's analysis, fed the capture thread's batches of a file and a key log written
/// while it runs, publishes the contacts and decrypts the requests that a replay of the file
/// (which carries the same secrets in its blocks) gives.
#[test]
fn live_analysis_of_a_capture_publishes_what_replay_finds() {
    let file = root().join("captures/lab-borger-home.pcapng");
    let dir = temp_dir("live");
    let keylog = dir.join("keys.log");
    let attributor = Attributor::builtin(None).unwrap();

    let mut replay = Pipeline::new((Contacts::default(), Seen::default()));
    let end = replay.run(&mut FileSource::open(&file).unwrap(), &mut ());
    let (replayed, seen) = replay.into_parts().1;
    assert!(!seen.urls.is_empty(), "the capture carries its secrets");
    let expected: BTreeMap<_, _> = replayed
        .attributed(&attributor)
        .into_iter()
        .map(|c| (key(&c), c))
        .collect();

    let batches = batches(&file);
    assert!(batches.len() > 1, "more than one batch");
    let start = Instant::now();
    let clock = FakeClock {
        now: Cell::new(Timestamp::default()),
        instant: Cell::new(start),
    };
    let mut heard = Heard::default();
    let mut live = Analysis::new(attributor, &mut heard, &clock);
    live.follow_key_log(&keylog);
    for (i, batch) in batches.into_iter().enumerate() {
        clock.now.set(batch.packets().last().unwrap().ts);
        live.batch_arrived(batch);
        if i == 0 {
            // The browser writes the secrets after the first packets were captured.
            std::fs::copy(root().join("captures/lab-borger-home.keys"), &keylog).unwrap();
        }
        clock
            .instant
            .set(clock.instant.get() + Duration::from_millis(500));
        live.release(false);
        live.publish();
    }
    live.release(true);
    let end_stats = live.end(LiveStats::default(), "test".into());
    assert_eq!(end_stats.packets, end.packets);
    assert_eq!(heard.end.as_ref().unwrap().packets, end.packets);
    assert!(heard.ticks > 1);
    assert_eq!(heard.urls, seen.urls);
    assert_eq!(heard.contacts, expected);
}
