//! The survey: one table over many sessions (an evaluator's year of services, each tested with
//! "accept" and "reject" on several phones), built from each session's [`Report`].
//!
//! Nothing here decides anything about a contact: every row is read off the report that
//! `sporfri report` makes of the same session (its findings, their items, its organisations and
//! signatures), so the survey cannot disagree with it. Built one report at a time
//! ([`SurveyBuilder::add`]), so a large survey never holds more than one report.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::finding::{org_key, word};
use super::idle::in_background;
use super::meta::{AttributedWith, SignatureInfo, describe_set};
use super::survey_baseline::{BaselineHere, RowBaseline, row_baseline};
use super::verdict::third as counted_third;
use super::{FindingStatus, Report, When, is_tracking};
use crate::attribute::{Category, Party};
use crate::session::{Imported, Phase, SessionId, SessionState, Source};

/// Version of the survey's JSON shape; bumped when a field changes meaning or disappears.
/// 2: idle baselines (issue 18): rows' `third_parties`, the matrix and the long CSV's
/// `findings` leave out third parties the session's baseline saw, as the report does (its
/// version 3); rows name their `baseline`; the CSV has `in_baseline`, `background`, `baseline`.
pub const SURVEY_VERSION: u32 = 2;

/// The matrix's service for sessions without a site profile.
pub const NO_SITE: &str = "(no site profile)";

/// Many sessions in one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Survey {
    /// [`SURVEY_VERSION`].
    pub survey_version: u32,
    /// The sporfri that made it.
    pub sporfri_version: String,
    /// Which sessions were chosen, in words.
    pub selection: String,
    /// One row per session, by service, then first packet.
    pub sessions: Vec<SessionRow>,
    /// One row per service (site profile): its matrix cells and a summary.
    pub services: Vec<ServiceRow>,
    /// The third-party organisations of all sessions: the matrix's columns.
    pub organisations: Vec<OrgColumn>,
    /// The signature sets the sessions were attributed with; rows name theirs.
    pub signature_sets: Vec<SetInfo>,
    /// What limits the survey, and that it is not legal advice.
    pub notes: Vec<String>,
    /// Every contact of every session, one line each: the long CSV (not in the JSON).
    #[serde(skip)]
    pub contacts: Vec<ContactLine>,
}

/// One session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    /// Session number in this database.
    pub session: SessionId,
    /// The tester's label.
    pub label: String,
    /// Site profile name.
    pub site: Option<String>,
    /// The profile's title, when it was loaded.
    pub site_title: Option<String>,
    /// Devices seen, with the tester's labels.
    pub devices: Vec<DeviceCell>,
    /// First packet.
    pub date: Option<When>,
    /// The idle baseline it was compared with.
    pub baseline: RowBaseline,
    /// Recording, ended or interrupted.
    pub state: SessionState,
    /// The capture file (with its SHA-256) or interface.
    pub source: Source,
    /// Where it came from when imported from a bundle.
    pub imported: Option<Imported>,
    /// No third-party contact (the report's summary).
    pub tracking_free: bool,
    /// The report's headline.
    pub headline: String,
    /// One cell per finding of the report, in its order.
    pub findings: Vec<FindingCell>,
    /// Its third-party organisations, first seen first.
    pub third_parties: Vec<OrgCell>,
    /// The signatures it was attributed with.
    pub signatures: RowSignatures,
    /// Link to the session's own report (`survey --reports DIR`).
    pub report: Option<String>,
}

/// A device of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceCell {
    /// MAC or IP.
    pub device: String,
    /// The tester's label (`sessions label`), or its DHCP host name.
    pub label: Option<String>,
}

/// One finding of one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingCell {
    /// As in the report (1 to 7).
    pub number: u8,
    /// As in the report (`before-consent`, `after-reject`, ...).
    pub key: &'static str,
    /// As in the report.
    pub status: FindingStatus,
    /// Contacts cited (findings 6 and 7: cookies).
    pub count: usize,
    /// Distinct organisations among them.
    pub organisations: usize,
}

