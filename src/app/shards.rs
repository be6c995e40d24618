//! What the UI knows about each shard: lineage, reading state and recent figures.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::aws::reader::events::ShardStats;
use crate::aws::shards::ShardInfo;

/// Samples kept for sparklines (one a second).
pub const HISTORY: usize = 120;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardState {
    /// Not read (yet): open, or closed before the start position.
    Open,
    Closed,
    /// Waiting for its parents to be read to their end.
    Waiting,
    Reading,
    CaughtUp,
    /// A retryable error; the reader tries again.
    Retrying(String),
    /// The reader gave up on this shard.
    Failed(String),
    /// Read to its end.
    Finished,
}

impl ShardState {
    pub fn label(&self) -> &'static str {
        match self {
            ShardState::Open => "open",
            ShardState::Closed => "closed",
            ShardState::Waiting => "waiting",
            ShardState::Reading => "reading",
            ShardState::CaughtUp => "caught up",
            ShardState::Retrying(_) => "retrying",
            ShardState::Failed(_) => "error",
            ShardState::Finished => "finished",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ShardRow {
    pub id: Arc<str>,
    pub parents: Vec<String>,
    /// Nesting under its parents, for indentation.
    pub depth: usize,
    pub state: ShardState,
    pub stats: ShardStats,
    pub lag_history: VecDeque<u64>,
    pub throttle_history: VecDeque<u64>,
    pub calls_history: VecDeque<u64>,
    pub records_history: VecDeque<u64>,
    /// Fan-out only: seconds since the current subscription started, and how many
    /// subscriptions came before it.
    pub subscription_age: Option<u64>,
    pub renewals: u64,
    /// Totals at the last sample, to turn running totals into per-second figures.
    sampled: ShardStats,
}

impl ShardRow {
    fn new(id: &str, parents: Vec<String>, open: bool) -> Self {
        ShardRow {
            id: Arc::from(id),
            parents,
            depth: 0,
            state: if open { ShardState::Open } else { ShardState::Closed },
            stats: ShardStats::default(),
            lag_history: VecDeque::new(),
            throttle_history: VecDeque::new(),
            calls_history: VecDeque::new(),
            records_history: VecDeque::new(),
            subscription_age: None,
            renewals: 0,
            sampled: ShardStats::default(),
        }
    }

    /// GetRecords calls in the last sampled second.
    pub fn calls_per_sec(&self) -> u64 {
        self.calls_history.back().copied().unwrap_or(0)
    }

    pub fn throttles_per_sec(&self) -> u64 {
        self.throttle_history.back().copied().unwrap_or(0)
    }

    /// A fan-out subscription to this shard (re)started.
    pub fn subscribed(&mut self, renewals: u64) {
        self.subscription_age = Some(0);
        self.renewals = renewals;
    }

    fn sample(&mut self) {
        if matches!(self.state, ShardState::Finished | ShardState::Failed(_)) {
            self.subscription_age = None;
        }
        if let Some(age) = &mut self.subscription_age {
            *age += 1;
        }
        push_sample(&mut self.lag_history, self.stats.millis_behind_latest.unwrap_or(0).max(0) as u64);
        push_sample(&mut self.throttle_history, self.stats.throttles - self.sampled.throttles);
        push_sample(&mut self.calls_history, self.stats.calls - self.sampled.calls);
        push_sample(&mut self.records_history, self.stats.records - self.sampled.records);
        self.sampled = self.stats.clone();
    }
}

fn push_sample(history: &mut VecDeque<u64>, value: u64) {
    if history.len() == HISTORY {
        history.pop_front();
    }
    history.push_back(value);
}

/// The shards of the open stream, parents before their children.
#[derive(Debug, Clone, Default)]
pub struct ShardTable {
    rows: Vec<ShardRow>,
    pub total_lag_history: VecDeque<u64>,
    pub total_throttle_history: VecDeque<u64>,
    pub total_records_history: VecDeque<u64>,
}

impl ShardTable {
    pub fn new(shards: &[ShardInfo]) -> Self {
        let mut table = ShardTable::default();
        for shard in shards {
            table.rows.push(ShardRow::new(
                &shard.shard_id,
                shard.parents().map(str::to_string).collect(),
                shard.is_open(),
            ));
        }
        table.arrange();
        table
    }

    pub fn rows(&self) -> &[ShardRow] {
        &self.rows
    }

    pub fn get_mut(&mut self, id: &str) -> &mut ShardRow {
        let index = match self.rows.iter().position(|r| &*r.id == id) {
            Some(index) => index,
            None => {
                self.rows.push(ShardRow::new(id, Vec::new(), true));
                self.rows.len() - 1
            }
        };
        &mut self.rows[index]
    }

    /// Adds the children a closed shard revealed, under it.
    pub fn add_children(&mut self, parent: &str, children: &[String]) {
        for child in children {
            if self.rows.iter().any(|r| &*r.id == child.as_str()) {
                continue;
            }
            let mut row = ShardRow::new(child, vec![parent.to_string()], true);
            row.state = ShardState::Waiting;
            self.rows.push(row);
        }
        self.arrange();
    }

    pub fn sample(&mut self) {
        for row in &mut self.rows {
            row.sample();
        }
        let max_lag = self.rows.iter().filter_map(|r| r.lag_history.back()).max().copied().unwrap_or(0);
        push_sample(&mut self.total_lag_history, max_lag);
        let throttles = self.rows.iter().filter_map(|r| r.throttle_history.back()).sum();
        push_sample(&mut self.total_throttle_history, throttles);
        let records = self.rows.iter().filter_map(|r| r.records_history.back()).sum();
        push_sample(&mut self.total_records_history, records);
    }

    // Adding 0.0 turns the empty sum's -0.0 into 0.0, which prints without a sign.
    pub fn total_records_per_sec(&self) -> f64 {
        self.rows.iter().map(|r| r.stats.records_per_sec).sum::<f64>() + 0.0
    }

    pub fn total_bytes_per_sec(&self) -> f64 {
        self.rows.iter().map(|r| r.stats.bytes_per_sec).sum::<f64>() + 0.0
    }

    pub fn total_records(&self) -> u64 {
        self.rows.iter().map(|r| r.stats.records).sum()
    }

    pub fn total_throttles(&self) -> u64 {
        self.rows.iter().map(|r| r.stats.throttles).sum()
    }

    /// The largest MillisBehindLatest of the shards being read.
    pub fn max_lag(&self) -> Option<i64> {
        self.rows.iter().filter_map(|r| r.stats.millis_behind_latest).max()
    }

    /// Orders rows depth-first from the roots, each child under its first parent present.
    fn arrange(&mut self) {
        let rows = std::mem::take(&mut self.rows);
        let present = |id: &str| rows.iter().any(|r| &*r.id == id);
        let parent_of = |row: &ShardRow| row.parents.iter().find(|p| present(p)).cloned();
        let mut placed = vec![false; rows.len()];
        let mut order: Vec<(usize, usize)> = Vec::new();
        fn place(
            index: usize,
            depth: usize,
            rows: &[ShardRow],
            parent_of: &dyn Fn(&ShardRow) -> Option<String>,
            placed: &mut [bool],
            order: &mut Vec<(usize, usize)>,
        ) {
            if placed[index] {
                return;
            }
            placed[index] = true;
            order.push((index, depth));
            for (child, row) in rows.iter().enumerate() {
                if parent_of(row).as_deref() == Some(&*rows[index].id) {
                    place(child, depth + 1, rows, parent_of, placed, order);
                }
            }
        }
        for (index, row) in rows.iter().enumerate() {
            if parent_of(row).is_none() {
                place(index, 0, &rows, &parent_of, &mut placed, &mut order);
            }
        }
        // Anything left (a lineage cycle cannot happen, but stay total) goes at the end.
        order.extend(placed.iter().enumerate().filter(|(_, done)| !**done).map(|(index, _)| (index, 0)));
        let mut slots: Vec<Option<ShardRow>> = rows.into_iter().map(Some).collect();
        self.rows = order
            .into_iter()
            .filter_map(|(index, depth)| {
                let mut row = slots[index].take()?;
                row.depth = depth;
                Some(row)
            })
            .collect();
    }
}
