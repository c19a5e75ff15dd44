//! The live process's side: accept connections on a thread, queue commands for the analysis task,
//! keep the subscribers to publish to.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{ANSWER_TIMEOUT_MS, Answer, MAX_REQUEST_BYTES, MAX_SUBSCRIBERS, Request};
use crate::session::Mark;

/// A command for the analysis task, with the channel its answer goes back on.
#[derive(Debug)]
pub enum Command {
    /// Add a mark.
    Mark(Mark, Sender<Answer>),
    /// Report the session.
    Status(Sender<Answer>),
    /// End the run.
    End(Sender<Answer>),
}

#[derive(Default)]
struct Shared {
    commands: Mutex<VecDeque<Command>>,
    subscribers: Mutex<Vec<UnixStream>>,
    /// Subscribers that have not been shown the current state yet.
    pending: Mutex<Vec<UnixStream>>,
    stop: AtomicBool,
}

/// The listening socket and its accept thread; removed again on drop.
pub struct Server {
    path: PathBuf,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Listen at `path` (a stale socket of a dead process is replaced), mode 0660.
    pub fn start(path: &Path) -> std::io::Result<Server> {
        if path.exists() && UnixStream::connect(path).is_err() {
            std::fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("sporfri-control".into())
            .spawn(move || accept_loop(&listener, &s))?;
        Ok(Server {
            path: path.to_owned(),
            shared,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Commands waiting for the analysis task, oldest first.
    pub fn take_commands(&self) -> Vec<Command> {
        let mut q = self
            .shared
            .commands
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        q.drain(..).collect()
    }

    /// Send one line to every subscriber; those that cannot keep up or left are dropped.
    pub fn publish(&self, line: &str) {
        let mut subs = self
            .shared
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        subs.retain_mut(|s| {
            s.write_all(line.as_bytes())
                .and_then(|()| s.write_all(b"\n"))
                .is_ok()
        });
    }

    /// True when a new subscriber waits for the current state ([`Server::admit`]).
    pub fn has_pending(&self) -> bool {
        !self
            .shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// Show waiting subscribers the current state (`snapshot` lines), then let them follow.
    pub fn admit(&self, snapshot: &[String]) {
        let waiting: Vec<UnixStream> = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        let mut subs = self
            .shared
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for mut s in waiting {
            let sent = snapshot.iter().all(|line| {
                s.write_all(line.as_bytes())
                    .and_then(|()| s.write_all(b"\n"))
                    .is_ok()
            });
            if sent {
                subs.push(s);
            }
        }
    }

    /// Subscribers connected now.
    pub fn subscribers(&self) -> usize {
        self.shared
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn accept_loop(listener: &UnixListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let s = Arc::clone(shared);
                // One short-lived thread per request; a subscriber's ends after the hand-over.
                let _ = std::thread::Builder::new()
                    .name("sporfri-control-conn".into())
                    .spawn(move || serve(stream, &s));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

fn serve(stream: UnixStream, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(ANSWER_TIMEOUT_MS)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut line = String::new();
    let mut reader = BufReader::new(stream.take_limit());
    let answer = match reader.read_line(&mut line) {
        Ok(0) | Err(_) => return,
        Ok(_) => match serde_json::from_str::<Request>(line.trim()) {
            Ok(Request::Subscribe {}) => return subscribe(writer, shared),
            Ok(req) => ask(shared, req),
            Err(e) => Answer::error(format!("bad request: {e}")),
        },
    };
    let _ = reply(&mut writer, &answer);
}

/// Queue a request for the analysis task and wait for its answer.
fn ask(shared: &Shared, req: Request) -> Answer {
    let (tx, rx): (Sender<Answer>, Receiver<Answer>) = mpsc::channel();
    let cmd = match req {
        Request::Mark(m) => Command::Mark(m, tx),
        Request::Status {} => Command::Status(tx),
        Request::End {} => Command::End(tx),
        Request::Subscribe {} => return Answer::error("subscribe is answered elsewhere"),
    };
    shared
        .commands
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push_back(cmd);
    rx.recv_timeout(Duration::from_millis(ANSWER_TIMEOUT_MS))
        .unwrap_or_else(|_| Answer::error("the live process did not answer in time"))
}

fn subscribe(mut stream: UnixStream, shared: &Shared) {
    let count = shared
        .subscribers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len();
    let mut subs = shared
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if count + subs.len() >= MAX_SUBSCRIBERS {
        drop(subs);
        let _ = reply(&mut stream, &Answer::error("too many subscribers"));
        return;
    }
    if reply(&mut stream, &Answer::ok()).is_ok() {
        // A subscriber that stops reading must not stall the analysis: writes time out.
        let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
        subs.push(stream);
    }
}

fn reply(stream: &mut UnixStream, answer: &Answer) -> std::io::Result<()> {
    let mut text = serde_json::to_string(answer).unwrap_or_else(|_| "{\"ok\":false}".into());
    text.push('\n');
    stream.write_all(text.as_bytes())
}

/// Bounded reads of a request line.
trait TakeLimit {
    fn take_limit(self) -> std::io::Take<UnixStream>;
}

impl TakeLimit for UnixStream {
    fn take_limit(self) -> std::io::Take<UnixStream> {
        std::io::Read::take(self, MAX_REQUEST_BYTES as u64)
    }
}
