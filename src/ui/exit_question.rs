//! The question on quitting a fan-out session: keep the registered consumer for next time,
//! or deregister it.

use ratatui::layout::{Constraint, Flex, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::state::AppState;

pub fn render(frame: &mut Frame, state: &AppState) {
    let Some(consumer) = &state.stream.consumer else {
        return;
    };
    let screen = state.size;
    let width = 60.min(screen.width);
    let [row] = Layout::vertical([Constraint::Length(8)]).flex(Flex::Center).areas(screen);
    let [area] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(row);
    let key = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
    let lines = vec![
        Line::from(vec![
            Span::raw("Deregister fan-out consumer "),
            Span::styled(consumer.name.clone(), Style::new().add_modifier(Modifier::BOLD)),
            Span::raw("?"),
        ]),
        Line::from(Span::styled(
            "A registered consumer is billed while it exists.",
            Style::new().fg(Color::DarkGray),
        )),
        Line::from(""),
        Line::from(vec![Span::styled("y", key), Span::raw(" deregister and quit")]),
        Line::from(vec![Span::styled("n", key), Span::raw(" keep it for the next run and quit")]),
        Line::from(vec![Span::styled("Esc", key), Span::raw(" stay")]),
    ];
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(Block::bordered().title(" Quit ")),
        area,
    );
}
