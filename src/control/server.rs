//! The owning process's side: accept connections on a thread, answer database reads there,
//! queue commands for the analysis task, keep the subscribers to publish to.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::subscriber::Subscriber;
use super::{ANSWER_TIMEOUT_MS, Answer, MAX_REQUEST_BYTES, MAX_SUBSCRIBERS, Request};
use crate::session::{Mark, SessionId};
use crate::store::{Store, StoreError};

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

/// Who answers marks, status and end.
#[derive(Debug)]
enum Owner {
    /// A live run: its analysis task takes commands ([`Server::take_commands`]).
    Live,
    /// A replay that records: nothing to mark or end from outside; status is read from the
    /// database. `hint` says where marks go instead.
    Replay { hint: String },
}

/// What the server has done, for the run's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Subscribers connected now.
    pub subscribers: usize,
    /// Events dropped for subscribers that did not keep up (`control.subscriber_lagged`).
    pub lagged: u64,
}

struct Shared {
    owner: Owner,
    /// A read handle on the owner's database, for reads on connection threads.
    store: Option<Store>,
    /// The session being recorded (for a replay's status).
    session: AtomicU64,
    commands: Mutex<VecDeque<Command>>,
    subscribers: Mutex<Vec<Arc<Subscriber>>>,
    /// Subscribers that have not been shown the current state yet.
    pending: Mutex<Vec<UnixStream>>,
    lagged: AtomicU64,
    stop: AtomicBool,
}

