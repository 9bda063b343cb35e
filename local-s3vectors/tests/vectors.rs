//! PutVectors, GetVectors, ListVectors and DeleteVectors through `aws-sdk-s3vectors`:
//! values come back as the float32 that was sent, listing pages and segments cover
//! every key exactly once, and the documented per-request limits are enforced.

mod common;

use std::collections::BTreeSet;

use aws_sdk_s3vectors::types::DistanceMetric;
use common::{Rng, bucket_and_index, client, code, json, vector};
use local_s3vectors::LocalS3Vectors;
use serde_json::json as j;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_vectors_come_back_with_their_float32_values_and_metadata() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "vbk", "idx", 3, DistanceMetric::Cosine).await;
    s3v.put_vectors()
        .vector_bucket_name("vbk")
        .index_name("idx")
        .vectors(vector(
            "sale-1",
            &[0.1, -2.5, 1e-7],
            Some(j!({"tenant_id": "t1", "price": 9.99, "tags": ["a", "b"], "new": true})),
        ))
        .vectors(vector("sale-2", &[1.0, 0.0, 0.0], None))
        .send()
        .await
        .unwrap();

    let got = s3v
        .get_vectors()
        .vector_bucket_name("vbk")
        .index_name("idx")
        .keys("sale-2")
        .keys("missing")
        .keys("sale-1")
        .return_data(true)
        .return_metadata(true)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = got.vectors().iter().map(|v| v.key()).collect();
    assert_eq!(keys, ["sale-2", "sale-1"], "missing keys are left out");
    let sale1 = &got.vectors()[1];
    assert_eq!(
        sale1.data().unwrap().as_float32().unwrap(),
        &[0.1f32, -2.5, 1e-7],
        "bit-exact float32"
    );
    assert_eq!(
        json(sale1.metadata().unwrap()),
        j!({"tenant_id": "t1", "price": 9.99, "tags": ["a", "b"], "new": true})
    );

    let bare = s3v
        .get_vectors()
        .vector_bucket_name("vbk")
        .index_name("idx")
        .keys("sale-1")
        .send()
        .await
        .unwrap();
    assert!(bare.vectors()[0].data().is_none());
    assert!(bare.vectors()[0].metadata().is_none());

    // Putting a key again overwrites it.
    s3v.put_vectors()
        .vector_bucket_name("vbk")
        .index_name("idx")
        .vectors(vector(
            "sale-1",
            &[0.0, 0.0, 1.0],
            Some(j!({"tenant_id": "t2"})),
        ))
        .send()
        .await
        .unwrap();
    let again = s3v
        .get_vectors()
        .index_arn("arn:aws:s3vectors:us-east-1:123456789012:bucket/vbk/index/idx")
        .keys("sale-1")
        .return_data(true)
        .return_metadata(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.vectors()[0].data().unwrap().as_float32().unwrap(),
        &[0.0f32, 0.0, 1.0]
    );
    assert_eq!(
        json(again.vectors()[0].metadata().unwrap()),
        j!({"tenant_id": "t2"})
    );
    assert_eq!(server.vector_count("vbk", "idx"), Some(2));
    let stats = server.stats();
    assert_eq!(stats.vectors_written, 3);
    assert_eq!(stats.requests_for("PutVectors"), 2);
    assert_eq!(stats.requests_for("GetVectors"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_vectors_pages_and_segments_cover_every_key_once() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "vbk", "idx", 4, DistanceMetric::Euclidean).await;
    let mut rng = Rng(42);
    let mut all = BTreeSet::new();
    for batch in 0..5 {
        let mut put = s3v
            .put_vectors()
            .vector_bucket_name("vbk")
            .index_name("idx");
        for i in 0..500 {
            let key = format!("k{:05}", batch * 500 + i);
            put = put.vectors(vector(&key, &rng.vector(4), Some(j!({"n": i}))));
            all.insert(key);
        }
        put.send().await.unwrap();
    }

    let mut listed = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = s3v
            .list_vectors()
            .vector_bucket_name("vbk")
            .index_name("idx")
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.vectors().iter().all(|v| v.data().is_none()));
        listed.extend(page.vectors().iter().map(|v| v.key().to_string()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(listed.len(), 2500);
    assert_eq!(listed.iter().cloned().collect::<BTreeSet<_>>(), all);

    let default_page = s3v
        .list_vectors()
        .vector_bucket_name("vbk")
        .index_name("idx")
        .return_data(true)
        .return_metadata(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        default_page.vectors().len(),
        500,
        "the documented default page"
    );
    assert_eq!(
        default_page.vectors()[0]
            .data()
            .unwrap()
            .as_float32()
            .unwrap()
            .len(),
        4
    );
    assert!(default_page.vectors()[0].metadata().is_some());

    let mut segments: Vec<BTreeSet<String>> = Vec::new();
    for segment in 0..4 {
        let mut keys = BTreeSet::new();
        let mut token = None;
        loop {
            let page = s3v
                .list_vectors()
                .vector_bucket_name("vbk")
                .index_name("idx")
                .segment_count(4)
                .segment_index(segment)
                .max_results(300)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            keys.extend(page.vectors().iter().map(|v| v.key().to_string()));
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        assert!(!keys.is_empty(), "segment {segment} is empty");
        segments.push(keys);
    }
    let total: usize = segments.iter().map(BTreeSet::len).sum();
    assert_eq!(total, 2500, "segments are disjoint");
    let union: BTreeSet<String> = segments.into_iter().flatten().collect();
    assert_eq!(union, all);

    for (count, index) in [(17, 0), (4, 4), (0, 0)] {
        assert_eq!(
            code(
                s3v.list_vectors()
                    .vector_bucket_name("vbk")
                    .index_name("idx")
                    .segment_count(count)
                    .segment_index(index)
                    .send()
                    .await
            ),
            "ValidationException",
            "segment {index} of {count}"
        );
    }
    assert_eq!(
        code(
            s3v.list_vectors()
                .vector_bucket_name("vbk")
                .index_name("idx")
                .max_results(1001)
                .send()
                .await
        ),
        "ValidationException"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_vectors_are_gone_and_missing_keys_are_no_error() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "vbk", "idx", 2, DistanceMetric::Euclidean).await;
    s3v.put_vectors()
        .vector_bucket_name("vbk")
        .index_name("idx")
        .vectors(vector("a", &[1.0, 2.0], None))
        .vectors(vector("b", &[3.0, 4.0], None))
        .send()
        .await
        .unwrap();
    s3v.delete_vectors()
        .vector_bucket_name("vbk")
        .index_name("idx")
        .keys("a")
        .keys("never-there")
        .send()
        .await
        .unwrap();
    let listed = s3v
        .list_vectors()
        .vector_bucket_name("vbk")
        .index_name("idx")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.vectors().iter().map(|v| v.key()).collect();
    assert_eq!(keys, ["b"]);
    assert_eq!(server.stats().vectors_deleted, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_puts_are_validation_exceptions_and_write_nothing() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "vbk", "cos", 3, DistanceMetric::Cosine).await;
    let put = |vectors: Vec<aws_sdk_s3vectors::types::PutInputVector>| {
        s3v.put_vectors()
            .vector_bucket_name("vbk")
            .index_name("cos")
            .set_vectors(Some(vectors))
            .send()
    };
    let good = || vector("good", &[1.0, 0.0, 0.0], None);

    // A dimension mismatch anywhere in the batch refuses the whole batch.
    let err = put(vec![good(), vector("short", &[1.0, 2.0], None)])
        .await
        .unwrap_err();
    let service = err.as_service_error().unwrap();
    assert_eq!(
        aws_sdk_s3vectors::error::ProvideErrorMetadata::code(service),
        Some("ValidationException")
    );
    let message = aws_sdk_s3vectors::error::ProvideErrorMetadata::message(service).unwrap();
    assert!(
        message.contains("'short'") && message.contains("length 3") && message.contains("length 2"),
        "{message}"
    );
    // Zero vectors are not allowed for cosine.
    assert_eq!(
        code(put(vec![vector("zero", &[0.0, 0.0, 0.0], None)]).await),
        "ValidationException"
    );
    // Keys: 1 to 1,024 characters.
    assert_eq!(
        code(put(vec![vector(&"k".repeat(1025), &[1.0, 0.0, 0.0], None)]).await),
        "ValidationException"
    );
    // Metadata: objects are not a metadata type; filterable metadata is at most 2 KB.
    assert_eq!(
        code(
            put(vec![vector(
                "m",
                &[1.0, 0.0, 0.0],
                Some(j!({"nested": {"a": 1}}))
            )])
            .await
        ),
        "ValidationException"
    );
    assert_eq!(
        code(
            put(vec![vector(
                "m",
                &[1.0, 0.0, 0.0],
                Some(j!({"text": "x".repeat(2100)}))
            )])
            .await
        ),
        "ValidationException"
    );
    // 500 vectors per call at most.
    let many: Vec<_> = (0..501)
        .map(|i| vector(&format!("k{i}"), &[1.0, 0.0, 0.0], None))
        .collect();
    assert_eq!(code(put(many).await), "ValidationException");
    // An empty batch.
    assert_eq!(code(put(vec![]).await), "ValidationException");
    assert_eq!(
        server.vector_count("vbk", "cos"),
        Some(0),
        "nothing was written"
    );
    assert_eq!(server.stats().vectors_written, 0);

    // Missing index or bucket.
    assert_eq!(
        code(
            s3v.put_vectors()
                .vector_bucket_name("vbk")
                .index_name("missing")
                .vectors(good())
                .send()
                .await
        ),
        "NotFoundException"
    );
    assert_eq!(
        code(
            s3v.put_vectors()
                .vector_bucket_name("no-bucket")
                .index_name("cos")
                .vectors(good())
                .send()
                .await
        ),
        "NotFoundException"
    );
    // GetVectors: 100 keys per call at most; DeleteVectors: 500.
    let keys: Vec<String> = (0..101).map(|i| format!("k{i}")).collect();
    assert_eq!(
        code(
            s3v.get_vectors()
                .vector_bucket_name("vbk")
                .index_name("cos")
                .set_keys(Some(keys))
                .send()
                .await
        ),
        "ValidationException"
    );
    let keys: Vec<String> = (0..501).map(|i| format!("k{i}")).collect();
    assert_eq!(
        code(
            s3v.delete_vectors()
                .vector_bucket_name("vbk")
                .index_name("cos")
                .set_keys(Some(keys))
                .send()
                .await
        ),
        "ValidationException"
    );
    // Naming the index both ways at once.
    assert_eq!(
        code(
            s3v.get_vectors()
                .vector_bucket_name("vbk")
                .index_name("cos")
                .index_arn("arn:aws:s3vectors:us-east-1:123456789012:bucket/vbk/index/cos")
                .keys("a")
                .send()
                .await
        ),
        "ValidationException"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_filterable_metadata_may_be_large_within_the_total_limit() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    s3v.create_vector_bucket()
        .vector_bucket_name("vbk")
        .send()
        .await
        .unwrap();
    s3v.create_index()
        .vector_bucket_name("vbk")
        .index_name("idx")
        .data_type(aws_sdk_s3vectors::types::DataType::Float32)
        .dimension(2)
        .distance_metric(DistanceMetric::Euclidean)
        .metadata_configuration(
            aws_sdk_s3vectors::types::MetadataConfiguration::builder()
                .non_filterable_metadata_keys("text")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let put = |text: String| {
        s3v.put_vectors()
            .vector_bucket_name("vbk")
            .index_name("idx")
            .vectors(vector(
                "doc",
                &[1.0, 2.0],
                Some(j!({"text": text, "tenant": "t"})),
            ))
            .send()
    };
    put("x".repeat(30_000)).await.unwrap();
    assert_eq!(code(put("x".repeat(41_000)).await), "ValidationException");
}
