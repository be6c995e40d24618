//! `kinspect [STREAM]`: set up everything that can fail with a plain error first, then
//! hand the terminal to the run loop, and restore it however the loop ends.

use ratatui::layout::Rect;
use tokio::signal::unix::{signal, SignalKind};

use super::setup_error;
use crate::app::run::{run_loop, terminal_events, Osc52, TerminalGuard};
use crate::app::state::{AppState, StreamInfo};
use crate::aws::config::{Aws, AwsOptions, StreamRef};
use crate::aws::position::StartPosition;
use crate::aws::reader::{KinesisShards, Lineage, ReaderOptions, StreamReader};
use crate::aws::shards::list_shards;
use crate::cli::OpenArgs;
use crate::error::AppError;

pub async fn run(aws_options: &AwsOptions, args: OpenArgs) -> Result<(), AppError> {
    let Some(name) = args.stream else {
        return Err(AppError::usage("name a stream to open: kinspect STREAM (see `kinspect ls`)"));
    };
    let stream = StreamRef::parse(&name)?;
    let from = args.from.unwrap_or(StartPosition::Latest);
    if from.needs_single_shard() {
        return Err(AppError::usage("the TUI reads every shard: use trim-horizon, latest or at-timestamp"));
    }
    let aws = Aws::load(aws_options, Some(&stream)).await?;
    let shards =
        list_shards(&aws.kinesis(), &stream).await.map_err(|e| setup_error(e, &aws, Some(&stream)))?;
    let lineage = Lineage::plan(&shards, &[], &from).map_err(AppError::usage)?;
    let reader = StreamReader::start(
        KinesisShards::new(aws.kinesis_for_readers(), stream.clone()),
        lineage,
        ReaderOptions::default(),
    );
    let info = StreamInfo {
        name: stream.name().to_string(),
        target: aws.describe_target(),
        mode: "polling".into(),
        from: from.to_string(),
    };
    let (width, height) = crossterm::terminal::size().unwrap_or((120, 40));
    let mut state = AppState::new(info, &shards, args.max_memory, Rect::new(0, 0, width, height));

    let mut terminate = signal(SignalKind::terminate()).map_err(|e| AppError::failure(e.to_string()))?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| AppError::failure(e.to_string()))?;
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| AppError::failure(e.to_string()))?;
    let mut guard =
        TerminalGuard::enter().map_err(|e| AppError::failure(format!("cannot use the terminal: {e}")))?;
    let mut clipboard = Osc52;
    let result = tokio::select! {
        result = run_loop(&mut guard.terminal, &mut state, terminal_events(), Some(reader), &mut clipboard) => result,
        _ = terminate.recv() => Ok(()),
        _ = interrupt.recv() => Ok(()),
        _ = hangup.recv() => Ok(()),
    };
    drop(guard);
    result.map_err(|e| AppError::failure(format!("terminal error: {e}")))
}
