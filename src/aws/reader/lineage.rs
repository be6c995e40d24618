//! Which shards to read, from where, and in what order: a child shard is read only after
//! every parent it has in the read set has been read to its end.

use std::collections::{BTreeMap, BTreeSet};

use super::api::ChildShard;
use crate::aws::position::StartPosition;
use crate::aws::shards::ShardInfo;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Waiting(StartPosition),
    Running,
    Done,
}

#[derive(Debug, Clone)]
struct Entry {
    parents: Vec<String>,
    state: State,
}

#[derive(Debug, Clone)]
pub struct Lineage {
    // Ordered so that shards start in a stable order (tests and logs read better).
    shards: BTreeMap<String, Entry>,
    child_start: StartPosition,
    /// Shards of the read set that were closed when it was planned.
    closed: BTreeSet<String>,
}

impl Lineage {
    /// The read set for `from`: with `latest` only the open shards (closed ones hold nothing
    /// newer), otherwise every shard, or only `selected` when shards were named.
    pub fn plan(shards: &[ShardInfo], selected: &[String], from: &StartPosition) -> Result<Self, String> {
        if let Some(unknown) = selected.iter().find(|id| !shards.iter().any(|s| &s.shard_id == *id)) {
            return Err(format!("the stream has no shard '{unknown}'"));
        }
        let mut read_set = BTreeMap::new();
        let mut closed = BTreeSet::new();
        for shard in shards {
            if !selected.is_empty() && !selected.contains(&shard.shard_id) {
                continue;
            }
            if *from == StartPosition::Latest && !shard.is_open() {
                continue;
            }
            if !shard.is_open() {
                closed.insert(shard.shard_id.clone());
            }
            read_set.insert(
                shard.shard_id.clone(),
                Entry {
                    parents: shard.parents().map(str::to_string).collect(),
                    state: State::Waiting(from.clone()),
                },
            );
        }
        // Shards that appear after a split or merge hold only records newer than that
        // event: read them from their start, unless a timestamp says where to begin.
        let child_start = match from {
            StartPosition::AtTimestamp(_) => from.clone(),
            _ => StartPosition::TrimHorizon,
        };
        Ok(Lineage { shards: read_set, child_start, closed })
    }

    /// The shards of the read set that were already closed when it was planned: everything
    /// they will ever hold is there to read.
    pub fn closed_shards(&self) -> BTreeSet<String> {
        self.closed.clone()
    }

    /// Shards whose parents are all read, now marked running.
    pub fn take_ready(&mut self) -> Vec<(String, StartPosition)> {
        let ready: Vec<String> = self
            .shards
            .iter()
            .filter(|(_, entry)| matches!(entry.state, State::Waiting(_)) && self.parents_done(entry))
            .map(|(id, _)| id.clone())
            .collect();
        ready
            .into_iter()
            .filter_map(|id| {
                let entry = self.shards.get_mut(&id)?;
                match std::mem::replace(&mut entry.state, State::Running) {
                    State::Waiting(position) => Some((id, position)),
                    other => {
                        entry.state = other;
                        None
                    }
                }
            })
            .collect()
    }

    /// Marks a shard finished and adds the children it revealed.
    pub fn finish(&mut self, shard_id: &str, children: &[ChildShard]) {
        if let Some(entry) = self.shards.get_mut(shard_id) {
            entry.state = State::Done;
        }
        for child in children {
            self.shards.entry(child.shard_id.clone()).or_insert_with(|| Entry {
                parents: child.parents.clone(),
                state: State::Waiting(self.child_start.clone()),
            });
        }
    }

    /// A parent outside the read set (trimmed away, or not selected) blocks nothing.
    fn parents_done(&self, entry: &Entry) -> bool {
        entry.parents.iter().all(|p| self.shards.get(p).is_none_or(|parent| parent.state == State::Done))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, parents: &[&str], open: bool) -> ShardInfo {
        ShardInfo::for_test(id, parents, open)
    }

