//! Lag, throttling and throughput for the shard under the cursor (or all shards), each as
//! a gauge against its limit with a sparkline of the last two minutes.

use std::collections::VecDeque;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Gauge, Sparkline};
use ratatui::Frame;

use super::theme;
use crate::app::state::AppState;

/// GetRecords calls a shard may take per second.
const CALLS_PER_SEC_LIMIT: f64 = 5.0;
/// SubscribeToShard calls a consumer may make per shard and second.
const SUBSCRIBE_PER_SEC_LIMIT: f64 = 1.0;
/// Bytes a shard may return per second.
const BYTES_PER_SEC_LIMIT: f64 = 2.0 * 1024.0 * 1024.0;
/// Lag shown as a full gauge: a day, on a log scale so that seconds still show.
const LAG_SCALE_MILLIS: f64 = 86_400_000.0;

struct Figures<'a> {
    title: String,
    lag: Option<i64>,
    lag_history: &'a VecDeque<u64>,
    throttles: u64,
    throttles_per_sec: u64,
    throttle_history: &'a VecDeque<u64>,
    calls_per_sec: f64,
    calls_limit: f64,
    bytes_per_sec: f64,
    bytes_limit: f64,
}

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let table = &state.shards;
    let (call_name, calls_per_shard) = match state.stream.consumer {
        Some(_) => ("SubscribeToShard", SUBSCRIBE_PER_SEC_LIMIT),
        None => ("GetRecords", CALLS_PER_SEC_LIMIT),
    };
    let figures = match state.shard_cursor.checked_sub(1).and_then(|i| table.rows().get(i)) {
        Some(row) => Figures {
            title: format!(" Gauges · shard {} ", theme::short_shard(&row.id)),
            lag: row.stats.millis_behind_latest,
            lag_history: &row.lag_history,
            throttles: row.stats.throttles,
            throttles_per_sec: row.throttles_per_sec(),
            throttle_history: &row.throttle_history,
            calls_per_sec: row.calls_per_sec() as f64,
            calls_limit: calls_per_shard,
            bytes_per_sec: row.stats.bytes_per_sec,
            bytes_limit: BYTES_PER_SEC_LIMIT,
        },
        None => {
            let reading = table.rows().iter().filter(|r| r.stats.calls > 0).count().max(1) as f64;
            Figures {
                title: " Gauges · all shards ".to_string(),
                lag: table.max_lag(),
                lag_history: &table.total_lag_history,
                throttles: table.total_throttles(),
                throttles_per_sec: table.total_throttle_history.back().copied().unwrap_or(0),
                throttle_history: &table.total_throttle_history,
                calls_per_sec: table.rows().iter().map(|r| r.calls_per_sec() as f64).sum(),
                calls_limit: calls_per_shard * reading,
                bytes_per_sec: table.total_bytes_per_sec(),
                bytes_limit: BYTES_PER_SEC_LIMIT * reading,
            }
        }
    };
    let block = Block::bordered().title(figures.title.clone()).border_style(theme::dim());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [lag, lag_spark, throttle, throttle_spark, calls, bytes] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);

    let lag_ms = figures.lag.unwrap_or(0);
    let lag_ratio = ((1.0 + lag_ms as f64).log10() / (1.0 + LAG_SCALE_MILLIS).log10()).clamp(0.0, 1.0);
    let lag_label = match figures.lag {
        Some(ms) => format!("lag {}", theme::millis(ms)),
        None => "lag -".to_string(),
    };
    let lag_color = theme::lag_color(lag_ms);
    frame.render_widget(
        Gauge::default().ratio(lag_ratio).label(lag_label).gauge_style(Style::new().fg(lag_color)),
        lag,
    );
    frame.render_widget(sparkline(figures.lag_history, lag_spark.width, lag_color), lag_spark);

    let throttle_color = if figures.throttles_per_sec > 0 { Color::Yellow } else { Color::DarkGray };
    let throttle_label =
        format!("throttled {} · {}/s", theme::count(figures.throttles), figures.throttles_per_sec);
    let throttle_ratio = (figures.throttles_per_sec as f64 / figures.calls_limit).clamp(0.0, 1.0);
    frame.render_widget(
        Gauge::default()
            .ratio(throttle_ratio)
            .label(throttle_label)
            .gauge_style(Style::new().fg(throttle_color)),
        throttle,
    );
    frame.render_widget(
        sparkline(figures.throttle_history, throttle_spark.width, throttle_color),
        throttle_spark,
    );

    let calls_label = format!("{call_name} {:.0}/{:.0} per s", figures.calls_per_sec, figures.calls_limit);
    frame.render_widget(limit_gauge(figures.calls_per_sec, figures.calls_limit, calls_label), calls);
    let bytes_label =
        format!("{}/s of {}/s", theme::bytes(figures.bytes_per_sec), theme::bytes(figures.bytes_limit));
    frame.render_widget(limit_gauge(figures.bytes_per_sec, figures.bytes_limit, bytes_label), bytes);
}

fn limit_gauge(value: f64, limit: f64, label: String) -> Gauge<'static> {
    let ratio = if limit > 0.0 { (value / limit).clamp(0.0, 1.0) } else { 0.0 };
    let color = match ratio {
        r if r >= 0.9 => Color::Red,
        r if r >= 0.7 => Color::Yellow,
        _ => Color::Green,
    };
    Gauge::default().ratio(ratio).label(label).gauge_style(Style::new().fg(color))
}

/// The most recent samples that fit the width.
fn sparkline(history: &VecDeque<u64>, width: u16, color: Color) -> Sparkline<'static> {
    let skip = history.len().saturating_sub(width as usize);
    let data: Vec<u64> = history.iter().skip(skip).copied().collect();
    Sparkline::default().data(data).style(Style::new().fg(color))
}
