//! Messages in, effects out: every change of the dashboard's state happens here.
//!
//! `update` does no I/O. What must happen outside (store a mark, start a session, quit) comes
//! back as [`Effect`]s for the event loop to hand to the source.

use std::collections::BTreeMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::model::{MAX_PROMPT, Model, Order, Prompt, PromptKind, Screen, SourceInfo};
use crate::session::{ContactRecord, MarkKind, Session};
use crate::time::Timestamp;

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// Time passed: the current instant (packet time in replays, wall clock live).
    Tick(Timestamp),
    /// The source describes itself (again, after a change such as the session ending).
    Source(SourceInfo),
    /// The session record as it is now (label, site, marks, devices, counters).
    Session(Box<Session>),
    /// New or changed contacts.
    Contacts(Vec<ContactRecord>),
    /// Packets analysed and lost so far, and the current instant.
    Progress {
        /// Current instant.
        now: Timestamp,
        /// Packets analysed.
        packets: u64,
        /// Packets lost before analysis.
        drops: u64,
    },
    /// Device labels, by device.
    Labels(BTreeMap<String, String>),
    /// A line for the status bar (mark stored, error, end of capture).
    Status(String),
    /// A key press.
    Key(KeyEvent),
    /// The terminal was resized to (columns, rows).
    Resize(u16, u16),
}

/// What the event loop must do for the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Add a mark at the current instant (stored immediately when recording).
    StoreMark(MarkKind, Option<String>),
    /// End the current session and start recording a new one with this label.
    NewSession(String),
    /// End the current session.
    EndSession,
    /// Set (empty: clear) the label of a device.
    LabelDevice {
        /// The device (MAC or IP).
        device: String,
        /// Its label.
        label: String,
    },
    /// Pause or resume a replay, or change its speed.
    Pace(Pace),
    /// Leave the dashboard.
    Quit,
}

/// What the tester asks of a replay's pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Pause, or resume (space).
    Pause,
    /// The next speed up (`+`).
    Faster,
    /// The next speed down (`-`).
    Slower,
}

/// Rows a page key moves.
const PAGE: usize = 10;

/// Apply one message.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => model.now = Some(model.now.map_or(now, |n| n.max(now))),
        Msg::Source(info) => model.source = info,
        Msg::Session(s) => session(model, *s),
        Msg::Contacts(list) => model.upsert(list),
        Msg::Progress {
            now,
            packets,
            drops,
        } => {
            model.now = Some(model.now.map_or(now, |n| n.max(now)));
            model.packets = packets;
            model.drops = drops;
        }
        Msg::Labels(l) => model.labels = l,
        Msg::Status(s) => model.status = s,
        Msg::Resize(w, h) => model.ui.size = (w, h),
        Msg::Key(k) if k.kind != KeyEventKind::Release => return key(model, k),
        Msg::Key(_) => {}
    }
    Vec::new()
}

fn session(model: &mut Model, s: Session) {
    let other = model.session.as_ref().is_some_and(|old| old.id != s.id);
    if other {
        model.clear_contacts();
        model.now = None;
    }
    model.session = Some(s);
}

fn key(model: &mut Model, k: KeyEvent) -> Vec<Effect> {
    if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
        model.quit = true;
        return vec![Effect::Quit];
    }
    if model.ui.prompt.is_some() {
        return prompt_key(model, k);
    }
    if model.ui.confirm_quit {
        model.ui.confirm_quit = false;
        if matches!(k.code, KeyCode::Char('y' | 'Y' | 'q') | KeyCode::Enter) {
            model.quit = true;
            return vec![Effect::Quit];
        }
        model.status = "still here".to_owned();
        return Vec::new();
    }
    if let Some(effects) = action_key(model, k.code) {
        return effects;
    }
    match model.ui.screen {
        Screen::Devices => devices_key(model, k.code),
        _ => table_key(model, k.code),
    }
    Vec::new()
}

