//! The polling reader: one task per shard, started in lineage order, all sending typed
//! events into one bounded channel.

pub mod api;
pub mod events;
pub mod lineage;
pub mod pacing;
mod shard;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

pub use api::{KinesisShards, ShardApi};
pub use events::ReaderEvent;
pub use lineage::Lineage;
pub use shard::ShardOutcome;

use shard::ShardReader;

#[derive(Debug, Clone)]
pub struct ReaderOptions {
    /// Minimum time between two calls on one shard. Kinesis allows five GetRecords calls a
    /// second per shard; a little above 200 ms keeps us under that even with network jitter.
    pub min_call_interval: Duration,
    /// Time between calls once a shard has nothing new.
    pub idle_interval: Duration,
    /// First wait after ProvisionedThroughputExceeded; Kinesis asks for at least a second.
    pub throttle_backoff_base: Duration,
    /// First wait after a transient error (5xx, dropped connection).
    pub error_backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A page this large means more is waiting: read again without idling.
    pub full_page_records: usize,
    /// End each shard's task once it has read everything there is (`tail --until-latest`).
    pub stop_at_tip: bool,
    /// Events buffered between the readers and the consumer before readers wait.
    pub channel_capacity: usize,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            min_call_interval: Duration::from_millis(210),
            idle_interval: Duration::from_secs(1),
            throttle_backoff_base: Duration::from_secs(1),
            error_backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(10),
            full_page_records: 10_000,
            stop_at_tip: false,
            channel_capacity: 64,
        }
    }
}

/// A running read of a stream. Dropping it stops every shard task.
pub struct StreamReader {
    events: mpsc::Receiver<ReaderEvent>,
    coordinator: JoinHandle<()>,
}

impl StreamReader {
    pub fn start<A: ShardApi>(api: A, lineage: Lineage, options: ReaderOptions) -> Self {
        let (tx, events) = mpsc::channel(options.channel_capacity.max(1));
        let coordinator = tokio::spawn(coordinate(api, lineage, options, tx));
        StreamReader { events, coordinator }
    }

    /// The next event; `None` once every shard task has ended.
    pub async fn next(&mut self) -> Option<ReaderEvent> {
        self.events.recv().await
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        self.coordinator.abort();
    }
}

async fn coordinate<A: ShardApi>(
    api: A,
    mut lineage: Lineage,
    options: ReaderOptions,
    tx: mpsc::Sender<ReaderEvent>,
) {
    let mut tasks: JoinSet<(String, ShardOutcome)> = JoinSet::new();
    let spawn_ready = |lineage: &mut Lineage, tasks: &mut JoinSet<(String, ShardOutcome)>| {
        for (shard_id, position) in lineage.take_ready() {
            let reader =
                ShardReader::new(api.clone(), Arc::from(shard_id.as_str()), position, options.clone(), tx.clone());
            tasks.spawn(async move { (shard_id, reader.run().await) });
        }
    };
    spawn_ready(&mut lineage, &mut tasks);
    while let Some(joined) = tasks.join_next().await {
        let Ok((shard_id, outcome)) = joined else {
            // A shard task panicked; the others carry on.
            continue;
        };
        match outcome {
            ShardOutcome::Abandoned => return,
            ShardOutcome::Closed { children } => lineage.finish(&shard_id, &children),
            ShardOutcome::AtTip | ShardOutcome::Failed(_) => lineage.finish(&shard_id, &[]),
        }
        spawn_ready(&mut lineage, &mut tasks);
    }
}
