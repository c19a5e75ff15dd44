//! `sporfri sessions`: list, show, export, import, delete and purge recorded sessions.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};

use sporfri::attribute::SignatureSet;
use sporfri::control::Database;
use sporfri::session::{
    CSV_HEADER, ContactRecord, Phase, REQUEST_CSV_HEADER, RequestEntry, Session, SessionId,
    csv_row, request_csv_row,
};
use sporfri::store::{Store, default_path};

/// What to do with sessions.
#[derive(Subcommand)]
pub enum Action {
    /// One line per session, oldest first.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// A session: source, marks, devices and its contacts by phase.
    Show {
        /// Session number.
        id: SessionId,
    },
    /// A session's contacts, one row each, with phase and attribution; or with --bundle the
    /// whole session in one file for `sessions import` on another database.
    Export {
        /// Session number.
        id: SessionId,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// Export the HTTP requests (plain, and decrypted by lab decryption) instead of the
        /// contacts.
        #[arg(long)]
        requests: bool,
        /// Write the session with its marks, contacts, requests and the signatures it was
        /// attributed with into FILE (gzip'd JSON lines; `-` is standard output).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["format", "requests"])]
        bundle: Option<PathBuf>,
    },
    /// Add a session bundle to the database (created if there is none) as a new session.
    Import {
        /// The bundle (`sessions export ID --bundle FILE`; `-` is standard input).
        file: PathBuf,
        /// Import a recording (same capture SHA-256 and label) that is already in the database
        /// as another session.
        #[arg(long)]
        again: bool,
    },
    /// Delete a session and its contacts.
    Delete {
        /// Session number.
        id: SessionId,
    },
    /// Delete finished sessions recorded longer ago than AGE (e.g. 30d, 12h, 90m).
    Purge {
        /// Age: a number with d, h, m or s.
        #[arg(long, value_parser = parse_age, value_name = "AGE")]
        older_than: Duration,
    },
    /// Make a session an idle baseline (the device left alone), to compare later test sessions
    /// of its device with; --off makes it an ordinary session again.
    Baseline {
        /// Session number.
        id: SessionId,
        /// No longer a baseline.
        #[arg(long)]
        off: bool,
    },
    /// Give a device a name shown in every session (empty text clears it).
    Label {
        /// MAC (or IP) as shown by `sessions show`.
        device: String,
        /// The name, e.g. "test iPhone 12".
        text: String,
    },
}

/// Formats of `sessions list`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns.
    Table,
    /// One JSON object per session.
    Jsonl,
}

/// Formats of `sessions export`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per contact.
    Jsonl,
    /// RFC 4180 CSV with a header line.
    Csv,
}

