//! The record type every part of kinspect shares, and its output formats.

pub mod decode;
pub mod input;
pub mod jsonl;
pub mod store;

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// One record as read from a shard.
///
/// Kept compact because the TUI buffers up to its memory budget of them: the sequence
/// number (as a binary integer: 24 bytes instead of 56 digits), the partition key and the
/// payload share one allocation, and optional fields use sentinels instead of `Option`'s
/// padding.
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
    /// The sequence number is stored as decimal text rather than as an integer.
    sequence_is_text: bool,
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
        let binary = decimal_to_binary(sequence_number);
        let sequence = match &binary {
            Some(bytes) => &bytes[..],
            None => truncate_to_char_boundary(sequence_number, u16::MAX as usize).as_bytes(),
        };
        let key = truncate_to_char_boundary(partition_key, u16::MAX as usize);
        let mut bytes = Vec::with_capacity(sequence.len() + key.len() + data.len());
        bytes.extend_from_slice(sequence);
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
            sequence_is_text: binary.is_none(),
        }
    }

    pub fn with_kms_encryption(mut self, encrypted: bool) -> Self {
        self.kms_encrypted = encrypted;
        self
    }

    pub fn shard_id(&self) -> &Arc<str> {
        &self.shard_id
    }

    pub fn sequence_number(&self) -> Cow<'_, str> {
        let stored = &self.bytes[..self.sequence_len as usize];
        if self.sequence_is_text {
            Cow::Borrowed(self.text_at(0, stored.len()))
        } else {
            Cow::Owned(binary_to_decimal(stored))
        }
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

/// Limbs of the fixed-width integer sequence numbers are kept in: 192 bits hold the 56
/// digits Kinesis uses today with room to spare.
const SEQUENCE_LIMBS: usize = 3;

/// A canonical decimal number (no leading zero) that fits 192 bits, as big-endian bytes
/// without leading zero bytes; anything else stays text.
fn decimal_to_binary(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() > 57 || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    let mut limbs = [0u64; SEQUENCE_LIMBS]; // little-endian
    for digit in text.bytes() {
        if !digit.is_ascii_digit() {
            return None;
        }
        let mut carry = u128::from(digit - b'0');
        for limb in &mut limbs {
            let value = u128::from(*limb) * 10 + carry;
            *limb = value as u64;
            carry = value >> 64;
        }
        if carry != 0 {
            return None;
        }
    }
    let bytes: Vec<u8> = limbs.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len() - 1);
    Some(bytes[first..].to_vec())
}

fn binary_to_decimal(bytes: &[u8]) -> String {
    let mut limbs = [0u64; SEQUENCE_LIMBS];
    for (i, byte) in bytes.iter().rev().enumerate().take(SEQUENCE_LIMBS * 8) {
        limbs[i / 8] |= u64::from(*byte) << (8 * (i % 8));
    }
    // Divide by 10^19 repeatedly; each remainder is 19 decimal digits.
    const CHUNK: u128 = 10_000_000_000_000_000_000;
    let mut chunks = Vec::new();
    while limbs.iter().any(|l| *l != 0) {
        let mut remainder = 0u128;
        for limb in limbs.iter_mut().rev() {
            let value = (remainder << 64) | u128::from(*limb);
            *limb = (value / CHUNK) as u64;
            remainder = value % CHUNK;
        }
        chunks.push(remainder as u64);
    }
    match chunks.split_last() {
        None => "0".to_string(),
        Some((most, rest)) => {
            let mut text = most.to_string();
            for chunk in rest.iter().rev() {
                text.push_str(&format!("{chunk:019}"));
            }
            text
        }
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
        assert!(record.memory_size() <= std::mem::size_of::<Record>() + 2 + 4 + 8);
    }

    #[test]
    fn sequence_numbers_round_trip_through_their_binary_form() {
        for seq in [
            "0",
            "7",
            "18446744073709551616",
            "49680449034134488327360933317630574233816796138836066306",
            "999999999999999999999999999999999999999999999999999999999",
        ] {
            let record = Record::new("s".into(), seq, "k", b"", None);
            assert_eq!(record.sequence_number(), seq);
        }
        let kinesis = Record::new(
            "s".into(),
            "49680449034134488327360933317630574233816796138836066306",
            "k",
            b"x",
            None,
        );
        assert!(kinesis.memory_size() <= std::mem::size_of::<Record>() + 24 + 1 + 1);
        for text in ["0042", "12a", "", "9999999999999999999999999999999999999999999999999999999999"] {
            assert_eq!(Record::new("s".into(), text, "k", b"", None).sequence_number(), text, "kept as text");
        }
    }

    #[test]
    fn the_record_header_stays_small() {
        assert!(std::mem::size_of::<Record>() <= 56, "{}", std::mem::size_of::<Record>());
    }
}
