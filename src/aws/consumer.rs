//! The registered consumer enhanced fan-out reads as: found or registered, waited for until
//! ACTIVE, and deregistered when the user asks.

use std::time::Duration;

use aws_sdk_kinesis::types::ConsumerStatus;
use aws_sdk_kinesis::Client;

use crate::aws::config::StreamRef;
use crate::aws::error::ApiError;

/// Kinesis allows this many registered consumers per stream.
pub const MAX_CONSUMERS_PER_STREAM: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    pub name: String,
    pub arn: String,
    /// Registered by this run, rather than found ACTIVE.
    pub registered_now: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsumerError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(
        "stream '{stream}' already has {count} registered consumers, the most Kinesis allows: \
         deregister one, or read as one of them with --consumer NAME"
    )]
    LimitReached { stream: String, count: usize },
    #[error("consumer '{name}' did not become ACTIVE within {}s", waited.as_secs())]
    NotActive { name: String, waited: Duration },
    #[error(
        "consumer '{name}' is not registered on stream '{stream}', and --read-only forbids \
         registering it: register it, name an existing one with --consumer, or drop --read-only"
    )]
    MayNotRegister { name: String, stream: String },
}

/// How often to look at a consumer that is being created or deleted, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    pub poll: Duration,
    pub limit: Duration,
}

impl Default for Patience {
    fn default() -> Self {
        // Registration takes seconds to tens of seconds; DescribeStreamConsumer allows 20
        // calls a second per account, so once a second is polite.
        Patience { poll: Duration::from_secs(1), limit: Duration::from_secs(180) }
    }
}

/// `kinspect-USER-HOST`: the same on every run from one place, so restarts reuse the
/// consumer instead of registering another of the twenty a stream may have.
pub fn default_name() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "user".into());
    name_for(&user, &host_name().unwrap_or_else(|| "host".into()))
}

/// A consumer name from a user and a host: only the characters Kinesis accepts
/// (`[a-zA-Z0-9_.-]`), at most 128 of them.
fn name_for(user: &str, host: &str) -> String {
    let host = host.split('.').next().unwrap_or(host);
    let raw = format!("kinspect-{user}-{host}");
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') { c } else { '_' })
        .take(128)
        .collect()
}

#[cfg(unix)]
fn host_name() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length, and gethostname writes at most that.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return None;
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    let name = String::from_utf8_lossy(&buffer[..end]).into_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(not(unix))]
fn host_name() -> Option<String> {
    std::env::var("COMPUTERNAME").ok()
}

/// The stream's ARN, which the consumer calls need.
pub async fn stream_arn(client: &Client, stream: &StreamRef) -> Result<String, ApiError> {
    if let Some(arn) = stream.arn() {
        return Ok(arn.to_string());
    }
    let summary = client
        .describe_stream_summary()
        .stream_name(stream.name())
        .send()
        .await
        .map_err(ApiError::from_sdk)?;
    summary
        .stream_description_summary
        .map(|s| s.stream_arn)
        .ok_or_else(|| ApiError::Other(format!("no description returned for stream '{}'", stream.name())))
}

/// Finds the consumer `name` of the stream or, when `may_register`, registers it; waits
/// until it is ACTIVE. A consumer being deleted (a previous run cleaning up) is waited out
/// and registered anew.
pub async fn register_or_reuse(
    client: &Client,
    stream: &StreamRef,
    stream_arn: &str,
    name: &str,
    may_register: bool,
    patience: Patience,
) -> Result<Consumer, ConsumerError> {
    let started = tokio::time::Instant::now();
    let mut registered_now = false;
    loop {
        let described =
            client.describe_stream_consumer().stream_arn(stream_arn).consumer_name(name).send().await;
        match described.map_err(ApiError::from_sdk) {
            Ok(output) => {
                if let Some(consumer) = output.consumer_description {
                    if consumer.consumer_status == ConsumerStatus::Active {
                        return Ok(Consumer {
                            name: consumer.consumer_name,
                            arn: consumer.consumer_arn,
                            registered_now,
                        });
                    }
                }
            }
            Err(ApiError::NotFound(_)) if !may_register => {
                let (name, stream) = (name.to_string(), stream.name().to_string());
                return Err(ConsumerError::MayNotRegister { name, stream });
            }
            Err(ApiError::NotFound(_)) => {
                let registered =
                    client.register_stream_consumer().stream_arn(stream_arn).consumer_name(name).send().await;
                match registered.map_err(ApiError::from_sdk) {
                    Ok(_) => registered_now = true,
                    // Registered by someone else meanwhile: look again.
                    Err(ApiError::InUse(_)) => {}
                    Err(ApiError::Throttled(code)) if code == "LimitExceededException" => {
                        let count = count_consumers(client, stream_arn).await?;
                        if count >= MAX_CONSUMERS_PER_STREAM {
                            return Err(ConsumerError::LimitReached {
                                stream: stream.name().to_string(),
                                count,
                            });
                        }
                        // Otherwise it was the per-account call rate: try again shortly.
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) if e.is_retryable() => {}
            Err(e) => return Err(e.into()),
        }
        if started.elapsed() >= patience.limit {
            return Err(ConsumerError::NotActive { name: name.to_string(), waited: patience.limit });
        }
        tokio::time::sleep(patience.poll).await;
    }
}

async fn count_consumers(client: &Client, stream_arn: &str) -> Result<usize, ApiError> {
    let mut count = 0;
    let mut next_token = None;
    loop {
        let request = client.list_stream_consumers().stream_arn(stream_arn).set_next_token(next_token);
        let page = request.send().await.map_err(ApiError::from_sdk)?;
        count += page.consumers.map_or(0, |c| c.len());
        next_token = page.next_token;
        if next_token.is_none() {
            return Ok(count);
        }
    }
}

/// Deregisters the consumer; Kinesis finishes deleting it in the background.
pub async fn deregister(client: &Client, consumer: &Consumer) -> Result<(), ApiError> {
    client
        .deregister_stream_consumer()
        .consumer_arn(&consumer.arn)
        .send()
        .await
        .map_err(ApiError::from_sdk)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_hold_only_what_kinesis_accepts() {
        assert_eq!(name_for("alice", "build-07.example.com"), "kinspect-alice-build-07");
        assert_eq!(name_for("j doe", "höst"), "kinspect-j_doe-h_st");
        assert_eq!(name_for(&"u".repeat(200), "h").len(), 128);
    }

    #[test]
    fn the_default_name_is_stable() {
        assert_eq!(default_name(), default_name());
        assert!(default_name().starts_with("kinspect-"));
    }
}
