//! DynamoDB tables: created on demand (pay per request) with their keys, global secondary
//! indexes (every attribute projected) and TTL; an existing table is reused when its key
//! schema matches.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableDescription, TableStatus, TimeToLiveSpecification,
    TimeToLiveStatus,
};
use stepwise_contract::deploy::{KeyAttr, KeyKind, TableSpec};

use crate::ProvisionError;

const KIND: &str = "table";

/// A table that exists.
pub(crate) struct Table {
    pub name: String,
    pub arn: String,
}

/// Creates the table `name` for `spec`, or reuses it; then makes sure its TTL is on.
pub(crate) async fn ensure(
    client: &Client,
    spec: &TableSpec,
    name: &str,
) -> Result<Table, ProvisionError> {
    let description = match describe(client, name).await? {
        Some(existing) => {
            check_keys(spec, name, &existing)?;
            existing
        }
        None => create(client, spec, name).await?,
    };
    let description = wait_active(client, name, description).await?;
    if let Some(attribute) = spec.ttl_attribute {
        ensure_ttl(client, name, attribute).await?;
    }
    tracing::info!(table = name, "table ready");
    Ok(Table {
        name: name.to_string(),
        arn: description.table_arn().unwrap_or_default().to_string(),
    })
}

/// A response without the table description it must carry.
fn missing(name: &str, operation: &'static str) -> ProvisionError {
    ProvisionError::Service {
        kind: KIND,
        name: name.to_string(),
        operation,
        message: "the response describes no table".into(),
    }
}

async fn describe(client: &Client, name: &str) -> Result<Option<TableDescription>, ProvisionError> {
    match client.describe_table().table_name(name).send().await {
        Ok(out) => Ok(out.table),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(ProvisionError::service(KIND, name, "DescribeTable", e)),
    }
}

async fn create(
    client: &Client,
    spec: &TableSpec,
    name: &str,
) -> Result<TableDescription, ProvisionError> {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attribute_definitions(spec)))
        .set_key_schema(Some(key_schema(spec.partition_key, spec.sort_key)));
    for index in spec.indexes {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index.name)
            .set_key_schema(Some(key_schema(index.partition_key, index.sort_key)))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(|e| ProvisionError::service(KIND, name, "CreateTable", e))?;
        request = request.global_secondary_indexes(gsi);
    }
    match request.send().await {
        Ok(out) => out
            .table_description
            .ok_or_else(|| missing(name, "CreateTable")),
        // Created by someone else since DescribeTable: reuse it.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) =>
        {
            let existing = describe(client, name)
                .await?
                .ok_or_else(|| missing(name, "DescribeTable"))?;
            check_keys(spec, name, &existing)?;
            Ok(existing)
        }
        Err(e) => Err(ProvisionError::service(KIND, name, "CreateTable", e)),
    }
}

/// Every key attribute of the table and its indexes, once.
fn attribute_definitions(spec: &TableSpec) -> Vec<AttributeDefinition> {
    let mut attrs: Vec<KeyAttr> = Vec::new();
    let all = std::iter::once(spec.partition_key)
        .chain(spec.sort_key)
        .chain(
            spec.indexes
                .iter()
                .flat_map(|i| std::iter::once(i.partition_key).chain(i.sort_key)),
        );
    for attr in all {
        if !attrs.iter().any(|a| a.name == attr.name) {
            attrs.push(attr);
        }
    }
    attrs
        .into_iter()
        .filter_map(|a| {
            AttributeDefinition::builder()
                .attribute_name(a.name)
                .attribute_type(scalar(a.kind))
                .build()
                .ok()
        })
        .collect()
}

fn scalar(kind: KeyKind) -> ScalarAttributeType {
    match kind {
        KeyKind::S => ScalarAttributeType::S,
        KeyKind::N => ScalarAttributeType::N,
        KeyKind::B => ScalarAttributeType::B,
    }
}

fn key_schema(partition: KeyAttr, sort: Option<KeyAttr>) -> Vec<KeySchemaElement> {
    std::iter::once((partition, KeyType::Hash))
        .chain(sort.map(|s| (s, KeyType::Range)))
        .filter_map(|(attr, key_type)| {
            KeySchemaElement::builder()
                .attribute_name(attr.name)
                .key_type(key_type)
                .build()
                .ok()
        })
        .collect()
}

/// The existing table's key schema (and index names) must be the declared ones.
fn check_keys(
    spec: &TableSpec,
    name: &str,
    existing: &TableDescription,
) -> Result<(), ProvisionError> {
    let describe = |keys: &[KeySchemaElement]| {
        keys.iter()
            .map(|k| format!("{} {}", k.attribute_name(), k.key_type().as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let wanted = describe(&key_schema(spec.partition_key, spec.sort_key));
    let found = describe(existing.key_schema());
    let mismatch = |difference: String| ProvisionError::Mismatch {
        kind: KIND,
        name: name.to_string(),
        difference,
    };
    if wanted != found {
        return Err(mismatch(format!(
            "key schema is [{found}], declared [{wanted}]"
        )));
    }
    for index in spec.indexes {
        let present = existing
            .global_secondary_indexes()
            .iter()
            .find(|g| g.index_name() == Some(index.name));
        match present {
            None => return Err(mismatch(format!("it has no index \"{}\"", index.name))),
            Some(g) => {
                let wanted = describe(&key_schema(index.partition_key, index.sort_key));
                let found = describe(g.key_schema());
                if wanted != found {
                    return Err(mismatch(format!(
                        "index \"{}\" key schema is [{found}], declared [{wanted}]",
                        index.name
                    )));
                }
            }
        }
    }
    Ok(())
}

async fn wait_active(
    client: &Client,
    name: &str,
    mut description: TableDescription,
) -> Result<TableDescription, ProvisionError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if description.table_status() == Some(&TableStatus::Active) {
            return Ok(description);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ProvisionError::NotActive(name.to_string()));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        description = describe(client, name)
            .await?
            .ok_or_else(|| missing(name, "DescribeTable"))?;
    }
}

async fn ensure_ttl(client: &Client, name: &str, attribute: &str) -> Result<(), ProvisionError> {
    let current = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| ProvisionError::service(KIND, name, "DescribeTimeToLive", e))?;
    if let Some(d) = current.time_to_live_description() {
        let on = matches!(
            d.time_to_live_status(),
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        );
        if on && d.attribute_name() == Some(attribute) {
            return Ok(());
        }
        if on {
            return Err(ProvisionError::Mismatch {
                kind: KIND,
                name: name.to_string(),
                difference: format!(
                    "TTL is on attribute \"{}\", declared \"{attribute}\"",
                    d.attribute_name().unwrap_or_default()
                ),
            });
        }
    }
    let specification = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(attribute)
        .build()
        .map_err(|e| ProvisionError::service(KIND, name, "UpdateTimeToLive", e))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(specification)
        .send()
        .await
        .map_err(|e| ProvisionError::service(KIND, name, "UpdateTimeToLive", e))?;
    Ok(())
}
