//! Drawing: a pure function of the [`Model`]. Nothing here changes state or does I/O, so every
//! screen is snapshot-tested with ratatui's `TestBackend`.

mod detail;
mod devices;
mod header;
mod help;
mod table;
mod timeline;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::model::{Model, PromptKind, Screen};
use crate::attribute::{Category, Party};
use crate::session::{MarkKind, Phase};
use crate::time::Timestamp;

/// Width from which the detail pane sits beside the table instead of replacing it.
pub const WIDE: u16 = 120;

/// Draw the whole dashboard.
pub fn view(model: &Model, frame: &mut Frame) {
    let area = frame.area();
    let head = header::height(model);
    let bottom_lines = status_lines(model, area.width);
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(head),
        Constraint::Min(3),
        Constraint::Length(bottom_lines.len() as u16),
    ])
    .areas(area);
    header::render(model, frame, top);
    match model.ui.screen {
        Screen::Contacts => contacts(model, frame, body),
        Screen::Timeline => timeline::render_full(model, frame, body),
        Screen::Devices => devices::render(model, frame, body),
        Screen::Help => help::render(frame, body),
    }
    frame.render_widget(Paragraph::new(bottom_lines), bottom);
}

/// The contacts screen: table, detail pane when open, timeline strip.
fn contacts(model: &Model, frame: &mut Frame, area: Rect) {
    // A detail pane that replaces the table needs the room more than the strip does.
    let narrow_detail = model.ui.detail && area.width < WIDE;
    let strip = if area.height >= 12 && !narrow_detail {
        5
    } else {
        0
    };
    let [main, bottom] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(strip)]).areas(area);
    if strip > 0 {
        timeline::render_strip(model, frame, bottom);
    }
    if !model.ui.detail {
        return table::render(model, frame, main);
    }
    if main.width >= WIDE {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(main);
        table::render(model, frame, left);
        detail::render(model, frame, right);
    } else {
        detail::render(model, frame, main);
    }
}

/// Most lines the status text takes when it does not fit beside the key hints.
const MAX_STATUS_LINES: usize = 2;

/// The bottom: a prompt, the quit question, or the status and the key hints, on one line when
/// both fit; else the status wrapped over up to [`MAX_STATUS_LINES`] lines above the hints, so
/// its essential part (an offset, what was not stored) always shows.
fn status_lines(model: &Model, width: u16) -> Vec<Line<'static>> {
    let ui = &model.ui;
    if let Some(p) = &ui.prompt {
        let what = match &p.kind {
            PromptKind::Page => "page mark".to_owned(),
            PromptKind::Note => "note mark".to_owned(),
            PromptKind::NewSession => "new session label".to_owned(),
            PromptKind::Filter => "filter".to_owned(),
            PromptKind::DeviceLabel(d) => format!("label for {d}"),
        };
        return vec![Line::from(vec![
            Span::styled(
                format!(" {what}: "),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("{}_", p.text)),
            Span::styled("  enter ok · esc cancel", Style::new().fg(Color::DarkGray)),
        ])];
    }
    if ui.confirm_quit {
        return vec![Line::from(Span::styled(
            " A session is being recorded. Quit and end it? y = quit, any other key = stay ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ))];
    }
    let hints = if width >= WIDE {
        "a accept · r reject · p page · / filter · tab views · ? help · q quit"
    } else {
        "a/r consent · p page · ? help · q quit"
    };
    let width = usize::from(width);
    let status_style = Style::new().fg(Color::Yellow);
    let hint_style = Style::new().fg(Color::DarkGray);
    let msg = model.status.as_str();
    // One column always separates the status text from the key hints.
    let room = width.saturating_sub(hints.chars().count() + 3);
    if msg.chars().count() <= room {
        let pad = room - msg.chars().count() + 1;
        return vec![Line::from(vec![
            Span::styled(format!(" {msg}"), status_style),
            Span::raw(" ".repeat(pad)),
            Span::styled(format!("{hints} "), hint_style),
        ])];
    }
    let mut lines: Vec<Line<'static>> = wrap_words(msg, width.saturating_sub(2), MAX_STATUS_LINES)
        .into_iter()
        .map(|l| Line::from(Span::styled(format!(" {l}"), status_style)))
        .collect();
    let pad = width.saturating_sub(hints.chars().count() + 1);
    lines.push(Line::from(vec![
        Span::raw(" ".repeat(pad)),
        Span::styled(format!("{hints} "), hint_style),
    ]));
    lines
}

/// `text` in lines of at most `width` characters broken at spaces (a longer word is cut), at
/// most `max` lines, the last ending in `…` when text is left over.
pub fn wrap_words(text: &str, width: usize, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_owned();
        loop {
            let sep = usize::from(!line.is_empty());
            if line.chars().count() + sep + word.chars().count() <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word wider than a line: cut it.
            let head: String = word.chars().take(width.max(1)).collect();
            word = word.chars().skip(width.max(1)).collect();
            lines.push(head);
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            *last = fit(&format!("{last} …"), width);
        }
    }
    lines
}

/// The vocabulary word of a category (`tag-manager`).
pub fn category_word(c: Category) -> &'static str {
    c.as_str()
}

