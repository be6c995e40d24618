//! `kinspect tail` against kinesis-local: exact record sets from every start position,
//! polling and (for the positions) with enhanced fan-out.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use support::*;

const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trim_horizon_reads_every_record_exactly_once() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "orders", 4).await;
    let sent = put(&client, "orders", &numbered("order", 2000)).await;
    let shards: HashSet<_> = sent.iter().map(|s| &s.shard_id).collect();
    assert_eq!(shards.len(), 4, "the records spread over all four shards");

    let from_start = ["--from", "trim-horizon", "--format", "jsonl"];
    let until_latest = tail(&kinesis.endpoint, "orders", &[&from_start[..], &["--until-latest"]].concat());
    assert_exactly_once_in_order(&tailed_ok(&run(until_latest, LIMIT).await), &sent);

    let counted = tail(&kinesis.endpoint, "orders", &[&from_start[..], &["--count", "2000"]].concat());
    assert_exactly_once_in_order(&tailed_ok(&run(counted, LIMIT).await), &sent);

    // --count stops at exactly N, and a stream named by ARN reads the same.
    let arn = format!("arn:aws:kinesis:{REGION}:000000000000:stream/orders");
    let by_arn = tail(&kinesis.endpoint, &arn, &[&from_start[..], &["--count", "7"]].concat());
    let tailed = tailed_ok(&run(by_arn, LIMIT).await);
    assert_eq!(tailed.len(), 7);
    let sent_data: HashSet<_> = sent.iter().map(|s| s.data.as_str()).collect();
    assert!(tailed.iter().all(|t| sent_data.contains(t.data.as_str())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonl_lines_carry_the_contract_fields() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "mixed", 1).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let records =
        [("k-json".to_string(), "{\"id\":1}".to_string()), ("k-text".to_string(), "plain text".to_string())];
    let sent = put(&client, "mixed", &records).await;
    client
        .put_record()
        .stream_name("mixed")
        .partition_key("k-bin")
        .data(aws_sdk_kinesis::primitives::Blob::new(vec![0xff, 0x00, 0x1f, 0x8b]))
        .send()
        .await
        .expect("put binary");

    // The service-specific endpoint variable works as well as --endpoint-url.
    let mut command = kinspect();
    command.env("AWS_ENDPOINT_URL_KINESIS", &kinesis.endpoint);
    command.args(["tail", "mixed", "--from", "trim-horizon", "--until-latest", "--format", "jsonl"]);
    let output = run(command, LIMIT).await;
    assert!(output.status.success(), "tail failed: {}", stderr(&output));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    let first = &lines[0];
    assert_eq!(first["stream"], "mixed");
    assert_eq!(first["shard_id"], "shardId-000000000000");
    assert_eq!(first["sequence_number"], sent[0].sequence_number.as_str());
    assert_eq!(first["partition_key"], "k-json");
    assert_eq!(first["data"], "eyJpZCI6MX0=");
    assert_eq!(first["text"], "{\"id\":1}");
    assert_eq!(first["decoding"], serde_json::json!([]));
    assert!(first.get("sub_sequence_number").is_none());
    let arrival = first["approximate_arrival_timestamp"].as_str().unwrap();
    let parsed = chrono::DateTime::parse_from_rfc3339(arrival).expect("RFC 3339");
    assert!(arrival.ends_with('Z') && arrival.len() == "2026-01-01T00:00:00.000Z".len(), "{arrival}");
    assert!(parsed > before);
    let binary = &lines[2];
    assert_eq!(binary["data"], "/wAfiw==");
    assert!(binary.get("text").is_none(), "binary payloads have no text field");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_starts_after_what_is_already_there() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "live", 2).await;
    put(&client, "live", &numbered("old", 40)).await;

    // Watch the calls through a pass-through proxy to know when every shard is being read.
    let observer = fault_proxy::FaultProxy::start(&kinesis.endpoint, |_| None).await;
    let child = start(tail(&observer.endpoint, "live", &["--count", "10", "--format", "jsonl"]));
    for _ in 0..200 {
        let calls = observer.calls();
        let read: HashSet<_> =
            calls.iter().filter(|c| c.operation == "GetRecords").map(|c| &c.shard_id).collect();
        if read.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let new = put(&client, "live", &numbered("new", 10)).await;
    assert_exactly_once_in_order(&tailed_ok(&finish(child, LIMIT).await), &new);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_timestamp_starts_at_the_time_given() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "timed", 2).await;
    let old = put(&client, "timed", &numbered("old", 30)).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let boundary = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let new = put(&client, "timed", &numbered("new", 30)).await;

    let from = format!("at-timestamp:{}", boundary.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    let everything: Vec<Sent> = old.iter().chain(&new).cloned().collect();
    // Polling and enhanced fan-out start at the same place.
    for mode in [&[][..], &["--efo"]] {
        let args = [&["--from", &from, "--until-latest", "--format", "jsonl"][..], mode].concat();
        let at_boundary = tail(&kinesis.endpoint, "timed", &args);
        assert_exactly_once_in_order(&tailed_ok(&run(at_boundary, LIMIT).await), &new);

        // A relative time reaching back before both batches reads them all.
        let args =
            [&["--from", "at-timestamp:-1h", "--until-latest", "--format", "jsonl"][..], mode].concat();
        let hour_ago = tail(&kinesis.endpoint, "timed", &args);
        assert_exactly_once_in_order(&tailed_ok(&run(hour_ago, LIMIT).await), &everything);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_positions_start_at_or_after_the_record() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "seq", 2).await;
    let sent = put(&client, "seq", &numbered("r", 60)).await;
    let shard = sent[0].shard_id.clone();
    let in_shard: Vec<Sent> = sent.iter().filter(|s| s.shard_id == shard).cloned().collect();
    let pivot_at = in_shard.len() / 2;

    for mode in [&[][..], &["--efo"]] {
        for (form, first) in [("at-sequence", pivot_at), ("after-sequence", pivot_at + 1)] {
            let from = format!("{form}:{}", in_shard[pivot_at].sequence_number);
            let args = ["--shard", &shard, "--from", &from, "--until-latest", "--format", "jsonl"];
            let output = run(tail(&kinesis.endpoint, "seq", &[&args[..], mode].concat()), LIMIT).await;
            assert_exactly_once_in_order(&tailed_ok(&output), &in_shard[first..]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_format_and_a_closed_pipe() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "piped", 1).await;
    put(&client, "piped", &numbered("line", 50)).await;

    // Like `kinspect tail piped | head -1`: the reader closes the pipe after one line.
    let mut child = start(tail(&kinesis.endpoint, "piped", &["--from", "trim-horizon"]));
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let first =
        tokio::time::timeout(LIMIT, lines.next_line()).await.expect("a line in time").unwrap().unwrap();
    assert!(first.ends_with(" shardId-000000000000 key-0 line-0"), "{first}");
    drop(lines);
    put(&client, "piped", &numbered("more", 5)).await;
    let output = finish(child, LIMIT).await;
    assert!(output.status.success(), "a closed pipe is a normal end: {:?}", output.status);
    assert_eq!(stderr(&output), "", "nothing on stderr");
}
