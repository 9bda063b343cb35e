//! group-images end to end: the generated state machine under sfn-local with the real
//! activities, against moto server (S3, DynamoDB, SSM) and the local Bedrock endpoint —
//! a corrupt photo, a re-run that reuses every embedding, Bedrock throttling, a missing
//! config parameter, and a 500-image job under the payload limit.

use std::sync::Arc;

use local_bedrock::LocalBedrock;
use serde_json::{Value, json};
use sfn_local::{
    Fault, Faults, Options, Outcome, RegistryTasks, ServiceTasks, Status, TaskRunner, execute,
};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::group_images_world::{CORRUPT_PHOTO, GroupImagesWorld};
use stepwise_tests::{MotoServer, unique_id};

const PRODUCTS: usize = 6;

struct Setup {
    world: GroupImagesWorld,
    services: Arc<Services>,
    bedrock: LocalBedrock,
}

async fn setup() -> Setup {
    let moto = MotoServer::shared();
    let bedrock = LocalBedrock::start().await.expect("local bedrock");
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_bedrock_endpoint(bedrock.endpoint()),
    );
    let id = unique_id();
    let world = GroupImagesWorld::new(
        format!("gi-{id}"),
        format!("gi-jobs-{id}"),
        format!("/gi/{id}/config"),
        PRODUCTS,
    );
    world.seed(&services).await.expect("seeded");
    Setup {
        world,
        services,
        bedrock,
    }
}

/// The real activities and the AWS service integrations (the job record's DynamoDB
/// writes) against the local services.
fn real_tasks(setup: &Setup) -> Arc<dyn TaskRunner> {
    let registry = Arc::new(RegistryTasks::new(
        stepwise_lambda::all(),
        setup.services.clone(),
    ));
    Arc::new(ServiceTasks::new(registry, setup.services.clone()))
}

async fn run(
    setup: &Setup,
    world: &GroupImagesWorld,
    input: Value,
    tasks: Arc<dyn TaskRunner>,
) -> Outcome {
    let machine = GroupImagesWorld::machine().expect("machine");
    let options = Options {
        virtual_time: true,
        state_machine_name: statemachines::group_images::NAME.to_string(),
        execution_name: input["job_id"].as_str().map(str::to_string),
        services: Some(setup.services.clone()),
        seed: Some(16),
        substitutions: world.substitutions(),
        ..Options::default()
    };
    execute(&machine, input, tasks, options)
        .await
        .expect("starts")
}

fn job(setup: &Setup, job_id: &str) -> Value {
    json!({"tenant_id": "acme", "job_id": job_id, "images": setup.world.images()})
}

/// The product of an image id `products/P-<n>/<view>.jpg`.
fn product_of(id: &str) -> &str {
    id.split('/').nth(1).unwrap_or(id)
}

