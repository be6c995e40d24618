//! `kinspect tail` when the stream reshards and when the service misbehaves: still every
//! record exactly once, in order, within the service's call limits.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use support::fault_proxy::{Fault, FaultProxy};
use support::*;

const LIMIT: Duration = Duration::from_secs(90);

async fn shards_of(client: &aws_sdk_kinesis::Client, stream: &str) -> Vec<aws_sdk_kinesis::types::Shard> {
    let listed = client.list_shards().stream_name(stream).send().await.expect("list shards");
    listed.shards.unwrap_or_default()
}

async fn hash_range(client: &aws_sdk_kinesis::Client, stream: &str, shard: &str) -> (u128, u128) {
    let shards = shards_of(client, stream).await;
    let s = shards.into_iter().find(|s| s.shard_id == shard).expect("shard exists");
    let range = s.hash_key_range.expect("hash range");
    (range.starting_hash_key.parse().unwrap(), range.ending_hash_key.parse().unwrap())
}

/// Splits `shardId-000000000000` in two and merges shards 2 and 3.
async fn reshard(client: &aws_sdk_kinesis::Client, stream: &str) {
    let (start, end) = hash_range(client, stream, "shardId-000000000000").await;
    client
        .split_shard()
        .stream_name(stream)
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((start + (end - start) / 2 + 1).to_string())
        .send()
        .await
        .expect("split shard");
    wait_active(client, stream).await;
    client
        .merge_shards()
        .stream_name(stream)
        .shard_to_merge("shardId-000000000002")
        .adjacent_shard_to_merge("shardId-000000000003")
        .send()
        .await
        .expect("merge shards");
    wait_active(client, stream).await;
}

/// Every record exactly once, parents drained before children, each key's records in put order.
async fn assert_read_across_the_reshard(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    tailed: &[Tailed],
    sent: &[Sent],
) {
    assert_exactly_once_in_order(tailed, sent);
    assert_parents_before_children(client, stream, tailed).await;
    assert_key_order(tailed, sent);
}

