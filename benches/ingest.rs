//! Taking records in: reader batches through the reducer (store, view, shard figures),
//! with and without a filter; and what a buffered record really costs in memory.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, Criterion, Throughput};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kinspect::app::state::Event;
use kinspect::record::store::RecordStore;

/// Counts live heap bytes, to measure the store's real footprint.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(1000));
    for filtered in [false, true] {
        let mut state = synthetic::state(200, 60, 64 << 20);
        if filtered {
            state.update(Event::Key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE)));
            for c in "user-4[0-9]".chars() {
                state.update(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
            }
            state.update(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        }
        let mut n = 0u64;
        let name = if filtered { "1000_records_filtered" } else { "1000_records" };
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    n += 1000;
                    synthetic::batch(n as usize / 1000, n, 1000)
                },
                |batch| state.update_many([batch]),
                criterion::BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// Heap held per buffered record beyond its bytes, measured with the counting allocator.
fn memory_footprint() {
    const RECORDS: u64 = 200_000;
    let shard = synthetic::shard_id(0);
    let (mut data, mut wire) = (0usize, 0usize);
    let base = LIVE.load(Ordering::Relaxed);
    let mut store = RecordStore::new(usize::MAX);
    for n in 0..RECORDS {
        let record = synthetic::record(&shard, n);
        data += record.data().len();
        wire += record.data().len() + record.partition_key().len() + record.sequence_number().len();
        store.push(record);
    }
    let heap = LIVE.load(Ordering::Relaxed) - base;
    println!(
        "memory: {RECORDS} records of {:.0} B payload ({:.0} B with key and sequence number): store heap {heap} B, \
         {:.1}% over payload+key+sequence, {:.1}% over payload alone; the store's own accounting: {} B",
        data as f64 / RECORDS as f64,
        wire as f64 / RECORDS as f64,
        (heap as f64 / wire as f64 - 1.0) * 100.0,
        (heap as f64 / data as f64 - 1.0) * 100.0,
        store.memory_used()
    );
}

criterion_group!(benches, ingest);

fn main() {
    memory_footprint();
    benches();
    criterion::Criterion::default().configure_from_args().final_summary();
}
