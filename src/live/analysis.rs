//! The analysis step of a live run: the capture thread's batches → the library's [`Pipeline`]
//! → contacts and the run's [`LiveHook`]s, with the `--keylog` hold, periodic publication, the
//! raw pcapng file and the end.
//!
//! Plain Rust without threads or libpcap: the `live` feature's tokio task calls it between
//! channel messages and timer ticks, and tests drive it with batches from memory and a
//! [`Clock`] of their own. The clock is the one thing a live run reads that a replay does not:
//! it ends idle flows when no packet carries the time forward, and times the key log hold.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::attribute::Attributor;
use crate::contact::Contacts;
use crate::decrypt::KeyLog;
use crate::observation::Observation;
use crate::pipeline::{Consumer, Pipeline};
use crate::time::Timestamp;

use super::batch::Batch;
use super::feed::ContactFeed;
use super::hook::{LinkEvent, LiveEnd, LiveHook};
use super::keylog::{Held, KEYLOG_DELAY, KeyLogTail};
use super::pcapng::{DropCounts, PcapngWriter};
use super::stats::LiveStats;
use super::wall_now;

/// Where a live run's time comes from.
pub trait Clock {
    /// Wall-clock time, as a packet timestamp.
    fn now(&self) -> Timestamp;
    /// Monotonic time, for how long batches have waited.
    fn instant(&self) -> Instant;
}

/// The system's clocks.
#[derive(Debug, Default, Clone, Copy)]
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> Timestamp {
        wall_now()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// The pipeline's consumer in a live run: the run's contacts, and every hook.
struct Observers<'h> {
    contacts: Contacts,
    hook: &'h mut dyn LiveHook,
}

impl Consumer for Observers<'_> {
    fn observe(&mut self, obs: &Observation) {
        self.hook.observation(obs);
        self.contacts.observe(obs);
    }
}

/// The analysis of one live run.
pub struct Analysis<'h> {
    pipeline: Pipeline<Observers<'h>>,
    /// `--keylog`: the file followed; batches wait in `held` for their secrets.
    keylog: Option<KeyLogTail>,
    held: Held<Batch>,
    keylog_warned: bool,
    feed: ContactFeed,
    attributor: Attributor,
    writer: Option<PcapngWriter>,
    /// Contacts may have changed since the last publication.
    dirty: bool,
    /// Packets were analysed since the hooks were last told of changes.
    fresh: bool,
    /// When the hooks were last told of changes.
    last_changes: Instant,
    clock: &'h dyn Clock,
}

impl<'h> Analysis<'h> {
    /// Analyse into `hook`, attributing with `attributor`, timed by `clock`.
    pub fn new(attributor: Attributor, hook: &'h mut dyn LiveHook, clock: &'h dyn Clock) -> Self {
        let contacts = Contacts::default();
        Analysis {
            pipeline: Pipeline::new(Observers { contacts, hook }),
            keylog: None,
            held: Held::new(KEYLOG_DELAY),
            keylog_warned: false,
            feed: ContactFeed::default(),
            attributor,
            writer: None,
            dirty: false,
            fresh: false,
            last_changes: clock.instant(),
            clock,
        }
    }

    /// Follow the key log at `path` (it need not exist yet) and hold batches for their secrets;
    /// decryption is on from the start, so connections without secrets are counted.
    pub fn follow_key_log(&mut self, path: &Path) {
        self.pipeline.decrypt_with(KeyLog::new());
        self.keylog = Some(KeyLogTail::new(path));
    }

    /// Also write every packet analysed to `writer`.
    pub fn write_to(&mut self, writer: PcapngWriter) {
        self.writer = Some(writer);
    }

    /// A key log is followed (its file must be read every [`super::keylog::KEYLOG_POLL`]).
    pub fn follows_key_log(&self) -> bool {
        self.keylog.is_some()
    }

    /// The run's hooks.
    pub fn hook(&mut self) -> &mut dyn LiveHook {
        &mut *self.pipeline.consumer_mut().hook
    }

    /// The run's contacts so far (unattributed).
    pub fn contacts(&self) -> &Contacts {
        &self.pipeline.consumer().contacts
    }

    /// A batch arrived from the capture thread: analysed now, or held for its secrets.
    pub fn batch_arrived(&mut self, batch: Batch) {
        if self.keylog.is_none() {
            return self.batch(&batch);
        }
        if let Some(early) = self.held.push(self.clock.instant(), batch) {
            self.read_keys();
            self.batch(&early);
        }
    }

    /// The interface went down or came back.
    pub fn link(&mut self, event: &LinkEvent) {
        self.hook().link(event);
    }

    /// Periodic counters.
    pub fn stats(&mut self, stats: &LiveStats) {
        self.hook().stats(stats);
    }

    fn batch(&mut self, batch: &Batch) {
        let mut write_error = None;
        for packet in batch.packets() {
            self.pipeline.ingest(&packet);
            if let Some(w) = self.writer.as_mut()
                && let Err(e) = w.write(packet.ts, packet.link, packet.data, packet.orig_len)
            {
                write_error = Some(e);
            }
        }
        if let Some(e) = write_error {
            // A full disk must not stop the analysis; the file stops, and the tester is told.
            self.writer = None;
            self.hook()
                .warning(&format!("writing the raw capture stopped: {e}"));
        }
        self.dirty = true;
        self.fresh = true;
    }

    /// When the changes of the packets analysed must be published: [`super::COALESCE`] after
    /// the last publication (so at once after a quiet spell); `None` when nothing is waiting.
    pub fn changes_due(&self) -> Option<Instant> {
        self.fresh.then_some(self.last_changes + super::COALESCE)
    }

