//! The command-line contract (see DESIGN.md): names and formats scripts depend on.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::aws::config::AwsOptions;
use crate::aws::position::StartPosition;

#[derive(Debug, Parser)]
#[command(
    name = "kinspect",
    version,
    about = "Inspect Amazon Kinesis Data Streams and Firehose delivery streams"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no command: the interactive inspector
    #[command(flatten)]
    pub open: OpenArgs,
}

/// `kinspect [STREAM]`: the terminal UI.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Stream name or ARN to open; without it, a picker lists what there is
    pub stream: Option<String>,
    /// Where to start reading (as for `tail`); without it the picker asks
    #[arg(long, value_name = "POSITION", value_parser = parse_position)]
    pub from: Option<StartPosition>,
    /// Memory for buffered records, e.g. 256MiB or 2GiB; the oldest are evicted beyond it
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    pub max_memory: usize,
    #[command(flatten)]
    pub fan_out: FanOutArgs,
}

/// Enhanced fan-out: reading as a registered consumer with SubscribeToShard.
#[derive(Debug, Clone, Default, Args)]
pub struct FanOutArgs {
    /// Read with enhanced fan-out (SubscribeToShard) as a registered consumer, with its own
    /// 2 MiB/s per shard
    #[arg(long)]
    pub efo: bool,
    /// Consumer to read as with --efo (default kinspect-USER-HOST; registered if missing, reused if there)
    #[arg(long, value_name = "NAME", requires = "efo", value_parser = parse_consumer_name)]
    pub consumer: Option<String>,
    /// Deregister the consumer when kinspect exits
    #[arg(long, requires = "efo")]
    pub efo_cleanup: bool,
    /// Renew each subscription after this long, e.g. 30s (Kinesis ends them after 5 minutes)
    #[arg(long, hide = true, value_name = "DURATION", requires = "efo", value_parser = parse_duration)]
    pub efo_renew_every: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Named profile from the shared AWS config and credentials files
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region (otherwise from AWS_REGION, the profile, or a stream ARN)
    #[arg(long, global = true, value_name = "NAME")]
    pub region: Option<String>,
    /// Endpoint for both Kinesis and Firehose, e.g. a local emulator
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Never write: `put` and the compose pane are disabled
    #[arg(long, global = true)]
    pub read_only: bool,
}

impl GlobalArgs {
    pub fn aws_options(&self) -> AwsOptions {
        AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print records of a data stream to stdout
    Tail(TailArgs),
    /// List data streams (with open shard counts) and Firehose delivery streams
    Ls,
    /// Send records from a file or stdin with PutRecords or PutRecordBatch
    Put(PutArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["stream", "firehose"])))]
pub struct PutArgs {
    /// Data stream (name or ARN) to put records into
    #[arg(long, value_name = "NAME")]
    pub stream: Option<String>,
    /// Firehose delivery stream to put records into
    #[arg(long, value_name = "NAME")]
    pub firehose: Option<String>,
    /// Input format: one record per line, or JSON lines with data / data_base64 and optional keys
    #[arg(long, value_enum, default_value_t = PutFormat::Lines)]
    pub format: PutFormat,
    /// Partition key for every record (otherwise each gets a random one)
    #[arg(long, value_name = "KEY")]
    pub partition_key: Option<String>,
    /// Treat each line as a template: {{seq}}, {{uuid}}, {{now}}, {{rand:A..B}}
    #[arg(long)]
    pub template: bool,
    /// Send each input line N times
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub repeat: u64,
    /// Resend the entries that failed, up to N more times (only those)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,
    /// Calls in flight at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// Input file; `-` or nothing reads stdin
    pub file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PutFormat {
    Lines,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Stream name or ARN
    pub stream: String,
    /// Where to start: trim-horizon, latest, at-timestamp:<RFC 3339 | -15m>, at-sequence:<SEQ>, after-sequence:<SEQ>
    #[arg(long, value_name = "POSITION", default_value = "latest", value_parser = parse_position)]
    pub from: StartPosition,
    /// Read only this shard (repeatable); its children are followed when it closes
    #[arg(long = "shard", value_name = "ID")]
    pub shards: Vec<String>,
    /// Exit after printing N records
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Exit once every shard has been read up to its newest record
    #[arg(long)]
    pub until_latest: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = TailFormat::Text)]
    pub format: TailFormat,
    /// Payload decoding before output
    #[arg(long, value_enum, default_value_t = Decode::None)]
    pub decode: Decode,
    #[command(flatten)]
    pub fan_out: FanOutArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TailFormat {
    /// One JSON object per record (the scripting contract)
    Jsonl,
    /// One readable line per record
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Decode {
    /// The payload exactly as stored
    None,
}

fn parse_position(value: &str) -> Result<StartPosition, String> {
    value.parse()
}

/// Consumer names are 1–128 of `[a-zA-Z0-9_.-]`.
fn parse_consumer_name(value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && value.len() <= 128
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(value.to_string())
    } else {
        Err(format!("'{value}' is not a consumer name: use 1 to 128 of a-z A-Z 0-9 _ . -"))
    }
}

