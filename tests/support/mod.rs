//! Shared test harness: real emulators, the fault injector, and helpers to seed streams and
//! run the kinspect binary the way a user would.
#![allow(dead_code)]

pub mod emulators;
pub mod fault_proxy;

use std::collections::{BTreeMap, HashSet};
use std::process::{Output, Stdio};
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamStatus};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use tokio::process::{Child, Command};

pub const REGION: &str = "us-east-1";

pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https()
}

fn credentials() -> Credentials {
    Credentials::new("test-key", "test-secret", None, None, "tests")
}

pub fn kinesis_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(aws_sdk_kinesis::config::Region::new(REGION))
        .credentials_provider(credentials())
        .http_client(http_client())
        .build();
    aws_sdk_kinesis::Client::from_conf(config)
}

pub fn firehose_client(endpoint: &str) -> aws_sdk_firehose::Client {
    let config = aws_sdk_firehose::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(aws_sdk_firehose::config::Region::new(REGION))
        .credentials_provider(credentials())
        .http_client(http_client())
        .build();
    aws_sdk_firehose::Client::from_conf(config)
}

/// A DirectPut delivery stream writing into a new bucket of moto's own S3. The explicit
/// compression and no-encryption settings let the Rust SDK parse moto's descriptions.
pub async fn create_delivery_stream(moto: &emulators::Emulator, name: &str, bucket: &str) {
    use aws_sdk_firehose::types::{
        CompressionFormat, DeliveryStreamType, EncryptionConfiguration, ExtendedS3DestinationConfiguration,
        NoEncryptionConfig,
    };
    let (status, _) = emulators::http("PUT", &moto.endpoint, &format!("/{bucket}"));
    assert_eq!(status, 200, "create bucket {bucket}");
    let destination = ExtendedS3DestinationConfiguration::builder()
        .role_arn("arn:aws:iam::123456789012:role/firehose")
        .bucket_arn(format!("arn:aws:s3:::{bucket}"))
        .compression_format(CompressionFormat::Uncompressed)
        .encryption_configuration(
            EncryptionConfiguration::builder().no_encryption_config(NoEncryptionConfig::NoEncryption).build(),
        )
        .build()
        .expect("destination");
    firehose_client(&moto.endpoint)
        .create_delivery_stream()
        .delivery_stream_name(name)
        .delivery_stream_type(DeliveryStreamType::DirectPut)
        .extended_s3_destination_configuration(destination)
        .send()
        .await
        .expect("create delivery stream");
}

pub async fn create_stream(client: &aws_sdk_kinesis::Client, name: &str, shards: i32) {
    client.create_stream().stream_name(name).shard_count(shards).send().await.expect("create stream");
    wait_active(client, name).await;
}

pub async fn wait_active(client: &aws_sdk_kinesis::Client, name: &str) {
    for _ in 0..200 {
        let summary =
            client.describe_stream_summary().stream_name(name).send().await.expect("describe stream");
        if summary.stream_description_summary.map(|s| s.stream_status) == Some(StreamStatus::Active) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("stream {name} did not become ACTIVE");
}

/// The stream's registered consumers: (name, status).
pub async fn consumers(client: &aws_sdk_kinesis::Client, stream: &str) -> Vec<(String, String)> {
    let arn = format!("arn:aws:kinesis:{REGION}:000000000000:stream/{stream}");
    let listed = client.list_stream_consumers().stream_arn(arn).send().await.expect("list consumers");
    listed
        .consumers
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.consumer_name, c.consumer_status.as_str().to_string()))
        .collect()
}

/// A record as the tests put it and expect it back.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sent {
    pub partition_key: String,
    pub data: String,
    pub shard_id: String,
    pub sequence_number: String,
}

/// Puts `(partition key, payload)` pairs in batches of up to 500, in order; returns where
/// each landed. Panics if the emulator rejects any entry.
pub async fn put(client: &aws_sdk_kinesis::Client, stream: &str, records: &[(String, String)]) -> Vec<Sent> {
    let mut sent = Vec::with_capacity(records.len());
    for batch in records.chunks(500) {
        let entries = batch
            .iter()
            .map(|(key, data)| {
                PutRecordsRequestEntry::builder()
                    .partition_key(key)
                    .data(Blob::new(data.as_bytes()))
                    .build()
                    .expect("entry")
            })
            .collect();
        let out = client
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await
            .expect("put records");
        assert_eq!(out.failed_record_count, Some(0), "the emulator rejected records");
        for ((key, data), result) in batch.iter().zip(out.records) {
            sent.push(Sent {
                partition_key: key.clone(),
                data: data.clone(),
                shard_id: result.shard_id.expect("shard id"),
                sequence_number: result.sequence_number.expect("sequence number"),
            });
        }
    }
    sent
}

