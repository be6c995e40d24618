//! Starting the stream reader `tail` and the TUI share: polling with GetRecords, or
//! enhanced fan-out as a registered consumer.

use super::setup_error;
use crate::aws::config::{Aws, StreamRef};
use crate::aws::consumer::{self, Consumer, ConsumerError, Patience};
use crate::aws::reader::{FanOutOptions, KinesisFanOut, KinesisShards, Lineage, ReaderOptions, StreamReader};
use crate::cli::FanOutArgs;
use crate::error::AppError;

/// The consumer to read as: `--consumer NAME` or the default one, found (or, unless
/// `read_only`, registered) and ACTIVE.
pub async fn prepare_consumer(
    aws: &Aws,
    stream: &StreamRef,
    args: &FanOutArgs,
    read_only: bool,
) -> Result<Consumer, AppError> {
    if read_only && args.efo_cleanup {
        return Err(AppError::usage("--efo-cleanup deregisters a consumer, which --read-only forbids"));
    }
    let client = aws.kinesis();
    let name = args.consumer.clone().unwrap_or_else(consumer::default_name);
    let stream_arn =
        consumer::stream_arn(&client, stream).await.map_err(|e| setup_error(e, aws, Some(stream)))?;
    consumer::register_or_reuse(&client, stream, &stream_arn, &name, !read_only, Patience::default())
        .await
        .map_err(|e| match e {
            ConsumerError::Api(e) => setup_error(e, aws, Some(stream)),
            other => AppError::usage(other.to_string()),
        })
}

/// Starts reading every shard of the lineage: with fan-out when a consumer is given.
pub fn start_reader(
    aws: &Aws,
    stream: &StreamRef,
    lineage: Lineage,
    consumer: Option<&Consumer>,
    args: &FanOutArgs,
    stop_at_tip: bool,
) -> StreamReader {
    let shards = KinesisShards::new(aws.kinesis_for_readers(), stream.clone());
    match consumer {
        Some(consumer) => {
            let api = KinesisFanOut::new(aws.kinesis_for_readers(), consumer.arn.clone(), shards);
            let defaults = FanOutOptions::default();
            let options = FanOutOptions {
                stop_at_tip,
                renew_after: args.efo_renew_every.unwrap_or(defaults.renew_after),
                ..defaults
            };
            StreamReader::fan_out(api, lineage, options)
        }
        None => {
            StreamReader::start(shards, lineage, ReaderOptions { stop_at_tip, ..ReaderOptions::default() })
        }
    }
}

/// Deregisters the consumer at exit, as `--efo-cleanup` or the TUI's exit question asked.
pub async fn clean_up(aws: &Aws, consumer: &Consumer) -> Result<(), AppError> {
    consumer::deregister(&aws.kinesis(), consumer)
        .await
        .map_err(|e| AppError::failure(format!("cannot deregister consumer '{}': {e}", consumer.name)))
}
