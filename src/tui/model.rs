//! The dashboard's state: what the session is, what was contacted, what the tester looks at.
//!
//! Everything the view draws is here, already resolved (the signature's purpose is looked up when
//! a contact arrives), so `view` stays a pure function of this struct.

use std::collections::{BTreeMap, HashMap};

use crate::attribute::{Attributor, Category, Party};
use crate::session::{ContactRecord, Phase, Session, phase_at};
use crate::time::Timestamp;

pub use super::timeline::{MAX_TIMELINE_BUCKETS, Timeline};

/// Contacts the dashboard keeps; past this new contacts are counted, not shown.
pub const MAX_ROWS: usize = 100_000;
/// Longest text a prompt accepts (a mark's note, a label, a filter).
pub const MAX_PROMPT: usize = 200;

/// What the signature behind a contact says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct About {
    /// The service ("Google Analytics").
    pub service: String,
    /// One sentence: why a device contacts it.
    pub purpose: String,
    /// Where the facts come from.
    pub source: String,
    /// The signature layer that matched (`builtin`, a directory).
    pub layer: String,
}

/// One contact as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The contact.
    pub record: ContactRecord,
    /// Its signature's explanation, when one matched.
    pub about: Option<About>,
}

/// The main screens (`tab` cycles the first three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// The contacts table with the timeline strip.
    #[default]
    Contacts,
    /// The timeline, large.
    Timeline,
    /// Devices seen: follow one, label them.
    Devices,
    /// Key help.
    Help,
}

/// Table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Newest first seen on top.
    #[default]
    Newest,
    /// Grouped by organisation, then by first seen.
    ByOrg,
}

/// What a text prompt is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// A page mark's text.
    Page,
    /// A note mark's text.
    Note,
    /// The label of a new session.
    NewSession,
    /// The table filter.
    Filter,
    /// A label for this device.
    DeviceLabel(String),
}

/// An open text prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// What the text is for.
    pub kind: PromptKind,
    /// Typed so far.
    pub text: String,
}

/// What the source of events allows and says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceInfo {
    /// One line: `replay captures/x.pcapng at 10x`, `stored session 3`, `live`.
    pub describe: String,
    /// Marks and sessions can be made (false when browsing a stored session).
    pub writable: bool,
    /// A session is being recorded into the database now (quit asks first).
    pub recording: bool,
    /// The source has no more packets (end of the capture).
    pub ended: bool,
}

/// What the tester looks at and how.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewState {
    /// Current screen.
    pub screen: Screen,
    /// Screen to return to when help closes.
    pub back: Screen,
    /// Table order.
    pub order: Order,
    /// Hide first-party rows.
    pub hide_first: bool,
    /// Hide the phone's own background rows.
    pub hide_os: bool,
    /// Hide rows seen while idle (in the baseline) or before the visit mark.
    pub hide_baseline: bool,
    /// Only this device's contacts.
    pub follow: Option<String>,
    /// Only rows whose name, org, service or category contain this (lower case).
    pub filter: String,
    /// Selected contact (device, name): stays on it while rows arrive above.
    pub selected: Option<(String, String)>,
    /// The detail pane is open.
    pub detail: bool,
    /// Selected line of the devices screen.
    pub device_cursor: usize,
    /// An open prompt.
    pub prompt: Option<Prompt>,
    /// Asking whether to quit (a session is recording).
    pub confirm_quit: bool,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
}

/// The dashboard state.
#[derive(Debug)]
pub struct Model {
    /// The session shown (label, site, marks, devices, stats).
    pub session: Option<Session>,
    /// What the source is.
    pub source: SourceInfo,
    /// Contacts by (device, name).
    pub rows: HashMap<(String, String), Row>,
    /// Contacts not kept because [`MAX_ROWS`] was reached.
    pub rows_dropped: u64,
    /// Contacts first seen per time bucket and party.
    pub timeline: Timeline,
    /// The current instant: last packet time in replays, wall clock live.
    pub now: Option<Timestamp>,
    /// Packets analysed.
    pub packets: u64,
    /// Packets lost before analysis (kernel drops, back-pressure).
    pub drops: u64,
    /// The tester's device labels, by device.
    pub labels: BTreeMap<String, String>,
    /// Last message for the status line.
    pub status: String,
    /// Selection, filters, screen, prompt.
    pub ui: ViewState,
    /// Set once the tester quit.
    pub quit: bool,
    attributor: Attributor,
}

impl Model {
    /// An empty dashboard; `attributor` explains contacts (purpose and source of signatures).
    pub fn new(attributor: Attributor) -> Model {
        Model {
            session: None,
            source: SourceInfo::default(),
            rows: HashMap::new(),
            rows_dropped: 0,
            timeline: Timeline::default(),
            now: None,
            packets: 0,
            drops: 0,
            labels: BTreeMap::new(),
            status: String::new(),
            ui: ViewState {
                size: (80, 24),
                ..ViewState::default()
            },
            quit: false,
            attributor,
        }
    }

