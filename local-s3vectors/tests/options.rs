//! The endpoint's options through `aws-sdk-s3vectors`: the per-index write limit
//! answered with 429 `TooManyRequestsException`, injected 429/503 faults that write
//! nothing, added latency, and the counters.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_s3vectors::types::DistanceMetric;
use common::{Rng, bucket_and_index, client, code, vector};
use local_s3vectors::{FaultKind, Faults, LocalS3Vectors, Options};

fn batch(
    s3v: &aws_sdk_s3vectors::Client,
    bucket: &str,
    index: &str,
    keys: std::ops::Range<usize>,
) -> aws_sdk_s3vectors::operation::put_vectors::builders::PutVectorsFluentBuilder {
    let mut rng = Rng(keys.start as u64 + 1);
    let mut put = s3v
        .put_vectors()
        .vector_bucket_name(bucket)
        .index_name(index);
    for i in keys {
        put = put.vectors(vector(&format!("k{i:06}"), &rng.vector(8), None));
    }
    put
}

/// Fills index `idx` of a fresh bucket with `full` vectors in 500-vector batches, then
/// writes one more. `None` when the machine was too slow to do it all within one
/// second (the window moved on, so the outcome says nothing); otherwise the last
/// write's outcome.
async fn one_too_many(
    server: &LocalS3Vectors,
    bucket: &str,
    full: usize,
) -> Option<Result<(), String>> {
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, bucket, "idx", 8, DistanceMetric::Euclidean).await;
    let started = Instant::now();
    for start in (0..full).step_by(500) {
        batch(&s3v, bucket, "idx", start..start + 500)
            .send()
            .await
            .unwrap();
    }
    let last = batch(&s3v, bucket, "idx", full..full + 1).send().await;
    (started.elapsed() < Duration::from_secs(1)).then(|| match last {
        Ok(_) => Ok(()),
        Err(err) => {
            let status = err.raw_response().map(|r| r.status().as_u16());
            let service = err.into_service_error();
            assert!(service.is_too_many_requests_exception(), "{service:?}");
            assert_eq!(status, Some(429));
            Err(service.to_string())
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_beyond_the_per_index_rate_are_throttled_with_429() {
    let server = LocalS3Vectors::start_with(Options::default().with_write_rate(Some(1000)))
        .await
        .unwrap();
    let mut judged = None;
    for attempt in 0..5 {
        let bucket = format!("rate-{attempt}");
        let Some(outcome) = one_too_many(&server, &bucket, 1000).await else {
            continue;
        };
        let message = outcome.expect_err("the 1,001st vector within a second is refused");
        assert!(message.contains("at most 1000 per second"), "{message}");
        assert_eq!(server.vector_count(&bucket, "idx"), Some(1000));
        judged = Some(bucket);
        break;
    }
    let bucket = judged.expect("five attempts were all slower than a second");
    assert!(server.stats().throttled >= 1);
    // Another index has its own budget, and a second later the window has moved on.
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "other", "idx", 8, DistanceMetric::Euclidean).await;
    batch(&s3v, "other", "idx", 0..500).send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    batch(&s3v, &bucket, "idx", 1000..1500)
        .send()
        .await
        .unwrap();
    assert_eq!(server.vector_count(&bucket, "idx"), Some(1500));
    let per_second = server.stats().written_per_second;
    assert!(per_second.iter().all(|&n| n <= 1500), "{per_second:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_limit_is_the_documented_2500_vectors_per_second() {
    let server = LocalS3Vectors::start().await.unwrap();
    let mut judged = 0;
    for attempt in 0..5 {
        let bucket = format!("default-{attempt}");
        let Some(outcome) = one_too_many(&server, &bucket, 2500).await else {
            continue;
        };
        judged += 1;
        assert!(
            outcome.is_err(),
            "the 2,501st vector within a second is refused"
        );
        assert_eq!(server.vector_count(&bucket, "idx"), Some(2500));
        break;
    }
    assert_eq!(judged, 1, "five attempts were all slower than a second");
}

async fn faults_leave_every_vector_written_exactly_once(kind: FaultKind, status: u16) {
    let server = LocalS3Vectors::start_with(Options::default().with_write_rate(None).with_faults(
        Faults {
            fraction: 0.3,
            kind,
            seed: 11,
        },
    ))
    .await
    .unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "faulty", "idx", 8, DistanceMetric::Euclidean).await;
    let mut failures = 0;
    for i in 0..60 {
        loop {
            match batch(&s3v, "faulty", "idx", i * 50..(i + 1) * 50)
                .send()
                .await
            {
                Ok(_) => break,
                Err(err) => {
                    assert_eq!(err.raw_response().unwrap().status().as_u16(), status);
                    failures += 1;
                }
            }
        }
    }
    let stats = server.stats();
    assert_eq!(stats.faults_injected, failures);
    assert!(
        (8..=36).contains(&failures),
        "30 % of about 86 requests: {failures}"
    );
    assert_eq!(stats.requests_for("PutVectors"), 60 + failures);
    assert_eq!(
        stats.vectors_written, 3000,
        "a failed request wrote nothing"
    );
    let mut keys = BTreeSet::new();
    let mut token = None;
    loop {
        let page = s3v
            .list_vectors()
            .vector_bucket_name("faulty")
            .index_name("idx")
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for v in page.vectors() {
            assert!(keys.insert(v.key().to_string()), "{} twice", v.key());
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(keys.len(), 3000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_429s_write_nothing_and_retries_write_everything_once() {
    faults_leave_every_vector_written_exactly_once(FaultKind::TooManyRequests, 429).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_503s_write_nothing_and_retries_write_everything_once() {
    faults_leave_every_vector_written_exactly_once(FaultKind::ServiceUnavailable, 503).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_latency_delays_every_answer() {
    let latency = Duration::from_millis(150);
    let server = LocalS3Vectors::start_with(Options::default().with_latency(latency))
        .await
        .unwrap();
    let s3v = client(&server.endpoint());
    let started = Instant::now();
    s3v.list_vector_buckets().send().await.unwrap();
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    let started = Instant::now();
    assert_eq!(
        code(
            s3v.get_vector_bucket()
                .vector_bucket_name("none-here")
                .send()
                .await
        ),
        "NotFoundException"
    );
    assert!(started.elapsed() >= latency, "errors are delayed too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_counted_per_operation() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "counted", "idx", 8, DistanceMetric::Euclidean).await;
    batch(&s3v, "counted", "idx", 0..10).send().await.unwrap();
    let _ = s3v
        .get_index()
        .vector_bucket_name("counted")
        .index_name("nope")
        .send()
        .await;
    let stats = server.stats();
    assert_eq!(stats.requests_for("CreateVectorBucket"), 1);
    assert_eq!(stats.requests_for("CreateIndex"), 1);
    assert_eq!(stats.requests_for("PutVectors"), 1);
    assert_eq!(
        stats.requests_for("GetIndex"),
        1,
        "failed requests count too"
    );
    assert_eq!(stats.requests_for("QueryVectors"), 0);
    assert_eq!(stats.vectors_written, 10);
    assert_eq!(stats.written_per_second.iter().sum::<u64>(), 10);
}
