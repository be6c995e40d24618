//! Everything that talks to AWS: configuration, discovery, the readers.

pub mod catalog;
pub mod config;
pub mod consumer;
pub mod error;
pub mod position;
pub mod putter;
pub mod reader;
pub mod shards;
