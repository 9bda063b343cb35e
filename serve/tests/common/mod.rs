//! What the `stepwise serve` SDK tests share: a server on a free port with every
//! activity, an `aws-sdk-sfn` client for it, and small helpers over that client.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sfn::Client;
use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use stepwise_serve::config::Config;
use stepwise_serve::{App, Server};

/// The SDK sends StartSyncExecution to `sync-<host>`, which does not resolve for
/// 127.0.0.1: this puts the host back (what boto3's `inject_host_prefix=False` does).
#[derive(Debug)]
struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri().replace("://sync-", "://");
        context.request_mut().set_uri(uri)?;
        Ok(())
    }
}

/// A server on a free port with every activity, and a client for it.
pub async fn server(config: Config) -> (Client, String) {
    let app = App::new(Config { port: 0, ..config }, stepwise_lambda::all()).expect("app");
    let server = Server::bind(app).await.expect("binds");
    let endpoint = server.endpoint();
    tokio::spawn(server.run());
    let sdk: SdkConfig = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "any",
            "signature",
            None,
            None,
            "test",
        )))
        .build();
    let config = aws_sdk_sfn::config::Builder::from(&sdk)
        .interceptor(NoHostPrefix)
        .build();
    (Client::from_conf(config), endpoint)
}

pub fn virtual_time() -> Config {
    Config {
        virtual_time: true,
        ..Config::default()
    }
}

pub async fn create(
    client: &Client,
    name: &str,
    definition: &str,
    kind: StateMachineType,
) -> String {
    client
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/test")
        .r#type(kind)
        .send()
        .await
        .expect("creates")
        .state_machine_arn
}

pub async fn wait_done(
    client: &Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    for _ in 0..500 {
        let d = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect("describes");
        if d.status != ExecutionStatus::Running {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{arn} still running after 10 s");
}

pub fn code<E: aws_sdk_sfn::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}
