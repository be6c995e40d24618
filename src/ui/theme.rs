//! Colours and number formats shared by the panes.

use ratatui::style::{Color, Modifier, Style};

use crate::record::decode::SegmentKind;

pub fn focused_border(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    }
}

pub fn selected_row() -> Style {
    Style::new().bg(Color::Blue).fg(Color::White).add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn segment(kind: SegmentKind) -> Style {
    match kind {
        SegmentKind::Plain | SegmentKind::HexAscii => Style::new(),
        SegmentKind::Invalid => Style::new().fg(Color::Black).bg(Color::Red),
        SegmentKind::Control | SegmentKind::HexDot => Style::new().fg(Color::DarkGray),
        SegmentKind::JsonKey => Style::new().fg(Color::Cyan),
        SegmentKind::JsonString => Style::new().fg(Color::Green),
        SegmentKind::JsonNumber => Style::new().fg(Color::Yellow),
        SegmentKind::JsonLiteral => Style::new().fg(Color::Magenta),
        SegmentKind::JsonPunctuation => Style::new().fg(Color::Gray),
        SegmentKind::HexOffset => Style::new().fg(Color::DarkGray),
        SegmentKind::HexByte => Style::new().fg(Color::Yellow),
        SegmentKind::Note => Style::new().fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
    }
}

/// How far behind the tip a reader is, as a colour: fine, worth watching, in trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LagTier {
    Current,
    Behind,
    FarBehind,
}

pub fn lag_tier(millis: i64) -> LagTier {
    if millis <= 1_000 {
        LagTier::Current
    } else if millis <= 60_000 {
        LagTier::Behind
    } else {
        LagTier::FarBehind
    }
}

pub fn lag_color(millis: i64) -> Color {
    match lag_tier(millis) {
        LagTier::Current => Color::Green,
        LagTier::Behind => Color::Yellow,
        LagTier::FarBehind => Color::Red,
    }
}

/// 1536 → "1.5 KiB"
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// 12345 → "12,345"
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milliseconds as "850ms", "12.3s", "4m05s", "2h13m".
pub fn millis(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1_000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{}m{:02}s", ms / 60_000, ms / 1000 % 60)
    } else {
        format!("{}h{:02}m", ms / 3_600_000, ms / 60_000 % 60)
    }
}

/// Whole seconds in at most five characters: "42s", "4m05s", "2h10m".
pub fn age(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

/// "shardId-000000000003" → "0003"
pub fn short_shard(id: &str) -> &str {
    let digits = id.rsplit('-').next().unwrap_or(id);
    let trimmed = digits.trim_start_matches('0');
    let keep = trimmed.len().max(4).min(digits.len());
    &digits[digits.len() - keep..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0), "3.0 MiB");
        assert_eq!(count(0), "0");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(millis(850), "850ms");
        assert_eq!(millis(12_345), "12.3s");
        assert_eq!(millis(245_000), "4m05s");
        assert_eq!(millis(7_980_000), "2h13m");
        assert_eq!(short_shard("shardId-000000000003"), "0003");
        assert_eq!(short_shard("shardId-000000012345"), "12345");
    }

    #[test]
    fn lag_tiers() {
        assert_eq!(lag_tier(0), LagTier::Current);
        assert_eq!(lag_tier(5_000), LagTier::Behind);
        assert_eq!(lag_tier(3_600_000), LagTier::FarBehind);
    }
}
