//! The run loop: one task owns the state; input, reader batches and a slow tick are
//! multiplexed with `select!` (biased to input); frames are drawn only when something
//! changed — at once after a key, at most ~30 a second otherwise.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use crossterm::{execute, terminal};
use futures_util::{Stream, StreamExt};
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::Terminal;
use tokio::sync::mpsc;
use tokio::time::{interval, sleep_until, Instant, MissedTickBehavior};

use super::picker::{Picked, PickerState};
use super::state::{AppState, Effect, Event, TICKS_PER_SECOND};
use crate::aws::putter::{self, Outcome, PutApi, PutEntry, PutTarget};
use crate::aws::reader::{ReaderEvent, StreamReader};
use crate::record::{jsonl, Record};

/// Shortest time between two frames drawn for reader news (not for keys).
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// Reader events taken in one go before the loop looks at input again.
const READER_BATCH: usize = 256;

/// Where copied payloads go: OSC 52 on the real terminal, a buffer in tests.
pub trait Clipboard {
    fn copy(&mut self, data: &[u8]) -> io::Result<()>;
}

/// Copies through the terminal with OSC 52, which works over SSH and inside tmux
/// (with `set-clipboard on`).
pub struct Osc52;

impl Clipboard for Osc52 {
    fn copy(&mut self, data: &[u8]) -> io::Result<()> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(data);
        let mut out = io::stdout();
        write!(out, "\x1b]52;c;{encoded}\x07")?;
        out.flush()
    }
}

/// Turns terminal events into application events: key presses only (no repeats or
/// releases), mouse and resize.
pub fn terminal_events() -> impl Stream<Item = Event> + Unpin {
    EventStream::new().filter_map(|event| {
        let mapped = match event {
            Ok(TermEvent::Key(key)) if key.kind == KeyEventKind::Press => Some(Event::Key(key)),
            Ok(TermEvent::Mouse(mouse)) => Some(Event::Mouse(mouse)),
            Ok(TermEvent::Resize(width, height)) => Some(Event::Resize(width, height)),
            _ => None,
        };
        std::future::ready(mapped)
    })
}

/// Calls in flight at once for a compose send.
const COMPOSE_CONCURRENCY: usize = 4;
/// Entries per progress step of a compose send.
const COMPOSE_PROGRESS_STEP: usize = 2_000;

pub async fn run_loop<B: Backend, P: PutApi>(
    terminal: &mut Terminal<B>,
    state: &mut AppState,
    mut inputs: impl Stream<Item = Event> + Unpin,
    mut reader: Option<StreamReader>,
    clipboard: &mut dyn Clipboard,
    putter: Option<P>,
) -> io::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let mut tick = interval(Duration::from_secs(1) / TICKS_PER_SECOND as u32);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let (done_tx, mut done_rx) = mpsc::channel::<Event>(8);
    let mut batch: Vec<ReaderEvent> = Vec::with_capacity(READER_BATCH);
    let mut last_frame = Instant::now();
    let mut dirty = true;
    let mut draw_now = true;
    loop {
        if dirty && (draw_now || last_frame.elapsed() >= FRAME_INTERVAL) {
            terminal.draw(|frame| crate::ui::draw(frame, state)).map_err(io::Error::other)?;
            last_frame = Instant::now();
            dirty = false;
            draw_now = false;
        }
        let next_frame = last_frame + FRAME_INTERVAL;
        let event = tokio::select! {
            biased;
            input = inputs.next() => match input {
                Some(event) => {
                    draw_now = true;
                    event
                }
                None => return Ok(()),
            },
            Some(event) = done_rx.recv() => {
                draw_now = true;
                event
            }
            received = next_batch(&mut reader, &mut batch) => {
                if received == 0 {
                    // Every shard task has ended: nothing more will come.
                    reader = None;
                } else {
                    state.update_many(batch.drain(..));
                    dirty = true;
                }
                continue;
            }
            _ = tick.tick() => {
                dirty |= state.tick();
                continue;
            }
            _ = sleep_until(next_frame), if dirty => continue,
        };
        dirty = true;
        for effect in state.update(event) {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::Export { path, stream, records } => {
                    let done = done_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let result = export(&path, &stream, &records).map(|count| (path, count));
                        let _ = done.blocking_send(Event::Exported(result.map_err(|e| e.to_string())));
                    });
                }
                Effect::Copy(data) => {
                    let result = clipboard.copy(&data).map(|_| data.len()).map_err(|e| e.to_string());
                    state.update(Event::Copied(result));
                }
                Effect::Load(path) => {
                    let done = done_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string());
                        let _ = done.blocking_send(Event::Loaded(path, text));
                    });
                }
                Effect::Put { target, entries } => match &putter {
                    Some(api) => {
                        tokio::spawn(send_composed(api.clone(), target, entries, done_tx.clone()));
                    }
                    None => {
                        let refused = Outcome::Failed {
                            code: "ReadOnly".into(),
                            message: "writes are disabled".into(),
                        };
                        let outcomes = entries.into_iter().map(|(i, _)| (i, refused.clone())).collect();
                        state.update(Event::PutDone(outcomes));
                    }
                },
            }
        }
    }
}

