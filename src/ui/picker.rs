//! The stream picker and its start-position dialog.

use ratatui::layout::{Constraint, Flex, Layout, Position};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table};
use ratatui::Frame;

use super::theme;
use crate::app::picker::{Entry, PickerState, START_CHOICES};

pub fn draw(frame: &mut Frame, picker: &PickerState) {
    let [header, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)])
            .areas(frame.area());
    let title = Line::from(vec![
        Span::styled(
            " kinspect ",
            Style::new().fg(Color::Black).bg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!(" choose a stream · {}", picker.target), theme::dim()),
    ]);
    frame.render_widget(Paragraph::new(title), header);

    let visible = picker.visible();
    let height = body.height.saturating_sub(3) as usize;
    let skip = (picker.cursor + 1).saturating_sub(height);
    let rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .skip(skip)
        .take(height)
        .map(|(i, entry)| {
            let row = entry_row(entry);
            if i == picker.cursor {
                row.style(theme::selected_row())
            } else {
                row
            }
        })
        .collect();
    let widths =
        [Constraint::Min(20), Constraint::Length(16), Constraint::Length(10), Constraint::Length(24)];
    let header_row = Row::new(["name", "kind", "status", "details"]).style(theme::dim());
    let block = Block::bordered()
        .title(format!(" Streams ({}/{}) ", visible.len(), picker.entries.len()))
        .border_style(theme::focused_border(picker.dialog.is_none()));
    frame.render_widget(Table::new(rows, widths).header(header_row).block(block), body);

    let line = if picker.filtering || !picker.filter.value().is_empty() {
        Line::from(vec![
            Span::styled("/", Style::new().fg(Color::Magenta)),
            Span::raw(picker.filter.value().to_string()),
        ])
    } else if let Some(message) = &picker.message {
        Line::from(Span::styled(message.clone(), Style::new().fg(Color::Yellow)))
    } else {
        Line::from(Span::styled("Enter open  / filter  j k move  q quit", theme::dim()))
    };
    frame.render_widget(Paragraph::new(line), status);
    if picker.filtering {
        let x = status.x + 1 + picker.filter.visual_cursor() as u16;
        frame.set_cursor_position(Position::new(x.min(status.right().saturating_sub(1)), status.y));
    }
    if picker.dialog.is_some() {
        draw_dialog(frame, picker);
    }
}

fn entry_row(entry: &Entry) -> Row<'static> {
    match entry {
        Entry::DataStream(s) => {
            let (status, details) = match &s.details {
                Some(d) => {
                    (d.status.clone(), format!("{} open shards · {}h", d.open_shards, d.retention_hours))
                }
                None => ("?".into(), String::new()),
            };
            Row::new(vec![
                Cell::from(s.name.clone()),
                Cell::from("data stream"),
                Cell::from(status),
                Cell::from(details),
            ])
        }
        Entry::DeliveryStream(s) => {
            let (status, details) = match &s.details {
                Some(d) => (d.status.clone(), format!("{} → {}", d.source, d.destination)),
                None => ("?".into(), String::new()),
            };
            Row::new(vec![
                Cell::from(s.name.clone()),
                Cell::from(Span::styled("delivery stream", theme::dim())),
                Cell::from(status),
                Cell::from(details),
            ])
        }
    }
}

fn draw_dialog(frame: &mut Frame, picker: &PickerState) {
    let Some(dialog) = &picker.dialog else { return };
    let screen = frame.area();
    let [row] = Layout::vertical([Constraint::Length(9)]).flex(Flex::Center).areas(screen);
    let [area] = Layout::horizontal([Constraint::Length(64.min(screen.width))]).flex(Flex::Center).areas(row);
    let mut lines = Vec::new();
    for (i, (name, description)) in START_CHOICES.iter().enumerate() {
        let marker = if i == dialog.choice { "› " } else { "  " };
        let style = if i == dialog.choice {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        let mut spans = vec![
            Span::styled(format!("{marker}{name:<13}"), style),
            Span::styled(*description, theme::dim()),
        ];
        if i == 2 {
            spans = vec![
                Span::styled(format!("{marker}{name:<13}"), style),
                Span::raw(dialog.time.value().to_string()),
            ];
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(""));
    match &dialog.error {
        Some(e) => lines.push(Line::from(Span::styled(e.clone(), Style::new().fg(Color::Red)))),
        None => lines.push(Line::from(Span::styled("↑ ↓ choose  Enter read  Esc back", theme::dim()))),
    }
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(format!(" Read {} from ", dialog.stream))
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
