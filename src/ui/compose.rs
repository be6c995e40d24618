//! The compose pane: target, entries with their outcomes (failures in red with their
//! error), the editor line, and a progress gauge while a send runs.

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Gauge, Paragraph, Row, Table};
use ratatui::Frame;

use super::theme;
use crate::app::compose::{ComposeEntry, ComposeState};
use crate::aws::putter::Outcome;
use crate::record::decode::preview;

const KEYS: &str =
    "a add  d duplicate  Del delete  Enter edit data  p key  h hash key  t target  T template  L load  \
                    Ctrl-S send  r resend failed  F failures only  Esc hide";

pub fn render(frame: &mut Frame, area: Rect, compose: &ComposeState) {
    let (accepted, failed, pending) = compose.summary();
    let title = Line::from(vec![
        Span::styled(" Compose → ", Style::new().add_modifier(Modifier::BOLD)),
        Span::styled(compose.target.describe(), Style::new().fg(Color::Cyan)),
        Span::raw(format!(" · {} entries · ", compose.entries.len())),
        Span::styled(format!("{accepted} accepted"), Style::new().fg(Color::Green)),
        Span::raw(" · "),
        Span::styled(
            format!("{failed} failed"),
            Style::new().fg(if failed > 0 { Color::Red } else { Color::DarkGray }),
        ),
        Span::raw(format!(
            " · {pending} not sent{} ",
            if compose.only_failures { " · showing failures" } else { "" }
        )),
    ]);
    let block = Block::bordered().title(title).border_style(theme::focused_border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [list, line, keys] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1), Constraint::Length(1)]).areas(inner);

    let visible = compose.visible();
    let height = list.height.saturating_sub(1) as usize;
    let at = visible.iter().position(|i| *i == compose.cursor).unwrap_or(0);
    let skip = (at + 1).saturating_sub(height);
    let preview_width = list.width.saturating_sub(5 + 48 + 14 + 9 + 4).max(8) as usize;
    let rows: Vec<Row> = visible
        .iter()
        .skip(skip)
        .take(height)
        .map(|&i| {
            let row = entry_row(i, &compose.entries[i], compose.problem(i), preview_width);
            if i == compose.cursor {
                row.style(theme::selected_row())
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(5),
        Constraint::Length(48),
        Constraint::Length(14),
        Constraint::Length(9),
        Constraint::Min(8),
    ];
    let header = Row::new(["#", "outcome", "key", "size", "data"]).style(theme::dim());
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), list);

    if let Some((done, total)) = compose.progress {
        let ratio = if total == 0 { 1.0 } else { done as f64 / total as f64 };
        let gauge = Gauge::default().ratio(ratio.clamp(0.0, 1.0)).label(format!("sending {done}/{total}"));
        frame.render_widget(gauge.gauge_style(Style::new().fg(Color::Cyan)), line);
    } else if let Some((field, input)) = &compose.editing {
        let label = format!("{}: ", field.label());
        let width = line.width.saturating_sub(label.len() as u16 + 1) as usize;
        let scroll = input.visual_scroll(width);
        let text: String = input.value().chars().skip(scroll).collect();
        let editor =
            Line::from(vec![Span::styled(label.clone(), Style::new().fg(Color::Magenta)), Span::raw(text)]);
        frame.render_widget(Paragraph::new(editor), line);
        let x = line.x + label.chars().count() as u16 + input.visual_cursor().saturating_sub(scroll) as u16;
        frame.set_cursor_position(Position::new(x.min(line.right().saturating_sub(1)), line.y));
    } else if let (None, Some((code, message))) = (
        &compose.confirm,
        compose.entries.get(compose.cursor).and_then(|e| e.outcome.as_ref()).and_then(Outcome::failure),
    ) {
        // The selected entry's whole error, which its row may cut short.
        let text = format!("entry {}: {code}: {message}", compose.cursor);
        frame.render_widget(Paragraph::new(Span::styled(text, Style::new().fg(Color::Red))), line);
    } else if let Some(message) = &compose.message {
        let style = if compose.confirm.is_some() {
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        frame.render_widget(Paragraph::new(Span::styled(message.clone(), style)), line);
    }
    frame.render_widget(Paragraph::new(Span::styled(KEYS, theme::dim())), keys);
}

fn entry_row(
    index: usize,
    entry: &ComposeEntry,
    problem: Option<String>,
    preview_width: usize,
) -> Row<'static> {
    let (outcome, style) = match (&entry.outcome, problem) {
        (Some(Outcome::Accepted { shard_id, sequence_number, record_id }), _) => {
            let at = match (shard_id, sequence_number, record_id) {
                (Some(shard), Some(seq), _) => {
                    format!("✓ {} …{}", theme::short_shard(shard), &seq[seq.len().saturating_sub(10)..])
                }
                (_, _, Some(id)) => format!("✓ {}", id.chars().take(24).collect::<String>()),
                _ => "✓ accepted".into(),
            };
            (at, Style::new().fg(Color::Green))
        }
        (Some(failure), _) => {
            let (code, message) = failure.failure().unwrap_or_default();
            (format!("✗ {code}: {message}"), Style::new().fg(Color::Red).add_modifier(Modifier::BOLD))
        }
        (None, Some(problem)) => (format!("! {problem}"), Style::new().fg(Color::Yellow)),
        (None, None) => ("pending".into(), theme::dim()),
    };
    Row::new(vec![
        Cell::from(index.to_string()),
        Cell::from(Span::styled(outcome, style)),
        Cell::from(entry.partition_key.chars().take(14).collect::<String>()),
        Cell::from(theme::bytes(entry.data.len() as f64)),
        Cell::from(preview(&entry.data, preview_width)),
    ])
}
