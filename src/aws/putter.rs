//! Sending records: Kinesis PutRecords and Firehose PutRecordBatch on one engine. Entries
//! are checked against the fixed limits before anything is sent, packed into calls within
//! every limit, sent with bounded concurrency, and each per-entry result is mapped back to
//! its input entry. Whole-call failures worth retrying are retried; failed entries are only
//! resent when the caller asks, and then only those.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::config::StreamRef;
use super::error::ApiError;
use super::reader::pacing::Backoff;

pub const MAX_RECORDS_PER_CALL: usize = 500;
pub const MAX_PARTITION_KEY_CHARS: usize = 256;
pub const KINESIS_MAX_CALL_BYTES: usize = 10 << 20;
pub const FIREHOSE_MAX_RECORD_BYTES: usize = 1000 << 10;
pub const FIREHOSE_MAX_CALL_BYTES: usize = 4 << 20;
/// Attempts of one call when the whole call fails with a retryable error.
const CALL_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutTarget {
    Stream(StreamRef),
    Firehose(String),
}

impl PutTarget {
    pub fn describe(&self) -> String {
        match self {
            PutTarget::Stream(s) => format!("data stream {}", s.name()),
            PutTarget::Firehose(name) => format!("delivery stream {name}"),
        }
    }

    fn max_call_bytes(&self) -> usize {
        match self {
            PutTarget::Stream(_) => KINESIS_MAX_CALL_BYTES,
            PutTarget::Firehose(_) => FIREHOSE_MAX_CALL_BYTES,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutEntry {
    pub data: Vec<u8>,
    /// Kinesis only; required there.
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
}

impl PutEntry {
    /// Bytes the entry counts for against a call's size limit.
    fn call_bytes(&self, target: &PutTarget) -> usize {
        match target {
            PutTarget::Stream(_) => self.data.len() + self.partition_key.len(),
            PutTarget::Firehose(_) => self.data.len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Kinesis: shard and sequence number; Firehose: record id.
    Accepted { shard_id: Option<String>, sequence_number: Option<String>, record_id: Option<String> },
    /// The service refused this entry.
    Failed { code: String, message: String },
    /// The whole call failed (after retries, when retrying made sense).
    CallFailed(ApiError),
}

impl Outcome {
    pub fn is_failed(&self) -> bool {
        !matches!(self, Outcome::Accepted { .. })
    }

    /// The error code and message of a failure, as the service would name them.
    pub fn failure(&self) -> Option<(String, String)> {
        match self {
            Outcome::Accepted { .. } => None,
            Outcome::Failed { code, message } => Some((code.clone(), message.clone())),
            Outcome::CallFailed(error) => Some(error_code(error)),
        }
    }
}

/// Why an entry cannot be sent as it is; `None` when it can.
pub fn check(target: &PutTarget, entry: &PutEntry) -> Option<String> {
    if entry.data.is_empty() {
        return Some("the record is empty".into());
    }
    match target {
        PutTarget::Firehose(_) if entry.data.len() > FIREHOSE_MAX_RECORD_BYTES => Some(format!(
            "{} bytes is over Firehose's limit of {} bytes (1,000 KiB) per record",
            entry.data.len(),
            FIREHOSE_MAX_RECORD_BYTES
        )),
        PutTarget::Stream(_) => {
            let chars = entry.partition_key.chars().count();
            if chars == 0 {
                Some("the partition key is empty".into())
            } else if chars > MAX_PARTITION_KEY_CHARS {
                Some(format!(
                    "the partition key has {chars} characters; the limit is {MAX_PARTITION_KEY_CHARS}"
                ))
            } else if entry.data.len() + entry.partition_key.len() > KINESIS_MAX_CALL_BYTES {
                Some("the record is larger than a whole PutRecords call may be (10 MiB)".into())
            } else {
                None
            }
        }
        PutTarget::Firehose(_) => None,
    }
}

/// Groups the entries at `indices` into calls within the count and size limits, keeping
/// their order.
pub fn batches(target: &PutTarget, entries: &[PutEntry], indices: &[usize]) -> Vec<Vec<usize>> {
    let mut calls: Vec<Vec<usize>> = Vec::new();
    let mut bytes = 0;
    for &index in indices {
        let size = entries[index].call_bytes(target);
        let fits = calls
            .last()
            .is_some_and(|c| c.len() < MAX_RECORDS_PER_CALL && bytes + size <= target.max_call_bytes());
        if !fits {
            calls.push(Vec::new());
            bytes = 0;
        }
        if let Some(call) = calls.last_mut() {
            call.push(index);
            bytes += size;
        }
    }
    calls
}

/// The service calls, behind a trait so tests can count and shape them.
pub trait PutApi: Clone + Send + Sync + 'static {
    /// One call; the outcomes line up with `entries`.
    fn put(
        &self,
        target: &PutTarget,
        entries: Vec<PutEntry>,
    ) -> impl Future<Output = Result<Vec<Outcome>, ApiError>> + Send;
}

#[derive(Clone)]
pub struct AwsPutter {
    pub kinesis: aws_sdk_kinesis::Client,
    pub firehose: aws_sdk_firehose::Client,
}

impl PutApi for AwsPutter {
    async fn put(&self, target: &PutTarget, entries: Vec<PutEntry>) -> Result<Vec<Outcome>, ApiError> {
        match target {
            PutTarget::Stream(stream) => {
                let records = entries
                    .into_iter()
                    .map(|e| {
                        aws_sdk_kinesis::types::PutRecordsRequestEntry::builder()
                            .data(Blob::new(e.data))
                            .partition_key(e.partition_key)
                            .set_explicit_hash_key(e.explicit_hash_key)
                            .build()
                            .map_err(|e| ApiError::Other(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let request = self.kinesis.put_records().set_records(Some(records));
                let request = match stream.arn() {
                    Some(arn) => request.stream_arn(arn),
                    None => request.stream_name(stream.name()),
                };
                let output = request.send().await.map_err(ApiError::from_sdk)?;
                Ok(output
                    .records
                    .into_iter()
                    .map(|r| match r.error_code {
                        Some(code) => Outcome::Failed { code, message: r.error_message.unwrap_or_default() },
                        None => Outcome::Accepted {
                            shard_id: r.shard_id,
                            sequence_number: r.sequence_number,
                            record_id: None,
                        },
                    })
                    .collect())
            }
            PutTarget::Firehose(name) => {
                let records = entries
                    .into_iter()
                    .map(|e| {
                        aws_sdk_firehose::types::Record::builder()
                            .data(aws_sdk_firehose::primitives::Blob::new(e.data))
                            .build()
                            .map_err(|e| ApiError::Other(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let output = self
                    .firehose
                    .put_record_batch()
                    .delivery_stream_name(name)
                    .set_records(Some(records))
                    .send()
                    .await
                    .map_err(ApiError::from_sdk)?;
                Ok(output
                    .request_responses
                    .into_iter()
                    .map(|r| match r.error_code {
                        Some(code) => Outcome::Failed { code, message: r.error_message.unwrap_or_default() },
                        None => Outcome::Accepted {
                            shard_id: None,
                            sequence_number: None,
                            record_id: r.record_id,
                        },
                    })
                    .collect())
            }
        }
    }
}

/// Sends the entries at `indices` in calls of at most `concurrency` at once; returns each
/// index with its outcome. A call that fails as a whole is retried with back-off when the
/// error is worth retrying; if it still fails, all its entries fail with that error.
pub async fn send<A: PutApi>(
    api: &A,
    target: &PutTarget,
    entries: &[PutEntry],
    indices: &[usize],
    concurrency: usize,
) -> Vec<(usize, Outcome)> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut calls = JoinSet::new();
    for batch in batches(target, entries, indices) {
        let (api, target, permits) = (api.clone(), target.clone(), Arc::clone(&permits));
        let payload: Vec<PutEntry> = batch.iter().map(|i| entries[*i].clone()).collect();
        calls.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let outcomes = call_with_retries(&api, &target, payload).await;
            batch.into_iter().zip(outcomes).collect::<Vec<_>>()
        });
    }
    let mut results = Vec::with_capacity(indices.len());
    while let Some(joined) = calls.join_next().await {
        if let Ok(outcomes) = joined {
            results.extend(outcomes);
        }
    }
    results.sort_by_key(|(index, _)| *index);
    results
}

async fn call_with_retries<A: PutApi>(api: &A, target: &PutTarget, entries: Vec<PutEntry>) -> Vec<Outcome> {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    let count = entries.len();
    let mut attempt = 1;
    loop {
        match api.put(target, entries.clone()).await {
            Ok(outcomes) if outcomes.len() == count => return outcomes,
            Ok(outcomes) => {
                let message = format!("the service answered {} results for {count} records", outcomes.len());
                return vec![Outcome::Failed { code: "BadResponse".into(), message }; count];
            }
            Err(error) if error.is_retryable() && attempt < CALL_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(backoff.next_delay()).await;
            }
            Err(error) => return vec![Outcome::CallFailed(error); count],
        }
    }
}

fn error_code(error: &ApiError) -> (String, String) {
    // Transient and other errors read "Code: message" (see ApiError::from_sdk).
    match error {
        ApiError::Throttled(code) => (code.clone(), error.to_string()),
        ApiError::NotFound(m) => ("ResourceNotFoundException".into(), m.clone()),
        ApiError::AccessDenied(m) => ("AccessDeniedException".into(), m.clone()),
        ApiError::Unreachable(m) => ("Unreachable".into(), m.clone()),
        ApiError::Transient(m) | ApiError::Other(m) | ApiError::InUse(m) => {
            let code = m.split(':').next().unwrap_or("Error").trim().to_string();
            (code, m.clone())
        }
        ApiError::ExpiredIterator => ("ExpiredIteratorException".into(), error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: usize, key: &str) -> PutEntry {
        PutEntry { data: vec![b'x'; size], partition_key: key.into(), explicit_hash_key: None }
    }

    fn stream() -> PutTarget {
        PutTarget::Stream(StreamRef::Name("s".into()))
    }

    fn firehose() -> PutTarget {
        PutTarget::Firehose("f".into())
    }

    #[test]
    fn every_fixed_limit_is_checked() {
        assert_eq!(check(&stream(), &entry(10, "k")), None);
        assert!(check(&stream(), &entry(0, "k")).unwrap().contains("empty"));
        assert!(check(&firehose(), &entry(0, "")).unwrap().contains("empty"));
        assert!(check(&stream(), &entry(10, "")).unwrap().contains("partition key is empty"));
        assert_eq!(check(&stream(), &entry(10, &"k".repeat(256))), None);
        assert!(check(&stream(), &entry(10, &"é".repeat(257))).unwrap().contains("257 characters"));
        assert_eq!(check(&firehose(), &entry(FIREHOSE_MAX_RECORD_BYTES, "")), None);
        assert!(check(&firehose(), &entry(FIREHOSE_MAX_RECORD_BYTES + 1, "")).unwrap().contains("1,000 KiB"));
        // Kinesis's per-record cap depends on the stream: the service decides.
        assert_eq!(check(&stream(), &entry(3 << 20, "k")), None);
        assert!(check(&stream(), &entry(KINESIS_MAX_CALL_BYTES, "k")).is_some());
    }

    #[test]
    fn calls_respect_count_and_size_limits_in_order() {
        let entries: Vec<PutEntry> = (0..1200).map(|_| entry(10, "k")).collect();
        let indices: Vec<usize> = (0..1200).collect();
        let calls = batches(&stream(), &entries, &indices);
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [500, 500, 200]);
        assert_eq!(calls.concat(), indices);

        let big: Vec<PutEntry> = (0..10).map(|_| entry(900 << 10, "")).collect();
        let calls = batches(&firehose(), &big, &(0..10).collect::<Vec<_>>());
        assert!(calls
            .iter()
            .all(|c| c.iter().map(|i| big[*i].data.len()).sum::<usize>() <= FIREHOSE_MAX_CALL_BYTES));
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
    }
}
