//! Shard discovery: every shard of a stream with its lineage and key range.

use aws_sdk_kinesis::Client;

use super::config::StreamRef;
use super::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    pub shard_id: String,
    pub parent: Option<String>,
    pub adjacent_parent: Option<String>,
    pub starting_hash_key: String,
    pub ending_hash_key: String,
    pub starting_sequence_number: String,
    /// Present once the shard is closed by a split or a merge.
    pub ending_sequence_number: Option<String>,
}

impl ShardInfo {
    /// A shard for unit tests: its parents (one, or two for a merge) and whether it is open.
    #[cfg(test)]
    pub(crate) fn for_test(id: &str, parents: &[&str], open: bool) -> Self {
        ShardInfo {
            shard_id: id.into(),
            parent: parents.first().map(|p| p.to_string()),
            adjacent_parent: parents.get(1).map(|p| p.to_string()),
            starting_hash_key: "0".into(),
            ending_hash_key: "1".into(),
            starting_sequence_number: "1".into(),
            ending_sequence_number: (!open).then(|| "9".into()),
        }
    }

    pub fn is_open(&self) -> bool {
        self.ending_sequence_number.is_none()
    }

    pub fn parents(&self) -> impl Iterator<Item = &str> {
        self.parent.iter().chain(self.adjacent_parent.iter()).map(String::as_str)
    }
}

/// Lists every shard of the stream, open and closed, following NextToken to the end.
pub async fn list_shards(client: &Client, stream: &StreamRef) -> Result<Vec<ShardInfo>, ApiError> {
    list_shards_in_pages(client, stream, None).await
}

/// As [`list_shards`], asking for at most `page_size` shards per call.
pub async fn list_shards_in_pages(
    client: &Client,
    stream: &StreamRef,
    page_size: Option<i32>,
) -> Result<Vec<ShardInfo>, ApiError> {
    let mut shards = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        // The API rejects the stream name alongside a NextToken: the token already names it.
        let request = match next_token.take() {
            Some(token) => client.list_shards().next_token(token),
            None => match stream.arn() {
                Some(arn) => client.list_shards().stream_arn(arn),
                None => client.list_shards().stream_name(stream.name()),
            },
        };
        let page = request.set_max_results(page_size).send().await.map_err(ApiError::from_sdk)?;
        shards.extend(page.shards.unwrap_or_default().into_iter().map(from_sdk_shard));
        match page.next_token {
            Some(token) if !token.is_empty() => next_token = Some(token),
            _ => return Ok(shards),
        }
    }
}

fn from_sdk_shard(shard: aws_sdk_kinesis::types::Shard) -> ShardInfo {
    let hash = shard.hash_key_range;
    let sequence = shard.sequence_number_range;
    ShardInfo {
        shard_id: shard.shard_id,
        parent: shard.parent_shard_id,
        adjacent_parent: shard.adjacent_parent_shard_id,
        starting_hash_key: hash.as_ref().map(|h| h.starting_hash_key.clone()).unwrap_or_default(),
        ending_hash_key: hash.as_ref().map(|h| h.ending_hash_key.clone()).unwrap_or_default(),
        starting_sequence_number: sequence
            .as_ref()
            .map(|s| s.starting_sequence_number.clone())
            .unwrap_or_default(),
        ending_sequence_number: sequence.and_then(|s| s.ending_sequence_number),
    }
}
