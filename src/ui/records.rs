//! The record table: only the rows on screen are looked up and formatted.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use ratatui::Frame;

use super::theme;
use crate::app::state::{AppState, Pane};
use crate::record::decode::preview;
use crate::record::Record;

const TIME_WIDTH: u16 = 12;
const SHARD_WIDTH: u16 = 5;
const SEQUENCE_WIDTH: u16 = 10;
const KEY_WIDTH: u16 = 14;
const SIZE_WIDTH: u16 = 9;

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let store = &state.store;
    let view = &state.view;
    let visible = area.height.saturating_sub(3) as usize;
    let narrow = state.is_narrow();
    let fixed = if narrow {
        TIME_WIDTH + SIZE_WIDTH + 2
    } else {
        TIME_WIDTH + SHARD_WIDTH + SEQUENCE_WIDTH + KEY_WIDTH + SIZE_WIDTH + 5
    };
    let preview_width = area.width.saturating_sub(fixed + 2).max(8) as usize;
    let selected = view.selected();
    let rows: Vec<Row> = view
        .ids_from(store, state.table_top, visible)
        .into_iter()
        .filter_map(|id| {
            let record = store.get(id)?;
            let row = record_row(record, preview_width, narrow);
            Some(if Some(id) == selected { row.style(theme::selected_row()) } else { row })
        })
        .collect();
    let widths: Vec<Constraint> = if narrow {
        vec![Constraint::Length(TIME_WIDTH), Constraint::Length(SIZE_WIDTH), Constraint::Min(8)]
    } else {
        vec![
            Constraint::Length(TIME_WIDTH),
            Constraint::Length(SHARD_WIDTH),
            Constraint::Length(SEQUENCE_WIDTH),
            Constraint::Length(KEY_WIDTH),
            Constraint::Length(SIZE_WIDTH),
            Constraint::Min(8),
        ]
    };
    let header: Vec<&str> = if narrow {
        vec!["time", "size", "payload"]
    } else {
        vec!["time (UTC)", "shard", "sequence", "key", "size", "payload"]
    };
    let block = Block::bordered()
        .title(title(state))
        .border_style(theme::focused_border(state.focus == Pane::Records));
    let table =
        Table::new(rows, widths).header(Row::new(header).style(theme::dim())).block(block).column_spacing(1);
    frame.render_widget(table, area);
}

fn title(state: &AppState) -> Line<'static> {
    let total = state.view.len(&state.store) as u64;
    let mut spans = vec![Span::raw(format!(" Records {} ", theme::count(total)))];
    if let Some(shard) = &state.view.filter().shard {
        spans.push(Span::styled(
            format!("shard {} ", theme::short_shard(shard)),
            Style::new().fg(Color::Cyan),
        ));
    }
    if !state.filter.applied.is_empty() {
        spans.push(Span::styled(format!("/{}/ ", state.filter.applied), Style::new().fg(Color::Magenta)));
    }
    if state.view.is_following() {
        spans.push(Span::styled("following ", Style::new().fg(Color::Green)));
    } else {
        spans.push(Span::styled(
            format!(" PAUSED +{} new ", theme::count(state.view.unseen())),
            Style::new().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

fn record_row(record: &Record, preview_width: usize, narrow: bool) -> Row<'static> {
    let time = record.arrival().map(|t| t.format("%H:%M:%S%.3f").to_string()).unwrap_or_else(|| "-".into());
    let size = theme::bytes(record.data().len() as f64);
    let payload = preview(record.data(), preview_width);
    if narrow {
        return Row::new(vec![Cell::from(time), Cell::from(size), Cell::from(payload)]);
    }
    let sequence = record.sequence_number();
    let short_sequence =
        format!("…{}", &sequence[sequence.len().saturating_sub(SEQUENCE_WIDTH as usize - 1)..]);
    Row::new(vec![
        Cell::from(time),
        Cell::from(theme::short_shard(record.shard_id()).to_string()),
        Cell::from(short_sequence),
        Cell::from(record.partition_key().chars().take(KEY_WIDTH as usize).collect::<String>()),
        Cell::from(size),
        Cell::from(payload),
    ])
}
