//! Amazon S3 through the AWS SDK integration (`arn:aws:states:::aws-sdk:s3:*`):
//! `getObject` (the result's `Body` is the object as a string), `putObject`, `headObject`,
//! `listObjectsV2`, `deleteObject` and `copyObject`. A missing key raises
//! `S3.NoSuchKeyException`.

use super::{Arg, Params};
use crate::builder::Task;

/// `PutObject`.
#[derive(Debug, Clone, PartialEq)]
pub struct PutObject {
    /// The bucket.
    pub bucket: Arg,
    /// The key.
    pub key: Arg,
    /// The body (a string, or a JSON value Step Functions serialises).
    pub body: Arg,
    /// The content type.
    pub content_type: Option<String>,
}

impl PutObject {
    /// Writes `body` to `bucket`/`key`.
    pub fn new(bucket: impl Into<Arg>, key: impl Into<Arg>, body: impl Into<Arg>) -> Self {
        PutObject {
            bucket: bucket.into(),
            key: key.into(),
            body: body.into(),
            content_type: None,
        }
    }

    /// The object's content type (`application/json`).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }
}

/// A Task that writes an object (`aws-sdk:s3:putObject`; the result has `ETag`).
pub fn put_object(name: impl Into<String>, request: PutObject) -> Task {
    Params::default()
        .arg("Bucket", &request.bucket)
        .arg("Key", &request.key)
        .arg("Body", &request.body)
        .text("ContentType", request.content_type.as_deref())
        .task(name, "aws-sdk:s3:putObject")
}

/// An object's address: `GetObject`, `HeadObject`.
#[derive(Debug, Clone, PartialEq)]
pub struct GetObject {
    /// The bucket.
    pub bucket: Arg,
    /// The key.
    pub key: Arg,
}

impl GetObject {
    /// The object at `bucket`/`key`.
    pub fn new(bucket: impl Into<Arg>, key: impl Into<Arg>) -> Self {
        GetObject {
            bucket: bucket.into(),
            key: key.into(),
        }
    }
}

/// A Task that reads an object (`aws-sdk:s3:getObject`; the result has `Body` as a
/// string, `ContentLength`, `ContentType`, `ETag`, `LastModified`, `Metadata`).
pub fn get_object(name: impl Into<String>, request: GetObject) -> Task {
    Params::default()
        .arg("Bucket", &request.bucket)
        .arg("Key", &request.key)
        .task(name, "aws-sdk:s3:getObject")
}

/// A Task that reads an object's metadata (`aws-sdk:s3:headObject`; the result is
/// GetObject's without `Body`).
pub fn head_object(name: impl Into<String>, request: GetObject) -> Task {
    Params::default()
        .arg("Bucket", &request.bucket)
        .arg("Key", &request.key)
        .task(name, "aws-sdk:s3:headObject")
}

/// `DeleteObject`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteObject {
    /// The bucket.
    pub bucket: Arg,
    /// The key.
    pub key: Arg,
    /// A version to delete, in a versioned bucket.
    pub version_id: Option<Arg>,
}

impl DeleteObject {
    /// Deletes `bucket`/`key`.
    pub fn new(bucket: impl Into<Arg>, key: impl Into<Arg>) -> Self {
        DeleteObject {
            bucket: bucket.into(),
            key: key.into(),
            version_id: None,
        }
    }
}

/// A Task that deletes an object (`aws-sdk:s3:deleteObject`; deleting a missing key
/// succeeds, as S3 does).
pub fn delete_object(name: impl Into<String>, request: DeleteObject) -> Task {
    Params::default()
        .arg("Bucket", &request.bucket)
        .arg("Key", &request.key)
        .opt_arg("VersionId", request.version_id.as_ref())
        .task(name, "aws-sdk:s3:deleteObject")
}

/// `ListObjectsV2`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListObjectsV2 {
    /// The bucket.
    pub bucket: Arg,
    /// Only keys that start with this.
    pub prefix: Option<Arg>,
    /// Groups keys up to this character into `CommonPrefixes` (`/`).
    pub delimiter: Option<String>,
    /// At most this many keys per call (1 to 1000).
    pub max_keys: Option<u32>,
    /// Where to continue: the previous result's `NextContinuationToken`.
    pub continuation_token: Option<Arg>,
    /// Keys after this one.
    pub start_after: Option<Arg>,
}

impl ListObjectsV2 {
    /// Lists the keys of `bucket`.
    pub fn new(bucket: impl Into<Arg>) -> Self {
        ListObjectsV2 {
            bucket: bucket.into(),
            prefix: None,
            delimiter: None,
            max_keys: None,
            continuation_token: None,
            start_after: None,
        }
    }

    /// Only keys that start with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<Arg>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// At most `n` keys per call.
    pub fn max_keys(mut self, n: u32) -> Self {
        self.max_keys = Some(n);
        self
    }

    /// Continues a listing (`Arg::path("$.listing.NextContinuationToken")`).
    pub fn continuation_token(mut self, token: impl Into<Arg>) -> Self {
        self.continuation_token = Some(token.into());
        self
    }
}

/// A Task that lists keys (`aws-sdk:s3:listObjectsV2`; the result has `Contents` when
/// any key matches, `KeyCount`, `IsTruncated` and `NextContinuationToken` when there is
/// more).
pub fn list_objects_v2(name: impl Into<String>, request: ListObjectsV2) -> Task {
    let max_keys_ok = request.max_keys.is_none_or(|n| (1..=1000).contains(&n));
    Params::default()
        .arg("Bucket", &request.bucket)
        .opt_arg("Prefix", request.prefix.as_ref())
        .text("Delimiter", request.delimiter.as_deref())
        .number("MaxKeys", request.max_keys)
        .opt_arg("ContinuationToken", request.continuation_token.as_ref())
        .opt_arg("StartAfter", request.start_after.as_ref())
        .check(max_keys_ok, || {
            "Parameters.MaxKeys: must be 1 to 1000".to_string()
        })
        .task(name, "aws-sdk:s3:listObjectsV2")
}

/// `CopyObject`.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyObject {
    /// The destination bucket.
    pub bucket: Arg,
    /// The destination key.
    pub key: Arg,
    /// The source, `bucket/key` (URL-encoded), e.g.
    /// `Arg::path("States.Format('{}/{}', $.bucket, $.key)")`.
    pub copy_source: Arg,
    /// A new content type (with `MetadataDirective: REPLACE`).
    pub content_type: Option<String>,
}

impl CopyObject {
    /// Copies `copy_source` (`bucket/key`) to `bucket`/`key`.
    pub fn new(bucket: impl Into<Arg>, key: impl Into<Arg>, copy_source: impl Into<Arg>) -> Self {
        CopyObject {
            bucket: bucket.into(),
            key: key.into(),
            copy_source: copy_source.into(),
            content_type: None,
        }
    }
}

/// A Task that copies an object (`aws-sdk:s3:copyObject`; the result has
/// `CopyObjectResult` with `ETag` and `LastModified`).
pub fn copy_object(name: impl Into<String>, request: CopyObject) -> Task {
    let replace = request.content_type.as_ref().map(|_| "REPLACE");
    Params::default()
        .arg("Bucket", &request.bucket)
        .arg("Key", &request.key)
        .arg("CopySource", &request.copy_source)
        .text("ContentType", request.content_type.as_deref())
        .text("MetadataDirective", replace)
        .task(name, "aws-sdk:s3:copyObject")
}
