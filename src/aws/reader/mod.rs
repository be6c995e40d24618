//! The stream readers: one task per shard — polling with GetRecords or pushed by
//! enhanced fan-out — started in lineage order, all sending typed events into one bounded
//! channel.

pub mod api;
pub mod events;
pub mod fan_out;
pub mod lineage;
pub mod pacing;
mod report;
mod shard;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

pub use api::{ChildShard, KinesisShards, RecordsPage, ShardApi};
pub use events::ReaderEvent;
pub use fan_out::{FanOutApi, FanOutOptions, KinesisFanOut};
pub use lineage::Lineage;

use crate::aws::error::ApiError;
use crate::aws::position::StartPosition;
use fan_out::SubscriptionReader;
use shard::ShardReader;

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

/// Reads one shard from a position to an outcome: the polling or the fan-out reader.
trait ShardTask: Clone + Send + Sync + 'static {
    fn read(
        self,
        shard_id: Arc<str>,
        from: StartPosition,
        out: mpsc::Sender<ReaderEvent>,
    ) -> impl Future<Output = ShardOutcome> + Send + 'static;
}

#[derive(Clone)]
struct Polling<A> {
    api: A,
    options: ReaderOptions,
}

impl<A: ShardApi> ShardTask for Polling<A> {
    fn read(
        self,
        shard_id: Arc<str>,
        from: StartPosition,
        out: mpsc::Sender<ReaderEvent>,
    ) -> impl Future<Output = ShardOutcome> + Send + 'static {
        ShardReader::new(self.api, shard_id, from, self.options, out).run()
    }
}

#[derive(Clone)]
struct FanOut<F> {
    api: F,
    options: FanOutOptions,
    /// Shards already closed when reading began.
    closed: Arc<BTreeSet<String>>,
}

impl<F: FanOutApi> ShardTask for FanOut<F> {
    fn read(
        self,
        shard_id: Arc<str>,
        from: StartPosition,
        out: mpsc::Sender<ReaderEvent>,
    ) -> impl Future<Output = ShardOutcome> + Send + 'static {
        let closed = self.closed.contains(&*shard_id);
        SubscriptionReader::new(self.api, shard_id, from, closed, self.options, out).run()
    }
}

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
    /// The task that runs the shard tasks; none for a reader fed from elsewhere.
    coordinator: Option<JoinHandle<()>>,
}

impl StreamReader {
    /// Reads every shard of the lineage with GetRecords.
    pub fn start<A: ShardApi>(api: A, lineage: Lineage, options: ReaderOptions) -> Self {
        let (tx, events) = mpsc::channel(options.channel_capacity.max(1));
        let coordinator = tokio::spawn(coordinate(Polling { api, options }, lineage, tx));
        StreamReader { events, coordinator: Some(coordinator) }
    }

    /// Reads every shard of the lineage with SubscribeToShard as a registered consumer.
    pub fn fan_out<F: FanOutApi>(api: F, lineage: Lineage, options: FanOutOptions) -> Self {
        let (tx, events) = mpsc::channel(options.channel_capacity.max(1));
        let closed = Arc::new(lineage.closed_shards());
        let coordinator = tokio::spawn(coordinate(FanOut { api, options, closed }, lineage, tx));
        StreamReader { events, coordinator: Some(coordinator) }
    }

    /// The next event; `None` once every shard task has ended.
    pub async fn next(&mut self) -> Option<ReaderEvent> {
        self.events.recv().await
    }

    /// Waits for at least one event, then takes what else is ready, up to `limit`, so a
    /// consumer can handle a burst at once. Returns 0 once every shard task has ended.
    pub async fn next_batch(&mut self, into: &mut Vec<ReaderEvent>, limit: usize) -> usize {
        self.events.recv_many(into, limit).await
    }

