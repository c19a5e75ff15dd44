//! Recording a live run as a session: the [`LiveHook`] that feeds the session recorder, writes
//! its batches to the store and serves the control socket (marks, status, end, subscribers).
//!
//! Subscribers are told of contacts as they change ([`LiveHook::changes`], from the recorder's
//! [`Recorder::live_changes`]), of counters every [`super::COUNTERS_EVERY`], and of the session
//! record with every store batch; a new subscriber, or one that fell behind, is first sent the
//! whole state.

use crate::control::{Answer, Command, Counters, Event, Server};
use crate::session::{CaptureStats, ContactRecord, Recorder};
use crate::store::{BatchWriter, Store};
use crate::time::Timestamp;

use super::hook::{LiveEnd, LiveHook};
use super::stats::LiveStats;

/// Contacts per event line of a snapshot: a big session goes out in lines a client can take.
pub const SNAPSHOT_CONTACTS_PER_LINE: usize = 500;

/// The session side of a live run.
pub struct SessionHook {
    rec: Recorder,
    store: Store,
    writer: BatchWriter,
    control: Option<Server>,
    end: Box<dyn FnMut()>,
    /// Store errors for the tester (the first of a kind), taken by the caller.
    pub warnings: Vec<String>,
}

impl SessionHook {
    /// Record into `store` with `rec`; answer commands on `control`; `end` stops the run.
    pub fn new(
        mut rec: Recorder,
        store: Store,
        control: Option<Server>,
        end: Box<dyn FnMut()>,
    ) -> Self {
        if control.is_some() {
            rec.publish_live();
        }
        SessionHook {
            rec,
            store,
            writer: BatchWriter::default(),
            control,
            end,
            warnings: Vec::new(),
        }
    }

    /// The recorder (session and contacts).
    pub fn recorder(&self) -> &Recorder {
        &self.rec
    }

    /// The control socket, if served.
    pub fn control(&self) -> Option<&Server> {
        self.control.as_ref()
    }

    /// The first store error, if any batch was refused.
    pub fn store_error(&self) -> Option<String> {
        self.writer.first_error.as_ref().map(ToString::to_string)
    }

    /// The control server when someone subscribes.
    fn listened(&self) -> Option<&Server> {
        self.control.as_ref().filter(|s| s.subscribers() > 0)
    }

    fn write(&mut self, batch: crate::session::Batch) {
        if let Some(server) = self.listened() {
            publish(server, &Event::Session(Box::new(batch.session.clone())));
            // Contacts went out as they changed; a mark can change the phase of many at once.
            if batch.durable && !batch.contacts.is_empty() {
                publish_contacts(server, &batch.contacts);
            }
        }
        if let Some(e) = self.writer.write(&mut self.store, &mut self.rec, batch) {
            self.warnings.push(format!(
                "the database refused a write ({e}); capture goes on, unstored contacts are counted"
            ));
        }
    }

    /// Answer waiting commands; show the whole state to new subscribers and to those that
    /// fell behind.
    fn serve(&mut self) {
        self.commands();
        if !self.control.as_ref().is_some_and(Server::has_pending) {
            return;
        }
        // Those already following are brought up to date first: the snapshot marks every
        // contact as shown.
        self.changes();
        let mut lines: Vec<String> = Vec::new();
        lines.extend(line(&Event::Session(Box::new(self.rec.session().clone()))));
        let all = self.rec.live_snapshot();
        // At least one contacts line, so that a client knows the state is whole.
        for chunk in all
            .chunks(SNAPSHOT_CONTACTS_PER_LINE)
            .chain(all.is_empty().then_some(&[][..]))
        {
            lines.extend(line(&Event::Contacts(chunk.to_vec())));
        }
        if let Some(server) = &self.control {
            server.admit(&lines);
        }
    }

    fn commands(&mut self) {
        let Some(server) = &self.control else {
            return;
        };
        for cmd in server.take_commands() {
            match cmd {
                Command::Mark(mark, reply) => {
                    let batch = self.rec.mark(mark);
                    self.write(batch);
                    let answer = match self.writer.first_error.as_ref() {
                        Some(e) => Answer::error(format!("mark not stored: {e}")),
                        None => Answer::session(self.rec.session().clone()),
                    };
                    let _ = reply.send(answer);
                }
                Command::Status(reply) => {
                    let _ = reply.send(Answer::session(self.rec.session().clone()));
                }
                Command::End(reply) => {
                    (self.end)();
                    let _ = reply.send(Answer::ok());
                }
            }
        }
    }
}

impl SessionHook {
    /// Remove the session when the capture could not start, if it holds no packet (a run
    /// that failed later keeps what it recorded, as an interrupted session).
    pub fn discard(&mut self) -> Result<(), crate::store::StoreError> {
        let s = self.rec.session();
        if s.started.is_some() || s.stats.packets > 0 {
            return Ok(());
        }
        self.store.delete(s.id).map(|_| ())
    }
}

impl LiveHook for SessionHook {
    fn observation(&mut self, obs: &crate::observation::Observation) {
        if let Some(b) = self.rec.tick(obs.ts()) {
            self.write(b);
        }
        self.rec.observe(obs);
    }

    fn changes(&mut self) {
        if self.listened().is_none() {
            return;
        }
        let changed = self.rec.live_changes(false);
        if let Some(server) = self.listened().filter(|_| !changed.is_empty()) {
            publish_contacts(server, &changed);
        }
    }

    fn counters(&mut self, stats: &LiveStats, now: Timestamp) {
        self.serve();
        let Some(server) = self.listened() else {
            return;
        };
        let counters = Counters {
            now,
            packets: stats.captured,
            bytes: stats.captured_bytes,
            dropped: stats.dropped(),
            subscriber_lagged: server.stats().lagged,
        };
        publish(server, &Event::Counters(counters));
        let changed = self.rec.live_changes(true);
        if let Some(server) = self.listened().filter(|_| !changed.is_empty()) {
            publish_contacts(server, &changed);
        }
    }

    fn tick(&mut self, now: Timestamp) {
        self.serve();
        if let Some(b) = self.rec.tick(now) {
            self.write(b);
        }
    }

    fn stats(&mut self, stats: &LiveStats) {
        self.rec.capture_stats(capture_stats(stats));
    }

    fn ended(&mut self, end: &LiveEnd) {
        self.rec.capture_stats(capture_stats(&end.stats));
        let batch = self.rec.finish();
        self.write(batch);
        // Answer whoever is still waiting, then the socket goes away with the hook.
        self.commands();
    }
}

fn capture_stats(s: &LiveStats) -> CaptureStats {
    CaptureStats {
        packets: s.captured,
        kernel_dropped: s.kernel_dropped,
        interface_dropped: s.if_dropped,
        channel_dropped: s.channel_dropped,
        outages: s.outages,
    }
}

fn line(event: &Event) -> Option<String> {
    serde_json::to_string(event).ok()
}

fn publish(server: &Server, event: &Event) {
    if let Some(l) = line(event) {
        server.publish(&l);
    }
}

fn publish_contacts(server: &Server, contacts: &[ContactRecord]) {
    for chunk in contacts.chunks(SNAPSHOT_CONTACTS_PER_LINE) {
        publish(server, &Event::Contacts(chunk.to_vec()));
    }
}
