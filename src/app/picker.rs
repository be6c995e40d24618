//! The stream picker shown when no stream is named: data streams and delivery streams,
//! filterable, and a small dialog for where to start reading.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;

use super::text_input::edit;

use crate::aws::catalog::{DataStreamSummary, DeliveryStreamSummary};
use crate::aws::position::{parse_at, StartPosition};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    DataStream(DataStreamSummary),
    DeliveryStream(DeliveryStreamSummary),
}

impl Entry {
    pub fn name(&self) -> &str {
        match self {
            Entry::DataStream(s) => &s.name,
            Entry::DeliveryStream(s) => &s.name,
        }
    }
}

/// The choices of the start dialog, in order.
pub const START_CHOICES: [(&str, &str); 3] = [
    ("latest", "only records put from now on"),
    ("trim-horizon", "everything the stream still holds"),
    ("at-timestamp", "from a time: -15m, -2h, -1d or RFC 3339"),
];

#[derive(Debug)]
pub struct StartDialog {
    pub stream: String,
    pub choice: usize,
    pub time: Input,
    pub error: Option<String>,
}

/// What the picker ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    Open { stream: String, from: StartPosition },
    Quit,
}

pub struct PickerState {
    pub entries: Vec<Entry>,
    pub cursor: usize,
    pub filter: Input,
    pub filtering: bool,
    pub dialog: Option<StartDialog>,
    pub message: Option<String>,
    /// Where the listing came from, for the title.
    pub target: String,
    /// Set when the user gave --from: no dialog then.
    preset_from: Option<StartPosition>,
}

impl PickerState {
    pub fn new(entries: Vec<Entry>, target: String, preset_from: Option<StartPosition>) -> Self {
        let message = entries.is_empty().then(|| "no data streams or delivery streams here".to_string());
        PickerState {
            entries,
            cursor: 0,
            filter: Input::default(),
            filtering: false,
            dialog: None,
            message,
            target,
            preset_from,
        }
    }

