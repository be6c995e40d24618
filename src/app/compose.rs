//! The compose pane: a list of records to send, an editor for the selected one, and the
//! outcome of each entry once sent. Pure state; sending is an effect of the run loop.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;

use super::text_input::edit;
use crate::aws::config::StreamRef;
use crate::aws::putter::{check, Outcome, PutEntry, PutTarget};
use crate::record::input::{self, random_partition_key, InputFormat, Template};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeEntry {
    /// Bytes, not text: a binary record copied with `R` or loaded as `data_base64` is sent
    /// exactly as it was unless its data is edited.
    pub data: Vec<u8>,
    pub partition_key: String,
    pub explicit_hash_key: String,
    pub outcome: Option<Outcome>,
}

impl ComposeEntry {
    pub fn new(data: Vec<u8>, partition_key: String) -> Self {
        ComposeEntry { data, partition_key, explicit_hash_key: String::new(), outcome: None }
    }

    fn to_put(&self) -> PutEntry {
        PutEntry {
            data: self.data.clone(),
            partition_key: self.partition_key.clone(),
            explicit_hash_key: (!self.explicit_hash_key.is_empty()).then(|| self.explicit_hash_key.clone()),
        }
    }
}

/// The field the editor line is changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Data,
    PartitionKey,
    HashKey,
    Target,
    Template,
    Repeat,
    LoadPath,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Data => "data",
            Field::PartitionKey => "partition key",
            Field::HashKey => "explicit hash key",
            Field::Target => "target (stream NAME or firehose NAME)",
            Field::Template => "template ({{seq}} {{uuid}} {{now}} {{rand:A..B}})",
            Field::Repeat => "how many records from the template",
            Field::LoadPath => "file to load (lines, or .jsonl)",
        }
    }
}

/// What the compose pane asks of the rest of the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposeRequest {
    Close,
    /// Send these entries (by index in the list) to the target.
    Send {
        target: PutTarget,
        entries: Vec<(usize, PutEntry)>,
    },
    /// Read a file and add its records (lines or JSONL).
    Load(std::path::PathBuf),
}

pub struct ComposeState {
    pub target: PutTarget,
    pub entries: Vec<ComposeEntry>,
    pub cursor: usize,
    /// The field being edited and its editor.
    pub editing: Option<(Field, Input)>,
    pub template: String,
    /// Waiting for y/n before sending; holds what would be sent.
    pub confirm: Option<Vec<usize>>,
    /// (done, total) while a send is running.
    pub progress: Option<(usize, usize)>,
    pub only_failures: bool,
    pub message: Option<String>,
}

impl ComposeState {
    pub fn new(stream: &str) -> Self {
        ComposeState {
            target: PutTarget::Stream(StreamRef::Name(stream.to_string())),
            entries: Vec::new(),
            cursor: 0,
            editing: None,
            template: String::new(),
            confirm: None,
            progress: None,
            only_failures: false,
            message: None,
        }
    }

