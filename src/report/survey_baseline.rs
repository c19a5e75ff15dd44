//! Which idle baseline (issue 18) each survey row's session was compared with, and where that
//! baseline is: an evaluator's database holds sessions imported from many appliances, so a
//! row's baseline may be a session here, or one that stayed on the appliance.
//!
//! A bundle carries the session's `against` as recorded, so an imported session's baseline
//! number is the exporting database's; it is looked up here by what identifies a recording
//! (label and first packet), never trusted as a number of this database. [`row_baseline`] is
//! the only place that reads that representation.

use serde::Serialize;

use super::Report;
use crate::session::{BaselineRef, Choice, Session, SessionId};
use crate::time::Timestamp;

/// A baseline session of the surveyed database, as a row's baseline is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineHere {
    /// Its number here.
    pub id: SessionId,
    /// Its label.
    pub label: String,
    /// Its first packet.
    pub started: Option<Timestamp>,
}

impl BaselineHere {
    /// The baseline sessions among `sessions`.
    pub fn of(sessions: &[Session]) -> Vec<BaselineHere> {
        sessions
            .iter()
            .filter(|s| s.baseline)
            .map(|s| BaselineHere {
                id: s.id,
                label: s.label.clone(),
                started: s.started,
            })
            .collect()
    }
}

/// A row's baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowBaseline {
    /// The session is itself an idle baseline.
    pub is_baseline: bool,
    /// A baseline was applied: its names were set apart from findings 1 to 3.
    pub applied: bool,
    /// The baseline's number in this database (`null`: none, or not in this database).
    pub id: Option<SessionId>,
    /// Its number where the session was recorded, when that is not [`RowBaseline::id`].
    pub recorded_id: Option<SessionId>,
    /// Its label.
    pub label: Option<String>,
    /// The session names a baseline that is not in this database (it stayed on the appliance
    /// the session was exported from, or was deleted).
    pub elsewhere: bool,
    /// Third-party names listed apart as background, not counted (the report's summary).
    pub background_third_parties: usize,
    /// All of it in one line, as every format shows it ([`baseline_text`]).
    pub text: String,
}

/// The baseline of `report`'s session; `here` the baseline sessions of this database.
pub fn row_baseline(report: &Report, here: &[BaselineHere]) -> RowBaseline {
    let s = &report.session;
    let chosen = s.against.as_ref();
    let named: Option<&BaselineRef> = chosen.and_then(|a| a.baseline.as_ref());
    let found = named.and_then(|b| {
        here.iter()
            .find(|h| h.label == b.label && h.started == b.started)
    });
    let mut row = RowBaseline {
        is_baseline: s.baseline,
        applied: chosen.and_then(|a| a.applied()).is_some(),
        id: found.map(|h| h.id),
        recorded_id: named
            .map(|b| b.id)
            .filter(|n| Some(*n) != found.map(|h| h.id)),
        label: named.map(|b| b.label.clone()),
        elsewhere: named.is_some() && found.is_none(),
        background_third_parties: report.summary.background_third_party_contacts,
        text: String::new(),
    };
    row.text = baseline_text(&row, chosen.map(|a| a.choice));
    row
}

/// `1 "idle iPhone"`, `none`, `an idle baseline`, `"idle iPhone" (session 4 where recorded; not
/// in this database)`, with why none applied when one was named.
fn baseline_text(b: &RowBaseline, choice: Option<Choice>) -> String {
    if b.is_baseline {
        return "an idle baseline".to_owned();
    }
    let Some(label) = &b.label else {
        return match choice {
            Some(Choice::Off) => "none (--no-baseline)",
            Some(_) => "none (none recorded for the device)",
            // Recorded before baselines existed.
            None => "none",
        }
        .to_owned();
    };
    let mut s = match (b.id, b.recorded_id) {
        // Quoted as the report's line quotes it (`Against::describe`).
        (Some(id), _) => format!("{id} \"{label}\""),
        (None, Some(there)) => {
            format!("\"{label}\" (session {there} where recorded; not in this database)")
        }
        (None, None) => format!("\"{label}\" (not in this database)"),
    };
    if !b.applied {
        s.push_str(": not applied");
    }
    s
}
