//! The lake tables on moto (S3 Tables + S3), written by this crate and read back by
//! pyiceberg from the metadata file alone: schema, partition spec, rows per partition,
//! snapshots and their batch ids, a re-run batch that appends nothing, a replaced date
//! that leaves one copy of the day, time travel to the previous snapshot, and
//! concurrent commits that all land (conflicts retried).

#[path = "../../tests/src/moto.rs"]
#[allow(dead_code)]
mod moto;

use std::process::Command;

use aws_sdk_s3::primitives::ByteStream;
use chrono::NaiveDate;
use serde_json::{Value, json};
use stepwise_lake::{Sale, SoldSale, encode_partition, encode_sold};
use stepwise_lake_tables::storage::parse_s3_uri;
use stepwise_lake_tables::{
    BATCH_ID_PROPERTY, CommitRetry, Dataset, ErrorClass, LakeTables, LakeTablesError,
};

const DIM: usize = 1024;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn sales(prefix: &str, tenant: &str, day: &str, n: usize) -> Vec<(Sale, Vec<f32>)> {
    (0..n)
        .map(|i| {
            (
                Sale {
                    sale_id: format!("{prefix}-{tenant}-{day}-{i}"),
                    tenant_id: tenant.to_string(),
                    product_id: format!("p{i}"),
                    sold_at: format!("{day}T10:0{}:00Z", i % 10),
                    quantity: 1 + i as i64,
                    unit_price_cents: 1000,
                    currency: "EUR".into(),
                    image_url: format!("s3://images/p{i}.jpg"),
                },
                vec![i as f32 / 10.0; DIM],
            )
        })
        .collect()
}

fn sold(tenant: &str, days: &[&str], per_day: usize) -> Vec<SoldSale> {
    let mut rows = Vec::new();
    for day in days {
        for i in 0..per_day {
            rows.push(SoldSale {
                sale_id: format!("s-{tenant}-{day}-{i}"),
                tenant_id: tenant.to_string(),
                product_id: format!("p{i}"),
                event_id: format!("e-{tenant}-{day}-{i}"),
                sold_date: day.to_string(),
                listed_date: (i % 2 == 0).then(|| "2026-10-01".to_string()),
                unit_price_cents: 900,
                listed_price_cents: 1000,
                discount_percent: 10.0,
                days_to_sell: 35,
                quarter: "Q4".into(),
                season: "autumn".into(),
                category: "shoes".into(),
                brand: "b".into(),
                condition: "used".into(),
                description: "d".into(),
                image_s3_key: format!("images/p{i}.jpg"),
                embedding_id: format!("emb-{i}"),
                vendor_id: "v1".into(),
                embedding: (i % 3 != 0).then(|| vec![0.5; DIM]),
            });
        }
    }
    rows
}

struct Lake {
    server: moto::MotoServer,
    tables: LakeTables,
}

async fn lake() -> Lake {
    let server = moto::MotoServer::start().expect("moto server");
    let tables = LakeTables::ensure(&server.sdk_config(), "stepwise-lake", "lake")
        .await
        .expect("table bucket and namespace");
    Lake { server, tables }
}

impl Lake {
    async fn put(&self, dataset: Dataset, name: &str, bytes: Vec<u8>) -> String {
        let location = self.tables.table_location(dataset).await.expect("location");
        let uri = format!("{location}/data/{name}.parquet");
        let (bucket, key) = parse_s3_uri(&uri).expect("uri");
        put_hive(self, bucket, key, bytes).await;
        uri
    }

    async fn sales_file(&self, name: &str, rows: &[(Sale, Vec<f32>)], day: &str) -> String {
        let bytes = encode_partition(rows, date(day)).expect("encode");
        self.put(Dataset::SmartgoSales, name, bytes).await
    }

    async fn sold_file(&self, name: &str, rows: &[SoldSale]) -> String {
        let bytes = encode_sold(rows).expect("encode");
        self.put(Dataset::SalesHistory, name, bytes).await
    }

