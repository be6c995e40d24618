//! `kinspect tail`: records to stdout, kcat-style.

use std::io::ErrorKind;
use std::time::Duration;

use chrono::SecondsFormat;
use tokio::io::AsyncWriteExt;

use super::{reading, setup_error, shutdown_signals};
use crate::aws::config::{Aws, AwsOptions, StreamRef};
use crate::aws::reader::{Lineage, ReaderEvent, StreamReader};
use crate::aws::shards::list_shards;
use crate::cli::{TailArgs, TailFormat};
use crate::error::AppError;
use crate::record::{jsonl, Record};

pub async fn run(aws_options: &AwsOptions, args: TailArgs, read_only: bool) -> Result<(), AppError> {
    let stream = StreamRef::parse(&args.stream)?;
    if args.from.needs_single_shard() && args.shards.len() != 1 {
        return Err(AppError::usage(format!(
            "--from {} names a position in one shard: pass exactly one --shard",
            args.from.to_string().split(':').next().unwrap_or_default()
        )));
    }
    let aws = Aws::load(aws_options, Some(&stream)).await?;
    let shards =
        list_shards(&aws.kinesis(), &stream).await.map_err(|e| setup_error(e, &aws, Some(&stream)))?;
    let lineage = Lineage::plan(&shards, &args.shards, &args.from).map_err(AppError::usage)?;
    let consumer = match args.fan_out.efo {
        true => Some(reading::prepare_consumer(&aws, &stream, &args.fan_out, read_only).await?),
        false => None,
    };
    if let Some(consumer) = consumer.as_ref().filter(|c| c.registered_now && !args.fan_out.efo_cleanup) {
        // A registered consumer is billed while it exists: say that one now does.
        eprintln!(
            "kinspect: registered fan-out consumer '{}'; later runs reuse it, --efo-cleanup removes it",
            consumer.name
        );
    }
    let reader =
        reading::start_reader(&aws, &stream, lineage, consumer.as_ref(), &args.fan_out, args.until_latest);
    let printer = Printer { stream: stream.name().to_string(), format: args.format };
    let printed = match consumer.as_ref().filter(|_| args.fan_out.efo_cleanup) {
        // Cleaning up must also happen when the user stops tail with Ctrl-C.
        Some(_) => {
            let shutdown = shutdown_signals()?;
            tokio::select! {
                printed = print_records(reader, printer, args.count) => printed,
                _ = shutdown => Ok(0),
            }
        }
        None => print_records(reader, printer, args.count).await,
    };
    if let Some(consumer) = consumer.as_ref().filter(|_| args.fan_out.efo_cleanup) {
        reading::clean_up(&aws, consumer).await?;
    }
    match printed {
        Ok(0) => Ok(()),
        Ok(failed) => Err(AppError::failure(format!(
            "{failed} shard{} could not be read",
            if failed == 1 { "" } else { "s" }
        ))),
        // The reader of our output went away (`| head`): that is a normal way to stop.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(AppError::failure(format!("cannot write output: {e}"))),
    }
}

/// Prints until the count is reached or every shard task ends; returns how many shards failed.
async fn print_records(
    mut reader: StreamReader,
    printer: Printer,
    count: Option<u64>,
) -> std::io::Result<usize> {
    let mut stdout = tokio::io::stdout();
    let mut remaining = count.unwrap_or(u64::MAX);
    let mut failed_shards = 0;
    let mut buffer = Vec::with_capacity(64 * 1024);
    while let Some(event) = reader.next().await {
        match event {
            ReaderEvent::Records { records, .. } => {
                buffer.clear();
                for record in records.iter().take(usize::try_from(remaining).unwrap_or(usize::MAX)) {
                    printer.write(&mut buffer, record);
                    remaining -= 1;
                }
                // Whole lines, flushed per batch: `| head` and `| jq` see records as they come.
                stdout.write_all(&buffer).await?;
                stdout.flush().await?;
                if remaining == 0 {
                    return Ok(failed_shards);
                }
            }
            ReaderEvent::Error { shard_id, error, retry_in } => match retry_in {
                None => {
                    failed_shards += 1;
                    eprintln!("kinspect: {shard_id}: {error}");
                }
                Some(delay) => eprintln!("kinspect: {shard_id}: {error}; retrying in {}", seconds(delay)),
            },
            ReaderEvent::Started { .. }
            | ReaderEvent::Subscribed { .. }
            | ReaderEvent::Throttled { .. }
            | ReaderEvent::CaughtUp { .. }
            | ReaderEvent::Closed { .. } => {}
        }
    }
    Ok(failed_shards)
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

struct Printer {
    stream: String,
    format: TailFormat,
}

impl Printer {
    fn write(&self, out: &mut Vec<u8>, record: &Record) {
        match self.format {
            TailFormat::Jsonl => jsonl::write_line(out, &self.stream, record),
            TailFormat::Text => write_text_line(out, record),
        }
    }
}

/// Longest binary payload shown in full in text output; longer ones are cut with "…".
const TEXT_HEX_LIMIT: usize = 256;

/// `TIME SHARD KEY PAYLOAD` on one line: text with control characters escaped, or hex for
/// binary payloads.
fn write_text_line(out: &mut Vec<u8>, record: &Record) {
    use std::fmt::Write;
    let mut line = String::new();
    let time = record.arrival().map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true));
    let time = time.unwrap_or_else(|| "-".into());
    let _ = write!(line, "{time} {} {} ", record.shard_id(), escape(record.partition_key()));
    let data = record.data();
    match std::str::from_utf8(data) {
        Ok(text) => line.push_str(&escape(text)),
        Err(_) => {
            let shown = &data[..data.len().min(TEXT_HEX_LIMIT)];
            let _ = write!(line, "<{} bytes> {}", data.len(), hex::encode(shown));
            if shown.len() < data.len() {
                line.push('…');
            }
        }
    }
    line.push('\n');
    out.extend_from_slice(line.as_bytes());
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            '\\' => escaped.push_str("\\\\"),
            c if c.is_control() => escaped.extend(c.escape_unicode()),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn record(data: &[u8]) -> Record {
        let arrival = Some(Utc.timestamp_millis_opt(1_767_355_200_123).unwrap());
        Record::new("shardId-000000000001".into(), "1", "pk\t1", data, arrival)
    }

    fn text(data: &[u8]) -> String {
        let mut out = Vec::new();
        write_text_line(&mut out, &record(data));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_lines_stay_on_one_line() {
        assert_eq!(
            text(b"hello\nworld\x07"),
            "2026-01-02T12:00:00.123Z shardId-000000000001 pk\\t1 hello\\nworld\\u{7}\n"
        );
    }

    #[test]
    fn binary_payloads_show_as_hex() {
        assert_eq!(
            text(&[0xff, 0x00]),
            "2026-01-02T12:00:00.123Z shardId-000000000001 pk\\t1 <2 bytes> ff00\n"
        );
        let long = text(&[0xff; 300]);
        assert!(long.contains("<300 bytes>") && long.trim_end().ends_with('…'));
    }
}
