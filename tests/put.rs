//! `kinspect put` against the emulators: complete and ordered delivery, per-entry failures
//! reported by index, and retries that resend only what failed.

mod support;

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::fault_proxy::{Fault, FaultProxy};
use support::*;
use tokio::io::AsyncWriteExt;

const LIMIT: Duration = Duration::from_secs(120);

/// Runs `kinspect --endpoint-url ENDPOINT put ARGS` with `input` on stdin.
async fn put_cmd(endpoint: &str, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut command = kinspect();
    command.args(["--endpoint-url", endpoint, "put"]).args(args);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("start put");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).await.expect("write input");
    drop(stdin);
    finish(child, LIMIT).await
}

/// The objects Firehose delivered, each as the list of `{"n":…}` numbers it holds.
fn delivered(moto: &emulators::Emulator, bucket: &str) -> Vec<Vec<u64>> {
    let (_, listing) = emulators::http("GET", &moto.endpoint, &format!("/{bucket}?list-type=2"));
    let listing = String::from_utf8(listing).expect("XML");
    let keys: Vec<&str> = listing.split("<Key>").skip(1).filter_map(|s| s.split("</Key>").next()).collect();
    keys.iter()
        .map(|key| {
            let (_, body) = emulators::http("GET", &moto.endpoint, &format!("/{bucket}/{key}"));
            let text = String::from_utf8(body).expect("text object");
            text.split("}{")
                .map(|part| {
                    part.trim_matches(|c| c == '{' || c == '}')
                        .trim_start_matches("\"n\":")
                        .parse()
                        .expect("n")
                })
                .collect()
        })
        .collect()
}

