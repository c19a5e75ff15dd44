//! The header: which session, which phase, how much was seen, and what could not be seen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::duration;
use crate::session::{Phase, SessionState};
use crate::tui::model::Model;

/// Lines the header needs: a third for the hidden-traffic warning.
pub fn height(model: &Model) -> u16 {
    if model.hidden().is_empty() { 2 } else { 3 }
}

/// Draw the header into `area`.
pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let mut lines = vec![title(model), facts(model)];
    let hidden = model.hidden();
    if !hidden.is_empty() {
        let kinds: Vec<String> = hidden.iter().map(|(k, n)| format!("{k} {n}")).collect();
        lines.push(Line::from(Span::styled(
            format!(
                " ⚠ traffic partly hidden ({}): some destinations cannot be named",
                kinds.join(", ")
            ),
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn title(model: &Model) -> Line<'static> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let dim = Style::new().fg(Color::DarkGray);
    let mut spans = vec![Span::styled(
        " sporfri ",
        bold.fg(Color::Black).bg(Color::Cyan),
    )];
    match &model.session {
        Some(s) => {
            let label = if s.label.is_empty() {
                "(no label)"
            } else {
                s.label.as_str()
            };
            if s.id > 0 {
                spans.push(Span::styled(format!(" #{} ", s.id), dim));
            } else {
                spans.push(Span::raw(" "));
            }
            spans.push(Span::styled(label.to_owned(), bold));
            if let Some(site) = &s.site {
                spans.push(Span::styled("  site ", dim));
                spans.push(Span::raw(site.clone()));
            }
            if let Some(b) = baseline_words(s) {
                spans.push(Span::styled(b, dim));
            }
            let state = match (s.state, model.source.recording) {
                (_, true) => Span::styled("  ● REC", bold.fg(Color::Red)),
                (SessionState::Interrupted, _) => Span::styled("  interrupted", dim),
                _ => Span::styled("", dim),
            };
            spans.push(state);
        }
        None => spans.push(Span::styled(" no session", dim)),
    }
    spans.push(Span::styled(format!("  {}", model.source.describe), dim));
    if model.source.ended {
        spans.push(Span::styled(" (end)", dim));
    }
    Line::from(spans)
}

/// `  IDLE BASELINE`, `  vs baseline #3 "idle phone"`, `  no baseline`; nothing for sessions
/// recorded before baselines existed.
fn baseline_words(s: &crate::session::Session) -> Option<String> {
    if s.baseline {
        return Some("  idle baseline".to_owned());
    }
    let a = s.against.as_ref()?;
    let elsewhere = |b: &crate::session::BaselineRef| {
        if b.elsewhere {
            " (of the source database, not in this one)"
        } else {
            ""
        }
    };
    Some(match a.applied() {
        Some(b) if a.stale(s.started) => format!(
            "  vs baseline #{} \"{}\"{} (old)",
            b.id,
            b.label,
            elsewhere(b)
        ),
        Some(b) => format!("  vs baseline #{} \"{}\"{}", b.id, b.label, elsewhere(b)),
        None => "  no baseline".to_owned(),
    })
}

fn facts(model: &Model) -> Line<'static> {
    let dim = Style::new().fg(Color::DarkGray);
    let phase = model.phase();
    let (word, style) = match phase {
        Phase::BeforeConsent => (
            "BEFORE CONSENT",
            Style::new().fg(Color::Black).bg(Color::White),
        ),
        Phase::ConsentAccepted => (
            "AFTER ACCEPT",
            Style::new().fg(Color::Black).bg(Color::Green),
        ),
        Phase::ConsentRejected => ("AFTER REJECT", Style::new().fg(Color::White).bg(Color::Red)),
    };
    let third = model.third_parties();
    let devices = model.devices();
    let dev_text = match devices.as_slice() {
        [one] => model
            .labels
            .get(one)
            .cloned()
            .unwrap_or_else(|| one.clone()),
        all => format!("{}", all.len()),
    };
    let sep = || Span::styled(" │ ", dim);
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(format!(" {word} "), style.add_modifier(Modifier::BOLD)),
        sep(),
        Span::raw(duration(model.elapsed_ns())),
        sep(),
        Span::styled(
            format!("{third} third-party"),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(" of {} contacts", model.rows.len())),
        sep(),
        Span::raw(format!("{} pkts", model.packets)),
        sep(),
    ];
    let drops = Span::raw(format!("{} drops", model.drops));
    spans.push(if model.drops > 0 {
        drops.style(Style::new().fg(Color::Red))
    } else {
        drops
    });
    spans.extend([sep(), Span::raw(format!("dev {dev_text}"))]);
    if let Some(d) = &model.ui.follow {
        spans.push(Span::styled(format!(" │ following {d}"), dim));
    }
    Line::from(spans)
}
