//! A capture replayed at a chosen pace through the library's [`Pipeline`] (with the capture's
//! own secrets, as `sporfri replay` does), recorded as a session when a label is given (the
//! same [`Recorder`] and [`Store`] as `sporfri replay --label`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::{Control, Feed, FeedError, Speed};
use crate::attribute::Attributor;
use crate::capture::{CaptureError, FileSource};
use crate::control::Server;
use crate::pipeline::{Pipeline, Recording};
use crate::session::{
    Batch, ContactRecord, DEFAULT_MAX_AGE_DAYS, Mark, MarkSpec, Recorder, Session, Source,
};
use crate::store::{BaselineRequest, Store};
use crate::time::Timestamp;
use crate::tui::model::{Model, SourceInfo};
use crate::tui::update::{Msg, update};
use pace::{Paced, Pacer};

/// How often (wall time) progress and, when paced, interim contacts are sent.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// How often (wall time) a paced replay sends all contacts between recorder batches.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);

mod pace;

/// What `sporfri tui --replay` was asked for.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The capture.
    pub file: PathBuf,
    /// Pace.
    pub speed: Speed,
    /// Site profile of the service under test.
    pub site: Option<String>,
    /// Extra signature directories, after the built-in set.
    pub signature_dirs: Vec<PathBuf>,
    /// Record a session with this label.
    pub label: Option<String>,
    /// Database directory for recording.
    pub db: PathBuf,
}

/// A capture being replayed into the dashboard.
pub struct ReplayFeed {
    source: FileSource,
    pipeline: Replay,
    driver: Driver,
}

/// The pipeline of a replay: the recorder's batches wait in a list until the driver writes and
/// shows them, between packets.
type Replay = Pipeline<Recording<Vec<Batch>>>;

/// Everything but the packet source and the pipeline: the database, what is being recorded,
/// where the replay is.
#[derive(Debug)]
struct Driver {
    opts: ReplayOptions,
    /// The database, held only while a session is being recorded (and briefly to store a
    /// mark or a label): a dashboard left open after its replay ended blocks no other command.
    store: Option<Store>,
    /// The control socket served while the database is held, so that other commands read it.
    control: Option<Server>,
    recording: bool,
    finished: bool,
    eof: bool,
    /// No packet is analysed until the tester resumes (space).
    paused: bool,
    last_ts: Option<Timestamp>,
    /// The idle baseline of the next session recorded, and the age past which one is old.
    baseline: (BaselineRequest, u32),
    /// How the capture ended, for the command's exit code.
    end: Arc<OnceLock<CaptureEnd>>,
}

/// How a replayed capture ended: `sporfri tui --replay` exits as `sporfri replay` does (3 for
/// a damaged capture with results before the damage, 1 when no packet could be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureEnd {
    /// Packets analysed.
    pub packets: u64,
    /// The damage that ended it early (names the file and the byte offset).
    pub error: Option<String>,
}

impl ReplayFeed {
    /// Open the capture, load signatures and, with a label, create the session in the database
    /// (fails before any terminal is touched).
    pub fn open(opts: ReplayOptions) -> Result<ReplayFeed, FeedError> {
        ReplayFeed::open_with_baseline(opts, BaselineRequest::Latest, DEFAULT_MAX_AGE_DAYS)
    }

    /// [`ReplayFeed::open`] with the first recorded session's idle baseline as asked for
    /// (`--baseline`, `--against`, `--no-baseline`); later sessions (`n`) are compared with the
    /// latest baseline of their device, so a baseline recorded first is theirs.
    pub fn open_with_baseline(
        opts: ReplayOptions,
        baseline: BaselineRequest,
        max_age_days: u32,
    ) -> Result<ReplayFeed, FeedError> {
        let attributor = attributor(&opts)?;
        let mut feed = ReplayFeed::with_attributor(opts, attributor, "", Vec::new())?;
        feed.driver.baseline = (baseline, max_age_days);
        if let Some(label) = feed.driver.opts.label.clone() {
            feed.driver.new_session(&mut feed.pipeline, &label)?;
        }
        Ok(feed)
    }