/// Runs the stream picker until a stream is chosen or the user quits.
pub async fn run_picker<B: Backend>(
    terminal: &mut Terminal<B>,
    picker: &mut PickerState,
    mut inputs: impl Stream<Item = Event> + Unpin,
) -> io::Result<Picked>
where
    B::Error: Send + Sync + 'static,
{
    loop {
        terminal.draw(|frame| crate::ui::picker::draw(frame, picker)).map_err(io::Error::other)?;
        match inputs.next().await {
            Some(Event::Key(key)) => {
                if let Some(picked) = picker.on_key(key) {
                    return Ok(picked);
                }
            }
            Some(_) => {}
            None => return Ok(Picked::Quit),
        }
    }
}

/// Sends compose entries a step at a time, reporting progress, then every outcome.
async fn send_composed<P: PutApi>(
    api: P,
    target: PutTarget,
    entries: Vec<(usize, PutEntry)>,
    done: mpsc::Sender<Event>,
) {
    let (indices, puts): (Vec<usize>, Vec<PutEntry>) = entries.into_iter().unzip();
    let all: Vec<usize> = (0..puts.len()).collect();
    let mut outcomes = Vec::with_capacity(puts.len());
    for step in all.chunks(COMPOSE_PROGRESS_STEP) {
        let answered = putter::send(&api, &target, &puts, step, COMPOSE_CONCURRENCY).await;
        outcomes.extend(answered.into_iter().map(|(i, outcome)| (indices[i], outcome)));
        let _ = done.send(Event::PutProgress(outcomes.len(), puts.len())).await;
    }
    let _ = done.send(Event::PutDone(outcomes)).await;
}

async fn next_batch(reader: &mut Option<StreamReader>, batch: &mut Vec<ReaderEvent>) -> usize {
    match reader {
        Some(reader) => reader.next_batch(batch, READER_BATCH).await,
        None => std::future::pending().await,
    }
}

fn export(path: &PathBuf, stream: &str, records: &[Record]) -> io::Result<usize> {
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    let mut line = Vec::with_capacity(1024);
    for record in records {
        line.clear();
        jsonl::write_line(&mut line, stream, record);
        out.write_all(&line)?;
    }
    out.flush()?;
    Ok(records.len())
}

/// The real terminal, restored when dropped — on quit, on error and while unwinding.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<io::Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, terminal::EnterAlternateScreen, crossterm::event::EnableMouseCapture)
        {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
        let _ = self.terminal.show_cursor();
    }
}

/// Leaves raw mode and the alternate screen; safe to call more than once.
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(io::stdout(), crossterm::event::DisableMouseCapture, terminal::LeaveAlternateScreen);
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_writes_the_tail_jsonl_format() {
        let path = std::env::temp_dir().join(format!("kinspect-export-test-{}.jsonl", std::process::id()));
        let records: Vec<Record> = (0..3)
            .map(|n| {
                Record::new(
                    "shardId-000000000001".into(),
                    &(100 + n).to_string(),
                    "k",
                    format!("r{n}").as_bytes(),
                    None,
                )
            })
            .collect();
        assert_eq!(export(&path, "orders", &records).unwrap(), 3);
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["stream"], "orders");
        assert_eq!(lines[2]["sequence_number"], "102");
        assert_eq!(lines[2]["text"], "r2");
    }
}