/// What the matrix marks: the consent phase a third party was seen in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PhaseMark {
    /// `B`: cited by finding 1, before any consent decision.
    B,
    /// `A`: first seen after "accept".
    A,
    /// `R`: cited by finding 2, after "reject" (first seen after it, or still in use).
    R,
}

/// One third-party organisation of one session, counted as the report's findings count it
/// (not one seen only while the device was idle).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgCell {
    /// The organisation, or `unknown organisation (domain)`, as the report names it.
    pub label: String,
    /// Categories of its contacts.
    pub categories: Vec<Category>,
    /// Phases it was seen in.
    pub marks: BTreeSet<PhaseMark>,
    /// Its contacts.
    pub contacts: usize,
    /// Every one of its contacts was a lookup the network blocked.
    pub blocked: bool,
    /// Some contact of it is not declared in the site profile (finding 3).
    pub undeclared: bool,
    /// Some contact of it is a cloaked first-party name (finding 4).
    pub cloaked: bool,
}

/// Which signatures a row rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowSignatures {
    /// The [`SetInfo::id`] of its set.
    pub set: String,
    /// Recorded, re-attributed, or not stored.
    pub attribution: AttributedWith,
    /// SHA-256 of the site profile's text.
    pub site_profile_sha256: Option<String>,
    /// Its set is not the one most sessions were attributed with.
    pub differs: bool,
    /// Another session of the same service was attributed with another text of its profile.
    pub site_profile_differs: bool,
}

/// A signature set the survey's sessions were attributed with (site profiles aside).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetInfo {
    /// `A`, `B`, ... in order of first use.
    pub id: String,
    /// Recorded, re-attributed, or not stored.
    pub attribution: AttributedWith,
    /// The set in one line (hashes cut to 12 digits).
    pub description: String,
    /// The built-in set's SHA-256.
    pub builtin_sha256: String,
    /// Each further layer's SHA-256.
    pub layers_sha256: Vec<String>,
    /// Sessions attributed with it.
    pub sessions: Vec<SessionId>,
}

/// One service: its sessions, what they found, and its matrix row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRow {
    /// Site profile name, or [`NO_SITE`].
    pub service: String,
    /// The profile's title.
    pub title: Option<String>,
    /// Its sessions.
    pub sessions: Vec<SessionId>,
    /// Sessions with no third-party contact.
    pub tracking_free_sessions: usize,
    /// Per finding: in how many of its sessions it was observed.
    pub findings: Vec<ServiceFinding>,
    /// Third-party organisations seen in any of its sessions.
    pub organisations: usize,
    /// Those with a tracking category.
    pub tracking_organisations: usize,
    /// The matrix row: one cell per organisation seen.
    pub cells: Vec<MatrixCell>,
}

/// One finding over a service's sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceFinding {
    /// As in the report.
    pub number: u8,
    /// As in the report.
    pub key: &'static str,
    /// Sessions where it was observed.
    pub observed: usize,
    /// Sessions where it applies (not `not-applicable`).
    pub applicable: usize,
}

/// A service × organisation cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixCell {
    /// The organisation ([`OrgColumn::label`]).
    pub organisation: String,
    /// Phases it was seen in, over the service's sessions: `B`, `A`, `R` in that order.
    pub marks: String,
    /// Sessions of the service it was seen in.
    pub sessions: usize,
    /// Every contact of it, in every session, was blocked by the network.
    pub blocked: bool,
}

/// A matrix column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgColumn {
    /// The organisation, or `unknown organisation (domain)`.
    pub label: String,
    /// Categories over all sessions.
    pub categories: Vec<Category>,
    /// Some category is a tracking category.
    pub tracking: bool,
    /// Services it was seen in.
    pub services: usize,
    /// Sessions it was seen in.
    pub sessions: usize,
}

