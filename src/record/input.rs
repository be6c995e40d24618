//! Records to send, read from text: one per line (`lines`), or JSON lines with
//! `data` / `data_base64` and optional `partition_key` and `explicit_hash_key` (`jsonl`);
//! and templates that expand `{{seq}}`, `{{uuid}}`, `{{now}}` and `{{rand:A..B}}`.

use base64::Engine;
use chrono::SecondsFormat;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRecord {
    pub data: Vec<u8>,
    pub partition_key: Option<String>,
    pub explicit_hash_key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Lines,
    Jsonl,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRecord {
    data: Option<String>,
    data_base64: Option<String>,
    partition_key: Option<String>,
    explicit_hash_key: Option<String>,
}

/// Parses the input; an error names the line (1-based) and what is wrong with it.
pub fn parse(text: &str, format: InputFormat) -> Result<Vec<InputRecord>, String> {
    let lines = text.lines().enumerate().filter(|(_, l)| !l.is_empty());
    match format {
        InputFormat::Lines => Ok(lines
            .map(|(_, line)| InputRecord {
                data: line.as_bytes().to_vec(),
                partition_key: None,
                explicit_hash_key: None,
            })
            .collect()),
        InputFormat::Jsonl => {
            lines.map(|(n, line)| parse_json_line(line).map_err(|e| format!("line {}: {e}", n + 1))).collect()
        }
    }
}

fn parse_json_line(line: &str) -> Result<InputRecord, String> {
    let record: JsonRecord = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let data = match (record.data, record.data_base64) {
        (Some(text), None) => text.into_bytes(),
        (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| format!("data_base64 is not base64: {e}"))?,
        (Some(_), Some(_)) => return Err("give either data or data_base64, not both".into()),
        (None, None) => return Err("no data or data_base64 field".into()),
    };
    Ok(InputRecord { data, partition_key: record.partition_key, explicit_hash_key: record.explicit_hash_key })
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Seq,
    Uuid,
    Now,
    Rand(i64, i64),
}

/// A template line, checked once and then expanded as often as needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            pieces.push(Piece::Text(rest[..start].to_string()));
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| format!("unclosed {{{{ in template '{text}'"))?;
            pieces.push(parse_token(after[..end].trim())?);
            rest = &after[end + 2..];
        }
        pieces.push(Piece::Text(rest.to_string()));
        pieces.retain(|p| *p != Piece::Text(String::new()));
        Ok(Template { pieces })
    }

    /// The template with its tokens filled in; `seq` is the record's number (from 1).
    pub fn expand(&self, seq: u64) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Seq => out.push_str(&seq.to_string()),
                Piece::Uuid => out.push_str(&random_uuid()),
                Piece::Now => out.push_str(&chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)),
                Piece::Rand(low, high) => out.push_str(&fastrand::i64(*low..=*high).to_string()),
            }
        }
        out
    }
}

fn parse_token(token: &str) -> Result<Piece, String> {
    match token {
        "seq" => Ok(Piece::Seq),
        "uuid" => Ok(Piece::Uuid),
        "now" => Ok(Piece::Now),
        _ => {
            let range = token.strip_prefix("rand:").ok_or_else(|| {
                format!("unknown template token '{{{{{token}}}}}': use seq, uuid, now or rand:A..B")
            })?;
            let (low, high) =
                range.split_once("..").ok_or_else(|| format!("'{token}' needs a range like rand:1..100"))?;
            let low: i64 =
                low.trim().parse().map_err(|_| format!("'{token}': {low} is not a whole number"))?;
            let high: i64 =
                high.trim().parse().map_err(|_| format!("'{token}': {high} is not a whole number"))?;
            if low > high {
                return Err(format!("'{token}': the range is empty"));
            }
            Ok(Piece::Rand(low, high))
        }
    }
}

/// A random partition key, for records that come without one: spreads them over shards.
pub fn random_partition_key() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// A random (version 4) UUID.
pub fn random_uuid() -> String {
    let bytes: [u8; 16] = std::array::from_fn(|i| match i {
        6 => 0x40 | (fastrand::u8(..) & 0x0f),
        8 => 0x80 | (fastrand::u8(..) & 0x3f),
        _ => fastrand::u8(..),
    });
    let hex = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_jsonl() {
        let records = parse("one\n\ntwo\n", InputFormat::Lines).unwrap();
        assert_eq!(records.iter().map(|r| r.data.as_slice()).collect::<Vec<_>>(), [&b"one"[..], b"two"]);
        let jsonl = "{\"data\":\"hi\",\"partition_key\":\"k\"}\n{\"data_base64\":\"/wA=\",\"explicit_hash_key\":\"42\"}";
        let records = parse(jsonl, InputFormat::Jsonl).unwrap();
        assert_eq!(
            records[0],
            InputRecord { data: b"hi".to_vec(), partition_key: Some("k".into()), explicit_hash_key: None }
        );
        assert_eq!(records[1].data, vec![0xff, 0x00]);
        assert_eq!(records[1].explicit_hash_key.as_deref(), Some("42"));
    }

    #[test]
    fn bad_jsonl_names_the_line() {
        for (text, expected) in [
            ("{\"data\":\"a\"}\nnot json", "line 2:"),
            ("{\"nope\":1}", "unknown field"),
            ("{\"partition_key\":\"k\"}", "no data"),
            ("{\"data\":\"a\",\"data_base64\":\"YQ==\"}", "not both"),
            ("{\"data_base64\":\"***\"}", "not base64"),
        ] {
            let err = parse(text, InputFormat::Jsonl).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn templates_expand_every_token() {
        let template =
            Template::parse("{\"n\":{{seq}},\"id\":\"{{uuid}}\",\"at\":\"{{now}}\",\"v\":{{rand:5..7}}}")
                .unwrap();
        let text = template.expand(12);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["n"], 12);
        assert_eq!(v["id"].as_str().unwrap().len(), 36);
        assert!(chrono::DateTime::parse_from_rfc3339(v["at"].as_str().unwrap()).is_ok());
        assert!((5..=7).contains(&v["v"].as_i64().unwrap()));
        assert_eq!(Template::parse("plain").unwrap().expand(1), "plain");
    }

    #[test]
    fn bad_templates_say_why() {
        assert!(Template::parse("{{oops}}").unwrap_err().contains("unknown template token"));
        assert!(Template::parse("{{seq").unwrap_err().contains("unclosed"));
        assert!(Template::parse("{{rand:9..1}}").unwrap_err().contains("empty"));
        assert!(Template::parse("{{rand:a..b}}").unwrap_err().contains("whole number"));
    }
}
