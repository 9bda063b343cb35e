//! `QuerySales` against moto server (SSM for the configuration, S3 for the manifest) and
//! both SmartGo databases: a SQLite file and a real PostgreSQL server
//! ([`PostgresServer::shared`]), seeded with the same sales over several days and three
//! tenants (one not configured).
//!
//! Every test uses its own SSM parameter, bucket and database (a database URL names one
//! connection pool per process, and pools belong to the Tokio runtime of the test that
//! opened them).

use aws_sdk_ssm::types::ParameterType;
use serde_json::{Value, json};
use sqlx::AnyPool;
use stepwise_daily_sales_export::query_sales::{Dialect, MANIFEST_PART_SIZE};
use stepwise_lake::Sale;
use stepwise_runtime::{ActivityError, Context, Services, aws::Aws, errors};
use stepwise_tests::postgres::PostgresServer;
use stepwise_tests::{MotoServer, unique_id, unique_name};
use tempfile::TempDir;

const EXECUTION: &str =
    "arn:aws:states:us-east-1:123456789012:execution:daily-sales-export:exec-42";
const STAGING: &str = "staging/daily-sales/";

/// A seeded sale: id, tenant, `sold_at` as stored, quantity, image URL.
type Seed = (&'static str, &'static str, &'static str, i64, &'static str);

/// Sales over 2026-11-22 … 2026-11-24 for acme, globex and umbrella (not configured).
const SEEDS: &[Seed] = &[
    (
        "S-001",
        "acme",
        "2026-11-22T23:59:59Z",
        1,
        "s3://img/acme/p1.jpg",
    ),
    (
        "S-002",
        "acme",
        "2026-11-23T00:00:00Z",
        2,
        "s3://img/acme/p2.jpg",
    ),
    (
        "S-003",
        "acme",
        "2026-11-23T12:30:00Z",
        1,
        "https://cdn.example/acme/p3.jpg",
    ),
    // The same instant as S-003: the sale id breaks the tie.
    (
        "S-000",
        "acme",
        "2026-11-23T12:30:00Z",
        3,
        "s3://img/acme/p0.jpg",
    ),
    // A real sale with no image and a return (negative quantity): exported all the same.
    ("S-004", "acme", "2026-11-23T18:00:00Z", 0, ""),
    (
        "S-005",
        "acme",
        "2026-11-23T20:00:00Z",
        -1,
        "s3://img/acme/p5.jpg",
    ),
    (
        "S-006",
        "acme",
        "2026-11-23T23:59:59Z",
        1,
        "s3://img/acme/p6.jpg",
    ),
    (
        "S-007",
        "acme",
        "2026-11-24T00:00:00Z",
        1,
        "s3://img/acme/p7.jpg",
    ),
    (
        "S-008",
        "globex",
        "2026-11-23T08:15:00Z",
        4,
        "s3://img/globex/g8.jpg",
    ),
    // 00:30 in UTC+01:00 is 23:30 UTC of the 23rd.
    (
        "S-009",
        "globex",
        "2026-11-24T00:30:00+01:00",
        1,
        "s3://img/globex/g9.jpg",
    ),
    (
        "S-010",
        "globex",
        "2026-11-24T09:00:00Z",
        2,
        "s3://img/globex/g10.jpg",
    ),
    (
        "S-011",
        "globex",
        "2026-11-24T23:59:59Z",
        5,
        "s3://img/globex/g11.jpg",
    ),
    (
        "S-012",
        "umbrella",
        "2026-11-23T10:00:00Z",
        9,
        "s3://img/umbrella/u.jpg",
    ),
];

fn sale(seed: &Seed, sold_at_utc: &str) -> Sale {
    let (sale_id, tenant_id, _, quantity, image_url) = *seed;
    Sale {
        sale_id: sale_id.into(),
        tenant_id: tenant_id.into(),
        product_id: format!("P-{}", &sale_id[2..]),
        sold_at: sold_at_utc.into(),
        quantity,
        unit_price_cents: 1_999,
        currency: "EUR".into(),
        image_url: image_url.into(),
    }
}

