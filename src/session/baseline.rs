//! Idle baselines and the visit boundary (issue 18): what the device does on its own.
//!
//! A phone is never quiet: the OS, apps and the browser reach their own services whatever page
//! is open. From the access point no one can tell which app made a contact, so a tester records
//! a *baseline* first (the same device idle, the browser on a blank page) and the test session
//! is compared with it; a `visit` mark says when the tester opened the service, so what came
//! before it is the device on its own too.
//!
//! Each contact of a test session gets [`BaselineFacts`]: whether its name (or, for rotating host
//! names of non-tracking services, its organisation and service) was seen in the baseline,
//! whether it was first seen before the visit, and whether its traffic *grew* during the visit:
//! a rate of flows or bytes at least [`GROWTH_FACTOR`] times the idle rate (and at least
//! [`MIN_EXTRA_FLOWS`] flows or [`MIN_EXTRA_BYTES`] bytes more than that rate predicts). A name
//! seen while idle that did not grow is listed apart as background and left out of findings 1
//! to 3; one that grew stays in the findings, marked "also seen while idle". Nothing is
//! dropped. Pure policy over stored records: no I/O, no clock.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{ContactRecord, Session, SessionId, ts};
use crate::attribute::name::registrable;
use crate::attribute::{Category, Party, TRACKING_CATEGORIES};
use crate::time::Timestamp;

/// A name seen while idle stays in the findings when its rate of flows or bytes during the
/// visit is at least this many times its idle rate.
pub const GROWTH_FACTOR: u64 = 4;
/// ...and when it made at least this many flows more than its idle rate predicts (a single
/// extra connection over a short window is noise, not growth).
pub const MIN_EXTRA_FLOWS: u64 = 3;
/// ...or at least this many bytes (both directions) more than its idle rate predicts.
pub const MIN_EXTRA_BYTES: u64 = 64 * 1024;
/// A baseline older than this (packet time, before the test session's first packet) is still
/// used, with a caveat; `--baseline-max-age` changes it.
pub const DEFAULT_MAX_AGE_DAYS: u32 = 7;
/// The shortest window a rate is taken over, so a zero-length session divides by something.
const MIN_WINDOW_NS: u64 = 1_000_000_000;
const DAY_NS: u64 = 86_400 * 1_000_000_000;

/// Flows and bytes (both directions) of a contact over some window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// Transport flows.
    pub flows: u64,
    /// IP bytes, up and down.
    pub bytes: u64,
}

impl Activity {
    fn add(&mut self, other: Activity) {
        self.flows = self.flows.saturating_add(other.flows);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }

    /// The whole activity of a stored contact.
    pub fn of(c: &ContactRecord) -> Activity {
        Activity {
            flows: c.flows,
            bytes: c.bytes_up.saturating_add(c.bytes_down),
        }
    }
}

/// How a test session came to its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// The tester named it (`--against ID`).
    Named,
    /// The latest baseline of the same device (the default).
    Latest,
    /// The tester turned baselines off (`--no-baseline`).
    Off,
}

/// The baseline session a test session is compared with, as stored with the test session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineRef {
    /// Its session number.
    pub id: SessionId,
    /// Its label.
    pub label: String,
    /// The devices it covers (its device filter, else the devices seen).
    pub devices: Vec<String>,
    /// Its first packet.
    #[serde(with = "ts::opt")]
    pub started: Option<Timestamp>,
    /// Its last packet.
    #[serde(with = "ts::opt")]
    pub ended: Option<Timestamp>,
    /// It was recorded on another device and used anyway (`--force`).
    #[serde(default)]
    pub forced: bool,
    /// What identifies its recording in any database ([`Session::recording`]): an import finds
    /// the same baseline by it (with its label and first packet). `None` in sessions recorded
    /// before it was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    /// The baseline is not in this database: the session was imported without it, and `id`
    /// is its number in the database the session came from (never a session of this one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub elsewhere: bool,
}

impl BaselineRef {
    /// `baseline 3`, or `baseline #3 of the source database, not in this database`.
    pub fn name(&self) -> String {
        if self.elsewhere {
            format!(
                "baseline #{} of the source database, not in this database",
                self.id
            )
        } else {
            format!("baseline {}", self.id)
        }
    }

