//! The status function: `GET /group-images/{jobId}` in AWS, a Lambda proxy integration
//! behind the API's authorizer. The Lambda artifact's `bootstrap` serves it when the
//! function's handler is [`HANDLER`]; it answers with [`crate::status::answer`], the
//! code the local server's route runs.
//!
//! The tenant comes from the authorizer's verified claims in the event's
//! `requestContext.authorizer` (a Cognito authorizer's `claims`, a Lambda authorizer's
//! context, or an HTTP API JWT authorizer's `jwt.claims`), never from a header or the
//! path. Configuration is the environment ([`StatusFunction::from_env`]); init makes no
//! AWS call.

use std::time::Duration;

use aws_config::SdkConfig;
use serde_json::{Value, json};

use crate::contract::{ApiError, DEFAULT_TENANT_CLAIM};
use crate::records::JobStore;
use crate::status::{self, Answer, Executions};

/// The function handler (`_HANDLER`) that makes `bootstrap` serve the status function.
pub const HANDLER: &str = "JobStatus";

/// The environment variable naming the jobs table.
pub const TABLE_ENV: &str = "JOBS_TABLE";
/// The environment variable naming the bucket of the results.
pub const BUCKET_ENV: &str = "RESULTS_BUCKET";
/// The environment variable holding the state machine the POST starts.
pub const STATE_MACHINE_ENV: &str = "STATE_MACHINE_ARN";
/// The environment variable naming the claim that carries the tenant.
pub const TENANT_CLAIM_ENV: &str = "TENANT_CLAIM";
/// The environment variable holding how many seconds a presigned result URL lasts.
pub const PRESIGN_ENV: &str = "PRESIGN_SECONDS";

/// The status function could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// A required environment variable is missing or invalid.
    #[error("environment variable {var}: {problem}")]
    Env {
        /// The variable.
        var: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The runtime failed talking to the Runtime API.
    #[error("Lambda runtime failed: {0}")]
    Runtime(String),
}

/// The status function's state: the clients and where things are.
#[derive(Debug, Clone)]
pub struct StatusFunction {
    /// The job records and results.
    pub store: JobStore,
    /// The executions (for a job whose record is not written yet).
    pub executions: Executions,
    /// The claim that carries the tenant.
    pub tenant_claim: String,
}

fn required(var: &'static str) -> Result<String, FunctionError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(FunctionError::Env {
            var,
            problem: "is not set".into(),
        }),
    }
}