/// One contact of one session: a line of the long CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactLine {
    /// Session number.
    pub session: SessionId,
    /// Site profile name (empty: none).
    pub site: String,
    /// The session's label.
    pub label: String,
    /// Consent phase at first sight.
    pub phase: Phase,
    /// The organisation as the report names it (`unknown organisation (domain)` when none).
    pub org: String,
    /// Service.
    pub service: Option<String>,
    /// Category.
    pub category: Option<Category>,
    /// The contacted name.
    pub name: String,
    /// First seen, RFC 3339 UTC.
    pub first_seen: String,
    /// `sinkhole`, `nxdomain`, `refused`, `nodata`, or empty.
    pub blocked: String,
    /// Kept observations.
    pub evidence: usize,
    /// Whose it is.
    pub party: Party,
    /// Device.
    pub device: String,
    /// Numbers of the findings citing it, space-separated.
    pub findings: String,
    /// The site profile's declaration covering it.
    pub declared: String,
    /// The tracker name a cloaked name resolved to.
    pub cloaked: String,
    /// What the capture could not see of it.
    pub hidden: String,
    /// The signature set ([`SetInfo::id`]).
    pub signatures: String,
    /// The session's idle baseline saw this name (the report's `in_baseline`).
    pub in_baseline: bool,
    /// Why it is listed apart as background and not counted in findings 1 to 3
    /// (`seen-while-idle`, `before-visit`), or empty.
    pub background: String,
    /// The session's baseline ([`RowBaseline::text`]).
    pub baseline: String,
}

/// Collects one report at a time.
#[derive(Debug, Default)]
pub struct SurveyBuilder {
    rows: Vec<SessionRow>,
    contacts: Vec<ContactLine>,
    sets: Vec<(String, SetInfo)>,
    org_categories: BTreeMap<String, BTreeSet<Category>>,
    titles: BTreeMap<String, String>,
    here: Vec<BaselineHere>,
}

impl SurveyBuilder {
    /// An empty survey.
    pub fn new() -> SurveyBuilder {
        SurveyBuilder::default()
    }

    /// The baseline sessions of the surveyed database, where rows look their baselines up
    /// (none given: every named baseline is said to be elsewhere).
    pub fn baselines_here(&mut self, here: Vec<BaselineHere>) {
        self.here = here;
    }

    /// Add session `report`, `imported` as its session record says, `labels` the tester's
    /// device labels.
    pub fn add(
        &mut self,
        report: &Report,
        imported: Option<&Imported>,
        labels: &BTreeMap<String, String>,
    ) {
        let s = &report.session;
        let set = self.set_of(s.id, &report.meta.signatures);
        let cited = citations(report);
        let baseline = row_baseline(report, &self.here);
        self.contact_lines(report, &cited, &set, &baseline.text);
        let third_parties = org_cells(report, &cited);
        for o in &third_parties {
            let cats = self.org_categories.entry(o.label.clone()).or_default();
            cats.extend(o.categories.iter().copied());
        }
        if let (Some(site), Some(info)) = (&s.site, &report.site) {
            self.titles.insert(site.clone(), info.title.clone());
        }
        self.rows.push(SessionRow {
            session: s.id,
            label: s.label.clone(),
            site: s.site.clone(),
            site_title: report.site.as_ref().map(|p| p.title.clone()),
            devices: s
                .devices
                .iter()
                .map(|d| DeviceCell {
                    device: d.device.clone(),
                    label: labels.get(&d.device).or(d.host_name.as_ref()).cloned(),
                })
                .collect(),
            date: s.started.clone(),
            baseline,
            state: s.state,
            source: s.source.clone(),
            imported: imported.cloned(),
            tracking_free: report.summary.tracking_free,
            headline: report.summary.headline.clone(),
            findings: finding_cells(report),
            third_parties,
            signatures: RowSignatures {
                set,
                attribution: report.meta.signatures.attribution,
                site_profile_sha256: report
                    .meta
                    .signatures
                    .site
                    .as_ref()
                    .map(|p| p.sha256.clone()),
                differs: false,
                site_profile_differs: false,
            },
            report: None,
        });
    }

