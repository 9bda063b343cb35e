use super::*;
use stepwise_contract::deploy::{Distance, IndexSpec, KeyAttr, KeyKind};

const IDEMPOTENCY: TableSpec = TableSpec {
    name: "idempotency",
    partition_key: KeyAttr::string("PK"),
    sort_key: Some(KeyAttr::string("SK")),
    indexes: &[],
    ttl_attribute: Some("ttl"),
    reason: "claims events exactly once",
};

const DLQ: QueueSpec = QueueSpec {
    name: "dead-letters",
    retention_days: 14,
    reason: "events that failed",
};

fn with(tables: &[TableSpec], queues: &[QueueSpec], indexes: &[VectorIndexSpec]) -> Resources {
    let mut r = Resources::default();
    tables.iter().for_each(|t| r.add_table(*t));
    queues.iter().for_each(|q| r.add_queue(*q));
    indexes.iter().for_each(|v| r.add_vector_index(*v));
    r
}

#[test]
fn well_formed_declarations_have_no_problems_and_identical_ones_are_kept_once() {
    let r = with(&[IDEMPOTENCY, IDEMPOTENCY], &[DLQ, DLQ], &[]);
    assert_eq!(r.tables.len(), 1);
    assert_eq!(r.queues.len(), 1);
    assert_eq!(r.problems(), Vec::<String>::new());
}

const BAD_INDEXES: &[IndexSpec] = &[
    IndexSpec {
        name: "G",
        partition_key: KeyAttr::number("PK"),
        sort_key: None,
    },
    IndexSpec {
        name: "GSI2",
        partition_key: KeyAttr::string("GSI2PK"),
        sort_key: None,
    },
    IndexSpec {
        name: "GSI2",
        partition_key: KeyAttr::string("GSI2PK"),
        sort_key: None,
    },
];

#[test]
fn bad_names_limits_and_keys_are_reported_naming_the_resource() {
    let bad_table = TableSpec {
        name: "Sales_History",
        partition_key: KeyAttr::string("PK"),
        sort_key: Some(KeyAttr::string("PK")),
        indexes: BAD_INDEXES,
        ttl_attribute: Some(""),
        reason: " ",
    };
    let bad_queue = QueueSpec {
        name: "dlq",
        retention_days: 15,
        reason: "r",
    };
    let bad_index = VectorIndexSpec {
        name: "products",
        dimension: 5000,
        distance: Distance::Cosine,
        non_filterable_metadata_keys: &["a", "a"],
        reason: "r",
    };
    let p = with(&[bad_table], &[bad_queue], &[bad_index]).problems();
    let expected = [
        "table \"Sales_History\": name must be lower-case kebab-case",
        "table \"Sales_History\": reason is empty",
        "table \"Sales_History\": sort key \"PK\" is also the partition key",
        "table \"Sales_History\": index \"G\": DynamoDB index names are 3 to 255",
        "table \"Sales_History\": index \"G\" partition key \"PK\" is N here and S elsewhere",
        "table \"Sales_History\": index \"GSI2\" is declared twice",
        "table \"Sales_History\": ttl_attribute must be 1 to 255 characters",
        "queue \"dlq\": retention_days 15 is outside SQS's 1 to 14 days",
        "vector index \"products\": dimension 5000 is outside S3 Vectors' 1 to 4096",
        "vector index \"products\": non-filterable metadata key \"a\" is listed twice",
    ];
    for e in expected {
        assert!(p.iter().any(|m| m.starts_with(e)), "{e}\nin {p:#?}");
    }
    assert_eq!(p.len(), expected.len(), "{p:#?}");
}

#[test]
fn one_name_declared_twice_differently_in_one_workflow_is_a_problem() {
    let other = QueueSpec {
        retention_days: 4,
        ..DLQ
    };
    let p = with(&[], &[DLQ, other], &[]).problems();
    assert_eq!(
        p,
        vec!["queue \"dead-letters\" is declared twice with different specs"]
    );
}

#[test]
fn a_placeholder_colliding_with_the_deployments_own_names_is_refused() {
    let progress = TableSpec {
        name: "progress",
        ..IDEMPOTENCY
    };
    let p = with(&[progress], &[], &[]).problems();
    assert_eq!(
        p,
        vec![
            "table \"progress\": its placeholder ${ProgressTableName} is the deployment's own; choose another name"
        ]
    );
}

#[test]
fn permissions_on_undeclared_resources_are_named() {
    let r = with(&[IDEMPOTENCY], &[], &[]);
    let permissions = [
        Permission {
            actions: &["dynamodb:PutItem"],
            resource: Resource::Table {
                table: "idempotency",
            },
            reason: "claims",
        },
        Permission {
            actions: &["dynamodb:PutItem"],
            resource: Resource::Table {
                table: "sales-history",
            },
            reason: "writes",
        },
        Permission {
            actions: &["sqs:SendMessage"],
            resource: Resource::Queue {
                queue: "dead-letters",
            },
            reason: "dead letters",
        },
        Permission {
            actions: &["s3vectors:PutVectors"],
            resource: Resource::VectorIndex { index: "products" },
            reason: "ingest",
        },
    ];
    assert_eq!(
        r.undeclared(&permissions, "activity \"Claim\""),
        vec![
            "activity \"Claim\": permission dynamodb:PutItem names table \"sales-history\", which the workflow does not declare (add .table(TableSpec { .. }))",
            "activity \"Claim\": permission sqs:SendMessage names queue \"dead-letters\", which the workflow does not declare (add .queue(QueueSpec { .. }))",
            "activity \"Claim\": permission s3vectors:PutVectors names vector index \"products\", which the workflow does not declare (add .vector_index(VectorIndexSpec { .. }))",
        ]
    );
}

#[test]
fn merging_keeps_each_resource_once_and_names_both_workflows_on_a_conflict() {
    let a = with(&[IDEMPOTENCY], &[DLQ], &[]);
    let b = with(&[], &[DLQ], &[]);
    let merged = merge([("a", &a), ("b", &b)]).unwrap();
    assert_eq!(merged, with(&[IDEMPOTENCY], &[DLQ], &[]));

    let c = with(
        &[TableSpec {
            ttl_attribute: None,
            ..IDEMPOTENCY
        }],
        &[],
        &[],
    );
    let conflicts = merge([("a", &a), ("b", &b), ("c", &c)]).unwrap_err();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        conflicts[0].to_string(),
        "table \"idempotency\" is declared differently by workflows \"a\" and \"c\": a shared resource must be declared identically"
    );
}

#[test]
fn placeholders_follow_the_declaration_order() {
    let index = VectorIndexSpec {
        name: "products",
        dimension: 1024,
        distance: Distance::Cosine,
        non_filterable_metadata_keys: &[],
        reason: "r",
    };
    let names: Vec<String> = with(&[IDEMPOTENCY], &[DLQ], &[index])
        .placeholders()
        .iter()
        .map(|p| p.name())
        .collect();
    assert_eq!(
        names,
        [
            "IdempotencyTableName",
            "IdempotencyTableArn",
            "DeadLettersQueueUrl",
            "DeadLettersQueueArn",
            "ProductsVectorBucketName",
            "ProductsIndexName",
            "ProductsIndexArn"
        ]
    );
    assert_eq!(KeyAttr::number("n").kind, KeyKind::N);
}