    /// pyiceberg's view of the table (scripts/read_iceberg_table.py).
    async fn read_back(&self, dataset: Dataset) -> Value {
        let location = self
            .tables
            .metadata_location(dataset)
            .await
            .expect("metadata location");
        let root = moto::workspace_root();
        let python = root.join(".venv/bin/python");
        assert!(
            python.is_file(),
            "{} missing: run scripts/python-env.sh (it installs pyiceberg)",
            python.display()
        );
        let output = Command::new(python)
            .arg(root.join("scripts/read_iceberg_table.py"))
            .args([&location, dataset.date_column(), &self.server.endpoint()])
            .output()
            .expect("run read_iceberg_table.py");
        assert!(
            output.status.success(),
            "pyiceberg failed on {location}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("read_iceberg_table.py prints JSON")
    }
}

fn batch_ids(table: &Value) -> Vec<Value> {
    table["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| s["properties"][BATCH_ID_PROPERTY].clone())
        .collect()
}

fn operations(table: &Value) -> Vec<String> {
    table["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| s["operation"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smartgo_sales_appends_once_per_batch_and_replaces_a_date() {
    let lake = lake().await;
    let created = lake
        .tables
        .ensure_table(Dataset::SmartgoSales)
        .await
        .expect("create table");
    let again = lake
        .tables
        .ensure_table(Dataset::SmartgoSales)
        .await
        .expect("ensure the existing table");
    assert_eq!(created, again, "ensuring an existing table changes nothing");

    let b1 = vec![
        lake.sales_file("b1-t1", &sales("a", "t1", "2026-11-02", 3), "2026-11-02")
            .await,
        lake.sales_file("b1-t2", &sales("a", "t2", "2026-11-02", 2), "2026-11-02")
            .await,
    ];
    let b2 = vec![
        lake.sales_file("b2-t1", &sales("a", "t1", "2026-11-03", 4), "2026-11-03")
            .await,
        lake.sales_file(
            "b2-t1-dec",
            &sales("a", "t1", "2026-12-01", 1),
            "2026-12-01",
        )
        .await,
    ];
    let first = lake
        .tables
        .append(Dataset::SmartgoSales, &b1, "export-2026-11-02")
        .await
        .expect("append b1");
    assert!(first.committed);
    assert_eq!(first.added_files, 2);
    let second = lake
        .tables
        .append(Dataset::SmartgoSales, &b2, "export-2026-11-03")
        .await
        .expect("append b2");
    assert!(second.committed);
    assert!(
        first.metadata_location.contains("/metadata/00001-")
            && second.metadata_location.contains("/metadata/00002-"),
        "each commit writes the next metadata version: {} then {}",
        first.metadata_location,
        second.metadata_location
    );

    let rerun = lake
        .tables
        .append(Dataset::SmartgoSales, &b1, "export-2026-11-02")
        .await
        .expect("re-append b1");
    assert!(
        !rerun.committed,
        "a re-run batch appends nothing: {rerun:?}"
    );
    assert_eq!(rerun.snapshot_id, first.snapshot_id);
    assert_eq!(rerun.metadata_location, second.metadata_location);

    // The day is exported again: the new files replace every file of 2026-11-02.
    let redo = vec![
        lake.sales_file("redo-t1", &sales("b", "t1", "2026-11-02", 5), "2026-11-02")
            .await,
        lake.sales_file("redo-t2", &sales("b", "t2", "2026-11-02", 2), "2026-11-02")
            .await,
    ];
    let replaced = lake
        .tables
        .replace_date(Dataset::SmartgoSales, date("2026-11-02"), &redo)
        .await
        .expect("replace 2026-11-02");
    assert!(replaced.committed);
    assert_eq!((replaced.removed_files, replaced.removed_records), (2, 5));
    assert_eq!(replaced.added_files, 2);

    let table = lake.read_back(Dataset::SmartgoSales).await;
    assert_eq!(table["format_version"], 2);
    let columns: Vec<(&str, &str, bool)> = table["schema"]
        .as_array()
        .expect("schema")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or_default(),
                f["type"].as_str().unwrap_or_default(),
                f["required"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        vec![
            ("sale_id", "string", true),
            ("tenant_id", "string", true),
            ("product_id", "string", true),
            ("sold_at", "timestamptz", true),
            ("quantity", "long", true),
            ("unit_price_cents", "long", true),
            ("currency", "string", true),
            ("image_url", "string", true),
            ("export_date", "date", true),
            ("embedding", "list<float>", true),
        ]
    );
    assert_eq!(
        table["partition_spec"],
        json!([
            {"source": "tenant_id", "name": "tenant_id", "transform": "identity"},
            {"source": "export_date", "name": "export_date_month", "transform": "month"}
        ])
    );
    assert_eq!(operations(&table), ["append", "append", "overwrite"]);
    assert_eq!(
        batch_ids(&table),
        [
            json!("export-2026-11-02"),
            json!("export-2026-11-03"),
            Value::Null
        ]
    );
    assert_eq!(
        table["snapshots"][2]["properties"]["stepwise.replaced-date"],
        "2026-11-02"
    );
    // The crate's own view of the snapshots agrees with pyiceberg's.
    let ours = lake
        .tables
        .snapshots(Dataset::SmartgoSales)
        .await
        .expect("snapshots");
    let ours: Vec<Value> = ours
        .iter()
        .map(|s| {
            json!({
                "id": s.snapshot_id,
                "parent": s.parent_id,
                "operation": s.operation,
                "batch": s.batch_id,
                "records": s.total_records,
            })
        })
        .collect();
    let theirs: Vec<Value> = table["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| {
            json!({
                "id": s["id"],
                "parent": s["parent"],
                "operation": s["operation"],
                "batch": s["properties"][BATCH_ID_PROPERTY],
                "records": s["total_records"].as_str().and_then(|v| v.parse::<u64>().ok()),
            })
        })
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours[2]["parent"], ours[1]["id"]);
    let totals: Vec<&Value> = table["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| &s["total_records"])
        .collect();
    assert_eq!(totals, [&json!("5"), &json!("10"), &json!("12")]);
    let current = &table["current"];
    assert_eq!(current["count"], 12);
    assert_eq!(current["distinct_sale_ids"], 12, "no duplicate sale ids");
    assert_eq!(
        current["per_partition"],
        json!({"t1/2026-11": 9, "t1/2026-12": 1, "t2/2026-11": 2})
    );
    assert_eq!(
        current["per_date"],
        json!({"2026-11-02": 7, "2026-11-03": 4, "2026-12-01": 1}),
        "one copy of the replaced day"
    );
    assert_eq!(current["embedding_lengths"], json!([DIM]));
    // Time travel: the snapshot before the replacement has the first export of the day.
    let previous = &table["previous"];
    assert_eq!(previous["count"], 10);
    assert_eq!(
        previous["per_date"],
        json!({"2026-11-02": 5, "2026-11-03": 4, "2026-12-01": 1})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_history_refuses_files_it_cannot_file_and_mixed_date_replacements() {
    let lake = lake().await;
    lake.tables
        .ensure_table(Dataset::SalesHistory)
        .await
        .expect("create table");
    // A compacted day may hold several days of one month: appended as is.
    let mixed = lake
        .sold_file("mixed", &sold("t1", &["2026-11-05", "2026-11-06"], 3))
        .await;
    let outcome = lake
        .tables
        .append(Dataset::SalesHistory, &[mixed], "compaction-2026-11-06")
        .await
        .expect("append");
    assert!(outcome.committed);
    let before = lake
        .tables
        .metadata_location(Dataset::SalesHistory)
        .await
        .expect("location");

    // Replacing one of its days would need rewriting the file: refused, nothing changes.
    let err = lake
        .tables
        .replace_date(Dataset::SalesHistory, date("2026-11-05"), &[])
        .await
        .expect_err("mixed dates");
    assert!(matches!(err, LakeTablesError::MixedDates { .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::Permanent);

    // A file of two tenants, or of two months, has no partition: refused as bad input.
    let two_tenants = {
        let mut rows = sold("t1", &["2026-11-07"], 2);
        rows.extend(sold("t2", &["2026-11-07"], 2));
        lake.sold_file("two-tenants", &rows).await
    };
    let two_months = lake
        .sold_file("two-months", &sold("t1", &["2026-11-30", "2026-12-01"], 1))
        .await;
    for (file, words) in [
        (two_tenants, "more than one tenant_id"),
        (two_months, "spans months"),
    ] {
        let err = lake
            .tables
            .append(Dataset::SalesHistory, std::slice::from_ref(&file), "bad")
            .await
            .expect_err("refused");
        assert!(err.to_string().contains(words), "{err}");
        assert_eq!(err.class(), ErrorClass::InvalidInput);
    }
    let err = lake
        .tables
        .append(Dataset::SalesHistory, &["s3:/nope".to_string()], "bad")
        .await
        .expect_err("bad uri");
    assert!(err.to_string().starts_with("files: "), "{err}");
    assert_eq!(
        lake.tables
            .metadata_location(Dataset::SalesHistory)
            .await
            .expect("location"),
        before,
        "refused writes commit nothing"
    );

    let table = lake.read_back(Dataset::SalesHistory).await;
    assert_eq!(
        table["partition_spec"][1],
        json!({"source": "sold_date", "name": "sold_date_month", "transform": "month"})
    );
    let listed = table["schema"]
        .as_array()
        .expect("schema")
        .iter()
        .find(|f| f["name"] == "listed_date")
        .cloned()
        .expect("listed_date");
    assert_eq!(listed["required"], false);
    assert_eq!(table["current"]["count"], 6);
    assert_eq!(table["current"]["per_partition"], json!({"t1/2026-11": 6}));
    assert_eq!(table["current"]["embedding_lengths"], json!([DIM]));
    assert_eq!(table["snapshots"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_all_land_once() {
    let Lake { server, tables } = lake().await;
    let lake = Lake {
        server,
        tables: tables.with_retry(CommitRetry {
            attempts: 12,
            ..CommitRetry::default()
        }),
    };
    lake.tables
        .ensure_table(Dataset::SalesHistory)
        .await
        .expect("create table");
    let mut files = Vec::new();
    for (i, tenant) in ["t1", "t2", "t3", "t4"].iter().enumerate() {
        files.push(
            lake.sold_file(tenant, &sold(tenant, &["2026-11-09"], i + 1))
                .await,
        );
    }
    let tables = &lake.tables;
    let runs = files.iter().enumerate().map(|(i, file)| async move {
        tables
            .append(
                Dataset::SalesHistory,
                std::slice::from_ref(file),
                &format!("batch-{i}"),
            )
            .await
    });
    // Every batch twice, all at once: each lands exactly once.
    let outcomes = futures::future::join_all(runs.clone().chain(runs)).await;
    let mut committed = 0;
    let mut attempts = 0;
    for outcome in outcomes {
        let outcome = outcome.expect("every commit lands (conflicts retried)");
        committed += usize::from(outcome.committed);
        attempts += outcome.attempts;
    }
    assert_eq!(committed, 4, "each batch committed once");
    // Eight runs that all load the table before any of them commits: all but one lose
    // their first attempt to another (a ConflictException) and are retried.
    assert!(
        attempts > 8,
        "conflicts were retried: {attempts} attempts for 8 runs"
    );
    let table = lake.read_back(Dataset::SalesHistory).await;
    assert_eq!(table["snapshots"].as_array().map(Vec::len), Some(4));
    assert_eq!(table["current"]["count"], 1 + 2 + 3 + 4);
    assert_eq!(table["current"]["distinct_sale_ids"], 10);
}

/// Puts an object: a data file under a table's location, or a Hive-style lake object
/// (what the pipelines wrote before the tables) in a plain S3 bucket.
async fn put_hive(lake: &Lake, bucket: &str, key: &str, bytes: Vec<u8>) {
    lake.tables
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .expect("put object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hive_objects_are_imported_once_and_never_over_rows_the_table_holds() {
    let lake = lake().await;
    let bucket = "old-lake";
    lake.tables
        .s3()
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("bucket");
    // What the export wrote for two tenants and two days, and a stray object.
    let hive = "pricing-intelligence/smartgo_sales";
    for (tenant, day, n) in [
        ("acme", "2026-10-30", 3),
        ("acme", "2026-11-02", 4),
        ("globex", "2026-11-02", 5),
    ] {
        let (y, m) = (&day[..4], &day[5..7]);
        let bytes = encode_partition(&sales("hive", tenant, day, n), date(day)).expect("encode");
        put_hive(
            &lake,
            bucket,
            &format!("{hive}/tenant_id={tenant}/year={y}/month={m}/{day}.parquet"),
            bytes,
        )
        .await;
    }
    put_hive(
        &lake,
        bucket,
        &format!("{hive}/_tmp/notes.parquet"),
        b"not parquet".to_vec(),
    )
    .await;
    // The pipeline already committed acme's 2026-11-02 to the table.
    lake.tables
        .ensure_table(Dataset::SmartgoSales)
        .await
        .expect("table");
    let committed = lake
        .sales_file(
            "acme-1102",
            &sales("new", "acme", "2026-11-02", 2),
            "2026-11-02",
        )
        .await;
    lake.tables
        .replace_date(Dataset::SmartgoSales, date("2026-11-02"), &[committed])
        .await
        .expect("commit");

    let source = format!("s3://{bucket}/{hive}");
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |done: usize, total: usize| seen.lock().expect("lock").push((done, total));
    let dry = lake
        .tables
        .import_hive(Dataset::SmartgoSales, &source, true, &progress)
        .await
        .expect("dry run");
    assert_eq!((dry.imported.len(), dry.rows, dry.committed), (2, 8, false));
    assert_eq!(
        lake.read_back(Dataset::SmartgoSales).await["current"]["count"],
        2
    );

    let report = lake
        .tables
        .import_hive(Dataset::SmartgoSales, &source, false, &progress)
        .await
        .expect("import");
    assert_eq!(report.found, 4);
    assert!(report.committed);
    assert_eq!(report.rows, 3 + 5);
    let imported: Vec<(&str, &str, u64)> = report
        .imported
        .iter()
        .map(|f| (f.tenant.as_str(), f.first_date.as_str(), f.rows))
        .collect();
    assert_eq!(
        imported,
        [("acme", "2026-10-30", 3), ("globex", "2026-11-02", 5)]
    );
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(
        report.skipped[0]
            .source
            .ends_with("tenant_id=acme/year=2026/month=11/2026-11-02.parquet")
            && report.skipped[0]
                .reason
                .contains("already holds tenant acme's rows"),
        "{:?}",
        report.skipped
    );
    assert_eq!(report.refused.len(), 1, "{:?}", report.refused);
    assert!(
        report.refused[0].reason.contains("tenant_id="),
        "{:?}",
        report.refused
    );
    assert_eq!(seen.lock().expect("lock").last(), Some(&(2, 2)));
    // Copied byte for byte.
    for file in &report.imported {
        let get = |uri: &str| {
            let (b, k) = parse_s3_uri(uri).expect("uri");
            let (b, k) = (b.to_string(), k.to_string());
            let s3 = lake.tables.s3().clone();
            async move {
                s3.get_object()
                    .bucket(b)
                    .key(k)
                    .send()
                    .await
                    .expect("get")
                    .body
                    .collect()
                    .await
                    .expect("body")
                    .into_bytes()
            }
        };
        assert_eq!(
            get(&file.source).await,
            get(&file.uri).await,
            "{}",
            file.uri
        );
    }

    let table = lake.read_back(Dataset::SmartgoSales).await;
    assert_eq!(table["current"]["count"], 2 + 3 + 5);
    assert_eq!(table["current"]["distinct_sale_ids"], 10);
    assert_eq!(
        table["current"]["per_partition"],
        json!({"acme/2026-10": 3, "acme/2026-11": 2, "globex/2026-11": 5})
    );
    assert_eq!(
        batch_ids(&table)
            .last()
            .and_then(Value::as_str)
            .map(|b| b.starts_with("hive-import-")),
        Some(true)
    );

    // A re-run imports nothing: both copies are in the table.
    let again = lake
        .tables
        .import_hive(Dataset::SmartgoSales, &source, false, &progress)
        .await
        .expect("re-run");
    assert!(again.imported.is_empty() && !again.committed, "{again:?}");
    assert_eq!(again.snapshot_id, report.snapshot_id);
    assert_eq!(
        again
            .skipped
            .iter()
            .filter(|s| s.reason.starts_with("already imported"))
            .count(),
        2
    );
    assert_eq!(
        lake.read_back(Dataset::SmartgoSales).await["current"]["count"],
        10
    );

    let err = lake
        .tables
        .import_hive(Dataset::SmartgoSales, "old-lake/x", false, &progress)
        .await
        .expect_err("not an s3 uri");
    assert!(err.to_string().contains("source"), "{err}");
}
