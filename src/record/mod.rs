//! The record type every part of kinspect shares, and its output formats.

pub mod jsonl;

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// One record as read from a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub shard_id: Arc<str>,
    pub sequence_number: String,
    /// Set only for user records taken out of a KPL-aggregated record.
    pub sub_sequence_number: Option<u64>,
    pub partition_key: String,
    pub arrival: Option<DateTime<Utc>>,
    pub kms_encrypted: bool,
    pub data: Vec<u8>,
}
