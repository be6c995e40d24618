//! The selected record: its metadata, then its payload as text, JSON or hex. Only the
//! lines in view are formatted, whatever the payload's size.

use chrono::Local;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::theme;
use crate::app::state::{AppState, Pane};

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let block = Block::bordered().border_style(theme::focused_border(state.focus == Pane::Detail));
    let (Some((_, record)), Some((_, view))) = (state.selected_record(), state.detail.view.as_ref()) else {
        let empty = Paragraph::new(Span::styled("no record selected", theme::dim()));
        frame.render_widget(empty.block(block.title(" Record ")), area);
        return;
    };
    let label = Style::new().fg(Color::DarkGray);
    let arrival = record.arrival();
    let mut lines = vec![
        Line::from(vec![Span::styled("sequence ", label), Span::raw(record.sequence_number().to_string())]),
        Line::from(vec![
            Span::styled("key ", label),
            Span::raw(record.partition_key().to_string()),
            Span::styled("  shard ", label),
            Span::raw(record.shard_id().to_string()),
            Span::styled("  size ", label),
            Span::raw(format!("{} bytes", theme::count(record.data().len() as u64))),
            Span::styled("  encryption ", label),
            Span::raw(if record.kms_encrypted() { "KMS" } else { "none" }),
        ]),
        Line::from(vec![
            Span::styled("arrived ", label),
            Span::raw(
                arrival
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
            Span::styled("  local ", label),
            Span::raw(
                arrival
                    .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S%.3f %:z").to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
        ]),
    ];
    let header_lines = lines.len() as u16;
    let body_height = area.height.saturating_sub(2 + header_lines) as usize;
    let scroll = state.detail.scroll;
    for segments in view.lines(record.data(), scroll..scroll + body_height) {
        let is_match = state.detail_line_matches(&segments);
        let spans: Vec<Span> = segments
            .into_iter()
            .map(|s| {
                let style = theme::segment(s.kind);
                Span::styled(s.text, if is_match { style.add_modifier(Modifier::REVERSED) } else { style })
            })
            .collect();
        lines.push(Line::from(spans));
    }
    let title = Line::from(vec![
        Span::raw(" Record · "),
        Span::styled(view.mode().label(), Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)),
        Span::styled(format!(" · line {}/{} ", scroll + 1, view.line_count()), theme::dim()),
    ]);
    frame.render_widget(Paragraph::new(lines).block(block.title(title)), area);
}
