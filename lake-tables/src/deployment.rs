//! What a deployment creates for the lake: the table bucket, the namespace and each
//! [`Dataset`]'s table — its Iceberg schema, partition spec, properties and the
//! maintenance S3 Tables runs on it — rendered as `lake-tables.json` next to the other
//! generated files (`stepwise generate` writes it, `stepwise generate --check` fails when
//! it is stale). The CDK app (`infra-cdk/lib/lake-tables.ts`) creates the CloudFormation
//! resources from it, so the deployed tables are the ones [`crate::LakeTables::ensure_table`]
//! would have created (same field ids, partition fields and name mapping) and it finds
//! them as declared instead of failing with `TableDiffers`.
//!
//! Nothing here calls AWS.

use serde::Serialize;
use serde_json::Value;

use crate::schema::{Dataset, FORMAT_VERSION};

/// The generated file's name in `statemachines/generated/`.
pub const FILE_NAME: &str = "lake-tables.json";

/// The table bucket's logical name; the deployment prefixes it (`stepwise-lake`).
pub const TABLE_BUCKET_LOGICAL_NAME: &str = "lake";

/// The namespace holding the lake's tables.
pub const NAMESPACE: &str = "lake";

/// The table bucket's unreferenced-file removal: S3 Tables deletes files no snapshot
/// references (a failed run's data files, a lost commit's manifests and metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnreferencedFileRemoval {
    /// Days an unreferenced file is kept before it is marked noncurrent.
    pub unreferenced_days: u32,
    /// Days a noncurrent file is kept before it is deleted.
    pub noncurrent_days: u32,
    /// Why these values.
    pub reason: &'static str,
}

/// The bucket's unreferenced-file removal.
pub const UNREFERENCED_FILE_REMOVAL: UnreferencedFileRemoval = UnreferencedFileRemoval {
    unreferenced_days: 3,
    noncurrent_days: 10,
    reason: "a writer puts its data files before it commits them, within one activity run \
             (minutes); three days leaves a failed run's files long enough to inspect, ten \
             more days to restore one deleted by mistake",
};

/// A table's snapshot expiry (S3 Tables' snapshot management): the oldest snapshot
/// expires once it is older than `max_snapshot_age_hours` *and* more than
/// `min_snapshots_to_keep` snapshots exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotManagement {
    /// Snapshots kept at least.
    pub min_snapshots_to_keep: u32,
    /// Age in hours after which a snapshot may expire.
    pub max_snapshot_age_hours: u32,
    /// Why these values.
    pub reason: &'static str,
}

/// A table's compaction (S3 Tables merges small data files within a partition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Compaction {
    /// Whether S3 Tables compacts the table.
    pub enabled: bool,
    /// The target file size in MB (S3 Tables allows 64 to 512).
    pub target_file_size_mb: u32,
    /// Why.
    pub reason: &'static str,
}

/// The maintenance S3 Tables runs on `dataset`'s table.
pub fn snapshot_management(dataset: Dataset) -> SnapshotManagement {
    match dataset {
        Dataset::SmartgoSales => SnapshotManagement {
            min_snapshots_to_keep: 35,
            max_snapshot_age_hours: 720,
            reason: "one snapshot per export date (and per re-run): 30 days of time travel to \
                     the copy a re-run replaced",
        },
        Dataset::SalesHistory => SnapshotManagement {
            min_snapshots_to_keep: 35,
            max_snapshot_age_hours: 720,
            reason: "one snapshot per compacted day: the compaction recognises a re-run batch \
                     by its `stepwise.batch-id` snapshot property, so a batch's snapshot must \
                     outlive any re-run of that day (30 days)",
        },
    }
}

/// Whether S3 Tables compacts `dataset`'s table.
pub fn compaction(dataset: Dataset) -> Compaction {
    match dataset {
        Dataset::SmartgoSales => Compaction {
            enabled: false,
            target_file_size_mb: 512,
            reason: "a re-run replaces its date by whole files (one date per file); a \
                     compacted file holding several dates of a month would make re-running \
                     one of them fail with MixedDates",
        },
        Dataset::SalesHistory => Compaction {
            enabled: true,
            target_file_size_mb: 512,
            reason: "append-only, one file per tenant and day: merged into fewer, larger \
                     files for Athena",
        },
    }
}

