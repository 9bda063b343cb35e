//! What a deployed activity or workflow needs from its account: the Lambda function's
//! memory and timeout, and the IAM permissions its code uses.
//!
//! Permissions are declared next to the code that needs them (each activity's
//! [`ActivityDef::DEPLOYMENT`](crate::ActivityDef::DEPLOYMENT), each workflow's
//! description) and emitted into `manifest.json`, so the CDK app grants exactly these and
//! guesses nothing. Resources are named by their role in the deployment ([`Resource`]),
//! not by ARN: the stack knows the bucket, table and parameter it created or was given,
//! and turns each role into ARNs.

use serde::Serialize;

/// A Lambda function's size and the permissions its code uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// Memory in MB (128 to 10,240; CPU grows with it: 1,769 MB is one vCPU).
    pub memory_mb: u32,
    /// The function's timeout in seconds (at most 900).
    pub timeout_seconds: u32,
    /// Every permission the activity's code uses, and nothing else.
    pub permissions: &'static [Permission],
}

impl Deployment {
    /// A small function that calls no AWS service: 128 MB, 30 seconds, no permissions.
    pub const DEFAULT: Deployment = Deployment {
        memory_mb: 128,
        timeout_seconds: 30,
        permissions: &[],
    };
}

impl Default for Deployment {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// IAM actions allowed on one resource, and why the code needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Permission {
    /// IAM actions, `service:Action`.
    pub actions: &'static [&'static str],
    /// What they apply to.
    pub resource: Resource,
    /// Why the code needs them (shown in the manifest and in reviews).
    pub reason: &'static str,
}

/// A resource by its role in a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Resource {
    /// The objects under an area's prefix.
    Objects {
        /// Which area.
        area: Area,
    },
    /// Listing the bucket of an area (`s3:ListBucket` on the bucket). Without it, reading
    /// a missing key is `AccessDenied` instead of `NoSuchKey`; S3 makes that check with no
    /// list prefix in the request, so the grant cannot carry an `s3:prefix` condition.
    Listing {
        /// Which area.
        area: Area,
    },
    /// The DynamoDB table of export progress.
    ProgressTable,
    /// The SSM parameter holding the pipeline configuration (and, when it is encrypted
    /// with a customer-managed key, decrypting through SSM with that key).
    ConfigParameter,
    /// The Bedrock foundation model the pipeline embeds with.
    FoundationModel,
    /// The workflow's own state machine (a distributed Map starts child executions of it).
    OwnStateMachine,
    /// The child executions of the workflow's distributed Map runs.
    OwnMapRunExecutions,
}

/// A part of S3 storage with its own prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Area {
    /// Intermediate files of runs (result sets, vectors, Map results); expired by a
    /// lifecycle rule.
    Staging,
    /// The Parquet data lake.
    Lake,
    /// Product images the pipeline reads.
    Images,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn permissions_serialise_in_the_manifest_shape() {
        const LIST: Permission = Permission {
            actions: &["s3:ListBucket"],
            resource: Resource::Listing {
                area: Area::Staging,
            },
            reason: "missing keys read as NoSuchKey",
        };
        let deployment = Deployment {
            memory_mb: 512,
            timeout_seconds: 60,
            permissions: &[
                LIST,
                Permission {
                    actions: &["ssm:GetParameter"],
                    resource: Resource::ConfigParameter,
                    reason: "reads the configuration",
                },
            ],
        };
        assert_eq!(
            serde_json::to_value(deployment).unwrap(),
            json!({
                "memoryMb": 512,
                "timeoutSeconds": 60,
                "permissions": [
                    {"actions": ["s3:ListBucket"], "resource": {"kind": "listing", "area": "staging"},
                     "reason": "missing keys read as NoSuchKey"},
                    {"actions": ["ssm:GetParameter"], "resource": {"kind": "configParameter"},
                     "reason": "reads the configuration"}
                ]
            })
        );
    }
}
