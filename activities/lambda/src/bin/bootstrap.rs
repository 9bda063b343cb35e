//! `bootstrap`: the one Lambda binary. Every activity's function deploys this same
//! executable; the function's handler (`_HANDLER`, set by CDK to the activity name)
//! chooses the activity. Two handlers are no activity: `JobStatus` serves the jobs API's
//! GET (`stepwise_jobs_api::function`), `JwtAuthorizer` its Lambda authorizer
//! (`stepwise_jobs_api::authorizer`).
//!
//! Init stays minimal for cold start: logging, the (lazy) shared services, the registry.
//! It must not call AWS here — SDK clients are created on first use by `Aws`.

use std::process::ExitCode;

use stepwise_jobs_api as jobs;
use stepwise_runtime::{Services, lambda, logging};

#[tokio::main]
async fn main() -> ExitCode {
    logging::init();
    let handler = std::env::var(lambda::HANDLER_ENV).unwrap_or_default();
    // Boxed: the servers' futures inline would overflow the layout query depth.
    let (what, served) = match handler.trim() {
        h if h == jobs::function::HANDLER => (
            "the status function",
            Box::pin(jobs::function::serve())
                .await
                .map_err(|e| e.to_string()),
        ),
        h if h == jobs::authorizer::HANDLER => (
            "the authorizer",
            Box::pin(jobs::authorizer::serve())
                .await
                .map_err(|e| e.to_string()),
        ),
        _ => (
            "bootstrap",
            lambda::serve(stepwise_lambda::all(), Services::shared())
                .await
                .map_err(|e| e.to_string()),
        ),
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "{what} failed");
            ExitCode::FAILURE
        }
    }
}