    /// Entries whose name contains the filter text (case-insensitive), in listing order.
    pub fn visible(&self) -> Vec<&Entry> {
        let needle = self.filter.value().to_lowercase();
        self.entries.iter().filter(|e| e.name().to_lowercase().contains(&needle)).collect()
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Option<Picked> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Some(Picked::Quit);
        }
        if self.dialog.is_some() {
            return self.on_dialog_key(key);
        }
        if self.filtering {
            match key.code {
                KeyCode::Enter | KeyCode::Down => self.filtering = false,
                KeyCode::Esc => {
                    self.filtering = false;
                    self.filter = Input::default();
                }
                _ => edit(&mut self.filter, key),
            }
            self.cursor = self.cursor.min(self.visible().len().saturating_sub(1));
            return None;
        }
        let count = self.visible().len();
        match key.code {
            KeyCode::Char('q') => return Some(Picked::Quit),
            KeyCode::Char('/') => self.filtering = true,
            KeyCode::Esc => self.filter = Input::default(),
            KeyCode::Char('j') | KeyCode::Down => {
                self.cursor = (self.cursor + 1).min(count.saturating_sub(1))
            }
            KeyCode::Char('k') | KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Char('g') | KeyCode::Home => self.cursor = 0,
            KeyCode::Char('G') | KeyCode::End => self.cursor = count.saturating_sub(1),
            KeyCode::Enter => return self.open(),
            _ => {}
        }
        None
    }

    fn open(&mut self) -> Option<Picked> {
        let entry = self.visible().get(self.cursor).map(|e| (*e).clone())?;
        match entry {
            Entry::DeliveryStream(s) => {
                self.message = Some(format!(
                    "'{}' is a Firehose delivery stream: it can be written to, not read back",
                    s.name
                ));
                None
            }
            Entry::DataStream(s) => match &self.preset_from {
                Some(from) => Some(Picked::Open { stream: s.name, from: from.clone() }),
                None => {
                    self.dialog = Some(StartDialog {
                        stream: s.name,
                        choice: 0,
                        time: Input::new("-15m".into()),
                        error: None,
                    });
                    None
                }
            },
        }
    }

    fn on_dialog_key(&mut self, key: KeyEvent) -> Option<Picked> {
        let dialog = self.dialog.as_mut()?;
        match key.code {
            KeyCode::Esc => self.dialog = None,
            KeyCode::Down | KeyCode::Tab => dialog.choice = (dialog.choice + 1) % START_CHOICES.len(),
            KeyCode::Up | KeyCode::BackTab => {
                dialog.choice = (dialog.choice + START_CHOICES.len() - 1) % START_CHOICES.len()
            }
            KeyCode::Char('j') if dialog.choice != 2 => dialog.choice += 1,
            KeyCode::Char('k') if dialog.choice != 0 && dialog.choice != 2 => dialog.choice -= 1,
            KeyCode::Enter => {
                let from = match dialog.choice {
                    0 => StartPosition::Latest,
                    1 => StartPosition::TrimHorizon,
                    _ => match parse_at(&format!("at-timestamp:{}", dialog.time.value()), chrono::Utc::now())
                    {
                        Ok(from) => from,
                        Err(e) => {
                            dialog.error = Some(e);
                            return None;
                        }
                    },
                };
                return Some(Picked::Open { stream: dialog.stream.clone(), from });
            }
            _ if dialog.choice == 2 => {
                edit(&mut dialog.time, key);
                dialog.error = None;
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::catalog::DataStreamDetails;

    fn press(picker: &mut PickerState, code: KeyCode) -> Option<Picked> {
        picker.on_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn picker(preset: Option<StartPosition>) -> PickerState {
        let stream = |name: &str| {
            Entry::DataStream(DataStreamSummary {
                name: name.into(),
                details: Some(DataStreamDetails {
                    status: "ACTIVE".into(),
                    mode: "PROVISIONED".into(),
                    open_shards: 2,
                    retention_hours: 24,
                }),
            })
        };
        let entries = vec![
            stream("clicks"),
            stream("orders"),
            Entry::DeliveryStream(DeliveryStreamSummary { name: "orders-to-s3".into(), details: None }),
        ];
        PickerState::new(entries, "region us-east-1".into(), preset)
    }

    #[test]
    fn filter_then_open_with_a_start_position() {
        let mut p = picker(None);
        press(&mut p, KeyCode::Char('/'));
        for c in "ORD".chars() {
            press(&mut p, KeyCode::Char(c));
        }
        press(&mut p, KeyCode::Enter);
        assert_eq!(p.visible().iter().map(|e| e.name()).collect::<Vec<_>>(), ["orders", "orders-to-s3"]);
        assert_eq!(press(&mut p, KeyCode::Enter), None, "the start dialog opens first");
        press(&mut p, KeyCode::Down);
        assert_eq!(
            press(&mut p, KeyCode::Enter),
            Some(Picked::Open { stream: "orders".into(), from: StartPosition::TrimHorizon })
        );
    }

    #[test]
    fn at_timestamp_takes_a_relative_time_and_reports_a_bad_one() {
        let mut p = picker(None);
        press(&mut p, KeyCode::Enter);
        press(&mut p, KeyCode::Up);
        assert_eq!(p.dialog.as_ref().unwrap().choice, 2);
        press(&mut p, KeyCode::Backspace);
        press(&mut p, KeyCode::Char('x'));
        assert_eq!(press(&mut p, KeyCode::Enter), None);
        assert!(p.dialog.as_ref().unwrap().error.is_some());
        press(&mut p, KeyCode::Backspace);
        press(&mut p, KeyCode::Char('h'));
        match press(&mut p, KeyCode::Enter) {
            Some(Picked::Open { stream, from: StartPosition::AtTimestamp(t) }) => {
                assert_eq!(stream, "clicks");
                let ago = chrono::Utc::now() - t;
                assert!((ago.num_minutes() - 15 * 60).abs() <= 1, "{ago}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn delivery_streams_say_why_they_cannot_be_read_and_preset_from_skips_the_dialog() {
        let mut p = picker(Some(StartPosition::Latest));
        press(&mut p, KeyCode::Char('G'));
        assert_eq!(press(&mut p, KeyCode::Enter), None);
        assert!(p.message.as_deref().unwrap().contains("Firehose delivery stream"));
        press(&mut p, KeyCode::Char('k'));
        assert_eq!(
            press(&mut p, KeyCode::Enter),
            Some(Picked::Open { stream: "orders".into(), from: StartPosition::Latest })
        );
        assert_eq!(press(&mut p, KeyCode::Char('q')), Some(Picked::Quit));
    }
}
