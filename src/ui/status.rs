//! The bottom line: the filter being typed, the latest message, or the main keys.

use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme;
use crate::app::state::{AppState, StatusLevel};

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    if state.filter.editing {
        let input = &state.filter.input;
        let width = area.width.saturating_sub(2) as usize;
        let scroll = input.visual_scroll(width);
        let line = Line::from(vec![
            Span::styled("/", Style::new().fg(Color::Magenta)),
            Span::raw(input.value().chars().skip(scroll).collect::<String>()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let cursor = (input.visual_cursor().saturating_sub(scroll) + 1) as u16;
        frame.set_cursor_position(Position::new(area.x + cursor.min(area.width.saturating_sub(1)), area.y));
        return;
    }
    let line = match &state.status {
        Some(status) => {
            let color = match status.level {
                StatusLevel::Info => Color::Green,
                StatusLevel::Warning => Color::Yellow,
                StatusLevel::Error => Color::Red,
            };
            Line::from(Span::styled(status.text.clone(), Style::new().fg(color)))
        }
        None => Line::from(Span::styled(
            "? help  / filter  f follow  x text/json/hex  Enter open  e export  y copy  q quit",
            theme::dim(),
        )),
    };
    frame.render_widget(Paragraph::new(line), area);
}
