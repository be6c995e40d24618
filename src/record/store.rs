//! The bounded record buffer behind the TUI: records in arrival order, each with a stable
//! id, the oldest evicted once the memory budget is reached.

use std::collections::VecDeque;

use super::Record;

/// A record's position in arrival order. Eviction never changes ids; a record placed
/// before others (see [`RecordStore::push`]) moves those up by one.
pub type RecordId = u64;

/// How far back from the newest record an out-of-order arrival is placed.
pub const REORDER_WINDOW: usize = 1024;

#[derive(Debug)]
pub struct RecordStore {
    records: VecDeque<Record>,
    /// Id of `records[0]`.
    first_id: RecordId,
    /// Heap bytes of the records themselves (their shared allocation).
    heap_bytes: usize,
    budget: usize,
    evicted: u64,
}

impl RecordStore {
    pub fn new(budget_bytes: usize) -> Self {
        RecordStore { records: VecDeque::new(), first_id: 0, heap_bytes: 0, budget: budget_bytes, evicted: 0 }
    }

    /// Adds a record in arrival order, then evicts the oldest until the store fits its
    /// budget again. Shards are polled separately, so records can come in slightly out of
    /// arrival order: a record is placed among the last [`REORDER_WINDOW`] by its arrival
    /// time (records after it move up one id); an older straggler goes at the end.
    /// Returns the new record's id.
    pub fn push(&mut self, record: Record) -> RecordId {
        self.heap_bytes += record.memory_size() - std::mem::size_of::<Record>();
        let mut at = self.records.len();
        if let Some(arrival) = record.arrival_millis() {
            let floor = at.saturating_sub(REORDER_WINDOW);
            while at > floor && self.records[at - 1].arrival_millis().is_some_and(|a| a > arrival) {
                at -= 1;
            }
        }
        let id = self.first_id + at as u64;
        self.records.insert(at, record);
        let mut evicted = 0;
        while self.memory_used() > self.budget && self.records.len() > 1 {
            if let Some(old) = self.records.pop_front() {
                self.heap_bytes -= old.memory_size() - std::mem::size_of::<Record>();
                self.first_id += 1;
                evicted += 1;
            }
        }
        self.evicted += evicted as u64;
        id
    }

    pub fn get(&self, id: RecordId) -> Option<&Record> {
        let index = id.checked_sub(self.first_id)?;
        self.records.get(usize::try_from(index).ok()?)
    }

    /// Id of the oldest record still held.
    pub fn first_id(&self) -> RecordId {
        self.first_id
    }

    /// Id the next record pushed will get.
    pub fn end_id(&self) -> RecordId {
        self.first_id + self.records.len() as u64
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Records evicted since the store was created.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Bytes held: every slot the buffer has allocated plus each record's own allocation.
    pub fn memory_used(&self) -> usize {
        self.records.capacity() * std::mem::size_of::<Record>() + self.heap_bytes
    }

    /// Records from `id` on (clamped to what is held), oldest first.
    pub fn iter_from(&self, id: RecordId) -> impl Iterator<Item = (RecordId, &Record)> {
        let start = id.max(self.first_id);
        let skip = usize::try_from(start - self.first_id).unwrap_or(usize::MAX);
        self.records.iter().enumerate().skip(skip).map(move |(i, r)| (self.first_id + i as u64, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize, size: usize) -> Record {
        Record::new("shardId-000000000000".into(), &n.to_string(), "k", &vec![b'x'; size], None)
    }

    #[test]
    fn ids_are_stable_across_eviction() {
        let mut store = RecordStore::new(usize::MAX);
        for n in 0..5 {
            store.push(record(n, 10));
        }
        assert_eq!((store.first_id(), store.end_id(), store.len()), (0, 5, 5));
        assert_eq!(store.get(3).map(|r| r.sequence_number().into_owned()), Some("3".into()));
        assert!(store.get(5).is_none());
        let ids: Vec<RecordId> = store.iter_from(3).map(|(id, _)| id).collect();
        assert_eq!(ids, [3, 4]);
    }

    #[test]
    fn the_oldest_go_when_the_budget_is_reached() {
        let budget = 64 * 1024;
        let mut store = RecordStore::new(budget);
        for n in 0..1000 {
            store.push(record(n, 1000));
            assert!(store.memory_used() <= budget, "over budget after record {n}");
        }
        let evicted = store.evicted();
        assert!(evicted > 900);
        assert_eq!(store.end_id(), 1000);
        assert_eq!(store.first_id(), evicted);
        assert_eq!(store.get(999).map(|r| r.sequence_number().into_owned()), Some("999".into()));
        assert!(store.get(0).is_none());
        assert!(store.iter_from(0).next().map(|(id, _)| id) == Some(store.first_id()));
    }

    #[test]
    fn records_are_kept_in_arrival_order_within_the_window() {
        let at = |n: usize, millis: i64| {
            Record::new(
                "s".into(),
                &n.to_string(),
                "k",
                b"x",
                chrono::DateTime::from_timestamp_millis(millis),
            )
        };
        let mut store = RecordStore::new(usize::MAX);
        assert_eq!(store.push(at(0, 100)), 0);
        assert_eq!(store.push(at(1, 300)), 1);
        assert_eq!(store.push(at(2, 200)), 1, "placed before the later arrival");
        assert_eq!(store.push(at(3, 300)), 3, "equal times keep the order received");
        let order: Vec<String> = store.iter_from(0).map(|(_, r)| r.sequence_number().into_owned()).collect();
        assert_eq!(order, ["0", "2", "1", "3"]);
        for n in 0..REORDER_WINDOW {
            store.push(at(10 + n, 1_000 + n as i64));
        }
        let straggler = store.push(at(9, 50));
        assert_eq!(straggler, store.end_id() - 1 - REORDER_WINDOW as u64, "no further back than the window");
    }

    #[test]
    fn a_record_larger_than_the_budget_is_still_kept_alone() {
        let mut store = RecordStore::new(100);
        store.push(record(0, 10));
        store.push(record(1, 1000));
        assert_eq!(store.len(), 1);
        assert_eq!(store.get(1).map(|r| r.data().len()), Some(1000));
    }
}