    /// A replay that records nothing, with this attributor, session label and marks.
    pub fn with_attributor(
        opts: ReplayOptions,
        attributor: Attributor,
        label: &str,
        marks: Vec<MarkSpec>,
    ) -> Result<ReplayFeed, FeedError> {
        let source = FileSource::open(&opts.file)?;
        let session = Session::new(
            label,
            opts.site.as_deref(),
            file_source(&opts.file, String::new()),
        );
        let recorder = Recorder::new(session, attributor, Vec::new(), marks);
        Ok(ReplayFeed {
            source,
            pipeline: Pipeline::new(Recording::new(recorder, Vec::new())),
            driver: Driver {
                opts,
                store: None,
                control: None,
                recording: false,
                finished: false,
                eof: false,
                paused: false,
                last_ts: None,
                baseline: (BaselineRequest::Latest, DEFAULT_MAX_AGE_DAYS),
                end: Arc::default(),
            },
        })
    }

    /// How the capture ended, once it has (read after the dashboard closes).
    pub fn end(&self) -> Arc<OnceLock<CaptureEnd>> {
        Arc::clone(&self.driver.end)
    }

    /// Replay to the end sending every message to `out`, taking controls from `controls`
    /// (paced only when there are controls: without them nobody watches); then serve controls
    /// until [`Control::Stop`].
    pub fn drive(self, out: &mut dyn FnMut(Msg) -> bool, controls: Option<&Receiver<Control>>) {
        let ReplayFeed {
            mut source,
            mut pipeline,
            mut driver,
        } = self;
        let (d, p) = (&mut driver, &mut pipeline);
        if !(out(Msg::Source(d.info())) && out(Msg::Session(Box::new(session(p).clone())))) {
            return d.end_session(p, &mut |_| true);
        }
        let end = {
            let pacer = Pacer::new(d.opts.speed);
            let mut watch = Paced {
                d: &mut *d,
                pacer,
                controls,
                out: &mut *out,
                first: false,
            };
            p.run(&mut source, &mut watch)
        };
        if end.stopped {
            return d.end_session(p, &mut |_| true);
        }
        d.end_of_capture(p, end.error, out);
        let Some(controls) = controls else {
            return;
        };
        while let Ok(c) = controls.recv() {
            if !d.control(p, c, out) {
                return;
            }
        }
        d.end_session(p, &mut |_| true);
    }
}

impl Feed for ReplayFeed {
    fn run(self: Box<Self>, out: SyncSender<Msg>, control: Receiver<Control>) {
        self.drive(&mut |m| out.send(m).is_ok(), Some(&control));
    }
}

/// Replay `file` at full speed into `model` without a terminal or database (for tests and
/// demos): `attributor` attributes, `label` and `site` fill the header, `marks` are set as
/// `replay --mark` sets them.
pub fn replay_into(
    model: &mut Model,
    file: &Path,
    attributor: Attributor,
    label: &str,
    site: Option<&str>,
    marks: Vec<MarkSpec>,
) -> Result<(), FeedError> {
    let opts = ReplayOptions {
        file: file.to_owned(),
        speed: Speed::Max,
        site: site.map(str::to_owned),
        signature_dirs: Vec::new(),
        label: None,
        db: PathBuf::new(),
    };
    let feed = ReplayFeed::with_attributor(opts, attributor, label, marks)?;
    feed.drive(
        &mut |m| {
            update(model, m);
            true
        },
        None,
    );
    Ok(())
}

impl Driver {
    fn info(&self) -> SourceInfo {
        let what = if self.recording {
            format!("recording to {}", self.opts.db.display())
        } else {
            "not recorded".to_owned()
        };
        // First, so it shows however narrow the header.
        let paused = if self.paused && !self.eof {
            "PAUSED · "
        } else {
            ""
        };
        SourceInfo {
            describe: format!(
                "{paused}replay {} at {} · {what}",
                self.opts.file.display(),
                self.opts.speed
            ),
            writable: true,
            recording: self.recording,
            ended: self.eof,
        }
    }

    /// Store and show the batches the recorder cut while analysing a packet; `false` to stop.
    fn emit_pending(&mut self, p: &mut Replay, out: &mut dyn FnMut(Msg) -> bool) -> bool {
        let mut ok = true;
        for b in std::mem::take(&mut p.consumer_mut().out) {
            ok &= self.emit(p, b, out);
        }
        ok
    }