    /// `session` is this baseline: a baseline with its label, first packet and (when known)
    /// recording. How an imported session finds its baseline in another database.
    pub fn is(&self, session: &Session) -> bool {
        session.baseline
            && session.label == self.label
            && session.started == self.started
            && self
                .recording
                .as_ref()
                .is_none_or(|r| *r == session.recording())
    }
}

/// A test session's baseline, as chosen when it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Against {
    /// Named, the latest of the device, or off.
    pub choice: Choice,
    /// The baseline compared with; `None` when off or when the device has none.
    pub baseline: Option<BaselineRef>,
    /// Days after which the baseline is called old in a caveat.
    pub max_age_days: u32,
    /// Why the named baseline was not applied (another device, without `--force`).
    #[serde(default)]
    pub refused: Option<String>,
}

impl Against {
    /// The baseline's age at the test session's first packet, in nanoseconds.
    pub fn age_ns(&self, test_started: Option<Timestamp>) -> Option<u64> {
        let b = self.baseline.as_ref()?;
        Some(test_started?.since(b.ended.or(b.started)?))
    }

    /// How long after the test session's first packet the baseline began, when it was
    /// recorded later (a tester may record it after the visit).
    pub fn recorded_after_ns(&self, test_started: Option<Timestamp>) -> Option<u64> {
        let (b, t) = (self.baseline.as_ref()?.started?, test_started?);
        (b > t).then(|| b.since(t))
    }

    /// The baseline is older than [`Against::max_age_days`].
    pub fn stale(&self, test_started: Option<Timestamp>) -> bool {
        self.age_ns(test_started)
            .is_some_and(|a| a > u64::from(self.max_age_days).saturating_mul(DAY_NS))
    }

    /// The baseline that applies: chosen and not refused.
    pub fn applied(&self) -> Option<&BaselineRef> {
        self.baseline.as_ref().filter(|_| self.refused.is_none())
    }

    /// One line for every output: `baseline 3 "idle iPhone" (latest of the device)`.
    pub fn describe(&self, test_started: Option<Timestamp>) -> String {
        let Some(b) = &self.baseline else {
            return match self.choice {
                Choice::Off => "no baseline (--no-baseline)".to_owned(),
                _ => "no baseline (none recorded for this device)".to_owned(),
            };
        };
        let how = match self.choice {
            Choice::Named => "named",
            Choice::Latest => "the latest of the device",
            Choice::Off => "off",
        };
        let mut s = if b.elsewhere {
            format!(
                "baseline #{} \"{}\" of the source database, not in this database ({how}",
                b.id, b.label
            )
        } else {
            format!("baseline {} \"{}\" ({how}", b.id, b.label)
        };
        if b.forced {
            s.push_str(&format!(
                ", recorded on {}, compared with every device (--force)",
                b.devices.join(" ")
            ));
        }
        if let Some(later) = self.recorded_after_ns(test_started) {
            // A baseline made after the visit has no age at it: say when it was made instead.
            s.push_str(&format!(
                ", recorded {} after this session",
                age_words(later)
            ));
        } else if let Some(age) = self.age_ns(test_started) {
            s.push_str(&format!(", {} old", age_words(age)));
            if self.stale(test_started) {
                s.push_str(&format!(", older than {} days", self.max_age_days));
            }
        }
        s.push(')');
        if let Some(why) = &self.refused {
            s.push_str(&format!(": not applied, {why}"));
        }
        s
    }
}

/// `3.2 days`, `5.0 h`, `12 min`, `40 s`.
fn age_words(ns: u64) -> String {
    let s = ns as f64 / 1e9;
    if s >= 86_400.0 {
        format!("{:.1} days", s / 86_400.0)
    } else if s >= 3_600.0 {
        format!("{:.1} h", s / 3_600.0)
    } else if s >= 60.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

/// Why a contact is listed apart from the findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Background {
    /// The baseline saw it and its traffic did not grow during the visit.
    SeenWhileIdle,
    /// First seen before the visit mark, and its traffic did not grow after it.
    BeforeVisit,
}

