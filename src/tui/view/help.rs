//! The help screen: every key.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Every key and what it does, in the order a tester needs them.
pub const KEYS: &[(&str, &str)] = &[
    ("a", "consent accepted: mark now (stored immediately)"),
    ("r", "consent rejected: mark now"),
    (
        "v",
        "visit: mark now, as you open the service (before it: the device on its own)",
    ),
    ("p", "page mark, with a text prompt (\"opened login\")"),
    ("m", "note mark, with a text prompt"),
    ("n", "new session (label prompt); ends the current one"),
    ("e", "end the session being recorded"),
    (
        "/",
        "filter by name, organisation, service, category (esc clears)",
    ),
    ("1", "hide / show first-party rows"),
    ("o", "hide / show OS background rows"),
    (
        "b",
        "hide / show background rows (seen while idle or before the visit; dimmed)",
    ),
    ("g", "newest first / grouped by organisation"),
    ("f", "follow the next device (then all again)"),
    ("enter", "detail of the selected contact (devices: follow)"),
    ("↑↓ j k", "select; pgup pgdn home end"),
    ("tab", "contacts → timeline → devices"),
    ("l", "devices screen: label the selected device"),
    ("?", "this help (again or esc: back)"),
    (
        "q",
        "quit (asks while a session is recording); ctrl-c quits",
    ),
];

/// Draw the help into `area`.
pub fn render(frame: &mut Frame, area: Rect) {
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:>7}  "), Style::new().fg(Color::Cyan)),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Bold rows are third parties; colour is the category. CLOAKED: a first-party name \
         that resolves to a tracker.",
        Style::new().fg(Color::DarkGray),
    )));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Keys ")),
        area,
    );
}
