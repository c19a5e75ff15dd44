//! The contacts table: one row per (device, name), third parties in bold with their category's
//! colour.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Row as TableRow, Table, TableState};

use super::{
    bytes, category_color, category_word, fit, offset, party_short, party_style, phase_short,
};
use crate::attribute::Party;
use crate::tui::model::{Model, Order, Row};

/// Which columns fit in a width.
#[derive(Debug, Clone, Copy)]
struct Columns {
    org: Option<u16>,
    category: u16,
    evidence: u16,
    flows: bool,
}

impl Columns {
    fn for_width(w: u16) -> Columns {
        match w {
            0..100 => Columns {
                org: None,
                category: 11,
                evidence: 10,
                flows: false,
            },
            100..140 => Columns {
                org: Some(16),
                category: 12,
                evidence: 12,
                flows: true,
            },
            _ => Columns {
                org: Some(22),
                category: 18,
                evidence: 14,
                flows: true,
            },
        }
    }
}

/// Draw the table into `area`.
pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let visible = model.visible();
    let cols = Columns::for_width(area.width);
    let origin = model.origin();
    let mut widths = vec![
        Constraint::Length(8),
        Constraint::Length(3),
        Constraint::Length(5),
        Constraint::Length(cols.category),
    ];
    let mut head = vec!["time", "ph", "party", "category"];
    if let Some(w) = cols.org {
        widths.push(Constraint::Length(w));
        head.push("organisation");
    }
    widths.push(Constraint::Min(12));
    head.push("name");
    widths.push(Constraint::Length(cols.evidence));
    head.push("evidence");
    if cols.flows {
        widths.push(Constraint::Length(5));
        head.push("flows");
    }
    widths.push(Constraint::Length(8));
    head.push("bytes");
    let rows: Vec<TableRow> = visible.iter().map(|r| row(r, cols, origin)).collect();
    let selected = model.selected_index(&visible);
    let inner = area.height.saturating_sub(3) as usize;
    let off = (selected + 1).saturating_sub(inner.max(1));
    let mut state = TableState::default()
        .with_selected((!visible.is_empty()).then_some(selected))
        .with_offset(off);
    let table = Table::new(rows, widths)
        .header(
            TableRow::new(head).style(
                Style::new()
                    .fg(Color::DarkGray)
                    .add_modifier(Modifier::UNDERLINED),
            ),
        )
        .block(Block::bordered().title(title(model, visible.len())))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("›")
        .column_spacing(1);
    frame.render_stateful_widget(table, area, &mut state);
}

fn title(model: &Model, shown: usize) -> String {
    let ui = &model.ui;
    let mut t = format!(
        " Contacts {shown}/{} · {} ",
        model.rows.len(),
        match ui.order {
            Order::Newest => "newest first",
            Order::ByOrg => "by organisation",
        }
    );
    if ui.hide_first {
        t.push_str("· first-party hidden ");
    }
    if ui.hide_os {
        t.push_str("· OS hidden ");
    }
    if ui.hide_baseline {
        t.push_str("· background hidden ");
    }
    if !ui.filter.is_empty() {
        t.push_str(&format!("· filter \"{}\" ", ui.filter));
    }
    t
}

fn row<'a>(r: &'a Row, cols: Columns, origin: Option<crate::time::Timestamp>) -> TableRow<'a> {
    let rec = &r.record;
    let a = &rec.attribution;
    let cat = a.category.map_or(Cell::from(""), |c| {
        Cell::from(Span::styled(
            category_word(c),
            Style::new().fg(category_color(c)),
        ))
    });
    let background = rec.baseline.background.is_some();
    let party = if a.party == Party::Third && !background {
        Cell::from(Span::styled(
            party_short(a.party),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ))
    } else {
        Cell::from(party_short(a.party))
    };
    let mut cells = vec![
        Cell::from(offset(rec.first_seen, origin)),
        Cell::from(phase_short(rec.phase)),
        party,
        cat,
    ];
    if let Some(w) = cols.org {
        cells.push(Cell::from(fit(
            a.org.as_deref().unwrap_or(""),
            usize::from(w),
        )));
    }
    cells.push(Cell::from(rec.name.as_str()));
    cells.push(evidence(r));
    if cols.flows {
        cells.push(Cell::from(format!("{:>5}", rec.flows)));
    }
    cells.push(Cell::from(format!(
        "{:>8}",
        bytes(rec.bytes_up.saturating_add(rec.bytes_down))
    )));
    let style = party_style(a.party);
    // Seen while idle or before the visit: shown, but not what the visit caused.
    let style = if background {
        style
            .remove_modifier(Modifier::BOLD)
            .add_modifier(Modifier::DIM)
    } else {
        style
    };
    TableRow::new(cells).style(style)
}

/// How the contact was seen, with the warnings that matter first.
fn evidence(r: &Row) -> Cell<'_> {
    let a = &r.record.attribution;
    if a.cloaked.is_some() {
        return Cell::from(Span::styled(
            "CLOAKED",
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(h) = a.hidden {
        return Cell::from(Span::styled(
            format!("hidden:{}", h.as_str()),
            Style::new().fg(Color::Yellow),
        ));
    }
    if r.record.blocked.is_some() {
        // The kind and the DNS answer are in the detail pane; the column is narrow.
        return Cell::from(Span::styled(
            "BLOCKED",
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ));
    }
    if a.party == Party::BackgroundOrSite {
        return Cell::from(Span::styled(
            "browser/site?",
            Style::new().fg(Color::Yellow),
        ));
    }
    if r.record.resolved_private {
        return Cell::from(Span::styled("private-ip", Style::new().fg(Color::Cyan)));
    }
    let words: Vec<&str> = r
        .record
        .via
        .iter()
        .map(String::as_str)
        .filter(|v| *v != "dns-cache")
        .collect();
    Cell::from(words.join(","))
}
