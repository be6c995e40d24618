//! The `--format jsonl` line of the command-line contract; the TUI's export writes the same.

use base64::Engine;
use chrono::SecondsFormat;
use serde::Serialize;

use super::Record;

#[derive(Serialize)]
struct JsonlRecord<'a> {
    stream: &'a str,
    shard_id: &'a str,
    sequence_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_sequence_number: Option<u64>,
    partition_key: &'a str,
    approximate_arrival_timestamp: Option<String>,
    data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    decoding: &'a [&'a str],
}

/// Appends one JSON line (with its newline) describing `record` to `out`.
/// No decoding layer exists yet, so `text` is the raw payload when it is valid UTF-8.
pub fn write_line(out: &mut Vec<u8>, stream: &str, record: &Record) {
    let line = JsonlRecord {
        stream,
        shard_id: record.shard_id(),
        sequence_number: &record.sequence_number(),
        sub_sequence_number: record.sub_sequence_number(),
        partition_key: record.partition_key(),
        approximate_arrival_timestamp: record
            .arrival()
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
        data: base64::engine::general_purpose::STANDARD.encode(record.data()),
        text: std::str::from_utf8(record.data()).ok(),
        decoding: &[],
    };
    // Serialising plain strings and numbers into a Vec cannot fail.
    if serde_json::to_writer(&mut *out, &line).is_ok() {
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn record(data: &[u8]) -> Record {
        let arrival = Some(Utc.timestamp_millis_opt(1_767_355_200_123).unwrap());
        Record::new("shardId-000000000003".into(), "4968044903413448832736093331763", "user-7", data, arrival)
    }

    #[test]
    fn text_payload_has_every_contract_field() {
        let mut out = Vec::new();
        write_line(&mut out, "orders", &record(b"{\"id\":1}"));
        let line = String::from_utf8(out).unwrap();
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["stream"], "orders");
        assert_eq!(v["shard_id"], "shardId-000000000003");
        assert_eq!(v["sequence_number"], "4968044903413448832736093331763");
        assert_eq!(v["partition_key"], "user-7");
        assert_eq!(v["approximate_arrival_timestamp"], "2026-01-02T12:00:00.123Z");
        assert_eq!(v["data"], "eyJpZCI6MX0=");
        assert_eq!(v["text"], "{\"id\":1}");
        assert_eq!(v["decoding"], serde_json::json!([]));
        assert!(v.get("sub_sequence_number").is_none());
    }

    #[test]
    fn binary_payload_has_no_text() {
        let mut out = Vec::new();
        write_line(&mut out, "s", &record(&[0xff, 0x00, 0xfe]));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["data"], "/wD+");
        assert!(v.get("text").is_none());
    }
}
