//! `product-sold-sync`: each Carousel sale (`carousel.product.sold` on EventBridge) into
//! the sales-history table and the analytics lake, exactly once, one Express execution
//! per delivered event.
//!
//! ```text
//! Prepare and claim [Prepare → Claim ─ taken? → Read claim → COMPLETED? ─ yes → duplicate
//!                                                                      └ no  → ClaimHeld (retried)]
//!   → Duplicate? ─ yes → Duplicate delivery (writes nothing)
//!   → Write both [Put sales-history item | WriteLakeObject] → Complete claim → Synced
//! Prepare and claim fails (InvalidInput: never retried; claim still held) → Send to DLQ → Dead-lettered
//! Write both or Complete claim fails → Release claim → Send to DLQ → Dead-lettered
//! ```
//!
//! EventBridge starts Express executions asynchronously and never learns how they end,
//! so every retry lives here: throttling and transient faults with backoff and jitter,
//! a claim held by another delivery with backoff until that delivery completes (then this
//! one is a duplicate) or its lock expires (then this one takes it over). On a final
//! failure the workflow releases its claim (so a replay can claim the event) and sends
//! the event, its error and its execution id to the dead-letter queue, then fails.
//!
//! The claim is keyed by tenant and *sale* id (two sales of one product are two events)
//! and taken *before* writing, but released on failure and taken over when its holder
//! crashed, so a crash between claim and write never hides a sale for the claim's 24
//! hours. Both writes are idempotent (same key, same content), so a delivery that takes
//! over writes what the crashed one may already have written, identically.
//!
//! The resources are declared here ([`SALES_HISTORY`], [`IDEMPOTENCY`], [`DEAD_LETTERS`])
//! and reached through the deployment's placeholders: [`SALES_HISTORY_TABLE`],
//! [`IDEMPOTENCY_TABLE`], [`DEAD_LETTERS_QUEUE_URL`], [`LAKE_BUCKET`]. What starts it —
//! an EventBridge rule on `carousel.products` / `carousel.product.sold`, with
//! [`DEAD_LETTERS`] as its dead-letter queue — is declared with the workflow
//! ([`Trigger::EventRule`]).

use std::time::Duration;

use codegen::builder::dynamodb::{DeleteItem, UpdateItem, delete_item, update_item};
use codegen::builder::sqs::{SendMessage, send_message};
use codegen::builder::*;
use codegen::errors::DYNAMODB_CONDITIONAL_CHECK_FAILED;
use codegen::trigger::{RetryPolicy, RuleInput, Trigger};
use codegen::workflow::Workflow;
use serde_json::{Value, json};
use stepwise_contract::ErrorName;
use stepwise_contract::deploy::{IndexSpec, KeyAttr, Permission, QueueSpec, Resource, TableSpec};
use stepwise_contract::errors::{THROTTLED, TRANSIENT};
use stepwise_product_sold_sync::CLAIM_HELD;
use stepwise_product_sold_sync::event::ProductSoldEvent;
use stepwise_product_sold_sync::lake_object::WriteLakeObject;
use stepwise_product_sold_sync::prepare::{CLAIM_SK, Prepare};

/// The name of the workflow (and of its generated files and state machine).
pub const NAME: &str = "product-sold-sync";
/// The sales-history table (deployment placeholder).
pub const SALES_HISTORY_TABLE: &str = "${SalesHistoryTableName}";
/// The idempotency table (deployment placeholder).
pub const IDEMPOTENCY_TABLE: &str = "${IdempotencyTableName}";
/// The dead-letter queue's URL (deployment placeholder).
pub const DEAD_LETTERS_QUEUE_URL: &str = "${DeadLettersQueueUrl}";
/// The lake's bucket (the deployment's name, [`codegen::trigger::DeploymentName::LakeBucket`]).
pub const LAKE_BUCKET: &str = codegen::trigger::DeploymentName::LakeBucket.placeholder();

/// The sales-history table: per-product queries (`PK`/`SK`), a tenant's embeddings by
/// shard and date (GSI2), items expiring two years after the sale.
pub const SALES_HISTORY: TableSpec = TableSpec {
    name: "sales-history",
    partition_key: KeyAttr::string("PK"),
    sort_key: Some(KeyAttr::string("SK")),
    indexes: &[IndexSpec {
        name: "GSI2",
        partition_key: KeyAttr::string("GSI2PK"),
        sort_key: Some(KeyAttr::string("GSI2SK")),
    }],
    ttl_attribute: Some("ttl"),
    reason: "one item per Carousel sale: per-product sales history, and the tenant's embeddings by shard and date (GSI2)",
};

