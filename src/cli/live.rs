//! `sporfri live`: watch an interface, print contacts as they appear, end cleanly on a signal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::Format;

/// Arguments of `sporfri live`.
#[derive(Args)]
pub struct LiveArgs {
    /// Interface to capture on (the access point's, e.g. wlan0).
    #[arg(short, long)]
    interface: String,
    /// BPF filter, e.g. "not port 22".
    #[arg(long)]
    filter: Option<String>,
    /// Site profile of the service under test (e.g. borger.dk): its names are first party.
    #[arg(long)]
    site: Option<String>,
    /// Label for this test session.
    #[arg(long)]
    label: Option<String>,
    /// Output: table prints a line per new contact; jsonl one object per new or updated contact
    /// plus start/link/stats/end events (field "event").
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write the raw capture to this pcapng file (the only way payload reaches disk).
    #[arg(long, value_name = "FILE.pcapng")]
    write: Option<PathBuf>,
    /// Start a new --write file at this size (bytes, or with k/M/G).
    #[arg(long, default_value = "100M", value_parser = parse_size)]
    rotate_size: u64,
    /// Seconds between drop-counter reports.
    #[arg(long, default_value_t = 30)]
    stats_every: u64,
    /// Kernel capture buffer in MiB.
    #[arg(long, default_value_t = 16)]
    buffer_mb: u16,
    /// Promiscuous mode (not needed when capturing on the access point itself).
    #[arg(long)]
    promisc: bool,
    /// libpcap immediate mode: each packet handed over at once (TPACKET_V2) instead of in
    /// blocks of up to 5 ms (TPACKET_V3, the default: fewer wake-ups under load).
    #[arg(long)]
    immediate: bool,
    /// Record only this device (MAC or IP); repeatable; default all devices.
    #[arg(long = "device", value_name = "MAC")]
    devices: Vec<String>,
    /// Database directory (default $XDG_DATA_HOME/sporfri/db; /var/lib/sporfri/db under systemd).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// TLS key log the test browser writes (SSLKEYLOGFILE), followed as it grows: decrypted
    /// requests are recorded with the session (lab decryption). Packets are analysed about
    /// 1.5 s late so that their secrets are read first.
    #[arg(long, value_name = "KEYS")]
    keylog: Option<PathBuf>,
    /// Idle baselines: record one (--baseline), or the one this session is compared with.
    #[command(flatten)]
    baseline: super::baseline::BaselineArgs,
}

/// `100`, `64k`, `100M`, `2G` (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&s[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is not a size like 4096, 64k, 100M or 2G"))
}

#[cfg(not(feature = "live"))]
/// Without the `live` feature there is no libpcap: say how to get it.
pub fn run(args: LiveArgs) -> Result<ExitCode> {
    let _ = (
        args.interface,
        args.rotate_size,
        args.keylog,
        args.immediate,
        args.baseline,
    );
    anyhow::bail!(
        "this sporfri was built without live capture; rebuild it with \
         `cargo build --release --features live` (needs the libpcap-dev package)"
    )
}

