//! The jobs API on the local server: creates the group-images state machine on
//! `stepwise serve` (the deployment's placeholders filled in with the local table and
//! config parameter) once the server answers, and builds the routes, whose StartExecution goes to that server
//! through the Step Functions SDK client, as it would to AWS.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use axum::Router;
use stepwise_serve::arn::Account;
use stepwise_serve::{ServeError, Server};
use tokio::task::JoinHandle;

use crate::jwt::LocalKey;
use crate::limit::{Limit, Limiter};
use crate::openapi::DEFAULT_TENANT_CLAIM;
use crate::records::JobStore;
use crate::routes::{JobsApi, router};

/// Where the local jobs API keeps and finds things.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// The jobs table.
    pub table: String,
    /// The bucket of the results (the group-images config's `bucket`).
    pub bucket: String,
    /// The SSM parameter of the group-images config.
    pub config_parameter: String,
    /// The issuer's key.
    pub key: LocalKey,
    /// The claim carrying the tenant.
    pub tenant_claim: String,
    /// The per-tenant request limit.
    pub limit: Limit,
    /// How long a presigned result URL lasts.
    pub presign_ttl: Duration,
}

impl LocalOptions {
    /// Options with the defaults for the rest.
    pub fn new(table: &str, bucket: &str, config_parameter: &str, key: LocalKey) -> LocalOptions {
        LocalOptions {
            table: table.into(),
            bucket: bucket.into(),
            config_parameter: config_parameter.into(),
            key,
            tenant_claim: DEFAULT_TENANT_CLAIM.into(),
            limit: Limit::default(),
            presign_ttl: Duration::from_secs(900),
        }
    }
}

/// Why the jobs API could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The workflow does not build.
    #[error("the group-images workflow does not build: {0}")]
    Build(String),
    /// CreateStateMachine failed.
    #[error("cannot create the group-images state machine: {0}")]
    Create(String),
}

/// The definition substitutions of the local deployment.
pub fn substitutions(options: &LocalOptions) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("JobsTableName".to_string(), options.table.clone()),
        (
            "GroupImagesConfigParameterName".to_string(),
            options.config_parameter.clone(),
        ),
    ])
}

/// A Step Functions client for the server at `endpoint`.
pub fn sfn_client(sdk: &SdkConfig, endpoint: &str) -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::from_conf(
        aws_sdk_sfn::config::Builder::from(sdk)
            .endpoint_url(endpoint)
            .build(),
    )
}

/// The routes and the API state for the server at `endpoint` whose ARNs are `account`'s;
/// `sdk` reaches DynamoDB and S3 (moto server locally). Create the state machine with
/// [`create_state_machine`] once the server answers.
pub fn jobs_routes(
    sdk: &SdkConfig,
    endpoint: &str,
    account: &Account,
    options: &LocalOptions,
) -> (Router, Arc<JobsApi>) {
    let api = Arc::new(JobsApi {
        store: JobStore {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(sdk)
                    .force_path_style(true)
                    .build(),
            ),
            table: options.table.clone(),
            bucket: options.bucket.clone(),
            presign_ttl: options.presign_ttl,
        },
        sfn: sfn_client(sdk, endpoint),
        state_machine_arn: account.state_machine(statemachines::group_images::NAME),
        verifier: options.key.verifier(&options.tenant_claim),
        limiter: Limiter::new(options.limit),
    });
    (router(api.clone()), api)
}

/// Creates the group-images state machine (placeholders filled in for `options`) through
/// `api`'s Step Functions client; the server must be answering.
pub async fn create_state_machine(api: &JobsApi, options: &LocalOptions) -> Result<(), LocalError> {
    let built = statemachines::group_images::workflow()
        .build()
        .map_err(|e| LocalError::Build(e.to_string()))?;
    let mut definition: serde_json::Value = serde_json::from_str(&built.machine.to_pretty_json())
        .map_err(|e| LocalError::Build(e.to_string()))?;
    sfn_local::substitutions::apply(&mut definition, &substitutions(options));
    let created = api
        .sfn
        .create_state_machine()
        .name(statemachines::group_images::NAME)
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/stepwise-local")
        .send()
        .await
        .map_err(|e| LocalError::Create(aws_sdk_sfn::error::DisplayErrorContext(&e).to_string()))?;
    if created.state_machine_arn != api.state_machine_arn {
        return Err(LocalError::Create(format!(
            "the server named it {}, not {}",
            created.state_machine_arn, api.state_machine_arn
        )));
    }
    Ok(())
}

/// Runs `server` with the jobs routes and creates the state machine on it; the server
/// goes on in the returned task.
pub async fn serve_with_jobs(
    server: Server,
    sdk: &SdkConfig,
    account: &Account,
    options: LocalOptions,
) -> Result<(Arc<JobsApi>, JoinHandle<Result<(), ServeError>>), LocalError> {
    let (routes, api) = jobs_routes(sdk, &server.endpoint(), account, &options);
    let running = tokio::spawn(server.run_with(routes));
    create_state_machine(&api, &options).await?;
    Ok((api, running))
}
