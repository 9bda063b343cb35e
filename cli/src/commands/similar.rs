//! `stepwise similar`: the nearest neighbours of one sale's vector in an S3 Vectors index,
//! through the `SimilarProducts` activity (the same code a workflow runs), against the
//! S3 Vectors endpoint of the standard environment (`AWS_ENDPOINT_URL_S3VECTORS` for a
//! local one). Prints the activity's output JSON.

use std::process::ExitCode;

use serde_json::json;
use stepwise_runtime::{Context, Services};

use super::CliError;
use crate::output;

/// The flags of `stepwise similar`.
#[derive(Debug, clap::Args)]
pub struct SimilarFlags {
    /// The vector bucket.
    #[arg(long, value_name = "NAME")]
    pub vector_bucket: String,
    /// The index.
    #[arg(long, value_name = "NAME")]
    pub index: String,
    /// The sale whose neighbours to find (its vector's key).
    #[arg(long, value_name = "SALE_ID")]
    pub sale: String,
    /// Only this tenant's sales.
    #[arg(long, value_name = "TENANT_ID")]
    pub tenant: Option<String>,
    /// How many neighbours (1 to 99).
    #[arg(long, value_name = "K", default_value_t = 10)]
    pub top_k: u32,
}

/// Runs the query and prints the neighbours.
pub fn run(flags: SimilarFlags) -> Result<ExitCode, CliError> {
    let mut input = json!({
        "target": {"vector_bucket": flags.vector_bucket, "index": flags.index},
        "sale_id": flags.sale,
        "top_k": flags.top_k,
    });
    if let Some(tenant) = flags.tenant {
        input["tenant_id"] = json!(tenant);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(async {
        let ctx = Context::new(Services::shared());
        stepwise_lambda::all()
            .invoke("SimilarProducts", input, &ctx)
            .await
    });
    match result {
        Ok(found) => {
            let text = serde_json::to_string_pretty(&found)
                .map_err(|e| CliError::Message(format!("encoding the result: {e}")))?;
            output::outln(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(CliError::Message(format!("{}: {}", e.name, e.cause))),
    }
}