/// The idempotency table: one claim per (tenant, sale), forgotten after 24 hours.
pub const IDEMPOTENCY: TableSpec = TableSpec {
    name: "idempotency",
    partition_key: KeyAttr::string("PK"),
    sort_key: Some(KeyAttr::string("SK")),
    indexes: &[],
    ttl_attribute: Some("ttl"),
    reason: "claims that make each sale land once whatever EventBridge redelivers (TTL 24 h)",
};

/// The dead-letter queue, shared with the EventBridge rule target's DLQ.
pub const DEAD_LETTERS: QueueSpec = QueueSpec {
    name: "dead-letters",
    retention_days: 14,
    reason: "events the workflow gave up on (with error and execution id), and events whose StartExecution kept failing; replayed with `stepwise dlq replay`",
};
/// The lake's prefix in its bucket.
pub const LAKE_PREFIX: &str = "pricing-intelligence";

/// `DynamoDB.ProvisionedThroughputExceededException` (optimized integration).
pub const DYNAMODB_THROUGHPUT_EXCEEDED: ErrorName =
    ErrorName::new("DynamoDB.ProvisionedThroughputExceededException");
/// `DynamoDB.ThrottlingException`.
pub const DYNAMODB_THROTTLING: ErrorName = ErrorName::new("DynamoDB.ThrottlingException");
/// `DynamoDB.RequestLimitExceeded` (account-level throughput limit).
pub const DYNAMODB_REQUEST_LIMIT: ErrorName =
    ErrorName::new("DynamoDB.RequestLimitExceededException");
/// `DynamoDB.InternalServerErrorException` (DynamoDB's 500).
pub const DYNAMODB_INTERNAL: ErrorName = ErrorName::new("DynamoDB.InternalServerErrorException");
/// `SQS.RequestThrottledException`.
pub const SQS_THROTTLED: ErrorName = ErrorName::new("SQS.RequestThrottledException");

/// The claim's status while a delivery works on it.
pub const IN_PROGRESS: &str = "IN_PROGRESS";
/// The claim's status once both writes are done.
pub const COMPLETED: &str = "COMPLETED";

/// The example input: the event as the rule passes it.
pub fn example_input() -> ProductSoldEvent {
    ProductSoldEvent::example()
}

/// Activity retries: throttling and transient faults, 1 s doubling to 8 s, full jitter,
/// 4 retries (at most 15 s of waiting, well inside Express's 5 minutes).
fn activity_retry() -> Retry {
    Retry::on([THROTTLED, TRANSIENT])
        .interval(Duration::from_secs(1))
        .backoff_rate(2.0)
        .max_attempts(4)
        .max_delay(Duration::from_secs(8))
        .full_jitter()
}

/// DynamoDB integration retries: its throttling errors and 500s, as [`activity_retry`].
fn dynamodb_retry() -> Retry {
    Retry::on([
        DYNAMODB_THROUGHPUT_EXCEEDED,
        DYNAMODB_THROTTLING,
        DYNAMODB_REQUEST_LIMIT,
        DYNAMODB_INTERNAL,
    ])
    .interval(Duration::from_secs(1))
    .backoff_rate(2.0)
    .max_attempts(4)
    .max_delay(Duration::from_secs(8))
    .full_jitter()
}

/// A claim held by another delivery: 3 s growing by 1.5× to 30 s, 10 retries — checks at
/// about 3, 7.5, 14, 24, 40, 62, 92, 122, 152 and 182 s, so a lock of
/// [`stepwise_product_sold_sync::prepare::LOCK_SECONDS`] (120 s) left by a crashed
/// delivery is taken over within one execution, and the last check leaves time for the
/// writes and the dead-letter path inside Express's 5 minutes. No jitter: waiting
/// deliveries race on one conditional write, which exactly one wins.
fn claim_held_retry() -> Retry {
    Retry::on([CLAIM_HELD])
        .interval(Duration::from_secs(3))
        .backoff_rate(1.5)
        .max_attempts(10)
        .max_delay(Duration::from_secs(30))
}

/// The idempotency item's key.
fn claim_key() -> Value {
    json!({"PK": {"S.$": "$.prepared.claim.pk"}, "SK": {"S": CLAIM_SK}})
}

