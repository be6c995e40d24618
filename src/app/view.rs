//! Which buffered records are in view (shard selection and text filter), where the cursor
//! is, and whether the view follows the newest record. Every operation costs O(log n) or
//! less in the number of buffered records, except rebuilding after the filter changes.

use std::collections::VecDeque;
use std::sync::Arc;

use regex::bytes::Regex;

use crate::record::store::{RecordId, RecordStore};
use crate::record::Record;

/// What a record must satisfy to be in view.
#[derive(Debug, Clone, Default)]
pub struct ViewFilter {
    pub shard: Option<Arc<str>>,
    pub pattern: Option<Regex>,
}

impl ViewFilter {
    pub fn is_empty(&self) -> bool {
        self.shard.is_none() && self.pattern.is_none()
    }

    pub fn matches(&self, record: &Record) -> bool {
        if let Some(shard) = &self.shard {
            if record.shard_id() != shard {
                return false;
            }
        }
        match &self.pattern {
            Some(re) => re.is_match(record.data()) || re.is_match(record.partition_key().as_bytes()),
            None => true,
        }
    }
}

#[derive(Debug, Default)]
pub struct RecordView {
    filter: ViewFilter,
    /// Ids in view, ascending; `None` while the filter is empty and every record is in view.
    ids: Option<VecDeque<RecordId>>,
    /// The record under the cursor.
    selected: Option<RecordId>,
    /// The first record shown in the table.
    top: Option<RecordId>,
    following: bool,
    /// Records that joined the view while paused.
    unseen: u64,
}

impl RecordView {
    pub fn new() -> Self {
        RecordView { following: true, ..RecordView::default() }
    }

    pub fn filter(&self) -> &ViewFilter {
        &self.filter
    }

    pub fn is_following(&self) -> bool {
        self.following
    }

    pub fn unseen(&self) -> u64 {
        self.unseen
    }

    pub fn selected(&self) -> Option<RecordId> {
        self.selected
    }

    pub fn len(&self, store: &RecordStore) -> usize {
        match &self.ids {
            Some(ids) => ids.len(),
            None => store.len(),
        }
    }

    pub fn is_empty(&self, store: &RecordStore) -> bool {
        self.len(store) == 0
    }

    /// Position of `id` in the view (or of the first record after it).
    pub fn index_of(&self, store: &RecordStore, id: RecordId) -> usize {
        match &self.ids {
            Some(ids) => ids.partition_point(|x| *x < id),
            None => {
                usize::try_from(id.saturating_sub(store.first_id())).unwrap_or(usize::MAX).min(store.len())
            }
        }
    }

    pub fn id_at(&self, store: &RecordStore, index: usize) -> Option<RecordId> {
        match &self.ids {
            Some(ids) => ids.get(index).copied(),
            None => (index < store.len()).then(|| store.first_id() + index as u64),
        }
    }

    pub fn selected_index(&self, store: &RecordStore) -> Option<usize> {
        self.selected.map(|id| self.index_of(store, id))
    }

    /// Called after the store placed a record at `id` (and maybe evicted older ones).
    /// Records that were at `id` or after it moved up one id; the marks follow them.
    pub fn on_pushed(&mut self, store: &RecordStore, id: RecordId) {
        let first = store.first_id();
        if id + 1 < store.end_id() {
            if let Some(ids) = &mut self.ids {
                for x in ids.iter_mut().rev().take_while(|x| **x >= id) {
                    *x += 1;
                }
            }
            for mark in [&mut self.selected, &mut self.top].into_iter().flatten() {
                if *mark >= id {
                    *mark += 1;
                }
            }
        }
        let matches = store.get(id).is_some_and(|record| self.filter.matches(record));
        if let Some(ids) = &mut self.ids {
            while ids.front().is_some_and(|x| *x < first) {
                ids.pop_front();
            }
            if matches {
                let at = ids.partition_point(|x| *x < id);
                ids.insert(at, id);
            }
        }
        if matches && !self.following {
            self.unseen += 1;
        }
        // The cursor and the top row never point at evicted records.
        for mark in [&mut self.selected, &mut self.top] {
            if mark.is_some_and(|m| m < first) {
                *mark = self.ids.as_ref().map_or(Some(first), |ids| ids.front().copied());
            }
        }
        if self.following {
            self.selected = self.last_id(store);
        } else if self.selected.is_none() && matches {
            self.selected = Some(id);
        }
    }

    /// Replaces the filter and rebuilds the view: O(n) over the buffered records.
    pub fn set_filter(&mut self, store: &RecordStore, filter: ViewFilter) {
        self.ids = (!filter.is_empty()).then(|| {
            store.iter_from(store.first_id()).filter(|(_, r)| filter.matches(r)).map(|(id, _)| id).collect()
        });
        self.filter = filter;
        self.unseen = 0;
        let keep = self.selected.filter(|id| store.get(*id).is_some_and(|r| self.filter.matches(r)));
        self.selected = match keep {
            Some(id) if !self.following => Some(id),
            _ => self.last_id(store),
        };
        self.top = None;
    }

    pub fn follow(&mut self, store: &RecordStore) {
        self.following = true;
        self.unseen = 0;
        self.selected = self.last_id(store);
    }

    pub fn pause(&mut self) {
        self.following = false;
    }

    /// Moves the cursor by `delta` rows. Moving up pauses following.
    pub fn move_by(&mut self, store: &RecordStore, delta: isize) {
        let len = self.len(store);
        if len == 0 {
            return;
        }
        let current = self.selected_index(store).unwrap_or(len - 1).min(len - 1);
        let target = current.saturating_add_signed(delta).min(len - 1);
        if delta < 0 {
            self.pause();
        }
        self.selected = self.id_at(store, target);
    }

    pub fn go_top(&mut self, store: &RecordStore) {
        self.pause();
        self.selected = self.id_at(store, 0);
    }

    /// Index of the first row to show so that the cursor is visible in `height` rows.
    /// Keeps the previous top row when possible, so the table does not jump.
    pub fn scroll_top(&mut self, store: &RecordStore, height: usize) -> usize {
        let len = self.len(store);
        if len == 0 || height == 0 {
            return 0;
        }
        let selected = self.selected_index(store).unwrap_or(len - 1).min(len - 1);
        let mut top = self.top.map_or(0, |id| self.index_of(store, id)).min(len - 1);
        if self.following || selected >= top + height {
            top = (selected + 1).saturating_sub(height);
        }
        if selected < top {
            top = selected;
        }
        self.top = self.id_at(store, top);
        top
    }

    /// Ids in view from `index`, at most `count`.
    pub fn ids_from(&self, store: &RecordStore, index: usize, count: usize) -> Vec<RecordId> {
        (index..index.saturating_add(count)).map_while(|i| self.id_at(store, i)).collect()
    }

    /// Every id in view, oldest first (for export).
    pub fn all_ids(&self, store: &RecordStore) -> Vec<RecordId> {
        match &self.ids {
            Some(ids) => ids.iter().copied().collect(),
            None => (store.first_id()..store.end_id()).collect(),
        }
    }

    fn last_id(&self, store: &RecordStore) -> Option<RecordId> {
        match &self.ids {
            Some(ids) => ids.back().copied(),
            None => store.end_id().checked_sub(1).filter(|id| *id >= store.first_id()),
        }
    }
}
