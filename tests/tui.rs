//! The TUI as a user sees it: reducer behaviour (follow, pause, filter, shard selection,
//! eviction, export, copy) and insta snapshots of whole screens rendered on a TestBackend.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kinspect::app::state::{AppState, ConsumerOnExit, Effect, Event, Pane, StreamInfo};
use kinspect::aws::consumer::Consumer;
use kinspect::aws::error::ApiError;
use kinspect::aws::reader::events::ShardStats;
use kinspect::aws::reader::ReaderEvent;
use kinspect::aws::shards::ShardInfo;
use kinspect::record::Record;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;

const BASE_MILLIS: i64 = 1_767_355_200_000; // 2026-01-02T12:00:00Z

fn shard_info(n: usize, parent: Option<usize>, open: bool) -> ShardInfo {
    ShardInfo {
        shard_id: format!("shardId-{n:012}"),
        parent: parent.map(|p| format!("shardId-{p:012}")),
        adjacent_parent: None,
        starting_hash_key: "0".into(),
        ending_hash_key: "1".into(),
        starting_sequence_number: "1".into(),
        ending_sequence_number: (!open).then(|| "9".into()),
    }
}

fn state_with(width: u16, height: u16, budget: usize) -> AppState {
    let stream = StreamInfo {
        name: "orders".into(),
        target: "http://127.0.0.1:4568, region us-east-1".into(),
        mode: "polling".into(),
        from: "trim-horizon".into(),
        consumer: None,
    };
    let shards = [
        shard_info(0, None, false),
        shard_info(1, None, true),
        shard_info(2, Some(0), true),
        shard_info(3, Some(0), true),
    ];
    AppState::new(stream, &shards, budget, Rect::new(0, 0, width, height))
}

/// A deterministic record: JSON most of the time, text or binary otherwise.
fn record(shard: usize, n: usize) -> Record {
    let data: Vec<u8> = match n % 5 {
        3 => format!("INFO request {n} served in {}ms", n * 7 % 900).into_bytes(),
        4 => vec![0x1f, 0x8b, 0x08, 0x00, n as u8, 0xff, 0x00, 0x10],
        _ => format!(
            r#"{{"seq":{n},"event":"{}","user":"user-{}","amount":{}.5}}"#,
            ["click", "purchase", "view"][n % 3],
            n % 7,
            n % 50
        )
        .into_bytes(),
    };
    let arrival = chrono::DateTime::from_timestamp_millis(BASE_MILLIS + n as i64 * 10);
    let sequence = format!("4968044903413448832736093331763{:025}", n * 4 + shard);
    Record::new(
        Arc::from(format!("shardId-{shard:012}")),
        &sequence,
        &format!("user-{}", n % 7),
        &data,
        arrival,
    )
}

fn batch(shard: usize, range: std::ops::Range<usize>, lag: i64) -> ReaderEvent {
    let records: Vec<Record> = range.clone().map(|n| record(shard, n)).collect();
    let stats = ShardStats {
        records: range.end as u64,
        bytes: records.iter().map(|r| r.data().len() as u64).sum(),
        calls: 3,
        throttles: 0,
        millis_behind_latest: Some(lag),
        records_per_sec: 12.0,
        bytes_per_sec: 1500.0,
    };
    ReaderEvent::Records { shard_id: Arc::from(format!("shardId-{shard:012}")), records, stats }
}

