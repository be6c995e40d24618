//! `kinspect [STREAM]`: set up everything that can fail with a plain error first, then
//! hand the terminal to the picker (without STREAM) and the run loop, and restore it
//! however they end — quit, error, panic or signal.

use futures_util::StreamExt;
use ratatui::layout::Rect;

use super::{reading, setup_error, shutdown_signals};
use crate::app::keymap::{action_for, Action};
use crate::app::picker::{Entry, Picked, PickerState};
use crate::app::run::{run_loop, run_picker, terminal_events, Osc52, TerminalGuard};
use crate::app::state::{AppState, ConsumerOnExit, Event, StreamInfo};
use crate::aws::catalog;
use crate::aws::config::{Aws, AwsOptions, StreamRef};
use crate::aws::consumer::{self, Consumer};
use crate::aws::position::StartPosition;
use crate::aws::putter::AwsPutter;
use crate::aws::reader::Lineage;
use crate::aws::shards::list_shards;
use crate::cli::OpenArgs;
use crate::error::AppError;

pub async fn run(aws_options: &AwsOptions, args: OpenArgs, read_only: bool) -> Result<(), AppError> {
    let named = args.stream.as_deref().map(StreamRef::parse).transpose()?;
    if args.from.as_ref().is_some_and(StartPosition::needs_single_shard) {
        return Err(AppError::usage("the TUI reads every shard: use trim-horizon, latest or at-timestamp"));
    }
    let aws = Aws::load(aws_options, named.as_ref()).await?;
    let picker = match named {
        Some(_) => None,
        None => {
            Some(PickerState::new(list_everything(&aws).await?, aws.describe_target(), args.from.clone()))
        }
    };

    let shutdown = shutdown_signals()?;
    let mut guard =
        TerminalGuard::enter().map_err(|e| AppError::failure(format!("cannot use the terminal: {e}")))?;
    let cleanup_asked = args.fan_out.efo_cleanup;
    // Set by the session once a fan-out consumer is ready, so a signal can still clean up.
    let mut consumer: Option<Consumer> = None;
    let result = tokio::select! {
        result = session(&mut guard, &aws, named, args, picker, read_only, &mut consumer) => result,
        _ = shutdown => Ok(cleanup_asked),
    };
    drop(guard);
    match (result, consumer) {
        (Ok(true), Some(consumer)) => {
            reading::clean_up(&aws, &consumer).await?;
            eprintln!("kinspect: deregistered fan-out consumer '{}'", consumer.name);
            Ok(())
        }
        (result, _) => result.map(|_| ()),
    }
}

/// Everything that happens on the alternate screen. Returns whether to deregister the
/// fan-out consumer (left in `consumer`) now that it has ended.
async fn session(
    guard: &mut TerminalGuard,
    aws: &Aws,
    named: Option<StreamRef>,
    args: OpenArgs,
    picker: Option<PickerState>,
    read_only: bool,
    consumer: &mut Option<Consumer>,
) -> Result<bool, AppError> {
    let terminal_error = |e: std::io::Error| AppError::failure(format!("terminal error: {e}"));
    let mut inputs = terminal_events();
    let (stream, from) = match (named, picker) {
        (Some(stream), _) => (stream, args.from.unwrap_or(StartPosition::Latest)),
        (None, Some(mut picker)) => {
            match run_picker(&mut guard.terminal, &mut picker, &mut inputs).await.map_err(terminal_error)? {
                Picked::Open { stream, from } => (StreamRef::Name(stream), from),
                Picked::Quit => return Ok(false),
            }
        }
        (None, None) => return Ok(false),
    };
    let shards =
        list_shards(&aws.kinesis(), &stream).await.map_err(|e| setup_error(e, aws, Some(&stream)))?;
    let lineage = Lineage::plan(&shards, &[], &from).map_err(AppError::usage)?;
    if args.fan_out.efo {
        let name = args.fan_out.consumer.clone().unwrap_or_else(consumer::default_name);
        let waiting = format!(
            "Registering fan-out consumer '{name}' for {} and waiting until it is ACTIVE… (q cancels)",
            stream.name()
        );
        guard.terminal.draw(|frame| crate::ui::notice(frame, &waiting)).map_err(terminal_error)?;
        // Registration can take a while: the keyboard still answers.
        let preparing = reading::prepare_consumer(aws, &stream, &args.fan_out, read_only);
        tokio::pin!(preparing);
        let prepared = loop {
            tokio::select! {
                prepared = &mut preparing => break prepared?,
                Some(event) = inputs.next() => if cancels(&event) {
                    return Ok(false);
                },
            }
        };
        *consumer = Some(prepared);
    }
    let reader = reading::start_reader(aws, &stream, lineage, consumer.as_ref(), &args.fan_out, false);
    let info = StreamInfo {
        name: stream.name().to_string(),
        target: aws.describe_target(),
        mode: if consumer.is_some() { "fan-out" } else { "polling" }.into(),
        from: from.to_string(),
        consumer: consumer.clone(),
    };
    let size =
        guard.terminal.size().map(|s| Rect::new(0, 0, s.width, s.height)).unwrap_or(Rect::new(0, 0, 120, 40));
    let mut state = AppState::new(info, &shards, args.max_memory, size);
    state.read_only = read_only;
    state.consumer_on_exit = match (args.fan_out.efo_cleanup, read_only) {
        (true, _) => ConsumerOnExit::Deregister,
        // Deregistering is a write: nothing to ask.
        (false, true) => ConsumerOnExit::Keep,
        (false, false) => ConsumerOnExit::Ask,
    };
    let putter = (!read_only).then(|| AwsPutter { kinesis: aws.kinesis(), firehose: aws.firehose() });
    let mut clipboard = Osc52;
    run_loop(&mut guard.terminal, &mut state, inputs, Some(reader), &mut clipboard, putter)
        .await
        .map_err(terminal_error)?;
    Ok(state.consumer_on_exit == ConsumerOnExit::Deregister)
}

/// Quit (`q`, `Ctrl-C`) or back (`Esc`) while kinspect waits before the inspector opens.
fn cancels(event: &Event) -> bool {
    matches!(event, Event::Key(key) if matches!(action_for(*key), Some(Action::Quit | Action::Back)))
}

/// Data streams and delivery streams for the picker; one service failing is shown as an
/// empty section, both failing is a setup error.
async fn list_everything(aws: &Aws) -> Result<Vec<Entry>, AppError> {
    let (kinesis, firehose) = (aws.kinesis(), aws.firehose());
    let (streams, deliveries) =
        tokio::join!(catalog::data_streams(&kinesis), catalog::delivery_streams(&firehose));
    if let (Err(e), Err(_)) = (&streams, &deliveries) {
        return Err(setup_error(e.clone(), aws, None));
    }
    let mut entries: Vec<Entry> = streams.unwrap_or_default().into_iter().map(Entry::DataStream).collect();
    entries.extend(deliveries.unwrap_or_default().into_iter().map(Entry::DeliveryStream));
    Ok(entries)
}