impl Background {
    /// The word used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Background::SeenWhileIdle => "seen-while-idle",
            Background::BeforeVisit => "before-visit",
        }
    }
}

/// How a contact matched the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchBy {
    /// The same name.
    Name,
    /// The same organisation, service and registrable domain (rotating host names), never for a
    /// tracking category.
    Service,
}

/// Idle and visit activity of a name, and whether it grew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdleMatch {
    /// Same name, or same organisation, service and registrable domain.
    pub by: MatchBy,
    /// The baseline's name (for a service match, one of them).
    pub name: String,
    /// Its activity in the baseline (for a service match, of all its names).
    pub idle: Activity,
    /// The baseline's length, milliseconds.
    pub idle_ms: u64,
    /// The activity it is compared with: since the visit mark, else the whole session (for a
    /// service match, of all the device's names of that service).
    pub visit: Activity,
    /// The length of that window, milliseconds.
    pub visit_ms: u64,
    /// The visit's rate is at least [`GROWTH_FACTOR`] times the idle rate.
    pub grew: bool,
}

/// The JSON fields of [`BaselineFacts`] every record has (tests strip them to read old records).
#[cfg(test)]
pub(crate) const FACT_FIELDS: [&str; 5] = [
    "in_baseline",
    "baseline_id",
    "before_visit",
    "background",
    "also_seen_while_idle",
];

/// What the baseline and the visit mark say about one contact of a test session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineFacts {
    /// The baseline saw this name (or its organisation and service).
    #[serde(default)]
    pub in_baseline: bool,
    /// The baseline compared with (`null`: none, or not in this database).
    #[serde(default)]
    pub baseline_id: Option<SessionId>,
    /// The baseline's number in the database this imported session came from, when that
    /// baseline is not in this database (`baseline_id` is then `null`: no local session is it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_baseline_id: Option<SessionId>,
    /// How it matched the baseline, with the rates compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle: Option<IdleMatch>,
    /// First seen before the visit mark.
    #[serde(default)]
    pub before_visit: bool,
    /// Flows and bytes of flows that began at or after the visit mark (only with one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_visit: Option<Activity>,
    /// Listed apart as background and left out of findings 1 to 3 (`null`: in the findings).
    #[serde(default)]
    pub background: Option<Background>,
    /// Seen while idle (or before the visit), but its traffic grew strongly: in the findings.
    #[serde(default)]
    pub also_seen_while_idle: bool,
}

impl BaselineFacts {
    /// The contact was compared with a baseline (in this database or the one it came from).
    pub fn compared(&self) -> bool {
        self.baseline_id.is_some() || self.source_baseline_id.is_some()
    }

    /// `baseline 3`, `baseline #3 of the source database, not in this database`, or `the
    /// baseline`.
    pub fn baseline_words(&self) -> String {
        match (self.baseline_id, self.source_baseline_id) {
            (Some(id), _) => format!("baseline {id}"),
            (None, Some(id)) => {
                format!("baseline #{id} of the source database, not in this database")
            }
            (None, None) => "the baseline".to_owned(),
        }
    }
}

/// A baseline session loaded for comparison: its reference and its contacts' activity.
#[derive(Debug, Clone)]
pub struct IdleBaseline {
    /// What the test session stores of it (`forced` is set by the choice).
    pub reference: BaselineRef,
    window_ns: u64,
    by_name: HashMap<String, Activity>,
    /// (organisation, service, registrable domain) → activity, and one of its names.
    by_service: HashMap<ServiceKey, (Activity, String)>,
}

/// A service's rotating host names: organisation, service and registrable domain
/// (`r3---sn-abc.googlevideo.com` and `r7---sn-xyz.googlevideo.com` are one; YouTube's top
/// site and its embed domain are not).
type ServiceKey = (String, String, String);

/// The service key of a stored contact, when it has an organisation and a service.
fn service_key(c: &ContactRecord) -> Option<ServiceKey> {
    let a = &c.attribution;
    let domain = registrable(&c.name).unwrap_or(&c.name).to_owned();
    Some((a.org.clone()?, a.service.clone()?, domain))
}

