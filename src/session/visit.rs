//! The recorder's side of issue 18: which idle baseline a test session is compared with, and
//! the flows each contact made since the visit mark.

use std::collections::HashMap;

use super::{Against, BaselineRef, Choice, ContactRecord, IdleBaseline};
use crate::contact::Touched;
use crate::observation::{DeviceId, Observation};
use crate::session::Activity;
use crate::time::Timestamp;

type Hasher = foldhash::fast::RandomState;

/// How a recording finds its baseline (given by the command line, which reads the store).
#[derive(Debug, Clone)]
pub struct BaselinePlan {
    choice: Choice,
    max_age_days: u32,
    /// The named baseline, or the latest baseline of each device that has one.
    candidates: Vec<IdleBaseline>,
    /// The candidate in use, once a device of the session has one.
    chosen: Option<usize>,
    forced: bool,
}

impl BaselinePlan {
    /// `--no-baseline`: nothing is compared, and the session says so.
    pub fn off(max_age_days: u32) -> BaselinePlan {
        BaselinePlan {
            choice: Choice::Off,
            max_age_days,
            candidates: Vec::new(),
            chosen: None,
            forced: false,
        }
    }

    /// `--against ID`: this baseline; `forced` when it is another device's (`--force`).
    pub fn named(mut baseline: IdleBaseline, forced: bool, max_age_days: u32) -> BaselinePlan {
        baseline.reference.forced = forced;
        BaselinePlan {
            choice: Choice::Named,
            max_age_days,
            candidates: vec![baseline],
            chosen: Some(0),
            forced,
        }
    }

    /// The default: the latest baseline of the session's device, from `candidates` (the latest
    /// baseline of each device that has one), chosen once a device with one is seen.
    pub fn latest(candidates: Vec<IdleBaseline>, max_age_days: u32) -> BaselinePlan {
        BaselinePlan {
            choice: Choice::Latest,
            max_age_days,
            candidates,
            chosen: None,
            forced: false,
        }
    }

    /// The baseline compared with, once chosen.
    pub fn baseline(&self) -> Option<&IdleBaseline> {
        self.candidates.get(self.chosen?)
    }

    /// A baseline of another device is compared with every device's contacts.
    pub fn forced(&self) -> bool {
        self.forced
    }

    /// Choose the latest baseline of the device first seen among `records` that has one.
    pub(super) fn decide(&mut self, records: &[ContactRecord]) {
        if self.chosen.is_some() || self.choice != Choice::Latest {
            return;
        }
        let first = records
            .iter()
            .filter_map(|r| {
                let i = self
                    .candidates
                    .iter()
                    .position(|b| b.devices().contains(&r.device))?;
                Some((r.first_seen, i))
            })
            .min();
        self.chosen = first.map(|(_, i)| i);
    }

    /// What the session stores of the choice, given its contacts so far.
    pub(super) fn against(&self, records: &[ContactRecord]) -> Against {
        let baseline: Option<BaselineRef> = self.baseline().map(|b| b.reference.clone());
        let refused = baseline.as_ref().and_then(|b| {
            let covered = records.iter().any(|r| b.devices.contains(&r.device));
            (!self.forced && !records.is_empty() && !covered).then(|| {
                format!(
                    "it was recorded on {} and none of this session's contacts is of that \
                     device (pass --force to compare anyway)",
                    if b.devices.is_empty() {
                        "no device".to_owned()
                    } else {
                        b.devices.join(" ")
                    }
                )
            })
        });
        Against {
            choice: self.choice,
            baseline,
            max_age_days: self.max_age_days,
            refused,
        }
    }
}

/// Flows (and their bytes) of each contact that began at or after the visit mark.
#[derive(Debug, Default)]
pub(super) struct VisitTally {
    /// Device, then name (looked up as `&str`, so a batch allocates nothing).
    since: HashMap<DeviceId, HashMap<String, Activity, Hasher>, Hasher>,
}

impl VisitTally {
    /// Count `obs` for the contact it `touched` when it is a flow that began at or after
    /// `visit`. Bounded like the contacts: one entry per contact.
    pub(super) fn attach(
        &mut self,
        obs: &Observation,
        touched: Touched<'_>,
        visit: Option<Timestamp>,
    ) {
        let (Observation::FlowEnd(f), Touched::Contact { device, name, .. }, Some(v)) =
            (obs, touched, visit)
        else {
            return;
        };
        if f.first < v {
            return;
        }
        let names = self.since.entry(device).or_default();
        if !names.contains_key(name) {
            names.insert(name.to_owned(), Activity::default());
        }
        let Some(a) = names.get_mut(name) else {
            return;
        };
        a.flows = a.flows.saturating_add(1);
        a.bytes = a
            .bytes
            .saturating_add(f.bytes_up.saturating_add(f.bytes_down));
    }

    /// What `device` did with `name` since the visit mark.
    pub(super) fn of(&self, device: DeviceId, name: &str) -> Activity {
        self.since
            .get(&device)
            .and_then(|names| names.get(name))
            .copied()
            .unwrap_or_default()
    }
}
