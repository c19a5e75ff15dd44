//! The other side: `sporfri mark`, `sporfri tui`, `sessions`, `report`, `diff` and scripts
//! asking the process that owns the database.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::{ANSWER_TIMEOUT_MS, Answer, Request};
use crate::attribute::SignatureSet;
use crate::session::{ContactRecord, Mark, RequestEntry, Session, SessionId};

/// How long a read of the database may go quiet (a big session is sent in one answer).
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Errors talking to the owning process.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// Nothing listens at the socket: no process records into this database.
    #[error("no live session is running (nothing listens at {0})")]
    NotRunning(String),
    /// The connection failed midway.
    #[error("talking to the sporfri process at {path}: {cause}")]
    Io {
        /// Socket path.
        path: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: std::io::Error,
    },
    /// The owning process answered with an error or nonsense.
    #[error("the sporfri process recording into this database refused: {0}")]
    Refused(String),
}

/// A connection to the process that owns a database (one request per connection).
pub struct Client {
    path: String,
    stream: UnixStream,
}

impl Client {
    /// Connect to the socket at `path`.
    pub fn connect(path: &Path) -> Result<Client, ControlError> {
        let shown = path.display().to_string();
        let stream =
            UnixStream::connect(path).map_err(|_| ControlError::NotRunning(shown.clone()))?;
        let timeout = Some(Duration::from_millis(ANSWER_TIMEOUT_MS + 1_000));
        let io = |source| ControlError::Io {
            path: shown.clone(),
            cause: source,
        };
        stream.set_read_timeout(timeout).map_err(io)?;
        Ok(Client {
            path: shown,
            stream,
        })
    }

    /// Add a mark to the running session.
    pub fn mark(self, mark: Mark) -> Result<Session, ControlError> {
        self.session_request(&Request::Mark(mark))
    }

    /// The running session.
    pub fn status(self) -> Result<Session, ControlError> {
        self.session_request(&Request::Status {})
    }

    /// End the live run.
    pub fn end(mut self) -> Result<(), ControlError> {
        self.ask(&Request::End {}).map(|_| ())
    }

    /// Every session of the database.
    pub fn sessions(self) -> Result<Vec<Session>, ControlError> {
        let answer = self.read(&Request::Sessions {})?;
        answer.sessions.ok_or_else(|| missing("sessions"))
    }

    /// Session `id`, its contacts and the signatures it was attributed with (if stored).
    pub fn contacts(
        self,
        id: SessionId,
    ) -> Result<(Session, Vec<ContactRecord>, Option<SignatureSet>), ControlError> {
        let answer = self.read(&Request::Contacts { id })?;
        match (answer.session, answer.contacts) {
            (Some(s), Some(c)) => Ok((s, c, answer.signatures)),
            _ => Err(missing("contacts")),
        }
    }

    /// Session `id`'s requests.
    pub fn requests(self, id: SessionId) -> Result<Vec<RequestEntry>, ControlError> {
        let answer = self.read(&Request::Requests { id })?;
        answer.requests.ok_or_else(|| missing("requests"))
    }

    /// The device labels.
    pub fn labels(self) -> Result<BTreeMap<String, String>, ControlError> {
        let answer = self.read(&Request::Labels {})?;
        answer.labels.ok_or_else(|| missing("labels"))
    }

    /// Subscribe: returns a reader of event lines (JSON [`super::Event`]s).
    pub fn subscribe(mut self) -> Result<BufReader<UnixStream>, ControlError> {
        self.send(&Request::Subscribe {})?;
        let _ = self.stream.set_read_timeout(None);
        let mut reader = BufReader::new(self.stream);
        let answer = read_answer(&mut reader, &self.path)?;
        if !answer.ok {
            return Err(ControlError::Refused(answer.error.unwrap_or_default()));
        }
        Ok(reader)
    }

    fn read(mut self, req: &Request) -> Result<Answer, ControlError> {
        let _ = self.stream.set_read_timeout(Some(READ_TIMEOUT));
        self.ask(req)
    }

    fn session_request(mut self, req: &Request) -> Result<Session, ControlError> {
        self.ask(req)?.session.ok_or_else(|| missing("session"))
    }

    fn ask(&mut self, req: &Request) -> Result<Answer, ControlError> {
        self.send(req)?;
        let stream = self.stream.try_clone().map_err(|source| ControlError::Io {
            path: self.path.clone(),
            cause: source,
        })?;
        let answer = read_answer(&mut BufReader::new(stream), &self.path)?;
        if answer.ok {
            Ok(answer)
        } else {
            Err(ControlError::Refused(answer.error.unwrap_or_default()))
        }
    }

    fn send(&mut self, req: &Request) -> Result<(), ControlError> {
        let mut line =
            serde_json::to_string(req).map_err(|e| ControlError::Refused(e.to_string()))?;
        line.push('\n');
        self.stream
            .write_all(line.as_bytes())
            .map_err(|source| ControlError::Io {
                path: self.path.clone(),
                cause: source,
            })
    }
}

fn missing(what: &str) -> ControlError {
    ControlError::Refused(format!("no {what} in the answer"))
}

fn read_answer(reader: &mut impl BufRead, path: &str) -> Result<Answer, ControlError> {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|source| ControlError::Io {
            path: path.to_owned(),
            cause: source,
        })?;
    serde_json::from_str(line.trim()).map_err(|e| ControlError::Refused(format!("{e}: {line}")))
}