/// The colour of a category: tracking categories warm, infrastructure cool.
pub fn category_color(c: Category) -> Color {
    match c {
        Category::Advertising => Color::Red,
        Category::Analytics => Color::LightRed,
        Category::Social => Color::Magenta,
        Category::SessionReplay => Color::LightMagenta,
        Category::TagManager => Color::Yellow,
        Category::ConsentManagement => Color::Cyan,
        Category::Cdn => Color::Blue,
        Category::Fonts => Color::LightBlue,
        Category::Video => Color::LightYellow,
        Category::Maps => Color::LightGreen,
        Category::CaptchaSecurity => Color::LightCyan,
        Category::Widget => Color::LightYellow,
        Category::IdentityLogin => Color::Cyan,
        Category::DnsResolver => Color::Gray,
        Category::OsBackground => Color::DarkGray,
        Category::PublicSector => Color::Green,
    }
}

/// The style of a whole row by party: third parties bold, the rest quieter.
pub fn party_style(p: Party) -> Style {
    match p {
        Party::Third => Style::new().add_modifier(Modifier::BOLD),
        Party::First => Style::new().fg(Color::Green),
        Party::OsBackground => Style::new().fg(Color::DarkGray),
        Party::BackgroundOrSite => Style::new().fg(Color::Yellow),
        Party::Local => Style::new()
            .fg(Color::DarkGray)
            .add_modifier(Modifier::ITALIC),
        Party::Unknown => Style::new(),
    }
}

/// The colour of a party in the timeline.
pub fn party_color(p: Party) -> Color {
    match p {
        Party::Third => Color::Red,
        Party::First => Color::Green,
        Party::OsBackground => Color::DarkGray,
        Party::BackgroundOrSite => Color::Yellow,
        Party::Local => Color::Blue,
        Party::Unknown => Color::White,
    }
}

/// Short word of a party for narrow columns.
pub fn party_short(p: Party) -> &'static str {
    match p {
        Party::First => "first",
        Party::Third => "THIRD",
        Party::OsBackground => "os",
        Party::BackgroundOrSite => "bg?",
        Party::Local => "local",
        Party::Unknown => "?",
    }
}

/// Short word of a phase for the table.
pub fn phase_short(p: Phase) -> &'static str {
    match p {
        Phase::BeforeConsent => "pre",
        Phase::ConsentAccepted => "acc",
        Phase::ConsentRejected => "rej",
    }
}

/// The letter of a mark on the timeline.
pub fn mark_letter(k: MarkKind) -> char {
    match k {
        MarkKind::ConsentAccepted => 'A',
        MarkKind::ConsentRejected => 'R',
        MarkKind::Page => 'P',
        MarkKind::Note => 'N',
        MarkKind::Visit => 'V',
    }
}

/// The colour of a mark.
pub fn mark_color(k: MarkKind) -> Color {
    match k {
        MarkKind::ConsentAccepted => Color::Green,
        MarkKind::ConsentRejected => Color::Red,
        MarkKind::Page | MarkKind::Note => Color::Cyan,
        MarkKind::Visit => Color::Blue,
    }
}

/// `+1.234s`, `+2:03.4`, `+1:02:03`: time since the session began.
pub fn offset(ts: Timestamp, origin: Option<Timestamp>) -> String {
    let Some(o) = origin else {
        return ts.rfc3339();
    };
    let ns = ts.since(o);
    if ts < o {
        return format!("-{:.3}s", o.since(ts) as f64 / 1e9);
    }
    duration(ns)
}

/// A duration as `+1.234s`, `+2:03.4`, `+1:02:03`.
pub fn duration(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    if secs < 60 {
        format!("+{:.3}s", ns as f64 / 1e9)
    } else if secs < 3600 {
        let tenths = (ns / 100_000_000) % 10;
        format!("+{}:{:02}.{tenths}", secs / 60, secs % 60)
    } else {
        format!("+{}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60)
    }
}

/// Bytes for people: `532 B`, `1.2 kB`, `3.4 MB`.
pub fn bytes(n: u64) -> String {
    if n < 1000 {
        format!("{n} B")
    } else if n < 1_000_000 {
        format!("{:.1} kB", n as f64 / 1e3)
    } else if n < 1_000_000_000 {
        format!("{:.1} MB", n as f64 / 1e6)
    } else {
        format!("{:.1} GB", n as f64 / 1e9)
    }
}

/// `s` cut to `width` characters, with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration(1_234_000_000), "+1.234s");
        assert_eq!(duration(123_400_000_000), "+2:03.4");
        assert_eq!(duration(3_723_000_000_000), "+1:02:03");
        assert_eq!(bytes(532), "532 B");
        assert_eq!(bytes(1_240), "1.2 kB");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }

    #[test]
    fn status_wraps_at_words_and_says_when_cut() {
        assert_eq!(wrap_words("a bb ccc", 4, 3), ["a bb", "ccc"]);
        assert_eq!(wrap_words("abcdefgh", 3, 3), ["abc", "def", "gh"]);
        assert_eq!(wrap_words("one two three four", 9, 1), ["one two …"]);
        assert_eq!(wrap_words("", 5, 2), Vec::<String>::new());
    }
}
