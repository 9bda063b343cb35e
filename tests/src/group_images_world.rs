//! The world of the group-images tests and demo: a bucket of product photos keyed
//! `products/<product-id>/<view>.jpg` (one corrupt), the jobs table, the SSM config —
//! seeded into whatever services the caller points at (moto server locally) — and the
//! generated workflow with the deployment's placeholders filled in for these names.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_ssm::types::ParameterType;
use codegen::asl::StateMachine;
use local_bedrock::product_photo;
use serde_json::{Value, json};
use stepwise_runtime::Services;

use crate::world::{Error, to_json};

/// The key of the corrupt photo.
pub const CORRUPT_PHOTO: &str = "products/P-BROKEN/front.jpg";
/// The views photographed of each product.
pub const VIEWS: [&str; 3] = ["front", "side", "back"];

/// Where the group-images world lives.
#[derive(Debug, Clone)]
pub struct GroupImagesWorld {
    /// The bucket of photos, job files, thumbnails and embeddings.
    pub bucket: String,
    /// The jobs table.
    pub table: String,
    /// The SSM parameter holding the config.
    pub parameter: String,
    /// How many products are photographed.
    pub products: usize,
}

impl GroupImagesWorld {
    /// A world with these names and `products` products of [`VIEWS`] views each.
    pub fn new(
        bucket: impl Into<String>,
        table: impl Into<String>,
        parameter: impl Into<String>,
        products: usize,
    ) -> Self {
        GroupImagesWorld {
            bucket: bucket.into(),
            table: table.into(),
            parameter: parameter.into(),
            products,
        }
    }

    /// The key of a product's view.
    pub fn photo_key(product: usize, view: &str) -> String {
        format!("products/P-{product}/{view}.jpg")
    }

    /// The config document (the default clustering threshold).
    pub fn config(&self) -> Value {
        json!({"bucket": self.bucket, "map_concurrency": 8})
    }

    /// Creates the bucket with every product's views and the corrupt photo, the jobs
    /// table and the config parameter.
    pub async fn seed(&self, services: &Services) -> Result<(), Error> {
        let s3 = services.aws.s3().await;
        s3.create_bucket().bucket(&self.bucket).send().await?;
        for product in 0..self.products {
            for (v, view) in VIEWS.iter().enumerate() {
                s3.put_object()
                    .bucket(&self.bucket)
                    .key(Self::photo_key(product, view))
                    .content_type("image/jpeg")
                    .body(product_photo(product, v).into())
                    .send()
                    .await?;
            }
        }
        let corrupt: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        s3.put_object()
            .bucket(&self.bucket)
            .key(CORRUPT_PHOTO)
            .content_type("image/jpeg")
            .body(corrupt.into())
            .send()
            .await?;
        let dynamodb = services.aws.dynamodb().await;
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
        };
        dynamodb
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("pk")?)
            .attribute_definitions(attribute("sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .send()
            .await?;
        services
            .aws
            .ssm()
            .await
            .put_parameter()
            .name(&self.parameter)
            .r#type(ParameterType::String)
            .value(self.config().to_string())
            .overwrite(true)
            .send()
            .await?;
        Ok(())
    }

    /// Every product view and the corrupt photo, as a job's image list (ids are the
    /// keys, so the truth is in each id).
    pub fn images(&self) -> Vec<Value> {
        let mut images = Vec::new();
        for product in 0..self.products {
            for view in VIEWS {
                let key = Self::photo_key(product, view);
                images.push(json!({"id": key, "uri": format!("s3://{}/{key}", self.bucket)}));
            }
        }
        images.push(
            json!({"id": CORRUPT_PHOTO, "uri": format!("s3://{}/{CORRUPT_PHOTO}", self.bucket)}),
        );
        images
    }

    /// The definition substitutions of this world: the jobs table and the config
    /// parameter in place of the deployment's placeholders (`Options::substitutions`).
    pub fn substitutions(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("JobsTableName".to_string(), self.table.clone()),
            (
                "GroupImagesConfigParameterName".to_string(),
                self.parameter.clone(),
            ),
        ])
    }

    /// The generated workflow's state machine.
    pub fn machine() -> Result<StateMachine, Error> {
        Ok(statemachines::group_images::workflow().build()?.machine)
    }

    /// The job record, if any.
    pub async fn job(
        &self,
        services: &Services,
        tenant: &str,
        job: &str,
    ) -> Result<Option<Value>, Error> {
        let item = services
            .aws
            .dynamodb()
            .await
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("TENANT#{tenant}")))
            .key("sk", AttributeValue::S(format!("JOB#{job}")))
            .consistent_read(true)
            .send()
            .await?;
        Ok(item.item().map(to_json))
    }

    /// An S3 object as JSON.
    pub async fn json(&self, services: &Services, key: &str) -> Result<Value, Error> {
        let object = services
            .aws
            .s3()
            .await
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await?;
        Ok(serde_json::from_slice(
            &object.body.collect().await?.into_bytes(),
        )?)
    }
}