fn key(state: &mut AppState, code: KeyCode) -> Vec<Effect> {
    state.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(state: &mut AppState, text: &str) {
    for c in text.chars() {
        key(state, KeyCode::Char(c));
    }
}

/// Forty records over shards 1, 2 and 3 in arrival order.
fn loaded(width: u16, height: u16) -> AppState {
    let mut state = state_with(width, height, 64 << 20);
    for shard in 1..=3 {
        state.update(Event::Reader(ReaderEvent::Started {
            shard_id: Arc::from(format!("shardId-{shard:012}")),
            from: "trim-horizon".into(),
        }));
    }
    let mut events = Vec::new();
    for n in 0..40 {
        let shard = 1 + n % 3;
        events.push(batch(shard, n..n + 1, if shard == 3 { 45_000 } else { 0 }));
    }
    state.update_many(events);
    for _ in 0..4 {
        state.update(Event::Tick);
    }
    state
}

fn selected_data(state: &AppState) -> String {
    state.selected_record().map(|(_, r)| String::from_utf8_lossy(r.data()).into_owned()).unwrap_or_default()
}

/// The number `n` the selected record was made from (see `record`).
fn selected_n(state: &AppState) -> usize {
    let (_, record) = state.selected_record().expect("a record is selected");
    let sequence = record.sequence_number();
    sequence[sequence.len() - 25..].parse::<usize>().unwrap() / 4
}

fn screen(state: &AppState) -> String {
    let mut terminal = Terminal::new(TestBackend::new(state.size.width, state.size.height)).unwrap();
    terminal.draw(|frame| kinspect::ui::draw(frame, state)).unwrap();
    terminal.backend().to_string()
}

macro_rules! assert_screen {
    ($name:expr, $state:expr) => {
        insta::with_settings!({ filters => vec![(r"local \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[ +\-:\d]*", "local [time] ")] }, {
            insta::assert_snapshot!($name, screen(&$state));
        });
    };
}

// ---- reducer ----

#[test]
fn following_keeps_the_newest_record_selected() {
    let mut state = loaded(160, 48);
    assert!(state.view.is_following());
    assert_eq!(selected_n(&state), 39);
    state.update_many([batch(1, 40..41, 0)]);
    assert_eq!(selected_n(&state), 40);
}

#[test]
fn scrolling_up_pauses_and_counts_what_arrives_meanwhile() {
    let mut state = loaded(160, 48);
    key(&mut state, KeyCode::Char('k'));
    assert!(!state.view.is_following());
    assert_eq!(selected_n(&state), 38);
    state.update_many([batch(1, 40..43, 0)]);
    assert_eq!(selected_n(&state), 38, "the cursor stays on its record");
    assert_eq!(state.view.unseen(), 3);
    key(&mut state, KeyCode::Char('f'));
    assert!(state.view.is_following());
    assert_eq!(state.view.unseen(), 0);
    assert_eq!(selected_n(&state), 42);
    key(&mut state, KeyCode::Char('g'));
    assert!(!state.view.is_following());
    key(&mut state, KeyCode::Char('G'));
    assert!(state.view.is_following(), "G resumes following");
}

#[test]
fn the_filter_matches_payloads_and_keys_with_regexes() {
    let mut state = loaded(160, 48);
    key(&mut state, KeyCode::Char('/'));
    typed(&mut state, "purchase|request 1[0-9] ");
    assert_eq!(state.view.len(&state.store), 40, "nothing changes while typing");
    key(&mut state, KeyCode::Enter);
    let matching =
        (0..40).filter(|n| (n % 5 < 3 && n % 3 == 1) || (n % 5 == 3 && (10..20).contains(n))).count();
    assert_eq!(state.view.len(&state.store), matching);
    // New records are filtered as they arrive.
    state.update_many([batch(1, 40..46, 0)]);
    let more = (40..46).filter(|n| n % 5 < 3 && n % 3 == 1).count();
    assert_eq!(state.view.len(&state.store), matching + more);
    key(&mut state, KeyCode::Char('/'));
    state.update(Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
    typed(&mut state, "user-3");
    key(&mut state, KeyCode::Enter);
    assert_eq!(
        state.view.len(&state.store),
        (0..46).filter(|n| n % 7 == 3).count(),
        "partition keys match too"
    );
    key(&mut state, KeyCode::Esc);
    assert_eq!(state.view.len(&state.store), 46, "Esc clears the filter");
}

#[test]
fn an_invalid_regex_is_searched_literally() {
    let mut state = loaded(160, 48);
    state.update_many([ReaderEvent::Records {
        shard_id: Arc::from("shardId-000000000001"),
        records: vec![Record::new(Arc::from("shardId-000000000001"), "9", "k", b"price (usd", None)],
        stats: ShardStats::default(),
    }]);
    key(&mut state, KeyCode::Char('/'));
    typed(&mut state, "(usd");
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.view.len(&state.store), 1);
}

#[test]
fn selecting_a_shard_shows_only_its_records() {
    let mut state = loaded(160, 48);
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::Shards);
    // Rows: all shards, 0000, └0002, └0003, 0001
    key(&mut state, KeyCode::Char('j'));
    key(&mut state, KeyCode::Char('j'));
    assert_eq!(state.view.len(&state.store), (0..40).filter(|n| 1 + n % 3 == 2).count());
    assert!(state.selected_record().is_some_and(|(_, r)| &**r.shard_id() == "shardId-000000000002"));
    key(&mut state, KeyCode::Char('g'));
    assert_eq!(state.view.len(&state.store), 40, "all shards again");
}