fn numbers_input(count: u64) -> Vec<u8> {
    (1..=count).map(|n| format!("{{\"n\":{n}}}\n")).collect::<String>().into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firehose_receives_every_line_in_order_in_batches() {
    let moto = emulators::moto();
    create_delivery_stream(&moto, "to-s3", "landing").await;
    let output = put_cmd(&moto.endpoint, &["--firehose", "to-s3"], &numbers_input(1200)).await;
    assert!(output.status.success(), "put failed: {}", stderr(&output));
    assert!(stderr(&output).contains("1200 accepted, 0 failed"), "{}", stderr(&output));

    let mut objects = delivered(&moto, "landing");
    assert!(objects.len() >= 3, "one object per PutRecordBatch call: {}", objects.len());
    for object in &objects {
        assert!(object.windows(2).all(|w| w[1] == w[0] + 1), "each call holds a run of lines in order");
    }
    objects.sort_by_key(|o| o[0]);
    assert_eq!(objects.concat(), (1..=1200).collect::<Vec<u64>>(), "every line exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_kinesis_entry_fails_alone_and_the_rest_arrive_once() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "big", 2).await;
    let huge = "x".repeat(1536 * 1024);
    let input = format!("{{\"data\":\"a\",\"partition_key\":\"k1\"}}\n{{\"data\":\"b\",\"partition_key\":\"k2\"}}\n{{\"data\":\"{huge}\",\"partition_key\":\"k3\"}}\n{{\"data\":\"d\",\"partition_key\":\"k4\"}}\n");
    let output =
        put_cmd(&kinesis.endpoint, &["--stream", "big", "--format", "jsonl"], input.as_bytes()).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("record 2: InvalidArgumentException"), "{err}");
    assert!(err.contains("3 accepted, 1 failed"), "{err}");

    let tail =
        tail(&kinesis.endpoint, "big", &["--from", "trim-horizon", "--until-latest", "--format", "jsonl"]);
    let mut got: Vec<(String, String)> =
        tailed_ok(&run(tail, LIMIT).await).into_iter().map(|t| (t.partition_key, t.data)).collect();
    got.sort();
    assert_eq!(got, [("k1".into(), "a".into()), ("k2".into(), "b".into()), ("k4".into(), "d".into())]);
}

/// Fails each entry whose last digit is 3 or 7, the first time this proxy sees it.
fn first_time_failures(
    codes: &'static [&'static str],
) -> impl FnMut(&[u8]) -> Option<String> + Send + 'static {
    let seen = Arc::new(Mutex::new(HashSet::new()));
    move |data: &[u8]| {
        let last = *data.iter().rev().find(|b| b.is_ascii_digit())? as char;
        let fails = matches!(last, '3' | '7');
        if fails && seen.lock().unwrap().insert(data.to_vec()) {
            Some(codes[data.len() % codes.len()].to_string())
        } else {
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_kinesis_failures_are_retried_alone() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "retried", 2).await;
    let faulty = || {
        FaultProxy::start_with_entry_faults(
            &kinesis.endpoint,
            |call| (call.operation == "PutRecords" && call.index == 0).then_some(Fault::ServiceUnavailable),
            first_time_failures(&["ProvisionedThroughputExceededException", "InternalFailure"]),
        )
    };
    let input: Vec<u8> = (0..300).map(|n| format!("rec-{n}\n")).collect::<String>().into_bytes();

    // Without retries the failures are reported by index and the run fails.
    let proxy = faulty().await;
    let output = put_cmd(&proxy.endpoint, &["--stream", "retried"], &input).await;
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("record 3: ") && err.contains("record 297: "), "{err}");
    assert!(err.contains("240 accepted, 60 failed"), "{err}");

    // A second run, through a proxy that fails the same entries, with retries: the failed
    // entries are resent alone until accepted.
    let proxy = faulty().await;
    let output = put_cmd(&proxy.endpoint, &["--stream", "retried", "--retries", "3"], &input).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let puts = proxy.calls().iter().filter(|c| c.operation == "PutRecords").count();
    assert_eq!(puts, 2 + 1, "one call, its ServiceUnavailable retry, one call with the 60 failed entries");

    let tail = tail(
        &kinesis.endpoint,
        "retried",
        &["--from", "trim-horizon", "--until-latest", "--format", "jsonl"],
    );
    let tailed = tailed_ok(&run(tail, LIMIT).await);
    let mut counts = std::collections::HashMap::new();
    for t in &tailed {
        *counts.entry(t.data.clone()).or_insert(0) += 1;
    }
    for n in 0..300 {
        let data = format!("rec-{n}");
        let expected = if matches!(n % 10, 3 | 7) { 1 } else { 2 };
        assert_eq!(
            counts.get(&data),
            Some(&expected),
            "{data}: once per accepted send, never a resend of an accepted entry"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_firehose_failures_are_retried_alone() {
    let moto = emulators::moto();
    create_delivery_stream(&moto, "flaky", "flaky-landing").await;
    let proxy = FaultProxy::start_with_entry_faults(
        &moto.endpoint,
        |call| (call.operation == "PutRecordBatch" && call.index == 1).then_some(Fault::ServiceUnavailable),
        first_time_failures(&["ServiceUnavailableException", "InternalFailure"]),
    )
    .await;
    let output =
        put_cmd(&proxy.endpoint, &["--firehose", "flaky", "--retries", "2"], &numbers_input(1200)).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let injected = proxy.calls().iter().filter(|c| c.operation == "PutRecordBatch").count();
    assert!(injected >= 5, "three calls, a retried ServiceUnavailable and a retry round: {injected}");
    let mut all: Vec<u64> = delivered(&moto, "flaky-landing").concat();
    all.sort();
    assert_eq!(all, (1..=1200).collect::<Vec<u64>>(), "every record exactly once");
}

#[tokio::test]
async fn bad_input_is_rejected_before_anything_is_sent() {
    let closed = format!("http://127.0.0.1:{}", emulators::free_port());
    for (args, input, expected) in [
        (
            vec!["--firehose", "f"],
            "ok\n".to_string() + &"x".repeat(1000 * 1024 + 1) + "\n",
            "record 1: 1024001 bytes is over Firehose's limit",
        ),
        (vec!["--stream", "s", "--partition-key", &"k".repeat(257)], "a\n".to_string(), "257 characters"),
        (
            vec!["--stream", "s", "--format", "jsonl"],
            "{\"data\":\"\"}\n".to_string(),
            "record 0: the record is empty",
        ),
        (vec!["--stream", "s", "--format", "jsonl"], "{\"data\":1}\n".to_string(), "line 1:"),
        (vec!["--stream", "s", "--template"], "{{nope}}\n".to_string(), "unknown template token"),
        (vec!["--stream", "s"], String::new(), "no records"),
    ] {
        let output = put_cmd(&closed, &args, input.as_bytes()).await;
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let mut read_only = kinspect();
    read_only.args(["--read-only", "put", "--stream", "s"]);
    let output = run(read_only, LIMIT).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("disabled by --read-only"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_and_repeats_generate_the_records() {
    let kinesis = emulators::kinesis_local();
    create_stream(&kinesis_client(&kinesis.endpoint), "generated", 1).await;
    let template = b"{\"n\":{{seq}},\"v\":{{rand:1..3}}}\n";
    let output = put_cmd(
        &kinesis.endpoint,
        &["--stream", "generated", "--template", "--repeat", "25", "--partition-key", "p"],
        template,
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let tail = tail(
        &kinesis.endpoint,
        "generated",
        &["--from", "trim-horizon", "--until-latest", "--format", "jsonl"],
    );
    let tailed = tailed_ok(&run(tail, LIMIT).await);
    let ns: Vec<u64> = tailed
        .iter()
        .map(|t| {
            assert_eq!(t.partition_key, "p");
            let v: serde_json::Value = serde_json::from_str(&t.data).unwrap();
            assert!((1..=3).contains(&v["v"].as_u64().unwrap()));
            v["n"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(ns, (1..=25).collect::<Vec<u64>>());
}

/// The TUI's compose pane, driven through the real run loop against kinesis-local: a file
/// with an oversized entry is loaded, sent after confirmation, the failed entry is marked
/// with its error, and `r` resends only that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compose_pane_sends_loads_and_marks_the_failed_entry() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use kinspect::app::run::{run_loop, Clipboard};
    use kinspect::app::state::{AppState, Event, StreamInfo};
    use kinspect::aws::putter::{AwsPutter, Outcome};
    use ratatui::backend::TestBackend;

    struct NoClipboard;
    impl Clipboard for NoClipboard {
        fn copy(&mut self, _: &[u8]) -> std::io::Result<()> {
            Ok(())
        }
    }

    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "composed", 1).await;
    let file = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("compose-{}.jsonl", std::process::id()));
    let huge = "x".repeat(1536 * 1024);
    std::fs::write(
        &file,
        format!("{{\"data\":\"one\",\"partition_key\":\"k\"}}\n{{\"data\":\"{huge}\",\"partition_key\":\"k\"}}\n{{\"data\":\"three\",\"partition_key\":\"k\"}}\n"),
    )
    .unwrap();

    let stream = StreamInfo {
        name: "composed".into(),
        target: "local".into(),
        mode: "polling".into(),
        from: "latest".into(),
        consumer: None,
    };
    let mut state = AppState::new(stream, &[], 64 << 20, ratatui::layout::Rect::new(0, 0, 160, 40));
    let mut terminal = ratatui::Terminal::new(TestBackend::new(160, 40)).unwrap();
    let (keys, inputs) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let inputs =
        Box::pin(futures_util::stream::unfold(inputs, |mut rx| async { rx.recv().await.map(|e| (e, rx)) }));
    let press = |code: KeyCode, modifiers: KeyModifiers| {
        keys.send(Event::Key(KeyEvent::new(code, modifiers))).unwrap()
    };
    let putter = AwsPutter { kinesis: client.clone(), firehose: firehose_client(&kinesis.endpoint) };
    let driver = async {
        press(KeyCode::Char('c'), KeyModifiers::NONE);
        press(KeyCode::Char('L'), KeyModifiers::NONE);
        for c in file.to_string_lossy().chars() {
            press(KeyCode::Char(c), KeyModifiers::NONE);
        }
        press(KeyCode::Enter, KeyModifiers::NONE);
        tokio::time::sleep(Duration::from_millis(500)).await;
        press(KeyCode::Char('s'), KeyModifiers::CONTROL);
        press(KeyCode::Char('y'), KeyModifiers::NONE);
        tokio::time::sleep(Duration::from_secs(5)).await;
        press(KeyCode::Esc, KeyModifiers::NONE);
        press(KeyCode::Char('q'), KeyModifiers::NONE);
    };
    let mut clipboard = NoClipboard;
    let ui = run_loop(&mut terminal, &mut state, inputs, None, &mut clipboard, Some(putter));
    let (_, result) = tokio::join!(driver, ui);
    result.unwrap();

    let compose = state.compose.as_ref().expect("compose was opened");
    assert_eq!(compose.entries.len(), 3, "{:?}", compose.message);
    assert!(matches!(compose.entries[0].outcome, Some(Outcome::Accepted { .. })));
    match &compose.entries[1].outcome {
        Some(Outcome::Failed { code, .. }) => assert_eq!(code, "InvalidArgumentException"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(compose.entries[2].outcome, Some(Outcome::Accepted { .. })));
    assert_eq!(compose.summary(), (2, 1, 0));

    let tail = tail(
        &kinesis.endpoint,
        "composed",
        &["--from", "trim-horizon", "--until-latest", "--format", "jsonl"],
    );
    let data: Vec<String> = tailed_ok(&run(tail, LIMIT).await).into_iter().map(|t| t.data).collect();
    assert_eq!(data, ["one", "three"], "the accepted entries once each");
}