impl StatusFunction {
    /// The function configured from the environment ([`TABLE_ENV`], [`BUCKET_ENV`],
    /// [`STATE_MACHINE_ENV`]; [`TENANT_CLAIM_ENV`] defaults to `custom:tenant`,
    /// [`PRESIGN_ENV`] to 900), its clients from `sdk`.
    pub fn from_env(sdk: &SdkConfig) -> Result<StatusFunction, FunctionError> {
        let presign = match std::env::var(PRESIGN_ENV) {
            Err(_) => 900,
            Ok(v) => match v.trim().parse::<u64>() {
                Ok(n) if (1..=604_800).contains(&n) => n,
                _ => {
                    return Err(FunctionError::Env {
                        var: PRESIGN_ENV,
                        problem: format!("\"{v}\" is not a number of seconds from 1 to 604800"),
                    });
                }
            },
        };
        Ok(StatusFunction {
            store: JobStore {
                dynamodb: aws_sdk_dynamodb::Client::new(sdk),
                s3: aws_sdk_s3::Client::new(sdk),
                table: required(TABLE_ENV)?,
                bucket: required(BUCKET_ENV)?,
                presign_ttl: Duration::from_secs(presign),
            },
            executions: Executions {
                sfn: aws_sdk_sfn::Client::new(sdk),
                state_machine_arn: required(STATE_MACHINE_ENV)?,
            },
            tenant_claim: std::env::var(TENANT_CLAIM_ENV)
                .ok()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_TENANT_CLAIM.to_string()),
        })
    }

    /// The tenant in the event's authorizer claims, if any.
    pub fn tenant(&self, event: &Value) -> Option<String> {
        let authorizer = event.pointer("/requestContext/authorizer")?;
        [
            authorizer.pointer("/claims"),
            authorizer.pointer("/jwt/claims"),
            Some(authorizer),
        ]
        .into_iter()
        .flatten()
        .find_map(|claims| claims.get(&self.tenant_claim)?.as_str())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
    }

    /// The answer to one API Gateway proxy event.
    pub async fn answer(&self, event: &Value) -> Answer {
        let Some(tenant) = self.tenant(event) else {
            return Answer::error(
                401,
                &ApiError::new(
                    "Unauthorized",
                    format!(
                        "the token has no \"{}\" claim: no tenant",
                        self.tenant_claim
                    ),
                ),
            );
        };
        let job = event
            .pointer("/pathParameters/jobId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        status::answer(&self.store, &self.executions, &tenant, job).await
    }

    /// One invocation: the proxy integration's response (`statusCode`, `headers`, `body`).
    pub async fn handle(&self, event: &Value) -> Value {
        let answer = self.answer(event).await;
        let mut headers = json!({"Content-Type": "application/json"});
        if answer.status == 401 {
            headers["WWW-Authenticate"] = json!("Bearer");
        }
        json!({
            "statusCode": answer.status,
            "headers": headers,
            "body": answer.body.to_string(),
        })
    }
}

/// Serves the status function under the Lambda Runtime API until it stops.
pub async fn serve() -> Result<(), FunctionError> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let function = std::sync::Arc::new(StatusFunction::from_env(&sdk)?);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| {
            let function = function.clone();
            async move { Ok::<Value, lambda_runtime::Error>(function.handle(&event.payload).await) }
        },
    ))
    .await
    .map_err(|e| FunctionError::Runtime(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(claim: &str) -> StatusFunction {
        let sdk = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        StatusFunction {
            store: JobStore {
                dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
                s3: aws_sdk_s3::Client::new(&sdk),
                table: "t".into(),
                bucket: "b".into(),
                presign_ttl: Duration::from_secs(60),
            },
            executions: Executions {
                sfn: aws_sdk_sfn::Client::new(&sdk),
                state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
            },
            tenant_claim: claim.into(),
        }
    }

    #[test]
    fn the_tenant_comes_from_the_authorizer_claims_and_never_a_header() {
        let f = function("custom:tenant");
        let cognito =
            json!({"requestContext": {"authorizer": {"claims": {"custom:tenant": "acme"}}}});
        let lambda_authorizer =
            json!({"requestContext": {"authorizer": {"custom:tenant": "acme"}}});
        let http_jwt = json!({"requestContext": {"authorizer": {"jwt": {"claims": {"custom:tenant": "acme"}}}}});
        for event in [cognito, lambda_authorizer, http_jwt] {
            assert_eq!(f.tenant(&event).as_deref(), Some("acme"), "{event}");
        }
        let header_only = json!({
            "headers": {"X-Tenant-ID": "acme", "custom:tenant": "acme"},
            "requestContext": {"authorizer": {"claims": {"sub": "u-1"}}}
        });
        assert_eq!(f.tenant(&header_only), None);
        let empty = json!({"requestContext": {"authorizer": {"claims": {"custom:tenant": " "}}}});
        assert_eq!(f.tenant(&empty), None);
    }

    #[tokio::test]
    async fn an_event_without_the_tenant_claim_is_401_and_calls_nothing() {
        let f = function("tenant");
        let out = f
            .handle(&json!({"pathParameters": {"jobId": "j"}, "requestContext": {}}))
            .await;
        assert_eq!(out["statusCode"], 401);
        let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["error"], "Unauthorized");
        assert!(body["message"].as_str().unwrap().contains("\"tenant\""));
    }
}
