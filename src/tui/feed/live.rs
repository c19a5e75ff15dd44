//! A running `sporfri live`, over its control socket: the dashboard follows the session's
//! contacts as they change and its counters, and its marks go back over the socket.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Control, Feed, FeedError};
use crate::control::{Client, Event};
use crate::session::Mark;
use crate::time::Timestamp;
use crate::tui::model::SourceInfo;
use crate::tui::update::Msg;

/// How often the wall clock ticks the dashboard (elapsed time, idle flows).
const TICK: Duration = Duration::from_millis(250);

/// Follows the live session whose control socket is at `socket`.
#[derive(Debug)]
pub struct LiveFeed {
    socket: PathBuf,
}

impl LiveFeed {
    /// Check that a live session answers at `socket` (fails before any terminal is touched).
    pub fn connect(socket: &Path) -> Result<LiveFeed, FeedError> {
        Client::connect(socket).and_then(Client::status)?;
        Ok(LiveFeed {
            socket: socket.to_owned(),
        })
    }

    fn control(&self, c: Control) -> Option<String> {
        let client = match Client::connect(&self.socket) {
            Ok(c) => c,
            Err(e) => return Some(e.to_string()),
        };
        let answer = match c {
            Control::Mark(kind, text) => client
                .mark(Mark {
                    ts: wall_now(),
                    kind,
                    text,
                })
                .map(|s| format!("{kind} stored in live session {}", s.id)),
            Control::EndSession => client
                .end()
                .map(|()| "the live session is ending".to_owned()),
            Control::NewSession(_) => {
                return Some("a live session is started by `sporfri live --label`".into());
            }
            Control::LabelDevice { .. } => {
                return Some("device labels are set with `sporfri sessions label`".into());
            }
            Control::Pace(_) => return Some("a live capture runs in real time".into()),
            Control::Stop => return None,
        };
        Some(answer.unwrap_or_else(|e| e.to_string()))
    }
}

impl Feed for LiveFeed {
    fn run(self: Box<Self>, out: SyncSender<Msg>, control: Receiver<Control>) {
        let describe = format!("live session at {}", self.socket.display());
        let source = SourceInfo {
            describe: describe.clone(),
            writable: true,
            recording: true,
            ended: false,
        };
        if out.send(Msg::Source(source)).is_err() {
            return;
        }
        match Client::connect(&self.socket).and_then(Client::subscribe) {
            Ok(reader) => {
                let tx = out.clone();
                // The reader thread ends when the live process closes the socket.
                let _ = std::thread::Builder::new()
                    .name("sporfri-tui-live".into())
                    .spawn(move || follow(reader, &tx, describe));
            }
            Err(e) => {
                let _ = out.send(Msg::Status(e.to_string()));
            }
        }
        loop {
            match control.recv_timeout(TICK) {
                Ok(Control::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(c) => {
                    if let Some(text) = self.control(c)
                        && out.send(Msg::Status(text)).is_err()
                    {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if out.send(Msg::Tick(wall_now())).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Turn the subscription's lines into messages until the live process goes away.
fn follow(reader: impl BufRead, out: &SyncSender<Msg>, describe: String) {
    for line in reader.lines() {
        let Ok(line) = line else {
            break;
        };
        let msg = match serde_json::from_str::<Event>(&line) {
            Ok(Event::Session(s)) => Msg::Session(s),
            Ok(Event::Contacts(c)) => Msg::Contacts(c),
            // The header's live counts (the session record's come once a second, with the
            // store's flush).
            Ok(Event::Counters(c)) => Msg::Progress {
                now: c.now,
                packets: c.packets,
                drops: c.dropped,
            },
            Err(_) => continue,
        };
        if out.send(msg).is_err() {
            return;
        }
    }
    let _ = out.send(Msg::Source(SourceInfo {
        describe: format!("{describe} (ended)"),
        writable: false,
        recording: false,
        ended: true,
    }));
    let _ = out.send(Msg::Status("the live session ended".into()));
}

fn wall_now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(d.as_secs(), u64::from(d.subsec_nanos()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::Counters;

    /// The header's packets and drops come from the counters the live run publishes, and the
    /// end of the subscription says the session ended.
    #[test]
    fn counters_become_the_headers_progress_and_the_end_is_shown() {
        let counters = Counters {
            now: Timestamp::from_parts(1_700_000_000, 0),
            packets: 4_321,
            bytes: 999_999,
            dropped: 7,
            subscriber_lagged: 0,
        };
        let lines = format!(
            "{}\nnot json\n",
            serde_json::to_string(&Event::Counters(counters)).unwrap_or_default()
        );
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        follow(lines.as_bytes(), &tx, "live".into());
        drop(tx);
        let msgs: Vec<Msg> = rx.iter().collect();
        assert_eq!(
            msgs.first(),
            Some(&Msg::Progress {
                now: Timestamp::from_parts(1_700_000_000, 0),
                packets: 4_321,
                drops: 7,
            })
        );
        assert!(
            matches!(msgs.get(1), Some(Msg::Source(s)) if s.ended && s.describe == "live (ended)"),
            "{msgs:?}"
        );
        assert_eq!(msgs.len(), 3, "{msgs:?}");
    }
}
