//! Recording a live run as a session: the [`LiveHook`] that feeds the session recorder, writes
//! its batches to the store and answers the control socket (marks, status, end, subscribers).

use crate::control::{Answer, Command, Event, Server};
use crate::session::{CaptureStats, Recorder};
use crate::store::{BatchWriter, Store};

use super::hook::{LiveEnd, LiveHook};
use super::stats::LiveStats;

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
        rec: Recorder,
        store: Store,
        control: Option<Server>,
        end: Box<dyn FnMut()>,
    ) -> Self {
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

    /// The first store error, if any batch was refused.
    pub fn store_error(&self) -> Option<String> {
        self.writer.first_error.as_ref().map(ToString::to_string)
    }

    fn write(&mut self, batch: crate::session::Batch) {
        if let Some(server) = self.control.as_ref().filter(|s| s.subscribers() > 0) {
            publish(server, &Event::Session(Box::new(batch.session.clone())));
            if !batch.contacts.is_empty() {
                publish(server, &Event::Contacts(batch.contacts.clone()));
            }
        }
        if let Some(e) = self.writer.write(&mut self.store, &mut self.rec, batch) {
            self.warnings.push(format!(
                "the database refused a write ({e}); capture goes on, unstored contacts are counted"
            ));
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

impl LiveHook for SessionHook {
    fn observation(&mut self, obs: &crate::observation::Observation) {
        if let Some(b) = self.rec.tick(obs.ts()) {
            self.write(b);
        }
        self.rec.observe(obs);
    }

    fn tick(&mut self, now: crate::time::Timestamp) {
        self.commands();
        if let Some(server) = self.control.as_ref().filter(|s| s.has_pending()) {
            let snapshot: Vec<String> = [
                Event::Session(Box::new(self.rec.session().clone())),
                Event::Contacts(self.rec.stored()),
            ]
            .iter()
            .filter_map(|e| serde_json::to_string(e).ok())
            .collect();
            server.admit(&snapshot);
        }
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

fn publish(server: &Server, event: &Event) {
    if let Ok(line) = serde_json::to_string(event) {
        server.publish(&line);
    }
}
