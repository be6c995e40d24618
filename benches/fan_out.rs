//! Fan-out reading without the network: events of 1,000 records from four shards through
//! the subscription tasks and the bounded channel to the consumer — the overhead kinspect
//! adds between SubscribeToShard and the screen.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::sync::Arc;

use criterion::{criterion_group, Criterion, Throughput};
use kinspect::aws::error::ApiError;
use kinspect::aws::position::StartPosition;
use kinspect::aws::reader::api::ChildShard;
use kinspect::aws::reader::fan_out::{FanOutEvent, Subscription};
use kinspect::aws::reader::{FanOutApi, FanOutOptions, Lineage, ReaderEvent, StreamReader};

const EVENTS_PER_SHARD: usize = 10;
const RECORDS_PER_EVENT: usize = 1000;

/// Every shard answers with the same prepared events, then one empty event at the tip.
#[derive(Clone)]
struct Prepared(Arc<Vec<FanOutEvent>>);

struct Replay(std::vec::IntoIter<FanOutEvent>);

impl Subscription for Replay {
    async fn next_event(&mut self) -> Result<Option<FanOutEvent>, ApiError> {
        Ok(self.0.next())
    }
}

impl FanOutApi for Prepared {
    type Subscription = Replay;

    async fn subscribe(&self, _: &Arc<str>, _: &StartPosition) -> Result<Replay, ApiError> {
        Ok(Replay(self.0.as_ref().clone().into_iter()))
    }

    async fn child_shards(&self, _: &str) -> Result<Vec<ChildShard>, ApiError> {
        Ok(Vec::new())
    }
}

fn prepared() -> Prepared {
    let shard = synthetic::shard_id(0);
    let mut events: Vec<FanOutEvent> = (0..EVENTS_PER_SHARD)
        .map(|e| {
            let first = (e * RECORDS_PER_EVENT) as u64;
            let records =
                (first..first + RECORDS_PER_EVENT as u64).map(|n| synthetic::record(&shard, n)).collect();
            FanOutEvent {
                records,
                continuation: first.to_string(),
                millis_behind_latest: 1000,
                child_shards: None,
            }
        })
        .collect();
    events.push(FanOutEvent { continuation: "tip".into(), ..FanOutEvent::default() });
    Prepared(Arc::new(events))
}

fn fan_out(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let api = prepared();
    let shards = synthetic::shards();
    let mut group = c.benchmark_group("fan_out");
    group.throughput(Throughput::Elements((synthetic::SHARDS * EVENTS_PER_SHARD * RECORDS_PER_EVENT) as u64));
    group.bench_function("4_shards_x_10_events_of_1000", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let lineage = Lineage::plan(&shards, &[], &StartPosition::TrimHorizon).unwrap();
                let options = FanOutOptions { stop_at_tip: true, ..FanOutOptions::default() };
                let mut reader = StreamReader::fan_out(api.clone(), lineage, options);
                let mut records = 0;
                let mut batch = Vec::new();
                while reader.next_batch(&mut batch, 64).await > 0 {
                    for event in batch.drain(..) {
                        if let ReaderEvent::Records { records: r, .. } = event {
                            records += r.len();
                        }
                    }
                }
                assert_eq!(records, synthetic::SHARDS * EVENTS_PER_SHARD * RECORDS_PER_EVENT);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, fan_out);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
