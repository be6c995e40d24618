//! `tail --efo` against kinesis-local: enhanced fan-out reads exactly the records there are,
//! across renewals, dropped subscriptions, ResourceInUse and resharding; the consumer is
//! registered once, reused, and deregistered on request.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use support::fault_proxy::{Fault, FaultProxy};
use support::*;

const LIMIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_every_record_once_from_trim_horizon_as_one_reused_consumer() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "orders", 4).await;
    let sent = put(&client, "orders", &numbered("order", 60)).await;
    let shards: std::collections::HashSet<_> = sent.iter().map(|s| &s.shard_id).collect();
    assert_eq!(shards.len(), 4, "the records cover every shard");

    let args = ["--efo", "--from", "trim-horizon", "--until-latest", "--format", "jsonl"];
    let first = run(tail(&kinesis.endpoint, "orders", &args), LIMIT).await;
    assert_exactly_once_in_order(&tailed_ok(&first), &sent);
    assert!(stderr(&first).contains("registered fan-out consumer 'kinspect-"), "{}", stderr(&first));
    let registered = consumers(&client, "orders").await;
    assert_eq!(registered.len(), 1, "{registered:?}");
    assert!(registered[0].0.starts_with("kinspect-") && registered[0].1 == "ACTIVE");

    // A second run reads as the same consumer, quietly, and --efo-cleanup removes it after.
    let cleanup = [&args[..], &["--efo-cleanup"]].concat();
    let second = run(tail(&kinesis.endpoint, "orders", &cleanup), LIMIT).await;
    assert_exactly_once_in_order(&tailed_ok(&second), &sent);
    assert!(!stderr(&second).contains("registered"), "{}", stderr(&second));
    let left = consumers(&client, "orders").await;
    assert!(left.iter().all(|(_, status)| status == "DELETING"), "{left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_latest_reads_only_what_is_put_after_the_subscriptions_start() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "live", 4).await;
    put(&client, "live", &numbered("old", 30)).await;

    // Watch through a pass-through proxy to know when every shard's events flow.
    let observer = FaultProxy::start(&kinesis.endpoint, |_| None).await;
    let args = ["--efo", "--consumer", "watcher", "--count", "40", "--format", "jsonl"];
    let child = start(tail(&observer.endpoint, "live", &args));
    wait_for_streams(&observer, 4).await;
    let new = put(&client, "live", &numbered("new", 40)).await;
    assert_exactly_once_in_order(&tailed_ok(&finish(child, LIMIT).await), &new);
    assert_eq!(consumers(&client, "live").await, [("watcher".to_string(), "ACTIVE".to_string())]);
}

