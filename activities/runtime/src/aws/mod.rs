//! The AWS context: one `aws_config` load, each SDK client created once and reused
//! across warm invocations.
//!
//! Configuration comes from the standard environment (`AWS_REGION`, profiles,
//! credentials, `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`), so local services
//! and AWS are the same code path: point the endpoint variables at moto server and
//! nothing else changes. The SDK's own retries are off: throttling and transient faults
//! surface as `Throttled` / `Transient` and the state machine's Retry rules retry them.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use tokio::sync::OnceCell;

pub mod errors;

/// Lazily loaded AWS configuration and clients, shared by every invocation of a process.
#[derive(Debug, Default)]
pub struct Aws {
    preset: Option<SdkConfig>,
    config: OnceCell<SdkConfig>,
    ssm: OnceCell<aws_sdk_ssm::Client>,
    s3: OnceCell<aws_sdk_s3::Client>,
    dynamodb: OnceCell<aws_sdk_dynamodb::Client>,
    bedrock_runtime: OnceCell<aws_sdk_bedrockruntime::Client>,
    /// Where Bedrock Runtime requests go instead of the configured endpoint.
    bedrock_endpoint: Option<String>,
    /// Bedrock Runtime clients of regions other than the configuration's, by region.
    bedrock_regional: Mutex<HashMap<String, aws_sdk_bedrockruntime::Client>>,
    s3vectors: OnceCell<aws_sdk_s3vectors::Client>,
    /// Where S3 Vectors requests go instead of the configured endpoint.
    s3vectors_endpoint: Option<String>,
}

impl Aws {
    /// Loads the configuration from the standard environment on first use.
    pub fn from_env() -> Self {
        Self::default()
    }

    /// Uses `config` instead of loading one (tests, tools that already have one).
    pub fn with_config(config: SdkConfig) -> Self {
        Aws {
            preset: Some(config),
            ..Self::default()
        }
    }

    /// Sends Bedrock Runtime requests to `endpoint` (`http://127.0.0.1:PORT`) instead of
    /// the configured endpoint, keeping everything else: for tests and local runs that
    /// serve Bedrock apart from the other services. A process started with
    /// `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` gets the same from the standard environment.
    pub fn with_bedrock_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.bedrock_endpoint = Some(endpoint.into());
        self
    }

    /// Sends S3 Vectors requests to `endpoint` (`http://127.0.0.1:PORT`) instead of the
    /// configured endpoint, keeping everything else: for tests and local runs that serve
    /// S3 Vectors apart from the other services (a loopback S3 Vectors endpoint beside
    /// moto). A process started with `AWS_ENDPOINT_URL_S3VECTORS` gets the same from the
    /// standard environment.
    pub fn with_s3vectors_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.s3vectors_endpoint = Some(endpoint.into());
        self
    }

    /// The shared SDK configuration (loaded once).
    pub async fn config(&self) -> &SdkConfig {
        self.config
            .get_or_init(|| async {
                match &self.preset {
                    Some(config) => config.clone(),
                    // Retries belong to the state machine's Retry rules (with backoff and
                    // jitter the workflow declares), not to a hidden SDK loop.
                    None => {
                        aws_config::defaults(BehaviorVersion::latest())
                            .retry_config(RetryConfig::disabled())
                            .load()
                            .await
                    }
                }
            })
            .await
    }

    /// Whether an endpoint override is configured (local services): S3 then uses
    /// path-style addressing, which loopback endpoints need.
    async fn endpoint_overridden(&self) -> bool {
        self.config().await.endpoint_url().is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
    }

    /// The SSM client.
    pub async fn ssm(&self) -> &aws_sdk_ssm::Client {
        self.ssm
            .get_or_init(|| async { aws_sdk_ssm::Client::new(self.config().await) })
            .await
    }

    /// The S3 client.
    pub async fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3
            .get_or_init(|| async {
                let path_style = self.endpoint_overridden().await;
                let config = aws_sdk_s3::config::Builder::from(self.config().await)
                    .force_path_style(path_style)
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            })
            .await
    }

    /// The DynamoDB client.
    pub async fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        self.dynamodb
            .get_or_init(|| async { aws_sdk_dynamodb::Client::new(self.config().await) })
            .await
    }

    /// The Bedrock Runtime client.
    pub async fn bedrock_runtime(&self) -> &aws_sdk_bedrockruntime::Client {
        self.bedrock_runtime
            .get_or_init(|| async {
                aws_sdk_bedrockruntime::Client::from_conf(self.bedrock_config(None).await)
            })
            .await
    }

    /// The Amazon S3 Vectors client (with the endpoint override, when one is set).
    pub async fn s3vectors(&self) -> &aws_sdk_s3vectors::Client {
        self.s3vectors
            .get_or_init(|| async {
                let mut builder = aws_sdk_s3vectors::config::Builder::from(self.config().await);
                if let Some(endpoint) = &self.s3vectors_endpoint {
                    builder = builder.endpoint_url(endpoint);
                }
                aws_sdk_s3vectors::Client::from_conf(builder.build())
            })
            .await
    }

    /// The Bedrock Runtime client of `region`: the shared one when `region` is the
    /// configuration's, otherwise one created on first use and kept for the process
    /// (Bedrock models are not offered in every region the pipeline runs in).
    pub async fn bedrock_runtime_in(&self, region: &str) -> aws_sdk_bedrockruntime::Client {
        if self.config().await.region().map(Region::as_ref) == Some(region) {
            return self.bedrock_runtime().await.clone();
        }
        if let Some(client) = self.regional_clients().get(region) {
            return client.clone();
        }
        let client =
            aws_sdk_bedrockruntime::Client::from_conf(self.bedrock_config(Some(region)).await);
        self.regional_clients()
            .entry(region.to_string())
            .or_insert(client)
            .clone()
    }

    /// The Bedrock Runtime configuration: the shared one, with the endpoint override and
    /// `region` when given.
    async fn bedrock_config(&self, region: Option<&str>) -> aws_sdk_bedrockruntime::Config {
        let mut builder = aws_sdk_bedrockruntime::config::Builder::from(self.config().await);
        if let Some(endpoint) = &self.bedrock_endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        if let Some(region) = region {
            builder = builder.region(Region::new(region.to_string()));
        }
        builder.build()
    }

    /// The regional Bedrock Runtime clients (a poisoned lock still holds valid clients).
    fn regional_clients(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, aws_sdk_bedrockruntime::Client>> {
        self.bedrock_regional
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