fn seed(id: &str) -> &'static Seed {
    SEEDS
        .iter()
        .find(|s| s.0 == id)
        .unwrap_or_else(|| panic!("no seed {id}"))
}

/// The manifest text of `sales`: one JSON object per line.
fn jsonl(sales: &[Sale]) -> String {
    sales
        .iter()
        .map(|s| serde_json::to_string(s).unwrap() + "\n")
        .collect()
}

/// A SmartGo database of one dialect, created for one test.
enum Db {
    Sqlite { _dir: TempDir, url: String },
    Postgres { url: String },
}

impl Db {
    fn url(&self) -> &str {
        match self {
            Db::Sqlite { url, .. } | Db::Postgres { url } => url,
        }
    }

    fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite { .. } => Dialect::Sqlite,
            Db::Postgres { .. } => Dialect::Postgres,
        }
    }

    /// A new, empty database (no table).
    fn empty(dialect: Dialect) -> Db {
        match dialect {
            Dialect::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("smartgo.db").display()
                );
                Db::Sqlite { _dir: dir, url }
            }
            Dialect::Postgres => {
                let name = format!("qs_{}", unique_id().replace('-', "_"));
                let url = PostgresServer::shared().create_database(&name).unwrap();
                Db::Postgres { url }
            }
        }
    }

    /// A new database with the `sales` table and `sales` in it.
    async fn with_sales(dialect: Dialect, sales: &[Sale]) -> Db {
        let db = Db::empty(dialect);
        let pool = connect(db.url()).await;
        sqlx::raw_sql(dialect.schema())
            .execute(&pool)
            .await
            .unwrap();
        let mut tx = pool.begin().await.unwrap();
        for s in sales {
            sqlx::query(dialect.insert_sale())
                .bind(s.sale_id.clone())
                .bind(s.tenant_id.clone())
                .bind(s.product_id.clone())
                .bind(s.sold_at.clone())
                .bind(s.quantity)
                .bind(s.unit_price_cents)
                .bind(s.currency.clone())
                .bind(s.image_url.clone())
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        pool.close().await;
        db
    }

    /// A new database with [`SEEDS`], `sold_at` stored as written.
    async fn seeded(dialect: Dialect) -> Db {
        let sales: Vec<Sale> = SEEDS.iter().map(|s| sale(s, s.2)).collect();
        Db::with_sales(dialect, &sales).await
    }
}

async fn connect(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(url).await.unwrap()
}

fn context(moto: &MotoServer) -> Context {
    let mut ctx = Context::new(Services::with_aws(Aws::with_config(moto.sdk_config())));
    ctx.execution = Some(EXECUTION.into());
    ctx
}

fn s3(moto: &MotoServer) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&moto.sdk_config())
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The configuration of one test in moto: a bucket and the SecureString parameter whose
/// `database_url` is `url`. Returns the settings LoadConfig gives for it.
async fn configure(moto: &MotoServer, url: &str) -> Value {
    let bucket = format!("stepwise-qs-{}", unique_id());
    s3(moto)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let parameter = unique_name("query-sales");
    let document = json!({
        "database_url": url,
        "bucket": bucket,
        "staging_prefix": STAGING,
        "lake_prefix": "lake/sales/",
        "progress_table": "stepwise-progress",
        "tenants": ["globex", "acme"],
        "embed_concurrency": 4
    });
    aws_sdk_ssm::Client::new(&moto.sdk_config())
        .put_parameter()
        .name(&parameter)
        .value(document.to_string())
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    stepwise_lambda::all()
        .invoke(
            "LoadConfig",
            json!({ "parameter": parameter }),
            &context(moto),
        )
        .await
        .unwrap()
}

fn request(config: &Value, extra: Value) -> Value {
    let mut request = json!({
        "config_parameter": config["config_parameter"],
        "progress_table": config["progress_table"],
    });
    if let (Some(doc), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
        doc.extend(extra.clone());
    }
    request
}

async fn query(ctx: &Context, config: &Value, extra: Value) -> Result<Value, ActivityError> {
    stepwise_lambda::all()
        .invoke(
            "QuerySales",
            json!({"request": request(config, extra), "config": config}),
            ctx,
        )
        .await
}

