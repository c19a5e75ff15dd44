//! The help screen: every key.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Every key and what it does, in the order a tester needs them.
pub const KEYS: &[(&str, &str)] = &[
    (
        "a r",
        "mark now (stored immediately): consent accepted (a), rejected (r)",
    ),
    (
        "v",
        "visit mark, as you open the service (before it: the device alone)",
    ),
    ("p", "page mark, with a text prompt (\"opened login\")"),
    ("m", "note mark, with a text prompt"),
    ("n", "new session (label prompt); ends the current one"),
    ("e", "end the session being recorded"),
    (
        "spc + -",
        "replay: pause / resume (space); faster / slower (0.1x … 100x, max)",
    ),
    (
        "/",
        "filter by name, organisation, service, category (esc clears)",
    ),
    (
        "1 o b",
        "hide / show first-party (1), OS background (o), background (b) rows",
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
        // One line at 80 columns, and the whole help fits at 80x24.
        " Bold = third party, colour = category, CLOAKED = first-party name → tracker",
        Style::new().fg(Color::DarkGray),
    )));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Keys ")),
        area,
    );
}