    /// The id of the set `info` names, a new one when it is the first session with it.
    fn set_of(&mut self, session: SessionId, info: &SignatureInfo) -> String {
        let layers: Vec<String> = info.extra.iter().map(|l| l.sha256.clone()).collect();
        let key = format!(
            "{}|{}|{}",
            word(&info.attribution),
            info.builtin.sha256,
            layers.join(",")
        );
        if let Some((_, set)) = self.sets.iter_mut().find(|(k, _)| *k == key) {
            set.sessions.push(session);
            return set.id.clone();
        }
        let mut whole = info.clone();
        whole.site = None;
        let set = SetInfo {
            id: letters(self.sets.len()),
            attribution: info.attribution,
            description: describe_set(&whole),
            builtin_sha256: info.builtin.sha256.clone(),
            layers_sha256: layers,
            sessions: vec![session],
        };
        let id = set.id.clone();
        self.sets.push((key, set));
        id
    }

    fn contact_lines(&mut self, report: &Report, cited: &Citations, set: &str, baseline: &str) {
        let s = &report.session;
        for c in &report.contacts {
            let a = &c.attribution;
            let findings = cited
                .get(&(c.device.as_str(), c.name.as_str()))
                .map(|n| n.iter().map(u8::to_string).collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            self.contacts.push(ContactLine {
                session: s.id,
                site: s.site.clone().unwrap_or_default(),
                label: s.label.clone(),
                phase: c.phase,
                org: org_key(a.org.as_deref(), &c.name),
                service: a.service.clone(),
                category: a.category,
                name: c.name.clone(),
                first_seen: c.first_seen.rfc3339(),
                blocked: c.blocked.map(|b| b.as_str().to_owned()).unwrap_or_default(),
                evidence: c.evidence.len(),
                party: a.party,
                device: c.device.clone(),
                findings,
                declared: a.declared.clone().unwrap_or_default(),
                cloaked: a
                    .cloaked
                    .as_ref()
                    .map(|k| k.target.clone())
                    .unwrap_or_default(),
                hidden: a.hidden.map(|h| h.as_str().to_owned()).unwrap_or_default(),
                signatures: set.to_owned(),
                in_baseline: c.baseline.in_baseline,
                background: c
                    .baseline
                    .background
                    .filter(|_| in_background(c))
                    .map(|b| b.as_str().to_owned())
                    .unwrap_or_default(),
                baseline: baseline.to_owned(),
            });
        }
    }

    /// The survey of the sessions added, described by `selection`.
    pub fn finish(mut self, selection: &str) -> Survey {
        self.rows.sort_by(|a, b| {
            let key = |r: &SessionRow| {
                (
                    r.site.is_none(),
                    r.site.clone(),
                    r.date.clone().map(|d| d.utc),
                    r.session,
                )
            };
            key(a).cmp(&key(b))
        });
        mark_differences(&mut self.rows, &self.sets);
        let services = super::survey_matrix::services(&self.rows, &self.titles);
        let organisations = super::survey_matrix::columns(&services, &self.org_categories);
        let sets: Vec<SetInfo> = self.sets.into_iter().map(|(_, s)| s).collect();
        let notes = notes(&self.rows, &sets);
        Survey {
            survey_version: SURVEY_VERSION,
            sporfri_version: env!("CARGO_PKG_VERSION").to_owned(),
            selection: selection.to_owned(),
            sessions: self.rows,
            services,
            organisations,
            signature_sets: sets,
            notes,
            contacts: self.contacts,
        }
    }
}

/// `A`..`Z`, then `AA`, `AB`, ...: as spreadsheet columns.
pub(super) fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// Which findings cite each (device, name): the items and declared lists of the report.
type Citations<'a> = HashMap<(&'a str, &'a str), BTreeSet<u8>>;

fn citations(report: &Report) -> Citations<'_> {
    let mut cited: Citations<'_> = HashMap::new();
    for f in &report.findings {
        for i in f.items.iter().chain(&f.declared) {
            cited
                .entry((i.device.as_str(), i.name.as_str()))
                .or_default()
                .insert(f.number);
        }
    }
    cited
}