/// The listening socket and its accept thread; removed again on drop.
pub struct Server {
    path: PathBuf,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("path", &self.path).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Server {
    /// Serve a live run at `path`: commands go to its analysis task, reads to `store` (a
    /// [`Store::reader`] of the database it records into).
    pub fn start(path: &Path, store: Option<Store>) -> std::io::Result<Server> {
        Server::listen(path, Owner::Live, store, 0)
    }

    /// Serve a replay that records `session` into `store`: reads and status are answered;
    /// marks, end and subscriptions are refused with `hint` (where marks go instead).
    pub fn replay(
        path: &Path,
        store: Store,
        session: SessionId,
        hint: &str,
    ) -> std::io::Result<Server> {
        let owner = Owner::Replay {
            hint: hint.to_owned(),
        };
        Server::listen(path, owner, Some(store), session)
    }

    /// Listen at `path` (a stale socket of a dead process is replaced), mode 0660.
    fn listen(
        path: &Path,
        owner: Owner,
        store: Option<Store>,
        session: SessionId,
    ) -> std::io::Result<Server> {
        if path.exists() && UnixStream::connect(path).is_err() {
            std::fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            owner,
            store,
            session: AtomicU64::new(session),
            commands: Mutex::default(),
            subscribers: Mutex::default(),
            pending: Mutex::default(),
            lagged: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
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

    /// The session now recorded (a dashboard's replay may start a new one).
    pub fn set_session(&self, id: SessionId) {
        self.shared.session.store(id, Ordering::Relaxed);
    }

    /// Commands waiting for the analysis task, oldest first.
    pub fn take_commands(&self) -> Vec<Command> {
        lock(&self.shared.commands).drain(..).collect()
    }

    /// Queue one line for every subscriber; never waits for one (see [`Subscriber`]).
    pub fn publish(&self, line: &str) {
        let mut subs = lock(&self.shared.subscribers);
        if subs.is_empty() {
            return;
        }
        subs.retain(|s| !s.closed());
        let line: Arc<str> = Arc::from(line);
        for s in subs.iter() {
            s.push(&line, &self.shared.lagged);
        }
    }

    /// True when a subscriber waits for the whole state: a new one, or one that fell behind
    /// and has caught up with what waited ([`Server::admit`]).
    pub fn has_pending(&self) -> bool {
        !lock(&self.shared.pending).is_empty()
            || lock(&self.shared.subscribers)
                .iter()
                .any(|s| s.wants_resync())
    }

    /// Show the whole state (`snapshot` lines) to new subscribers, then let them follow; and
    /// again to those that fell behind, instead of what they missed.
    pub fn admit(&self, snapshot: &[String]) {
        let lines: Vec<Arc<str>> = snapshot.iter().map(|l| Arc::from(l.as_str())).collect();
        let waiting: Vec<UnixStream> = lock(&self.shared.pending).drain(..).collect();
        let mut subs = lock(&self.shared.subscribers);
        for s in subs.iter().filter(|s| s.wants_resync()) {
            s.resync(&lines);
        }
        for stream in waiting {
            if let Ok(s) = Subscriber::start(stream) {
                s.resync(&lines);
                subs.push(s);
            }
        }
    }

    /// Subscribers connected now.
    pub fn subscribers(&self) -> usize {
        lock(&self.shared.subscribers)
            .iter()
            .filter(|s| !s.closed())
            .count()
    }

    /// Subscribers and events dropped for those that did not keep up.
    pub fn stats(&self) -> ServerStats {
        ServerStats {
            subscribers: self.subscribers(),
            lagged: self.shared.lagged.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        for s in lock(&self.shared.subscribers).drain(..) {
            s.close();
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
                std::thread::sleep(Duration::from_millis(20));
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
    let mut reader = BufReader::new(std::io::Read::take(stream, MAX_REQUEST_BYTES as u64));
    let answer = match reader.read_line(&mut line) {
        Ok(0) | Err(_) => return,
        Ok(_) => match serde_json::from_str::<Request>(line.trim()) {
            Ok(Request::Subscribe {}) => return subscribe(writer, shared),
            Ok(req) => answer(shared, req),
            Err(e) => Answer::error(format!("bad request: {e}")),
        },
    };
    let _ = reply(&mut writer, &answer);
}

fn answer(shared: &Shared, req: Request) -> Answer {
    match (&shared.owner, req) {
        (_, Request::Sessions {}) => read(shared, |s| {
            Ok(Answer {
                sessions: Some(s.sessions()?),
                ..Answer::ok()
            })
        }),
        (_, Request::Contacts { id }) => read(shared, |s| {
            Ok(Answer {
                session: Some(s.session(id)?),
                contacts: Some(s.contacts(id)?),
                signatures: s.signatures(id)?,
                ..Answer::ok()
            })
        }),
        (_, Request::Requests { id }) => read(shared, |s| {
            Ok(Answer {
                requests: Some(s.requests(id)?),
                ..Answer::ok()
            })
        }),
        (_, Request::Labels {}) => read(shared, |s| {
            Ok(Answer {
                labels: Some(s.labels()?),
                ..Answer::ok()
            })
        }),
        (Owner::Replay { .. }, Request::Status {}) => {
            let id = shared.session.load(Ordering::Relaxed);
            read(shared, |s| Ok(Answer::session(s.session(id)?)))
        }
        (Owner::Replay { hint }, _) => Answer::error(hint.clone()),
        (Owner::Live, req) => ask(shared, req),
    }
}

/// Answer from the owner's database.
fn read(shared: &Shared, f: impl FnOnce(&Store) -> Result<Answer, StoreError>) -> Answer {
    match &shared.store {
        Some(store) => f(store).unwrap_or_else(|e| Answer::error(e.to_string())),
        None => Answer::error("this process keeps no database"),
    }
}

/// Queue a request for the analysis task and wait for its answer.
fn ask(shared: &Shared, req: Request) -> Answer {
    let (tx, rx): (Sender<Answer>, Receiver<Answer>) = mpsc::channel();
    let cmd = match req {
        Request::Mark(m) => Command::Mark(m, tx),
        Request::Status {} => Command::Status(tx),
        Request::End {} => Command::End(tx),
        _ => return Answer::error("this request is answered elsewhere"),
    };
    lock(&shared.commands).push_back(cmd);
    rx.recv_timeout(Duration::from_millis(ANSWER_TIMEOUT_MS))
        .unwrap_or_else(|_| Answer::error("the live process did not answer in time"))
}

fn subscribe(mut stream: UnixStream, shared: &Shared) {
    if let Owner::Replay { hint } = &shared.owner {
        let _ = reply(&mut stream, &Answer::error(hint.clone()));
        return;
    }
    let count = lock(&shared.subscribers)
        .iter()
        .filter(|s| !s.closed())
        .count();
    let mut pending = lock(&shared.pending);
    if count + pending.len() >= MAX_SUBSCRIBERS {
        drop(pending);
        let _ = reply(&mut stream, &Answer::error("too many subscribers"));
        return;
    }
    if reply(&mut stream, &Answer::ok()).is_ok() {
        let _ = stream.set_read_timeout(None);
        pending.push(stream);
    }
}

fn reply(stream: &mut UnixStream, answer: &Answer) -> std::io::Result<()> {
    let mut text = serde_json::to_string(answer).unwrap_or_else(|_| "{\"ok\":false}".into());
    text.push('\n');
    stream.write_all(text.as_bytes())
}
