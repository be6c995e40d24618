//! The polling reader of one shard: GetShardIterator, then GetRecords until the shard
//! closes, the consumer goes away, or (when asked) the tip is reached.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::api::{ChildShard, ShardApi};
use super::events::ReaderEvent;
use super::pacing::{Backoff, Pacer};
use super::report::{Gone, ShardReport};
use super::{ReaderOptions, ShardOutcome};
use crate::aws::error::ApiError;
use crate::aws::position::StartPosition;

pub(super) struct ShardReader<A> {
    api: A,
    start: StartPosition,
    options: ReaderOptions,
    report: ShardReport,
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
            start,
            pacer: Pacer::new(options.min_call_interval),
            errors: Backoff::new(options.error_backoff_base, options.backoff_cap),
            throttles: Backoff::new(options.throttle_backoff_base, options.backoff_cap),
            options,
            report: ShardReport::new(shard_id, out),
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
        self.report.started(from).await?;
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
            self.report.stats.calls += 1;
            let page = match self.api.records(&self.report.shard_id, &current).await {
                Ok(page) => page,
                // Routine, and nothing is lost: leaving `iterator` empty makes the next round
                // take a fresh one after the last record handed out. Not an error to report.
                Err(ApiError::ExpiredIterator) => continue,
                Err(error) if error.is_retryable() => {
                    self.wait_to_retry(error).await?;
                    iterator = Some(current);
                    continue;
                }
                Err(error) => return Ok(ShardOutcome::Failed(self.report.give_up(error).await?)),
            };
            self.errors.reset();
            self.throttles.reset();
            let full = page.records.len() >= self.options.full_page_records;
            let empty = page.records.is_empty();
            let millis = page.millis_behind_latest;
            if let Some(last) = self.report.records(page.records, millis).await? {
                self.last_sequence = Some(last);
            }
            let Some(next) = page.next_iterator else {
                let children = match page.child_shards {
                    Some(children) => children,
                    None => self.children_by_listing().await?,
                };
                self.report.closed(&children).await?;
                return Ok(ShardOutcome::Closed { children });
            };
            iterator = Some(next);
            let reached_tip = empty && millis.unwrap_or(0) == 0;
            if reached_tip && !at_tip {
                self.report.caught_up().await?;
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
            match self.api.shard_iterator(&self.report.shard_id, &position).await {
                Ok(it) => return Ok(Ok(it)),
                Err(error) if error.is_retryable() => self.wait_to_retry(error).await?,
                Err(error) => return Ok(Err(self.report.give_up(error).await?)),
            }
        }
    }

    async fn children_by_listing(&mut self) -> Result<Vec<ChildShard>, Gone> {
        loop {
            self.pacer.ready().await;
            match self.api.child_shards(&self.report.shard_id).await {
                Ok(children) => return Ok(children),
                Err(error) if error.is_retryable() => self.wait_to_retry(error).await?,
                Err(error) => {
                    // The shard itself was read completely; only its continuation is unknown.
                    self.report.give_up(error).await?;
                    return Ok(Vec::new());
                }
            }
        }
    }

    /// Reports a failed call worth repeating and holds the next call back: at least a second
    /// after throttling, less after other faults, longer each time in a row.
    async fn wait_to_retry(&mut self, error: ApiError) -> Result<(), Gone> {
        if let ApiError::Throttled(_) = error {
            let retry_in = self.throttles.next_delay();
            self.pacer.hold_for(retry_in);
            return self.report.throttled(retry_in).await;
        }
        let retry_in = self.errors.next_delay();
        self.pacer.hold_for(retry_in);
        self.report.retrying(error, retry_in).await
    }
}