/// One table as the deployment creates it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableDeclaration {
    /// The table's name in the namespace (what the deployment contract's `LakeTable`
    /// permissions name as `dataset`).
    pub name: &'static str,
    /// Iceberg's table format version.
    pub format_version: u8,
    /// The Iceberg schema in the spec's JSON form (`{"type": "struct", "schema-id",
    /// "fields": [{"id", "name", "required", "type"}]}`, a list as `{"type": "list",
    /// "element-id", "element", "element-required"}`).
    pub schema: Value,
    /// The partition spec, bound to the schema (`spec-id`, `fields` with `source-id`,
    /// `field-id`, `name`, `transform`).
    pub partition_spec: Value,
    /// Table properties (the name mapping for the lake's id-less Parquet files).
    pub properties: std::collections::BTreeMap<String, String>,
    /// Snapshot expiry.
    pub snapshot_management: SnapshotManagement,
    /// Compaction.
    pub compaction: Compaction,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LakeDeclaration {
    /// The table bucket's logical name (the deployment prefixes it).
    pub table_bucket: &'static str,
    /// The bucket's unreferenced-file removal.
    pub unreferenced_file_removal: UnreferencedFileRemoval,
    /// The namespace.
    pub namespace: &'static str,
    /// Every table, in [`Dataset::ALL`]'s order.
    pub tables: Vec<TableDeclaration>,
}

/// The declaration of `dataset`'s table.
///
/// # Errors
/// A schema the Iceberg types cannot express (a bug in the lake's schema), as
/// [`Dataset::schema`].
pub fn table(dataset: Dataset) -> Result<TableDeclaration, String> {
    let schema = dataset.schema()?;
    let spec = dataset
        .partition_spec()?
        .bind(schema.clone())
        .map_err(|e| e.to_string())?;
    let json = |v: Result<Value, serde_json::Error>| v.map_err(|e| e.to_string());
    Ok(TableDeclaration {
        name: dataset.table_name(),
        format_version: FORMAT_VERSION as u8,
        schema: json(serde_json::to_value(&schema))?,
        partition_spec: json(serde_json::to_value(&spec))?,
        properties: dataset.properties()?.into_iter().collect(),
        snapshot_management: snapshot_management(dataset),
        compaction: compaction(dataset),
    })
}

/// The declaration of the bucket, namespace and every table.
///
/// # Errors
/// As [`table`].
pub fn declaration() -> Result<LakeDeclaration, String> {
    Ok(LakeDeclaration {
        table_bucket: TABLE_BUCKET_LOGICAL_NAME,
        unreferenced_file_removal: UNREFERENCED_FILE_REMOVAL,
        namespace: NAMESPACE,
        tables: Dataset::ALL
            .iter()
            .map(|d| table(*d))
            .collect::<Result<_, _>>()?,
    })
}

/// `lake-tables.json`'s text: pretty JSON with a final newline.
///
/// # Errors
/// As [`table`].
pub fn generated_text() -> Result<String, String> {
    let mut text = serde_json::to_string_pretty(&declaration()?).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_table_carries_its_iceberg_schema_with_ids_and_the_list_element() {
        let lake = declaration().expect("declaration");
        assert_eq!(lake.namespace, "lake");
        let names: Vec<&str> = lake.tables.iter().map(|t| t.name).collect();
        assert_eq!(names, ["smartgo_sales", "sales_history"]);
        let sales = &lake.tables[0];
        assert_eq!(sales.format_version, 2);
        assert_eq!(sales.schema["type"], "struct");
        let fields = sales.schema["fields"].as_array().expect("fields");
        assert_eq!(
            fields[0],
            json!({"id": 1, "name": "sale_id", "required": true, "type": "string"})
        );
        let embedding = fields
            .iter()
            .find(|f| f["name"] == "embedding")
            .expect("embedding");
        assert_eq!(embedding["type"]["type"], "list");
        assert_eq!(embedding["type"]["element"], "float");
        assert_eq!(embedding["type"]["element-id"], fields.len() + 1);
    }

    #[test]
    fn partition_fields_are_bound_with_ids_from_1000() {
        let history = table(Dataset::SalesHistory).expect("table");
        let fields = history.partition_spec["fields"].as_array().expect("fields");
        let tenant_id = history.schema["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["name"] == "tenant_id"))
            .map(|f| f["id"].clone())
            .expect("tenant_id");
        assert_eq!(fields[0]["name"], "tenant_id");
        assert_eq!(fields[0]["transform"], "identity");
        assert_eq!(fields[0]["field-id"], 1000);
        assert_eq!(fields[0]["source-id"], tenant_id);
        assert_eq!(fields[1]["name"], "sold_date_month");
        assert_eq!(fields[1]["transform"], "month");
        assert_eq!(fields[1]["field-id"], 1001);
        assert!(
            history
                .properties
                .contains_key("schema.name-mapping.default")
        );
    }

    #[test]
    fn the_export_table_is_not_compacted_and_both_keep_a_month_of_snapshots() {
        assert!(!compaction(Dataset::SmartgoSales).enabled);
        assert!(compaction(Dataset::SalesHistory).enabled);
        for dataset in Dataset::ALL {
            let kept = snapshot_management(dataset);
            assert!(kept.max_snapshot_age_hours >= 24 * 30, "{dataset:?}");
            let size = compaction(dataset).target_file_size_mb;
            assert!((64..=512).contains(&size), "{dataset:?}");
        }
        let text = generated_text().expect("text");
        assert!(text.ends_with("}\n"));
    }
}
