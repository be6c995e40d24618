//! The application state and its one entry point, `update(event) -> effects`: plain data,
//! no I/O, no `.await`, so every behaviour can be unit-tested.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use regex::bytes::Regex;
use tui_input::Input;

use super::compose::{ComposeRequest, ComposeState};
use super::keymap::{action_for, Action};
use super::shards::{ShardState, ShardTable};
use super::view::{RecordView, ViewFilter};
use crate::aws::reader::ReaderEvent;
use crate::aws::shards::ShardInfo;
use crate::record::decode::{DetailMode, DetailView};
use crate::record::store::{RecordId, RecordStore};
use crate::record::Record;

pub const TICKS_PER_SECOND: u64 = 4;

/// Something that happened: a key, a mouse action, reader news or the clock.
#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Reader(ReaderEvent),
    /// About once a second: sample gauges, expire the status line.
    Tick,
    Exported(Result<(PathBuf, usize), String>),
    Copied(Result<usize, String>),
    /// A file asked for by compose, read (or not).
    Loaded(PathBuf, Result<String, String>),
    /// (entries answered, entries sent) while a compose send runs.
    PutProgress(usize, usize),
    /// Every outcome of a compose send, by entry index.
    PutDone(Vec<(usize, crate::aws::putter::Outcome)>),
}

/// Work for the run loop, which owns the terminal, the files and the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    Export { path: PathBuf, stream: String, records: Vec<Record> },
    Copy(Vec<u8>),
    Put { target: crate::aws::putter::PutTarget, entries: Vec<(usize, crate::aws::putter::PutEntry)> },
    Load(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Shards,
    Records,
    Detail,
    Compose,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusLevel {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub level: StatusLevel,
    /// Ticks left before an info message clears itself.
    ttl: u32,
}

/// How the stream is being read, for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    pub name: String,
    /// Region or endpoint.
    pub target: String,
    pub mode: String,
    pub from: String,
    /// The registered consumer, when reading with enhanced fan-out.
    pub consumer: Option<crate::aws::consumer::Consumer>,
}

/// What happens to a fan-out consumer when the inspector closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerOnExit {
    /// Ask on `q` (the default): keep it for the next run, or deregister it.
    Ask,
    Keep,
    Deregister,
}

#[derive(Debug)]
pub struct DetailState {
    pub mode: DetailMode,
    pub scroll: usize,
    /// The decoded view of the selected record, rebuilt only when the record or mode changes.
    pub view: Option<(RecordId, DetailView)>,
}

#[derive(Debug, Default)]
pub struct FilterInput {
    pub input: Input,
    pub editing: bool,
    /// The filter in force, as typed.
    pub applied: String,
}

pub struct AppState {
    pub stream: StreamInfo,
    pub store: RecordStore,
    pub view: RecordView,
    pub shards: ShardTable,
    /// Row under the cursor in the shard pane: 0 is "all shards", then `shards.rows()`.
    pub shard_cursor: usize,
    pub focus: Pane,
    pub detail: DetailState,
    pub filter: FilterInput,
    pub status: Option<Status>,
    pub help_open: bool,
    pub size: Rect,
    /// First row of the record table, kept so the cursor stays visible.
    pub table_top: usize,
    /// Kept while hidden, so entries and results survive closing the pane.
    pub compose: Option<ComposeState>,
    /// `--read-only`: compose and re-send are off.
    pub read_only: bool,
    pub consumer_on_exit: ConsumerOnExit,
    /// The question whether to deregister the fan-out consumer is on screen.
    pub exit_question: bool,
    ticks: u64,
}

