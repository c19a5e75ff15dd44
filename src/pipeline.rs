//! The one pipeline every command runs: a packet [`Source`] with its secrets → the engine → a
//! [`Consumer`] (contacts, a session [`Recording`], an extraction, a live run's hooks).
//!
//! `replay`, `extract`, `tui --replay` and `live` differ only in what surrounds it, and all of
//! that is injected: the source (a file, the capture thread's batches, packets in memory in a
//! test), the consumer (and through it the store), and a [`Watch`] between packets (a progress
//! bar; a dashboard's pace and controls). The pipeline reads no clock and does no I/O of its
//! own: a live run passes its clock's time to [`Pipeline::tick`].
//!
//! A capture's own secrets (pcapng Decryption Secrets Blocks) reach the engine before each
//! packet, in every command: when each command had its own loop, the dashboard's skipped them
//! and `tui --replay --label` stored no decrypted request where `replay --label` stored 15.

use std::ops::ControlFlow;

use crate::capture::{CaptureError, FileSource, Filtered, Packet, PacketSource};
use crate::contact::Contacts;
use crate::decrypt::KeyLog;
use crate::flow::Engine;
use crate::observation::Observation;
use crate::session::{Batch, Recorder};
use crate::time::Timestamp;

/// A packet source that may carry TLS secrets of its own.
pub trait Source: PacketSource {
    /// Key log text met since the last call (pcapng Decryption Secrets Blocks); empty when none.
    fn take_secrets(&mut self) -> Vec<u8>;
    /// Bytes read so far and in all (0 when unknown), for progress.
    fn position(&self) -> (u64, u64) {
        (0, 0)
    }
}

impl<S: Source> Source for Filtered<S> {
    fn take_secrets(&mut self) -> Vec<u8> {
        self.inner_mut().take_secrets()
    }

    fn position(&self) -> (u64, u64) {
        self.inner().position()
    }
}

impl Source for FileSource {
    fn take_secrets(&mut self) -> Vec<u8> {
        FileSource::take_secrets(self)
    }

    fn position(&self) -> (u64, u64) {
        (self.bytes_read(), self.total_bytes())
    }
}

/// Where observations go: contacts, a session recorder, an extraction, a printer.
pub trait Consumer {
    /// A packet at `ts` is about to be analysed (a recorder cuts its batches here).
    fn packet(&mut self, _ts: Timestamp) {}
    /// One observation, as the engine emits it.
    fn observe(&mut self, obs: &Observation);
}

impl<F: FnMut(&Observation)> Consumer for F {
    fn observe(&mut self, obs: &Observation) {
        self(obs)
    }
}

/// Two consumers, each told everything in turn.
impl<A: Consumer, B: Consumer> Consumer for (A, B) {
    fn packet(&mut self, ts: Timestamp) {
        self.0.packet(ts);
        self.1.packet(ts);
    }

    fn observe(&mut self, obs: &Observation) {
        self.0.observe(obs);
        self.1.observe(obs);
    }
}

impl Consumer for Contacts {
    fn observe(&mut self, obs: &Observation) {
        Contacts::observe(self, obs);
    }
}

/// Where a [`Recording`]'s batches go: the store, a dashboard, a test's list. The writer
/// reports back with [`Recorder::committed`] or [`Recorder::failed`].
pub trait BatchSink {
    /// Take one batch of `recorder`.
    fn write(&mut self, recorder: &mut Recorder, batch: Batch);
}

/// Batches kept in order for the caller to write later (a dashboard writes and shows them
/// between packets).
impl BatchSink for Vec<Batch> {
    fn write(&mut self, _recorder: &mut Recorder, batch: Batch) {
        self.push(batch);
    }
}

/// A session being recorded: the recorder, and where its batches go.
#[derive(Debug)]
pub struct Recording<W> {
    /// The recorder.
    pub recorder: Recorder,
    /// Its batches' destination.
    pub out: W,
}

impl<W: BatchSink> Recording<W> {
    /// Record with `recorder` into `out`.
    pub fn new(recorder: Recorder, out: W) -> Recording<W> {
        Recording { recorder, out }
    }

    /// The session ended: its last, durable batch goes out.
    pub fn finish(&mut self) {
        let batch = self.recorder.finish();
        self.out.write(&mut self.recorder, batch);
    }
}

impl<W: BatchSink> Consumer for Recording<W> {
    fn packet(&mut self, ts: Timestamp) {
        if let Some(batch) = self.recorder.packet(ts) {
            self.out.write(&mut self.recorder, batch);
        }
    }

    fn observe(&mut self, obs: &Observation) {
        self.recorder.observe(obs);
    }
}

/// How far a run has come, for progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Packets analysed.
    pub packets: u64,
    /// Bytes of the source read.
    pub bytes_read: u64,
    /// Bytes of the source in all (0 when unknown).
    pub total_bytes: u64,
}