/// Waits until `count` SubscribeToShard answers have started streaming through the proxy.
async fn wait_for_streams(proxy: &FaultProxy, count: usize) {
    for _ in 0..400 {
        if proxy.streams_answered() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("only {} of {count} subscriptions started", proxy.streams_answered());
}

/// When each shard was subscribed, by shard.
fn subscription_times(proxy: &FaultProxy) -> HashMap<String, Vec<std::time::Instant>> {
    let mut by_shard: HashMap<String, Vec<std::time::Instant>> = HashMap::new();
    for call in proxy.calls().into_iter().filter(|c| c.operation == "SubscribeToShard") {
        by_shard.entry(call.shard_id.unwrap_or_default()).or_default().push(call.at);
    }
    by_shard
}

/// Subscriptions per shard, and the fewest milliseconds between two on one shard.
fn subscriptions_by_shard(proxy: &FaultProxy) -> (HashMap<String, usize>, u128) {
    let by_shard = subscription_times(proxy);
    let closest = by_shard
        .values()
        .flat_map(|times| times.windows(2).map(|w| (w[1] - w[0]).as_millis()))
        .min()
        .unwrap_or(u128::MAX);
    (by_shard.into_iter().map(|(shard, times)| (shard, times.len())).collect(), closest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_renewals_while_records_arrive_lose_and_repeat_nothing() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "busy", 2).await;
    let mut sent = put(&client, "busy", &numbered("before", 20)).await;

    let proxy = FaultProxy::start(&kinesis.endpoint, |_| None).await;
    let total = (20 + 8 * 10).to_string();
    let args = ["--efo", "--efo-renew-every", "2s", "--from", "trim-horizon", "--count", &total];
    let child = start(tail(&proxy.endpoint, "busy", &[&args[..], &["--format", "jsonl"]].concat()));
    sent.extend(put_over_time(&client, "busy", 8, 10, Duration::from_secs(1)).await);
    let output = finish(child, LIMIT).await;
    assert_exactly_once_in_order(&tailed_ok(&output), &sent);

    let (per_shard, closest) = subscriptions_by_shard(&proxy);
    assert_eq!(per_shard.len(), 2);
    assert!(per_shard.values().all(|n| *n >= 3), "each shard renewed more than once: {per_shard:?}");
    assert!(closest >= 1000, "≤ 1 SubscribeToShard a second per shard; closest {closest} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_subscription_and_resource_in_use_are_recovered_from() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "flaky", 2).await;
    let mut sent = put(&client, "flaky", &numbered("before", 30)).await;

    // Per shard: the first subscription is cut in the middle of its second event, the next
    // one is refused as in use, then all is well.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let proxy = FaultProxy::start(&kinesis.endpoint, move |call| {
        if call.operation != "SubscribeToShard" {
            return None;
        }
        let n = seen.entry(call.shard_id.clone().unwrap_or_default()).or_insert(0);
        *n += 1;
        match *n {
            1 => Some(Fault::CutStreamAfter(1)),
            2 => Some(Fault::ResourceInUse),
            _ => None,
        }
    })
    .await;
    let total = (30 + 5 * 10).to_string();
    let args = ["--efo", "--from", "trim-horizon", "--count", &total, "--format", "jsonl"];
    let child = start(tail(&proxy.endpoint, "flaky", &args));
    wait_for_streams(&proxy, 2).await;
    sent.extend(put_over_time(&client, "flaky", 5, 10, Duration::from_millis(700)).await);
    let output = finish(child, LIMIT).await;
    assert_exactly_once_in_order(&tailed_ok(&output), &sent);

    let errors = stderr(&output);
    assert!(errors.contains("ResourceInUseException") && errors.contains("retrying"), "{errors}");
    let faults: Vec<_> = proxy.calls().into_iter().filter_map(|c| c.fault).collect();
    assert_eq!(faults.iter().filter(|f| **f == Fault::ResourceInUse).count(), 2, "{faults:?}");
    let (per_shard, closest) = subscriptions_by_shard(&proxy);
    assert!(per_shard.values().all(|n| *n >= 3), "{per_shard:?}");
    assert!(closest >= 1000, "closest subscriptions {closest} ms apart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_shard_is_read_to_its_end_before_its_children() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "split", 1).await;
    let mut sent = put(&client, "split", &numbered("parent", 15)).await;
    client
        .split_shard()
        .stream_name("split")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key("170141183460469231731687303715884105728")
        .send()
        .await
        .expect("split");
    wait_active(&client, "split").await;
    sent.extend(put(&client, "split", &numbered("child", 20)).await);
    assert!(sent.iter().filter(|s| s.shard_id != "shardId-000000000000").count() == 20);

    let args = ["--efo", "--from", "trim-horizon", "--until-latest", "--format", "jsonl"];
    let tailed = tailed_ok(&run(tail(&kinesis.endpoint, "split", &args), LIMIT).await);
    assert_exactly_once_in_order(&tailed, &sent);
    let last_parent = tailed.iter().rposition(|t| t.shard_id == "shardId-000000000000").unwrap();
    let first_child = tailed.iter().position(|t| t.shard_id != "shardId-000000000000").unwrap();
    assert!(last_parent < first_child, "the parent is read to its end first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_with_twenty_consumers_gets_a_clear_message() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "crowded", 1).await;
    let arn = format!("arn:aws:kinesis:{REGION}:000000000000:stream/crowded");
    for i in 0..20 {
        client
            .register_stream_consumer()
            .stream_arn(&arn)
            .consumer_name(format!("app-{i}"))
            .send()
            .await
            .expect("register");
    }
    let output = run(tail(&kinesis.endpoint, "crowded", &["--efo"]), LIMIT).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("already has 20 registered consumers"), "{message}");

    // Reading as one of them needs no new registration.
    let args = ["--efo", "--consumer", "app-3", "--from", "trim-horizon", "--until-latest"];
    let reuse = run(tail(&kinesis.endpoint, "crowded", &args), LIMIT).await;
    assert!(reuse.status.success(), "{}", stderr(&reuse));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_reads_as_an_existing_consumer_but_never_registers_one() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "guarded", 1).await;
    let sent = put(&client, "guarded", &numbered("guarded", 5)).await;
    let read_only_tail = |args: &[&str]| {
        let mut command = kinspect();
        command.args(["--endpoint-url", &kinesis.endpoint, "--read-only", "tail", "guarded"]).args(args);
        command
    };

    let refused = run(read_only_tail(&["--efo"]), LIMIT).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--read-only forbids registering it"), "{}", stderr(&refused));
    assert!(consumers(&client, "guarded").await.is_empty(), "nothing was registered");
    let cleanup = run(read_only_tail(&["--efo", "--consumer", "ops", "--efo-cleanup"]), LIMIT).await;
    assert_eq!(cleanup.status.code(), Some(2), "{}", stderr(&cleanup));

    let arn = format!("arn:aws:kinesis:{REGION}:000000000000:stream/guarded");
    client.register_stream_consumer().stream_arn(arn).consumer_name("ops").send().await.expect("register");
    let args =
        ["--efo", "--consumer", "ops", "--from", "trim-horizon", "--until-latest", "--format", "jsonl"];
    assert_exactly_once_in_order(&tailed_ok(&run(read_only_tail(&args), LIMIT).await), &sent);
}

/// Runs across a real subscription expiry (Kinesis and kinesis-local end them after five
/// minutes): `cargo test --test fan_out -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes over five minutes"]
async fn a_real_five_minute_expiry_is_renewed_without_loss() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "long", 2).await;
    let proxy = FaultProxy::start(&kinesis.endpoint, |_| None).await;
    let batches = 12;
    let total = (batches * 5).to_string();
    let args = ["--efo", "--from", "trim-horizon", "--count", &total, "--format", "jsonl"];
    let child = start(tail(&proxy.endpoint, "long", &args));
    let sent = put_over_time(&client, "long", batches, 5, Duration::from_secs(30)).await;
    let output = finish(child, Duration::from_secs(120)).await;
    assert_exactly_once_in_order(&tailed_ok(&output), &sent);
    // The service ended each subscription (kinspect's own renewal would come at 310 s).
    for (shard, times) in subscription_times(&proxy) {
        let gaps: Vec<u64> = times.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect();
        eprintln!("{shard}: seconds between subscriptions {gaps:?}");
        assert!(
            !gaps.is_empty() && gaps[0] < 305,
            "{shard} resubscribed after the service's expiry: {gaps:?}"
        );
    }
}
