//! `bootstrap`: the one Lambda binary. Every activity's function deploys this same
//! executable; the function's handler (`_HANDLER`, set by CDK to the activity name)
//! chooses the activity. Two handlers are no activity: `JobStatus` serves the jobs API's
//! GET (`stepwise_jobs_api::function`), `JwtAuthorizer` its Lambda authorizer
//! (`stepwise_jobs_api::authorizer`).
//!
//! Init stays minimal for cold start: logging, the (lazy) shared services, the registry.
//! It must not call AWS here — SDK clients are created on first use by `Aws`.

use std::process::ExitCode;

use stepwise_runtime::{Services, lambda, logging};

#[tokio::main]
async fn main() -> ExitCode {
    logging::init();
    if std::env::var(lambda::HANDLER_ENV)
        .is_ok_and(|h| h.trim() == stepwise_jobs_api::function::HANDLER)
    {
        // Boxed: the two servers' futures inline would overflow the layout query depth.
        return match Box::pin(stepwise_jobs_api::function::serve()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "the status function failed");
                ExitCode::FAILURE
            }
        };
    }
    if std::env::var(lambda::HANDLER_ENV)
        .is_ok_and(|h| h.trim() == stepwise_jobs_api::authorizer::HANDLER)
    {
        return match Box::pin(stepwise_jobs_api::authorizer::serve()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "the authorizer failed");
                ExitCode::FAILURE
            }
        };
    }
    match lambda::serve(stepwise_lambda::all(), Services::shared()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "bootstrap failed");
            ExitCode::FAILURE
        }
    }
}
