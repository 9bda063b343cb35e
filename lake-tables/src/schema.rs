//! The lake's datasets as Iceberg tables: [`Dataset`] names the two tables, and their
//! Iceberg schemas are derived from the lake's own Arrow schemas
//! ([`stepwise_lake::partition_schema`], [`stepwise_lake::sold_schema`]) so the table and
//! the Parquet files the activities write cannot drift apart. Partitioned by tenant
//! (identity on `tenant_id`) and month (the `month` transform on the dataset's date).
//!
//! The files carry no Iceberg field ids (the lake's Parquet writer is plain Arrow), so
//! each table sets `schema.name-mapping.default`: readers (pyiceberg, Spark, Athena)
//! map the files' columns to the table's fields by name, as the Iceberg spec prescribes
//! for files written without ids.
//!
//! Type mapping: `Utf8` → `string`, `Int32` → `int`, `Int64` → `long`, `Float32` →
//! `float`, `Float64` → `double`, `Date32` → `date`, `Timestamp(µs, UTC)` →
//! `timestamptz`, `FixedSizeList<float>` (the embedding) → `list<float>`: Iceberg has no
//! fixed-size list; the width stays a property of the writer (1024), and the Parquet
//! layout of a fixed-size list is the plain LIST any Iceberg reader reads.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, TimeUnit};
use iceberg::spec::{
    DEFAULT_SCHEMA_NAME_MAPPING, ListType, MappedField, NameMapping, NestedField, PrimitiveType,
    Schema, Transform, Type, UnboundPartitionSpec,
};

/// The table format version the tables are created with.
pub const FORMAT_VERSION: iceberg::spec::FormatVersion = iceberg::spec::FormatVersion::V2;

/// The snapshot summary property that carries an append's batch id.
pub const BATCH_ID_PROPERTY: &str = "stepwise.batch-id";

/// The snapshot summary property that names the date a `replace_date` snapshot replaced.
pub const REPLACED_DATE_PROPERTY: &str = "stepwise.replaced-date";

/// `smartgo_sales`, daily-sales-export's table (what its deployment permissions name).
pub const SMARTGO_SALES_TABLE: &str = "smartgo_sales";

/// One of the lake's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dataset {
    /// daily-sales-export's table: one row per sale, one snapshot per export date.
    SmartgoSales,
    /// product-sold-sync's table: one row per sold event, one snapshot per compacted day.
    SalesHistory,
}

impl Dataset {
    /// Both tables.
    pub const ALL: [Dataset; 2] = [Dataset::SmartgoSales, Dataset::SalesHistory];

    /// The table's name in the namespace.
    pub fn table_name(self) -> &'static str {
        match self {
            Dataset::SmartgoSales => SMARTGO_SALES_TABLE,
            Dataset::SalesHistory => stepwise_lake::SALES_HISTORY_DATASET,
        }
    }

    /// The date column a row belongs to (month-partitioned, and what `replace_date`
    /// replaces).
    pub fn date_column(self) -> &'static str {
        match self {
            Dataset::SmartgoSales => "export_date",
            Dataset::SalesHistory => "sold_date",
        }
    }

    /// The tenant column (identity-partitioned).
    pub fn tenant_column(self) -> &'static str {
        "tenant_id"
    }

    /// The lake's Arrow schema of the table's files.
    pub fn arrow_schema(self) -> arrow::datatypes::SchemaRef {
        match self {
            Dataset::SmartgoSales => stepwise_lake::partition_schema(),
            Dataset::SalesHistory => stepwise_lake::sold_schema(),
        }
    }

    /// The Iceberg schema: the Arrow schema's columns in order, ids 1.. for the
    /// top-level fields, then the list elements' ids (the order Iceberg assigns them in
    /// when it creates a table, so the created table keeps these ids).
    ///
    /// # Errors
    /// A column of a type the mapping does not cover (a bug in the lake's schema).
    pub fn schema(self) -> Result<Schema, String> {
        let arrow = self.arrow_schema();
        let fields = arrow.fields();
        let mut next_nested = i32::try_from(fields.len()).map_err(|e| e.to_string())? + 1;
        let mut iceberg_fields = Vec::with_capacity(fields.len());
        for (i, field) in fields.iter().enumerate() {
            let id = i32::try_from(i).map_err(|e| e.to_string())? + 1;
            let field_type = iceberg_type(field, &mut next_nested)?;
            iceberg_fields.push(Arc::new(NestedField::new(
                id,
                field.name(),
                field_type,
                !field.is_nullable(),
            )));
        }
        Schema::builder()
            .with_schema_id(0)
            .with_fields(iceberg_fields)
            .build()
            .map_err(|e| e.to_string())
    }

    /// Identity on `tenant_id`, then `month` of the date column.
    ///
    /// # Errors
    /// The schema lacks one of the two columns (a bug).
    pub fn partition_spec(self) -> Result<UnboundPartitionSpec, String> {
        let schema = self.schema()?;
        let id = |name: &str| {
            schema
                .field_by_name(name)
                .map(|f| f.id)
                .ok_or_else(|| format!("no column {name}"))
        };
        let tenant = id(self.tenant_column())?;
        let date = id(self.date_column())?;
        UnboundPartitionSpec::builder()
            .with_spec_id(0)
            .add_partition_field(tenant, self.tenant_column(), Transform::Identity)
            .and_then(|b| {
                b.add_partition_field(
                    date,
                    format!("{}_month", self.date_column()),
                    Transform::Month,
                )
            })
            .map(|b| b.build())
            .map_err(|e| e.to_string())
    }

    /// The table properties: the name mapping (see the module docs).
    ///
    /// # Errors
    /// As [`Dataset::schema`].
    pub fn properties(self) -> Result<HashMap<String, String>, String> {
        let mapping = name_mapping(&self.schema()?);
        let json = serde_json::to_string(&mapping).map_err(|e| e.to_string())?;
        Ok(HashMap::from([(
            DEFAULT_SCHEMA_NAME_MAPPING.to_string(),
            json,
        )]))
    }
}