impl IdleBaseline {
    /// The baseline `session` with its `contacts`.
    pub fn new(session: &Session, contacts: &[ContactRecord]) -> IdleBaseline {
        let mut by_name: HashMap<String, Activity> = HashMap::new();
        let mut by_service: HashMap<ServiceKey, (Activity, String)> = HashMap::new();
        for c in contacts {
            let a = Activity::of(c);
            by_name.entry(c.name.clone()).or_default().add(a);
            if let Some(key) = service_key(c) {
                let e = by_service
                    .entry(key)
                    .or_insert_with(|| (Activity::default(), c.name.clone()));
                e.0.add(a);
            }
        }
        let end = session.ended.or(session.last_flush);
        IdleBaseline {
            reference: BaselineRef {
                id: session.id,
                label: session.label.clone(),
                devices: devices_of(session),
                started: session.started,
                ended: end,
                forced: false,
                recording: Some(session.recording()),
                elsewhere: false,
            },
            window_ns: window(session.started, end),
            by_name,
            by_service,
        }
    }

    /// The devices the baseline covers.
    pub fn devices(&self) -> &[String] {
        &self.reference.devices
    }
}

/// The devices a session covers: its device filter, else the devices it saw.
pub fn devices_of(s: &Session) -> Vec<String> {
    if s.device_filter.is_empty() {
        s.devices.iter().map(|d| d.device.clone()).collect()
    } else {
        s.device_filter.clone()
    }
}

fn window(from: Option<Timestamp>, to: Option<Timestamp>) -> u64 {
    match (from, to) {
        (Some(a), Some(b)) => b.since(a).max(MIN_WINDOW_NS),
        _ => MIN_WINDOW_NS,
    }
}

/// `visit` over `visit_ns` is at least [`GROWTH_FACTOR`] times `idle` over `idle_ns`, by
/// flows or by bytes, and by more than [`MIN_EXTRA_FLOWS`] / [`MIN_EXTRA_BYTES`].
pub fn grew(idle: Activity, idle_ns: u64, visit: Activity, visit_ns: u64) -> bool {
    let idle_ns = u128::from(idle_ns.max(1));
    // What the idle rate predicts over the visit's window, without floating point.
    let expected = |n: u64| u128::from(n) * u128::from(visit_ns) / idle_ns;
    let check = |seen: u64, idle: u64, min_extra: u64| {
        let (seen, exp) = (u128::from(seen), expected(idle));
        seen >= exp.saturating_mul(u128::from(GROWTH_FACTOR)).max(1)
            && seen.saturating_sub(exp) >= u128::from(min_extra)
    };
    check(visit.flows, idle.flows, MIN_EXTRA_FLOWS)
        || check(visit.bytes, idle.bytes, MIN_EXTRA_BYTES)
}

/// What the comparison knows of the test session.
#[derive(Debug, Clone, Copy)]
pub struct Judge<'a> {
    /// The baseline that applies, if any.
    pub baseline: Option<&'a IdleBaseline>,
    /// Compare every device's contacts with it (a baseline of another device, `--force`).
    pub forced: bool,
    /// The visit mark.
    pub visit: Option<Timestamp>,
    /// The test session's first packet.
    pub started: Option<Timestamp>,
    /// Its last packet so far.
    pub now: Option<Timestamp>,
}

/// A category whose names are subtracted only by the very same name.
fn tracking(c: Option<Category>) -> bool {
    c.is_some_and(|c| TRACKING_CATEGORIES.contains(&c) || c == Category::TagManager)
}

