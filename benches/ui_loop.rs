//! The real run loop on a test terminal, fed through the real channels:
//! - idle: CPU used while nothing arrives;
//! - load: with 50,000 records a second arriving, how long a key press takes to reach the
//!   screen (`f` toggles PAUSED in the record pane's title).
//!
//! Run with `cargo bench --bench ui_loop`; prints its figures.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use kinspect::app::run::{run_loop, Clipboard};
use kinspect::app::state::Event;
use kinspect::aws::putter::AwsPutter;
use kinspect::aws::reader::{ReaderEvent, StreamReader};
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::Terminal;
use tokio::sync::mpsc;

const RECORDS_PER_SEC: u64 = 50_000;
const BATCH: u64 = 500;

/// A test terminal that notes, at each flush, when it happened and whether PAUSED shows.
struct Recording {
    inner: TestBackend,
    frames: Arc<Mutex<Vec<(Instant, bool)>>>,
}

impl Backend for Recording {
    type Error = std::convert::Infallible;

    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(&mut self, content: I) -> Result<(), Self::Error> {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let buffer = self.inner.buffer();
        // The record pane's title is on the second screen line.
        let title: String = (0..buffer.area.width).map(|x| buffer[(x, 1)].symbol()).collect();
        self.frames.lock().expect("frames").push((Instant::now(), title.contains("PAUSED")));
        self.inner.flush()
    }
}

struct NoClipboard;

impl Clipboard for NoClipboard {
    fn copy(&mut self, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn idle() {
    let frames = Arc::new(Mutex::new(Vec::new()));
    let backend = Recording { inner: TestBackend::new(200, 60), frames: Arc::clone(&frames) };
    let mut terminal = Terminal::new(backend).expect("terminal");
    let mut state = synthetic::filled(200, 60, 10_000);
    let (_reader_tx, reader_rx) = mpsc::channel::<ReaderEvent>(64);
    let (_input_tx, input_rx) = mpsc::unbounded_channel::<Event>();
    let inputs = Box::pin(stream::unfold(input_rx, |mut rx| async { rx.recv().await.map(|e| (e, rx)) }));
    let seconds = 10.0;
    let cpu = cpu_seconds();
    let _ = tokio::time::timeout(
        Duration::from_secs_f64(seconds),
        run_loop(
            &mut terminal,
            &mut state,
            inputs,
            Some(StreamReader::from_channel(reader_rx)),
            &mut NoClipboard,
            None::<AwsPutter>,
        ),
    )
    .await;
    let used = cpu_seconds() - cpu;
    let drawn = frames.lock().expect("frames").len();
    println!("idle: {:.2}% of a core over {seconds}s ({drawn} frames drawn)", used / seconds * 100.0);
}

async fn under_load() {
    let frames = Arc::new(Mutex::new(Vec::new()));
    let backend = Recording { inner: TestBackend::new(200, 60), frames: Arc::clone(&frames) };
    let mut terminal = Terminal::new(backend).expect("terminal");
    let mut state = synthetic::state(200, 60, 256 << 20);
    let (reader_tx, reader_rx) = mpsc::channel::<ReaderEvent>(64);
    let (input_tx, input_rx) = mpsc::unbounded_channel::<Event>();
    let inputs = Box::pin(stream::unfold(input_rx, |mut rx| async { rx.recv().await.map(|e| (e, rx)) }));
    let run_for = Duration::from_secs(10);

    let producer = tokio::spawn(async move {
        let started = Instant::now();
        let mut ticker = tokio::time::interval(Duration::from_millis(1000 * BATCH / RECORDS_PER_SEC));
        let mut n = 0;
        while started.elapsed() < run_for {
            ticker.tick().await;
            if reader_tx.send(synthetic::batch(n as usize / 1000, n, BATCH as usize)).await.is_err() {
                break;
            }
            n += BATCH;
        }
        n
    });
    let keys = tokio::spawn(async move {
        let mut sent = Vec::new();
        let mut paused = false;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        while started.elapsed() < run_for - Duration::from_millis(800) {
            paused = !paused;
            sent.push((Instant::now(), paused));
            let _ = input_tx.send(Event::Key(KeyEvent::new(KeyCode::Char('f'), KeyModifiers::NONE)));
            tokio::time::sleep(Duration::from_millis(37)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        sent
    });
    let mut clipboard = NoClipboard;
    let run = run_loop(
        &mut terminal,
        &mut state,
        inputs,
        Some(StreamReader::from_channel(reader_rx)),
        &mut clipboard,
        None::<AwsPutter>,
    );
    let (keys, _) = tokio::join!(keys, run);
    let sent = keys.expect("key task");
    let produced = producer.await.expect("producer");
    let frames = frames.lock().expect("frames").clone();
    let mut latencies: Vec<Duration> = sent
        .iter()
        .filter_map(|(at, paused)| frames.iter().find(|(t, p)| t > at && p == paused).map(|(t, _)| *t - *at))
        .collect();
    latencies.sort();
    println!(
        "load: {produced} records sent in {:.0}s ({} buffered, {} frames); {} key presses, on screen after \
         p50 {:.2?}, p99 {:.2?}, max {:.2?}; {} never shown",
        run_for.as_secs_f64(),
        state.store.len(),
        frames.len(),
        sent.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default(),
        sent.len() - latencies.len(),
    );
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--test`-like flags; only run when benching.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(idle());
    runtime.block_on(under_load());
}
