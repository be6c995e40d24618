//! What shard readers tell the rest of the program.

use std::sync::Arc;
use std::time::Duration;

use crate::aws::error::ApiError;
use crate::record::Record;

/// Running totals and rates of one shard, as of the event that carries them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShardStats {
    pub records: u64,
    pub bytes: u64,
    /// GetRecords calls when polling, SubscribeToShard calls with fan-out.
    pub calls: u64,
    pub throttles: u64,
    pub millis_behind_latest: Option<i64>,
    pub records_per_sec: f64,
    pub bytes_per_sec: f64,
}

#[derive(Debug, Clone)]
pub enum ReaderEvent {
    Started {
        shard_id: Arc<str>,
        from: String,
    },
    /// A fan-out subscription started; `renewals` counts the subscriptions to this shard
    /// before it.
    Subscribed {
        shard_id: Arc<str>,
        renewals: u64,
    },
    /// One GetRecords answer or fan-out event; `records` may be empty (the lag still changed).
    Records {
        shard_id: Arc<str>,
        records: Vec<Record>,
        stats: ShardStats,
    },
    Throttled {
        shard_id: Arc<str>,
        retry_in: Duration,
        stats: ShardStats,
    },
    /// `retry_in` is `None` when the reader gave up on this shard.
    Error {
        shard_id: Arc<str>,
        error: ApiError,
        retry_in: Option<Duration>,
    },
    /// The reader reached the newest record of the shard.
    CaughtUp {
        shard_id: Arc<str>,
    },
    /// The shard was read to its end; its children are read next.
    Closed {
        shard_id: Arc<str>,
        children: Vec<String>,
    },
}
