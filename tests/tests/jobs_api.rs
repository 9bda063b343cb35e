//! The jobs API (issue 17) on the local server, against moto server and the local
//! Bedrock endpoint: a job runs to SUCCEEDED through POST and polling GET and returns
//! its groups; tenants are isolated; forged, expired and tenant-less tokens are 401;
//! bad bodies are 400 naming the problem with nothing started; an Idempotency-Key makes
//! two POSTs one job; the limit answers 429; the generated OpenAPI document passes an
//! independent validator.

use std::sync::Arc;
use std::time::Duration;

use local_bedrock::LocalBedrock;
use serde_json::{Value, json};
use stepwise_jobs_api::jwt::LocalKey;
use stepwise_jobs_api::limit::Limit;
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::group_images_world::{CORRUPT_PHOTO, GroupImagesWorld};
use stepwise_tests::jobs_api::{JobsServer, proxy_answer, status_event};
use stepwise_tests::{MotoServer, unique_id, workspace_root};

const PRODUCTS: usize = 3;

struct Setup {
    world: GroupImagesWorld,
    server: JobsServer,
    services: Arc<Services>,
    _bedrock: LocalBedrock,
}

async fn setup(limit: Limit) -> Setup {
    let moto = MotoServer::shared();
    let bedrock = LocalBedrock::start().await.expect("local bedrock");
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_bedrock_endpoint(bedrock.endpoint()),
    );
    let id = unique_id();
    let world = GroupImagesWorld::new(
        format!("jobs-{id}"),
        format!("jobs-table-{id}"),
        format!("/jobs/{id}/config"),
        PRODUCTS,
    );
    world.seed(&services).await.expect("seeded");
    let server = JobsServer::start(&moto.sdk_config(), services.clone(), &world, limit)
        .await
        .expect("jobs API");
    Setup {
        world,
        server,
        services,
        _bedrock: bedrock,
    }
}

fn body(world: &GroupImagesWorld) -> String {
    json!({"images": world.images()}).to_string()
}