#[test]
fn eviction_keeps_memory_within_the_budget_and_the_cursor_valid() {
    let budget = 16 * 1024;
    let mut state = state_with(160, 48, budget);
    key(&mut state, KeyCode::Char('k'));
    for n in 0..400 {
        state.update_many([batch(1, n..n + 1, 0)]);
        assert!(state.store.memory_used() <= budget);
        assert!(state.selected_record().is_some());
    }
    assert!(state.store.evicted() > 0);
    assert!(screen(&state).contains("oldest evicted"));
}

#[test]
fn records_from_different_shards_merge_by_arrival_time() {
    let mut state = state_with(160, 48, 64 << 20);
    state.update_many([batch(1, 0..10, 0)]);
    // Shard 2 was polled later but its records arrived in between.
    let late: Vec<Record> = (0..10).map(|n| record(2, n)).collect();
    state.update_many([ReaderEvent::Records {
        shard_id: Arc::from("shardId-000000000002"),
        records: late,
        stats: ShardStats::default(),
    }]);
    let arrivals: Vec<i64> = state.store.iter_from(0).map(|(_, r)| r.arrival_millis().unwrap()).collect();
    assert!(arrivals.windows(2).all(|w| w[0] <= w[1]), "{arrivals:?}");
}

#[test]
fn detail_cycles_views_and_export_and_copy_are_effects() {
    let mut state = loaded(160, 48);
    while !selected_data(&state).starts_with('{') {
        key(&mut state, KeyCode::Char('k'));
    }
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.focus, Pane::Detail);
    key(&mut state, KeyCode::Char('x'));
    assert_eq!(state.detail.view.as_ref().unwrap().1.mode(), kinspect::record::decode::DetailMode::Json);
    key(&mut state, KeyCode::Char('x'));
    assert_eq!(state.detail.view.as_ref().unwrap().1.mode(), kinspect::record::decode::DetailMode::Hex);

    let payload = state.selected_record().unwrap().1.data().to_vec();
    assert_eq!(key(&mut state, KeyCode::Char('y')), vec![Effect::Copy(payload)]);
    match key(&mut state, KeyCode::Char('e')).as_slice() {
        [Effect::Export { path, stream, records }] => {
            assert_eq!(records.len(), 40);
            assert_eq!(stream, "orders");
            assert!(path.to_string_lossy().starts_with("kinspect-orders-"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(key(&mut state, KeyCode::Char('q')), vec![Effect::Quit]);
}

// ---- screens ----

#[test]
fn screen_following() {
    assert_screen!("following", loaded(160, 40));
}

#[test]
fn screen_paused_with_detail_as_json() {
    let mut state = loaded(160, 40);
    for _ in 0..7 {
        key(&mut state, KeyCode::Char('k'));
    }
    state.update_many([batch(1, 40..44, 0)]);
    key(&mut state, KeyCode::Char('x'));
    assert_screen!("paused_json", state);
}

#[test]
fn screen_filtered_with_hex_detail() {
    let mut state = loaded(160, 40);
    key(&mut state, KeyCode::Char('/'));
    typed(&mut state, "request");
    key(&mut state, KeyCode::Enter);
    key(&mut state, KeyCode::Char('x'));
    key(&mut state, KeyCode::Char('x'));
    assert_screen!("filtered_hex", state);
}

#[test]
fn screen_with_errors() {
    let mut state = loaded(160, 40);
    state.update(Event::Reader(ReaderEvent::Error {
        shard_id: Arc::from("shardId-000000000002"),
        error: ApiError::AccessDenied("AccessDeniedException: not allowed".into()),
        retry_in: None,
    }));
    state.update(Event::Reader(ReaderEvent::Throttled {
        shard_id: Arc::from("shardId-000000000003"),
        retry_in: Duration::from_secs(1),
        stats: ShardStats { throttles: 7, millis_behind_latest: Some(95_000), ..ShardStats::default() },
    }));
    assert_screen!("errors", state);
}

#[test]
fn screen_narrow() {
    assert_screen!("narrow", loaded(72, 30));
}

#[test]
fn screen_help() {
    let mut state = loaded(160, 40);
    key(&mut state, KeyCode::Char('?'));
    assert_screen!("help", state);
    key(&mut state, KeyCode::Char('j'));
    assert!(!state.help_open, "any key closes the help");
}

#[test]
fn n_and_n_jump_between_matching_lines_in_the_detail() {
    let mut state = state_with(160, 48, 64 << 20);
    let text = "header\nneedle one\nfiller\nfiller\nneedle two\nend";
    let record = Record::new(Arc::from("shardId-000000000001"), "5", "k", text.as_bytes(), None);
    state.update_many([ReaderEvent::Records {
        shard_id: Arc::from("shardId-000000000001"),
        records: vec![record, self::record(1, 1)],
        stats: ShardStats::default(),
    }]);
    key(&mut state, KeyCode::Char('/'));
    typed(&mut state, "needle");
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.view.len(&state.store), 1);
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.focus, Pane::Detail);
    key(&mut state, KeyCode::Char('n'));
    assert_eq!(state.detail.scroll, 1);
    key(&mut state, KeyCode::Char('n'));
    assert_eq!(state.detail.scroll, 4);
    key(&mut state, KeyCode::Char('n'));
    assert_eq!(state.detail.scroll, 4, "no further match");
    key(&mut state, KeyCode::Char('N'));
    assert_eq!(state.detail.scroll, 1);
}

// ---- compose ----

#[test]
fn r_copies_the_record_into_compose_and_read_only_refuses() {
    let mut state = loaded(160, 40);
    key(&mut state, KeyCode::Char('R'));
    assert_eq!(state.focus, Pane::Compose);
    let compose = state.compose.as_ref().unwrap();
    assert_eq!(compose.entries.len(), 1);
    assert_eq!(compose.entries[0].partition_key, "user-4");
    key(&mut state, KeyCode::Esc);
    assert_eq!(state.focus, Pane::Records);
    key(&mut state, KeyCode::Char('c'));
    assert_eq!(state.compose.as_ref().unwrap().entries.len(), 1, "entries survive hiding the pane");

    let mut read_only = loaded(160, 40);
    read_only.read_only = true;
    key(&mut read_only, KeyCode::Char('c'));
    key(&mut read_only, KeyCode::Char('R'));
    assert_eq!(read_only.focus, Pane::Records);
    assert!(read_only.compose.is_none());
    assert!(read_only.status.as_ref().unwrap().text.contains("--read-only"));
}

#[test]
fn screen_compose_with_mixed_results() {
    use kinspect::aws::putter::Outcome;
    let mut state = loaded(160, 40);
    key(&mut state, KeyCode::Char('c'));
    for (data, k) in [("{\"id\":1}", "a"), ("{\"id\":2}", "b"), ("{\"id\":3}", "c"), ("", "d")] {
        key(&mut state, KeyCode::Char('a'));
        typed(&mut state, data);
        key(&mut state, KeyCode::Enter);
        key(&mut state, KeyCode::Char('p'));
        state.update(Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        typed(&mut state, k);
        key(&mut state, KeyCode::Enter);
    }
    state.update(Event::PutDone(vec![
        (
            0,
            Outcome::Accepted {
                shard_id: Some("shardId-000000000001".into()),
                sequence_number: Some("49680449034134488327360933317630574233816796138836066306".into()),
                record_id: None,
            },
        ),
        (
            1,
            Outcome::Failed {
                code: "ProvisionedThroughputExceededException".into(),
                message: "Rate exceeded for shard".into(),
            },
        ),
        (
            2,
            Outcome::Accepted {
                shard_id: Some("shardId-000000000002".into()),
                sequence_number: Some("49680449034134488327360933317630574233816796138836066307".into()),
                record_id: None,
            },
        ),
    ]));
    for _ in 0..2 {
        key(&mut state, KeyCode::Char('k'));
    }
    assert_screen!("compose", state);
    key(&mut state, KeyCode::Char('F'));
    assert_eq!(state.compose.as_ref().unwrap().visible(), [1]);
}

/// Forty records read with enhanced fan-out as consumer "ops-viewer": shard 1 renewed twice,
/// its current subscription 75 seconds old; shard 2 subscribed 5 seconds ago.
fn fanned_out() -> AppState {
    let mut state = loaded(140, 30);
    state.stream.mode = "fan-out".into();
    state.stream.consumer = Some(Consumer {
        name: "ops-viewer".into(),
        arn: "arn:aws:kinesis:us-east-1:123456789012:stream/orders/consumer/ops-viewer:1767355200".into(),
        registered_now: false,
    });
    let subscribed = |shard: usize, renewals: u64| {
        Event::Reader(ReaderEvent::Subscribed {
            shard_id: Arc::from(format!("shardId-{shard:012}")),
            renewals,
        })
    };
    state.update(subscribed(1, 2));
    for _ in 0..(70 * 4) {
        state.update(Event::Tick);
    }
    state.update(subscribed(2, 0));
    for _ in 0..(5 * 4) {
        state.update(Event::Tick);
    }
    state
}

#[test]
fn fan_out_shows_the_consumer_and_each_subscription() {
    let state = fanned_out();
    let row = |id: &str| state.shards.rows().iter().find(|r| &*r.id == id).unwrap().clone();
    assert_eq!(
        (row("shardId-000000000001").subscription_age, row("shardId-000000000001").renewals),
        (Some(75), 2)
    );
    assert_eq!(
        (row("shardId-000000000002").subscription_age, row("shardId-000000000002").renewals),
        (Some(5), 0)
    );
    assert_eq!(row("shardId-000000000003").subscription_age, None);
    assert_screen!("fan_out", state);
}

#[test]
fn quitting_a_fan_out_session_asks_about_the_consumer() {
    let mut state = fanned_out();
    assert!(key(&mut state, KeyCode::Char('q')).is_empty(), "asks first");
    assert!(state.exit_question);
    assert_screen!("fan_out_exit_question", state);
    assert!(key(&mut state, KeyCode::Esc).is_empty());
    assert!(!state.exit_question, "Esc stays");
    assert!(key(&mut state, KeyCode::Char('j')).is_empty(), "keys work again");

    key(&mut state, KeyCode::Char('q'));
    assert!(key(&mut state, KeyCode::Char('x')).is_empty(), "other keys wait for an answer");
    assert_eq!(key(&mut state, KeyCode::Char('n')), [Effect::Quit]);
    assert_eq!(state.consumer_on_exit, ConsumerOnExit::Keep);

    let mut state = fanned_out();
    key(&mut state, KeyCode::Char('q'));
    assert_eq!(key(&mut state, KeyCode::Char('y')), [Effect::Quit]);
    assert_eq!(state.consumer_on_exit, ConsumerOnExit::Deregister);

    // --efo-cleanup (Deregister) or --read-only (Keep) answered already; Ctrl-C never asks;
    // polling never asks.
    for decided in [ConsumerOnExit::Deregister, ConsumerOnExit::Keep] {
        let mut state = fanned_out();
        state.consumer_on_exit = decided;
        assert_eq!(key(&mut state, KeyCode::Char('q')), [Effect::Quit]);
        assert_eq!(state.consumer_on_exit, decided);
    }
    let mut state = fanned_out();
    let ctrl_c = state.update(Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert_eq!(ctrl_c, [Effect::Quit]);
    assert_eq!(state.consumer_on_exit, ConsumerOnExit::Ask);
    let mut polling = loaded(140, 30);
    assert_eq!(key(&mut polling, KeyCode::Char('q')), [Effect::Quit]);
}