#[cfg(feature = "live")]
/// Capture until SIGINT/SIGTERM.
pub fn run(args: LiveArgs) -> Result<ExitCode> {
    use std::time::Duration;

    use sporfri::live::{LiveOptions, WriteOptions};

    let mut options = LiveOptions::new(&args.interface);
    options.capture.filter = args.filter;
    options.capture.promisc = args.promisc;
    options.capture.immediate = args.immediate;
    options.capture.buffer_bytes = i32::from(args.buffer_mb) << 20;
    options.site = args.site;
    options.label = args.label;
    options.keylog = args.keylog;
    options.stats_every = Duration::from_secs(args.stats_every.max(1));
    options.write = args.write.map(|path| WriteOptions {
        path,
        rotate_bytes: args.rotate_size,
    });
    let mut printer = print::Printer::new(args.format);
    let stop = sporfri::live::Stop::new();
    let mut session = record::start(
        &args.interface,
        &options,
        &args.devices,
        args.db,
        &stop,
        &args.baseline,
    )?;
    let end = {
        let mut hooks = sporfri::live::Hooks(vec![&mut printer, &mut session]);
        sporfri::live::run_until(&options, &mut hooks, &stop)
    };
    let end = match end {
        Ok(end) => end,
        Err(e) => {
            // When the capture never started (no such interface, no permission) the session
            // holds nothing, and is not left behind as an interrupted recording.
            if let Err(d) = session.discard() {
                eprintln!("sporfri: the empty session could not be removed: {d}");
            }
            return Err(e.into());
        }
    };
    for w in &session.warnings {
        eprintln!("sporfri: {w}");
    }
    let s = session.recorder().session();
    eprintln!(
        "sporfri: session {} \"{}\" ended: {}, {}, {}, {} dropped",
        s.id,
        s.label,
        sporfri::text::count(s.stats.contacts, "contact"),
        sporfri::text::count(s.marks.len() as u64, "mark"),
        sporfri::text::count(s.stats.packets, "packet"),
        s.stats.kernel_dropped + s.stats.interface_dropped + s.stats.channel_dropped
    );
    if let Some(e) = session.store_error() {
        anyhow::bail!("some contacts of session {} could not be stored: {e}", s.id);
    }
    super::baseline::after_recording(s)?;
    Ok(
        if end.reason.starts_with("SIG") || end.reason == "stopped" {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

#[cfg(feature = "live")]
mod record {
    use std::path::PathBuf;

    use anyhow::{Context, Result};
    use sporfri::attribute::Attributor;
    use sporfri::control::{Server, socket_path};
    use sporfri::live::session::SessionHook;
    use sporfri::live::{LiveOptions, Stop};
    use sporfri::session::{Recorder, Session, Source, parse_device};
    use sporfri::store::{Store, default_path};

    /// Open the database, create the session, serve the control socket beside the database.
    pub fn start(
        interface: &str,
        options: &LiveOptions,
        devices: &[String],
        db: Option<PathBuf>,
        stop: &Stop,
        baseline: &crate::cli::baseline::BaselineArgs,
    ) -> Result<SessionHook> {
        let devices = devices
            .iter()
            .map(|d| parse_device(d).with_context(|| format!("--device {d:?} is not a MAC or IP")))
            .collect::<Result<Vec<_>>>()?;
        let db = db.unwrap_or_else(default_path);
        let mut store = Store::open(&db)?;
        for id in store.recover_interrupted()? {
            eprintln!("sporfri: session {id} was interrupted; it is complete up to its last flush");
        }
        let label = options
            .label
            .clone()
            .unwrap_or_else(|| format!("live on {interface}"));
        let source = Source::Interface {
            name: interface.to_owned(),
        };
        let mut session = Session::new(&label, options.site.as_deref(), source);
        session.device_filter = devices.iter().map(ToString::to_string).collect();
        session.baseline = baseline.baseline;
        let plan = baseline.plan(&store, &session.device_filter)?;
        let session = store.create_session(session)?;
        let attributor = Attributor::builtin(options.site.as_deref())?;
        let mut rec = Recorder::new(session, attributor, devices, Vec::new());
        if let Some(plan) = plan {
            rec = rec.with_baseline(plan);
        }
        let sock = socket_path(&db);
        // Reads of the database (sessions, report, diff) are answered from this handle.
        let control = Server::start(&sock, Some(store.reader()))
            .with_context(|| format!("serving the control socket {}", sock.display()))?;
        eprintln!(
            "sporfri: recording session {} \"{label}\" in {}; marks: sporfri mark visit|consent-accepted|consent-rejected|page --db {}",
            rec.session().id,
            db.display(),
            db.display()
        );
        let stop = stop.clone();
        Ok(SessionHook::new(
            rec,
            store,
            Some(control),
            Box::new(move || stop.stop()),
        ))
    }
}

#[cfg(feature = "live")]
mod print {
    use std::io::{self, Write};

    use serde::Serialize;
    use sporfri::contact::Contact;
    use sporfri::live::{Change, ContactEvent, LinkEvent, LiveEnd, LiveHook, LiveInfo, LiveStats};
    use sporfri::output::table::bytes;

    use super::Format;

    /// Prints live events: people get lines on stderr and a table row per new contact; jsonl
    /// gets every event on stdout.
    pub struct Printer {
        format: Format,
        out: io::Stdout,
        down: bool,
    }

    #[derive(Serialize)]
    struct Line<'a, T: Serialize> {
        event: &'a str,
        #[serde(flatten)]
        body: T,
    }

    impl Printer {
        pub fn new(format: Format) -> Printer {
            Printer {
                format,
                out: io::stdout(),
                down: false,
            }
        }

        fn json<T: Serialize>(&mut self, event: &str, body: T) {
            if let Ok(line) = serde_json::to_string(&Line { event, body }) {
                let mut out = self.out.lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }

        fn row(&mut self, c: &Contact) {
            let via: Vec<&str> = c.via.iter().map(|v| v.as_str()).collect();
            let who = match (
                &c.attribution.org,
                serde_json::to_value(c.attribution.party),
            ) {
                (Some(org), _) => org.clone(),
                (None, Ok(serde_json::Value::String(p))) => p,
                _ => String::new(),
            };
            let first = c.first_seen.rfc3339();
            let mut out = self.out.lock();
            let _ = writeln!(
                out,
                "{:<8} {:<17} {:<40} {:<16} {:>8} {}",
                first.get(11..19).unwrap_or(&first),
                c.device.to_string(),
                c.name,
                via.join(","),
                bytes(c.bytes_up + c.bytes_down),
                who
            );
            let _ = out.flush();
        }
    }

    fn stats_line(s: &LiveStats) -> String {
        format!(
            "{} packets captured; dropped: kernel {}, interface {}, channel {}; outages {}",
            s.captured, s.kernel_dropped, s.if_dropped, s.channel_dropped, s.outages
        )
    }

    impl LiveHook for Printer {
        fn started(&mut self, info: &LiveInfo) {
            eprintln!(
                "sporfri: live on {}{}{}; Ctrl-C or SIGTERM ends the session",
                info.interface,
                info.filter
                    .as_deref()
                    .map(|f| format!(" (filter {f:?})"))
                    .unwrap_or_default(),
                info.label
                    .as_deref()
                    .map(|l| format!(", label {l:?}"))
                    .unwrap_or_default(),
            );
            if let Format::Jsonl = self.format {
                self.json("start", info);
            }
        }

        fn contacts(&mut self, events: &[ContactEvent]) {
            for e in events {
                match self.format {
                    Format::Jsonl => self.json("contact", e),
                    Format::Table if e.change == Change::New => self.row(&e.contact),
                    Format::Table => {}
                }
            }
        }

        fn link(&mut self, event: &LinkEvent) {
            match event {
                LinkEvent::Down { reason, .. } => {
                    self.down = true;
                    eprintln!(
                        "sporfri: capture interface lost: {reason}; the session goes on and \
                         captures again when it returns"
                    )
                }
                LinkEvent::Up { reopen, .. } if std::mem::take(&mut self.down) => {
                    eprintln!("sporfri: capture interface back ({reopen} reopens so far)")
                }
                LinkEvent::Up { .. } => {}
            }
            if let Format::Jsonl = self.format {
                self.json("link", event);
            }
        }

        fn stats(&mut self, stats: &LiveStats) {
            eprintln!("sporfri: {}", stats_line(stats));
            if let Format::Jsonl = self.format {
                self.json("stats", stats);
            }
        }

        fn warning(&mut self, message: &str) {
            eprintln!("sporfri: warning: {message}");
        }

        fn ended(&mut self, end: &LiveEnd) {
            eprintln!(
                "sporfri: session ended ({}): {} analysed, {}, {}",
                end.reason,
                sporfri::text::count(end.packets, "packet"),
                sporfri::text::count(end.flows, "flow"),
                sporfri::text::count(end.contacts as u64, "contact")
            );
            if end.stats.dropped() > 0 {
                eprintln!(
                    "sporfri: WARNING: {} lost; contacts may be missing",
                    sporfri::text::count_as(end.stats.dropped(), "packet was", "packets were")
                );
            }
            for f in &end.files {
                eprintln!("sporfri: raw capture written to {}", f.display());
            }
            if let Format::Jsonl = self.format {
                self.json("end", end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_with_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64k"), Ok(65536));
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
