//! The shard pane: every shard with its state, lineage and figures; "all shards" on top.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use ratatui::Frame;

use super::theme;
use crate::app::shards::{ShardRow, ShardState};
use crate::app::state::{AppState, Pane};

/// Polling shows throttles; fan-out, which is never throttled per read, shows each
/// subscription's age and renewals instead, in a slightly wider pane.
pub fn pane_width(state: &AppState) -> u16 {
    if fan_out(state) {
        52
    } else {
        46
    }
}

fn fan_out(state: &AppState) -> bool {
    state.stream.consumer.is_some()
}

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let table = &state.shards;
    let fan_out = fan_out(state);
    let mut all = vec![
        Cell::from("all shards"),
        Cell::from(""),
        Cell::from(theme::count(table.total_records())),
        Cell::from(format!("{:.0}", table.total_records_per_sec())),
        lag_cell(table.max_lag()),
    ];
    if fan_out {
        all.extend([Cell::from(""), Cell::from(theme::count(table.rows().iter().map(|r| r.renewals).sum()))]);
    } else {
        all.push(Cell::from(theme::count(table.total_throttles())));
    }
    let all = Row::new(all);
    let rows = std::iter::once(all).chain(table.rows().iter().map(|row| shard_row(row, fan_out)));
    let visible = area.height.saturating_sub(3) as usize;
    let skip = (state.shard_cursor + 1).saturating_sub(visible);
    let mut widths = vec![
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(4),
        Constraint::Length(6),
    ];
    let mut titles = vec!["shard", "state", "records", "/s", "lag"];
    if fan_out {
        widths.extend([Constraint::Length(5), Constraint::Length(3)]);
        titles.extend(["sub", "ren"]);
    } else {
        widths.push(Constraint::Length(3));
        titles.push("thr");
    }
    let header = Row::new(titles).style(theme::dim());
    let rows: Vec<Row> = rows
        .enumerate()
        .skip(skip)
        .take(visible)
        .map(|(i, row)| if i == state.shard_cursor { row.style(theme::selected_row()) } else { row })
        .collect();
    let block = Block::bordered()
        .title(format!(" Shards ({}) ", table.rows().len()))
        .border_style(theme::focused_border(state.focus == Pane::Shards));
    frame.render_widget(Table::new(rows, widths).header(header).block(block).column_spacing(1), area);
}

fn shard_row(row: &ShardRow, fan_out: bool) -> Row<'static> {
    let indent = if row.depth == 0 { String::new() } else { format!("{}└", " ".repeat(row.depth - 1)) };
    let state_style = match row.state {
        ShardState::Failed(_) => Style::new().fg(Color::Red),
        ShardState::Retrying(_) => Style::new().fg(Color::Yellow),
        ShardState::CaughtUp => Style::new().fg(Color::Green),
        ShardState::Reading => Style::new().fg(Color::Cyan),
        _ => theme::dim(),
    };
    let mut cells = vec![
        Cell::from(format!("{indent}{}", theme::short_shard(&row.id))),
        Cell::from(Span::styled(row.state.label(), state_style)),
        Cell::from(theme::count(row.stats.records)),
        Cell::from(format!("{:.0}", row.stats.records_per_sec)),
        lag_cell(row.stats.millis_behind_latest),
    ];
    if fan_out {
        let age = row.subscription_age.map_or_else(|| "-".to_string(), theme::age);
        cells.extend([Cell::from(age), Cell::from(theme::count(row.renewals))]);
    } else {
        cells.push(Cell::from(
            Line::from(theme::count(row.stats.throttles)).style(if row.stats.throttles > 0 {
                Style::new().fg(Color::Yellow)
            } else {
                Style::new()
            }),
        ));
    }
    Row::new(cells)
}

fn lag_cell(lag: Option<i64>) -> Cell<'static> {
    match lag {
        Some(ms) => Cell::from(Span::styled(theme::millis(ms), Style::new().fg(theme::lag_color(ms)))),
        None => Cell::from(Span::styled("-", theme::dim())),
    }
}