    /// Entry indices shown, in order (all, or only the failed ones).
    pub fn visible(&self) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|i| {
                !self.only_failures || self.entries[*i].outcome.as_ref().is_some_and(Outcome::is_failed)
            })
            .collect()
    }

    /// (accepted, failed, not sent)
    pub fn summary(&self) -> (usize, usize, usize) {
        let accepted =
            self.entries.iter().filter(|e| matches!(e.outcome, Some(Outcome::Accepted { .. }))).count();
        let failed =
            self.entries.iter().filter(|e| e.outcome.as_ref().is_some_and(Outcome::is_failed)).count();
        (accepted, failed, self.entries.len() - accepted - failed)
    }

    /// Why an entry cannot be sent, if it cannot.
    pub fn problem(&self, index: usize) -> Option<String> {
        self.entries.get(index).and_then(|e| check(&self.target, &e.to_put()))
    }

    /// Adds a copy of a record (from the record view) for re-sending.
    pub fn add_record(&mut self, data: &[u8], partition_key: &str) {
        self.entries.push(ComposeEntry::new(data.to_vec(), partition_key.to_string()));
        self.cursor = self.entries.len() - 1;
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Option<ComposeRequest> {
        if self.progress.is_some() {
            return None;
        }
        if let Some(indices) = self.confirm.take() {
            if matches!(key.code, KeyCode::Char('y') | KeyCode::Enter) {
                let entries = indices.iter().map(|i| (*i, self.entries[*i].to_put())).collect();
                self.progress = Some((0, indices.len()));
                return Some(ComposeRequest::Send { target: self.target.clone(), entries });
            }
            self.message = Some("not sent".into());
            return None;
        }
        if self.editing.is_some() {
            return self.on_edit_key(key);
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let visible = self.visible();
        let at = visible.iter().position(|i| *i == self.cursor).unwrap_or(0);
        match key.code {
            KeyCode::Esc => return Some(ComposeRequest::Close),
            KeyCode::Char('s') if ctrl => self.ask_to_send(
                (0..self.entries.len()).filter(|i| self.entries[*i].outcome.is_none()).collect(),
            ),
            KeyCode::Char('r') => self.ask_to_send(
                (0..self.entries.len())
                    .filter(|i| self.entries[*i].outcome.as_ref().is_some_and(Outcome::is_failed))
                    .collect(),
            ),
            KeyCode::Char('j') | KeyCode::Down => {
                self.cursor = visible.get(at + 1).copied().unwrap_or(self.cursor)
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.cursor = visible.get(at.saturating_sub(1)).copied().unwrap_or(self.cursor)
            }
            KeyCode::Char('a') => {
                self.entries.push(ComposeEntry::new(Vec::new(), random_partition_key()));
                self.cursor = self.entries.len() - 1;
                self.start_editing(Field::Data);
            }
            KeyCode::Char('d') => {
                if let Some(entry) = self.entries.get(self.cursor).cloned() {
                    self.entries.insert(self.cursor + 1, ComposeEntry { outcome: None, ..entry });
                    self.cursor += 1;
                }
            }
            KeyCode::Delete | KeyCode::Backspace | KeyCode::Char('D') if self.cursor < self.entries.len() => {
                self.entries.remove(self.cursor);
                self.cursor = self.cursor.min(self.entries.len().saturating_sub(1));
            }
            KeyCode::Enter | KeyCode::Char('i') if !self.entries.is_empty() => {
                self.start_editing(Field::Data)
            }
            KeyCode::Char('p') if !self.entries.is_empty() => self.start_editing(Field::PartitionKey),
            KeyCode::Char('h') if !self.entries.is_empty() => self.start_editing(Field::HashKey),
            KeyCode::Char('t') => self.start_editing(Field::Target),
            KeyCode::Char('T') => self.start_editing(Field::Template),
            KeyCode::Char('L') => self.start_editing(Field::LoadPath),
            KeyCode::Char('F') => {
                self.only_failures = !self.only_failures;
                if let Some(first) = self.visible().first() {
                    self.cursor = *first;
                }
            }
            KeyCode::Char('C') => {
                self.entries
                    .retain(|e| e.outcome.is_none() || e.outcome.as_ref().is_some_and(Outcome::is_failed));
                self.cursor = 0;
            }
            _ => {}
        }
        None
    }

    fn ask_to_send(&mut self, indices: Vec<usize>) {
        if indices.is_empty() {
            self.message = Some("nothing to send".into());
            return;
        }
        if let Some((i, why)) = indices.iter().find_map(|i| self.problem(*i).map(|why| (*i, why))) {
            self.cursor = i;
            self.message = Some(format!("entry {i}: {why} — fix or delete it first; nothing sent"));
            return;
        }
        self.message = Some(format!("send {} records to {}? y / n", indices.len(), self.target.describe()));
        self.confirm = Some(indices);
    }

    fn start_editing(&mut self, field: Field) {
        let value = match field {
            Field::Data => match self.entries.get(self.cursor) {
                Some(entry) if std::str::from_utf8(&entry.data).is_err() => {
                    self.message =
                        Some("this record is binary: editing replaces it with the text typed".into());
                    Some(String::new())
                }
                entry => entry.map(|e| String::from_utf8_lossy(&e.data).into_owned()),
            },
            Field::PartitionKey => self.entries.get(self.cursor).map(|e| e.partition_key.clone()),
            Field::HashKey => self.entries.get(self.cursor).map(|e| e.explicit_hash_key.clone()),
            Field::Target => Some(match &self.target {
                PutTarget::Stream(s) => format!("stream {}", s.name()),
                PutTarget::Firehose(name) => format!("firehose {name}"),
            }),
            Field::Template => Some(self.template.clone()),
            Field::Repeat => Some("10".into()),
            Field::LoadPath => Some(String::new()),
        };
        self.editing = Some((field, Input::new(value.unwrap_or_default())));
        self.message = None;
    }

    fn on_edit_key(&mut self, key: KeyEvent) -> Option<ComposeRequest> {
        let (field, input) = self.editing.as_mut()?;
        match key.code {
            KeyCode::Esc => self.editing = None,
            KeyCode::Enter => {
                let (field, value) = (*field, input.value().to_string());
                self.editing = None;
                return self.commit(field, value);
            }
            _ => edit(input, key),
        }
        None
    }

    fn commit(&mut self, field: Field, value: String) -> Option<ComposeRequest> {
        let entry = self.entries.get_mut(self.cursor);
        match (field, entry) {
            (Field::Data, Some(entry)) => {
                entry.data = value.into_bytes();
                entry.outcome = None;
            }
            (Field::PartitionKey, Some(entry)) => {
                entry.partition_key = value;
                entry.outcome = None;
            }
            (Field::HashKey, Some(entry)) => {
                entry.explicit_hash_key = value;
                entry.outcome = None;
            }
            (Field::Target, _) => match value.split_once(' ') {
                Some(("stream", name)) if !name.trim().is_empty() => match StreamRef::parse(name.trim()) {
                    Ok(stream) => self.target = PutTarget::Stream(stream),
                    Err(e) => self.message = Some(e.message),
                },
                Some(("firehose", name)) if !name.trim().is_empty() => {
                    self.target = PutTarget::Firehose(name.trim().into())
                }
                _ => self.message = Some("write `stream NAME` or `firehose NAME`".into()),
            },
            (Field::Template, _) => match Template::parse(&value) {
                Ok(_) => {
                    self.template = value;
                    self.start_editing(Field::Repeat);
                }
                Err(e) => self.message = Some(e),
            },
            (Field::Repeat, _) => match value.trim().parse::<u64>() {
                Ok(count) if (1..=100_000).contains(&count) => self.expand_template(count),
                _ => self.message = Some("give a number from 1 to 100000".into()),
            },
            (Field::LoadPath, _) if !value.trim().is_empty() => {
                return Some(ComposeRequest::Load(value.trim().into()));
            }
            _ => {}
        }
        None
    }

    fn expand_template(&mut self, count: u64) {
        let Ok(template) = Template::parse(&self.template) else { return };
        let first = self.entries.len() as u64;
        for n in 1..=count {
            self.entries
                .push(ComposeEntry::new(template.expand(first + n).into_bytes(), random_partition_key()));
        }
        self.cursor = self.entries.len() - 1;
        self.message = Some(format!("added {count} records from the template"));
    }

    /// Adds the records of a loaded file: JSONL when the name ends in .jsonl or .json.
    pub fn load(&mut self, path: &std::path::Path, text: &str) {
        let jsonl = path.extension().is_some_and(|e| e == "jsonl" || e == "json");
        let format = if jsonl { InputFormat::Jsonl } else { InputFormat::Lines };
        match input::parse(text, format) {
            Ok(records) => {
                let count = records.len();
                for record in records {
                    let key = record.partition_key.unwrap_or_else(random_partition_key);
                    let mut entry = ComposeEntry::new(record.data, key);
                    entry.explicit_hash_key = record.explicit_hash_key.unwrap_or_default();
                    self.entries.push(entry);
                }
                self.message = Some(format!("loaded {count} records from {}", path.display()));
            }
            Err(e) => self.message = Some(format!("{}: {e}", path.display())),
        }
    }

    /// Records the outcomes of a send, by entry index.
    pub fn record_outcomes(&mut self, outcomes: Vec<(usize, Outcome)>) {
        for (index, outcome) in outcomes {
            if let Some(entry) = self.entries.get_mut(index) {
                entry.outcome = Some(outcome);
            }
        }
        self.progress = None;
        let (accepted, failed, _) = self.summary();
        self.message = Some(format!(
            "{accepted} accepted, {failed} failed{}",
            if failed > 0 { " — r resends the failed ones" } else { "" }
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(state: &mut ComposeState, code: KeyCode) -> Option<ComposeRequest> {
        state.on_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(state: &mut ComposeState, text: &str) {
        for c in text.chars() {
            press(state, KeyCode::Char(c));
        }
    }

    #[test]
    fn compose_confirm_send_and_map_results_by_index() {
        let mut c = ComposeState::new("orders");
        press(&mut c, KeyCode::Char('a'));
        typed(&mut c, "first");
        press(&mut c, KeyCode::Enter);
        press(&mut c, KeyCode::Char('d'));
        press(&mut c, KeyCode::Char('a'));
        typed(&mut c, "third");
        press(&mut c, KeyCode::Enter);
        assert_eq!(
            c.entries.iter().map(|e| e.data.as_slice()).collect::<Vec<_>>(),
            [&b"first"[..], b"first", b"third"]
        );
        assert_eq!(c.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)), None, "asks first");
        assert!(c.message.as_deref().unwrap().contains("send 3 records to data stream orders?"));
        let Some(ComposeRequest::Send { entries, .. }) = press(&mut c, KeyCode::Char('y')) else {
            panic!("no send")
        };
        assert_eq!(entries.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 2]);
        c.record_outcomes(vec![
            (
                0,
                Outcome::Accepted {
                    shard_id: Some("s0".into()),
                    sequence_number: Some("1".into()),
                    record_id: None,
                },
            ),
            (2, Outcome::Failed { code: "InternalFailure".into(), message: "boom".into() }),
            (
                1,
                Outcome::Accepted {
                    shard_id: Some("s1".into()),
                    sequence_number: Some("2".into()),
                    record_id: None,
                },
            ),
        ]);
        assert_eq!(c.summary(), (2, 1, 0));
        press(&mut c, KeyCode::Char('r'));
        let Some(ComposeRequest::Send { entries, .. }) = press(&mut c, KeyCode::Char('y')) else {
            panic!("no retry")
        };
        assert_eq!(
            entries.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [2],
            "only the failed entry is resent"
        );
        press(&mut c, KeyCode::Char('n'));
    }

    #[test]
    fn invalid_entries_block_sending_and_say_why() {
        let mut c = ComposeState::new("orders");
        press(&mut c, KeyCode::Char('a'));
        press(&mut c, KeyCode::Enter);
        assert_eq!(c.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)), None);
        assert!(c.confirm.is_none());
        assert!(c.message.as_deref().unwrap().contains("the record is empty"));
        press(&mut c, KeyCode::Char('t'));
        press(&mut c, KeyCode::Char('u'));
        c.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        typed(&mut c, "firehose to-s3");
        press(&mut c, KeyCode::Enter);
        assert_eq!(c.target, PutTarget::Firehose("to-s3".into()));
    }

    #[test]
    fn binary_records_are_kept_byte_for_byte() {
        let mut c = ComposeState::new("orders");
        c.add_record(&[0x1f, 0x8b, 0xff, 0x00], "k");
        c.load(std::path::Path::new("x.jsonl"), "{\"data_base64\":\"/wD+\"}");
        let Some(ComposeRequest::Send { entries, .. }) = ({
            c.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
            press(&mut c, KeyCode::Char('y'))
        }) else {
            panic!("no send")
        };
        assert_eq!(entries[0].1.data, [0x1f, 0x8b, 0xff, 0x00]);
        assert_eq!(entries[1].1.data, [0xff, 0x00, 0xfe]);
    }

    #[test]
    fn templates_add_records_and_failures_can_be_shown_alone() {
        let mut c = ComposeState::new("orders");
        press(&mut c, KeyCode::Char('T'));
        typed(&mut c, "n={{seq}}");
        press(&mut c, KeyCode::Enter);
        c.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        typed(&mut c, "3");
        press(&mut c, KeyCode::Enter);
        assert_eq!(c.entries.iter().map(|e| e.data.as_slice()).collect::<Vec<_>>(), [b"n=1", b"n=2", b"n=3"]);
        c.record_outcomes(vec![(1, Outcome::Failed { code: "X".into(), message: "y".into() })]);
        press(&mut c, KeyCode::Char('F'));
        assert_eq!(c.visible(), [1]);
    }
}
