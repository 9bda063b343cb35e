//! `bootstrap`: the one Lambda binary. Every activity's function deploys this same
//! executable; the function's handler (`_HANDLER`, set by CDK to the activity name)
//! chooses the activity.
//!
//! Init stays minimal for cold start: logging, the (lazy) shared services, the registry.
//! It must not call AWS here — SDK clients are created on first use by `Aws`.

use std::process::ExitCode;

use stepwise_runtime::{Services, lambda, logging};

#[tokio::main]
async fn main() -> ExitCode {
    logging::init();
    match lambda::serve(stepwise_lambda::all(), Services::shared()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "bootstrap failed");
            ExitCode::FAILURE
        }
    }
}
