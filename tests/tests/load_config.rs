//! `LoadConfig` against moto server's SSM: the typed configuration without its secret,
//! error names and causes, the parameter cache, and the standard AWS environment
//! variables in a child process.
//!
//! Every test shares one moto server ([`MotoServer::shared`]) and uses its own
//! parameter names.

use std::time::Duration;

use aws_sdk_ssm::types::ParameterType;
use serde_json::{Value, json};
use stepwise_runtime::aws::Aws;
use stepwise_runtime::params::{ExposeSecret, ParameterCache};
use stepwise_runtime::{Context, Services};
use stepwise_tests::{MotoServer, unique_name};

const PASSWORD: &str = "pa55-W0rd-only-in-ssm";

fn config(bucket: &str) -> Value {
    json!({
        "database_url": format!("postgres://export:{PASSWORD}@db.internal:5432/smartgo"),
        "bucket": bucket,
        "staging_prefix": "staging/daily-sales/",
        "lake_prefix": "lake/sales/",
        "progress_table": "stepwise-progress",
        "tenants": ["acme", "globex"],
        "embed_concurrency": 4
    })
}

fn context(moto: &MotoServer) -> Context {
    Context::new(Services::with_aws(Aws::with_config(moto.sdk_config())))
}

fn ssm(moto: &MotoServer) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&moto.sdk_config())
}

async fn put(moto: &MotoServer, name: &str, value: &Value) {
    ssm(moto)
        .put_parameter()
        .name(name)
        .value(value.to_string())
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .expect("put_parameter");
}

async fn load(ctx: &Context, name: &str) -> Result<Value, stepwise_runtime::ActivityError> {
    stepwise_lambda::all()
        .invoke("LoadConfig", json!({ "parameter": name }), ctx)
        .await
}

#[tokio::test]
async fn loads_the_typed_config_without_the_secret() {
    let moto = MotoServer::shared();
    let name = unique_name("config");
    put(moto, &name, &config("smartgo-analytics")).await;

    let output = load(&context(moto), &name).await.unwrap();

    assert_eq!(
        output,
        json!({
            "config_parameter": name,
            "bucket": "smartgo-analytics",
            "staging_prefix": "staging/daily-sales/",
            "lake_prefix": "lake/sales/",
            "progress_table": "stepwise-progress",
            "tenants": ["acme", "globex"],
            "bedrock": {"model_id": "amazon.titan-embed-image-v1"},
            "embed_concurrency": 4,
            "image_limits": {"max_bytes": 10485760, "timeout_seconds": 30, "max_dimension": 2048}
        })
    );
    assert!(!output.to_string().contains(PASSWORD));
}

#[tokio::test]
async fn the_secret_is_read_again_through_the_cache() {
    let moto = MotoServer::shared();
    let name = unique_name("config");
    put(moto, &name, &config("smartgo-analytics")).await;
    let ctx = context(moto);

    let settings = load(&ctx, &name).await.unwrap();
    let parameter = settings["config_parameter"].as_str().unwrap();
    let full = stepwise_daily_sales_export::config::PipelineConfig::load(&ctx, parameter)
        .await
        .unwrap();

    assert!(full.database_url.expose_secret().contains(PASSWORD));
}

#[tokio::test]
async fn a_missing_parameter_is_not_found_naming_it() {
    let moto = MotoServer::shared();
    let name = unique_name("absent");

    let err = load(&context(moto), &name).await.unwrap_err();

    assert_eq!(err.name, stepwise_runtime::errors::NOT_FOUND);
    assert!(
        err.cause
            .starts_with(&format!("SSM parameter {name} does not exist")),
        "{}",
        err.cause
    );
    assert!(err.cause.contains("ParameterNotFound"), "{}", err.cause);
}

#[tokio::test]
async fn a_config_missing_a_field_is_invalid_input_naming_it_without_the_secret() {
    let moto = MotoServer::shared();
    let name = unique_name("config");
    let mut doc = config("smartgo-analytics");
    doc.as_object_mut().unwrap().remove("progress_table");
    doc["embed_concurrency"] = json!(format!("{PASSWORD}"));
    put(moto, &name, &doc).await;

    let err = load(&context(moto), &name).await.unwrap_err();

    assert_eq!(err.name, stepwise_runtime::errors::INVALID_INPUT);
    assert!(err.cause.contains(&name), "{}", err.cause);
    assert!(err.cause.contains("embed_concurrency"), "{}", err.cause);
    assert!(
        !err.cause.contains(PASSWORD),
        "secret leaked: {}",
        err.cause
    );

    doc["embed_concurrency"] = json!(4);
    put(moto, &name, &doc).await;
    let err = load(&context(moto), &name).await.unwrap_err();
    assert_eq!(err.name, stepwise_runtime::errors::INVALID_INPUT);
    assert!(
        err.cause.ends_with("missing field \"progress_table\""),
        "{}",
        err.cause
    );
    assert!(
        !err.cause.contains(PASSWORD),
        "secret leaked: {}",
        err.cause
    );
}

