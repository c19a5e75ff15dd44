//! The terminal glue: raw mode and the alternate screen (restored on exit and on panic), input
//! on its own thread, and a redraw only when something changed, at most [`MAX_FPS`] a second.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event};

use super::feed::{Control, Feed};
use super::model::Model;
use super::update::{Effect, Msg, update};
use super::view::view;

/// Most frames drawn per second.
pub const MAX_FPS: u32 = 20;
/// Messages queued between the sources and the dashboard (sources wait when it is full).
pub const MAX_QUEUED: usize = 1024;
/// Messages applied before a redraw is considered.
const DRAIN: usize = 4096;
/// How long the input thread waits for a key before checking whether to stop.
const INPUT_POLL: Duration = Duration::from_millis(100);
/// How long the loop sleeps when nothing happens.
const IDLE: Duration = Duration::from_secs(1);

/// Run the dashboard on this terminal with `feed` as the source until the tester quits.
/// Returns the final model (for a summary line).
pub fn run(mut model: Model, feed: Box<dyn Feed>) -> io::Result<Model> {
    let (tx, rx) = mpsc::sync_channel::<Msg>(MAX_QUEUED);
    let (ctl_tx, ctl_rx) = mpsc::channel::<Control>();
    let feed_tx = tx.clone();
    let feed_thread = thread::spawn(move || feed.run(feed_tx, ctl_rx));
    let stop = Arc::new(AtomicBool::new(false));
    let input_thread = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || input(&tx, &stop))
    };
    let mut terminal = ratatui::try_init()?;
    if let Ok(size) = terminal.size() {
        update(&mut model, Msg::Resize(size.width, size.height));
    }
    let gap = Duration::from_secs(1) / MAX_FPS;
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let result = loop {
        let due = last_draw.map_or(Duration::ZERO, |t| gap.saturating_sub(t.elapsed()));
        if dirty && due.is_zero() {
            if let Err(e) = terminal.draw(|f| view(&model, f)) {
                break Err(e);
            }
            last_draw = Some(Instant::now());
            dirty = false;
        }
        let wait = if dirty { due } else { IDLE };
        let first = match rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break Ok(()),
        };
        dirty = true;
        for msg in std::iter::once(first).chain(rx.try_iter().take(DRAIN)) {
            for effect in update(&mut model, msg) {
                if let Some(c) = Control::from_effect(&effect) {
                    let _ = ctl_tx.send(c);
                } else if effect == Effect::Quit {
                    model.quit = true;
                }
            }
        }
        if model.quit {
            break Ok(());
        }
    };
    ratatui::restore();
    stop.store(true, Ordering::Relaxed);
    let _ = ctl_tx.send(Control::Stop);
    // The feed may wait on a full queue: closing it lets the feed finish its session.
    drop(rx);
    let _ = feed_thread.join();
    let _ = input_thread.join();
    result.map(|()| model)
}

/// Read keys and resizes until `stop`, sending them as messages.
fn input(tx: &SyncSender<Msg>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match event::poll(INPUT_POLL) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(_) => return,
        }
        let msg = match event::read() {
            Ok(Event::Key(k)) => Msg::Key(k),
            Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
            Ok(_) => continue,
            Err(_) => return,
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
}