/// `count` records labelled `label-0`, `label-1`, … spread over 37 partition keys.
pub fn numbered(label: &str, count: usize) -> Vec<(String, String)> {
    (0..count).map(|i| (format!("key-{}", i % 37), format!("{label}-{i}"))).collect()
}

/// The kinspect binary with a clean AWS environment: fixed test credentials and region,
/// no shared config files, no instance metadata.
pub fn kinspect() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kinspect"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("AWS_CONFIG_FILE", "/nonexistent/kinspect-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/kinspect-test-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "test-key")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .env("AWS_REGION", REGION)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Runs kinspect to completion, failing the test if it takes longer than `limit`.
pub async fn run(command: Command, limit: Duration) -> Output {
    finish(start(command), limit).await
}

/// `kinspect --endpoint-url ENDPOINT tail STREAM ARGS…`
pub fn tail(endpoint: &str, stream: &str, args: &[&str]) -> Command {
    let mut command = kinspect();
    command.args(["--endpoint-url", endpoint, "tail", stream]).args(args);
    command
}

/// Starts a command in the background with stdout and stderr captured.
pub fn start(mut command: Command) -> Child {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command.spawn().expect("start kinspect")
}

/// Waits for a command started with [`start`], failing the test after `limit`.
pub async fn finish(child: Child, limit: Duration) -> Output {
    match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(output) => output.expect("kinspect output"),
        Err(_) => panic!("kinspect did not finish within {limit:?}"),
    }
}

/// The records of a successful `tail --format jsonl` run.
pub fn tailed_ok(output: &Output) -> Vec<Tailed> {
    assert!(output.status.success(), "tail failed: {}", stderr(output));
    parse_jsonl(output)
}

/// Puts `batches` batches of `size` numbered records, pausing between them, the way
/// live traffic arrives while a reader runs.
pub async fn put_over_time(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    batches: usize,
    size: usize,
    pause: Duration,
) -> Vec<Sent> {
    let mut sent = Vec::new();
    for batch in 0..batches {
        sent.extend(put(client, stream, &numbered(&format!("b{batch}"), size)).await);
        tokio::time::sleep(pause).await;
    }
    sent
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A record as `tail --format jsonl` printed it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tailed {
    pub partition_key: String,
    pub data: String,
    pub shard_id: String,
    pub sequence_number: String,
}

pub fn parse_jsonl(output: &Output) -> Vec<Tailed> {
    String::from_utf8(output.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(|line| {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON line {line:?}: {e}"));
            Tailed {
                partition_key: v["partition_key"].as_str().expect("partition_key").to_string(),
                data: v["text"].as_str().expect("text").to_string(),
                shard_id: v["shard_id"].as_str().expect("shard_id").to_string(),
                sequence_number: v["sequence_number"].as_str().expect("sequence_number").to_string(),
            }
        })
        .collect()
}

/// Asserts that `tailed` holds exactly the `expected` records (payload, key, shard and
/// sequence number), none twice, each shard's records in sequence order.
pub fn assert_exactly_once_in_order(tailed: &[Tailed], expected: &[Sent]) {
    let mut seen = HashSet::new();
    let duplicates: Vec<&Tailed> = tailed.iter().filter(|t| !seen.insert((*t).clone())).collect();
    assert!(duplicates.is_empty(), "{} records came twice, e.g. {:?}", duplicates.len(), duplicates.first());

    let got: BTreeMap<&str, &Tailed> = tailed.iter().map(|t| (t.data.as_str(), t)).collect();
    let missing: Vec<&Sent> = expected.iter().filter(|s| !got.contains_key(s.data.as_str())).collect();
    assert!(missing.is_empty(), "{} records missing, e.g. {:?}", missing.len(), missing.first());
    let want: HashSet<&str> = expected.iter().map(|s| s.data.as_str()).collect();
    let extra: Vec<&Tailed> = tailed.iter().filter(|t| !want.contains(t.data.as_str())).collect();
    assert!(extra.is_empty(), "{} unexpected records, e.g. {:?}", extra.len(), extra.first());

    for sent in expected {
        let t = got[sent.data.as_str()];
        assert_eq!(
            (&t.partition_key, &t.shard_id, &t.sequence_number),
            (&sent.partition_key, &sent.shard_id, &sent.sequence_number),
            "record {} differs",
            sent.data
        );
    }
    let mut last_by_shard: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for t in tailed {
        let seq = sequence_key(&t.sequence_number);
        if let Some(previous) = last_by_shard.insert(t.shard_id.as_str(), seq) {
            assert!(seq > previous, "shard {} out of order at {}", t.shard_id, t.data);
        }
    }
}

/// Sequence numbers are decimal strings of up to 56 digits: ordering by (length, text) is
/// numeric ordering without big integers.
pub fn sequence_key(seq: &str) -> (usize, &str) {
    (seq.len(), seq)
}