/// Prepare, then the conditional put of the claim; a claim already taken is read: a
/// COMPLETED one makes this delivery a duplicate, any other fails with `ClaimHeld`.
fn prepare_and_claim() -> Parallel {
    let prepare = task::<Prepare>()
        .parameters(json!({"event.$": "$", "now.$": "$$.State.EnteredTime"}))
        .result_path("$.prepared")
        .retry(activity_retry());
    let claim = task_resource("Claim", "arn:aws:states:::dynamodb:putItem")
        .parameters(json!({
            "TableName": IDEMPOTENCY_TABLE,
            "Item": {
                "PK": {"S.$": "$.prepared.claim.pk"},
                "SK": {"S": CLAIM_SK},
                "status": {"S": IN_PROGRESS},
                "owner": {"S.$": "$$.Execution.Id"},
                "event_id": {"S.$": "$.id"},
                "sale_id": {"S.$": "$.prepared.sale_id"},
                "lock_expires_at": {"N.$": "$.prepared.claim.lock_expires_at"},
                "ttl": {"N.$": "$.prepared.claim.expires_at"}
            },
            "ConditionExpression": "attribute_not_exists(PK) OR (#status = :in_progress AND #lock < :now)",
            "ExpressionAttributeNames": {"#status": "status", "#lock": "lock_expires_at"},
            "ExpressionAttributeValues": {
                ":in_progress": {"S": IN_PROGRESS},
                ":now": {"N.$": "$.prepared.claim.now"}
            }
        }))
        .discard_result()
        .retry(dynamodb_retry());
    let read_claim = codegen::builder::dynamodb::get_item(
        "Read claim",
        codegen::builder::dynamodb::GetItem::new(IDEMPOTENCY_TABLE, claim_key()).consistent(),
    )
    .result_path("$.existing")
    .retry(dynamodb_retry());
    let completed =
        choice("Claim completed?")
            .when(
                Condition::and([
                    Condition::is_present("$.existing.Item.status.S"),
                    Condition::string_equals("$.existing.Item.status.S", COMPLETED),
                ]),
                Chain::start(
                    pass("Mark duplicate")
                        .result(json!("duplicate"))
                        .result_path("$.claim_outcome"),
                )
                .then(succeed("Duplicate claim")),
            )
            .otherwise(fail("Claim held").error(CLAIM_HELD).cause(
                "another delivery of this event holds the claim and its lock has not expired",
            ));
    let claimed = pass("Mark claimed")
        .result(json!("claimed"))
        .result_path("$.claim_outcome");
    parallel("Prepare and claim")
        .branch(
            Chain::start(prepare)
                .then(claim.catch(
                    Catch::on([DYNAMODB_CONDITIONAL_CHECK_FAILED]).result_path("$.claim_failure"),
                    Chain::start(read_claim).then(completed),
                ))
                .then(claimed),
        )
        // Only what the next states need: the event itself stays in
        // `$$.Execution.Input` (the DLQ message takes it from there), so its embedding
        // is not carried through every later state.
        .result_selector(
            json!({"prepared.$": "$[0].prepared", "claim_outcome.$": "$[0].claim_outcome"}),
        )
        .retry(claim_held_retry())
}