fn iceberg_type(field: &Field, next_nested: &mut i32) -> Result<Type, String> {
    let primitive = |p: PrimitiveType| Ok(Type::Primitive(p));
    match field.data_type() {
        DataType::Utf8 => primitive(PrimitiveType::String),
        DataType::Int32 => primitive(PrimitiveType::Int),
        DataType::Int64 => primitive(PrimitiveType::Long),
        DataType::Float32 => primitive(PrimitiveType::Float),
        DataType::Float64 => primitive(PrimitiveType::Double),
        DataType::Date32 => primitive(PrimitiveType::Date),
        DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) if tz.as_ref() == "UTC" => {
            primitive(PrimitiveType::Timestamptz)
        }
        DataType::Timestamp(TimeUnit::Microsecond, None) => primitive(PrimitiveType::Timestamp),
        DataType::FixedSizeList(element, _) | DataType::List(element) => {
            let id = *next_nested;
            *next_nested += 1;
            let element_type = iceberg_type(element, next_nested)?;
            Ok(Type::List(ListType::new(Arc::new(
                NestedField::list_element(id, element_type, !element.is_nullable()),
            ))))
        }
        other => Err(format!(
            "column {}: no Iceberg type for Arrow {other}",
            field.name()
        )),
    }
}

/// Every field by its name (list elements as `element`, the name the lake's Parquet
/// files and Iceberg's own mapping use).
fn name_mapping(schema: &Schema) -> NameMapping {
    fn mapped(field: &NestedField) -> MappedField {
        let nested = match field.field_type.as_ref() {
            Type::List(list) => vec![mapped(&list.element_field)],
            Type::Struct(s) => s.fields().iter().map(|f| mapped(f)).collect(),
            _ => Vec::new(),
        };
        MappedField::new(Some(field.id), vec![field.name.clone()], nested)
    }
    NameMapping::new(
        schema
            .as_struct()
            .fields()
            .iter()
            .map(|f| mapped(f))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemas_follow_the_lake_files_column_for_column() {
        for dataset in Dataset::ALL {
            let schema = dataset.schema().expect("schema");
            let arrow = dataset.arrow_schema();
            let names: Vec<&str> = schema
                .as_struct()
                .fields()
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            let arrow_names: Vec<&str> = arrow.fields().iter().map(|f| f.name().as_str()).collect();
            assert_eq!(names, arrow_names, "{dataset:?}");
            let date = schema.field_by_name(dataset.date_column()).expect("date");
            assert_eq!(*date.field_type, Type::Primitive(PrimitiveType::Date));
            assert!(date.required);
            let embedding = schema.field_by_name("embedding").expect("embedding");
            let Type::List(list) = embedding.field_type.as_ref() else {
                panic!("embedding is not a list: {embedding:?}");
            };
            assert_eq!(
                *list.element_field.field_type,
                Type::Primitive(PrimitiveType::Float)
            );
            assert_eq!(list.element_field.id, arrow.fields().len() as i32 + 1);
        }
        let sales = Dataset::SmartgoSales.schema().expect("schema");
        assert_eq!(
            *sales.field_by_name("sold_at").expect("sold_at").field_type,
            Type::Primitive(PrimitiveType::Timestamptz)
        );
        let history = Dataset::SalesHistory.schema().expect("schema");
        assert!(
            !history
                .field_by_name("listed_date")
                .expect("listed")
                .required
        );
    }

    #[test]
    fn partitioned_by_tenant_and_month_of_the_date() {
        let spec = Dataset::SalesHistory.partition_spec().expect("spec");
        let fields: Vec<(String, Transform)> = spec
            .fields()
            .iter()
            .map(|f| (f.name.clone(), f.transform))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("tenant_id".to_string(), Transform::Identity),
                ("sold_date_month".to_string(), Transform::Month)
            ]
        );
    }

    #[test]
    fn the_name_mapping_names_every_column_and_the_list_element() {
        let props = Dataset::SmartgoSales.properties().expect("properties");
        let mapping: serde_json::Value =
            serde_json::from_str(&props[DEFAULT_SCHEMA_NAME_MAPPING]).expect("json");
        let fields = mapping.as_array().expect("array");
        assert_eq!(fields.len(), 10);
        assert_eq!(fields[0]["names"], serde_json::json!(["sale_id"]));
        assert_eq!(fields[0]["field-id"], 1);
        assert_eq!(
            fields[9]["fields"][0]["names"],
            serde_json::json!(["element"])
        );
        assert_eq!(fields[9]["fields"][0]["field-id"], 11);
    }
}