#[tokio::test]
async fn a_changed_parameter_is_seen_only_after_the_ttl() {
    let moto = MotoServer::shared();
    let name = unique_name("config");
    put(moto, &name, &config("bucket-one")).await;
    let ctx = context(moto);
    let short = Context::new(std::sync::Arc::new(Services {
        aws: Aws::with_config(moto.sdk_config()),
        params: ParameterCache::with_ttl(Duration::from_millis(200)),
    }));
    assert_eq!(load(&ctx, &name).await.unwrap()["bucket"], "bucket-one");
    assert_eq!(load(&short, &name).await.unwrap()["bucket"], "bucket-one");

    put(moto, &name, &config("bucket-two")).await;

    // Within the TTL: the cached value.
    assert_eq!(load(&ctx, &name).await.unwrap()["bucket"], "bucket-one");
    // A fresh cache reads SSM.
    assert_eq!(
        load(&context(moto), &name).await.unwrap()["bucket"],
        "bucket-two"
    );
    // Once the TTL has passed, the same cache reads SSM again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(load(&short, &name).await.unwrap()["bucket"], "bucket-two");
}

#[tokio::test]
async fn an_unknown_input_field_is_rejected_and_nothing_is_written() {
    let moto = MotoServer::shared();
    let name = unique_name("config");
    put(moto, &name, &config("smartgo-analytics")).await;
    let before = ssm(moto)
        .get_parameter()
        .name(&name)
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();

    let err = stepwise_lambda::all()
        .invoke(
            "LoadConfig",
            json!({"parameter": name, "overwrite": {"bucket": "elsewhere"}}),
            &context(moto),
        )
        .await
        .unwrap_err();

    assert_eq!(err.name, stepwise_runtime::errors::INVALID_INPUT);
    assert!(
        err.cause
            .starts_with("input field \"overwrite\": unknown field \"overwrite\""),
        "{}",
        err.cause
    );
    let after = ssm(moto)
        .get_parameter()
        .name(&name)
        .send()
        .await
        .unwrap()
        .parameter
        .unwrap();
    assert_eq!(after.version, before.version);
    assert_eq!(after.value, before.value);
    assert_eq!(after.last_modified_date, before.last_modified_date);
}

/// Runs the `invoke` binary with the standard variables pointing at moto and returns its
/// exit status, stdout and stderr.
async fn invoke_in_child(env: &[(&str, String)], input: Value) -> (bool, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_invoke"));
    command.arg("LoadConfig").arg(input.to_string());
    // Nothing from the developer's own AWS setup may take part.
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SSM",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ] {
        command.env_remove(var);
    }
    command
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().await.expect("running invoke");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_standard_environment_variables_are_honoured() {
    let moto = MotoServer::shared();
    let name = unique_name("config");
    put(moto, &name, &config("from-the-environment")).await;

    let (ok, stdout, stderr) = invoke_in_child(&moto.env(), json!({ "parameter": name })).await;

    assert!(ok, "invoke failed: {stderr}");
    let output: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(output["bucket"], "from-the-environment");
    assert_eq!(output["config_parameter"], name.as_str());
    assert!(!stdout.contains(PASSWORD));

    let (ok, _, stderr) =
        invoke_in_child(&moto.env(), json!({ "parameter": unique_name("absent") })).await;
    assert!(!ok);
    let error: Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(error["Error"], "NotFound");
}

#[tokio::test]
async fn a_service_specific_endpoint_variable_wins() {
    let moto = MotoServer::shared();
    let name = unique_name("config");
    put(moto, &name, &config("per-service-endpoint")).await;
    let mut env = moto.env();
    // The general endpoint points nowhere; only SSM's own variable reaches moto.
    env.retain(|(key, _)| *key != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_string()));
    env.push(("AWS_ENDPOINT_URL_SSM", moto.endpoint()));

    let (ok, stdout, stderr) = invoke_in_child(&env, json!({ "parameter": name })).await;

    assert!(ok, "invoke failed: {stderr}");
    let output: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(output["bucket"], "per-service-endpoint");
}
