//! What both shard readers (polling and fan-out) tell the rest of the program, with the
//! running figures of their shard: one place that turns reading into `ReaderEvent`s.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::api::ChildShard;
use super::events::{ReaderEvent, ShardStats};
use super::pacing::RateMeter;
use crate::aws::error::ApiError;
use crate::record::Record;

/// The receiving side dropped its channel: nobody wants the records any more.
pub(super) struct Gone;

pub(super) struct ShardReport {
    pub shard_id: Arc<str>,
    out: mpsc::Sender<ReaderEvent>,
    pub stats: ShardStats,
    rate: RateMeter,
}

impl ShardReport {
    pub fn new(shard_id: Arc<str>, out: mpsc::Sender<ReaderEvent>) -> Self {
        ShardReport {
            shard_id,
            out,
            stats: ShardStats::default(),
            rate: RateMeter::new(Duration::from_secs(5)),
        }
    }

    pub async fn started(&self, from: String) -> Result<(), Gone> {
        self.emit(ReaderEvent::Started { shard_id: self.shard_id.clone(), from }).await
    }

    /// Hands on one answer's records (possibly none: the lag still changed) and returns the
    /// sequence number of the last one.
    pub async fn records(
        &mut self,
        records: Vec<Record>,
        millis_behind_latest: Option<i64>,
    ) -> Result<Option<String>, Gone> {
        let bytes: u64 = records.iter().map(|r| r.data().len() as u64).sum();
        let count = records.len() as u64;
        let last = records.last().map(|r| r.sequence_number().to_string());
        self.stats.records += count;
        self.stats.bytes += bytes;
        self.stats.millis_behind_latest = millis_behind_latest;
        self.rate.add(count, bytes);
        let stats = self.snapshot();
        self.emit(ReaderEvent::Records { shard_id: self.shard_id.clone(), records, stats }).await?;
        Ok(last)
    }

    pub async fn throttled(&mut self, retry_in: Duration) -> Result<(), Gone> {
        self.stats.throttles += 1;
        let stats = self.snapshot();
        self.emit(ReaderEvent::Throttled { shard_id: self.shard_id.clone(), retry_in, stats }).await
    }

    pub async fn retrying(&self, error: ApiError, retry_in: Duration) -> Result<(), Gone> {
        self.emit(ReaderEvent::Error { shard_id: self.shard_id.clone(), error, retry_in: Some(retry_in) })
            .await
    }

    /// Reports an error the reader cannot get past and hands it back.
    pub async fn give_up(&self, error: ApiError) -> Result<ApiError, Gone> {
        self.emit(ReaderEvent::Error {
            shard_id: self.shard_id.clone(),
            error: error.clone(),
            retry_in: None,
        })
        .await?;
        Ok(error)
    }

    pub async fn caught_up(&self) -> Result<(), Gone> {
        self.emit(ReaderEvent::CaughtUp { shard_id: self.shard_id.clone() }).await
    }

    pub async fn closed(&self, children: &[ChildShard]) -> Result<(), Gone> {
        let children = children.iter().map(|c| c.shard_id.clone()).collect();
        self.emit(ReaderEvent::Closed { shard_id: self.shard_id.clone(), children }).await
    }

    fn snapshot(&mut self) -> ShardStats {
        let (records_per_sec, bytes_per_sec) = self.rate.rates();
        ShardStats { records_per_sec, bytes_per_sec, ..self.stats.clone() }
    }

    /// Sends an event, waiting while the channel is full: a slow consumer slows reading.
    pub async fn emit(&self, event: ReaderEvent) -> Result<(), Gone> {
        self.out.send(event).await.map_err(|_| Gone)
    }
}
