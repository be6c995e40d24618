//! The commands: headless `tail`, `put` and `ls`, and the terminal UI, on one engine.

pub mod ls;
pub mod put;
pub mod reading;
pub mod tail;
pub mod tui;

use crate::aws::config::{Aws, StreamRef};
use crate::aws::error::ApiError;
use crate::error::AppError;

/// Resolves on the first SIGINT, SIGTERM or SIGHUP. Installed before it is awaited, so a
/// signal arriving in between is not lost.
pub fn shutdown_signals() -> Result<impl std::future::Future<Output = ()>, AppError> {
    use tokio::signal::unix::{signal, SignalKind};
    let watch = |kind| signal(kind).map_err(|e| AppError::failure(format!("cannot watch signals: {e}")));
    let (mut int, mut term, mut hup) =
        (watch(SignalKind::interrupt())?, watch(SignalKind::terminate())?, watch(SignalKind::hangup())?);
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    })
}

/// An error from a call made before any work started: exit 2 with a line that says what to fix.
pub fn setup_error(error: ApiError, aws: &Aws, stream: Option<&StreamRef>) -> AppError {
    let target = aws.describe_target();
    let message = match (&error, stream) {
        (ApiError::NotFound(_), Some(stream)) => {
            format!("stream '{}' not found ({target})", stream.name())
        }
        (ApiError::Unreachable(cause), _) => format!("cannot reach {target}: {cause}"),
        (ApiError::AccessDenied(why), _) => format!("access denied ({target}): {why}"),
        _ => format!("{error} ({target})"),
    };
    AppError::usage(message)
}