    fn child(id: &str, parents: &[&str]) -> ChildShard {
        ChildShard { shard_id: id.into(), parents: parents.iter().map(|p| p.to_string()).collect() }
    }

    fn ids(ready: Vec<(String, StartPosition)>) -> Vec<String> {
        ready.into_iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn children_wait_for_every_parent() {
        // s0 and s1 merged into s3; s2 split into s4 and s5.
        let shards = [
            shard("s0", &[], false),
            shard("s1", &[], false),
            shard("s2", &[], false),
            shard("s3", &["s0", "s1"], true),
            shard("s4", &["s2"], true),
            shard("s5", &["s2"], true),
        ];
        let mut lineage = Lineage::plan(&shards, &[], &StartPosition::TrimHorizon).unwrap();
        assert_eq!(ids(lineage.take_ready()), ["s0", "s1", "s2"]);
        assert!(lineage.take_ready().is_empty(), "nothing starts twice");
        lineage.finish("s0", &[child("s3", &["s0", "s1"])]);
        assert!(lineage.take_ready().is_empty(), "s3 still waits for s1");
        lineage.finish("s2", &[child("s4", &["s2"]), child("s5", &["s2"])]);
        assert_eq!(
            lineage.take_ready(),
            [("s4".into(), StartPosition::TrimHorizon), ("s5".into(), StartPosition::TrimHorizon)]
        );
        lineage.finish("s1", &[child("s3", &["s0", "s1"])]);
        assert_eq!(ids(lineage.take_ready()), ["s3"]);
    }

    #[test]
    fn latest_reads_only_open_shards_and_does_not_wait_for_closed_parents() {
        let shards = [shard("s0", &[], false), shard("s1", &["s0"], true), shard("s2", &["s0"], true)];
        let mut lineage = Lineage::plan(&shards, &[], &StartPosition::Latest).unwrap();
        assert_eq!(
            lineage.take_ready(),
            [("s1".into(), StartPosition::Latest), ("s2".into(), StartPosition::Latest)]
        );
    }

    #[test]
    fn children_found_while_reading_start_at_their_beginning_or_at_the_timestamp() {
        let shards = [shard("s0", &[], true)];
        let mut lineage = Lineage::plan(&shards, &[], &StartPosition::Latest).unwrap();
        lineage.take_ready();
        lineage.finish("s0", &[child("s1", &["s0"])]);
        assert_eq!(lineage.take_ready(), [("s1".into(), StartPosition::TrimHorizon)]);

        let when = StartPosition::AtTimestamp(chrono::Utc::now());
        let mut lineage = Lineage::plan(&shards, &[], &when).unwrap();
        lineage.take_ready();
        lineage.finish("s0", &[child("s1", &["s0"])]);
        assert_eq!(lineage.take_ready(), [("s1".into(), when)]);
    }

    #[test]
    fn selection_limits_the_read_set_and_follows_children() {
        let shards = [shard("s0", &[], false), shard("s1", &[], true), shard("s2", &["s0"], true)];
        let mut lineage = Lineage::plan(&shards, &["s2".into()], &StartPosition::TrimHorizon).unwrap();
        assert_eq!(ids(lineage.take_ready()), ["s2"], "an unselected parent blocks nothing");
        assert!(Lineage::plan(&shards, &["s9".into()], &StartPosition::TrimHorizon).is_err());
    }

    #[test]
    fn a_failed_parent_releases_its_children_known_from_the_listing() {
        let shards = [shard("s0", &[], false), shard("s1", &["s0"], true)];
        let mut lineage = Lineage::plan(&shards, &[], &StartPosition::TrimHorizon).unwrap();
        assert_eq!(ids(lineage.take_ready()), ["s0"]);
        lineage.finish("s0", &[]);
        assert_eq!(ids(lineage.take_ready()), ["s1"]);
    }
}