/// Every record of a parent shard was printed before the first record of any child.
async fn assert_parents_before_children(client: &aws_sdk_kinesis::Client, stream: &str, tailed: &[Tailed]) {
    let shards = shards_of(client, stream).await;
    let mut first_at: HashMap<&str, usize> = HashMap::new();
    let mut last_at: HashMap<&str, usize> = HashMap::new();
    for (i, t) in tailed.iter().enumerate() {
        first_at.entry(t.shard_id.as_str()).or_insert(i);
        last_at.insert(t.shard_id.as_str(), i);
    }
    let mut checked = 0;
    for shard in &shards {
        let parents = shard.parent_shard_id.iter().chain(shard.adjacent_parent_shard_id.iter());
        for parent in parents {
            if let (Some(child_first), Some(parent_last)) =
                (first_at.get(shard.shard_id.as_str()), last_at.get(parent.as_str()))
            {
                assert!(
                    parent_last < child_first,
                    "{} printed before its parent {} was drained",
                    shard.shard_id,
                    parent
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4, "two children of the split and two parents of the merge were checked");
}

/// Records of one partition key come out in the order they were put, across the reshard.
fn assert_key_order(tailed: &[Tailed], sent: &[Sent]) {
    let put_index: HashMap<&str, usize> =
        sent.iter().enumerate().map(|(i, s)| (s.data.as_str(), i)).collect();
    let mut last: BTreeMap<&str, usize> = BTreeMap::new();
    for t in tailed {
        let index = put_index[t.data.as_str()];
        if let Some(previous) = last.insert(t.partition_key.as_str(), index) {
            assert!(index > previous, "key {} out of order at {}", t.partition_key, t.data);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reshard_before_reading_drains_parents_first() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "resharded", 4).await;
    let mut sent = put(&client, "resharded", &numbered("before", 1000)).await;
    reshard(&client, "resharded").await;
    sent.extend(put(&client, "resharded", &numbered("after", 1000)).await);

    let args = ["--from", "trim-horizon", "--until-latest", "--format", "jsonl"];
    let tailed = tailed_ok(&run(tail(&kinesis.endpoint, "resharded", &args), LIMIT).await);
    assert_read_across_the_reshard(&client, "resharded", &tailed, &sent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reshard_while_reading_follows_the_children() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "live-reshard", 4).await;
    let mut sent = put(&client, "live-reshard", &numbered("before", 1000)).await;

    let args = ["--from", "trim-horizon", "--count", "2000", "--format", "jsonl"];
    let child = start(tail(&kinesis.endpoint, "live-reshard", &args));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    reshard(&client, "live-reshard").await;
    sent.extend(put(&client, "live-reshard", &numbered("after", 1000)).await);

    let tailed = tailed_ok(&finish(child, LIMIT).await);
    assert_read_across_the_reshard(&client, "live-reshard", &tailed, &sent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_expiry_and_server_faults_lose_nothing_and_respect_the_call_limit() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "faulty", 4).await;
    // Reported lag keeps the readers in their fastest mode, where pacing matters most.
    let proxy =
        FaultProxy::start_with_lag(&kinesis.endpoint, Some(60_000), |call| match call.operation.as_str() {
            "GetRecords" if call.index % 3 == 0 => Some(Fault::Throttle),
            "GetRecords" if call.index % 7 == 1 => Some(Fault::ExpiredIterator),
            "GetRecords" if call.index % 11 == 2 => Some(Fault::InternalFailure),
            "GetRecords" if call.index % 13 == 5 => Some(Fault::DropConnection),
            "GetRecords" if call.index % 17 == 4 => Some(Fault::ServiceUnavailable),
            "GetShardIterator" if call.index % 5 == 1 => Some(Fault::InternalFailure),
            _ => None,
        })
        .await;

    let args = ["--from", "trim-horizon", "--count", "2000", "--format", "jsonl"];
    let child = start(tail(&proxy.endpoint, "faulty", &args));
    // Records keep arriving while the reader works through the faults.
    let sent = put_over_time(&client, "faulty", 20, 100, Duration::from_millis(150)).await;
    assert_exactly_once_in_order(&tailed_ok(&finish(child, LIMIT).await), &sent);

    let calls = proxy.calls();
    let count = |fault: Fault| calls.iter().filter(|c| c.fault == Some(fault)).count();
    let get_records = calls.iter().filter(|c| c.operation == "GetRecords").count();
    assert!(count(Fault::Throttle) * 4 >= get_records, "about a third of GetRecords were throttled");
    for fault in
        [Fault::ExpiredIterator, Fault::InternalFailure, Fault::DropConnection, Fault::ServiceUnavailable]
    {
        assert!(count(fault) > 0, "the run saw {fault:?}");
    }
    let peak = proxy.peak_calls_per_second("GetRecords");
    assert!(peak <= 5, "a shard received {peak} GetRecords calls within one second");

    // After a throttle the shard is left alone for at least a second.
    let mut by_shard: HashMap<&str, Vec<&fault_proxy::Call>> = HashMap::new();
    for call in calls.iter().filter(|c| c.shard_id.is_some()) {
        by_shard.entry(call.shard_id.as_deref().unwrap_or_default()).or_default().push(call);
    }
    for shard_calls in by_shard.values() {
        for pair in shard_calls.windows(2) {
            if pair[0].fault == Some(Fault::Throttle) {
                let gap = pair[1].at - pair[0].at;
                assert!(gap >= Duration::from_millis(990), "next call only {gap:?} after a throttle");
            }
        }
    }
    eprintln!(
        "{get_records} GetRecords calls, {} throttled, peak {peak}/s per shard",
        count(Fault::Throttle)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_behind_the_tip_polls_fast_but_never_above_five_calls_a_second() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "paced", 2).await;
    let proxy = FaultProxy::start_with_lag(&kinesis.endpoint, Some(60_000), |_| None).await;

    let args = ["--from", "trim-horizon", "--count", "400", "--format", "jsonl"];
    let child = start(tail(&proxy.endpoint, "paced", &args));
    let sent = put_over_time(&client, "paced", 8, 50, Duration::from_millis(400)).await;
    assert_exactly_once_in_order(&tailed_ok(&finish(child, LIMIT).await), &sent);

    let peak = proxy.peak_calls_per_second("GetRecords");
    assert_eq!(peak, 5, "a reader that is behind uses its five calls a second, and no more");
}