fn product_of(id: &str) -> &str {
    id.split('/').nth(1).unwrap_or(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_runs_to_succeeded_and_its_status_returns_the_groups() {
    let s = setup(Limit::default()).await;
    let token = s.server.token("acme").unwrap();
    let accepted = s
        .server
        .post(Some(&token), None, &body(&s.world))
        .await
        .unwrap();
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert_eq!(accepted.body["status"], "ACCEPTED");
    let job = accepted.body["jobId"].as_str().unwrap().to_string();
    assert_eq!(accepted.body["statusUrl"], format!("/group-images/{job}"));
    assert_eq!(s.server.executions().await.unwrap(), vec![job.clone()]);

    let done = s
        .server
        .wait_done(&token, &job, Duration::from_secs(180))
        .await
        .unwrap();
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let total = (PRODUCTS * 3 + 1) as u64;
    assert_eq!(done["progress"]["total"], total);
    let groups = done["groups"].as_array().unwrap();
    assert_eq!(groups.len(), PRODUCTS, "one group per product: {done}");
    for group in groups {
        let members = group["members"].as_array().unwrap();
        let first = product_of(members[0]["id"].as_str().unwrap());
        assert!(
            members
                .iter()
                .all(|m| product_of(m["id"].as_str().unwrap()) == first),
            "a group mixes products: {group}"
        );
    }
    let failed = done["failedImages"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["id"], CORRUPT_PHOTO);
    assert_eq!(done["groupCount"], PRODUCTS as u64);

    // The presigned URL serves the full result, the same groups.
    let url = done["resultUrl"].as_str().unwrap();
    assert!(url.contains("X-Amz-Signature"), "{url}");
    let result = s.server.fetch_json(url).await.unwrap();
    assert_eq!(result.status, 200);
    assert_eq!(result.body["groups"], done["groups"]);
    assert_eq!(result.body["tenant_id"], "acme");

    // The status function (the GET in AWS) reads the same record and result and answers
    // the same body; its presigned URL serves the same result.
    let function = s
        .server
        .status_function(&MotoServer::shared().sdk_config(), &s.world);
    let answered = proxy_answer(&function.handle(&status_event("acme", &job)).await);
    assert_eq!(answered.status, 200, "{}", answered.body);
    let without_url = |v: &Value| {
        let mut v = v.clone();
        let url = v["resultUrl"].take();
        (
            v,
            url.as_str()
                .unwrap_or_default()
                .split('?')
                .next()
                .map(str::to_string),
        )
    };
    assert_eq!(without_url(&answered.body), without_url(&done));
    let theirs = s
        .server
        .fetch_json(answered.body["resultUrl"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(theirs.body, result.body);
    // Another tenant's job: the same 404 as the local server's.
    let other = s.server.token("tenant-b").unwrap();
    let local_404 = s.server.get(Some(&other), &job).await.unwrap();
    let function_404 = proxy_answer(&function.handle(&status_event("tenant-b", &job)).await);
    assert_eq!(local_404.status, 404);
    assert_eq!(
        (function_404.status, function_404.body),
        (404, local_404.body)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_without_a_record_yet_is_accepted_from_its_execution_for_its_tenant_only() {
    // In AWS the POST only starts the execution; the status function finds a job whose
    // record is not written yet through DescribeExecution. Here an execution that waits
    // on an activity nobody serves stays RUNNING with no record, like a group-images one
    // before its first state.
    let s = setup(Limit::default()).await;
    let id = stepwise_tests::unique_id();
    let activity = s
        .server
        .sfn
        .create_activity()
        .name(format!("held-{id}"))
        .send()
        .await
        .unwrap();
    let definition = json!({"StartAt": "Hold", "States": {"Hold": {
        "Type": "Task", "Resource": activity.activity_arn, "End": true}}});
    let machine = s
        .server
        .sfn
        .create_state_machine()
        .name(format!("held-{id}"))
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/stepwise-local")
        .send()
        .await
        .unwrap();
    let job = "held-job-1";
    let input = json!({"tenant_id": "acme", "job_id": job,
        "images": [{"uri": "s3://b/1.jpg"}, {"uri": "s3://b/2.jpg"}]});
    s.server
        .sfn
        .start_execution()
        .state_machine_arn(&machine.state_machine_arn)
        .name(job)
        .input(input.to_string())
        .send()
        .await
        .unwrap();
    let mut function = s
        .server
        .status_function(&MotoServer::shared().sdk_config(), &s.world);
    function.executions.state_machine_arn = machine.state_machine_arn.clone();

    let accepted = proxy_answer(&function.handle(&status_event("acme", job)).await);
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(
        accepted.body,
        json!({"jobId": job, "status": "ACCEPTED", "progress": {"done": 0, "total": 2}})
    );
    let theirs = proxy_answer(&function.handle(&status_event("tenant-b", job)).await);
    let missing = proxy_answer(&function.handle(&status_event("acme", "no-such-job")).await);
    assert_eq!(theirs.status, 404);
    assert_eq!(
        theirs.body, missing.body,
        "another tenant's job looks missing"
    );

    // An execution that ended without writing its record: FAILED with its error.
    s.server
        .sfn
        .stop_execution()
        .execution_arn(format!(
            "{}:{job}",
            machine
                .state_machine_arn
                .replace(":stateMachine:", ":execution:")
        ))
        .error("Stopped")
        .cause("stopped by the test")
        .send()
        .await
        .unwrap();
    let failed = proxy_answer(&function.handle(&status_event("acme", job)).await);
    assert_eq!(failed.body["status"], "FAILED", "{}", failed.body);
    assert_eq!(
        failed.body["error"],
        json!({"error": "Stopped", "cause": "stopped by the test"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_tenant_can_neither_read_nor_take_over_a_job() {
    let s = setup(Limit::default()).await;
    let a = s.server.token("tenant-a").unwrap();
    let b = s.server.token("tenant-b").unwrap();
    let images = json!({"images": [{"uri": format!("s3://{}/{CORRUPT_PHOTO}", s.world.bucket)}]})
        .to_string();
    let accepted = s
        .server
        .post(Some(&a), Some("shared-key-1"), &images)
        .await
        .unwrap();
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let job = accepted.body["jobId"].as_str().unwrap().to_string();
    assert_eq!(job, "shared-key-1");

    let theirs = s.server.get(Some(&b), &job).await.unwrap();
    let missing = s.server.get(Some(&b), "no-such-job").await.unwrap();
    assert_eq!(theirs.status, 404);
    assert_eq!(
        theirs.body, missing.body,
        "another tenant's job looks missing"
    );
    assert_eq!(s.server.get(Some(&a), &job).await.unwrap().status, 200);

    // B reusing A's key starts nothing and leaves A's job alone.
    let taken = s
        .server
        .post(Some(&b), Some("shared-key-1"), &images)
        .await
        .unwrap();
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert_eq!(s.server.executions().await.unwrap(), vec![job.clone()]);
    assert!(
        s.world
            .job(&s.services, "tenant-b", &job)
            .await
            .unwrap()
            .is_none()
    );
    // A's job runs on: its record is A's (the workflow writes it from its first state).
    let mut record = None;
    for _ in 0..100 {
        record = s.world.job(&s.services, "tenant-a", &job).await.unwrap();
        if record.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let record = record.expect("A's job record within 10 s");
    assert!(record["status"].is_string(), "{record}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_expired_and_tenantless_tokens_are_refused_and_start_nothing() {
    let s = setup(Limit::default()).await;
    let body = body(&s.world);
    let forged = LocalKey::generate()
        .unwrap()
        .token_for("acme", "custom:tenant", 3600)
        .unwrap();
    let expired = s
        .server
        .key
        .token_for("acme", "custom:tenant", -600)
        .unwrap();
    let tenantless = s
        .server
        .key
        .token_for("acme", "tenant_of_another_kind", 3600)
        .unwrap();
    for (what, token) in [
        ("none", None),
        ("forged", Some(forged.as_str())),
        ("expired", Some(expired.as_str())),
        ("no tenant claim", Some(tenantless.as_str())),
        ("garbage", Some("not.a.jwt")),
    ] {
        let post = s.server.post(token, None, &body).await.unwrap();
        assert_eq!(post.status, 401, "{what}: {}", post.body);
        assert_eq!(post.body["error"], "Unauthorized", "{what}");
        let get = s.server.get(token, "any-job").await.unwrap();
        assert_eq!(get.status, 401, "{what}");
    }
    let why = s.server.post(Some(&tenantless), None, &body).await.unwrap();
    assert!(
        why.body["message"]
            .as_str()
            .unwrap()
            .contains("custom:tenant"),
        "{}",
        why.body
    );
    assert!(s.server.executions().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_bodies_are_400_naming_the_problem_and_start_nothing() {
    let s = setup(Limit::default()).await;
    let token = s.server.token("acme").unwrap();
    let many: Vec<Value> = (0..501)
        .map(|i| json!({"uri": format!("s3://b/{i}.jpg")}))
        .collect();
    let cases: Vec<(&str, String, &str)> = vec![
        ("malformed JSON", "{\"images\": [".into(), "not JSON"),
        ("no images", "{}".into(), "images"),
        (
            "wrong type",
            json!({"images": "s3://b/k.jpg"}).to_string(),
            "/images",
        ),
        ("0 images", json!({"images": []}).to_string(), "/images"),
        ("501 images", json!({"images": many}).to_string(), "/images"),
        (
            "bad URI",
            json!({"images": [{"uri": "ftp://b/k.jpg"}]}).to_string(),
            "/images/0/uri",
        ),
        (
            "unknown field",
            json!({"images": [{"uri": "s3://b/k.jpg"}], "tenant_id": "someone-else"}).to_string(),
            "tenant_id",
        ),
        (
            "threshold type",
            json!({"images": [{"uri": "s3://b/k.jpg"}], "threshold": "high"}).to_string(),
            "/threshold",
        ),
    ];
    for (what, body, named) in cases {
        let answer = s.server.post(Some(&token), None, &body).await.unwrap();
        assert_eq!(answer.status, 400, "{what}: {}", answer.body);
        assert_eq!(answer.body["error"], "InvalidRequest", "{what}");
        let message = answer.body["message"].as_str().unwrap();
        assert!(message.contains(named), "{what}: {message}");
    }
    let bad_key = s
        .server
        .post(Some(&token), Some("has spaces"), &body(&s.world))
        .await
        .unwrap();
    assert_eq!(bad_key.status, 400);
    assert!(s.server.executions().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_makes_two_posts_one_job() {
    let s = setup(Limit::default()).await;
    let token = s.server.token("acme").unwrap();
    let body = body(&s.world);
    let first = s
        .server
        .post(Some(&token), Some("retry-me-7"), &body)
        .await
        .unwrap();
    let second = s
        .server
        .post(Some(&token), Some("retry-me-7"), &body)
        .await
        .unwrap();
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(second.status, 202, "{}", second.body);
    assert_eq!(first.body, second.body);
    assert_eq!(first.body["jobId"], "retry-me-7");
    assert_eq!(
        s.server.executions().await.unwrap(),
        vec!["retry-me-7".to_string()]
    );
    // The key names the execution, so StartExecution's rule decides, as in AWS: another
    // body under the same key is a conflict, not a second job.
    let mut other: Value = serde_json::from_str(&body).unwrap();
    other["threshold"] = json!(0.5);
    let conflict = s
        .server
        .post(Some(&token), Some("retry-me-7"), &other.to_string())
        .await
        .unwrap();
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    assert_eq!(conflict.body["error"], "Conflict");
    // Without a key, each POST is its own job.
    let third = s.server.post(Some(&token), None, &body).await.unwrap();
    assert_ne!(third.body["jobId"], first.body["jobId"]);
    assert_eq!(s.server.executions().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tenant_over_its_limit_gets_429_and_others_do_not() {
    let s = setup(Limit {
        per_second: 0.01,
        burst: 3.0,
    })
    .await;
    let a = s.server.token("busy").unwrap();
    let b = s.server.token("quiet").unwrap();
    for _ in 0..3 {
        assert_eq!(
            s.server.get(Some(&a), "some-job").await.unwrap().status,
            404
        );
    }
    let throttled = s.server.get(Some(&a), "some-job").await.unwrap();
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert_eq!(throttled.body["error"], "TooManyRequests");
    let post = s
        .server
        .post(Some(&a), None, &body(&s.world))
        .await
        .unwrap();
    assert_eq!(post.status, 429);
    assert_eq!(
        s.server.get(Some(&b), "some-job").await.unwrap().status,
        404
    );
    assert!(s.server.executions().await.unwrap().is_empty());
}

#[test]
fn the_generated_openapi_document_passes_an_independent_validator() {
    let root = workspace_root();
    let file = root.join("statemachines/generated/group-images.openapi.json");
    let out = std::process::Command::new(root.join(".venv/bin/python"))
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("running .venv/bin/python (scripts/python-env.sh installs openapi-spec-validator)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}: {stdout}{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("OK"), "{stdout}");
    // The file is the document the local server is built from.
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, stepwise_jobs_api::openapi::generated_text());
}
