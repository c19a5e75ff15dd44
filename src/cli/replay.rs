//! `sporfri replay`: contacts per device from a capture file; with `--label`, also recorded as
//! a session in the database.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};

use sporfri::attribute::{Attributor, SignatureError};
use sporfri::capture::{FileSource, PacketSource};
use sporfri::contact::{Contact, Contacts, Device};
use sporfri::control::{Server, socket_path};
use sporfri::decrypt::KeyLog;
use sporfri::observation::DeviceId;
use sporfri::observation::Observation;
use sporfri::output::{jsonl, table};
use sporfri::pipeline::{BatchSink, Pipeline, Recording};
use sporfri::session::{BaselineFacts, Batch, ContactRecord, MarkSpec, Recorder, Session, Source};
use sporfri::store::{BatchWriter, Store, StoreError, default_path};
use sporfri::text::count;

use super::common::{
    device_count, filter_summary, finish, only_devices, open, run_file, throughput,
};
use super::keys::load_key_log;
use super::{EXIT_DAMAGED_CAPTURE, Format};

/// Analyze `file`; `site` names the site profile of the service under test. With `keylog` (or
/// secrets in the pcapng file) TLS is decrypted too: the contacts are the same, the requests
/// are counted (`--requests` prints them, `--label` records them).
pub fn run(
    files: &[PathBuf],
    filter: Option<&str>,
    (format, style): (Format, table::Style),
    site: Option<&str>,
    signature_dirs: &[PathBuf],
    keylog: Option<&Path>,
    devices: &[DeviceId],
) -> Result<ExitCode> {
    let started = Instant::now();
    // Attribution is needed only once every packet is read: load the signatures beside the
    // analysis (a broken signature file is still an error, reported after it).
    let loading = load_signatures_beside(signature_dirs, site)?;
    let keys = keylog.map(load_key_log).transpose()?;
    let mut contacts = Contacts::default();
    let mut requests = 0u64;
    let mut source = open(files, filter)?;
    let mut pipeline = Pipeline::new(|obs: &Observation| {
        if let Observation::Request { exchange, .. } = obs
            && exchange.encrypted
        {
            requests += 1;
        }
        contacts.observe(obs);
    });
    if let Some(keys) = keys {
        pipeline.decrypt_with(keys);
    }
    let end = run_file(&mut source, &mut pipeline);
    let (engine, _) = pipeline.into_parts();
    filter_summary(&source, filter, end.packets);
    let attributor = loading
        .join()
        .map_err(|_| anyhow::anyhow!("the signature loader failed"))??;
    contacts.attribute(&attributor);
    // The process ends after printing: handing the signature set's few thousand strings back
    // one by one would cost about as many instructions as building them (README § Performance).
    std::mem::forget(attributor);
    let list = only_devices(contacts.list(), devices);
    print_contacts((format, style), &list, contacts.devices())?;
    eprintln!(
        "sporfri: {}, {}, {} from {}",
        count(end.packets, "packet"),
        count(engine.stats().flows, "flow"),
        count(list.len() as u64, "contact"),
        count(device_count(contacts.devices(), devices), "device")
    );
    eprintln!("sporfri: {}", throughput(end.packets, started));
    if engine.key_log().is_some() {
        eprintln!(
            "sporfri: {} decrypted; see --requests",
            count(requests, "request")
        );
    }
    if contacts.dropped() > 0 {
        eprintln!(
            "sporfri: {} not kept (limit reached)",
            count(contacts.dropped(), "contact")
        );
    }
    Ok(finish(&engine, end))
}

