//! What a deployed activity or workflow needs from its account: the Lambda function's
//! memory and timeout, and the IAM permissions its code uses.
//!
//! Permissions are declared next to the code that needs them (each activity's
//! [`ActivityDef::DEPLOYMENT`](crate::ActivityDef::DEPLOYMENT), each workflow's
//! description) and emitted into `manifest.json`, so the CDK app grants exactly these and
//! guesses nothing. Resources are named by their role in the deployment ([`Resource`]),
//! not by ARN: the stack knows the bucket, table and parameter it created or was given,
//! and turns each role into ARNs.
//!
//! The lake's Iceberg tables (S3 Tables) are the deployment's too: [`Resource::LakeTable`]
//! names one table, [`Resource::LakeNamespace`] the table bucket and namespace holding them.
//!
//! A workflow also *declares* the resources it needs created for it — DynamoDB tables
//! ([`TableSpec`]), SQS queues ([`QueueSpec`]) and S3 Vectors indexes
//! ([`VectorIndexSpec`]) — by a logical kebab-case name (`sales-history`,
//! `dead-letters`). The manifest lists them in its `resources` section; the deployment
//! creates each once and grants [`Resource::Table`], [`Resource::Queue`] and
//! [`Resource::VectorIndex`] permissions on exactly that resource.

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
    /// A declared DynamoDB table ([`TableSpec`]) and its indexes.
    Table {
        /// The table's logical name, as declared.
        table: &'static str,
    },
    /// A declared SQS queue ([`QueueSpec`]).
    Queue {
        /// The queue's logical name, as declared.
        queue: &'static str,
    },
    /// A declared S3 Vectors index ([`VectorIndexSpec`]) in the deployment's vector
    /// bucket.
    VectorIndex {
        /// The index's logical name, as declared.
        index: &'static str,
    },
    /// The account's default EventBridge event bus (e.g. `events:PutEvents` to re-put an
    /// event).
    EventBus,
    /// One Iceberg table of the lake in the deployment's S3 table bucket (S3 Tables), by
    /// its name in the lake's namespace (`smartgo_sales`, `sales_history`). Only
    /// `s3tables:*` actions, granted on that table's ARN
    /// (`arn:<partition>:s3tables:<region>:<account>:bucket/<bucket>/table/<id>`, IAM's
    /// `Table` resource type): `s3tables:GetTable` and `s3tables:GetTableMetadataLocation`
    /// (find the table, its warehouse location and current metadata file),
    /// `s3tables:UpdateTableMetadataLocation` (commit a snapshot),
    /// `s3tables:GetTableData` and `s3tables:PutTableData` (read and write the table's
    /// data and metadata files through the S3 API of its warehouse location: `GetObject`,
    /// `HeadObject`, `PutObject` and the multipart calls there are authorized by these two).
    LakeTable {
        /// The table's name in the namespace, as the lake names its dataset.
        dataset: &'static str,
    },
    /// The deployment's S3 table bucket and the lake's namespace in it (IAM's
    /// `TableBucket` resource type, the bucket's ARN
    /// `arn:<partition>:s3tables:<region>:<account>:bucket/<bucket>`). Only `s3tables:*`
    /// actions: `s3tables:GetTableBucket`, `s3tables:GetNamespace`,
    /// `s3tables:ListNamespaces` and `s3tables:ListTables` (find the bucket, namespace and
    /// tables by name), and — for code that creates what is missing —
    /// `s3tables:CreateNamespace` and `s3tables:CreateTable` (both authorized on the
    /// bucket). `s3tables:ListTableBuckets` has no resource type and is not grantable
    /// here.
    LakeNamespace,
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
    /// Stored embeddings, keyed by the image's content hash; kept (never expired).
    Embeddings,
    /// Generated thumbnails; expired by a lifecycle rule (they can be made again).
    Thumbnails,
}

/// A DynamoDB table a workflow needs: always on-demand (pay per request) billing,
/// point-in-time recovery in a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableSpec {
    /// The logical name (lower-case kebab-case, e.g. `sales-history`); placeholders and
    /// [`Resource::Table`] name it.
    pub name: &'static str,
    /// The partition (hash) key.
    pub partition_key: KeyAttr,
    /// The sort (range) key, if any.
    pub sort_key: Option<KeyAttr>,
    /// Global secondary indexes (every attribute projected).
    pub indexes: &'static [IndexSpec],
    /// The attribute holding an item's expiry (epoch seconds), if DynamoDB's TTL is on.
    pub ttl_attribute: Option<&'static str>,
    /// Why the workflow needs the table (shown in the manifest and in reviews).
    pub reason: &'static str,
}

/// A key attribute: its name and DynamoDB scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyAttr {
    /// The attribute's name.
    pub name: &'static str,
    /// Its type.
    pub kind: KeyKind,
}

