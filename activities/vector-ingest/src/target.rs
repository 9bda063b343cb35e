//! Where vectors go: the vector bucket and index names as the workflow passes them,
//! checked before any call.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_runtime::ActivityError;

/// The logical name of the job progress table the deployment declares
/// (`${VectorProgressTableName}`).
pub const PROGRESS_TABLE: &str = "vector-progress";
/// The logical name of the sales index the deployment declares
/// (`${SalesEmbeddingsVectorBucketName}`, `${SalesEmbeddingsIndexName}`).
pub const SALES_INDEX: &str = "sales-embeddings";

/// A vector index in a vector bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VectorTarget {
    /// The vector bucket's name (3 to 63 characters: lowercase letters, digits, hyphens).
    pub vector_bucket: String,
    /// The index's name (3 to 63 characters: lowercase letters, digits, hyphens, dots).
    pub index: String,
}

impl VectorTarget {
    /// Checks both names against S3 Vectors' naming rules, naming the field that breaks
    /// them (`field` is the input field holding this target, e.g. `"target"`).
    ///
    /// # Errors
    /// `InvalidInput` naming the field and the rule.
    pub fn check(&self, field: &str) -> Result<(), ActivityError> {
        check_name(
            &format!("{field}.vector_bucket"),
            &self.vector_bucket,
            false,
        )?;
        check_name(&format!("{field}.index"), &self.index, true)
    }
}

/// A vector bucket or index name: 3 to 63 characters of lowercase letters, digits and
/// hyphens (and dots for an index), starting and ending with a letter or digit.
fn check_name(field: &str, name: &str, dots: bool) -> Result<(), ActivityError> {
    let allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (dots && c == '.');
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&name.len())
        && name.chars().all(allowed)
        && edge(name.chars().next())
        && edge(name.chars().last());
    if ok {
        Ok(())
    } else {
        let extra = if dots { ", dots" } else { "" };
        Err(ActivityError::invalid_input(format!(
            "input field \"{field}\": \"{name}\" is not a valid name (3 to 63 lowercase letters, digits, hyphens{extra}; starting and ending with a letter or digit)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(bucket: &str, index: &str) -> VectorTarget {
        VectorTarget {
            vector_bucket: bucket.into(),
            index: index.into(),
        }
    }

    #[test]
    fn valid_names_pass() {
        assert!(target("sales-vectors", "sales.v1").check("target").is_ok());
    }

    #[test]
    fn bad_names_name_the_field() {
        let err = target("Sales", "ok-index").check("target").unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(
            err.cause.contains("\"target.vector_bucket\""),
            "{}",
            err.cause
        );
        let err = target("sales", "ix").check("target").unwrap_err();
        assert!(err.cause.contains("\"target.index\""), "{}", err.cause);
        assert!(target("sales.v", "index").check("t").is_err());
        assert!(target("sales-", "index").check("t").is_err());
    }
}
