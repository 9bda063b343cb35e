//! `stepwise token --tenant T`: a JWT of the local issuer for `stepwise serve
//! --jobs-api`, signed with the local key (created when missing; see
//! `stepwise_jobs_api::jwt` for where it lives).

use std::path::PathBuf;
use std::process::ExitCode;

use stepwise_jobs_api::jwt::{LocalKey, key_path};

use super::CliError;
use crate::output;

/// The flags of `stepwise token`.
#[derive(Debug, clap::Args)]
pub struct TokenFlags {
    /// The tenant the token acts for.
    #[arg(long, value_name = "TENANT")]
    pub tenant: String,
    /// The key file [env: STEPWISE_JOBS_KEY; default .stepwise/jobs-api.key].
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The claim that carries the tenant.
    #[arg(long, value_name = "CLAIM", default_value = stepwise_jobs_api::openapi::DEFAULT_TENANT_CLAIM)]
    pub tenant_claim: String,
    /// How long the token is valid, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub ttl: i64,
}

/// Prints the token on stdout.
pub fn run(flags: TokenFlags) -> Result<ExitCode, CliError> {
    if flags.tenant.trim().is_empty() || flags.tenant.contains('/') {
        return Err(CliError::Usage(
            "--tenant must be a tenant id (not empty, no \"/\")".into(),
        ));
    }
    if flags.ttl <= 0 {
        return Err(CliError::Usage("--ttl must be above 0".into()));
    }
    let key = LocalKey::load_or_create(&key_path(flags.key))
        .map_err(|e| CliError::Message(e.to_string()))?;
    let token = key
        .token_for(&flags.tenant, &flags.tenant_claim, flags.ttl)
        .map_err(|e| CliError::Message(e.to_string()))?;
    output::outln(&token)?;
    Ok(ExitCode::SUCCESS)
}
