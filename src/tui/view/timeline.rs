//! The timeline: new contacts per time column, by party, with the tester's marks on it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{mark_color, mark_letter, offset, party_color};
use crate::attribute::Party;
use crate::time::Timestamp;
use crate::tui::model::Model;
use crate::tui::timeline::{Timeline, party_slot};

const LABEL: u16 = 7;
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The columns shown: origin, column width, count.
#[derive(Debug, Clone, Copy)]
struct Scale {
    from: Timestamp,
    col_ns: u64,
    cols: u16,
}

fn scale(model: &Model, width: u16) -> Option<Scale> {
    let from = model.origin()?;
    let to = model.now.unwrap_or(from).max(from);
    let cols = width.saturating_sub(LABEL).max(1);
    let col_ns = model.timeline.column_ns(from, to, cols);
    Some(Scale { from, col_ns, cols })
}

/// One bar row: a block per column whose height is the count of `parties`.
fn bars(model: &Model, s: Scale, label: &str, parties: &[Party], color: Color) -> Line<'static> {
    let cols = model.timeline.columns(s.from, s.col_ns, s.cols);
    let max = cols
        .iter()
        .map(|c| {
            parties
                .iter()
                .map(|p| c.get(party_slot(*p)).copied().unwrap_or(0))
                .sum::<u32>()
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let text: String = cols
        .iter()
        .map(|c| {
            let n: u32 = parties
                .iter()
                .map(|p| c.get(party_slot(*p)).copied().unwrap_or(0))
                .sum();
            if n == 0 {
                ' '
            } else {
                let level = ((n as usize * LEVELS.len()).div_ceil(max as usize)).saturating_sub(1);
                LEVELS.get(level).copied().unwrap_or('█')
            }
        })
        .collect();
    Line::from(vec![
        Span::styled(format!("{label:>6} "), Style::new().fg(Color::DarkGray)),
        Span::styled(text, Style::new().fg(color)),
    ])
}

/// The marks row: a letter at each mark's column.
fn marks(model: &Model, s: Scale) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("{:>6} ", "marks"),
        Style::new().fg(Color::DarkGray),
    )];
    let mut row: Vec<Option<Span<'static>>> = vec![None; usize::from(s.cols)];
    for m in model.session.iter().flat_map(|s| s.marks.iter()) {
        if let Some(slot) =
            Timeline::column_of(m.ts, s.from, s.col_ns, s.cols).and_then(|c| row.get_mut(c))
        {
            *slot = Some(Span::styled(
                mark_letter(m.kind).to_string(),
                Style::new()
                    .fg(Color::Black)
                    .bg(mark_color(m.kind))
                    .add_modifier(Modifier::BOLD),
            ));
        }
    }
    spans.extend(row.into_iter().map(|s| s.unwrap_or_else(|| Span::raw(" "))));
    Line::from(spans)
}

fn axis(s: Scale) -> String {
    let secs = s.col_ns as f64 / 1e9;
    format!(" 1 column = {secs}s · A accept R reject P page N note ")
}

/// The strip under the table: third parties, everyone else, marks.
pub fn render_strip(model: &Model, frame: &mut Frame, area: Rect) {
    let block = Block::bordered();
    let inner = block.inner(area);
    let Some(s) = scale(model, inner.width) else {
        frame.render_widget(
            Paragraph::new(" waiting for the first contact").block(block),
            area,
        );
        return;
    };
    let lines = vec![
        bars(
            model,
            s,
            "third",
            &[Party::Third],
            party_color(Party::Third),
        ),
        bars(
            model,
            s,
            "other",
            &[
                Party::First,
                Party::OsBackground,
                Party::BackgroundOrSite,
                Party::Local,
                Party::Unknown,
            ],
            Color::Green,
        ),
        marks(model, s),
    ];
    let block = block.title(format!(" Timeline{}", axis(s)));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The timeline screen: a row per party, marks, and the list of marks.
pub fn render_full(model: &Model, frame: &mut Frame, area: Rect) {
    let [top, bottom] = Layout::vertical([Constraint::Length(10), Constraint::Min(0)]).areas(area);
    let block = Block::bordered();
    let inner = block.inner(top);
    let Some(s) = scale(model, inner.width) else {
        frame.render_widget(
            Paragraph::new(" waiting for the first contact").block(block),
            area,
        );
        return;
    };
    let parties = [
        ("third", Party::Third),
        ("first", Party::First),
        ("os", Party::OsBackground),
        ("bg?", Party::BackgroundOrSite),
        ("local", Party::Local),
        ("?", Party::Unknown),
    ];
    let mut lines: Vec<Line> = parties
        .iter()
        .map(|(l, p)| bars(model, s, l, &[*p], party_color(*p)))
        .collect();
    lines.push(marks(model, s));
    let end = offset(
        Timestamp(s.from.0.saturating_add(s.col_ns * u64::from(s.cols))),
        Some(s.from),
    );
    lines.push(Line::from(Span::styled(
        format!("{:>6} +0s … {end}", ""),
        Style::new().fg(Color::DarkGray),
    )));
    let block = block.title(format!(
        " Timeline · new contacts per column by party ·{}",
        axis(s)
    ));
    frame.render_widget(Paragraph::new(lines).block(block), top);
    let list: Vec<Line> = model
        .session
        .iter()
        .flat_map(|s| s.marks.iter())
        .map(|m| {
            Line::from(vec![
                Span::styled(
                    format!(" {} ", mark_letter(m.kind)),
                    Style::new().fg(Color::Black).bg(mark_color(m.kind)),
                ),
                Span::raw(format!(
                    " {:>9}  {:<17} {}",
                    offset(m.ts, Some(s.from)),
                    m.kind.as_str(),
                    m.text.as_deref().unwrap_or("")
                )),
            ])
        })
        .collect();
    let list = if list.is_empty() {
        vec![Line::from(
            " no marks yet: a accept · r reject · p page · m note",
        )]
    } else {
        list
    };
    frame.render_widget(
        Paragraph::new(list).block(Block::bordered().title(" Marks ")),
        bottom,
    );
}
