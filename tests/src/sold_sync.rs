//! The world of product-sold-sync's tests, demo and benchmark: the sales-history table
//! (with GSI2 and TTL), the idempotency table, the dead-letter queue and the lake bucket
//! created on whatever services the caller points at (moto server locally), the
//! workflows with the deployment's placeholders substituted, generated Carousel events,
//! and readers of what the pipeline wrote.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use codegen::asl::StateMachine;
use codegen::trigger::DeploymentName;
use codegen::workflow::Workflow;
use serde_json::{Map, Value, json};
use sfn_local::{Options, Outcome, RegistryTasks, ServiceTasks, TaskRunner};
use stepwise_runtime::Services;

/// Boxed errors: this is test and demo scaffolding.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The resources of one product-sold-sync deployment.
#[derive(Debug, Clone)]
pub struct SoldSyncWorld {
    /// The lake bucket.
    pub bucket: String,
    /// The sales-history table.
    pub sales_table: String,
    /// The idempotency table.
    pub idempotency_table: String,
    /// The dead-letter queue's URL.
    pub queue_url: String,
    /// What provisioning substitutes (`SalesHistoryTableName`, …).
    pub provisioned: BTreeMap<String, String>,
    /// The services everything runs on.
    pub services: Arc<Services>,
}

impl SoldSyncWorld {
    /// Creates what the workflow declares — both tables (on-demand, TTL on `ttl`, GSI2
    /// on the sales history) and the DLQ (14 days) — through `stepwise_provision`, named
    /// `ps-{id}-…`, and the lake bucket.
    pub async fn create(services: Arc<Services>, id: &str) -> Result<Self, Error> {
        let config = services.aws.config().await.clone();
        let resources = statemachines::product_sold_sync::workflow()
            .resources()
            .clone();
        let provisioned =
            stepwise_provision::provision(&config, &resources, &format!("ps-{id}")).await?;
        let name = |key: &str| -> Result<String, Error> {
            provisioned
                .get(key)
                .cloned()
                .ok_or_else(|| format!("provision gave no {key}").into())
        };
        let world = SoldSyncWorld {
            bucket: format!("sold-lake-{id}"),
            sales_table: name("SalesHistoryTableName")?,
            idempotency_table: name("IdempotencyTableName")?,
            queue_url: name("DeadLettersQueueUrl")?,
            provisioned: provisioned.clone(),
            services,
        };
        world
            .services
            .aws
            .s3()
            .await
            .create_bucket()
            .bucket(&world.bucket)
            .send()
            .await?;
        Ok(world)
    }

    /// An SQS client on this world's SDK configuration.
    pub async fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(self.services.aws.config().await)
    }

    /// The definition substitutions of this world: what provisioning returned, and the
    /// lake bucket (`LakeBucketName`).
    pub fn substitutions(&self) -> BTreeMap<String, String> {
        let mut map = self.provisioned.clone();
        map.insert(
            DeploymentName::LakeBucket.as_str().to_string(),
            self.bucket.clone(),
        );
        map
    }

    /// The workflow's state machine, as generated (placeholders and all: the options
    /// carry the substitutions).
    pub fn machine(&self, workflow: &Workflow) -> Result<StateMachine, Error> {
        Ok(workflow.build()?.machine)
    }

    /// The real activities behind the AWS service integrations, on this world's services.
    pub fn tasks(&self) -> Arc<ServiceTasks> {
        let registry = Arc::new(RegistryTasks::new(
            stepwise_lambda::all(),
            self.services.clone(),
        ));
        Arc::new(ServiceTasks::new(registry, self.services.clone()))
    }

    /// Options of one delivery: an Express execution (5 minutes at most) named `name`.
    pub fn options(&self, name: &str, virtual_time: bool) -> Options {
        Options {
            virtual_time,
            state_machine_name: statemachines::product_sold_sync::NAME.into(),
            execution_name: Some(name.to_string()),
            services: Some(self.services.clone()),
            max_duration: sfn_local::clock::EXPRESS_MAX_DURATION,
            substitutions: self.substitutions(),
            ..Options::default()
        }
    }

    /// Runs one delivery of `event` to completion.
    pub async fn deliver(
        &self,
        machine: &StateMachine,
        event: Value,
        tasks: Arc<dyn TaskRunner>,
        options: Options,
    ) -> Result<Outcome, Error> {
        Ok(sfn_local::execute(machine, event, tasks, options).await?)
    }

    /// Every item of `table`, as plain JSON (`B` as base64), sorted by `PK` then `SK`.
    pub async fn scan(&self, table: &str) -> Result<Vec<Value>, Error> {
        let ddb = self.services.aws.dynamodb().await;
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = ddb
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            items.extend(page.items().iter().map(item_json));
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        items.sort_by_key(|i| (i["PK"].to_string(), i["SK"].to_string()));
        Ok(items)
    }

    /// The sales-history items.
    pub async fn items(&self) -> Result<Vec<Value>, Error> {
        self.scan(&self.sales_table).await
    }

    /// The claims.
    pub async fn claims(&self) -> Result<Vec<Value>, Error> {
        self.scan(&self.idempotency_table).await
    }

    /// The lake's keys under `prefix`, sorted.
    pub async fn keys(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let s3 = self.services.aws.s3().await;
        let mut keys = Vec::new();
        let mut pages = s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            keys.extend(
                page?
                    .contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
        }
        keys.sort();
        Ok(keys)
    }

    /// An object's bytes.
    pub async fn object(&self, key: &str) -> Result<Vec<u8>, Error> {
        let s3 = self.services.aws.s3().await;
        let object = s3.get_object().bucket(&self.bucket).key(key).send().await?;
        Ok(object.body.collect().await?.into_bytes().to_vec())
    }

    /// Every message of the DLQ (received, not deleted: they become visible again after
    /// `visibility` seconds), bodies parsed as JSON, sorted by their text.
    pub async fn dlq(&self, visibility: i32) -> Result<Vec<Value>, Error> {
        let sqs = self.sqs().await;
        let mut bodies = Vec::new();
        loop {
            let got = sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(visibility)
                .wait_time_seconds(0)
                .send()
                .await?;
            if got.messages().is_empty() {
                break;
            }
            for m in got.messages() {
                bodies.push(serde_json::from_str(m.body().unwrap_or("null"))?);
            }
        }
        bodies.sort_by_key(|b: &Value| b.to_string());
        Ok(bodies)
    }
}

