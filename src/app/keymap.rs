//! Keys and the actions they trigger. The help overlay and the README's table are made
//! from this one list.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    NextPane,
    PreviousPane,
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Open,
    CycleDetail,
    ToggleFollow,
    Filter,
    NextMatch,
    PreviousMatch,
    Export,
    Copy,
    Compose,
    Resend,
    Back,
}

pub struct Binding {
    pub keys: &'static str,
    pub action: Action,
    pub description: &'static str,
}

/// Every key, in the order the help overlay lists them.
pub const BINDINGS: &[Binding] = &[
    Binding { keys: "q", action: Action::Quit, description: "quit" },
    Binding { keys: "?", action: Action::Help, description: "show or hide this help" },
    Binding { keys: "Tab / Shift-Tab", action: Action::NextPane, description: "next / previous pane" },
    Binding { keys: "j k / ↓ ↑", action: Action::Down, description: "move down / up" },
    Binding { keys: "PgDn / PgUp", action: Action::PageDown, description: "move a page down / up" },
    Binding { keys: "g / G", action: Action::Top, description: "top / bottom (G also resumes follow)" },
    Binding {
        keys: "Enter",
        action: Action::Open,
        description: "open the record (or shard) under the cursor",
    },
    Binding { keys: "x", action: Action::CycleDetail, description: "detail view: text → JSON → hex" },
    Binding { keys: "f", action: Action::ToggleFollow, description: "follow the newest records on / off" },
    Binding { keys: "/", action: Action::Filter, description: "filter by payload or partition key (regex)" },
    Binding { keys: "n / N", action: Action::NextMatch, description: "next / previous match" },
    Binding { keys: "e", action: Action::Export, description: "export the records in view to JSONL" },
    Binding { keys: "y", action: Action::Copy, description: "copy the record's payload (OSC 52)" },
    Binding { keys: "c", action: Action::Compose, description: "compose records to send (Esc hides it)" },
    Binding { keys: "R", action: Action::Resend, description: "copy the record into compose to send again" },
    Binding {
        keys: "Esc",
        action: Action::Back,
        description: "close help, clear the filter, leave the detail",
    },
];

/// The action for a key press outside text input.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    let shift = key.modifiers.contains(KeyModifiers::SHIFT);
    let action = match key.code {
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Action::Quit,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Tab if shift => Action::PreviousPane,
        KeyCode::Tab => Action::NextPane,
        KeyCode::BackTab => Action::PreviousPane,
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::Enter => Action::Open,
        KeyCode::Char('x') => Action::CycleDetail,
        KeyCode::Char('f') => Action::ToggleFollow,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char('n') => Action::NextMatch,
        KeyCode::Char('N') => Action::PreviousMatch,
        KeyCode::Char('e') => Action::Export,
        KeyCode::Char('y') => Action::Copy,
        KeyCode::Char('c') => Action::Compose,
        KeyCode::Char('R') => Action::Resend,
        KeyCode::Esc => Action::Back,
        _ => return None,
    };
    Some(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_key_does_what_the_help_says() {
        let press = |code| action_for(KeyEvent::new(code, KeyModifiers::NONE));
        for binding in BINDINGS {
            let first_key = binding.keys.split(' ').next().unwrap();
            let code = match first_key {
                "Tab" => KeyCode::Tab,
                "Enter" => KeyCode::Enter,
                "Esc" => KeyCode::Esc,
                "PgDn" => KeyCode::PageDown,
                key => KeyCode::Char(key.chars().next().unwrap()),
            };
            assert_eq!(press(code), Some(binding.action), "{}", binding.keys);
        }
        assert_eq!(press(KeyCode::Char('N')), Some(Action::PreviousMatch));
        assert_eq!(press(KeyCode::BackTab), Some(Action::PreviousPane));
        assert_eq!(press(KeyCode::Char('z')), None);
    }
}

#[cfg(test)]
mod readme {
    use super::BINDINGS;

    /// The README's keys table is the keymap, row for row.
    #[test]
    fn the_readme_lists_every_key() {
        let readme = include_str!("../../README.md");
        let table: Vec<(String, String)> = readme
            .lines()
            .skip_while(|l| !l.starts_with("#### Keys"))
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                match cells.as_slice() {
                    ["", key, action, ""] if key.starts_with('`') => {
                        Some((key.trim_matches('`').to_string(), action.to_string()))
                    }
                    _ => None,
                }
            })
            .collect();
        let expected: Vec<(String, String)> =
            BINDINGS.iter().map(|b| (b.keys.to_string(), b.description.to_string())).collect();
        assert_eq!(table, expected, "update the README's keys table");
    }
}
