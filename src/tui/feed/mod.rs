//! Where the dashboard's events come from. A [`Feed`] runs on its own thread, sends [`Msg`]s
//! and takes [`Control`]s (marks, sessions, labels, stop), so the same model and view serve a
//! replayed capture, a stored session and a running `sporfri live` over its control socket.

mod live;
mod replay;
mod stored;

use std::str::FromStr;
use std::sync::mpsc::{Receiver, SyncSender};

pub use live::LiveFeed;
pub use replay::{CaptureEnd, ReplayFeed, ReplayOptions, replay_into};
pub use stored::StoredFeed;

use super::update::{Effect, Msg, Pace};
use crate::session::MarkKind;

/// What the dashboard asks of its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Add a mark at the current instant.
    Mark(MarkKind, Option<String>),
    /// End the current session and record a new one with this label.
    NewSession(String),
    /// End the current session.
    EndSession,
    /// Set (empty: clear) a device's label.
    LabelDevice {
        /// Device.
        device: String,
        /// Label.
        label: String,
    },
    /// Pause or resume a replay, or change its speed.
    Pace(Pace),
    /// The dashboard is closing: finish what is open and return.
    Stop,
}

impl Control {
    /// The control an effect asks for (`None` for effects the event loop handles itself).
    pub fn from_effect(e: &Effect) -> Option<Control> {
        match e {
            Effect::StoreMark(k, t) => Some(Control::Mark(*k, t.clone())),
            Effect::NewSession(l) => Some(Control::NewSession(l.clone())),
            Effect::EndSession => Some(Control::EndSession),
            Effect::LabelDevice { device, label } => Some(Control::LabelDevice {
                device: device.clone(),
                label: label.clone(),
            }),
            Effect::Pace(p) => Some(Control::Pace(*p)),
            Effect::Quit => None,
        }
    }
}

/// A source of dashboard events.
pub trait Feed: Send {
    /// Send what happens to `out` until `control` says [`Control::Stop`] (or is dropped, or
    /// `out` is closed); finish and store what is open before returning.
    fn run(self: Box<Self>, out: SyncSender<Msg>, control: Receiver<Control>);
}

/// Replay pace: packet time over wall time, or as fast as possible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// This many times real time.
    Times(f64),
    /// No pacing.
    Max,
}

impl FromStr for Speed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "max" {
            return Ok(Speed::Max);
        }
        match s.trim_end_matches('x').parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => Ok(Speed::Times(v)),
            _ => Err(format!(
                "speed {s:?}: use 1 (real time), 10, or max (as fast as possible)"
            )),
        }
    }
}

impl std::fmt::Display for Speed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Speed::Times(v) => write!(f, "{v}x"),
            Speed::Max => f.write_str("max speed"),
        }
    }
}

/// Errors starting a feed. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The capture could not be opened.
    #[error(transparent)]
    Capture(#[from] crate::capture::CaptureError),
    /// The database could not be opened or read.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Signatures or the site profile could not be loaded.
    #[error(transparent)]
    Signatures(#[from] crate::attribute::SignatureError),
    /// No live session answers on the control socket.
    #[error(transparent)]
    Live(#[from] crate::control::ControlError),
    /// Hashing the capture failed.
    #[error("cannot read {path}: {cause}")]
    Io {
        /// File.
        path: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_parse() {
        assert_eq!("1".parse::<Speed>(), Ok(Speed::Times(1.0)));
        assert_eq!("10x".parse::<Speed>(), Ok(Speed::Times(10.0)));
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert!("0".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
    }

    #[test]
    fn effects_become_controls() {
        assert_eq!(
            Control::from_effect(&Effect::StoreMark(MarkKind::Page, Some("x".into()))),
            Some(Control::Mark(MarkKind::Page, Some("x".into())))
        );
        assert_eq!(Control::from_effect(&Effect::Quit), None);
    }
}