impl AppState {
    pub fn new(stream: StreamInfo, shards: &[ShardInfo], memory_budget: usize, size: Rect) -> Self {
        let mut state = AppState {
            stream,
            store: RecordStore::new(memory_budget),
            view: RecordView::new(),
            shards: ShardTable::new(shards),
            shard_cursor: 0,
            focus: Pane::Records,
            detail: DetailState { mode: DetailMode::Text, scroll: 0, view: None },
            filter: FilterInput::default(),
            status: None,
            help_open: false,
            size,
            table_top: 0,
            compose: None,
            read_only: false,
            consumer_on_exit: ConsumerOnExit::Ask,
            exit_question: false,
            ticks: 0,
        };
        state.settle();
        state
    }

    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let effects = match event {
            Event::Key(key) => self.on_key(key),
            Event::Mouse(mouse) => {
                self.on_mouse(mouse);
                Vec::new()
            }
            Event::Resize(width, height) => {
                self.size = Rect::new(0, 0, width, height);
                Vec::new()
            }
            Event::Reader(event) => {
                self.on_reader(event);
                Vec::new()
            }
            Event::Tick => {
                self.tick();
                Vec::new()
            }
            Event::Exported(result) => {
                match result {
                    Ok((path, count)) => {
                        self.info(format!("exported {count} records to {}", path.display()));
                    }
                    Err(e) => self.error(format!("export failed: {e}")),
                }
                Vec::new()
            }
            Event::Copied(result) => {
                match result {
                    Ok(bytes) => self.info(format!("copied {bytes} bytes to the clipboard")),
                    Err(e) => self.error(format!("copy failed: {e}")),
                }
                Vec::new()
            }
            Event::Loaded(path, result) => {
                if let Some(compose) = &mut self.compose {
                    match result {
                        Ok(text) => compose.load(&path, &text),
                        Err(e) => compose.message = Some(format!("cannot read {}: {e}", path.display())),
                    }
                }
                Vec::new()
            }
            Event::PutProgress(done, total) => {
                if let Some(compose) = &mut self.compose {
                    compose.progress = Some((done, total));
                }
                Vec::new()
            }
            Event::PutDone(outcomes) => {
                if let Some(compose) = &mut self.compose {
                    compose.record_outcomes(outcomes);
                }
                Vec::new()
            }
        };
        self.settle();
        effects
    }

    /// Applies a batch of reader events, then settles once: cheaper than one update each.
    pub fn update_many(&mut self, events: impl IntoIterator<Item = ReaderEvent>) {
        for event in events {
            self.on_reader(event);
        }
        self.settle();
    }

    pub fn selected_record(&self) -> Option<(RecordId, &Record)> {
        let id = self.view.selected()?;
        Some((id, self.store.get(id)?))
    }

    /// Whether a line of the detail body matches the filter (the UI highlights it).
    pub fn detail_line_matches(&self, line: &crate::record::decode::FormattedLine) -> bool {
        match &self.view.filter().pattern {
            Some(pattern) => {
                let text: String = line.iter().map(|s| s.text.as_str()).collect();
                pattern.is_match(text.as_bytes())
            }
            None => false,
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // Ctrl-C quits from anywhere, even while typing.
        if key.code == KeyCode::Char('c') && key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL) {
            return vec![Effect::Quit];
        }
        if self.exit_question {
            return self.on_exit_question_key(key);
        }
        if self.filter.editing {
            self.on_filter_key(key);
            return Vec::new();
        }
        if self.focus == Pane::Compose {
            return self.on_compose_key(key);
        }
        let Some(action) = action_for(key) else {
            return Vec::new();
        };
        if self.help_open && !matches!(action, Action::Quit) {
            self.help_open = false;
            return Vec::new();
        }
        match action {
            Action::Quit => return self.quit(),
            Action::Help => self.help_open = true,
            Action::NextPane => self.focus = self.cycle_focus(1),
            Action::PreviousPane => self.focus = self.cycle_focus(-1),
            Action::Down => self.move_cursor(1),
            Action::Up => self.move_cursor(-1),
            Action::PageDown => self.move_cursor(self.page() as isize),
            Action::PageUp => self.move_cursor(-(self.page() as isize)),
            Action::Top => match self.focus {
                Pane::Shards => self.select_shard(0),
                Pane::Records => self.view.go_top(&self.store),
                Pane::Detail => self.detail.scroll = 0,
                Pane::Compose => {}
            },
            Action::Bottom => match self.focus {
                Pane::Shards => self.select_shard(self.shards.rows().len()),
                Pane::Records => self.view.follow(&self.store),
                Pane::Detail => self.detail.scroll = self.detail_line_count().saturating_sub(1),
                Pane::Compose => {}
            },
            Action::Open => match self.focus {
                Pane::Shards => self.focus = Pane::Records,
                _ if self.view.selected().is_some() => {
                    self.view.pause();
                    self.focus = Pane::Detail;
                }
                _ => {}
            },
            Action::CycleDetail => {
                self.detail.mode = self.detail.mode.next();
                self.detail.scroll = 0;
            }
            Action::ToggleFollow => {
                if self.view.is_following() {
                    self.view.pause();
                } else {
                    self.view.follow(&self.store);
                }
            }
            Action::Filter => {
                self.filter.editing = true;
                self.filter.input = Input::new(self.filter.applied.clone());
            }
            Action::NextMatch => self.jump_to_match(true),
            Action::PreviousMatch => self.jump_to_match(false),
            Action::Export => return self.export(),
            Action::Copy => match self.selected_record() {
                Some((_, record)) => return vec![Effect::Copy(record.data().to_vec())],
                None => self.warn("no record selected to copy"),
            },
            Action::Compose => self.open_compose(),
            Action::Resend => {
                let selected =
                    self.selected_record().map(|(_, r)| (r.data().to_vec(), r.partition_key().to_string()));
                match selected {
                    Some((data, key)) if !self.read_only => {
                        self.open_compose();
                        if let Some(compose) = &mut self.compose {
                            compose.add_record(&data, &key);
                        }
                    }
                    Some(_) => self.open_compose(),
                    None => self.warn("no record selected to re-send"),
                }
            }
            Action::Back => {
                if self.focus == Pane::Detail {
                    self.focus = Pane::Records;
                } else if !self.filter.applied.is_empty() {
                    self.apply_filter(String::new());
                }
            }
        }
        Vec::new()
    }

    /// Quits, first asking about a fan-out consumer when `--efo-cleanup` did not decide.
    fn quit(&mut self) -> Vec<Effect> {
        if self.stream.consumer.is_some() && self.consumer_on_exit == ConsumerOnExit::Ask {
            self.help_open = false;
            self.exit_question = true;
            return Vec::new();
        }
        vec![Effect::Quit]
    }

    fn on_exit_question_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let answer = match key.code {
            KeyCode::Char('y') | KeyCode::Char('d') => ConsumerOnExit::Deregister,
            KeyCode::Char('n') | KeyCode::Char('k') | KeyCode::Char('q') => ConsumerOnExit::Keep,
            KeyCode::Esc => {
                self.exit_question = false;
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        self.consumer_on_exit = answer;
        self.exit_question = false;
        vec![Effect::Quit]
    }

    fn open_compose(&mut self) {
        if self.read_only {
            self.warn("compose is disabled by --read-only");
            return;
        }
        let stream = self.stream.name.clone();
        self.compose.get_or_insert_with(|| ComposeState::new(&stream));
        self.focus = Pane::Compose;
    }

    fn on_compose_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(compose) = &mut self.compose else {
            self.focus = Pane::Records;
            return Vec::new();
        };
        match compose.on_key(key) {
            Some(ComposeRequest::Close) => self.focus = Pane::Records,
            Some(ComposeRequest::Send { target, entries }) => return vec![Effect::Put { target, entries }],
            Some(ComposeRequest::Load(path)) => return vec![Effect::Load(path)],
            None => {}
        }
        Vec::new()
    }

    fn on_filter_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter => {
                self.filter.editing = false;
                let text = self.filter.input.value().to_string();
                self.apply_filter(text);
            }
            KeyCode::Esc => self.filter.editing = false,
            _ => super::text_input::edit(&mut self.filter.input, key),
        }
    }

    fn apply_filter(&mut self, text: String) {
        let pattern = if text.is_empty() {
            None
        } else {
            // Text that is not a valid regex is searched for literally.
            match Regex::new(&text) {
                Ok(re) => Some(re),
                Err(_) => Regex::new(&regex::escape(&text)).ok(),
            }
        };
        self.filter.applied = text;
        let filter = ViewFilter { pattern, shard: self.view.filter().shard.clone() };
        self.view.set_filter(&self.store, filter);
        let count = self.view.len(&self.store);
        if !self.filter.applied.is_empty() {
            self.info(format!("{count} records match /{}/", self.filter.applied));
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            MouseEventKind::ScrollDown => self.move_cursor(3),
            MouseEventKind::ScrollUp => self.move_cursor(-3),
            _ => {}
        }
    }

    fn on_reader(&mut self, event: ReaderEvent) {
        match event {
            ReaderEvent::Started { shard_id, .. } => {
                self.shards.get_mut(&shard_id).state = ShardState::Reading
            }
            ReaderEvent::Records { shard_id, records, stats } => {
                let row = self.shards.get_mut(&shard_id);
                row.stats = stats;
                if !matches!(row.state, ShardState::CaughtUp) || !records.is_empty() {
                    row.state = ShardState::Reading;
                }
                for record in records {
                    let id = self.store.push(record);
                    self.view.on_pushed(&self.store, id);
                }
            }
            ReaderEvent::Subscribed { shard_id, renewals } => {
                self.shards.get_mut(&shard_id).subscribed(renewals)
            }
            ReaderEvent::Throttled { shard_id, stats, .. } => self.shards.get_mut(&shard_id).stats = stats,
            ReaderEvent::Error { shard_id, error, retry_in } => {
                let row = self.shards.get_mut(&shard_id);
                match retry_in {
                    Some(delay) => {
                        row.state = ShardState::Retrying(error.to_string());
                        let text = format!("{shard_id}: {error}; retrying in {:.1}s", delay.as_secs_f64());
                        self.warn(text);
                    }
                    None => {
                        row.state = ShardState::Failed(error.to_string());
                        self.error(format!("{shard_id}: {error}"));
                    }
                }
            }
            ReaderEvent::CaughtUp { shard_id } => self.shards.get_mut(&shard_id).state = ShardState::CaughtUp,
            ReaderEvent::Closed { shard_id, children } => {
                self.shards.get_mut(&shard_id).state = ShardState::Finished;
                self.shards.add_children(&shard_id, &children);
            }
        }
    }

    /// Ticks come about four times a second; gauges sample and messages age once a second.
    /// Returns whether anything on screen changed, so an idle screen is not redrawn.
    pub fn tick(&mut self) -> bool {
        self.ticks += 1;
        if !self.ticks.is_multiple_of(TICKS_PER_SECOND) {
            return false;
        }
        self.shards.sample();
        if let Some(status) = &mut self.status {
            if status.level != StatusLevel::Error {
                status.ttl = status.ttl.saturating_sub(1);
                if status.ttl == 0 {
                    self.status = None;
                }
            }
        }
        true
    }

    fn move_cursor(&mut self, delta: isize) {
        match self.focus {
            Pane::Shards => {
                let target = self.shard_cursor.saturating_add_signed(delta);
                self.select_shard(target);
            }
            Pane::Records => self.view.move_by(&self.store, delta),
            Pane::Detail => {
                let last = self.detail_line_count().saturating_sub(1);
                self.detail.scroll = self.detail.scroll.saturating_add_signed(delta).min(last);
            }
            Pane::Compose => {}
        }
    }

    /// Puts the shard cursor on `index` (clamped) and shows only that shard's records.
    fn select_shard(&mut self, index: usize) {
        self.shard_cursor = index.min(self.shards.rows().len());
        let shard: Option<Arc<str>> = match self.shard_cursor {
            0 => None,
            n => self.shards.rows().get(n - 1).map(|r| r.id.clone()),
        };
        if shard != self.view.filter().shard {
            let filter = ViewFilter { shard, pattern: self.view.filter().pattern.clone() };
            self.view.set_filter(&self.store, filter);
        }
    }

    fn jump_to_match(&mut self, forward: bool) {
        if self.filter.applied.is_empty() {
            self.warn("no filter: press / to search");
            return;
        }
        match self.focus {
            Pane::Detail => match self.find_detail_match(forward) {
                Some(line) => self.detail.scroll = line,
                None => self.info("no more matches in this record".into()),
            },
            // Every record in a filtered view matches: the next match is the next row.
            _ => self.view.move_by(&self.store, if forward { 1 } else { -1 }),
        }
    }

    fn export(&mut self) -> Vec<Effect> {
        let ids = self.view.all_ids(&self.store);
        if ids.is_empty() {
            self.warn("nothing to export: no records in view");
            return Vec::new();
        }
        let records: Vec<Record> = ids.iter().filter_map(|id| self.store.get(*id).cloned()).collect();
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let path = PathBuf::from(format!("kinspect-{}-{stamp}.jsonl", self.stream.name));
        self.info(format!("exporting {} records…", records.len()));
        vec![Effect::Export { path, stream: self.stream.name.clone(), records }]
    }

    fn cycle_focus(&self, step: isize) -> Pane {
        // (Compose takes every key while it is open; Esc leaves it.)
        let panes = if self.is_narrow() {
            &[Pane::Records, Pane::Detail][..]
        } else {
            &[Pane::Shards, Pane::Records, Pane::Detail][..]
        };
        let at = panes.iter().position(|p| *p == self.focus).unwrap_or(0) as isize;
        panes[(at + step).rem_euclid(panes.len() as isize) as usize]
    }

    pub fn is_narrow(&self) -> bool {
        self.size.width < crate::ui::NARROW_WIDTH
    }

    fn page(&self) -> usize {
        (crate::ui::layout(self).records.height as usize).saturating_sub(3).max(1)
    }

    fn detail_line_count(&self) -> usize {
        self.detail.view.as_ref().map_or(0, |(_, v)| v.line_count())
    }

    /// Brings derived state in line after any change: the table's scroll position and the
    /// decoded detail view.
    fn settle(&mut self) {
        let rows = (crate::ui::layout(self).records.height as usize).saturating_sub(3);
        self.table_top = self.view.scroll_top(&self.store, rows);
        let selected = self.view.selected();
        let current = self.detail.view.as_ref().map(|(id, v)| (*id, v.mode()));
        if selected.zip(Some(self.detail.mode)) != current {
            self.detail.view = selected.and_then(|id| {
                let record = self.store.get(id)?;
                Some((id, DetailView::new(record.data(), self.detail.mode)))
            });
            if current.map(|(id, _)| id) != selected {
                self.detail.scroll = 0;
            }
        }
    }

    /// The next (or previous) line of the detail body that matches the filter, formatting
    /// lines a screenful at a time from the current one: only as much as the search needs.
    fn find_detail_match(&self, forward: bool) -> Option<usize> {
        const STEP: usize = 64;
        let (id, view) = self.detail.view.as_ref()?;
        let data = self.store.get(*id)?.data();
        let current = self.detail.scroll;
        let total = view.line_count();
        if forward {
            let mut start = current + 1;
            while start < total {
                let lines = view.lines(data, start..start + STEP);
                if let Some(n) = lines.iter().position(|l| self.detail_line_matches(l)) {
                    return Some(start + n);
                }
                start += STEP;
            }
        } else {
            let mut end = current;
            while end > 0 {
                let start = end.saturating_sub(STEP);
                let lines = view.lines(data, start..end);
                if let Some(n) = lines.iter().rposition(|l| self.detail_line_matches(l)) {
                    return Some(start + n);
                }
                end = start;
            }
        }
        None
    }

    fn info(&mut self, text: String) {
        self.status = Some(Status { text, level: StatusLevel::Info, ttl: 5 });
    }

    fn warn(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), level: StatusLevel::Warning, ttl: 10 });
    }

    fn error(&mut self, text: String) {
        self.status = Some(Status { text, level: StatusLevel::Error, ttl: 0 });
    }
}