fn finding_cells(report: &Report) -> Vec<FindingCell> {
    report
        .findings
        .iter()
        .map(|f| {
            let orgs: HashSet<String> = if f.key.starts_with("cookies-") {
                f.cookies
                    .iter()
                    .map(|c| org_key(c.org.as_deref(), &c.host))
                    .collect()
            } else {
                f.items
                    .iter()
                    .map(|i| org_key(i.org.as_deref(), &i.name))
                    .collect()
            };
            FindingCell {
                number: f.number,
                key: f.key,
                status: f.status,
                count: if f.key.starts_with("cookies-") {
                    f.cookies.len()
                } else {
                    f.items.len()
                },
                organisations: orgs.len(),
            }
        })
        .collect()
}

/// The report's third-party organisations with the phases the findings cite them in: only the
/// third parties its findings count (those seen while idle are listed apart there).
fn org_cells(report: &Report, cited: &Citations<'_>) -> Vec<OrgCell> {
    let number = |key: &str| {
        report
            .findings
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.number)
    };
    let (before, after, undeclared, cloaked) = (
        number("before-consent"),
        number("after-reject"),
        number("undeclared"),
        number("cloaked"),
    );
    let mut cells: Vec<OrgCell> = Vec::new();
    let mut first_seen: Vec<String> = Vec::new();
    for c in report.contacts.iter().filter(|c| counted_third(c)) {
        let label = org_key(c.attribution.org.as_deref(), &c.name);
        let at = match cells.iter().position(|o| o.label == label) {
            Some(at) => at,
            None => {
                cells.push(OrgCell {
                    label,
                    categories: Vec::new(),
                    marks: BTreeSet::new(),
                    contacts: 0,
                    blocked: true,
                    undeclared: false,
                    cloaked: false,
                });
                first_seen.push(c.first_seen.rfc3339());
                cells.len() - 1
            }
        };
        let (Some(o), Some(seen)) = (cells.get_mut(at), first_seen.get_mut(at)) else {
            continue;
        };
        let by = cited.get(&(c.device.as_str(), c.name.as_str()));
        let cites = |n: Option<u8>| n.is_some_and(|n| by.is_some_and(|b| b.contains(&n)));
        if cites(before) {
            o.marks.insert(PhaseMark::B);
        }
        if c.phase == Phase::ConsentAccepted {
            o.marks.insert(PhaseMark::A);
        }
        if cites(after) {
            o.marks.insert(PhaseMark::R);
        }
        if let Some(cat) = c.attribution.category
            && !o.categories.contains(&cat)
        {
            o.categories.push(cat);
            o.categories.sort();
        }
        o.contacts += 1;
        o.blocked &= c.blocked.is_some();
        o.undeclared |= cites(undeclared);
        o.cloaked |= cites(cloaked);
        let t = c.first_seen.rfc3339();
        if t < *seen {
            *seen = t;
        }
    }
    let mut order: Vec<(String, OrgCell)> = first_seen.into_iter().zip(cells).collect();
    order.sort_by(|a, b| (&a.0, &a.1.label).cmp(&(&b.0, &b.1.label)));
    order.into_iter().map(|(_, o)| o).collect()
}