/// Keys that work on every screen; `None` when the key is not one of them.
fn action_key(model: &mut Model, code: KeyCode) -> Option<Vec<Effect>> {
    let ui = &mut model.ui;
    let effects = match code {
        KeyCode::Char('q') if model.source.recording => {
            ui.confirm_quit = true;
            Vec::new()
        }
        KeyCode::Char('q') => {
            model.quit = true;
            vec![Effect::Quit]
        }
        KeyCode::Char('a') => mark(model, MarkKind::ConsentAccepted, None),
        KeyCode::Char('r') => mark(model, MarkKind::ConsentRejected, None),
        KeyCode::Char('v') => mark(model, MarkKind::Visit, None),
        KeyCode::Char('p') => open_prompt(model, PromptKind::Page),
        KeyCode::Char('m') => open_prompt(model, PromptKind::Note),
        KeyCode::Char('n') => open_prompt(model, PromptKind::NewSession),
        KeyCode::Char('e') => end_session(model),
        // Space selects on the devices screen.
        KeyCode::Char(' ') if ui.screen != Screen::Devices => vec![Effect::Pace(Pace::Pause)],
        KeyCode::Char('+' | '=') => vec![Effect::Pace(Pace::Faster)],
        KeyCode::Char('-') => vec![Effect::Pace(Pace::Slower)],
        KeyCode::Char('/') => {
            let text = ui.filter.clone();
            ui.prompt = Some(Prompt {
                kind: PromptKind::Filter,
                text,
            });
            Vec::new()
        }
        KeyCode::Char('f') => {
            follow_next(model);
            Vec::new()
        }
        KeyCode::Char('?') => {
            if ui.screen == Screen::Help {
                ui.screen = ui.back;
            } else {
                ui.back = ui.screen;
                ui.screen = Screen::Help;
            }
            Vec::new()
        }
        KeyCode::Tab => {
            ui.screen = match ui.screen {
                Screen::Contacts => Screen::Timeline,
                Screen::Timeline => Screen::Devices,
                Screen::Devices | Screen::Help => Screen::Contacts,
            };
            Vec::new()
        }
        KeyCode::Char('1') => {
            ui.hide_first = !ui.hide_first;
            model.status = shown_word("first-party", ui.hide_first);
            Vec::new()
        }
        KeyCode::Char('o') => {
            ui.hide_os = !ui.hide_os;
            model.status = shown_word("OS background", ui.hide_os);
            Vec::new()
        }
        KeyCode::Char('b') => {
            ui.hide_baseline = !ui.hide_baseline;
            model.status = shown_word("background (seen while idle)", ui.hide_baseline);
            Vec::new()
        }
        KeyCode::Char('g') => {
            ui.order = match ui.order {
                Order::Newest => Order::ByOrg,
                Order::ByOrg => Order::Newest,
            };
            Vec::new()
        }
        _ => return None,
    };
    Some(effects)
}

fn shown_word(what: &str, hidden: bool) -> String {
    if hidden {
        format!("{what} rows hidden")
    } else {
        format!("{what} rows shown")
    }
}

fn mark(model: &mut Model, kind: MarkKind, text: Option<String>) -> Vec<Effect> {
    if !model.source.writable {
        model.status = "read-only: a stored session takes no marks".to_owned();
        return Vec::new();
    }
    vec![Effect::StoreMark(kind, text)]
}

fn open_prompt(model: &mut Model, kind: PromptKind) -> Vec<Effect> {
    if !model.source.writable {
        model.status = "read-only: this is a stored session".to_owned();
        return Vec::new();
    }
    model.ui.prompt = Some(Prompt {
        kind,
        text: String::new(),
    });
    Vec::new()
}

fn end_session(model: &mut Model) -> Vec<Effect> {
    if !model.source.recording {
        model.status = "no session is being recorded".to_owned();
        return Vec::new();
    }
    vec![Effect::EndSession]
}

/// `f`: follow the next device, then all again.
fn follow_next(model: &mut Model) {
    let devices = model.devices();
    let next = match &model.ui.follow {
        None => devices.first().cloned(),
        Some(cur) => devices.iter().skip_while(|d| *d != cur).nth(1).cloned(),
    };
    model.status = match &next {
        Some(d) => format!("following {d}"),
        None => "following all devices".to_owned(),
    };
    model.ui.follow = next;
}

