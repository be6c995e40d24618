//! Where reading starts: the `--from` values of the command-line contract.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartPosition {
    TrimHorizon,
    Latest,
    /// Relative times (`-15m`) are resolved once, when parsed, so that every shard and every
    /// later re-start after an expired iterator uses the same instant.
    AtTimestamp(DateTime<Utc>),
    AtSequence(String),
    AfterSequence(String),
}

impl StartPosition {
    /// The sequence forms name a position inside one shard only.
    pub fn needs_single_shard(&self) -> bool {
        matches!(self, StartPosition::AtSequence(_) | StartPosition::AfterSequence(_))
    }
}

impl fmt::Display for StartPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartPosition::TrimHorizon => write!(f, "trim-horizon"),
            StartPosition::Latest => write!(f, "latest"),
            StartPosition::AtTimestamp(t) => {
                write!(f, "at-timestamp:{}", t.to_rfc3339_opts(SecondsFormat::Millis, true))
            }
            StartPosition::AtSequence(s) => write!(f, "at-sequence:{s}"),
            StartPosition::AfterSequence(s) => write!(f, "after-sequence:{s}"),
        }
    }
}

impl FromStr for StartPosition {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse_at(input, Utc::now())
    }
}

const EXPECTED: &str = "expected trim-horizon, latest, at-timestamp:<RFC 3339 or -15m>, \
                        at-sequence:<SEQ> or after-sequence:<SEQ>";

/// Parses a start position, resolving relative times against `now`.
pub fn parse_at(input: &str, now: DateTime<Utc>) -> Result<StartPosition, String> {
    let input = input.trim();
    match input {
        "trim-horizon" => return Ok(StartPosition::TrimHorizon),
        "latest" => return Ok(StartPosition::Latest),
        _ => {}
    }
    if let Some(when) = input.strip_prefix("at-timestamp:") {
        return parse_timestamp(when, now).map(StartPosition::AtTimestamp);
    }
    if let Some(seq) = input.strip_prefix("at-sequence:") {
        return parse_sequence(seq).map(StartPosition::AtSequence);
    }
    if let Some(seq) = input.strip_prefix("after-sequence:") {
        return parse_sequence(seq).map(StartPosition::AfterSequence);
    }
    Err(format!("unknown start position '{input}': {EXPECTED}"))
}

fn parse_sequence(seq: &str) -> Result<String, String> {
    if seq.is_empty() || seq.len() > 128 || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{seq}' is not a sequence number (decimal digits)"));
    }
    Ok(seq.to_string())
}

fn parse_timestamp(when: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Some(relative) = when.strip_prefix('-') {
        return parse_relative(relative).map(|ago| now - ago).ok_or_else(|| {
            format!("'{when}' is not a relative time: use a number and s, m, h or d, like -15m or -2h")
        });
    }
    DateTime::parse_from_rfc3339(when)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("'{when}' is not an RFC 3339 time like 2024-05-01T12:00:00Z ({e})"))
}

fn parse_relative(text: &str) -> Option<ChronoDuration> {
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(unit_at);
    let amount: i64 = digits.parse().ok()?;
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    ChronoDuration::try_seconds(amount.checked_mul(seconds_per_unit)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 12, 0, 0).unwrap()
    }

    #[test]
    fn keywords() {
        assert_eq!(parse_at("trim-horizon", now()), Ok(StartPosition::TrimHorizon));
        assert_eq!(parse_at("latest", now()), Ok(StartPosition::Latest));
    }

    #[test]
    fn relative_timestamps_resolve_against_now() {
        let at = |s| parse_at(s, now()).unwrap();
        assert_eq!(at("at-timestamp:-15m"), StartPosition::AtTimestamp(now() - ChronoDuration::minutes(15)));
        assert_eq!(at("at-timestamp:-2h"), StartPosition::AtTimestamp(now() - ChronoDuration::hours(2)));
        assert_eq!(at("at-timestamp:-30s"), StartPosition::AtTimestamp(now() - ChronoDuration::seconds(30)));
        assert_eq!(at("at-timestamp:-1d"), StartPosition::AtTimestamp(now() - ChronoDuration::days(1)));
    }

    #[test]
    fn absolute_timestamps() {
        let p = parse_at("at-timestamp:2026-01-02T10:00:00+02:00", now()).unwrap();
        assert_eq!(p, StartPosition::AtTimestamp(Utc.with_ymd_and_hms(2026, 1, 2, 8, 0, 0).unwrap()));
        assert_eq!(p.to_string(), "at-timestamp:2026-01-02T08:00:00.000Z");
    }

    #[test]
    fn sequences() {
        let seq = "49680449034134488327360933317630574233816796138836066306";
        assert_eq!(parse_at(&format!("at-sequence:{seq}"), now()), Ok(StartPosition::AtSequence(seq.into())));
        assert_eq!(
            parse_at(&format!("after-sequence:{seq}"), now()),
            Ok(StartPosition::AfterSequence(seq.into()))
        );
        assert!(parse_at("at-sequence:", now()).is_err());
        assert!(parse_at("at-sequence:12ab", now()).is_err());
    }

    #[test]
    fn malformed_values_say_what_is_expected() {
        for bad in [
            "",
            "earliest",
            "at-timestamp:",
            "at-timestamp:-15",
            "at-timestamp:-15y",
            "at-timestamp:yesterday",
            "at-timestamp:-99999999999999d",
        ] {
            let err = parse_at(bad, now()).unwrap_err();
            assert!(!err.contains('\n'), "one line: {err}");
        }
        assert!(parse_at("earliest", now()).unwrap_err().contains("trim-horizon"));
    }
}