/// The workflow description.
pub fn workflow() -> Workflow {
    let dead_lettered = fail("Dead-lettered")
        .error_path("$.error.Error")
        .cause_path("$.error.Cause");
    let send_to_dlq = send_message(
        "Send to DLQ",
        SendMessage::new(
            DEAD_LETTERS_QUEUE_URL,
            json!({
                "event.$": "$$.Execution.Input",
                "error.$": "$.error.Error",
                "cause.$": "$.error.Cause",
                "execution.$": "$$.Execution.Id",
                "failed_at.$": "$$.State.EnteredTime"
            }),
        ),
    )
    .discard_result()
    .retry(
        Retry::on([SQS_THROTTLED])
            .interval(Duration::from_secs(1))
            .backoff_rate(2.0)
            .max_attempts(4)
            .max_delay(Duration::from_secs(8))
            .full_jitter(),
    )
    .catch(
        Catch::all().result_path("$.dlq_error"),
        Chain::goto("Dead-lettered"),
    );
    // Only this delivery's own claim, while it is IN_PROGRESS: a claim another delivery
    // took over, or one never taken, fails the condition and is left alone.
    let release = delete_item(
        "Release claim",
        DeleteItem::new(IDEMPOTENCY_TABLE, claim_key())
            .condition("#owner = :me AND #status = :in_progress")
            .with(
                json!({"#owner": "owner", "#status": "status"}),
                json!({":me": {"S.$": "$$.Execution.Id"}, ":in_progress": {"S": IN_PROGRESS}}),
            ),
    )
    .discard_result()
    .retry(dynamodb_retry())
    .catch(
        Catch::all().result_path("$.release_error"),
        Chain::goto("Send to DLQ"),
    );
    let on_failure = Chain::start(release).then(send_to_dlq).then(dead_lettered);

    let put_item = task_resource(
        "Put sales-history item",
        "arn:aws:states:::dynamodb:putItem",
    )
    .parameters(json!({"TableName": SALES_HISTORY_TABLE, "Item.$": "$.prepared.item"}))
    .discard_result()
    .retry(dynamodb_retry());
    let write_lake = task::<WriteLakeObject>()
        .parameters(json!({
            "bucket": LAKE_BUCKET,
            "lake_prefix": LAKE_PREFIX,
            "row.$": "$.prepared.row"
        }))
        .result_path("$.lake")
        .retry(activity_retry());
    let write_both = parallel("Write both")
        .branch(Chain::start(put_item))
        .branch(Chain::start(write_lake))
        .discard_result()
        .catch(Catch::all().result_path("$.error"), on_failure);
    let complete = update_item(
        "Complete claim",
        UpdateItem::new(
            IDEMPOTENCY_TABLE,
            claim_key(),
            "SET #status = :completed, completed_by = :me, completed_at = :at",
        )
        .with(
            json!({"#status": "status"}),
            json!({
                ":completed": {"S": COMPLETED},
                ":me": {"S.$": "$$.Execution.Id"},
                ":at": {"S.$": "$$.State.EnteredTime"}
            }),
        ),
    )
    .discard_result()
    .retry(dynamodb_retry())
    .catch(
        Catch::all().result_path("$.error"),
        Chain::goto("Release claim"),
    );

    let duplicate = choice("Duplicate?")
        .when(
            Condition::string_equals("$.claim_outcome", "duplicate"),
            succeed("Duplicate delivery"),
        )
        .otherwise(Chain::empty());

    // Nothing to release when the claim step fails: InvalidInput (never retried), a
    // claim still held after every retry, or a claim write that kept failing — this
    // delivery holds no claim (a claim write whose answer was lost holds one until its
    // lock expires, after which a replay takes it over).
    let claim = prepare_and_claim().catch(
        Catch::all().result_path("$.error"),
        Chain::goto("Send to DLQ"),
    );

    Workflow::new(
        NAME,
        Chain::start(claim)
            .then(duplicate)
            .then(write_both)
            .then(complete)
            .then(succeed("Synced")),
    )
    .comment("One Carousel sale into the sales-history table and the lake, exactly once (Express, one execution per EventBridge event).")
    .express()
    .timeout(Duration::from_secs(300))
    .input(&example_input())
    .table(SALES_HISTORY)
    .table(IDEMPOTENCY)
    .queue(DEAD_LETTERS)
    .permission(Permission {
        actions: &["dynamodb:PutItem"],
        resource: Resource::Table { table: SALES_HISTORY.name },
        reason: "puts the sale's item (Put sales-history item)",
    })
    .permission(Permission {
        actions: &[
            "dynamodb:PutItem",
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        ],
        resource: Resource::Table { table: IDEMPOTENCY.name },
        reason: "claims the event, reads a claim taken before, completes or releases it",
    })
    .permission(Permission {
        actions: &["sqs:SendMessage"],
        resource: Resource::Queue { queue: DEAD_LETTERS.name },
        reason: "sends an event it gave up on to the dead-letter queue",
    })
    // EventBridge starts an Express execution asynchronously and never sees how it ends:
    // its retries cover only a StartExecution that failed (throttled, service error), so
    // EventBridge's own default — 185 attempts over 24 hours — keeps a burst from losing
    // sales; what still fails lands in the same DLQ as the workflow's own dead letters.
    .trigger(Trigger::EventRule {
        source: "carousel.products",
        detail_type: "carousel.product.sold",
        input: RuleInput::WholeEvent,
        retry: RetryPolicy::DEFAULT,
        dead_letter_queue: Some(DEAD_LETTERS.name),
        reason: "one Express execution per carousel.product.sold event",
    })
}
