//! Synthetic records and states for the benchmarks: realistic sizes, no network.

// Each bench uses the part of this module it needs.
#![allow(dead_code)]

use std::sync::Arc;

use kinspect::app::state::{AppState, StreamInfo};
use kinspect::aws::reader::events::ShardStats;
use kinspect::aws::reader::ReaderEvent;
use kinspect::aws::shards::ShardInfo;
use kinspect::record::Record;
use ratatui::layout::Rect;

pub const SHARDS: usize = 4;

pub fn shard_id(n: usize) -> Arc<str> {
    Arc::from(format!("shardId-{:012}", n % SHARDS))
}

/// A ~150-byte JSON record like the demo's.
pub fn record(shard: &Arc<str>, n: u64) -> Record {
    let data = format!(
        r#"{{"seq":{n},"event":"page_view","user":"user-{}","path":"/product/{}","amount":{}.25,"id":"{:032x}"}}"#,
        n % 97,
        n % 1000,
        n % 250,
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    );
    let sequence = format!("49680449034134488327360933317630{:024}", n);
    let arrival = chrono::DateTime::from_timestamp_millis(1_767_355_200_000 + n as i64);
    Record::new(Arc::clone(shard), &sequence, &format!("user-{}", n % 97), data.as_bytes(), arrival)
}

pub fn batch(shard: usize, first: u64, count: usize) -> ReaderEvent {
    let id = shard_id(shard);
    let records = (first..first + count as u64).map(|n| record(&id, n)).collect();
    let stats =
        ShardStats { millis_behind_latest: Some(0), records_per_sec: 1000.0, ..ShardStats::default() };
    ReaderEvent::Records { shard_id: id, records, stats }
}

pub fn state(width: u16, height: u16, budget: usize) -> AppState {
    let stream = StreamInfo {
        name: "bench".into(),
        target: "region us-east-1".into(),
        mode: "polling".into(),
        from: "trim-horizon".into(),
        consumer: None,
    };
    AppState::new(stream, &shards(), budget, Rect::new(0, 0, width, height))
}

/// `SHARDS` open shards, none split or merged.
pub fn shards() -> Vec<ShardInfo> {
    (0..SHARDS)
        .map(|n| ShardInfo {
            shard_id: format!("shardId-{n:012}"),
            parent: None,
            adjacent_parent: None,
            starting_hash_key: "0".into(),
            ending_hash_key: "1".into(),
            starting_sequence_number: "1".into(),
            ending_sequence_number: None,
        })
        .collect()
}

/// A state holding `records` records, fed in batches of 1,000 round-robin over the shards.
pub fn filled(width: u16, height: u16, records: u64) -> AppState {
    let mut state = state(width, height, 4 << 30);
    let mut n = 0;
    while n < records {
        let count = 1000.min(records - n) as usize;
        state.update_many([batch(n as usize / 1000, n, count)]);
        n += count as u64;
    }
    state
}