/// Mark rows whose set is not the most used one, and rows whose service's profile text is not
/// the one most of that service's sessions used.
fn mark_differences(rows: &mut [SessionRow], sets: &[(String, SetInfo)]) {
    // The first of the most used sets (ties go to the older letter).
    let common = sets
        .iter()
        .min_by_key(|(_, s)| Reverse(s.sessions.len()))
        .map(|(_, s)| s.id.clone());
    let mut profiles: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for r in rows.iter() {
        if let (Some(site), Some(sha)) = (&r.site, &r.signatures.site_profile_sha256) {
            *profiles
                .entry(site.clone())
                .or_default()
                .entry(sha.clone())
                .or_default() += 1;
        }
    }
    for r in rows.iter_mut() {
        r.signatures.differs = sets.len() > 1 && Some(&r.signatures.set) != common.as_ref();
        let usual = r
            .site
            .as_ref()
            .and_then(|site| profiles.get(site))
            .filter(|v| v.len() > 1);
        if let (Some(versions), Some(sha)) = (usual, &r.signatures.site_profile_sha256) {
            let most = versions
                .iter()
                .min_by_key(|(_, n)| Reverse(**n))
                .map(|(s, _)| s);
            r.signatures.site_profile_differs = most != Some(sha);
        }
    }
}

/// What limits the survey as a whole.
fn notes(rows: &[SessionRow], sets: &[SetInfo]) -> Vec<String> {
    let mut out = vec![
        "Each row is that session's report in one line: the same findings, from the same \
         contacts and attribution. The findings are evidence for a person to assess, not a \
         legal conclusion and not legal advice; each session's report gives the observations \
         behind them and its caveats."
            .to_owned(),
    ];
    if sets.len() > 1 {
        out.push(format!(
            "The sessions were attributed with {} different signature sets (rows marked): a \
             difference between services may come from the signatures rather than the \
             services. Surveying with --reattribute attributes every session with this sporfri's \
             signatures instead.",
            sets.len()
        ));
    }
    let profiles = rows
        .iter()
        .filter(|r| r.signatures.site_profile_differs)
        .count();
    if profiles > 0 {
        out.push(format!(
            "{} attributed with another version of its service's site profile than most \
             sessions of that service (rows marked).",
            crate::text::count_as(profiles as u64, "session was", "sessions were")
        ));
    }
    let elsewhere = rows.iter().filter(|r| r.baseline.elsewhere).count();
    if elsewhere > 0 {
        out.push(format!(
            "{} compared with an idle baseline that is not in this database (rows say so): \
             what it saw was set apart when the session was recorded; import the baseline's \
             bundle too to read its contacts.",
            crate::text::count_as(elsewhere as u64, "session was", "sessions were")
        ));
    }
    let lacking = rows
        .iter()
        .filter(|r| r.signatures.attribution == AttributedWith::NotStored)
        .count();
    if lacking > 0 {
        out.push(format!(
            "{} recorded by a sporfri that did not store its signatures: their contacts are as \
             recorded, their site profiles as loaded now.",
            crate::text::count_as(lacking as u64, "session was", "sessions were")
        ));
    }
    let hidden = rows
        .iter()
        .filter(|r| r.findings.iter().any(|f| f.key == "hidden" && f.count > 0))
        .count();
    if hidden > 0 {
        out.push(format!(
            "In {} part of the traffic was hidden from the capture or unnamed (finding 5): \
             their findings are lower bounds.",
            crate::text::count(hidden as u64, "session")
        ));
    }
    let interrupted = rows
        .iter()
        .filter(|r| r.state == SessionState::Interrupted)
        .count();
    if interrupted > 0 {
        out.push(format!(
            "{} interrupted: complete only up to the last flush.",
            crate::text::count_as(interrupted as u64, "session was", "sessions were")
        ));
    }
    out
}

/// Whether some category of `cats` is a tracking category.
pub(super) fn tracking(cats: &[Category]) -> bool {
    cats.iter().any(|c| is_tracking(*c))
}