/// Read every packet and do nothing else: the floor any analysis is measured against.
pub fn null(files: &[PathBuf]) -> Result<ExitCode> {
    let [file] = files else {
        return Err(super::bad_arguments(&["replay"], "--null reads one file"));
    };
    let started = Instant::now();
    // On the caller's thread: with nothing to overlap, handing chunks between threads only
    // adds wake-ups, and the floor must be the fastest bare loop.
    let opened =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut source = FileSource::from_reader(Box::new(opened), &file.display().to_string(), 0)?;
    let mut packets = 0u64;
    let mut bytes = 0u64;
    let error = loop {
        match source.next_packet() {
            Ok(Some(p)) => {
                packets += 1;
                bytes += p.data.len() as u64;
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    eprintln!(
        "sporfri: null read of {}, {}",
        count(packets, "packet"),
        count(bytes, "captured byte")
    );
    eprintln!("sporfri: {}", throughput(packets, started));
    Ok(match error {
        None => ExitCode::SUCCESS,
        Some(e) => {
            eprintln!("sporfri: {e}");
            ExitCode::from(EXIT_DAMAGED_CAPTURE)
        }
    })
}

/// `replay` options that record the run as a session in the database.
#[derive(clap::Args, Debug, Default)]
pub struct SessionArgs {
    /// Record a session with this label in the database (e.g. "borger.dk iPhone, reject").
    #[arg(long)]
    pub label: Option<String>,
    /// A mark: KIND@WHEN[=TEXT], KIND one of consent-accepted, consent-rejected, page, note,
    /// visit (the tester opened the service: what came before is background); WHEN seconds
    /// after the first packet (12.5s) or an RFC 3339 time. Repeatable.
    /// Example: --mark visit@4s --mark consent-rejected@12.5s --mark "page@30s=opened login".
    /// With --requests (no --label), the marks give each request its phase.
    #[arg(long = "mark", value_name = "KIND@WHEN[=TEXT]")]
    pub marks: Vec<MarkSpec>,
    /// Only this device (MAC or IP): its contacts alone are printed (and recorded, with
    /// --label); repeatable; default all devices.
    #[arg(long = "device", value_name = "MAC", value_parser = super::common::device_arg)]
    pub devices: Vec<DeviceId>,
    /// Database directory (default $XDG_DATA_HOME/sporfri/db).
    #[arg(long, requires = "label", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Idle baselines (with --label).
    #[command(flatten)]
    pub baseline: super::baseline::BaselineArgs,
}

/// Analyze `file` and record it as a session; prints the contacts as [`run`] does. Decrypted
/// requests (`keylog`, or secrets in the pcapng file) are recorded with the session.
pub fn record(
    files: &[PathBuf],
    (format, style): (Format, table::Style),
    site: Option<&str>,
    signature_dirs: &[PathBuf],
    args: &SessionArgs,
    keylog: Option<&Path>,
) -> Result<ExitCode> {
    let [file] = files else {
        return Err(super::bad_arguments(
            &["replay"],
            "--label records one capture file as a session; merge the files first \
             (mergecap -w all.pcapng FILE...) or record each",
        ));
    };
    let started = Instant::now();
    let mut source = FileSource::open(file)?;
    let keys: Option<KeyLog> = keylog.map(load_key_log).transpose()?;
    let (store, rec) = match start_session(file, site, signature_dirs, args) {
        Ok(started) => started,
        // No database to record into (read-only or full disk, permissions): the analysis
        // still runs to the end and prints its contacts, then the run fails.
        Err(e) if e.downcast_ref::<StoreError>().is_some() => {
            drop(source);
            run(
                files,
                None,
                (format, style),
                site,
                signature_dirs,
                keylog,
                &args.devices,
            )?;
            return Err(e.context("the session could not be stored"));
        }
        Err(e) => return Err(e),
    };
    // While this process owns the database, others read it (and ask for the session) here.
    let control = serve_reads(&store, rec.session().id);
    let mut pipeline = Pipeline::new(Recording::new(rec, StoreSink::new(store)));
    if let Some(keys) = keys {
        pipeline.decrypt_with(keys);
    }
    let end = run_file(&mut source, &mut pipeline);
    pipeline.consumer_mut().finish();
    drop(control);
    let (
        engine,
        Recording {
            recorder: mut rec,
            out: StoreSink { store, writer },
        },
    ) = pipeline.into_parts();
    print_recorded((format, style), &mut rec)?;
    report_session(&rec, &store, engine.key_log().is_some(), started);
    let code = finish(&engine, end);
    let s = rec.session();
    super::baseline::after_recording(s)?;
    if let Some(e) = writer.first_error {
        anyhow::bail!(
            "{} of session {} could not be stored ({} refused): {e}",
            count(s.stats.unstored, "contact"),
            s.id,
            count(s.stats.failed_batches, "batch")
        );
    }
    Ok(code)
}

/// Serve the control socket beside the database while recording session `id`, so that
/// `sessions`, `report` and `diff` read through it; a socket that cannot be made is said, and
/// the replay goes on.
fn serve_reads(store: &Store, id: sporfri::session::SessionId) -> Option<Server> {
    let sock = socket_path(store.path());
    let hint = format!(
        "session {id} is a replay of a capture file: its marks are given with \
         `replay --mark KIND@WHEN`, and it ends with its capture"
    );
    match Server::replay(&sock, store.reader(), id, &hint) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!(
                "sporfri: the control socket {} could not be served ({e}); other commands \
                 cannot read the database until this replay ends",
                sock.display()
            );
            None
        }
    }
}

/// Tell the tester what was recorded.
fn report_session(rec: &Recorder, store: &Store, decrypting: bool, started: Instant) {
    let s = rec.session();
    eprintln!(
        "sporfri: session {} \"{}\": {}, {}, database {}",
        s.id,
        s.label,
        count(s.stats.contacts, "contact"),
        count(s.marks.len() as u64, "mark"),
        store.path().display()
    );
    if decrypting || s.stats.requests > 0 {
        eprintln!(
            "sporfri: {} recorded (plain HTTP and decrypted){}",
            count(s.stats.requests, "request"),
            if s.stats.requests_dropped > 0 {
                format!(" ({} not kept: limit reached)", s.stats.requests_dropped)
            } else {
                String::new()
            }
        );
    }
    eprintln!("sporfri: {}", throughput(s.stats.packets, started));
}

/// Load the signatures on a thread of their own while the caller analyses.
fn load_signatures_beside(
    signature_dirs: &[PathBuf],
    site: Option<&str>,
) -> Result<std::thread::JoinHandle<Result<Attributor, SignatureError>>> {
    let dirs = signature_dirs.to_vec();
    let site = site.map(str::to_owned);
    std::thread::Builder::new()
        .name("sporfri-signatures".into())
        .spawn(move || {
            let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
            Attributor::builtin_with(&dirs, site.as_deref())
        })
        .context("starting the signature loader")
}

/// The contacts on standard output, as a table or JSON lines.
fn print_contacts(
    (format, style): (Format, table::Style),
    list: &[&Contact],
    devices: &BTreeMap<DeviceId, Device>,
) -> Result<()> {
    let mut out = BufWriter::new(super::out::stdout());
    match format {
        Format::Table => table::write(&mut out, list, devices, style)?,
        Format::Jsonl => jsonl::write(&mut out, list)?,
    }
    out.flush()?;
    Ok(())
}

/// The contacts of a recorded session as the session stores them: with the party its
/// baseline settled and what the baseline and the visit mark said of each.
fn print_recorded((format, style): (Format, table::Style), rec: &mut Recorder) -> Result<()> {
    let records = rec.records();
    let by_key: HashMap<(&str, &str), &ContactRecord> = records
        .iter()
        .map(|r| ((r.device.as_str(), r.name.as_str()), r))
        .collect();
    let mut owned = rec.contacts().attributed(rec.attributor());
    let devices: Vec<String> = owned.iter().map(|c| c.device.to_string()).collect();
    for (c, device) in owned.iter_mut().zip(&devices) {
        if let Some(r) = by_key.get(&(device.as_str(), c.name.as_str())) {
            c.attribution = r.attribution.clone();
        }
    }
    let list: Vec<(&Contact, Option<&BaselineFacts>)> = owned
        .iter()
        .zip(&devices)
        .map(|(c, d)| {
            let facts = by_key.get(&(d.as_str(), c.name.as_str()));
            (c, facts.map(|r| &r.baseline))
        })
        .collect();
    let mut out = BufWriter::new(super::out::stdout());
    match format {
        Format::Table => table::write_with(&mut out, &list, rec.contacts().devices(), style)?,
        Format::Jsonl => jsonl::write_with(&mut out, &list)?,
    }
    out.flush()?;
    Ok(())
}

/// Open the database, note sessions a killed process left, and create this one.
fn start_session(
    file: &Path,
    site: Option<&str>,
    signature_dirs: &[PathBuf],
    args: &SessionArgs,
) -> Result<(Store, Recorder)> {
    let devices = args.devices.clone();
    let dirs: Vec<&Path> = signature_dirs.iter().map(PathBuf::as_path).collect();
    let attributor = Attributor::builtin_with(&dirs, site)?;
    let sha256 = sporfri::capture::file_sha256(file)
        .with_context(|| format!("hashing {}", file.display()))?;
    let mut store = Store::open(&args.db.clone().unwrap_or_else(default_path))?;
    for id in store.recover_interrupted()? {
        eprintln!("sporfri: session {id} was interrupted; it is complete up to its last flush");
    }
    let source = Source::File {
        path: file.display().to_string(),
        sha256,
    };
    let mut session = Session::new(args.label.as_deref().unwrap_or_default(), site, source);
    session.device_filter = devices.iter().map(ToString::to_string).collect();
    session.baseline = args.baseline.baseline;
    let plan = args.baseline.plan(&store, &session.device_filter)?;
    let session = store.create_session(session)?;
    let mut rec = Recorder::new(session, attributor, devices, args.marks.clone());
    if let Some(plan) = plan {
        rec = rec.with_baseline(plan);
    }
    Ok((store, rec))
}

/// Hands batches to the store; tells the tester once when the store refuses one.
struct StoreSink {
    store: Store,
    writer: BatchWriter,
}

impl StoreSink {
    fn new(store: Store) -> StoreSink {
        StoreSink {
            store,
            writer: BatchWriter::default(),
        }
    }
}

impl BatchSink for StoreSink {
    fn write(&mut self, recorder: &mut Recorder, batch: Batch) {
        if let Some(e) = self.writer.write(&mut self.store, recorder, batch) {
            eprintln!("sporfri: {e}; analysis goes on, unstored contacts are counted");
        }
    }
}
