//! `sporfri survey`: one table over many sessions, each row read off the session's report as
//! `sporfri report` makes it (the same loading, attribution and findings).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use sporfri::control::Database;
use sporfri::report::localtime::copenhagen_offset;
use sporfri::report::survey::SurveyBuilder;
use sporfri::report::survey_baseline::BaselineHere;
use sporfri::report::{html, survey_html, survey_text};
use sporfri::session::{Session, SessionId, ts};
use sporfri::store::{StoreError, default_path};
use sporfri::time::Timestamp;

use super::report::{Note, NoteKind, RenderArgs, ReportFormat, attributed, write_out};

/// Arguments of `sporfri survey`.
#[derive(Args)]
pub struct SurveyArgs {
    /// Only these sessions: numbers and ranges, e.g. 1,3,7-12.
    #[arg(long, value_name = "IDS", conflicts_with_all = ["label", "since"])]
    pub sessions: Option<String>,
    /// Only sessions whose label matches GLOB (`*` any text, `?` one character), e.g.
    /// "*reject*".
    #[arg(long, value_name = "GLOB")]
    pub label: Option<String>,
    /// Only sessions whose first packet is at or after DATE: YYYY-MM-DD (midnight in
    /// Copenhagen) or an RFC 3339 time.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<Timestamp>,
    /// Also survey idle baseline sessions chosen by --label, --since or neither (they are
    /// recordings of a device at rest, not tests of a service; --sessions takes them as named).
    #[arg(long)]
    pub with_baselines: bool,
    /// Also write each session's HTML report into DIR (session-ID.html, as `sporfri report`
    /// renders it) and link each row to it.
    #[arg(long, value_name = "DIR")]
    pub reports: Option<PathBuf>,
    #[command(flatten)]
    pub render: RenderArgs,
}