    /// The capture ended (or broke) and its flows with it: the session's last batch is written.
    fn end_of_capture(
        &mut self,
        p: &mut Replay,
        error: Option<CaptureError>,
        out: &mut dyn FnMut(Msg) -> bool,
    ) {
        self.emit_pending(p, out);
        if !self.finished {
            let b = recorder(p).finish();
            self.finished = true;
            self.emit(p, b, out);
        }
        self.eof = true;
        self.release();
        let packets = session(p).stats.packets;
        // The essential first: what happened and where, then what was analysed (the file is
        // in the header).
        let status = match &error {
            None => format!("end of capture: {packets} packets"),
            Some(CaptureError::Truncated { offset, .. }) => format!(
                "capture truncated at byte offset {offset}; {packets} packets before it analysed"
            ),
            Some(CaptureError::Corrupt { offset, reason, .. }) => format!(
                "capture corrupt at byte offset {offset} ({reason}); {packets} packets before it analysed"
            ),
            Some(e) => format!("capture stopped after {packets} packets: {e}"),
        };
        let _ = self.end.set(CaptureEnd {
            packets,
            error: error.map(|e| e.to_string()),
        });
        let _ = out(Msg::Source(self.info())) && out(self.progress(p)) && out(Msg::Status(status));
    }

    /// End the current session (if recording) and record a new one from the next packet.
    fn new_session(&mut self, p: &mut Replay, label: &str) -> Result<Session, FeedError> {
        let attributor = attributor(&self.opts)?;
        let sha256 =
            crate::capture::file_sha256(&self.opts.file).map_err(|source| FeedError::Io {
                path: self.opts.file.display().to_string(),
                cause: source,
            })?;
        self.open_store()?;
        self.end_session(p, &mut |_| true);
        let mut session = Session::new(
            label,
            self.opts.site.as_deref(),
            file_source(&self.opts.file, sha256),
        );
        let Some(store) = self.store.as_mut() else {
            return Ok(session);
        };
        let (request, max_age) = std::mem::replace(
            &mut self.baseline,
            (BaselineRequest::Latest, DEFAULT_MAX_AGE_DAYS),
        );
        self.baseline.1 = max_age;
        session.baseline = request == BaselineRequest::IsBaseline;
        let plan = store.baseline_plan(&request, &[], max_age)?;
        let session = store.create_session(session)?;
        let mut rec = Recorder::new(session.clone(), attributor, Vec::new(), Vec::new());
        if let Some(plan) = plan {
            rec = rec.with_baseline(plan);
        }
        *recorder(p) = rec;
        self.recording = true;
        self.finished = false;
        self.serve(session.id);
        Ok(session)
    }

    /// Open the database (noting sessions a killed process left) unless it is open.
    fn open_store(&mut self) -> Result<&mut Store, crate::store::StoreError> {
        if self.store.is_none() {
            let mut store = Store::open(&self.opts.db)?;
            store.recover_interrupted()?;
            self.store = Some(store);
        }
        match self.store.as_mut() {
            Some(store) => Ok(store),
            None => Err(crate::store::StoreError::NoRecording),
        }
    }

    /// Serve the control socket beside the database while recording session `id`.
    fn serve(&mut self, id: crate::session::SessionId) {
        if let Some(server) = &self.control {
            return server.set_session(id);
        }
        let Some(store) = &self.store else {
            return;
        };
        let hint = format!(
            "session {id} is recorded by a dashboard replaying a capture: its marks are set in \
             the dashboard (keys a, r, p, n)"
        );
        let sock = crate::control::socket_path(&self.opts.db);
        // Without the socket other commands cannot read the database meanwhile; the replay
        // itself goes on.
        self.control = Server::replay(&sock, store.reader(), id, &hint).ok();
    }

    /// Let go of the database unless a session is being recorded into it.
    fn release(&mut self) {
        if !self.recording || self.finished {
            self.control = None;
            self.store = None;
        }
    }

    /// Finish and store the session being recorded.
    fn end_session(&mut self, p: &mut Replay, out: &mut dyn FnMut(Msg) -> bool) {
        if self.recording && !self.finished {
            self.emit_pending(p, out);
            let b = recorder(p).finish();
            self.finished = true;
            self.emit(p, b, out);
        }
        self.recording = false;
    }

