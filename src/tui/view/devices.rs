//! The devices screen: what is on the access point, which one is followed, their labels.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Row as TableRow, Table, TableState};

use crate::attribute::Party;
use crate::tui::model::Model;

/// Draw the devices table into `area`.
pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let devices = model.devices();
    let records: Vec<_> = model
        .session
        .iter()
        .flat_map(|s| s.devices.iter())
        .collect();
    let rows: Vec<TableRow> = devices
        .iter()
        .map(|d| {
            let rec = records.iter().find(|r| r.device == *d);
            let ips: Vec<String> = rec
                .map(|r| r.ips.iter().map(ToString::to_string).collect())
                .unwrap_or_default();
            let mine = model.rows.values().filter(|r| r.record.device == *d);
            let (all, third) = mine.fold((0, 0), |(a, t), r| {
                let is_third = r.record.attribution.party == Party::Third;
                (a + 1, t + usize::from(is_third))
            });
            let followed = model.ui.follow.as_deref() == Some(d.as_str());
            TableRow::new(vec![
                if followed { "●" } else { " " }.to_owned(),
                d.clone(),
                model.labels.get(d).cloned().unwrap_or_default(),
                rec.and_then(|r| r.host_name.clone()).unwrap_or_default(),
                format!("{all:>4} / {third:<4}"),
                ips.join(", "),
            ])
        })
        .collect();
    let mut state = TableState::default()
        .with_selected((!devices.is_empty()).then_some(model.ui.device_cursor));
    let title = match &model.ui.follow {
        Some(d) => format!(" Devices · following {d} · enter follow/unfollow · l label "),
        None => " Devices · following all · enter follow one · l label ".to_owned(),
    };
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(17),
            Constraint::Length(14),
            Constraint::Length(14),
            Constraint::Length(11),
            Constraint::Min(10),
        ],
    )
    .header(
        TableRow::new(vec![
            "",
            "device",
            "label",
            "dhcp name",
            "all/third",
            "addresses",
        ])
        .style(
            Style::new()
                .fg(Color::DarkGray)
                .add_modifier(Modifier::UNDERLINED),
        ),
    )
    .block(Block::bordered().title(title))
    .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    frame.render_stateful_widget(table, area, &mut state);
}