/// What happens between packets, injected by the caller: a progress bar, or a dashboard's
/// pace and controls. Both methods may stop the run.
pub trait Watch<C> {
    /// The packet at `ts` is next (not yet analysed): wait for it, handle controls.
    fn before(&mut self, _pipeline: &mut Pipeline<C>, _ts: Timestamp) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    /// A packet was analysed.
    fn after(&mut self, _pipeline: &mut Pipeline<C>, _progress: Progress) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// Nothing between packets.
impl<C> Watch<C> for () {}

/// How a run ended.
#[derive(Debug)]
pub struct RunEnd {
    /// Packets read from the source and analysed.
    pub packets: u64,
    /// The error that stopped reading early; everything before it was analysed.
    pub error: Option<CaptureError>,
    /// The [`Watch`] stopped the run: flows are still open and nothing was finished.
    pub stopped: bool,
}

/// The engine with its consumer.
#[derive(Debug)]
pub struct Pipeline<C> {
    engine: Engine,
    consumer: C,
    /// Observations handed out, to tell a caller whether a tick changed anything.
    observed: u64,
}

impl<C: Consumer> Pipeline<C> {
    /// A fresh engine feeding `consumer`; TLS is decrypted only once secrets arrive.
    pub fn new(consumer: C) -> Pipeline<C> {
        Pipeline {
            engine: Engine::new(),
            consumer,
            observed: 0,
        }
    }

    /// Decrypt TLS with `keys` (lab use: `--keylog`); an empty key log turns decryption on for
    /// secrets that arrive later, counting connections without a key.
    pub fn decrypt_with(&mut self, keys: KeyLog) {
        self.engine.set_key_log(keys);
    }

    /// Add key log lines (a followed key log file, a Decryption Secrets Block); turns
    /// decryption on.
    pub fn add_secrets(&mut self, text: &[u8]) {
        self.engine.add_key_log_text(text);
    }

    /// Hand the engine the secrets `source` met so far.
    pub fn take_secrets(&mut self, source: &mut impl Source) {
        let secrets = source.take_secrets();
        if !secrets.is_empty() {
            self.engine.add_key_log_text(&secrets);
        }
    }

    /// Analyse one packet.
    pub fn ingest(&mut self, packet: &Packet<'_>) {
        let Pipeline {
            engine,
            consumer,
            observed,
        } = self;
        consumer.packet(packet.ts);
        engine.ingest(packet, &mut |obs: Observation| {
            *observed += 1;
            consumer.observe(&obs);
        });
    }

    /// Time passed without a packet (a live run's clock): idle flows end. True when that
    /// produced observations.
    pub fn tick(&mut self, now: Timestamp) -> bool {
        let before = self.observed;
        let Pipeline {
            engine,
            consumer,
            observed,
        } = self;
        engine.tick(now, &mut |obs: Observation| {
            *observed += 1;
            consumer.observe(&obs);
        });
        self.observed != before
    }

    /// End of input: every open flow ends.
    pub fn finish(&mut self) {
        let Pipeline {
            engine,
            consumer,
            observed,
        } = self;
        engine.finish(&mut |obs: Observation| {
            *observed += 1;
            consumer.observe(&obs);
        });
    }

    /// Every packet of `source`, its secrets first, then every flow ends. A capture error stops
    /// reading but never discards what was analysed before it; `watch` runs between packets
    /// and may stop the run early (then flows stay open).
    pub fn run<S: Source>(&mut self, source: &mut S, watch: &mut impl Watch<C>) -> RunEnd {
        let mut packets = 0u64;
        let error = loop {
            self.take_secrets(source);
            let packet = match source.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break None,
                Err(e) => break Some(e),
            };
            if watch.before(self, packet.ts).is_break() {
                return stopped(packets);
            }
            self.ingest(&packet);
            packets += 1;
            let (bytes_read, total_bytes) = source.position();
            let progress = Progress {
                packets,
                bytes_read,
                total_bytes,
            };
            if watch.after(self, progress).is_break() {
                return stopped(packets);
            }
        };
        self.finish();
        RunEnd {
            packets,
            error,
            stopped: false,
        }
    }
}

impl<C> Pipeline<C> {
    /// The engine: its stats, weirds and key log.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The consumer.
    pub fn consumer(&self) -> &C {
        &self.consumer
    }

    /// The consumer, to change it between packets (a new session, a mark).
    pub fn consumer_mut(&mut self) -> &mut C {
        &mut self.consumer
    }

    /// The engine and the consumer, once the run is over.
    pub fn into_parts(self) -> (Engine, C) {
        (self.engine, self.consumer)
    }
}

fn stopped(packets: u64) -> RunEnd {
    RunEnd {
        packets,
        error: None,
        stopped: true,
    }
}
