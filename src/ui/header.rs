//! The top line: what is open, where, how, and how much is buffered.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme;
use crate::app::state::AppState;

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let shards = &state.shards;
    let store = &state.store;
    let mut spans = vec![
        Span::styled(
            " kinspect ",
            Style::new().fg(Color::Black).bg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::raw(" "),
        Span::styled(state.stream.name.clone(), Style::new().add_modifier(Modifier::BOLD)),
        Span::styled(format!(" · {} from {} · ", state.stream.mode, state.stream.from), theme::dim()),
        Span::raw(format!(
            "{:.0} rec/s {}/s · {} buffered {} / {}",
            shards.total_records_per_sec(),
            theme::bytes(shards.total_bytes_per_sec()),
            theme::count(store.len() as u64),
            theme::bytes(store.memory_used() as f64),
            theme::bytes(store.budget() as f64)
        )),
    ];
    if store.evicted() > 0 {
        spans.push(Span::styled(
            format!(" · {} oldest evicted", theme::count(store.evicted())),
            Style::new().fg(Color::Yellow),
        ));
    }
    spans.push(Span::styled(format!(" · {}", state.stream.target), theme::dim()));
    let mut lines = vec![Line::from(spans)];
    if let Some(consumer) = &state.stream.consumer {
        lines.push(Line::from(vec![
            Span::styled(" consumer ", theme::dim()),
            Span::styled(consumer.name.clone(), Style::new().fg(Color::Cyan)),
            Span::styled(format!(" · {}", consumer.arn), theme::dim()),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
