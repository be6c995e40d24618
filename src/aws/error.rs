//! Typed errors for calls to AWS: the readers, the gauges and the exit codes need to tell
//! throttling, expired iterators, missing resources and transient faults apart.

use std::error::Error as StdError;
use std::fmt::Debug;

use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("throttled ({0})")]
    Throttled(String),
    #[error("shard iterator expired")]
    ExpiredIterator,
    #[error("not found: {0}")]
    NotFound(String),
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// ResourceInUseException: busy for now (a fan-out subscription renewed within five
    /// seconds, a stream being updated); the same call later succeeds.
    #[error("in use ({0})")]
    InUse(String),
    /// The request never got an answer: connection refused, reset or timed out.
    #[error("cannot reach the endpoint: {0}")]
    Unreachable(String),
    /// The service answered with a fault worth retrying (5xx, InternalFailure, ServiceUnavailable).
    #[error("service error: {0}")]
    Transient(String),
    #[error("{0}")]
    Other(String),
}

impl ApiError {
    /// Whether repeating the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ApiError::Throttled(_) | ApiError::Unreachable(_) | ApiError::Transient(_) | ApiError::InUse(_)
        )
    }

    pub fn from_sdk<E>(err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        match &err {
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let e = service.err();
                classify_service_error(e.code(), e.message(), status)
            }
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                ApiError::Unreachable(root_cause(&err))
            }
            // A response arrived but could not be read: a connection cut mid-body or a bare
            // 5xx page from a proxy. Both are worth another try.
            SdkError::ResponseError(response) => {
                let status = response.raw().status().as_u16();
                if (400..500).contains(&status) {
                    ApiError::Other(root_cause(&err))
                } else {
                    ApiError::Transient(root_cause(&err))
                }
            }
            _ => ApiError::Other(root_cause(&err)),
        }
    }
}

const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "LimitExceededException",
    "KMSThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
];

const TRANSIENT_CODES: &[&str] = &[
    "InternalFailure",
    "InternalFailureException",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
];

pub fn classify_service_error(code: Option<&str>, message: Option<&str>, status: u16) -> ApiError {
    let code_text = code.unwrap_or("UnknownError");
    let described = match message {
        Some(m) if !m.is_empty() => format!("{code_text}: {m}"),
        _ => code_text.to_string(),
    };
    match code {
        Some("ExpiredIteratorException") => ApiError::ExpiredIterator,
        Some("ResourceNotFoundException") => ApiError::NotFound(message.unwrap_or(code_text).to_string()),
        Some("ResourceInUseException") => ApiError::InUse(described),
        Some(c) if c.starts_with("AccessDenied") || c == "UnrecognizedClientException" => {
            ApiError::AccessDenied(described)
        }
        Some(c) if THROTTLING_CODES.contains(&c) => ApiError::Throttled(c.to_string()),
        Some(c) if TRANSIENT_CODES.contains(&c) => ApiError::Transient(described),
        _ if status >= 500 => ApiError::Transient(format!("HTTP {status}: {described}")),
        _ => ApiError::Other(described),
    }
}

/// The innermost message of an error chain: "Connection refused (os error 111)" says more
/// than the SDK's outer "dispatch failure".
pub fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut deepest: &(dyn StdError + 'static) = err;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    let text = deepest.to_string();
    if text.is_empty() {
        err.to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_exceeded_is_throttling() {
        let e = classify_service_error(
            Some("ProvisionedThroughputExceededException"),
            Some("Rate exceeded"),
            400,
        );
        assert_eq!(e, ApiError::Throttled("ProvisionedThroughputExceededException".into()));
        assert!(e.is_retryable());
    }

    #[test]
    fn expired_iterator_is_its_own_kind() {
        let e = classify_service_error(Some("ExpiredIteratorException"), None, 400);
        assert_eq!(e, ApiError::ExpiredIterator);
        assert!(!e.is_retryable(), "an expired iterator needs a new iterator, not a retry");
    }

    #[test]
    fn bare_server_errors_are_transient() {
        assert!(classify_service_error(None, None, 500).is_retryable());
        assert!(classify_service_error(Some("InternalFailure"), None, 500).is_retryable());
        assert!(classify_service_error(Some("ServiceUnavailable"), Some("busy"), 503).is_retryable());
    }

    #[test]
    fn a_resource_in_use_is_worth_waiting_for() {
        let e = classify_service_error(Some("ResourceInUseException"), Some("busy"), 400);
        assert_eq!(e, ApiError::InUse("ResourceInUseException: busy".into()));
        assert!(e.is_retryable());
    }

    #[test]
    fn client_errors_are_final() {
        let e = classify_service_error(Some("AccessDeniedException"), Some("no"), 400);
        assert!(matches!(e, ApiError::AccessDenied(_)));
        assert!(!e.is_retryable());
        let e = classify_service_error(Some("ResourceNotFoundException"), Some("Stream x not found"), 400);
        assert_eq!(e, ApiError::NotFound("Stream x not found".into()));
        let e = classify_service_error(Some("InvalidArgumentException"), Some("bad"), 400);
        assert_eq!(e, ApiError::Other("InvalidArgumentException: bad".into()));
    }
}
