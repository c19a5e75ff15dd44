//! The detail pane: why the selected contact matters, with the evidence behind it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{bytes, category_color, category_word, offset};
use crate::tui::model::{Model, Row};

/// Draw the selected contact's details into `area`.
pub fn render(model: &Model, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(" Detail · enter/esc closes ");
    let Some(r) = model.selected_row() else {
        frame.render_widget(Paragraph::new(" no contact selected").block(block), area);
        return;
    };
    // Inside the border; every line is wrapped here, under its field.
    let width = usize::from(area.width.saturating_sub(2));
    let lines = lines(model, r)
        .into_iter()
        .flat_map(|l| hang(l, width))
        .collect::<Vec<_>>();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn field(name: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {name:<10}"), Style::new().fg(Color::DarkGray)),
        Span::raw(value.into()),
    ])
}

/// `line` wrapped to `width` columns at spaces, continuation lines indented under its value:
/// after its first span when it has several (a field name, an evidence line's time and kind),
/// else under its own leading spaces. A word longer than the room is cut.
fn hang(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    let total: usize = line.spans.iter().map(|s| s.content.chars().count()).sum();
    if width == 0 || total <= width {
        return vec![line];
    }
    let indent = match line.spans.first() {
        Some(first) if line.spans.len() > 1 => first.content.chars().count(),
        Some(only) => only.content.len() - only.content.trim_start().len(),
        None => 0,
    }
    .min(width / 2);
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        for piece in pieces(&span.content) {
            // Trailing spaces may hang past the edge; the word itself must fit.
            let len = piece.trim_end().chars().count();
            if used + len > width && used > indent {
                out.push(Line::from(std::mem::take(&mut current)));
                current.push(Span::raw(" ".repeat(indent)));
                used = indent;
                if piece.trim().is_empty() {
                    continue;
                }
            }
            let mut piece = piece;
            // A word wider than the room: cut it over as many lines as it needs.
            while used + piece.trim_end().chars().count() > width {
                let room = width - used;
                let head: String = piece.chars().take(room).collect();
                let tail: String = piece.chars().skip(room).collect();
                current.push(Span::styled(head, span.style));
                out.push(Line::from(std::mem::take(&mut current)));
                current.push(Span::raw(" ".repeat(indent)));
                used = indent;
                piece = tail;
            }
            used += piece.chars().count();
            current.push(Span::styled(piece, span.style));
        }
    }
    if !current.is_empty() {
        out.push(Line::from(current));
    }
    out
}

/// `s` as words, each with the spaces after it.
fn pieces(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_space = false;
    for c in s.chars() {
        if c == ' ' {
            in_space = true;
        } else if in_space {
            out.push(std::mem::take(&mut word));
            in_space = false;
        }
        word.push(c);
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The detail pane of one contact, section by section.
fn lines(model: &Model, r: &Row) -> Vec<Line<'static>> {
    let mut out = identity_lines(model, r);
    out.extend(network_lines(&r.record));
    out.extend(traffic_lines(&r.record));
    out.extend(evidence_lines(model, r));
    out
}

/// Who the contact is: name, organisation, category and party, phase, purpose, declared
/// tracker, cloaking and hidden marks.
fn identity_lines(model: &Model, r: &Row) -> Vec<Line<'static>> {
    let rec = &r.record;
    let a = &rec.attribution;
    let origin = model.origin();
    let mut out = vec![Line::from(Span::styled(
        format!(" {}", rec.name),
        Style::new().add_modifier(Modifier::BOLD),
    ))];
    let org = match (&a.org, &a.service) {
        (Some(o), Some(s)) => format!("{o} ({s})"),
        (Some(o), None) => o.clone(),
        (None, Some(s)) => s.clone(),
        (None, None) => "unknown".to_owned(),
    };
    out.push(field("org", org));
    let mut cat = vec![Span::styled(
        " category  ".to_owned(),
        Style::new().fg(Color::DarkGray),
    )];
    if let Some(c) = a.category {
        cat.push(Span::styled(
            category_word(c),
            Style::new().fg(category_color(c)),
        ));
    }
    cat.push(Span::raw(format!("  party {}", a.party.as_str())));
    out.push(Line::from(cat));
    out.push(field(
        "phase",
        format!(
            "{}  first {}  last {}",
            rec.phase.as_str(),
            offset(rec.first_seen, origin),
            offset(rec.last_seen, origin)
        ),
    ));
    if let Some(about) = &r.about {
        out.push(field("purpose", about.purpose.clone()));
    }
    if let Some(d) = &a.declared {
        out.push(field("declared", d.clone()));
    }
    if let Some(c) = &a.cloaked {
        let style = Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD);
        out.push(Line::from(vec![
            Span::styled(" CLOAKED   ", style),
            Span::styled(format!("first-party name resolving to {}", c.target), style),
        ]));
    }
    if let Some(h) = a.hidden {
        out.push(field("hidden", h.as_str()));
    }
    out
}

