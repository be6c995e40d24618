//! The polling reader of one shard: GetShardIterator, then GetRecords until the shard
//! closes, the consumer goes away, or (when asked) the tip is reached.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::api::{ChildShard, RecordsPage, ShardApi};
use super::events::{ReaderEvent, ShardStats};
use super::pacing::{Backoff, Pacer, RateMeter};
use super::ReaderOptions;
use crate::aws::error::ApiError;
use crate::aws::position::StartPosition;

/// How a shard task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardOutcome {
    Closed {
        children: Vec<ChildShard>,
    },
    /// Reached the tip while the reader was asked to stop there.
    AtTip,
    Failed(ApiError),
    /// The receiving side dropped its channel: nobody wants the records any more.
    Abandoned,
}

struct Gone;

pub(super) struct ShardReader<A> {
    api: A,
    shard_id: Arc<str>,
    start: StartPosition,
    options: ReaderOptions,
    out: mpsc::Sender<ReaderEvent>,
    stats: ShardStats,
    rate: RateMeter,
    pacer: Pacer,
    /// The last sequence number handed out: where to resume after an expired iterator.
    last_sequence: Option<String>,
    errors: Backoff,
    throttles: Backoff,
}

impl<A: ShardApi> ShardReader<A> {
    pub(super) fn new(
        api: A,
        shard_id: Arc<str>,
        start: StartPosition,
        options: ReaderOptions,
        out: mpsc::Sender<ReaderEvent>,
    ) -> Self {
        ShardReader {
            api,
            shard_id,
            start,
            pacer: Pacer::new(options.min_call_interval),
            errors: Backoff::new(options.error_backoff_base, options.backoff_cap),
            throttles: Backoff::new(options.throttle_backoff_base, options.backoff_cap),
            options,
            out,
            stats: ShardStats::default(),
            rate: RateMeter::new(Duration::from_secs(5)),
            last_sequence: None,
        }
    }

    pub(super) async fn run(mut self) -> ShardOutcome {
        let from = self.start.to_string();
        match self.read(from).await {
            Ok(outcome) => outcome,
            Err(Gone) => ShardOutcome::Abandoned,
        }
    }

    async fn read(&mut self, from: String) -> Result<ShardOutcome, Gone> {
        self.emit(ReaderEvent::Started { shard_id: self.shard_id.clone(), from }).await?;
        let mut iterator: Option<String> = None;
        let mut at_tip = false;
        loop {
            let current = match iterator.take() {
                Some(it) => it,
                None => match self.fresh_iterator().await? {
                    Ok(it) => it,
                    Err(e) => return Ok(ShardOutcome::Failed(e)),
                },
            };
            self.pacer.ready().await;
            self.stats.get_records_calls += 1;
            let page = match self.api.records(&self.shard_id, &current).await {
                Ok(page) => page,
                // Routine, and nothing is lost: leaving `iterator` empty makes the next round
                // take a fresh one after the last record handed out. Not an error to report.
                Err(ApiError::ExpiredIterator) => continue,
                Err(error) if error.is_retryable() => {
                    self.wait_to_retry(error).await?;
                    iterator = Some(current);
                    continue;
                }
                Err(error) => return Ok(ShardOutcome::Failed(self.give_up(error).await?)),
            };
            self.errors.reset();
            self.throttles.reset();
            let full = page.records.len() >= self.options.full_page_records;
            let empty = page.records.is_empty();
            let millis = page.millis_behind_latest;
            let next = page.next_iterator.clone();
            let child_shards = page.child_shards.clone();
            self.deliver(page).await?;
            let Some(next) = next else {
                let children = match child_shards {
                    Some(children) => children,
                    None => self.children_by_listing().await?,
                };
                let ids = children.iter().map(|c| c.shard_id.clone()).collect();
                self.emit(ReaderEvent::Closed { shard_id: self.shard_id.clone(), children: ids }).await?;
                return Ok(ShardOutcome::Closed { children });
            };
            iterator = Some(next);
            let reached_tip = empty && millis.unwrap_or(0) == 0;
            if reached_tip && !at_tip {
                self.emit(ReaderEvent::CaughtUp { shard_id: self.shard_id.clone() }).await?;
                if self.options.stop_at_tip {
                    return Ok(ShardOutcome::AtTip);
                }
            }
            at_tip = reached_tip;
            let behind = millis.is_some_and(|m| m > 0) || full || (millis.is_none() && !empty);
            if !behind {
                self.pacer.hold_for(self.options.idle_interval);
            }
        }
    }

