//! The jobs API on a local server for the tests, the benchmark and the demo: `stepwise
//! serve` in process (the real activities against the caller's services) with the jobs
//! routes, a local issuer key, and a small HTTP client for the routes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use serde_json::Value;
use stepwise_jobs_api::function::StatusFunction;
use stepwise_jobs_api::jwt::LocalKey;
use stepwise_jobs_api::limit::Limit;
use stepwise_jobs_api::local::{LocalOptions, serve_with_jobs, sfn_client};
use stepwise_jobs_api::openapi::DEFAULT_TENANT_CLAIM;
use stepwise_jobs_api::records::JobStore;
use stepwise_jobs_api::status::Executions;
use stepwise_runtime::Services;
use stepwise_serve::config::Config;
use stepwise_serve::{App, Server};

use crate::group_images_world::GroupImagesWorld;

/// Any failure of the scaffolding.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A running local server with the jobs API.
pub struct JobsServer {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The issuer's key the server verifies with.
    pub key: LocalKey,
    /// A Step Functions client of the server.
    pub sfn: aws_sdk_sfn::Client,
    /// The group-images state machine on it.
    pub state_machine_arn: String,
    http: reqwest::Client,
}

/// The API Gateway proxy event of `GET /group-images/{job}` for a caller whose verified
/// token carries `tenant` (a Cognito authorizer's claims).
pub fn status_event(tenant: &str, job: &str) -> Value {
    serde_json::json!({
        "resource": "/group-images/{jobId}",
        "httpMethod": "GET",
        "pathParameters": {"jobId": job},
        "requestContext": {"authorizer": {"claims": {DEFAULT_TENANT_CLAIM: tenant, "sub": "u-1"}}}
    })
}

/// The status code and JSON body of a proxy integration's response.
pub fn proxy_answer(response: &Value) -> Answer {
    Answer {
        status: response["statusCode"].as_u64().unwrap_or(0) as u16,
        body: response["body"]
            .as_str()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null),
    }
}

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body (Null when not JSON).
    pub body: Value,
}

impl JobsServer {
    /// Starts the server for `world` (seeded by the caller), the activities running
    /// against `services`, DynamoDB and S3 of the API through `sdk`.
    pub async fn start(
        sdk: &SdkConfig,
        services: Arc<Services>,
        world: &GroupImagesWorld,
        limit: Limit,
    ) -> Result<JobsServer, Error> {
        let config = Config {
            port: 0,
            virtual_time: true,
            ..Config::default()
        };
        let account = config.account.clone();
        let app = App::with_services(config, stepwise_lambda::all(), services)?;
        let server = Server::bind(app).await?;
        let endpoint = server.endpoint();
        let key = LocalKey::generate()?;
        let mut options =
            LocalOptions::new(&world.table, &world.bucket, &world.parameter, key.clone());
        options.limit = limit;
        let (api, _running) = serve_with_jobs(server, sdk, &account, options).await?;
        Ok(JobsServer {
            sfn: sfn_client(sdk, &endpoint),
            state_machine_arn: api.state_machine_arn.clone(),
            endpoint,
            key,
            http: reqwest::Client::new(),
        })
    }

    /// A token of the server's issuer for `tenant`, valid for an hour.
    pub fn token(&self, tenant: &str) -> Result<String, Error> {
        Ok(self.key.token_for(tenant, DEFAULT_TENANT_CLAIM, 3600)?)
    }

    /// `POST /group-images` with this token, Idempotency-Key and raw body.
    pub async fn post(
        &self,
        token: Option<&str>,
        idempotency_key: Option<&str>,
        body: &str,
    ) -> Result<Answer, Error> {
        let mut request = self
            .http
            .post(format!("{}/group-images", self.endpoint))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        answer(request.send().await?).await
    }

    /// `GET /group-images/{job}` with this token.
    pub async fn get(&self, token: Option<&str>, job: &str) -> Result<Answer, Error> {
        let mut request = self
            .http
            .get(format!("{}/group-images/{job}", self.endpoint));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        answer(request.send().await?).await
    }

    /// Polls the job until it is SUCCEEDED or FAILED (or `timeout` passes).
    pub async fn wait_done(
        &self,
        token: &str,
        job: &str,
        timeout: Duration,
    ) -> Result<Value, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            let answer = self.get(Some(token), job).await?;
            if answer.status != 200 {
                return Err(format!("GET {job}: {} {}", answer.status, answer.body).into());
            }
            let status = answer.body["status"].as_str().unwrap_or_default();
            if status == "SUCCEEDED" || status == "FAILED" {
                return Ok(answer.body);
            }
            if Instant::now() >= deadline {
                return Err(format!("job {job} still {status} after {timeout:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The executions of the group-images state machine.
    pub async fn executions(&self) -> Result<Vec<String>, Error> {
        let out = self
            .sfn
            .list_executions()
            .state_machine_arn(&self.state_machine_arn)
            .max_results(1000)
            .send()
            .await?;
        Ok(out
            .executions()
            .iter()
            .map(|e| e.name().to_string())
            .collect())
    }

    /// The status function (the GET in AWS) against `sdk` (moto server: the table and
    /// bucket of `world`, as the server reads them) and this server's executions, the
    /// tenant in the `custom:tenant` claim.
    pub fn status_function(&self, sdk: &SdkConfig, world: &GroupImagesWorld) -> StatusFunction {
        StatusFunction {
            store: JobStore {
                dynamodb: aws_sdk_dynamodb::Client::new(sdk),
                s3: aws_sdk_s3::Client::from_conf(
                    aws_sdk_s3::config::Builder::from(sdk)
                        .force_path_style(true)
                        .build(),
                ),
                table: world.table.clone(),
                bucket: world.bucket.clone(),
                presign_ttl: Duration::from_secs(900),
            },
            executions: Executions {
                sfn: self.sfn.clone(),
                state_machine_arn: self.state_machine_arn.clone(),
            },
            tenant_claim: DEFAULT_TENANT_CLAIM.into(),
        }
    }

    /// A GET of `url` (a presigned result URL) as JSON.
    pub async fn fetch_json(&self, url: &str) -> Result<Answer, Error> {
        answer(self.http.get(url).send().await?).await
    }
}

async fn answer(response: reqwest::Response) -> Result<Answer, Error> {
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    Ok(Answer {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    })
}