#[tokio::test]
async fn a_corrupt_photo_is_reported_the_rest_grouped_and_a_rerun_embeds_nothing() {
    let setup = setup().await;
    let outcome = run(
        &setup,
        &setup.world,
        job(&setup, "job-1"),
        real_tasks(&setup),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let summary = outcome.output.expect("output");
    assert_eq!(summary["images"], 19);
    assert_eq!(summary["failed_count"], 1);
    assert_eq!(summary["group_count"], PRODUCTS);
    let photos = (PRODUCTS * 3) as u64;
    assert_eq!(
        setup.bedrock.invocations().total(),
        photos,
        "each photo embedded once"
    );

    let result = setup
        .world
        .json(&setup.services, summary["result"]["key"].as_str().unwrap())
        .await
        .expect("result.json");
    // Every group is one product's three views; the corrupt photo is reported.
    let groups = result["groups"].as_array().unwrap();
    assert_eq!(groups.len(), PRODUCTS);
    for group in groups {
        let members: Vec<&str> = group["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(members.len(), 3, "{members:?}");
        assert!(
            members
                .iter()
                .all(|m| product_of(m) == product_of(members[0])),
            "{members:?}"
        );
        assert!(members.contains(&group["representative"]["id"].as_str().unwrap()));
        assert!(group["cohesion"].as_f64().unwrap() > 0.8);
        let thumbnail = group["representative"]["thumbnail"]
            .as_str()
            .expect("thumbnail");
        assert!(thumbnail.starts_with("thumbnails/256/"), "{thumbnail}");
    }
    assert_eq!(result["failed"].as_array().unwrap().len(), 1);
    assert_eq!(result["failed"][0]["id"], CORRUPT_PHOTO);
    assert_eq!(result["failed"][0]["error"], "InvalidImage");

    let record = setup
        .world
        .job(&setup.services, "acme", "job-1")
        .await
        .unwrap()
        .expect("record");
    assert_eq!(record["status"], "SUCCEEDED", "{record}");
    assert_eq!(record["total"], 19);
    assert_eq!(
        record["done"], 18,
        "every photo but the corrupt one counted"
    );
    assert_eq!(record["group_count"], PRODUCTS);
    assert_eq!(record["result_key"], summary["result"]["key"]);
    let now = chrono::Utc::now().timestamp();
    let ttl = record["expires_at"].as_i64().unwrap();
    assert!(
        (now + 29 * 86_400..=now + 31 * 86_400).contains(&ttl),
        "{ttl}"
    );

    // The same photos again, as another job: every embedding is reused.
    let again = run(
        &setup,
        &setup.world,
        job(&setup, "job-2"),
        real_tasks(&setup),
    )
    .await;
    assert_eq!(again.status, Status::Succeeded, "{:?}", again.failure);
    assert_eq!(
        setup.bedrock.invocations().total(),
        photos,
        "no Bedrock call the second time"
    );
    let again = again.output.unwrap();
    assert_eq!(again["group_count"], PRODUCTS);
    let rerun = setup
        .world
        .json(&setup.services, again["result"]["key"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        rerun["groups"], result["groups"],
        "the same groups in the same order"
    );
}

#[tokio::test]
async fn bedrock_throttling_is_retried_and_every_photo_is_embedded_once() {
    let setup = setup().await;
    let faults = Arc::new(Faults::new(
        real_tasks(&setup),
        [Fault::on("EmbedGroupImage")
            .items_where(|i| i % 2 == 0)
            .first_attempts(2)
            .throw("Throttled", "Rate exceeded")],
    ));
    let outcome = run(
        &setup,
        &setup.world,
        job(&setup, "job-throttled"),
        faults.clone(),
    )
    .await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    assert!(
        faults.injected().len() >= 9 * 2,
        "{}",
        faults.injected().len()
    );
    let photos = (PRODUCTS * 3) as u64;
    assert_eq!(setup.bedrock.invocations().total(), photos);
    assert_eq!(setup.bedrock.invocations().most_for_one_image(), 1);
    assert_eq!(outcome.output.unwrap()["group_count"], PRODUCTS);
}

#[tokio::test]
async fn a_missing_config_parameter_fails_the_job_naming_it() {
    let setup = setup().await;
    let mut world = setup.world.clone();
    world.parameter = format!("{}-missing", world.parameter);
    let outcome = run(
        &setup,
        &world,
        job(&setup, "job-no-config"),
        real_tasks(&setup),
    )
    .await;
    assert_eq!(outcome.status, Status::Failed);
    let failure = outcome.failure.expect("failure");
    assert_eq!(failure.error, "NotFound", "{failure:?}");
    assert!(
        failure.cause.contains(&world.parameter),
        "{}",
        failure.cause
    );
    let record = world
        .job(&setup.services, "acme", "job-no-config")
        .await
        .unwrap()
        .expect("record");
    assert_eq!(record["status"], "FAILED");
    assert_eq!(record["error"], "NotFound");
    assert!(
        record["cause"].as_str().unwrap().contains(&world.parameter),
        "{record}"
    );
    assert_eq!(setup.bedrock.invocations().total(), 0);
}

#[tokio::test]
async fn a_500_image_job_stays_under_the_payload_limit_everywhere() {
    let setup = setup().await;
    // 500 images under long keys (copies of the product photos), the largest list the
    // input schema allows.
    let s3 = setup.services.aws.s3().await;
    let mut images = Vec::new();
    for n in 0..500 {
        let product = n % PRODUCTS;
        let view = ["front", "side", "back"][(n / PRODUCTS) % 3];
        let key = format!(
            "products/P-{product}/copies/a-rather-long-folder-name-as-real-buckets-have/{view}-{n:04}.jpg"
        );
        s3.copy_object()
            .bucket(&setup.world.bucket)
            .key(&key)
            .copy_source(format!(
                "{}/{}",
                setup.world.bucket,
                GroupImagesWorld::photo_key(product, view)
            ))
            .send()
            .await
            .expect("copy");
        images.push(json!({"id": format!("image-{n:04}-{product}-{view}"), "uri": format!("s3://{}/{key}", setup.world.bucket)}));
    }
    let input = json!({"tenant_id": "acme", "job_id": "job-500", "images": images});
    let input_bytes = input.to_string().len();
    let outcome = run(&setup, &setup.world, input, real_tasks(&setup)).await;
    assert_eq!(outcome.status, Status::Succeeded, "{:?}", outcome.failure);
    let summary = outcome.output.unwrap();
    assert_eq!(summary["images"], 500);
    assert_eq!(summary["failed_count"], 0);
    assert_eq!(
        summary["group_count"], PRODUCTS,
        "copies of one view have one content"
    );
    // No state carries more than the execution input and a few KiB: far under 256 KiB.
    let largest = outcome
        .events
        .iter()
        .filter_map(|e| e.details.as_ref())
        .flat_map(|d| {
            ["input", "output"].map(|k| d.get(k).and_then(Value::as_str).map_or(0, str::len))
        })
        .max()
        .unwrap_or(0);
    assert!(largest < 256 * 1024, "{largest} bytes");
    assert!(
        largest <= input_bytes + 16 * 1024,
        "largest payload {largest} vs input {input_bytes}"
    );
}
