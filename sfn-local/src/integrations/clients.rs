//! The SDK clients of the integrations, created once per [`super::ServiceTasks`] from the
//! run's `Services` configuration (DynamoDB, S3 and SSM reuse the services' own clients).

use std::sync::Arc;

use stepwise_runtime::Services;
use tokio::sync::OnceCell;

/// Lazily created clients.
pub struct Clients {
    services: Arc<Services>,
    sqs: OnceCell<aws_sdk_sqs::Client>,
    sns: OnceCell<aws_sdk_sns::Client>,
    eventbridge: OnceCell<aws_sdk_eventbridge::Client>,
    lambda: OnceCell<aws_sdk_lambda::Client>,
    sfn: OnceCell<aws_sdk_sfn::Client>,
    s3vectors: OnceCell<aws_sdk_s3vectors::Client>,
    /// The Lambda Invoke endpoint set in code, before the environment's.
    lambda_endpoint: Option<String>,
}

/// The Lambda endpoint variables, in the order they are read.
pub const LAMBDA_ENDPOINT_VARS: [&str; 2] = ["LAMBDA_ENDPOINT", "AWS_ENDPOINT_URL_LAMBDA"];

/// The Lambda Invoke endpoint the environment names, if any.
pub fn lambda_endpoint() -> Option<String> {
    LAMBDA_ENDPOINT_VARS
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
}

impl Clients {
    /// Clients on `services`' configuration.
    pub fn new(services: Arc<Services>) -> Self {
        Clients {
            services,
            sqs: OnceCell::new(),
            sns: OnceCell::new(),
            eventbridge: OnceCell::new(),
            lambda: OnceCell::new(),
            sfn: OnceCell::new(),
            s3vectors: OnceCell::new(),
            lambda_endpoint: None,
        }
    }

    /// Sends Lambda Invoke requests to `endpoint`, whatever the environment says.
    pub fn set_lambda_endpoint(&mut self, endpoint: String) {
        self.lambda_endpoint = Some(endpoint);
    }

    /// The Lambda Invoke endpoint: the one set in code, else `LAMBDA_ENDPOINT`, else
    /// `AWS_ENDPOINT_URL_LAMBDA`.
    pub fn lambda_endpoint(&self) -> Option<String> {
        self.lambda_endpoint.clone().or_else(lambda_endpoint)
    }

    /// DynamoDB.
    pub async fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        self.services.aws.dynamodb().await
    }

    /// S3 (path-style against local endpoints).
    pub async fn s3(&self) -> &aws_sdk_s3::Client {
        self.services.aws.s3().await
    }

    /// SSM.
    pub async fn ssm(&self) -> &aws_sdk_ssm::Client {
        self.services.aws.ssm().await
    }

    /// SQS.
    pub async fn sqs(&self) -> &aws_sdk_sqs::Client {
        self.sqs
            .get_or_init(|| async { aws_sdk_sqs::Client::new(self.services.aws.config().await) })
            .await
    }

    /// SNS.
    pub async fn sns(&self) -> &aws_sdk_sns::Client {
        self.sns
            .get_or_init(|| async { aws_sdk_sns::Client::new(self.services.aws.config().await) })
            .await
    }

    /// EventBridge.
    pub async fn eventbridge(&self) -> &aws_sdk_eventbridge::Client {
        self.eventbridge
            .get_or_init(|| async {
                aws_sdk_eventbridge::Client::new(self.services.aws.config().await)
            })
            .await
    }

    /// Lambda, on [`Clients::lambda_endpoint`] when there is one.
    pub async fn lambda(&self) -> &aws_sdk_lambda::Client {
        self.lambda
            .get_or_init(|| async {
                let mut builder =
                    aws_sdk_lambda::config::Builder::from(self.services.aws.config().await);
                if let Some(endpoint) = self.lambda_endpoint() {
                    builder = builder.endpoint_url(endpoint);
                }
                aws_sdk_lambda::Client::from_conf(builder.build())
            })
            .await
    }

    /// Step Functions.
    pub async fn sfn(&self) -> &aws_sdk_sfn::Client {
        self.sfn
            .get_or_init(|| async { aws_sdk_sfn::Client::new(self.services.aws.config().await) })
            .await
    }

    /// S3 Vectors.
    pub async fn s3vectors(&self) -> &aws_sdk_s3vectors::Client {
        self.s3vectors
            .get_or_init(|| async {
                aws_sdk_s3vectors::Client::new(self.services.aws.config().await)
            })
            .await
    }
}
