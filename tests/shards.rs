//! Shard discovery against kinesis-local: every page, lineage, open and closed shards.

mod support;

use kinspect::aws::config::StreamRef;
use kinspect::aws::shards::{list_shards, list_shards_in_pages};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_shards_with_lineage_and_key_ranges() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "split", 3).await;
    let listed = client.list_shards().stream_name("split").send().await.unwrap().shards.unwrap();
    let first = &listed[0];
    let range = first.hash_key_range.as_ref().unwrap();
    let (start, end): (u128, u128) =
        (range.starting_hash_key.parse().unwrap(), range.ending_hash_key.parse().unwrap());
    client
        .split_shard()
        .stream_name("split")
        .shard_to_split(&first.shard_id)
        .new_starting_hash_key((start + (end - start) / 2 + 1).to_string())
        .send()
        .await
        .expect("split");
    wait_active(&client, "split").await;

    let stream = StreamRef::Name("split".into());
    let paged = list_shards_in_pages(&client, &stream, Some(2)).await.expect("paged listing");
    let whole = list_shards(&client, &stream).await.expect("listing");
    assert_eq!(paged, whole, "three pages of two give the same shards as one call");
    assert_eq!(paged.len(), 5);

    let parent = paged.iter().find(|s| s.shard_id == first.shard_id).unwrap();
    assert!(!parent.is_open(), "the split shard is closed");
    let children: Vec<_> = paged.iter().filter(|s| s.parents().any(|p| p == parent.shard_id)).collect();
    assert_eq!(children.len(), 2);
    assert!(children.iter().all(|c| c.is_open()));
    let mut child_ranges: Vec<(u128, u128)> = children
        .iter()
        .map(|c| (c.starting_hash_key.parse().unwrap(), c.ending_hash_key.parse().unwrap()))
        .collect();
    child_ranges.sort();
    assert_eq!(child_ranges, [(start, start + (end - start) / 2), (start + (end - start) / 2 + 1, end)]);
    assert_eq!(paged.iter().filter(|s| s.is_open()).count(), 4);
}
