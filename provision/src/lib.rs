//! `stepwise-provision`: creates the resources workflows declare
//! ([`codegen::resources::Resources`]: DynamoDB tables, SQS queues, S3 Vectors indexes)
//! on the endpoints of an AWS SDK configuration — moto server locally, an account if
//! pointed at one — and returns the definition substitutions that reach them
//! (`SalesHistoryTableName` → `stepwise-local-sales-history`, …), the map
//! `sfn_local::Options::substitutions` and `stepwise run --substitutions` take.
//!
//! Every call goes through the official SDK clients, so the same code path serves moto and
//! AWS. Provisioning is idempotent: a resource that exists is reused when it matches the
//! declaration (keys, dimension, distance) and is an error naming the difference when it
//! does not. In AWS the CDK stack creates these resources; this crate is for local runs
//! and tests.
//!
//! Names: a table or queue is `{prefix}-{name}`, every vector index lives in one vector
//! bucket `{prefix}-vectors` under its logical name.

mod error;
mod queues;
mod tables;
mod vectors;

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use codegen::placeholder::{Placeholder, PlaceholderKind};
use codegen::resources::Resources;

pub use error::ProvisionError;

/// The prefix `stepwise provision` uses when none is given.
pub const DEFAULT_PREFIX: &str = "stepwise-local";

/// The longest prefix: with a 40-character logical name it keeps queue names under SQS's
/// 80 characters and the vector bucket name under S3 Vectors' 63.
pub const PREFIX_MAX: usize = 24;

/// Creates (or reuses) every resource of `resources` with names starting `prefix`, and
/// returns each of their placeholders' names (the text inside `${…}`) with its value.
/// Add the deployment's own names a workflow needs (`ConfigParameterName`, …) to the
/// returned map yourself.
pub async fn provision(
    config: &SdkConfig,
    resources: &Resources,
    prefix: &str,
) -> Result<BTreeMap<String, String>, ProvisionError> {
    check_prefix(prefix)?;
    let mut out = BTreeMap::new();
    if !resources.tables.is_empty() {
        let client = aws_sdk_dynamodb::Client::new(config);
        for table in &resources.tables {
            let created = tables::ensure(&client, table, &physical(prefix, table.name)).await?;
            insert(
                &mut out,
                table.name,
                PlaceholderKind::TableName,
                created.name,
            );
            insert(&mut out, table.name, PlaceholderKind::TableArn, created.arn);
        }
    }
    if !resources.queues.is_empty() {
        let client = aws_sdk_sqs::Client::new(config);
        for queue in &resources.queues {
            let created = queues::ensure(&client, queue, &physical(prefix, queue.name)).await?;
            insert(&mut out, queue.name, PlaceholderKind::QueueUrl, created.url);
            insert(&mut out, queue.name, PlaceholderKind::QueueArn, created.arn);
        }
    }
    if !resources.vector_indexes.is_empty() {
        let client = aws_sdk_s3vectors::Client::new(config);
        let bucket = vector_bucket(prefix);
        vectors::ensure_bucket(&client, &bucket).await?;
        for index in &resources.vector_indexes {
            let created = vectors::ensure_index(&client, &bucket, index).await?;
            insert(
                &mut out,
                index.name,
                PlaceholderKind::VectorBucketName,
                bucket.clone(),
            );
            insert(
                &mut out,
                index.name,
                PlaceholderKind::IndexName,
                created.name,
            );
            insert(&mut out, index.name, PlaceholderKind::IndexArn, created.arn);
        }
    }
    Ok(out)
}

/// The deployed name of a table or queue: `{prefix}-{name}`.
pub fn physical(prefix: &str, name: &str) -> String {
    format!("{prefix}-{name}")
}

/// The vector bucket holding every index: `{prefix}-vectors`.
pub fn vector_bucket(prefix: &str) -> String {
    format!("{prefix}-vectors")
}

fn insert(
    out: &mut BTreeMap<String, String>,
    resource: &'static str,
    kind: PlaceholderKind,
    value: String,
) {
    out.insert(Placeholder::new(resource, kind).name(), value);
}

/// A prefix: lower-case letters, digits and single `-`, starting with a letter, at most
/// [`PREFIX_MAX`] characters (it starts table, queue and vector bucket names).
pub fn check_prefix(prefix: &str) -> Result<(), ProvisionError> {
    if codegen::resources::is_logical_name(prefix) && prefix.len() <= PREFIX_MAX {
        Ok(())
    } else {
        Err(ProvisionError::Prefix(prefix.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_checked_before_anything_is_created() {
        assert!(check_prefix("stepwise-local").is_ok());
        for bad in [
            "",
            "Dev",
            "dev_1",
            "-dev",
            "dev-",
            "a-very-long-prefix-over-24-chars",
        ] {
            let err = check_prefix(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("prefix \"{bad}\"")), "{err}");
        }
    }

    #[test]
    fn names_put_the_prefix_first() {
        assert_eq!(physical("dev", "sales-history"), "dev-sales-history");
        assert_eq!(vector_bucket("dev"), "dev-vectors");
    }
}