    /// Take new or changed contacts. A record without evidence keeps the evidence it had.
    pub fn upsert(&mut self, records: Vec<ContactRecord>) {
        for rec in records {
            let key = (rec.device.clone(), rec.name.clone());
            if let Some(row) = self.rows.get_mut(&key) {
                let evidence = std::mem::take(&mut row.record.evidence);
                row.record = rec;
                if row.record.evidence.is_empty() {
                    row.record.evidence = evidence;
                }
                continue;
            }
            if self.rows.len() >= MAX_ROWS {
                self.rows_dropped += 1;
                continue;
            }
            self.timeline.add(rec.first_seen, rec.attribution.party);
            let about = self.about(&rec);
            self.rows.insert(key, Row { record: rec, about });
        }
    }

    /// Forget all contacts (a new session began).
    pub fn clear_contacts(&mut self) {
        self.rows.clear();
        self.rows_dropped = 0;
        self.timeline = Timeline::default();
        self.ui.selected = None;
    }

    fn about(&self, rec: &ContactRecord) -> Option<About> {
        let a = &rec.attribution;
        let m = a
            .matched
            .as_deref()
            .and_then(|d| self.attributor.lookup(d))
            .or_else(|| self.attributor.lookup(&rec.name))?;
        Some(About {
            service: m.service.name.clone(),
            purpose: m.service.purpose.clone(),
            source: a
                .matched
                .as_deref()
                .map_or(m.service.source.as_str(), |d| m.service.source_of(d))
                .to_owned(),
            layer: m.layer.to_owned(),
        })
    }

    /// The consent phase now.
    pub fn phase(&self) -> Phase {
        match (&self.session, self.now) {
            (Some(s), Some(now)) => phase_at(&s.marks, now),
            (Some(s), None) => s
                .marks
                .last()
                .map_or(Phase::BeforeConsent, |m| phase_at(&s.marks, m.ts)),
            _ => Phase::BeforeConsent,
        }
    }

    /// The instant the session began (first packet), else the first contact.
    pub fn origin(&self) -> Option<Timestamp> {
        self.session
            .as_ref()
            .and_then(|s| s.started)
            .or_else(|| self.rows.values().map(|r| r.record.first_seen).min())
    }

    /// Nanoseconds since the session began.
    pub fn elapsed_ns(&self) -> u64 {
        match (self.origin(), self.now) {
            (Some(o), Some(n)) => n.since(o),
            _ => 0,
        }
    }

    /// Rows shown in the table, in table order, after the hide keys, follow and filter.
    pub fn visible(&self) -> Vec<&Row> {
        let ui = &self.ui;
        let mut v: Vec<&Row> = self.rows.values().filter(|r| self.shown(r)).collect();
        match ui.order {
            Order::Newest => v.sort_by(|a, b| {
                (b.record.first_seen, &a.record.name).cmp(&(a.record.first_seen, &b.record.name))
            }),
            Order::ByOrg => v.sort_by(|a, b| {
                (org_key(a), a.record.first_seen, &a.record.name).cmp(&(
                    org_key(b),
                    b.record.first_seen,
                    &b.record.name,
                ))
            }),
        }
        v
    }

    fn shown(&self, r: &Row) -> bool {
        let ui = &self.ui;
        let a = &r.record.attribution;
        if ui.hide_first && a.party == Party::First {
            return false;
        }
        if ui.hide_os && a.party == Party::OsBackground {
            return false;
        }
        if ui.hide_baseline && r.record.baseline.background.is_some() {
            return false;
        }
        if ui.follow.as_ref().is_some_and(|d| *d != r.record.device) {
            return false;
        }
        if ui.filter.is_empty() {
            return true;
        }
        let hay = [
            Some(r.record.name.as_str()),
            a.org.as_deref(),
            a.service.as_deref(),
            a.category.map(Category::as_str),
        ];
        hay.iter()
            .flatten()
            .any(|h| h.to_lowercase().contains(&ui.filter))
    }

    /// Index of the selected row in [`Model::visible`] (the first row when none is selected).
    pub fn selected_index(&self, visible: &[&Row]) -> usize {
        self.ui
            .selected
            .as_ref()
            .and_then(|(d, n)| {
                visible
                    .iter()
                    .position(|r| r.record.device == *d && r.record.name == *n)
            })
            .unwrap_or(0)
    }

    /// The selected row, if any row is visible.
    pub fn selected_row(&self) -> Option<&Row> {
        let v = self.visible();
        let i = self.selected_index(&v);
        v.get(i).copied()
    }

    /// Every device known: from the session record, and from contacts.
    pub fn devices(&self) -> Vec<String> {
        let mut d: Vec<String> = self
            .session
            .iter()
            .flat_map(|s| s.devices.iter().map(|d| d.device.clone()))
            .chain(self.rows.keys().map(|(d, _)| d.clone()))
            .collect();
        d.sort();
        d.dedup();
        d
    }

    /// Third parties the findings would count: those seen while idle are background.
    pub fn third_parties(&self) -> usize {
        self.rows
            .values()
            .filter(|r| {
                r.record.attribution.party == Party::Third && r.record.baseline.background.is_none()
            })
            .count()
    }

    /// Contacts whose traffic was (partly) hidden, by kind word.
    pub fn hidden(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for r in self.rows.values() {
            if let Some(h) = r.record.attribution.hidden {
                *m.entry(h.as_str()).or_insert(0) += 1;
            }
        }
        m
    }
}

/// Sort key for grouping by organisation: known organisations first, by name.
fn org_key(r: &Row) -> (bool, &str) {
    match r.record.attribution.org.as_deref() {
        Some(o) => (false, o),
        None => (true, ""),
    }
}