/// A DynamoDB item as plain JSON: `S` strings, `N` as the number's text, `B` base64,
/// lists and maps recursively.
pub fn item_json(item: &std::collections::HashMap<String, AttributeValue>) -> Value {
    let sorted: BTreeMap<_, _> = item.iter().collect();
    let mut out = Map::new();
    for (k, v) in sorted {
        out.insert(k.clone(), value_json(v));
    }
    Value::Object(out)
}

fn value_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!(s),
        AttributeValue::N(n) => json!(n),
        AttributeValue::B(b) => json!(STANDARD.encode(b.as_ref())),
        AttributeValue::Bool(b) => json!(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(l) => Value::Array(l.iter().map(value_json).collect()),
        AttributeValue::M(m) => item_json(m),
        other => json!(format!("{other:?}")),
    }
}

/// A generated Carousel sale: tenant, product and sale from `n`, an embedding when
/// `with_embedding`. Deterministic in `n`.
pub fn event(
    n: usize,
    tenant: &str,
    product: &str,
    sale_id: &str,
    sold_date: &str,
    with_embedding: bool,
) -> Value {
    let listed = 40.0 + (n % 17) as f64 * 5.0;
    let sold = (listed * (0.6 + (n % 5) as f64 * 0.08) * 100.0).round() / 100.0;
    let category = ["jackets", "shoes", "bags", "shirts"][n % 4];
    let brand = ["Northwind", "Contoso", "Fabrikam"][n % 3];
    let condition = ["new", "used", "refurbished"][n % 3];
    let mut detail = json!({
        "tenantId": tenant,
        "productId": product,
        "saleId": sale_id,
        "category": category,
        "brand": brand,
        "condition": condition,
        "description": format!("item {n} of {product}"),
        "listedPrice": listed,
        "salePrice": sold,
        "soldDate": sold_date,
        "daysToSell": (n % 60) as i64,
        "imageS3Key": format!("products/{product}/front.jpg"),
        "embeddingId": format!("emb-{product}"),
        "vendorId": format!("V-{}", n % 7),
    });
    if with_embedding {
        let v: Vec<f32> = (0..stepwise_embeddings::EMBEDDING_DIM)
            .map(|i| (((i * 31 + n * 7) % 1000) as f32 / 1000.0) - 0.5)
            .collect();
        detail["embedding"] = json!(v);
    }
    json!({
        "version": "0",
        "id": format!("evt-{n:05}-{sale_id}"),
        "detail-type": "carousel.product.sold",
        "source": "carousel.products",
        "account": "123456789012",
        "time": format!("{sold_date}T12:00:00Z"),
        "region": "us-east-1",
        "resources": [],
        "detail": detail
    })
}

/// How long the tests let one delivery take in real time before calling it stuck.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);
