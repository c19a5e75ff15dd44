//! Marks the tester sets during a session, and the consent phase they define.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ts;
use crate::time::Timestamp;

/// What a mark says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MarkKind {
    /// The tester accepted cookies / tracking.
    ConsentAccepted,
    /// The tester rejected cookies / tracking.
    ConsentRejected,
    /// A step in the site, in free text ("opened login").
    Page,
    /// A free note.
    Note,
    /// The tester opened the service under test: contacts first seen before it are "before
    /// the visit" (the device on its own), and findings 1 to 3 count from it (issue 18).
    Visit,
}

impl MarkKind {
    /// The word used on the command line and in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            MarkKind::ConsentAccepted => "consent-accepted",
            MarkKind::ConsentRejected => "consent-rejected",
            MarkKind::Page => "page",
            MarkKind::Note => "note",
            MarkKind::Visit => "visit",
        }
    }
}

impl fmt::Display for MarkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MarkKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "consent-accepted" => Ok(MarkKind::ConsentAccepted),
            "consent-rejected" => Ok(MarkKind::ConsentRejected),
            "page" => Ok(MarkKind::Page),
            "note" => Ok(MarkKind::Note),
            "visit" => Ok(MarkKind::Visit),
            _ => Err(format!(
                "unknown mark {s:?}: use consent-accepted, consent-rejected, page, note or visit"
            )),
        }
    }
}

/// One mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// When (packet time for replays, wall clock for live sessions).
    #[serde(with = "ts")]
    pub ts: Timestamp,
    /// What.
    pub kind: MarkKind,
    /// Free text (the page for `page`, the note for `note`, optional for consent marks).
    pub text: Option<String>,
}

/// The consent phase of an instant: the last consent mark before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// No consent decision yet.
    BeforeConsent,
    /// After the tester accepted.
    ConsentAccepted,
    /// After the tester rejected.
    ConsentRejected,
}

impl Phase {
    /// The word used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::BeforeConsent => "before-consent",
            Phase::ConsentAccepted => "consent-accepted",
            Phase::ConsentRejected => "consent-rejected",
        }
    }
}

/// The phase at `ts` given marks in time order: a mark at exactly `ts` already counts, since
/// the tester clicks before the traffic the click causes.
pub fn phase_at(marks: &[Mark], ts: Timestamp) -> Phase {
    marks
        .iter()
        .take_while(|m| m.ts <= ts)
        .filter_map(|m| match m.kind {
            MarkKind::ConsentAccepted => Some(Phase::ConsentAccepted),
            MarkKind::ConsentRejected => Some(Phase::ConsentRejected),
            MarkKind::Page | MarkKind::Note | MarkKind::Visit => None,
        })
        .last()
        .unwrap_or(Phase::BeforeConsent)
}

/// The instant the tester opened the service: the first visit mark, if any.
pub fn visit_at(marks: &[Mark]) -> Option<Timestamp> {
    marks
        .iter()
        .find(|m| m.kind == MarkKind::Visit)
        .map(|m| m.ts)
}

/// When a mark given on the command line happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkTime {
    /// Nanoseconds after the first packet.
    Offset(u64),
    /// An absolute instant.
    At(Timestamp),
}

/// A mark as given to `replay --mark KIND@WHEN[=TEXT]`, before the first packet is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkSpec {
    /// What.
    pub kind: MarkKind,
    /// When.
    pub at: MarkTime,
    /// Free text after `=`.
    pub text: Option<String>,
}

impl MarkSpec {
    /// The mark, given the first packet's time.
    pub fn resolve(&self, first_packet: Timestamp) -> Mark {
        let ts = match self.at {
            MarkTime::Offset(ns) => Timestamp(first_packet.0.saturating_add(ns)),
            MarkTime::At(t) => t,
        };
        Mark {
            ts,
            kind: self.kind,
            text: self.text.clone(),
        }
    }
}

impl FromStr for MarkSpec {
    type Err = String;

    /// `consent-accepted@12.5s`, `page@30s=opened login`, `note@2024-05-01T14:03:00Z=banner`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (head, text) = match s.split_once('=') {
            Some((h, t)) => (h, Some(t.to_owned())),
            None => (s, None),
        };
        let (kind, when) = head
            .split_once('@')
            .ok_or_else(|| format!("mark {s:?}: expected KIND@WHEN[=TEXT], e.g. page@30s=login"))?;
        let kind: MarkKind = kind.parse()?;
        if kind == MarkKind::Page && text.as_deref().is_none_or(str::is_empty) {
            return Err(format!(
                "mark {s:?}: a page mark needs its text, e.g. page@30s=opened login"
            ));
        }
        let at = parse_when(when).ok_or_else(|| {
            format!(
                "mark {s:?}: {when:?} is neither seconds after the first packet (12.5s) \
                 nor an RFC 3339 time"
            )
        })?;
        Ok(MarkSpec { kind, at, text })
    }
}

fn parse_when(when: &str) -> Option<MarkTime> {
    let secs = when.strip_suffix('s').unwrap_or(when);
    if let Ok(v) = secs.parse::<f64>() {
        if !(0.0..1e9).contains(&v) {
            return None;
        }
        // Round to whole microseconds so "0.1s" means what it says.
        let micros = (v * 1e6).round() as u64;
        return Some(MarkTime::Offset(micros.saturating_mul(1000)));
    }
    ts::parse(when).map(MarkTime::At)
}
