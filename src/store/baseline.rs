//! Idle baselines in the database (issue 18): marking a session as one, and finding the
//! baseline a new test session is compared with.

use super::{Store, StoreError};
use crate::session::{BaselinePlan, IdleBaseline, Session, SessionId, SessionState, devices_of};

/// What the tester asked for about baselines when starting a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineRequest {
    /// The session being recorded is itself a baseline (`--baseline`): nothing is compared.
    IsBaseline,
    /// `--no-baseline`.
    Off,
    /// `--against ID`, and whether a baseline of another device is wanted anyway (`--force`).
    Named {
        /// The baseline session.
        id: SessionId,
        /// Use it even when recorded on another device.
        force: bool,
    },
    /// The default: the latest baseline of the same device, when there is one.
    Latest,
}

impl Store {
    /// Make session `id` an idle baseline (or, with `false`, an ordinary session again).
    pub fn set_baseline(&mut self, id: SessionId, baseline: bool) -> Result<Session, StoreError> {
        let mut s = self.session(id)?;
        s.baseline = baseline;
        if baseline {
            s.against = None;
        }
        self.put_session(&s)?;
        self.sync()?;
        Ok(s)
    }

    /// Baseline `id` loaded for comparison: it must be a finished baseline session.
    pub fn idle_baseline(&self, id: SessionId) -> Result<IdleBaseline, StoreError> {
        let s = self.session(id)?;
        if !s.baseline {
            return Err(StoreError::NotBaseline(id));
        }
        if s.state == SessionState::Recording {
            return Err(StoreError::BaselineRecording(id));
        }
        Ok(IdleBaseline::new(&s, &self.contacts(id)?))
    }

    /// The latest finished baseline of each device that has one, newest first.
    pub fn latest_baselines(&self) -> Result<Vec<IdleBaseline>, StoreError> {
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for s in self.sessions()?.iter().rev() {
            if !s.baseline || s.state == SessionState::Recording {
                continue;
            }
            let devices = devices_of(s);
            if devices.iter().all(|d| seen.contains(d)) {
                continue;
            }
            seen.extend(devices);
            out.push(IdleBaseline::new(s, &self.contacts(s.id)?));
        }
        Ok(out)
    }

    /// The baseline plan of a new recording of `devices` (its `--device` filter; empty: all),
    /// with baselines older than `max_age_days` used with a caveat; `None` when the recording
    /// is itself a baseline. A named baseline of another device is refused unless forced.
    pub fn baseline_plan(
        &self,
        request: &BaselineRequest,
        devices: &[String],
        max_age_days: u32,
    ) -> Result<Option<BaselinePlan>, StoreError> {
        Ok(Some(match request {
            BaselineRequest::IsBaseline => return Ok(None),
            BaselineRequest::Off => BaselinePlan::off(max_age_days),
            BaselineRequest::Latest => {
                let mut all = self.latest_baselines()?;
                if !devices.is_empty() {
                    all.retain(|b| b.devices().iter().any(|d| devices.contains(d)));
                }
                BaselinePlan::latest(all, max_age_days)
            }
            BaselineRequest::Named { id, force } => {
                let b = self.idle_baseline(*id)?;
                let other = !devices.is_empty() && !b.devices().iter().any(|d| devices.contains(d));
                if other && !force {
                    return Err(StoreError::OtherDevice {
                        id: *id,
                        baseline: b.devices().join(" "),
                        session: devices.join(" "),
                    });
                }
                // Forced only where it matters: another device, or devices not known yet.
                let forced = *force && (other || devices.is_empty());
                BaselinePlan::named(b, forced, max_age_days)
            }
        }))
    }
}