    /// Store a batch when recording, and show it; `false` to stop.
    fn emit(&mut self, p: &mut Replay, batch: Batch, out: &mut dyn FnMut(Msg) -> bool) -> bool {
        let session = Box::new(batch.session.clone());
        let contacts = batch.contacts.clone();
        let mut status = None;
        let store = if self.recording {
            Some(self.open_store())
        } else {
            None
        };
        let rec = recorder(p);
        match store {
            Some(Ok(store)) => match store.write(&batch) {
                Ok(()) => rec.committed(batch),
                Err(e) => {
                    rec.failed(&batch);
                    status = Some(format!(
                        "{e}; analysis goes on, unstored contacts are counted"
                    ));
                }
            },
            Some(Err(e)) => {
                rec.failed(&batch);
                status = Some(format!("{e}; unstored contacts are counted"));
            }
            None => rec.committed(batch),
        }
        if self.eof {
            self.release();
        }
        let ok = out(Msg::Session(session)) && out(Msg::Contacts(contacts));
        match status {
            Some(s) => ok && out(Msg::Status(s)),
            None => ok,
        }
    }

    fn progress(&self, p: &Replay) -> Msg {
        Msg::Progress {
            now: self.last_ts.unwrap_or_default(),
            packets: session(p).stats.packets,
            drops: 0,
        }
    }

    /// Handle one control; `false` when the feed must stop.
    fn control(&mut self, p: &mut Replay, c: Control, out: &mut dyn FnMut(Msg) -> bool) -> bool {
        match c {
            Control::Stop => {
                self.end_session(p, out);
                false
            }
            Control::Mark(kind, text) => self.mark(p, kind, text, out),
            Control::NewSession(label) => match self.new_session(p, &label) {
                Ok(s) => {
                    out(Msg::Session(Box::new(s.clone())))
                        && out(Msg::Source(self.info()))
                        && out(Msg::Status(format!(
                            "recording session {} \"{}\"",
                            s.id, s.label
                        )))
                }
                Err(e) => out(Msg::Status(e.to_string())),
            },
            Control::EndSession => {
                self.end_session(p, out);
                let id = session(p).id;
                out(Msg::Source(self.info())) && out(Msg::Status(format!("session {id} ended")))
            }
            Control::LabelDevice { device, label } => out(self.label(&device, &label)),
            Control::Pace(_) => out(Msg::Status(
                "the capture has ended: nothing to pause or speed up".to_owned(),
            )),
        }
    }

    fn mark(
        &mut self,
        p: &mut Replay,
        kind: crate::session::MarkKind,
        text: Option<String>,
        out: &mut dyn FnMut(Msg) -> bool,
    ) -> bool {
        let Some(ts) = self.last_ts else {
            return out(Msg::Status("no packet yet: nothing to mark".to_owned()));
        };
        let b = recorder(p).mark(Mark { ts, kind, text });
        let ok = self.emit(p, b, out);
        let at = crate::tui::view::offset(ts, session(p).started);
        let how = if self.recording {
            format!("stored in session {}", session(p).id)
        } else {
            "not stored: no session is being recorded".to_owned()
        };
        ok && out(Msg::Status(format!("{kind} at {at} ({how})")))
    }

    /// Labels need the database: opened on demand in a replay that does not record.
    fn label(&mut self, device: &str, label: &str) -> Msg {
        if self.store.is_none() {
            match Store::open(&self.opts.db) {
                Ok(s) => self.store = Some(s),
                Err(e) => return Msg::Status(e.to_string()),
            }
        }
        let Some(store) = self.store.as_mut() else {
            return Msg::Status("no database".to_owned());
        };
        let msg = match store.set_label(device, label).and_then(|()| store.labels()) {
            Ok(l) => Msg::Labels(l),
            Err(e) => Msg::Status(e.to_string()),
        };
        if self.eof || !self.recording {
            self.release();
        }
        msg
    }
}

fn recorder(p: &mut Replay) -> &mut Recorder {
    &mut p.consumer_mut().recorder
}

fn session(p: &Replay) -> &Session {
    p.consumer().recorder.session()
}

/// Every contact now, attributed, without evidence (the model keeps what it has).
fn snapshot(p: &Replay) -> Vec<ContactRecord> {
    let rec = &p.consumer().recorder;
    let s = rec.session();
    rec.contacts()
        .attributed(rec.attributor())
        .iter()
        .map(|c| ContactRecord::new(s.id, s.phase_at(c.first_seen), c, Vec::new()))
        .collect()
}

fn attributor(opts: &ReplayOptions) -> Result<Attributor, FeedError> {
    let dirs: Vec<&Path> = opts.signature_dirs.iter().map(PathBuf::as_path).collect();
    Ok(Attributor::builtin_with(&dirs, opts.site.as_deref())?)
}

fn file_source(file: &Path, sha256: String) -> Source {
    Source::File {
        path: file.display().to_string(),
        sha256,
    }
}