/// Run a `sessions` action against the database at `db` (default path when `None`).
pub fn run(db: Option<PathBuf>, action: Action) -> Result<ExitCode> {
    let db = db.unwrap_or_else(default_path);
    if let Action::Import { file, again } = &action {
        return super::bundle::import(&db, file, *again).map(|()| ExitCode::SUCCESS);
    }
    let mut out = BufWriter::new(super::out::stdout());
    match action {
        Action::List { .. } | Action::Show { .. } | Action::Export { .. } => {
            read(&db, action, &mut out)?
        }
        _ => change(&db, action, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Reading works on a database another process records into (through its control socket)
/// and on one that cannot be written.
fn read(db: &Path, action: Action, out: &mut impl Write) -> Result<()> {
    let mut database = Database::open_read(db)?;
    // A session left recording by a killed process is found here, on the next start.
    if let Some(store) = database.direct().filter(|s| !s.is_copy()) {
        recover(store)?;
    }
    match action {
        Action::List { format } => list(out, &database.sessions()?, format)?,
        Action::Show { id } => {
            let labels = database.labels()?;
            let s = database.contacts(id)?;
            show(out, &s.session, &s.contacts, s.signatures.as_ref(), &labels)?;
        }
        Action::Export {
            id,
            bundle: Some(file),
            ..
        } => match database.direct() {
            Some(store) => super::bundle::export(store, id, &file)?,
            None => anyhow::bail!(
                "a bundle is exported from the database itself, and another sporfri process is \
                 recording into it: export once that session has ended"
            ),
        },
        Action::Export {
            id,
            format,
            requests: false,
            ..
        } => export(out, &database.contacts(id)?.contacts, format)?,
        Action::Export {
            id,
            format,
            requests: true,
            ..
        } => export_requests(out, &database.requests(id)?, format)?,
        _ => {}
    }
    Ok(())
}

fn recover(store: &mut Store) -> Result<()> {
    for id in store.recover_interrupted()? {
        eprintln!("sporfri: session {id} was interrupted; it is complete up to its last flush");
    }
    Ok(())
}

/// Changes need the database itself: they fail while another process owns it.
fn change(db: &Path, action: Action, out: &mut impl Write) -> Result<()> {
    let mut store = Store::open_existing(db)?;
    recover(&mut store)?;
    match action {
        Action::Delete { id } => {
            if !store.delete(id)? {
                anyhow::bail!("no session {id} (see `sporfri sessions list`)");
            }
            writeln!(out, "deleted session {id}")?;
        }
        Action::Purge { older_than } => {
            let cutoff = SystemTime::now()
                .checked_sub(older_than)
                .context("--older-than reaches before 1970")?;
            let gone = store.purge(cutoff)?;
            let ids: Vec<String> = gone.iter().map(ToString::to_string).collect();
            let purged = sporfri::text::count(gone.len() as u64, "session");
            writeln!(out, "purged {purged} {}", ids.join(" "))?;
        }
        Action::Baseline { id, off } => {
            let s = store.set_baseline(id, !off)?;
            if s.baseline {
                let devices = sporfri::session::devices_of(&s);
                writeln!(
                    out,
                    "session {id} is an idle baseline of {}; later sessions of its device are \
                     compared with it",
                    if devices.is_empty() {
                        "no device yet".to_owned()
                    } else {
                        devices.join(" ")
                    }
                )?;
            } else {
                writeln!(out, "session {id} is no longer a baseline")?;
            }
        }
        Action::Label { device, text } => {
            store.set_label(&device, &text)?;
            writeln!(out, "labelled {device} {text:?}")?;
        }
        Action::List { .. }
        | Action::Show { .. }
        | Action::Export { .. }
        | Action::Import { .. } => {}
    }
    Ok(())
}

fn parse_age(s: &str) -> Result<Duration, String> {
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let secs = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(format!("{s:?}: give a number with d, h, m or s, e.g. 30d")),
    };
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?}: give a number with d, h, m or s, e.g. 30d"))?;
    Ok(Duration::from_secs(n.saturating_mul(secs)))
}

fn duration(s: &Session) -> String {
    match (s.started, s.ended.or(s.last_flush)) {
        (Some(a), Some(b)) => human_duration(b.since(a)),
        _ => "-".to_owned(),
    }
}

/// A session's length in the list's nine columns: seconds to a tenth for a test session,
/// coarser units for long captures (a merged trace can span years of capture timestamps).
fn human_duration(nanos: u64) -> String {
    let secs = nanos / 1_000_000_000;
    match secs {
        0..60 => format!("{:.1}s", nanos as f64 / 1e9),
        60..3_600 => format!("{}m{:02}s", secs / 60, secs % 60),
        3_600..86_400 => format!("{}h{:02}m", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

fn list(out: &mut impl Write, sessions: &[Session], format: ListFormat) -> Result<()> {
    if let ListFormat::Jsonl = format {
        for s in sessions {
            serde_json::to_writer(&mut *out, s)?;
            writeln!(out)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:>5}  {:<11}  {:<9}  {:<27}  {:>9}  {:>8}  {:>5}  {:<12}  LABEL",
        "ID", "STATE", "BASELINE", "STARTED", "DURATION", "CONTACTS", "MARKS", "SITE"
    )?;
    for s in sessions {
        writeln!(
            out,
            "{:>5}  {:<11}  {:<9}  {:<27}  {:>9}  {:>8}  {:>5}  {:<12}  {}",
            s.id,
            state(s),
            role(s),
            s.started.map(|t| t.rfc3339()).unwrap_or_else(|| "-".into()),
            duration(s),
            s.stats.contacts,
            s.marks.len(),
            s.site.as_deref().unwrap_or("-"),
            s.label
        )?;
    }
    Ok(())
}

/// `is one` for a baseline, `vs 3` for a test session compared with baseline 3, `none` when
/// it was compared with none, `-` for sessions recorded before baselines existed.
fn role(s: &Session) -> String {
    if s.baseline {
        return "is one".to_owned();
    }
    match &s.against {
        Some(a) => match a.applied() {
            // Fits the column: the source database's baseline 3.
            Some(b) if b.elsewhere => format!("vs src#{}", b.id),
            Some(b) => format!("vs {}", b.id),
            None => "none".to_owned(),
        },
        None => "-".to_owned(),
    }
}

fn state(s: &Session) -> &'static str {
    match s.state {
        sporfri::session::SessionState::Recording => "recording",
        sporfri::session::SessionState::Ended => "ended",
        sporfri::session::SessionState::Interrupted => "interrupted",
    }
}

fn offset(s: &Session, t: sporfri::time::Timestamp) -> String {
    s.started
        .map(|a| format!("+{:.3}s", t.since(a) as f64 / 1e9))
        .unwrap_or_default()
}

fn show(
    out: &mut impl Write,
    s: &Session,
    contacts: &[ContactRecord],
    set: Option<&SignatureSet>,
    labels: &std::collections::BTreeMap<String, String>,
) -> Result<()> {
    writeln!(out, "session {}: {}", s.id, s.label)?;
    writeln!(out, "  site:     {}", s.site.as_deref().unwrap_or("-"))?;
    match &s.source {
        sporfri::session::Source::File { path, sha256 } => {
            writeln!(out, "  source:   file {path}\n  sha256:   {sha256}")?
        }
        sporfri::session::Source::Interface { name } => {
            writeln!(out, "  source:   interface {name}")?
        }
    }
    let when = |t: Option<sporfri::time::Timestamp>| t.map(|t| t.rfc3339()).unwrap_or("-".into());
    writeln!(
        out,
        "  packets:  {} .. {} ({}), {} packets",
        when(s.started),
        when(s.ended.or(s.last_flush)),
        duration(s),
        s.stats.packets
    )?;
    writeln!(out, "  state:    {}", state(s))?;
    if s.baseline {
        writeln!(out, "  baseline: this session is an idle baseline")?;
    } else if let Some(a) = &s.against {
        writeln!(out, "  baseline: {}", a.describe(s.started))?;
    }
    if let Some(i) = &s.imported {
        writeln!(
            out,
            "  imported: {} at {} (session {} there, exported by sporfri {} at {})",
            i.file, i.at, i.original_id, i.exported_by, i.exported
        )?;
    }
    signatures(out, set)?;
    if s.state == sporfri::session::SessionState::Interrupted {
        writeln!(
            out,
            "            complete up to {} (last flush {})",
            when(s.last_flush),
            s.run.flushed.as_deref().unwrap_or("-")
        )?;
    }
    if s.stats.unstored > 0 {
        writeln!(out, "  unstored: {} contact(s)", s.stats.unstored)?;
    }
    if s.stats.requests > 0 || s.stats.requests_dropped > 0 {
        writeln!(
            out,
            "  requests: {} decrypted ({} not kept: limit); see `sessions export {} --requests`",
            s.stats.requests, s.stats.requests_dropped, s.id
        )?;
    }
    writeln!(out, "  marks:")?;
    for m in &s.marks {
        let text = m
            .text
            .as_deref()
            .map(|t| format!("  {t}"))
            .unwrap_or_default();
        writeln!(out, "    {:>10}  {}{text}", offset(s, m.ts), m.kind)?;
    }
    devices(out, s, labels)?;
    let count = |p: Phase| contacts.iter().filter(|c| c.phase == p).count();
    writeln!(
        out,
        "  contacts: {} (before-consent {}, consent-accepted {}, consent-rejected {})",
        contacts.len(),
        count(Phase::BeforeConsent),
        count(Phase::ConsentAccepted),
        count(Phase::ConsentRejected)
    )?;
    let background = contacts
        .iter()
        .filter(|c| c.baseline.background.is_some())
        .count();
    if background > 0 {
        writeln!(
            out,
            "            {background} seen while idle or before the visit (marked idle / pre-visit)"
        )?;
    }
    for c in contacts {
        let mark = match c.baseline.background {
            Some(sporfri::session::Background::SeenWhileIdle) => "  idle",
            Some(sporfri::session::Background::BeforeVisit) => "  pre-visit",
            None if c.baseline.also_seen_while_idle => "  also-idle",
            None => "",
        };
        writeln!(
            out,
            "    {:>10}  {:<16}  {:<13}  {:<40}  {}{mark}",
            offset(s, c.first_seen),
            c.phase.as_str(),
            party(c),
            c.name,
            c.attribution.org.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

/// What the session's contacts were attributed with.
fn signatures(out: &mut impl Write, set: Option<&SignatureSet>) -> Result<()> {
    let Some(set) = set else {
        writeln!(
            out,
            "  signatures: not stored (recorded by a sporfri that did not keep them)"
        )?;
        return Ok(());
    };
    writeln!(out, "  signatures:")?;
    for l in std::iter::once(&set.builtin).chain(set.layers.iter().map(|l| &l.info)) {
        writeln!(
            out,
            "    {}  sha256 {}  {} files",
            l.label, l.sha256, l.files
        )?;
    }
    if let Some(p) = &set.site {
        writeln!(
            out,
            "    site profile {}  {}  sha256 {}",
            p.name, p.file, p.sha256
        )?;
    }
    Ok(())
}

fn devices(
    out: &mut impl Write,
    s: &Session,
    labels: &std::collections::BTreeMap<String, String>,
) -> Result<()> {
    writeln!(out, "  devices:")?;
    for d in &s.devices {
        let ips: Vec<String> = d.ips.iter().map(ToString::to_string).collect();
        let mut extra = String::new();
        for (k, v) in [
            ("label", labels.get(&d.device)),
            ("host", d.host_name.as_ref()),
            ("vendor", d.vendor_class.as_ref()),
        ] {
            if let Some(v) = v {
                extra.push_str(&format!("  {k} {v:?}"));
            }
        }
        writeln!(out, "    {}  {}{extra}", d.device, ips.join(" "))?;
    }
    Ok(())
}

fn party(c: &ContactRecord) -> String {
    match serde_json::to_value(c.attribution.party) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn export(out: &mut impl Write, contacts: &[ContactRecord], format: ExportFormat) -> Result<()> {
    match format {
        ExportFormat::Jsonl => {
            for c in contacts {
                serde_json::to_writer(&mut *out, c)?;
                writeln!(out)?;
            }
        }
        ExportFormat::Csv => {
            writeln!(out, "{}", CSV_HEADER.join(","))?;
            for c in contacts {
                writeln!(out, "{}", csv_row(c))?;
            }
        }
    }
    Ok(())
}

fn export_requests(
    out: &mut impl Write,
    requests: &[RequestEntry],
    format: ExportFormat,
) -> Result<()> {
    match format {
        ExportFormat::Jsonl => {
            for r in requests {
                serde_json::to_writer(&mut *out, r)?;
                writeln!(out)?;
            }
        }
        ExportFormat::Csv => {
            writeln!(out, "{}", REQUEST_CSV_HEADER.join(","))?;
            for r in requests {
                writeln!(out, "{}", request_csv_row(r))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn durations_fit_the_column_from_seconds_to_years() {
        const S: u64 = 1_000_000_000;
        assert_eq!(human_duration(12_345_000_000), "12.3s");
        assert_eq!(human_duration(59 * S), "59.0s");
        assert_eq!(human_duration(61 * S), "1m01s");
        assert_eq!(human_duration((3 * 3_600 + 5 * 60) * S), "3h05m");
        // A merged trace whose packets span 15 years of capture time.
        let years = human_duration(475_767_961 * S);
        assert_eq!(years, "5506d13h");
        assert!(years.len() <= 9, "DURATION is nine columns wide");
    }
}