    /// A new iterator: just after the last record handed out, or at the original start.
    async fn fresh_iterator(&mut self) -> Result<Result<String, ApiError>, Gone> {
        let position = match &self.last_sequence {
            Some(seq) => StartPosition::AfterSequence(seq.clone()),
            None => self.start.clone(),
        };
        loop {
            self.pacer.ready().await;
            match self.api.shard_iterator(&self.shard_id, &position).await {
                Ok(it) => return Ok(Ok(it)),
                Err(error) if error.is_retryable() => self.wait_to_retry(error).await?,
                Err(error) => return Ok(Err(self.give_up(error).await?)),
            }
        }
    }

    async fn children_by_listing(&mut self) -> Result<Vec<ChildShard>, Gone> {
        loop {
            self.pacer.ready().await;
            match self.api.child_shards(&self.shard_id).await {
                Ok(children) => return Ok(children),
                Err(error) if error.is_retryable() => self.wait_to_retry(error).await?,
                Err(error) => {
                    // The shard itself was read completely; only its continuation is unknown.
                    self.give_up(error).await?;
                    return Ok(Vec::new());
                }
            }
        }
    }

    /// Reports a failed call worth repeating and holds the next call back: at least a second
    /// after throttling, less after other faults, longer each time in a row.
    async fn wait_to_retry(&mut self, error: ApiError) -> Result<(), Gone> {
        let shard_id = self.shard_id.clone();
        if let ApiError::Throttled(_) = error {
            self.stats.throttles += 1;
            let retry_in = self.throttles.next_delay();
            self.pacer.hold_for(retry_in);
            let stats = self.snapshot();
            return self.emit(ReaderEvent::Throttled { shard_id, retry_in, stats }).await;
        }
        let retry_in = self.errors.next_delay();
        self.pacer.hold_for(retry_in);
        self.emit(ReaderEvent::Error { shard_id, error, retry_in: Some(retry_in) }).await
    }

    async fn deliver(&mut self, page: RecordsPage) -> Result<(), Gone> {
        let bytes: u64 = page.records.iter().map(|r| r.data().len() as u64).sum();
        let count = page.records.len() as u64;
        if let Some(last) = page.records.last() {
            self.last_sequence = Some(last.sequence_number().to_string());
        }
        self.stats.records += count;
        self.stats.bytes += bytes;
        self.stats.millis_behind_latest = page.millis_behind_latest;
        self.rate.add(count, bytes);
        let stats = self.snapshot();
        self.emit(ReaderEvent::Records { shard_id: self.shard_id.clone(), records: page.records, stats })
            .await
    }

    /// Reports an error the reader cannot get past and hands it back.
    async fn give_up(&mut self, error: ApiError) -> Result<ApiError, Gone> {
        self.emit(ReaderEvent::Error {
            shard_id: self.shard_id.clone(),
            error: error.clone(),
            retry_in: None,
        })
        .await?;
        Ok(error)
    }

    fn snapshot(&mut self) -> ShardStats {
        let (records_per_sec, bytes_per_sec) = self.rate.rates();
        ShardStats { records_per_sec, bytes_per_sec, ..self.stats.clone() }
    }

    /// Sends an event, waiting while the channel is full: a slow consumer slows reading.
    async fn emit(&self, event: ReaderEvent) -> Result<(), Gone> {
        self.out.send(event).await.map_err(|_| Gone)
    }
}
