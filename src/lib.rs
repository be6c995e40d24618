//! kinspect: a terminal UI and command-line tool for Amazon Kinesis Data Streams and
//! Amazon Data Firehose. The binary is a thin shell over this library, which the
//! integration tests and benchmarks use too.

pub mod app;
pub mod aws;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod record;
pub mod ui;
