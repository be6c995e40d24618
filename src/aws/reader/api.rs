//! The two calls a shard reader makes, behind a trait so that reader logic can be tested
//! on its own clock; the real implementation talks to Kinesis through the SDK.

use std::future::Future;
use std::sync::Arc;

use aws_sdk_kinesis::types::ShardIteratorType;
use aws_sdk_kinesis::Client;
use chrono::{DateTime, Utc};

use crate::aws::config::StreamRef;
use crate::aws::error::ApiError;
use crate::aws::position::StartPosition;
use crate::aws::shards::list_shards;
use crate::record::Record;

/// One GetRecords answer.
#[derive(Debug, Clone, Default)]
pub struct RecordsPage {
    pub records: Vec<Record>,
    /// `None` once the shard is closed and read to its end.
    pub next_iterator: Option<String>,
    pub millis_behind_latest: Option<i64>,
    /// The shards that continue this one, when it has been read to its end.
    pub child_shards: Option<Vec<ChildShard>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildShard {
    pub shard_id: String,
    pub parents: Vec<String>,
}

pub trait ShardApi: Clone + Send + Sync + 'static {
    fn shard_iterator(
        &self,
        shard_id: &str,
        position: &StartPosition,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;

    fn records(
        &self,
        shard_id: &Arc<str>,
        iterator: &str,
    ) -> impl Future<Output = Result<RecordsPage, ApiError>> + Send;

    /// The children of a closed shard, for services that leave ChildShards out of GetRecords.
    fn child_shards(&self, parent: &str) -> impl Future<Output = Result<Vec<ChildShard>, ApiError>> + Send;
}

/// The shards of one stream, read through a shared SDK client.
#[derive(Clone)]
pub struct KinesisShards {
    client: Client,
    stream: StreamRef,
}

impl KinesisShards {
    pub fn new(client: Client, stream: StreamRef) -> Self {
        KinesisShards { client, stream }
    }
}

impl ShardApi for KinesisShards {
    async fn shard_iterator(&self, shard_id: &str, position: &StartPosition) -> Result<String, ApiError> {
        let request = self
            .client
            .get_shard_iterator()
            .set_stream_name(self.stream.arn().is_none().then(|| self.stream.name().to_string()))
            .set_stream_arn(self.stream.arn().map(str::to_string))
            .shard_id(shard_id);
        let (kind, sequence, timestamp) = sdk_position(position);
        let request =
            request.shard_iterator_type(kind).set_starting_sequence_number(sequence).set_timestamp(timestamp);
        let output = request.send().await.map_err(ApiError::from_sdk)?;
        output
            .shard_iterator
            .ok_or_else(|| ApiError::Other(format!("no shard iterator returned for {shard_id}")))
    }

    async fn records(&self, shard_id: &Arc<str>, iterator: &str) -> Result<RecordsPage, ApiError> {
        let output = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .set_stream_arn(self.stream.arn().map(str::to_string))
            .send()
            .await
            .map_err(ApiError::from_sdk)?;
        let records = output.records.into_iter().map(|r| record_from_sdk(shard_id, r)).collect();
        Ok(RecordsPage {
            records,
            next_iterator: output.next_shard_iterator,
            millis_behind_latest: output.millis_behind_latest,
            child_shards: output.child_shards.map(children_from_sdk),
        })
    }

    async fn child_shards(&self, parent: &str) -> Result<Vec<ChildShard>, ApiError> {
        let shards = list_shards(&self.client, &self.stream).await?;
        Ok(shards
            .iter()
            .filter(|s| s.parents().any(|p| p == parent))
            .map(|s| ChildShard {
                shard_id: s.shard_id.clone(),
                parents: s.parents().map(str::to_string).collect(),
            })
            .collect())
    }
}

/// A start position as the SDK spells it: type, sequence number, timestamp.
pub(super) fn sdk_position(
    position: &StartPosition,
) -> (ShardIteratorType, Option<String>, Option<aws_smithy_types::DateTime>) {
    match position {
        StartPosition::TrimHorizon => (ShardIteratorType::TrimHorizon, None, None),
        StartPosition::Latest => (ShardIteratorType::Latest, None, None),
        StartPosition::AtTimestamp(t) => (
            ShardIteratorType::AtTimestamp,
            None,
            Some(aws_smithy_types::DateTime::from_millis(t.timestamp_millis())),
        ),
        StartPosition::AtSequence(seq) => (ShardIteratorType::AtSequenceNumber, Some(seq.clone()), None),
        StartPosition::AfterSequence(seq) => {
            (ShardIteratorType::AfterSequenceNumber, Some(seq.clone()), None)
        }
    }
}

pub(super) fn record_from_sdk(shard_id: &Arc<str>, r: aws_sdk_kinesis::types::Record) -> Record {
    let arrival = r.approximate_arrival_timestamp.and_then(to_chrono);
    let key = r.partition_key.as_deref().unwrap_or_default();
    Record::new(Arc::clone(shard_id), &r.sequence_number, key, r.data.as_ref(), arrival)
        .with_kms_encryption(r.encryption_type == Some(aws_sdk_kinesis::types::EncryptionType::Kms))
}

pub(super) fn children_from_sdk(children: Vec<aws_sdk_kinesis::types::ChildShard>) -> Vec<ChildShard> {
    children.into_iter().map(|c| ChildShard { shard_id: c.shard_id, parents: c.parent_shards }).collect()
}

fn to_chrono(t: aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}