/// A key attribute's DynamoDB type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyKind {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl KeyAttr {
    /// A string key attribute.
    pub const fn string(name: &'static str) -> Self {
        KeyAttr {
            name,
            kind: KeyKind::S,
        }
    }

    /// A number key attribute.
    pub const fn number(name: &'static str) -> Self {
        KeyAttr {
            name,
            kind: KeyKind::N,
        }
    }
}

/// A global secondary index of a [`TableSpec`]; every attribute is projected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexSpec {
    /// The index name (DynamoDB's rules: 3-255 of `a-z A-Z 0-9 _ - .`).
    pub name: &'static str,
    /// The index's partition key.
    pub partition_key: KeyAttr,
    /// The index's sort key, if any.
    pub sort_key: Option<KeyAttr>,
}

/// An SQS standard queue a workflow needs (server-side encryption on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueSpec {
    /// The logical name (lower-case kebab-case, e.g. `dead-letters`).
    pub name: &'static str,
    /// How long a message is kept, in days (SQS allows 1 to 14).
    pub retention_days: u32,
    /// Why the workflow needs the queue.
    pub reason: &'static str,
}

/// An Amazon S3 Vectors index a workflow needs, in the deployment's vector bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VectorIndexSpec {
    /// The logical name (lower-case kebab-case, e.g. `product-embeddings`); also the
    /// index name, after the deployment's prefix.
    pub name: &'static str,
    /// The vectors' dimension (S3 Vectors allows 1 to 4,096).
    pub dimension: u32,
    /// The distance metric queries use.
    pub distance: Distance,
    /// Metadata keys stored with each vector but not usable in query filters (S3
    /// Vectors allows up to 10).
    pub non_filterable_metadata_keys: &'static [&'static str],
    /// Why the workflow needs the index.
    pub reason: &'static str,
}

/// An S3 Vectors index's distance metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Distance {
    /// Cosine distance.
    Cosine,
    /// Euclidean distance.
    Euclidean,
}

impl Distance {
    /// The metric as S3 Vectors' API spells it (`cosine`, `euclidean`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Distance::Cosine => "cosine",
            Distance::Euclidean => "euclidean",
        }
    }
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

    #[test]
    fn declared_resources_serialise_in_the_manifest_shape() {
        const TABLE: TableSpec = TableSpec {
            name: "sales-history",
            partition_key: KeyAttr::string("PK"),
            sort_key: Some(KeyAttr::string("SK")),
            indexes: &[IndexSpec {
                name: "GSI2",
                partition_key: KeyAttr::string("GSI2PK"),
                sort_key: None,
            }],
            ttl_attribute: Some("ttl"),
            reason: "per-product queries",
        };
        assert_eq!(
            serde_json::to_value(TABLE).unwrap(),
            json!({
                "name": "sales-history",
                "partitionKey": {"name": "PK", "kind": "S"},
                "sortKey": {"name": "SK", "kind": "S"},
                "indexes": [{"name": "GSI2", "partitionKey": {"name": "GSI2PK", "kind": "S"}, "sortKey": null}],
                "ttlAttribute": "ttl",
                "reason": "per-product queries"
            })
        );
        let queue = QueueSpec {
            name: "dead-letters",
            retention_days: 14,
            reason: "failed events",
        };
        assert_eq!(
            serde_json::to_value(queue).unwrap(),
            json!({"name": "dead-letters", "retentionDays": 14, "reason": "failed events"})
        );
        let index = VectorIndexSpec {
            name: "products",
            dimension: 1024,
            distance: Distance::Euclidean,
            non_filterable_metadata_keys: &["description"],
            reason: "similar products",
        };
        assert_eq!(
            serde_json::to_value(index).unwrap(),
            json!({"name": "products", "dimension": 1024, "distance": "euclidean",
                   "nonFilterableMetadataKeys": ["description"], "reason": "similar products"})
        );
    }

    #[test]
    fn declared_resource_permissions_name_the_resource_by_kind() {
        let cases = [
            (
                Resource::Table {
                    table: "idempotency",
                },
                json!({"kind": "table", "table": "idempotency"}),
            ),
            (
                Resource::Queue {
                    queue: "dead-letters",
                },
                json!({"kind": "queue", "queue": "dead-letters"}),
            ),
            (
                Resource::VectorIndex { index: "products" },
                json!({"kind": "vectorIndex", "index": "products"}),
            ),
            (Resource::EventBus, json!({"kind": "eventBus"})),
            (
                Resource::LakeTable {
                    dataset: "smartgo_sales",
                },
                json!({"kind": "lakeTable", "dataset": "smartgo_sales"}),
            ),
            (Resource::LakeNamespace, json!({"kind": "lakeNamespace"})),
            (
                Resource::Objects {
                    area: Area::Thumbnails,
                },
                json!({"kind": "objects", "area": "thumbnails"}),
            ),
            (
                Resource::Listing {
                    area: Area::Embeddings,
                },
                json!({"kind": "listing", "area": "embeddings"}),
            ),
        ];
        for (resource, expected) in cases {
            assert_eq!(serde_json::to_value(resource).unwrap(), expected);
        }
    }
}
