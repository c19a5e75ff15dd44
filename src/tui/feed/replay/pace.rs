//! Wall-clock pacing of a replay: a packet is analysed when its time, over the chosen speed,
//! has come. Space pauses (no packet is analysed until it is pressed again; marks still work),
//! `+` and `-` step the speed through [`STEPS`] and on to `max`. A change re-anchors the pace
//! at the last packet analysed, so the replay neither jumps ahead nor stalls.

use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::{Driver, PROGRESS_EVERY, Replay, SNAPSHOT_EVERY, session, snapshot};
use crate::pipeline::{Progress, Recording, Watch};
use crate::session::Batch;
use crate::time::Timestamp;
use crate::tui::feed::{Control, Speed};
use crate::tui::update::{Msg, Pace};

/// The speeds `+` and `-` step through (times real time); above the last is `max`.
pub const STEPS: [f64; 10] = [SLOWEST, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, FASTEST];
/// The slowest step.
const SLOWEST: f64 = 0.1;
/// The fastest step below `max`.
const FASTEST: f64 = 100.0;

/// The next step up from `s` (`max` above the last step).
pub fn faster(s: Speed) -> Speed {
    match s {
        Speed::Max => Speed::Max,
        Speed::Times(x) => STEPS
            .iter()
            .find(|&&v| v > x)
            .map_or(Speed::Max, |&v| Speed::Times(v)),
    }
}

/// The next step down from `s` (the slowest step stays).
pub fn slower(s: Speed) -> Speed {
    let x = match s {
        Speed::Max => return Speed::Times(FASTEST),
        Speed::Times(x) => x,
    };
    STEPS
        .iter()
        .rev()
        .find(|&&v| v < x)
        .map_or(Speed::Times(x.min(SLOWEST)), |&v| Speed::Times(v))
}

/// Wall-clock pacing and the rate of progress messages.
pub(super) struct Pacer {
    speed: Speed,
    start: Instant,
    first: Option<Timestamp>,
    last_progress: Instant,
    last_snapshot: Instant,
}

impl Pacer {
    pub(super) fn new(speed: Speed) -> Pacer {
        let now = Instant::now();
        Pacer {
            speed,
            start: now,
            first: None,
            last_progress: now,
            last_snapshot: now,
        }
    }

    /// A control: pace changes here, the rest to the driver; `false` to stop.
    fn handle(
        &mut self,
        c: Control,
        (d, p): (&mut Driver, &mut Replay),
        out: &mut dyn FnMut(Msg) -> bool,
    ) -> bool {
        match c {
            Control::Pace(pace) => self.pace(pace, d, out),
            c => d.control(p, c, out),
        }
    }

    /// Pause, resume or change the speed, and tell the dashboard.
    fn pace(&mut self, pace: Pace, d: &mut Driver, out: &mut dyn FnMut(Msg) -> bool) -> bool {
        match pace {
            Pace::Pause => d.paused = !d.paused,
            Pace::Faster => d.opts.speed = faster(d.opts.speed),
            Pace::Slower => d.opts.speed = slower(d.opts.speed),
        }
        self.speed = d.opts.speed;
        self.start = Instant::now();
        self.first = d.last_ts;
        let status = if d.paused {
            format!("paused at {} · space resumes", self.speed)
        } else {
            format!(
                "replaying at {} · space pauses, + - change the speed",
                self.speed
            )
        };
        out(Msg::Source(d.info())) && out(Msg::Status(status))
    }

    /// Wait until packet time `ts` is due (and not paused), handling controls meanwhile;
    /// `false` to stop.
    fn wait(
        &mut self,
        ts: Timestamp,
        (d, p): (&mut Driver, &mut Replay),
        controls: &Receiver<Control>,
        out: &mut dyn FnMut(Msg) -> bool,
    ) -> bool {
        loop {
            while d.paused {
                let Ok(c) = controls.recv() else {
                    return false;
                };
                if !self.handle(c, (&mut *d, &mut *p), out) {
                    return false;
                }
            }
            let Speed::Times(x) = self.speed else {
                while let Ok(c) = controls.try_recv() {
                    if !self.handle(c, (&mut *d, &mut *p), out) {
                        return false;
                    }
                }
                if d.paused {
                    continue;
                }
                return true;
            };
            let first = *self.first.get_or_insert(ts);
            let due = self.start + Duration::from_secs_f64(ts.since(first) as f64 / 1e9 / x);
            let now = Instant::now();
            if now >= due {
                return true;
            }
            // A control may change the pace: the due time is worked out again after it.
            match controls.recv_timeout((due - now).min(PROGRESS_EVERY)) {
                Ok(c) => {
                    if !self.handle(c, (&mut *d, &mut *p), out) {
                        return false;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Send progress (and, when paced, all contacts) if it is time; `false` to stop.
    fn show(&mut self, d: &Driver, p: &Replay, out: &mut dyn FnMut(Msg) -> bool) -> bool {
        if self.last_progress.elapsed() < PROGRESS_EVERY {
            return true;
        }
        self.last_progress = Instant::now();
        if self.speed != Speed::Max && self.last_snapshot.elapsed() >= SNAPSHOT_EVERY {
            self.last_snapshot = Instant::now();
            if !out(Msg::Contacts(snapshot(p))) {
                return false;
            }
        }
        out(d.progress(p))
    }
}

/// The dashboard between packets: pace and controls before one, batches and progress after.
pub(super) struct Paced<'a> {
    pub d: &'a mut Driver,
    pub pacer: Pacer,
    pub controls: Option<&'a Receiver<Control>>,
    pub out: &'a mut dyn FnMut(Msg) -> bool,
    /// The packet being analysed is the replay's first.
    pub first: bool,
}

impl Watch<Recording<Vec<Batch>>> for Paced<'_> {
    fn before(&mut self, p: &mut Replay, ts: Timestamp) -> ControlFlow<()> {
        if let Some(c) = self.controls
            && !self.pacer.wait(ts, (&mut *self.d, p), c, &mut *self.out)
        {
            return ControlFlow::Break(());
        }
        self.first = self.d.last_ts.is_none();
        self.d.last_ts = Some(self.d.last_ts.map_or(ts, |t| t.max(ts)));
        ControlFlow::Continue(())
    }

    fn after(&mut self, p: &mut Replay, _: Progress) -> ControlFlow<()> {
        let out = &mut *self.out;
        let mut ok = self.d.emit_pending(p, out);
        if self.first {
            ok &= out(Msg::Session(Box::new(session(p).clone()))) && out(self.d.progress(p));
        }
        if ok && self.pacer.show(self.d, p, out) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_step_up_to_max_and_down_to_the_slowest() {
        assert_eq!(faster(Speed::Times(1.0)), Speed::Times(2.0));
        assert_eq!(faster(Speed::Times(3.0)), Speed::Times(5.0));
        assert_eq!(faster(Speed::Times(100.0)), Speed::Max);
        assert_eq!(faster(Speed::Max), Speed::Max);
        assert_eq!(slower(Speed::Max), Speed::Times(100.0));
        assert_eq!(slower(Speed::Times(10.0)), Speed::Times(5.0));
        assert_eq!(slower(Speed::Times(0.1)), Speed::Times(0.1));
        assert_eq!(slower(Speed::Times(0.05)), Speed::Times(0.05));
    }
}
