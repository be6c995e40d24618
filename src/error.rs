//! The one error type that reaches `main`: a message for stderr and an exit status.

/// Exit status for bad usage, bad input, or a setup problem found before any work started.
pub const EXIT_USAGE: i32 = 2;
/// Exit status for a failure while working (some records not read or not sent).
pub const EXIT_FAILURE: i32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub exit_code: i32,
    pub message: String,
}

impl AppError {
    pub fn usage(message: impl Into<String>) -> Self {
        AppError { exit_code: EXIT_USAGE, message: message.into() }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        AppError { exit_code: EXIT_FAILURE, message: message.into() }
    }
}
