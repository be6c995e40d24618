//! One frame of a 200×60 terminal, with 1,000 and with 1,000,000 records buffered:
//! the cost must not grow with the buffer.

#[path = "support/synthetic.rs"]
mod synthetic;

use criterion::{criterion_group, criterion_main, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kinspect::app::state::Event;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_200x60");
    for records in [1_000u64, 1_000_000] {
        let mut state = synthetic::filled(200, 60, records);
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test terminal");
        // Paused and scrolled up from the newest record, with the detail pane open.
        for _ in 0..50 {
            state.update(Event::Key(KeyEvent::new(KeyCode::Char('k'), KeyModifiers::NONE)));
        }
        group.bench_function(format!("{records}_records"), |b| {
            b.iter(|| {
                terminal.draw(|frame| kinspect::ui::draw(frame, &state)).expect("draw");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
