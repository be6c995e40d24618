//! The record type every part of kinspect shares, and its output formats.

pub mod decode;
pub mod jsonl;
pub mod store;

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// One record as read from a shard.
///
/// Kept compact because the TUI buffers up to its memory budget of them: the sequence
/// number, the partition key and the payload share one allocation, and optional fields use
/// sentinels instead of `Option`'s padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    shard_id: Arc<str>,
    /// sequence number ++ partition key ++ payload
    bytes: Box<[u8]>,
    arrival_millis: i64,
    sub_sequence_number: u64,
    sequence_len: u16,
    key_len: u16,
    kms_encrypted: bool,
}

const NO_ARRIVAL: i64 = i64::MIN;
const NO_SUB_SEQUENCE: u64 = u64::MAX;

impl Record {
    pub fn new(
        shard_id: Arc<str>,
        sequence_number: &str,
        partition_key: &str,
        data: &[u8],
        arrival: Option<DateTime<Utc>>,
    ) -> Self {
        // The service caps sequence numbers at 128 characters and partition keys at 256;
        // anything longer is cut rather than trusted to fit the length fields.
        let sequence = truncate_to_char_boundary(sequence_number, u16::MAX as usize);
        let key = truncate_to_char_boundary(partition_key, u16::MAX as usize);
        let mut bytes = Vec::with_capacity(sequence.len() + key.len() + data.len());
        bytes.extend_from_slice(sequence.as_bytes());
        bytes.extend_from_slice(key.as_bytes());
        bytes.extend_from_slice(data);
        Record {
            shard_id,
            bytes: bytes.into_boxed_slice(),
            arrival_millis: arrival.map_or(NO_ARRIVAL, |t| t.timestamp_millis()),
            sub_sequence_number: NO_SUB_SEQUENCE,
            sequence_len: sequence.len() as u16,
            key_len: key.len() as u16,
            kms_encrypted: false,
        }
    }

    pub fn with_kms_encryption(mut self, encrypted: bool) -> Self {
        self.kms_encrypted = encrypted;
        self
    }

    pub fn shard_id(&self) -> &Arc<str> {
        &self.shard_id
    }

    pub fn sequence_number(&self) -> &str {
        self.text_at(0, self.sequence_len as usize)
    }

    pub fn partition_key(&self) -> &str {
        self.text_at(self.sequence_len as usize, self.key_len as usize)
    }

    pub fn data(&self) -> &[u8] {
        &self.bytes[self.sequence_len as usize + self.key_len as usize..]
    }

    pub fn arrival(&self) -> Option<DateTime<Utc>> {
        match self.arrival_millis {
            NO_ARRIVAL => None,
            millis => DateTime::from_timestamp_millis(millis),
        }
    }

    /// Arrival time as milliseconds since the epoch, without building a date.
    pub fn arrival_millis(&self) -> Option<i64> {
        (self.arrival_millis != NO_ARRIVAL).then_some(self.arrival_millis)
    }

    /// Set only for user records taken out of a KPL-aggregated record.
    pub fn sub_sequence_number(&self) -> Option<u64> {
        (self.sub_sequence_number != NO_SUB_SEQUENCE).then_some(self.sub_sequence_number)
    }

    pub fn kms_encrypted(&self) -> bool {
        self.kms_encrypted
    }

    /// Bytes this record occupies in memory, allocation included.
    pub fn memory_size(&self) -> usize {
        std::mem::size_of::<Self>() + self.bytes.len()
    }

    fn text_at(&self, start: usize, len: usize) -> &str {
        // Both parts were copied from `&str`s cut at character boundaries.
        std::str::from_utf8(&self.bytes[start..start + len]).unwrap_or_default()
    }
}

fn truncate_to_char_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_come_back_as_given() {
        let arrival = DateTime::from_timestamp_millis(1_767_355_200_123);
        let record = Record::new("shardId-000000000001".into(), "4968", "clé", b"\x00payload", arrival)
            .with_kms_encryption(true);
        assert_eq!(&**record.shard_id(), "shardId-000000000001");
        assert_eq!(record.sequence_number(), "4968");
        assert_eq!(record.partition_key(), "clé");
        assert_eq!(record.data(), b"\x00payload");
        assert_eq!(record.arrival(), arrival);
        assert_eq!(record.sub_sequence_number(), None);
        assert!(record.kms_encrypted());
        assert!(record.memory_size() <= std::mem::size_of::<Record>() + 4 + 4 + 8);
    }

    #[test]
    fn the_record_header_stays_small() {
        assert!(std::mem::size_of::<Record>() <= 56, "{}", std::mem::size_of::<Record>());
    }
}