    /// A reader fed by `events` instead of shard tasks: for synthetic sources.
    pub fn from_channel(events: mpsc::Receiver<ReaderEvent>) -> Self {
        StreamReader { events, coordinator: None }
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        if let Some(coordinator) = &self.coordinator {
            coordinator.abort();
        }
    }
}

async fn coordinate<T: ShardTask>(task: T, mut lineage: Lineage, tx: mpsc::Sender<ReaderEvent>) {
    let mut tasks: JoinSet<(String, ShardOutcome)> = JoinSet::new();
    let spawn_ready = |lineage: &mut Lineage, tasks: &mut JoinSet<(String, ShardOutcome)>| {
        for (shard_id, position) in lineage.take_ready() {
            let reading = task.clone().read(Arc::from(shard_id.as_str()), position, tx.clone());
            tasks.spawn(async move { (shard_id, reading.await) });
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

#[cfg(test)]
mod tests {
    //! Reader behaviour the emulator cannot show: missing ChildShards, a shard that fails.

    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use crate::aws::shards::ShardInfo;
    use crate::record::Record;

    #[derive(Clone, Default)]
    struct FakeShard {
        payloads: Vec<&'static str>,
        closed: bool,
        children: Vec<ChildShard>,
        /// Leave ChildShards out of the last answer, as some services do.
        omit_children: bool,
        broken: Option<ApiError>,
        throttles_left: usize,
        calls: Vec<tokio::time::Instant>,
    }

    #[derive(Clone, Default)]
    struct FakeShards(Arc<Mutex<HashMap<String, FakeShard>>>);

    impl FakeShards {
        fn shard(&self, id: &str) -> FakeShard {
            self.0.lock().unwrap().get(id).cloned().unwrap_or_default()
        }
    }

    impl ShardApi for FakeShards {
        async fn shard_iterator(&self, shard_id: &str, position: &StartPosition) -> Result<String, ApiError> {
            if let Some(e) = self.shard(shard_id).broken {
                return Err(e);
            }
            assert_eq!(*position, StartPosition::TrimHorizon);
            Ok(format!("{shard_id}@0"))
        }

        async fn records(&self, shard_id: &Arc<str>, iterator: &str) -> Result<RecordsPage, ApiError> {
            {
                let mut shards = self.0.lock().unwrap();
                let shard = shards.entry(shard_id.to_string()).or_default();
                shard.calls.push(tokio::time::Instant::now());
                if shard.throttles_left > 0 {
                    shard.throttles_left -= 1;
                    return Err(ApiError::Throttled("ProvisionedThroughputExceededException".into()));
                }
            }
            let shard = self.shard(shard_id);
            let from: usize = iterator.rsplit('@').next().unwrap().parse().unwrap();
            let records = shard.payloads[from..]
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    Record::new(Arc::clone(shard_id), &(from + i + 1).to_string(), "k", p.as_bytes(), None)
                })
                .collect();
            let end = shard.closed && from == shard.payloads.len();
            Ok(RecordsPage {
                records,
                next_iterator: (!end).then(|| format!("{shard_id}@{}", shard.payloads.len())),
                millis_behind_latest: Some(0),
                child_shards: (end && !shard.omit_children).then(|| shard.children.clone()),
            })
        }

        async fn child_shards(&self, parent: &str) -> Result<Vec<ChildShard>, ApiError> {
            Ok(self.shard(parent).children)
        }
    }

    fn info(id: &str, parents: &[&str], open: bool) -> ShardInfo {
        ShardInfo::for_test(id, parents, open)
    }

    /// Reads to the tip and returns the payloads in the order they arrived, and the errors.
    async fn read_all(api: FakeShards, shards: &[ShardInfo]) -> (Vec<String>, Vec<(String, ApiError)>) {
        let (payloads, errors, _) = read_events(api, shards).await;
        (payloads, errors)
    }

    async fn read_events(
        api: FakeShards,
        shards: &[ShardInfo],
    ) -> (Vec<String>, Vec<(String, ApiError)>, Vec<ReaderEvent>) {
        let lineage = Lineage::plan(shards, &[], &StartPosition::TrimHorizon).unwrap();
        let options = ReaderOptions { stop_at_tip: true, ..ReaderOptions::default() };
        let mut reader = StreamReader::start(api, lineage, options);
        let (mut payloads, mut errors, mut events) = (Vec::new(), Vec::new(), Vec::new());
        while let Some(event) = reader.next().await {
            events.push(event.clone());
            match event {
                ReaderEvent::Records { records, .. } => {
                    payloads.extend(records.iter().map(|r| String::from_utf8(r.data().to_vec()).unwrap()))
                }
                ReaderEvent::Error { shard_id, error, retry_in: None } => {
                    errors.push((shard_id.to_string(), error))
                }
                _ => {}
            }
        }
        (payloads, errors, events)
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_are_counted_waited_out_and_reported_with_the_shard_stats() {
        let api = FakeShards::default();
        api.0.lock().unwrap().insert(
            "hot".to_string(),
            FakeShard { payloads: vec!["abc", "de"], throttles_left: 2, ..FakeShard::default() },
        );
        let (payloads, errors, events) = read_events(api.clone(), &[info("hot", &[], true)]).await;
        assert_eq!(payloads, ["abc", "de"]);
        assert!(errors.is_empty());
        let throttled: Vec<u64> = events
            .iter()
            .filter_map(|e| match e {
                ReaderEvent::Throttled { stats, retry_in, .. } => {
                    assert!(*retry_in >= Duration::from_secs(1));
                    Some(stats.throttles)
                }
                _ => None,
            })
            .collect();
        assert_eq!(throttled, [1, 2]);
        let last_stats = events
            .iter()
            .rev()
            .find_map(|e| match e {
                ReaderEvent::Records { stats, .. } => Some(stats.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!((last_stats.records, last_stats.bytes, last_stats.throttles), (2, 5, 2));
        assert_eq!(last_stats.millis_behind_latest, Some(0));
        assert!(last_stats.records_per_sec > 0.0 && last_stats.bytes_per_sec > 0.0);
        assert!(events.iter().any(|e| matches!(e, ReaderEvent::CaughtUp { .. })));

        let calls = api.shard("hot").calls;
        assert!(
            calls[1] - calls[0] >= Duration::from_secs(1),
            "a throttle is waited out for a second or more"
        );
        assert!(calls[2] - calls[1] >= Duration::from_secs(2), "a second throttle in a row waits longer");
        assert!(calls.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(210)));
    }

    #[tokio::test(start_paused = true)]
    async fn children_are_found_by_listing_when_the_answer_names_none() {
        let api = FakeShards::default();
        api.0.lock().unwrap().extend([
            (
                "parent".to_string(),
                FakeShard {
                    payloads: vec!["p1", "p2"],
                    closed: true,
                    children: vec![ChildShard { shard_id: "child".into(), parents: vec!["parent".into()] }],
                    omit_children: true,
                    ..FakeShard::default()
                },
            ),
            ("child".to_string(), FakeShard { payloads: vec!["c1"], ..FakeShard::default() }),
        ]);
        let (payloads, errors) = read_all(api, &[info("parent", &[], false)]).await;
        assert_eq!(payloads, ["p1", "p2", "c1"]);
        assert!(errors.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_shard_does_not_stop_the_others() {
        let api = FakeShards::default();
        api.0.lock().unwrap().extend([
            (
                "denied".to_string(),
                FakeShard { broken: Some(ApiError::AccessDenied("no".into())), ..FakeShard::default() },
            ),
            ("fine".to_string(), FakeShard { payloads: vec!["a", "b"], ..FakeShard::default() }),
        ]);
        let (payloads, errors) = read_all(api, &[info("denied", &[], true), info("fine", &[], true)]).await;
        assert_eq!(payloads, ["a", "b"]);
        assert_eq!(errors, [("denied".to_string(), ApiError::AccessDenied("no".into()))]);
    }
}
