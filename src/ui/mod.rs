//! Pure rendering: `draw(frame, &state)`. Each pane has its own file; only visible rows
//! are formatted, so a frame costs the same however many records are buffered.

mod compose;
mod detail;
mod exit_question;
mod gauges;
mod header;
mod help;
pub mod picker;
mod records;
mod shards;
mod status;
pub mod theme;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Frame;

use crate::app::state::AppState;

/// Below this width the shard and gauge panes give their room to the records.
pub const NARROW_WIDTH: u16 = 80;

/// Where each pane goes; `shards` and `gauges` are empty on a narrow terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub shards: Rect,
    pub gauges: Rect,
    pub records: Rect,
    pub detail: Rect,
    pub status: Rect,
}

pub fn layout(state: &AppState) -> Areas {
    // Fan-out adds a line for the consumer the stream is read as.
    let header_height = if state.stream.consumer.is_some() { 2 } else { 1 };
    let [header, body, status] =
        Layout::vertical([Constraint::Length(header_height), Constraint::Min(3), Constraint::Length(1)])
            .areas(state.size);
    if state.is_narrow() {
        let [records, detail] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        return Areas { header, shards: Rect::default(), gauges: Rect::default(), records, detail, status };
    }
    let [left, right] =
        Layout::horizontal([Constraint::Length(shards::pane_width(state)), Constraint::Min(30)]).areas(body);
    let [shards, gauges] = Layout::vertical([Constraint::Min(5), Constraint::Length(14)]).areas(left);
    let [records, detail] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(right);
    Areas { header, shards, gauges, records, detail, status }
}

pub fn draw(frame: &mut Frame, state: &AppState) {
    let areas = layout(state);
    header::render(frame, areas.header, state);
    if !state.is_narrow() {
        shards::render(frame, areas.shards, state);
        gauges::render(frame, areas.gauges, state);
    }
    match &state.compose {
        Some(compose) if state.focus == crate::app::state::Pane::Compose => {
            compose::render(frame, areas.records.union(areas.detail), compose);
        }
        _ => {
            records::render(frame, areas.records, state);
            detail::render(frame, areas.detail, state);
        }
    }
    status::render(frame, areas.status, state);
    if state.help_open {
        help::render(frame, state.size);
    }
    if state.exit_question {
        exit_question::render(frame, state);
    }
}

/// A one-message screen for a wait before the inspector opens.
pub fn notice(frame: &mut Frame, text: &str) {
    use ratatui::layout::Flex;
    use ratatui::widgets::{Paragraph, Wrap};
    let area = frame.area();
    let [row] = Layout::vertical([Constraint::Length(3)]).flex(Flex::Center).areas(area);
    let paragraph = Paragraph::new(text).centered().wrap(Wrap { trim: true }).style(theme::dim());
    frame.render_widget(paragraph, row);
}
