//! Live publication: which contacts a live run's subscribers must be told about, between the
//! store's flushes.
//!
//! A contact that is new, or whose party, category (its whole attribution), consent phase,
//! blocked state or ways of being seen changed, is told at the next publication (the live run
//! publishes every few milliseconds after packets); a contact whose counts alone changed
//! (queries, flows, bytes) waits for the next counters publication. Only contacts an
//! observation touched are looked at, so a publication costs what changed, not every contact.

use std::collections::{HashMap, HashSet};

use super::{ContactRecord, Phase, Recorder};
use crate::attribute::{Attribution, Blocked};
use crate::contact::Touched;
use crate::observation::DeviceId;

type Hasher = foldhash::fast::RandomState;
type Names = HashMap<DeviceId, HashSet<String, Hasher>, Hasher>;

/// What subscribers were last shown of a contact that matters (not its counts).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shown {
    attribution: Attribution,
    phase: Phase,
    blocked: Option<Blocked>,
    via: Vec<String>,
}

/// The contacts to tell subscribers about.
#[derive(Debug, Default)]
pub(super) struct Publication {
    /// Touched since the last publication.
    fresh: Names,
    /// Touched earlier with only their counts changed: sent with the next counters.
    counts: Names,
    shown: HashMap<(DeviceId, String), Shown, Hasher>,
}

impl Publication {
    /// An observation counted for this contact.
    pub(super) fn touch(&mut self, touched: Touched<'_>) {
        if let Touched::Contact { device, name, .. } = touched {
            let names = self.fresh.entry(device).or_default();
            if !names.contains(name) {
                names.insert(name.to_owned());
            }
        }
    }
}

impl Recorder {
    /// Tell subscribers of a live run about contacts as they change
    /// ([`Recorder::live_changes`]): from now on observations note the contacts they touch.
    pub fn publish_live(&mut self) {
        self.live.get_or_insert_default();
    }

    /// Contacts new or changed in a way that matters since the last call; with `counts`, also
    /// those whose counts alone changed. Records as the store keeps them (phase, attribution,
    /// evidence). Empty unless [`Recorder::publish_live`] was called.
    pub fn live_changes(&mut self, counts: bool) -> Vec<ContactRecord> {
        let Some(mut live) = self.live.take() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (device, names) in std::mem::take(&mut live.fresh) {
            for name in names {
                match self.live_record(device, &name, &mut live) {
                    Some(rec) => out.push(rec),
                    None => {
                        live.counts.entry(device).or_default().insert(name);
                    }
                }
            }
        }
        if counts {
            for (device, names) in std::mem::take(&mut live.counts) {
                for name in names {
                    out.extend(self.record_of(device, &name));
                }
            }
        }
        self.live = Some(live);
        out.sort_by(|a, b| (a.first_seen, &a.name).cmp(&(b.first_seen, &b.name)));
        out
    }

    /// Every contact now, as [`Recorder::live_changes`] tells them: what a new subscriber (or
    /// one that fell behind) is shown first.
    pub fn live_snapshot(&mut self) -> Vec<ContactRecord> {
        let all = self.contacts.attributed(&self.attributor);
        let mut out = Vec::with_capacity(all.len());
        for c in &all {
            let rec = self.record(c);
            if let Some(live) = self.live.as_mut() {
                live.shown.insert((c.device, c.name.clone()), shown(&rec));
            }
            out.push(rec);
        }
        out
    }

    /// The contact's record when it is new or changed in a way that matters (then noted as
    /// shown); `None` when only its counts changed.
    fn live_record(
        &self,
        device: DeviceId,
        name: &str,
        live: &mut Publication,
    ) -> Option<ContactRecord> {
        let rec = self.record_of(device, name)?;
        let now = shown(&rec);
        let key = (device, name.to_owned());
        if live.shown.get(&key) == Some(&now) {
            return None;
        }
        live.shown.insert(key, now);
        Some(rec)
    }

    fn record_of(&self, device: DeviceId, name: &str) -> Option<ContactRecord> {
        let c = self
            .contacts
            .attributed_one(device, name, &self.attributor)?;
        Some(self.record(&c))
    }

    fn record(&self, c: &crate::contact::Contact) -> ContactRecord {
        let evidence = self.evidence.of(c.device, &c.name).to_vec();
        let phase = self.session.phase_at(c.first_seen);
        ContactRecord::new(self.session.id, phase, c, evidence)
    }
}

fn shown(rec: &ContactRecord) -> Shown {
    Shown {
        attribution: rec.attribution.clone(),
        phase: rec.phase,
        blocked: rec.blocked,
        via: rec.via.clone(),
    }
}
