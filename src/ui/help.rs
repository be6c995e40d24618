//! The help overlay, made from the keymap itself.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::app::keymap::BINDINGS;

pub fn render(frame: &mut Frame, screen: Rect) {
    let width = 64.min(screen.width);
    let height = (BINDINGS.len() as u16 + 4).min(screen.height);
    let [row] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(screen);
    let [area] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(row);
    let key_style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![Span::styled(format!("{:>16}  ", b.keys), key_style), Span::raw(b.description)])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("any key closes this help", Style::new().fg(Color::DarkGray))));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Keys ")), area);
}
