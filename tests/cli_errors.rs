//! Bad input and broken setups: exit status 2 and one clear line on stderr, never a panic.

mod support;

use std::process::Output;
use std::time::Duration;

use support::*;

const LIMIT: Duration = Duration::from_secs(60);

fn assert_one_line_error(output: &Output, expected: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "exit status for {expected:?}; stderr: {err}");
    assert!(output.stdout.is_empty(), "nothing on stdout");
    assert_eq!(err.lines().count(), 1, "exactly one line: {err:?}");
    assert!(err.starts_with("kinspect: "), "{err:?}");
    assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err:?}");
}

/// An endpoint where nothing listens.
fn closed_endpoint() -> String {
    format!("http://127.0.0.1:{}", emulators::free_port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_found_at_the_service() {
    let kinesis = emulators::kinesis_local();
    create_stream(&kinesis_client(&kinesis.endpoint), "exists", 1).await;

    let unknown = tail(&kinesis.endpoint, "no-such-stream", &[]);
    assert_one_line_error(&run(unknown, LIMIT).await, "stream 'no-such-stream' not found");

    let unknown_shard = tail(&kinesis.endpoint, "exists", &["--shard", "shardId-000000000042"]);
    assert_one_line_error(&run(unknown_shard, LIMIT).await, "no shard 'shardId-000000000042'");
}

#[tokio::test]
async fn an_unreachable_endpoint() {
    let endpoint = closed_endpoint();
    let unreachable = format!("cannot reach {endpoint}");
    assert_one_line_error(&run(tail(&endpoint, "orders", &[]), LIMIT).await, &unreachable);

    let mut ls = kinspect();
    ls.args(["--endpoint-url", &endpoint, "ls"]);
    assert_one_line_error(&run(ls, LIMIT).await, &unreachable);
}

#[tokio::test]
async fn no_region() {
    let mut command = tail(&closed_endpoint(), "orders", &[]);
    command.env_remove("AWS_REGION");
    assert_one_line_error(&run(command, LIMIT).await, "no AWS region configured");
}

#[tokio::test]
async fn a_stream_arn_supplies_the_region() {
    // With no region configured, the ARN's region is used: the run gets as far as the
    // (closed) endpoint instead of stopping at "no region".
    let mut command = tail(&closed_endpoint(), "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", &[]);
    command.env_remove("AWS_REGION");
    assert_one_line_error(&run(command, LIMIT).await, "region eu-west-1");
}

#[tokio::test]
async fn no_credentials() {
    let mut command = tail(&closed_endpoint(), "orders", &[]);
    command.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
    let output = run(command, LIMIT).await;
    assert_one_line_error(&output, "no AWS credentials found");
}

#[tokio::test]
async fn malformed_start_positions() {
    for (from, expected) in [
        ("yesterday", "unknown start position 'yesterday'"),
        ("at-timestamp:-15x", "not a relative time"),
        ("at-timestamp:2024-13-01T00:00:00Z", "not an RFC 3339 time"),
        ("at-sequence:12ab", "not a sequence number"),
        ("at-sequence:123", "pass exactly one --shard"),
    ] {
        let command = tail(&closed_endpoint(), "orders", &["--from", from]);
        assert_one_line_error(&run(command, LIMIT).await, expected);
    }
}
