//! Amazon S3 Vectors through the AWS SDK integration: `aws-sdk:s3vectors:putVectors`.

use super::{Arg, Params, literal_len_within};
use crate::builder::Task;

/// Most vectors in one PutVectors call.
pub const MAX_VECTORS: usize = 500;

/// Which vector index.
#[derive(Debug, Clone, PartialEq)]
pub enum Index {
    /// By vector bucket and index name.
    Named {
        /// The vector bucket.
        vector_bucket_name: Arg,
        /// The index.
        index_name: Arg,
    },
    /// By the index's ARN.
    Arn(Arg),
}

/// `PutVectors`.
#[derive(Debug, Clone, PartialEq)]
pub struct PutVectors {
    /// The index.
    pub index: Index,
    /// 1 to 500 vectors, `[{"Key": "...", "Data": {"Float32": [...]}, "Metadata": {...}}]`
    /// (usually a path to a batch an activity prepared).
    pub vectors: Arg,
}

impl PutVectors {
    /// Puts `vectors` into `index` of `vector_bucket`.
    pub fn new(
        vector_bucket: impl Into<Arg>,
        index: impl Into<Arg>,
        vectors: impl Into<Arg>,
    ) -> Self {
        PutVectors {
            index: Index::Named {
                vector_bucket_name: vector_bucket.into(),
                index_name: index.into(),
            },
            vectors: vectors.into(),
        }
    }
}

/// A Task that writes vectors (`arn:aws:states:::aws-sdk:s3vectors:putVectors`; the
/// result is `{}`). A key that exists is overwritten.
pub fn put_vectors(name: impl Into<String>, request: PutVectors) -> Task {
    let params = match &request.index {
        Index::Named {
            vector_bucket_name,
            index_name,
        } => Params::default()
            .arg("VectorBucketName", vector_bucket_name)
            .arg("IndexName", index_name),
        Index::Arn(arn) => Params::default().arg("IndexArn", arn),
    };
    let is_array = !matches!(request.vectors.literal(), Some(v) if !v.is_array());
    params
        .arg("Vectors", &request.vectors)
        .check(
            is_array && literal_len_within(&request.vectors, 1..=MAX_VECTORS),
            || format!("Parameters.Vectors: must be an array of 1 to {MAX_VECTORS} vectors"),
        )
        .task(name, "aws-sdk:s3vectors:putVectors")
}