async fn read_manifest(moto: &MotoServer, output: &Value) -> String {
    let object = s3(moto)
        .get_object()
        .bucket(output["manifest"]["bucket"].as_str().unwrap())
        .key(output["manifest"]["key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let bytes = object.body.collect().await.unwrap().into_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The keys in the test's bucket.
async fn keys(moto: &MotoServer, config: &Value) -> Vec<String> {
    s3(moto)
        .list_objects_v2()
        .bucket(config["bucket"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

/// The sales of 2026-11-23 of acme and globex, in manifest order.
fn expected_window() -> Vec<Sale> {
    vec![
        sale(seed("S-002"), "2026-11-23T00:00:00Z"),
        sale(seed("S-000"), "2026-11-23T12:30:00Z"),
        sale(seed("S-003"), "2026-11-23T12:30:00Z"),
        sale(seed("S-004"), "2026-11-23T18:00:00Z"),
        sale(seed("S-005"), "2026-11-23T20:00:00Z"),
        sale(seed("S-006"), "2026-11-23T23:59:59Z"),
        sale(seed("S-008"), "2026-11-23T08:15:00Z"),
        sale(seed("S-009"), "2026-11-23T23:30:00Z"),
    ]
}

/// Runs the scheduled export of 2026-11-23 against a seeded database of `dialect` and
/// checks the output and the manifest; returns the manifest.
async fn scheduled_export(dialect: Dialect) -> String {
    let moto = MotoServer::shared();
    let db = Db::seeded(dialect).await;
    let config = configure(moto, db.url()).await;

    let output = query(
        &context(moto),
        &config,
        json!({"scheduled_time": "2026-11-24T03:00:00Z"}),
    )
    .await
    .unwrap();

    assert_eq!(
        output,
        json!({
            "export_date": "2026-11-23",
            "window_start": "2026-11-23T00:00:00Z",
            "window_end": "2026-11-24T00:00:00Z",
            "count": 8,
            "tenants": [
                {"tenant_id": "acme", "count": 6},
                {"tenant_id": "globex", "count": 2}
            ],
            "manifest": {
                "bucket": config["bucket"],
                "key": "staging/daily-sales/runs/2026-11-23/exec-42/sales.jsonl"
            },
            "run_prefix": "staging/daily-sales/runs/2026-11-23/exec-42/",
            "results_prefix": "staging/daily-sales/runs/2026-11-23/exec-42/embed-results"
        }),
        "{:?}",
        db.dialect()
    );
    let manifest = read_manifest(moto, &output).await;
    assert_eq!(manifest, jsonl(&expected_window()), "{:?}", db.dialect());
    manifest
}

#[tokio::test]
async fn sqlite_exports_exactly_the_window_in_order() {
    scheduled_export(Dialect::Sqlite).await;
}

#[tokio::test]
async fn postgres_exports_exactly_the_window_in_order() {
    scheduled_export(Dialect::Postgres).await;
}

#[tokio::test]
async fn both_databases_give_identical_manifests() {
    let (sqlite, postgres) = tokio::join!(
        scheduled_export(Dialect::Sqlite),
        scheduled_export(Dialect::Postgres)
    );
    assert_eq!(sqlite.as_bytes(), postgres.as_bytes());
}

async fn date_and_tenant(dialect: Dialect) {
    let moto = MotoServer::shared();
    let db = Db::seeded(dialect).await;
    let config = configure(moto, db.url()).await;
    let ctx = context(moto);

    // `date` wins over `scheduled_time`; one tenant only.
    let output = query(
        &ctx,
        &config,
        json!({"scheduled_time": "2026-11-24T03:00:00Z", "date": "2026-11-24", "tenant_id": "globex"}),
    )
    .await
    .unwrap();
    assert_eq!(output["export_date"], "2026-11-24", "{dialect:?}");
    assert_eq!(output["count"], 2, "{dialect:?}");
    assert_eq!(
        output["tenants"],
        json!([{"tenant_id": "globex", "count": 2}]),
        "{dialect:?}"
    );
    assert_eq!(
        output["manifest"]["key"],
        "staging/daily-sales/runs/2026-11-24/exec-42/sales.jsonl"
    );
    assert_eq!(
        read_manifest(moto, &output).await,
        jsonl(&[
            sale(seed("S-010"), "2026-11-24T09:00:00Z"),
            sale(seed("S-011"), "2026-11-24T23:59:59Z"),
        ]),
        "{dialect:?}"
    );

    // A day without sales: an empty manifest, every tenant with zero.
    let output = query(&ctx, &config, json!({"date": "2026-11-30"}))
        .await
        .unwrap();
    assert_eq!(output["count"], 0);
    assert_eq!(
        output["tenants"],
        json!([{"tenant_id": "acme", "count": 0}, {"tenant_id": "globex", "count": 0}])
    );
    assert_eq!(read_manifest(moto, &output).await, "");
}

#[tokio::test]
async fn a_date_override_and_a_tenant_filter_sqlite() {
    date_and_tenant(Dialect::Sqlite).await;
}

#[tokio::test]
async fn a_date_override_and_a_tenant_filter_postgres() {
    date_and_tenant(Dialect::Postgres).await;
}

#[tokio::test]
async fn an_unconfigured_tenant_is_invalid_input_and_nothing_is_written() {
    let moto = MotoServer::shared();
    let db = Db::seeded(Dialect::Sqlite).await;
    let config = configure(moto, db.url()).await;

    let err = query(
        &context(moto),
        &config,
        json!({"date": "2026-11-23", "tenant_id": "umbrella"}),
    )
    .await
    .unwrap_err();

    assert_eq!(err.name, errors::INVALID_INPUT);
    assert_eq!(
        err.cause,
        "input field \"request.tenant_id\": tenant \"umbrella\" is not configured (configured: globex, acme)"
    );
    assert_eq!(keys(moto, &config).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_wrong_database_password_fails_without_showing_it() {
    let moto = MotoServer::shared();
    let server = PostgresServer::shared();
    let db = Db::seeded(Dialect::Postgres).await;
    let role = format!("export_{}", unique_id().replace('-', "_"));
    server
        .psql(
            "postgres",
            &format!("CREATE ROLE {role} LOGIN PASSWORD 'the-Right-pw-1'"),
        )
        .unwrap();
    let database = db.url().rsplit('/').next().unwrap().to_string();
    let password = "Wr0ng-pa55word-x9";
    let url = format!(
        "postgres://{role}:{password}@127.0.0.1:{}/{database}",
        server.port()
    );
    let config = configure(moto, &url).await;

    let err = query(&context(moto), &config, json!({"date": "2026-11-23"}))
        .await
        .unwrap_err();

    assert_eq!(err.name, errors::PERMANENT, "{}", err.cause);
    assert!(
        err.cause.contains("refused the credentials"),
        "{}",
        err.cause
    );
    assert!(
        err.cause
            .contains(config["config_parameter"].as_str().unwrap()),
        "{}",
        err.cause
    );
    assert!(
        !err.cause.contains(password),
        "password leaked: {}",
        err.cause
    );
    assert!(
        !err.cause.contains("Wr0ng"),
        "password leaked: {}",
        err.cause
    );
    assert_eq!(keys(moto, &config).await, Vec::<String>::new());
}

async fn no_table(dialect: Dialect) {
    let moto = MotoServer::shared();
    let db = Db::empty(dialect);
    let config = configure(moto, db.url()).await;

    let err = query(&context(moto), &config, json!({"date": "2026-11-23"}))
        .await
        .unwrap_err();

    assert_eq!(err.name, errors::PERMANENT, "{dialect:?}: {}", err.cause);
    assert!(
        err.cause.contains("there is no table \"sales\""),
        "{dialect:?}: {}",
        err.cause
    );
    assert!(
        err.cause
            .contains(config["config_parameter"].as_str().unwrap()),
        "{}",
        err.cause
    );
    assert!(!err.cause.contains(db.url()), "{}", err.cause);
    assert_eq!(keys(moto, &config).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_database_without_the_table_is_permanent_naming_it_sqlite() {
    no_table(Dialect::Sqlite).await;
}

#[tokio::test]
async fn a_database_without_the_table_is_permanent_naming_it_postgres() {
    no_table(Dialect::Postgres).await;
}

#[tokio::test]
async fn an_unreachable_database_is_transient() {
    let moto = MotoServer::shared();
    // Nothing listens on a port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://export:S3cret-pw@127.0.0.1:{port}/smartgo");
    let config = configure(moto, &url).await;

    let err = query(&context(moto), &config, json!({"date": "2026-11-23"}))
        .await
        .unwrap_err();

    assert_eq!(err.name, errors::TRANSIENT, "{}", err.cause);
    assert!(!err.cause.contains("S3cret-pw"), "{}", err.cause);
}

#[tokio::test]
async fn warm_invocations_reuse_one_connection() {
    let moto = MotoServer::shared();
    let server = PostgresServer::shared();
    let db = Db::seeded(Dialect::Postgres).await;
    let database = db.url().rsplit('/').next().unwrap().to_string();
    let config = configure(moto, db.url()).await;
    let ctx = context(moto);
    let count = || {
        server
            .psql(
                "postgres",
                &format!("SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'"),
            )
            .unwrap()
            .trim()
            .to_string()
    };
    // The seeding pool's close returns before its backend has left pg_stat_activity:
    // wait for it to go, so the count below is the activity's connections only.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count() != "0" {
        assert!(
            std::time::Instant::now() < deadline,
            "the seeding connection never closed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let invocations = 10;
    for _ in 0..invocations {
        let output = query(&ctx, &config, json!({"date": "2026-11-23"}))
            .await
            .unwrap();
        assert_eq!(output["count"], 8);
    }

    // sqlx hands a connection back to its pool in a background task, so under load the
    // next invocation can find the pool empty and open a second one; a connection per
    // invocation would leave ten.
    let open: u32 = count().parse().unwrap();
    assert!(
        (1..=2).contains(&open),
        "{invocations} warm invocations left {open} connections open"
    );
}

#[tokio::test]
async fn many_sales_stream_into_a_multipart_manifest() {
    let moto = MotoServer::shared();
    let day = "2026-11-23";
    let n = 40_000;
    let sales: Vec<Sale> = (0..n)
        .map(|i| Sale {
            sale_id: format!("S-{i:06}"),
            tenant_id: if i % 2 == 0 { "acme" } else { "globex" }.into(),
            product_id: format!("P-{:05}", i % 5000),
            sold_at: format!(
                "{day}T{:02}:{:02}:{:02}Z",
                (i / 3600) % 24,
                (i / 60) % 60,
                i % 60
            ),
            quantity: 1,
            unit_price_cents: 1_000 + i as i64,
            currency: "EUR".into(),
            image_url: format!(
                "s3://smartgo-product-images/tenants/acme-outdoor/products/P-{:05}/main.jpg",
                i % 5000
            ),
        })
        .collect();
    let db = Db::with_sales(Dialect::Sqlite, &sales).await;
    let config = configure(moto, db.url()).await;

    let output = query(&context(moto), &config, json!({"date": day}))
        .await
        .unwrap();

    assert_eq!(output["count"], n);
    assert_eq!(
        output["tenants"],
        json!([{"tenant_id": "acme", "count": n / 2}, {"tenant_id": "globex", "count": n / 2}])
    );
    let manifest = read_manifest(moto, &output).await;
    assert!(
        manifest.len() > MANIFEST_PART_SIZE,
        "only {} bytes: not a multipart upload",
        manifest.len()
    );
    let mut expected = sales;
    expected.sort_by(|a, b| {
        (&a.tenant_id, &a.sold_at, &a.sale_id).cmp(&(&b.tenant_id, &b.sold_at, &b.sale_id))
    });
    assert!(manifest == jsonl(&expected), "the manifest differs");
    // No multipart upload is left open.
    let open = s3(moto)
        .list_multipart_uploads()
        .bucket(config["bucket"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(open.uploads().is_empty(), "{:?}", open.uploads());
}