fn prompt_key(model: &mut Model, k: KeyEvent) -> Vec<Effect> {
    let Some(p) = model.ui.prompt.as_mut() else {
        return Vec::new();
    };
    match k.code {
        KeyCode::Esc => {
            if p.kind == PromptKind::Filter {
                model.ui.filter.clear();
            }
            model.ui.prompt = None;
        }
        KeyCode::Backspace => {
            p.text.pop();
        }
        KeyCode::Char(c) if p.text.chars().count() < MAX_PROMPT && !c.is_control() => {
            p.text.push(c);
        }
        KeyCode::Enter => {
            let Some(p) = model.ui.prompt.take() else {
                return Vec::new();
            };
            return submit(model, p);
        }
        _ => {}
    }
    if let Some(Prompt {
        kind: PromptKind::Filter,
        text,
    }) = &model.ui.prompt
    {
        // The table narrows while typing.
        model.ui.filter = text.trim().to_lowercase();
    }
    Vec::new()
}

fn submit(model: &mut Model, p: Prompt) -> Vec<Effect> {
    let text = p.text.trim().to_owned();
    match p.kind {
        PromptKind::Filter => {
            model.ui.filter = text.to_lowercase();
            Vec::new()
        }
        PromptKind::Page | PromptKind::Note if text.is_empty() => {
            model.status = "empty text: no mark added".to_owned();
            Vec::new()
        }
        PromptKind::Page => vec![Effect::StoreMark(MarkKind::Page, Some(text))],
        PromptKind::Note => vec![Effect::StoreMark(MarkKind::Note, Some(text))],
        PromptKind::NewSession if text.is_empty() => {
            model.status = "a new session needs a label".to_owned();
            Vec::new()
        }
        PromptKind::NewSession => vec![Effect::NewSession(text)],
        PromptKind::DeviceLabel(device) => vec![Effect::LabelDevice {
            device,
            label: text,
        }],
    }
}

fn table_key(model: &mut Model, code: KeyCode) {
    match code {
        KeyCode::Down | KeyCode::Char('j') => move_selection(model, 1),
        KeyCode::Up | KeyCode::Char('k') => move_selection(model, -1),
        KeyCode::PageDown => move_selection(model, PAGE as isize),
        KeyCode::PageUp => move_selection(model, -(PAGE as isize)),
        KeyCode::Home => move_selection(model, isize::MIN / 2),
        KeyCode::End => move_selection(model, isize::MAX / 2),
        KeyCode::Enter => model.ui.detail = !model.ui.detail,
        KeyCode::Esc => {
            if model.ui.screen == Screen::Help {
                model.ui.screen = model.ui.back;
            } else if model.ui.detail {
                model.ui.detail = false;
            } else {
                model.ui.filter.clear();
            }
        }
        _ => {}
    }
}

fn move_selection(model: &mut Model, by: isize) {
    let visible = model.visible();
    if visible.is_empty() {
        return;
    }
    let cur = model.selected_index(&visible) as isize;
    let last = visible.len() as isize - 1;
    let next = cur.saturating_add(by).clamp(0, last) as usize;
    let key = visible
        .get(next)
        .map(|r| (r.record.device.clone(), r.record.name.clone()));
    model.ui.selected = key;
}

fn devices_key(model: &mut Model, code: KeyCode) {
    let devices = model.devices();
    let ui = &mut model.ui;
    match code {
        KeyCode::Down | KeyCode::Char('j') => {
            ui.device_cursor = (ui.device_cursor + 1).min(devices.len().saturating_sub(1));
        }
        KeyCode::Up | KeyCode::Char('k') => ui.device_cursor = ui.device_cursor.saturating_sub(1),
        KeyCode::Enter | KeyCode::Char(' ') => {
            let picked = devices.get(ui.device_cursor).cloned();
            ui.follow = if ui.follow == picked { None } else { picked };
            model.status = match &ui.follow {
                Some(d) => format!("following {d}"),
                None => "following all devices".to_owned(),
            };
        }
        KeyCode::Char('l') => {
            if let Some(d) = devices.get(ui.device_cursor) {
                let text = model.labels.get(d).cloned().unwrap_or_default();
                ui.prompt = Some(Prompt {
                    kind: PromptKind::DeviceLabel(d.clone()),
                    text,
                });
            }
        }
        KeyCode::Esc => ui.screen = Screen::Contacts,
        _ => {}
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