impl Judge<'_> {
    /// Decide every record's [`BaselineFacts`] (their `since_visit` already filled in when a
    /// visit mark is set) and settle `background-or-site` names where a baseline or the visit
    /// mark speaks for them.
    pub fn apply(&self, records: &mut [ContactRecord]) {
        if self.baseline.is_none() && self.visit.is_none() {
            // Nothing to compare with: every record keeps the default facts.
            return;
        }
        let visit_ns = window(self.visit.or(self.started), self.now);
        let mut by_service: HashMap<(String, ServiceKey), Activity> = HashMap::new();
        // Totals per service are only compared with a baseline's.
        for c in records.iter().filter(|_| self.baseline.is_some()) {
            if let Some(key) = service_key(c) {
                let total = by_service.entry((c.device.clone(), key)).or_default();
                total.add(self.visit_activity(c));
            }
        }
        for c in records.iter_mut() {
            let service_total = service_key(c)
                .and_then(|key| by_service.get(&(c.device.clone(), key)))
                .copied();
            self.judge(c, visit_ns, service_total);
        }
    }

    fn visit_activity(&self, c: &ContactRecord) -> Activity {
        match self.visit {
            Some(_) => c.baseline.since_visit.unwrap_or_default(),
            None => Activity::of(c),
        }
    }

    fn covers(&self, device: &str) -> Option<&IdleBaseline> {
        self.baseline
            .filter(|b| self.forced || b.devices().iter().any(|d| d == device))
    }

    fn judge(&self, c: &mut ContactRecord, visit_ns: u64, service_total: Option<Activity>) {
        let since_visit = c.baseline.since_visit.filter(|_| self.visit.is_some());
        let baseline = self.covers(&c.device);
        let idle = baseline.and_then(|b| self.matched(b, c, visit_ns, service_total));
        let before_visit = self.visit.is_some_and(|v| c.first_seen < v);
        let grew_after_visit = match (self.visit, before_visit) {
            (Some(v), true) => {
                let after = since_visit.unwrap_or_default();
                let all = Activity::of(c);
                let before = Activity {
                    flows: all.flows.saturating_sub(after.flows),
                    bytes: all.bytes.saturating_sub(after.bytes),
                };
                let before_ns = window(self.started, Some(v));
                Some(grew(before, before_ns, after, window(Some(v), self.now)))
            }
            _ => None,
        };
        let grew_any = idle.as_ref().is_some_and(|m| m.grew) || grew_after_visit == Some(true);
        let background = if grew_any {
            None
        } else if idle.is_some() {
            Some(Background::SeenWhileIdle)
        } else if before_visit {
            Some(Background::BeforeVisit)
        } else {
            None
        };
        if baseline.is_some() || before_visit {
            c.attribution.settle_with_baseline(background.is_some());
        }
        c.baseline = BaselineFacts {
            in_baseline: idle.is_some(),
            baseline_id: self.baseline.map(|b| b.reference.id),
            source_baseline_id: None,
            idle,
            before_visit,
            since_visit,
            background,
            also_seen_while_idle: grew_any,
        };
    }

    fn matched(
        &self,
        b: &IdleBaseline,
        c: &ContactRecord,
        visit_ns: u64,
        service_total: Option<Activity>,
    ) -> Option<IdleMatch> {
        let (by, name, idle, visit) = if let Some(a) = b.by_name.get(&c.name) {
            (MatchBy::Name, c.name.clone(), *a, self.visit_activity(c))
        } else {
            let a = &c.attribution;
            if tracking(a.category) || a.party == Party::Local {
                return None;
            }
            let (idle, name) = b.by_service.get(&service_key(c)?)?;
            (MatchBy::Service, name.clone(), *idle, service_total?)
        };
        Some(IdleMatch {
            by,
            name,
            idle,
            idle_ms: b.window_ns / 1_000_000,
            visit,
            visit_ms: visit_ns / 1_000_000,
            grew: grew(idle, b.window_ns, visit, visit_ns),
        })
    }
}

/// After `--reattribute`: keep what the baseline said of each contact when it was recorded,
/// and settle the re-attributed `background-or-site` names with it again. A name matched by
/// service that today's signatures call a tracker is put back into the findings (trackers are
/// subtracted only by their own name).
pub fn resettle(contacts: &mut [ContactRecord]) {
    for c in contacts.iter_mut() {
        let f = &mut c.baseline;
        let by_service = f.idle.as_ref().is_some_and(|m| m.by == MatchBy::Service);
        if by_service && tracking(c.attribution.category) {
            f.in_baseline = false;
            f.idle = None;
            if f.background == Some(Background::SeenWhileIdle) {
                f.background = f.before_visit.then_some(Background::BeforeVisit);
            }
        }
        if f.compared() || f.before_visit {
            c.attribution.settle_with_baseline(f.background.is_some());
        }
    }
}
