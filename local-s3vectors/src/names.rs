//! Vector bucket and index names, and the ARNs that name them.
//!
//! Naming rules from the S3 User Guide ("Vector bucket naming rules", "Vector index
//! naming rules"): a bucket name is 3 to 63 lowercase letters, digits and hyphens,
//! starting and ending with a letter or digit; an index name is the same and may also
//! hold dots. ARNs: `arn:aws:s3vectors:<region>:<account>:bucket/<bucket>` and
//! `…:bucket/<bucket>/index/<index>`.

use crate::error::ApiError;
use crate::limits::{MAX_NAME_LEN, MIN_NAME_LEN};

/// Checks a vector bucket name (request member `member`).
pub fn check_bucket_name(member: &str, name: &str) -> Result<(), ApiError> {
    check(member, name, "vector bucket", |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    })
}

/// Checks a vector index name (request member `member`).
pub fn check_index_name(member: &str, name: &str) -> Result<(), ApiError> {
    check(member, name, "vector index", |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
    })
}

fn check(
    member: &str,
    name: &str,
    what: &str,
    allowed: impl Fn(char) -> bool,
) -> Result<(), ApiError> {
    let len = name.chars().count();
    if !(MIN_NAME_LEN..=MAX_NAME_LEN).contains(&len) {
        return Err(ApiError::validation(
            member,
            format!(
                "1 validation error detected. Value with length {len} at '{member}' failed to satisfy constraint: Member must have length between {MIN_NAME_LEN} and {MAX_NAME_LEN}, inclusive"
            ),
        ));
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !name.chars().all(allowed) || !edge_ok(name.chars().next()) || !edge_ok(name.chars().last())
    {
        return Err(ApiError::validation(
            member,
            format!(
                "invalid {what} name {name:?}: use lowercase letters, digits and hyphens{}, starting and ending with a letter or digit",
                if what == "vector index" {
                    " (and dots)"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(())
}

/// A bucket's ARN.
pub fn bucket_arn(region: &str, account: &str, bucket: &str) -> String {
    format!("arn:aws:s3vectors:{region}:{account}:bucket/{bucket}")
}

/// An index's ARN.
pub fn index_arn(region: &str, account: &str, bucket: &str, index: &str) -> String {
    format!("{}/index/{index}", bucket_arn(region, account, bucket))
}

/// The resource part of an S3 Vectors ARN (`bucket/…`), or a validation error.
fn resource<'a>(member: &str, arn: &'a str) -> Result<&'a str, ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "s3vectors", _, _, resource] => Ok(resource),
        _ => Err(ApiError::validation(
            member,
            format!(
                "{arn:?} is not an S3 Vectors ARN (arn:aws:s3vectors:<region>:<account>:bucket/<name>…)"
            ),
        )),
    }
}

/// The bucket name a bucket ARN names.
pub fn bucket_from_arn(member: &str, arn: &str) -> Result<String, ApiError> {
    match resource(member, arn)?
        .split('/')
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["bucket", bucket] if !bucket.is_empty() => Ok(bucket.to_string()),
        _ => Err(ApiError::validation(
            member,
            format!("{arn:?} is not a vector bucket ARN (…:bucket/<name>)"),
        )),
    }
}

/// The bucket and index names an index ARN names.
pub fn index_from_arn(member: &str, arn: &str) -> Result<(String, String), ApiError> {
    match resource(member, arn)?
        .split('/')
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["bucket", bucket, "index", index] if !bucket.is_empty() && !index.is_empty() => {
            Ok((bucket.to_string(), index.to_string()))
        }
        _ => Err(ApiError::validation(
            member,
            format!("{arn:?} is not a vector index ARN (…:bucket/<name>/index/<name>)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_naming_rules() {
        check_bucket_name("/vectorBucketName", "sales-2026").unwrap();
        check_index_name("/indexName", "products.v1").unwrap();
        for bad in [
            "ab",
            "Upper",
            "under_score",
            "-edge",
            "edge-",
            &"x".repeat(64),
        ] {
            let err = check_bucket_name("/vectorBucketName", bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("/vectorBucketName"), "{bad}");
        }
        assert!(check_bucket_name("/vectorBucketName", "dots.not.allowed").is_err());
    }

    #[test]
    fn arns_round_trip() {
        let arn = index_arn("us-east-1", "123456789012", "b-1", "idx");
        assert_eq!(
            arn,
            "arn:aws:s3vectors:us-east-1:123456789012:bucket/b-1/index/idx"
        );
        assert_eq!(
            index_from_arn("/indexArn", &arn).unwrap(),
            ("b-1".to_string(), "idx".to_string())
        );
        let bucket = bucket_arn("us-east-1", "123456789012", "b-1");
        assert_eq!(bucket_from_arn("/vectorBucketArn", &bucket).unwrap(), "b-1");
        assert!(bucket_from_arn("/vectorBucketArn", &arn).is_err());
        assert!(index_from_arn("/indexArn", "arn:aws:s3:::bucket").is_err());
    }
}