    /// Tell the hooks of the changes (called when [`Analysis::changes_due`] is reached).
    pub fn publish_changes(&mut self) {
        self.fresh = false;
        self.last_changes = self.clock.instant();
        self.hook().changes();
    }

    /// Live counters for the hooks (every [`super::COUNTERS_EVERY`]).
    pub fn counters(&mut self, stats: &LiveStats) {
        let now = self.clock.now();
        self.hook().counters(stats, now);
    }

    /// Read the key log's new lines into the engine.
    fn read_keys(&mut self) {
        let Some(tail) = self.keylog.as_mut() else {
            return;
        };
        match tail.poll() {
            Ok(lines) if !lines.is_empty() => self.pipeline.add_secrets(&lines),
            Ok(_) => {}
            Err(e) if !self.keylog_warned => {
                self.keylog_warned = true;
                let path = tail.path().display().to_string();
                self.hook().warning(&format!(
                    "reading the key log {path} failed ({e}); connections without secrets stay \
                     metadata (counted as decrypt.no_key)"
                ));
            }
            Err(_) => {}
        }
    }

    /// Read the key log, then analyse the held batches that waited long enough (all: `all`).
    pub fn release(&mut self, all: bool) {
        self.read_keys();
        let now = self.clock.instant();
        let due: Vec<Batch> = if all {
            self.held.drain().collect()
        } else {
            std::iter::from_fn(|| self.held.due(now)).collect()
        };
        for b in &due {
            self.batch(b);
        }
    }

    /// The publish interval passed: idle flows end by the clock, hooks tick, and contacts new
    /// or changed since the last publication go out.
    pub fn publish(&mut self) {
        let now = self.clock.now();
        // Wall time ends idle flows even when no packet arrives to carry the time; their
        // flow ends change contacts (flows, bytes), which must be published too.
        let ended = self.pipeline.tick(now);
        self.dirty |= ended;
        self.fresh |= ended;
        self.hook().tick(now);
        if let Some(w) = self.writer.as_mut() {
            let _ = w.flush();
        }
        if !std::mem::take(&mut self.dirty) {
            return;
        }
        let events = self
            .feed
            .changes(&self.pipeline.consumer().contacts, &self.attributor);
        if !events.is_empty() {
            self.hook().contacts(&events);
        }
    }

    /// The run is over (`reason`), with these final counters: flows end, the last contacts and
    /// counters are published, the raw capture is closed.
    pub fn end(mut self, stats: LiveStats, reason: String) -> LiveEnd {
        self.pipeline.finish();
        self.dirty = true;
        self.publish();
        self.publish_changes();
        let files = self.close_raw_capture(&stats);
        self.hook().stats(&stats);
        let engine = self.pipeline.engine();
        let end = LiveEnd {
            ended: self.clock.now(),
            stats,
            packets: engine.stats().packets,
            flows: engine.stats().flows,
            contacts: self.pipeline.consumer().contacts.sorted().len(),
            weirds: LiveEnd::weirds_of(engine.weirds()),
            files,
            reason,
        };
        self.hook().ended(&end);
        end
    }

    /// Finish the `--write` file with the drop counters; the files written.
    fn close_raw_capture(&mut self, stats: &LiveStats) -> Vec<PathBuf> {
        let Some(w) = self.writer.as_mut() else {
            return Vec::new();
        };
        let drops = DropCounts {
            received: stats.received,
            if_dropped: stats.if_dropped,
            os_dropped: stats.kernel_dropped,
            delivered: stats.captured,
            app_dropped: stats.channel_dropped,
        };
        let closed = w.finish(drops);
        let files = w.files().to_vec();
        if let Err(e) = closed {
            self.hook()
                .warning(&format!("closing the raw capture failed: {e}"));
        }
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::pcapng::{OPT_ISB_IFDROP, OPT_ISB_OSDROP, OPT_ISB_USRDELIV, isb_options};
    use crate::wire::link::LinkType;

    struct Quiet;
    impl LiveHook for Quiet {}

    struct Fixed(Instant);
    impl Clock for Fixed {
        fn now(&self) -> Timestamp {
            Timestamp::from_parts(1_700_000_000, 0)
        }
        fn instant(&self) -> Instant {
            self.0
        }
    }

    /// Regression: the end of a `--write` file said the kernel's drops were the interface's and
    /// sporfri's own were the operating system's.
    #[test]
    fn the_raw_capture_ends_with_each_drop_in_its_own_counter() {
        let dir = std::env::temp_dir().join(format!("sporfri-analysis-isb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cap.pcapng");
        let writer = PcapngWriter::create(&path, 1 << 20, LinkType::RAW, "vs").unwrap();
        let (mut hook, clock) = (Quiet, Fixed(Instant::now()));
        let mut task = Analysis::new(Attributor::builtin(None).unwrap(), &mut hook, &clock);
        task.write_to(writer);
        let stats = LiveStats {
            captured: 90,
            received: 100,
            kernel_dropped: 8,
            if_dropped: 2,
            channel_dropped: 5,
            ..LiveStats::default()
        };
        task.end(stats, "stopped".into());
        let opts = isb_options(&path);
        let value = |code: u16| {
            let (_, v) = opts.iter().find(|(c, _)| *c == code).unwrap();
            u64::from_le_bytes(v.as_slice().try_into().unwrap())
        };
        assert_eq!(
            value(OPT_ISB_IFDROP),
            2,
            "isb_ifdrop: the interface's drops"
        );
        assert_eq!(
            value(OPT_ISB_OSDROP),
            8,
            "isb_osdrop: the kernel buffer's drops"
        );
        assert_eq!(value(OPT_ISB_USRDELIV), 90);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