/// "500ms", "30s", "5m" → a duration.
fn parse_duration(value: &str) -> Result<std::time::Duration, String> {
    let text = value.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits.parse().map_err(|_| format!("'{value}' is not a duration like 30s"))?;
    let millis = match unit {
        "ms" => amount,
        "s" | "" => amount.saturating_mul(1000),
        "m" => amount.saturating_mul(60_000),
        _ => return Err(format!("'{value}' has an unknown unit: use ms, s or m")),
    };
    if millis == 0 {
        return Err(format!("'{value}' is too short"));
    }
    Ok(std::time::Duration::from_millis(millis))
}

/// "256MiB", "2GiB", "512M", "1048576" → bytes (K, M, G are binary units too).
pub fn parse_size(value: &str) -> Result<usize, String> {
    let text = value.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: usize = digits.parse().map_err(|_| format!("'{value}' is not a size like 256MiB"))?;
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("'{value}' has an unknown unit: use KiB, MiB or GiB")),
    };
    let bytes = amount.checked_mul(multiplier).ok_or_else(|| format!("'{value}' is too large"))?;
    if bytes < 1 << 20 {
        return Err(format!("'{value}' is too small: give kinspect at least 1MiB"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tail_options_parse() {
        let cli = Cli::try_parse_from([
            "kinspect",
            "--region",
            "eu-west-1",
            "tail",
            "orders",
            "--from",
            "trim-horizon",
            "--shard",
            "shardId-000000000001",
            "--shard",
            "shardId-000000000002",
            "--count",
            "10",
            "--until-latest",
            "--format",
            "jsonl",
            "--endpoint-url",
            "http://127.0.0.1:4568",
        ])
        .unwrap();
        assert_eq!(cli.global.region.as_deref(), Some("eu-west-1"));
        assert_eq!(cli.global.endpoint_url.as_deref(), Some("http://127.0.0.1:4568"));
        let Some(Command::Tail(tail)) = cli.command else { panic!("not tail") };
        assert_eq!(tail.from, StartPosition::TrimHorizon);
        assert_eq!(tail.shards.len(), 2);
        assert_eq!(tail.count, Some(10));
        assert!(tail.until_latest);
        assert_eq!(tail.format, TailFormat::Jsonl);
    }

    #[test]
    fn tail_defaults_to_latest() {
        let cli = Cli::try_parse_from(["kinspect", "tail", "orders"]).unwrap();
        let Some(Command::Tail(tail)) = cli.command else { panic!("not tail") };
        assert_eq!(tail.from, StartPosition::Latest);
        assert_eq!(tail.count, None);
    }

    #[test]
    fn a_stream_alone_opens_the_tui() {
        let cli =
            Cli::try_parse_from(["kinspect", "orders", "--from", "trim-horizon", "--max-memory", "64MiB"])
                .unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.open.stream.as_deref(), Some("orders"));
        assert_eq!(cli.open.from, Some(StartPosition::TrimHorizon));
        assert_eq!(cli.open.max_memory, 64 << 20);
        let bare = Cli::try_parse_from(["kinspect"]).unwrap();
        assert!(bare.command.is_none() && bare.open.stream.is_none());
        assert_eq!(bare.open.max_memory, 256 << 20);
    }

    #[test]
    fn fan_out_options_parse_for_tail_and_the_tui() {
        let cli = Cli::try_parse_from([
            "kinspect",
            "tail",
            "orders",
            "--efo",
            "--consumer",
            "audit.reader-1",
            "--efo-cleanup",
            "--efo-renew-every",
            "1500ms",
        ])
        .unwrap();
        let Some(Command::Tail(tail)) = cli.command else { panic!("not tail") };
        assert!(tail.fan_out.efo && tail.fan_out.efo_cleanup);
        assert_eq!(tail.fan_out.consumer.as_deref(), Some("audit.reader-1"));
        assert_eq!(tail.fan_out.efo_renew_every, Some(std::time::Duration::from_millis(1500)));
        let tui = Cli::try_parse_from(["kinspect", "orders", "--efo"]).unwrap();
        assert!(tui.open.fan_out.efo && tui.open.fan_out.consumer.is_none());
    }

    #[test]
    fn fan_out_options_need_efo_and_valid_names() {
        assert!(Cli::try_parse_from(["kinspect", "tail", "orders", "--consumer", "x"]).is_err());
        assert!(Cli::try_parse_from(["kinspect", "orders", "--efo-cleanup"]).is_err());
        assert!(Cli::try_parse_from(["kinspect", "tail", "o", "--efo", "--consumer", "a b"]).is_err());
        assert!(Cli::try_parse_from(["kinspect", "tail", "o", "--efo", "--efo-renew-every", "0s"]).is_err());
        assert!(Cli::try_parse_from(["kinspect", "tail", "o", "--efo", "--efo-renew-every", "3h"]).is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("12").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }

    #[test]
    fn a_malformed_position_is_a_usage_error() {
        let err = Cli::try_parse_from(["kinspect", "tail", "orders", "--from", "yesterday"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        assert!(Cli::try_parse_from(["kinspect", "tail", "orders", "--count", "0"]).is_err());
    }
}
