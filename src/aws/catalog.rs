//! What exists in the account: data streams and Firehose delivery streams (`ls`, the picker).

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::error::ApiError;

/// Describe calls in flight at once: DescribeStreamSummary allows 20 per second per account.
const DESCRIBE_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataStreamSummary {
    pub name: String,
    /// `None` when the stream could not be described (deleted meanwhile, no permission).
    pub details: Option<DataStreamDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataStreamDetails {
    pub status: String,
    pub mode: String,
    pub open_shards: i32,
    pub retention_hours: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStreamSummary {
    pub name: String,
    pub details: Option<DeliveryStreamDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStreamDetails {
    pub status: String,
    pub source: String,
    pub destination: String,
}

pub async fn data_streams(client: &aws_sdk_kinesis::Client) -> Result<Vec<DataStreamSummary>, ApiError> {
    let mut names = Vec::new();
    let mut request = client.list_streams();
    loop {
        let page = request.send().await.map_err(ApiError::from_sdk)?;
        let last = page.stream_names.last().cloned();
        let more = page.has_more_streams && last.is_some();
        names.extend(page.stream_names);
        if !more {
            break;
        }
        // Newer services page with a token, older ones by the last name seen.
        request = match page.next_token.filter(|t| !t.is_empty()) {
            Some(token) => client.list_streams().next_token(token),
            None => client.list_streams().set_exclusive_start_stream_name(last),
        };
    }
    let summaries = describe_all(names, client.clone(), |client, name| async move {
        let summary = client
            .describe_stream_summary()
            .stream_name(&name)
            .send()
            .await
            .ok()
            .and_then(|out| out.stream_description_summary);
        DataStreamSummary {
            name,
            details: summary.map(|s| DataStreamDetails {
                status: s.stream_status.as_str().to_string(),
                mode: s
                    .stream_mode_details
                    .map(|m| m.stream_mode.as_str().to_string())
                    .unwrap_or_else(|| "PROVISIONED".into()),
                open_shards: s.open_shard_count,
                retention_hours: s.retention_period_hours,
            }),
        }
    })
    .await;
    Ok(summaries)
}

pub async fn delivery_streams(
    client: &aws_sdk_firehose::Client,
) -> Result<Vec<DeliveryStreamSummary>, ApiError> {
    let mut names: Vec<String> = Vec::new();
    loop {
        let page = client
            .list_delivery_streams()
            .set_exclusive_start_delivery_stream_name(names.last().cloned())
            .send()
            .await
            .map_err(ApiError::from_sdk)?;
        let got = page.delivery_stream_names.len();
        names.extend(page.delivery_stream_names);
        if !page.has_more_delivery_streams || got == 0 {
            break;
        }
    }
    let summaries = describe_all(names, client.clone(), |client, name| async move {
        let description = client
            .describe_delivery_stream()
            .delivery_stream_name(&name)
            .send()
            .await
            .ok()
            .and_then(|out| out.delivery_stream_description);
        DeliveryStreamSummary {
            name,
            details: description.map(|d| DeliveryStreamDetails {
                status: d.delivery_stream_status.as_str().to_string(),
                source: d.delivery_stream_type.as_str().to_string(),
                destination: d.destinations.first().map(destination_kind).unwrap_or("none").to_string(),
            }),
        }
    })
    .await;
    Ok(summaries)
}

fn destination_kind(d: &aws_sdk_firehose::types::DestinationDescription) -> &'static str {
    if d.extended_s3_destination_description.is_some() {
        "S3"
    } else if d.redshift_destination_description.is_some() {
        "Redshift"
    } else if d.amazonopensearchservice_destination_description.is_some()
        || d.amazon_open_search_serverless_destination_description.is_some()
        || d.elasticsearch_destination_description.is_some()
    {
        "OpenSearch"
    } else if d.splunk_destination_description.is_some() {
        "Splunk"
    } else if d.http_endpoint_destination_description.is_some() {
        "HTTP endpoint"
    } else if d.snowflake_destination_description.is_some() {
        "Snowflake"
    } else if d.iceberg_destination_description.is_some() {
        "Iceberg"
    } else if d.s3_destination_description.is_some() {
        "S3"
    } else {
        "other"
    }
}

/// Runs `describe` for every name with bounded concurrency, keeping the listing's order.
async fn describe_all<C, T, F, Fut>(names: Vec<String>, client: C, describe: F) -> Vec<T>
where
    C: Clone + Send + 'static,
    T: Send + 'static,
    F: Fn(C, String) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(DESCRIBE_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for (index, name) in names.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        let work = describe(client.clone(), name);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (index, work.await)
        });
    }
    let mut results: Vec<(usize, T)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(result) = joined {
            results.push(result);
        }
    }
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, summary)| summary).collect()
}