/// `sporfri survey`.
pub fn run(args: &SurveyArgs) -> Result<ExitCode> {
    // Through the owner's control socket while a session is being recorded, as `report`.
    let database = Database::open_read(&args.render.db.clone().unwrap_or_else(default_path))?;
    let all = database.sessions()?;
    let (chosen, selection) = select(all.clone(), args)?;
    let labels = database.labels()?;
    if let Some(dir) = &args.reports {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let base = args
        .reports
        .as_deref()
        .map(|dir| link_base(args.render.output.as_deref(), dir));
    let mut survey = SurveyBuilder::new();
    survey.baselines_here(BaselineHere::of(&all));
    let mut notes: BTreeMap<NoteKind, Vec<Note>> = BTreeMap::new();
    let mut links = BTreeMap::new();
    for s in &chosen {
        let a = attributed(&database, s.id, &args.render)
            .with_context(|| format!("session {} (leave it out with --sessions)", s.id))?;
        let report = a.report();
        if let (Some(dir), Some(base)) = (&args.reports, &base) {
            let name = format!("session-{}.html", s.id);
            let path = dir.join(&name);
            std::fs::write(&path, html::render(&report))
                .with_context(|| format!("writing {}", path.display()))?;
            links.insert(s.id, format!("{base}{name}"));
        }
        survey.add(&report, a.session.imported.as_ref(), &labels);
        for n in a.notes {
            notes.entry(n.kind).or_default().push(n);
        }
    }
    drop(database);
    print_notes(&notes);
    let mut survey = survey.finish(&selection);
    for row in &mut survey.sessions {
        row.report = links.remove(&row.session);
    }
    let text = match args.render.format {
        ReportFormat::Html => survey_html::render(&survey),
        ReportFormat::Md => survey_text::md(&survey),
        ReportFormat::Json => survey_text::json(&survey)?,
        ReportFormat::Csv => survey_text::csv(&survey),
    };
    write_out(&args.render, "sporfri-survey.html", &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Each kind of note once, with how many more sessions it concerns.
fn print_notes(notes: &BTreeMap<NoteKind, Vec<Note>>) {
    for list in notes.values() {
        let Some(first) = list.first() else { continue };
        match list.len() {
            1 => eprintln!("sporfri: {}", first.text),
            n => eprintln!(
                "sporfri: {} (and the same for {} more)",
                first.text,
                sporfri::text::count(n as u64 - 1, "session")
            ),
        }
    }
}

/// The sessions chosen, oldest first, and the choice in words.
fn select(all: Vec<Session>, args: &SurveyArgs) -> Result<(Vec<Session>, String)> {
    if let Some(ids) = &args.sessions {
        let wanted = parse_ids(ids).map_err(|m| super::bad_arguments(&["survey"], &m))?;
        let mut chosen = Vec::new();
        for id in wanted {
            let s = all.iter().find(|s| s.id == id).cloned();
            chosen.push(s.ok_or(StoreError::NoSession(id))?);
        }
        return Ok((chosen, format!("Sessions {ids}.")));
    }
    let mut words = Vec::new();
    if let Some(glob) = &args.label {
        words.push(format!("labelled {glob:?}"));
    }
    if let Some(since) = args.since {
        words.push(format!("first packet at or after {}", since.rfc3339()));
    }
    let (chosen, baselines): (Vec<Session>, Vec<Session>) = all
        .into_iter()
        .filter(|s| args.label.as_deref().is_none_or(|g| glob(g, &s.label)))
        .filter(|s| {
            args.since
                .is_none_or(|t| started(s).is_some_and(|s| s >= t))
        })
        .partition(|s| args.with_baselines || !s.baseline);
    let mut selection = if words.is_empty() {
        format!(
            "All {} of the database.",
            sporfri::text::count(chosen.len() as u64, "session")
        )
    } else {
        format!("Sessions {}.", words.join(", "))
    };
    if !baselines.is_empty() {
        selection.push_str(&format!(
            " {} left out (--with-baselines surveys them too).",
            sporfri::text::count(baselines.len() as u64, "idle baseline")
        ));
    }
    if chosen.is_empty() {
        bail!("no session to survey: {selection} (see `sporfri sessions list`)");
    }
    Ok((chosen, selection))
}

/// The session's first packet, or when its recording began.
fn started(s: &Session) -> Option<Timestamp> {
    s.started
        .or_else(|| s.run.started.as_deref().and_then(ts::parse))
}

/// `1,3,7-12` as ids in that order, each once.
fn parse_ids(text: &str) -> Result<Vec<SessionId>, String> {
    let bad = || format!("--sessions {text:?}: give numbers and ranges, e.g. 1,3,7-12");
    let mut ids: Vec<SessionId> = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: SessionId = a.trim().parse().map_err(|_| bad())?;
        let b: SessionId = b.trim().parse().map_err(|_| bad())?;
        if b < a || b - a > 1_000_000 {
            return Err(bad());
        }
        for id in a..=b {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// `pattern` matches all of `text`: `*` any run of characters, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // The classic two-pointer match with one backtrack point: linear in practice.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// `YYYY-MM-DD` (midnight in Copenhagen) or RFC 3339.
fn parse_since(text: &str) -> Result<Timestamp, String> {
    if let Some(t) = ts::parse(text) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).map_err(|_| {
        format!("{text:?}: give a date (2026-01-31, midnight in Copenhagen) or an RFC 3339 time")
    })?;
    let midnight_utc = date.midnight().assume_utc().unix_timestamp();
    // Local midnight is never near the 01:00 UTC daylight-saving switch: one offset is right.
    let secs = midnight_utc - copenhagen_offset(midnight_utc);
    u64::try_from(secs)
        .map(|s| Timestamp::from_parts(s, 0))
        .map_err(|_| format!("{text:?} is before 1970"))
}

/// The href prefix that reaches `reports` from the page written to `output` (or from the
/// working directory when the survey goes to standard output).
fn link_base(output: Option<&Path>, reports: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let to = abs(reports);
    let from = match output.and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => abs(p),
        _ => abs(Path::new(".")),
    };
    let (to, from): (Vec<Component>, Vec<Component>) =
        (to.components().collect(), from.components().collect());
    let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len().saturating_sub(common)];
    for c in to.iter().skip(common) {
        parts.push(url_path(&c.as_os_str().to_string_lossy()));
    }
    parts.iter().map(|p| format!("{p}/")).collect()
}

/// Percent-encode a path segment for an href.
fn url_path(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob("*reject*", "borger.dk, iPhone, reject"));
        assert!(glob("borger.dk*", "borger.dk, iPhone, reject"));
        assert!(!glob("borger.dk", "borger.dk, iPhone"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*", ""));
        assert!(glob("*a*b", "xxaxxab"));
        assert!(!glob("*a*b", "xxaxxa"));
    }

    #[test]
    fn ids_and_ranges() {
        assert_eq!(parse_ids("1,3,7-9"), Ok(vec![1, 3, 7, 8, 9]));
        assert_eq!(parse_ids("2, 2,1"), Ok(vec![2, 1]));
        assert!(parse_ids("3-1").is_err());
        assert!(parse_ids("x").is_err());
        assert!(parse_ids("").is_err());
    }

    #[test]
    fn a_date_is_midnight_in_copenhagen() {
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(
            parse_since("2026-01-15").map(Timestamp::rfc3339),
            Ok("2026-01-14T23:00:00.000000Z".to_owned())
        );
        assert_eq!(
            parse_since("2026-07-01").map(Timestamp::rfc3339),
            Ok("2026-06-30T22:00:00.000000Z".to_owned())
        );
        assert!(parse_since("2026-13-01").is_err());
        assert_eq!(
            parse_since("2026-07-01T10:00:00Z").map(Timestamp::rfc3339),
            Ok("2026-07-01T10:00:00.000000Z".to_owned())
        );
    }

    #[test]
    fn links_reach_the_reports_from_the_survey_file() {
        assert_eq!(
            link_base(Some(Path::new("/a/b/survey.html")), Path::new("/a/b/r")),
            "r/"
        );
        assert_eq!(
            link_base(Some(Path::new("/a/out/survey.html")), Path::new("/a/r e")),
            "../r%20e/"
        );
    }
}
