//! Loading the AWS configuration once and building every client from it, so all shard
//! tasks share one credential provider and one identity cache.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_kinesis::config::ProvideCredentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::error::AppError;

/// The global command-line options that select an account, a region and an endpoint.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// A data stream named by the user, either by name or by ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamRef {
    Name(String),
    Arn { arn: String, name: String, region: String },
}

impl StreamRef {
    pub fn parse(input: &str) -> Result<Self, AppError> {
        if !input.starts_with("arn:") {
            if input.is_empty() {
                return Err(AppError::usage("the stream name is empty"));
            }
            return Ok(StreamRef::Name(input.to_string()));
        }
        // arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME
        let parts: Vec<&str> = input.splitn(6, ':').collect();
        match parts.as_slice() {
            [_, _, "kinesis", region, _, resource] if !region.is_empty() => {
                match resource.strip_prefix("stream/") {
                    Some(name) if !name.is_empty() && !name.contains('/') => Ok(StreamRef::Arn {
                        arn: input.to_string(),
                        name: name.to_string(),
                        region: region.to_string(),
                    }),
                    _ => Err(AppError::usage(format!("'{input}' is not a Kinesis data stream ARN"))),
                }
            }
            _ => Err(AppError::usage(format!("'{input}' is not a Kinesis data stream ARN"))),
        }
    }

    /// The stream's short name, for display and for the `stream` field of JSONL output.
    pub fn name(&self) -> &str {
        match self {
            StreamRef::Name(name) => name,
            StreamRef::Arn { name, .. } => name,
        }
    }

    pub fn arn(&self) -> Option<&str> {
        match self {
            StreamRef::Name(_) => None,
            StreamRef::Arn { arn, .. } => Some(arn),
        }
    }

    fn region(&self) -> Option<&str> {
        match self {
            StreamRef::Name(_) => None,
            StreamRef::Arn { region, .. } => Some(region),
        }
    }
}

/// Resolved configuration plus what the user should see of it in messages.
#[derive(Clone)]
pub struct Aws {
    pub sdk: SdkConfig,
}

impl Aws {
    /// Loads the standard configuration chain (environment, shared files, SSO, assume-role,
    /// IMDS), with the command line taking precedence. A stream ARN supplies the region when
    /// nothing else does. Credentials are resolved once here so that a missing or broken
    /// credential setup is one clear error before any reader starts.
    pub async fn load(opts: &AwsOptions, stream: Option<&StreamRef>) -> Result<Self, AppError> {
        let mut sdk = Self::load_with_region(opts, opts.region.clone()).await;
        if sdk.region().is_none() {
            if let Some(region) = stream.and_then(|s| s.region()) {
                sdk = Self::load_with_region(opts, Some(region.to_string())).await;
            }
        }
        if sdk.region().is_none() {
            return Err(AppError::usage(
                "no AWS region configured: pass --region, set AWS_REGION, or set one in your profile",
            ));
        }
        let Some(credentials) = sdk.credentials_provider() else {
            return Err(AppError::usage("no AWS credentials provider is configured"));
        };
        if let Err(e) = credentials.provide_credentials().await {
            return Err(AppError::usage(credentials_problem(&e)));
        }
        Ok(Aws { sdk })
    }

    async fn load_with_region(opts: &AwsOptions, region: Option<String>) -> SdkConfig {
        // Our own HTTP client: rustls with ring, which builds without aws-lc's C toolchain.
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).http_client(http_client).timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .build(),
            );
        if let Some(region) = region {
            loader = loader.region(Region::new(region));
        }
        if let Some(profile) = &opts.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        loader.load().await
    }

    pub fn region(&self) -> &str {
        self.sdk.region().map(|r| r.as_ref()).unwrap_or("")
    }

    /// A Kinesis client with the SDK's standard retries, for one-off calls.
    pub fn kinesis(&self) -> aws_sdk_kinesis::Client {
        aws_sdk_kinesis::Client::new(&self.sdk)
    }

    /// A Kinesis client for the shard readers. The SDK's own retries are off: every
    /// attempt must pass through the reader's pacing so that no shard sees more than five
    /// calls a second, and throttles must be counted, not hidden.
    pub fn kinesis_for_readers(&self) -> aws_sdk_kinesis::Client {
        let config =
            aws_sdk_kinesis::config::Builder::from(&self.sdk).retry_config(RetryConfig::disabled()).build();
        aws_sdk_kinesis::Client::from_conf(config)
    }

    pub fn firehose(&self) -> aws_sdk_firehose::Client {
        aws_sdk_firehose::Client::new(&self.sdk)
    }

    /// Where Kinesis requests go, for error messages: the endpoint override or the region.
    pub fn describe_target(&self) -> String {
        let endpoint = self
            .sdk
            .endpoint_url()
            .map(str::to_string)
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_KINESIS").ok());
        match endpoint {
            Some(url) => format!("{url}, region {}", self.region()),
            None => format!("region {}", self.region()),
        }
    }
}

/// One line on what is wrong with the credentials, never the credentials themselves.
fn credentials_problem(error: &CredentialsError) -> String {
    match error {
        CredentialsError::CredentialsNotLoaded(_) => {
            "no AWS credentials found (looked in environment variables, \
             shared config and credentials files, web identity, ECS and instance metadata)"
                .to_string()
        }
        other => {
            let cause = crate::aws::error::root_cause(other);
            format!("cannot load AWS credentials: {}", cause.split_whitespace().collect::<Vec<_>>().join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns() {
        assert_eq!(StreamRef::parse("orders").unwrap(), StreamRef::Name("orders".into()));
        let arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
        let parsed = StreamRef::parse(arn).unwrap();
        assert_eq!(parsed.name(), "orders");
        assert_eq!(parsed.arn(), Some(arn));
        assert_eq!(parsed.region(), Some("eu-west-1"));
    }

    #[test]
    fn other_arns_are_rejected() {
        assert!(StreamRef::parse("arn:aws:firehose:eu-west-1:123456789012:deliverystream/x").is_err());
        assert!(StreamRef::parse("arn:aws:kinesis:eu-west-1:123456789012:stream/").is_err());
        assert!(StreamRef::parse("arn:aws:kinesis").is_err());
        assert!(StreamRef::parse("").is_err());
    }
}