/// What travelled on the wire: via and byte counts, CNAME chain, servers, cookies.
fn traffic_lines(rec: &crate::session::ContactRecord) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    out.push(field(
        "via",
        format!(
            "{}  flows {}  up {}  down {}",
            rec.via.join(","),
            rec.flows,
            bytes(rec.bytes_up),
            bytes(rec.bytes_down)
        ),
    ));
    let chain = if rec.cname_chain.is_empty() {
        "—".to_owned()
    } else {
        format!("{} → {}", rec.name, rec.cname_chain.join(" → "))
    };
    out.push(field("cname", chain));
    let servers: Vec<String> = rec.server_ips.iter().map(ToString::to_string).collect();
    out.push(field(
        "servers",
        format!("{} {}", servers.join(", "), rec.server_ports.join(" ")),
    ));
    if !rec.cookies_set.is_empty() || rec.cookie_sent {
        out.push(field(
            "cookies",
            format!(
                "set {}{}",
                rec.cookies_set.join(", "),
                if rec.cookie_sent {
                    " · cookie sent"
                } else {
                    ""
                }
            ),
        ));
    }
    out
}

/// Where the evidence comes from: organisation names, first observations, signature source.
fn evidence_lines(model: &Model, r: &Row) -> Vec<Line<'static>> {
    let rec = &r.record;
    let origin = model.origin();
    let mut out = Vec::new();
    out.push(field("org names", org_names(model, r).join(", ")));
    out.push(Line::from(Span::styled(
        " first observations",
        Style::new().fg(Color::DarkGray),
    )));
    for e in &rec.evidence {
        out.push(Line::from(vec![
            Span::raw(format!("   {:>9} {:<12} ", offset(e.ts, origin), e.kind)),
            Span::raw(e.flow.clone().unwrap_or_default()),
        ]));
    }
    if let Some(about) = &r.about {
        out.push(field(
            "source",
            format!("{} [{}]", about.source, about.layer),
        ));
    }
    out
}

/// What the network and the browser did: a blocked attempt with its DNS answer, a private
/// address, browser background.
fn network_lines(rec: &crate::session::ContactRecord) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(b) = rec.blocked {
        let answer = rec
            .blocked_answer
            .as_ref()
            .map(|a| format!(" · DNS answer {} at {}", a.summary(), a.time))
            .unwrap_or_default();
        let style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
        out.push(Line::from(vec![
            Span::styled(" BLOCKED   ", style),
            Span::styled(
                format!("attempted; blocked by the network ({}){answer}", b.as_str()),
                style,
            ),
        ]));
    } else if rec.resolved_private {
        out.push(field(
            "address",
            "resolved to a private address; attributed by its name",
        ));
    }
    if let Some(browsers) = &rec.attribution.browser_background {
        let what = if rec.attribution.party == crate::attribute::Party::BackgroundOrSite {
            format!("{browsers} contacts it on its own; sites embed it too: possibly the site")
        } else {
            format!("background service of {browsers}")
        };
        out.push(field("browser", what));
    }
    let f = &rec.baseline;
    let idle = match (f.background, &f.idle) {
        (Some(crate::session::Background::SeenWhileIdle), Some(m)) => Some(format!(
            "seen while idle ({}, as {}): not in the findings",
            f.baseline_words(),
            m.name
        )),
        (Some(_), _) => Some("first seen before the visit mark: not in the findings".to_owned()),
        (None, _) if f.also_seen_while_idle => {
            Some("also seen while idle, but grew with the visit: counted".to_owned())
        }
        (None, _) => None,
    };
    if let Some(idle) = idle {
        out.push(field("baseline", idle));
    }
    out
}

/// Every name of the same organisation in this session (the name itself when none is known).
fn org_names(model: &Model, r: &Row) -> Vec<String> {
    let Some(org) = &r.record.attribution.org else {
        return vec![r.record.name.clone()];
    };
    let mut names: Vec<String> = model
        .rows
        .values()
        .filter(|o| o.record.attribution.org.as_ref() == Some(org))
        .map(|o| o.record.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}
