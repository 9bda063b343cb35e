//! The same S3 Vectors sequence — buckets, an index, PutVectors, GetVectors,
//! ListVectors, DeleteVectors and the common errors — against `local-s3vectors` and
//! moto server (the correctness oracle: moto 5.2.5 serves every S3 Vectors operation
//! but QueryVectors), through `aws-sdk-s3vectors`, comparing the answers field by field.
//!
//! Where moto and the endpoint differ, the test pins both answers and
//! local-s3vectors/README.md ("Differences from moto") says which follows the service's
//! documentation.

use aws_sdk_s3vectors::Client;
use aws_sdk_s3vectors::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3vectors::types::{DataType, DistanceMetric, PutInputVector, VectorData};
use aws_smithy_types::{Document, Number};
use local_s3vectors::LocalS3Vectors;
use serde_json::{Value, json};
use stepwise_tests::{MotoServer, unique_id};

/// A client for each side.
struct Sides {
    local: Client,
    moto: Client,
    _server: LocalS3Vectors,
}

async fn sides() -> Sides {
    let moto = MotoServer::shared().sdk_config();
    let server = LocalS3Vectors::start()
        .await
        .expect("start local-s3vectors");
    let local = moto
        .clone()
        .into_builder()
        .endpoint_url(server.endpoint())
        .build();
    Sides {
        local: Client::new(&local),
        moto: Client::new(&moto),
        _server: server,
    }
}

fn doc(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Document::Number(Number::PosInt(u)),
            (None, Some(i)) => Document::Number(Number::NegInt(i)),
            _ => Document::Number(Number::Float(n.as_f64().unwrap_or_default())),
        },
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(doc).collect()),
        Value::Object(map) => {
            Document::Object(map.iter().map(|(k, v)| (k.clone(), doc(v))).collect())
        }
    }
}

/// The error code and message of a failed call.
fn error<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    result: Result<R, SdkError<E>>,
) -> (String, String) {
    let err = result.expect_err("the call should fail");
    let service = err
        .as_service_error()
        .unwrap_or_else(|| panic!("not a service error: {err:?}"));
    (
        service.code().unwrap_or_default().to_string(),
        service.message().unwrap_or_default().to_string(),
    )
}

fn vectors() -> Vec<PutInputVector> {
    (0..40)
        .map(|i| {
            let data: Vec<f32> = (0..8)
                .map(|d| ((i * 8 + d) as f32 * 0.137).sin() * 3.0)
                .collect();
            let mut builder = PutInputVector::builder()
                .key(format!("sale-{i:03}"))
                .data(VectorData::Float32(data));
            if i % 5 != 0 {
                builder = builder.metadata(doc(&json!({
                    "tenant_id": format!("t{}", i % 3),
                    "price": i as f64 * 1.25,
                    "quantity": i,
                    "tags": ["a", "b"],
                    "active": i % 2 == 0,
                })));
            }
            builder.build().expect("vector")
        })
        .collect()
}

/// What a GetVectors/ListVectors vector says: key, data, metadata.
type Seen = (String, Option<Vec<f32>>, Option<Document>);

fn seen(key: &str, data: Option<&VectorData>, metadata: Option<&Document>) -> Seen {
    (
        key.to_string(),
        data.and_then(|d| d.as_float32().ok()).cloned(),
        metadata.cloned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_and_indexes_answer_like_moto() {
    let s = sides().await;
    let bucket = format!("vs-moto-{}", unique_id());
    let arn = format!("arn:aws:s3vectors:us-east-1:123456789012:bucket/{bucket}");
    for client in [&s.local, &s.moto] {
        client
            .create_vector_bucket()
            .vector_bucket_name(&bucket)
            .send()
            .await
            .expect("create bucket");
    }
    let [local, moto] =
        [&s.local, &s.moto].map(|c| c.get_vector_bucket().vector_bucket_name(&bucket).send());
    let (local, moto) = (local.await.unwrap(), moto.await.unwrap());
    let (local, moto) = (
        local.vector_bucket().unwrap(),
        moto.vector_bucket().unwrap(),
    );
    assert_eq!(local.vector_bucket_name(), moto.vector_bucket_name());
    assert_eq!(local.vector_bucket_arn(), moto.vector_bucket_arn());
    assert_eq!(local.vector_bucket_arn(), arn);
    assert_eq!(
        local.encryption_configuration(),
        moto.encryption_configuration()
    );

    let listed_local = s
        .local
        .list_vector_buckets()
        .prefix(&bucket)
        .send()
        .await
        .unwrap();
    let listed_moto = s
        .moto
        .list_vector_buckets()
        .prefix(&bucket)
        .send()
        .await
        .unwrap();
    let names = |buckets: &[aws_sdk_s3vectors::types::VectorBucketSummary]| {
        buckets
            .iter()
            .map(|b| {
                (
                    b.vector_bucket_name().to_string(),
                    b.vector_bucket_arn().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(listed_local.vector_buckets()),
        names(listed_moto.vector_buckets())
    );

    for client in [&s.local, &s.moto] {
        client
            .create_index()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .data_type(DataType::Float32)
            .dimension(8)
            .distance_metric(DistanceMetric::Cosine)
            .send()
            .await
            .expect("create index");
    }
    let local = s
        .local
        .get_index()
        .vector_bucket_name(&bucket)
        .index_name("sales")
        .send()
        .await
        .unwrap();
    let moto = s
        .moto
        .get_index()
        .vector_bucket_name(&bucket)
        .index_name("sales")
        .send()
        .await
        .unwrap();
    let (local, moto) = (local.index().unwrap(), moto.index().unwrap());
    assert_eq!(local.vector_bucket_name(), moto.vector_bucket_name());
    assert_eq!(local.index_name(), moto.index_name());
    assert_eq!(local.index_arn(), moto.index_arn());
    assert_eq!(local.index_arn(), format!("{arn}/index/sales"));
    assert_eq!(local.data_type(), moto.data_type());
    assert_eq!(local.dimension(), moto.dimension());
    assert_eq!(local.distance_metric(), moto.distance_metric());

    let [local, moto] =
        [&s.local, &s.moto].map(|c| c.list_indexes().vector_bucket_name(&bucket).send());
    let (local, moto) = (local.await.unwrap(), moto.await.unwrap());
    let summaries = |indexes: &[aws_sdk_s3vectors::types::IndexSummary]| {
        indexes
            .iter()
            .map(|i| {
                (
                    i.vector_bucket_name().to_string(),
                    i.index_name().to_string(),
                    i.index_arn().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(summaries(local.indexes()), summaries(moto.indexes()));

    // The same errors, with the same codes and messages.
    let [local, moto] =
        [&s.local, &s.moto].map(|c| c.create_vector_bucket().vector_bucket_name(&bucket).send());
    assert_eq!(error(local.await), error(moto.await));
    let [local, moto] =
        [&s.local, &s.moto].map(|c| c.delete_vector_bucket().vector_bucket_name(&bucket).send());
    assert_eq!(error(local.await), error(moto.await), "not empty");
    let missing = format!("vs-moto-missing-{}", unique_id());
    let [local, moto] =
        [&s.local, &s.moto].map(|c| c.get_vector_bucket().vector_bucket_name(&missing).send());
    assert_eq!(error(local.await), error(moto.await));
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.get_index()
            .vector_bucket_name(&bucket)
            .index_name("missing")
            .send()
    });
    assert_eq!(error(local.await), error(moto.await));
    let [local, moto] =
        [&s.local, &s.moto].map(|c| c.create_vector_bucket().vector_bucket_name("ab").send());
    assert_eq!(error(local.await), error(moto.await), "name too short");
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.create_index()
            .vector_bucket_name(&bucket)
            .index_name("zero")
            .data_type(DataType::Float32)
            .dimension(0)
            .distance_metric(DistanceMetric::Cosine)
            .send()
    });
    assert_eq!(error(local.await), error(moto.await), "dimension 0");

    // Documented differences (local-s3vectors/README.md, "Differences from moto").
    // 1. Creating an index that exists: the endpoint answers ConflictException; moto
    //    replaces the index.
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.create_index()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .data_type(DataType::Float32)
            .dimension(8)
            .distance_metric(DistanceMetric::Cosine)
            .send()
    });
    assert_eq!(error(local.await).0, "ConflictException");
    moto.await.expect("moto replaces an existing index");
    // 2. Dimension 4,096 is within the documented 1 to 4,096; moto refuses it.
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.create_index()
            .vector_bucket_name(&bucket)
            .index_name("widest")
            .data_type(DataType::Float32)
            .dimension(4096)
            .distance_metric(DistanceMetric::Cosine)
            .send()
    });
    local.await.expect("4,096 dimensions are allowed");
    assert_eq!(error(moto.await).0, "ValidationException");
    // 3. CreateVectorBucket returns the new bucket's ARN; moto's answer is empty.
    let other = format!("vs-moto-arn-{}", unique_id());
    let [local, moto] =
        [&s.local, &s.moto].map(|c| c.create_vector_bucket().vector_bucket_name(&other).send());
    let (local, moto) = (local.await.unwrap(), moto.await.unwrap());
    assert_eq!(
        local.vector_bucket_arn(),
        Some(format!("arn:aws:s3vectors:us-east-1:123456789012:bucket/{other}").as_str())
    );
    assert_eq!(
        moto.vector_bucket_arn().unwrap_or_default(),
        "",
        "moto's answer has no vectorBucketArn"
    );

    for client in [&s.local, &s.moto] {
        for index in ["sales", "widest"] {
            let _ = client
                .delete_index()
                .vector_bucket_name(&bucket)
                .index_name(index)
                .send()
                .await;
        }
        client
            .delete_vector_bucket()
            .vector_bucket_name(&bucket)
            .send()
            .await
            .expect("delete the emptied bucket");
    }
    let [local, moto] =
        [&s.local, &s.moto].map(|c| c.get_vector_bucket().vector_bucket_name(&bucket).send());
    assert_eq!(error(local.await), error(moto.await), "deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_list_and_delete_answer_like_moto() {
    let s = sides().await;
    let bucket = format!("vs-moto-{}", unique_id());
    for client in [&s.local, &s.moto] {
        client
            .create_vector_bucket()
            .vector_bucket_name(&bucket)
            .send()
            .await
            .unwrap();
        client
            .create_index()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .data_type(DataType::Float32)
            .dimension(8)
            .distance_metric(DistanceMetric::Euclidean)
            .send()
            .await
            .unwrap();
        client
            .put_vectors()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .set_vectors(Some(vectors()))
            .send()
            .await
            .expect("put");
        // Overwrite one key.
        client
            .put_vectors()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .vectors(
                PutInputVector::builder()
                    .key("sale-007")
                    .data(VectorData::Float32(vec![0.5; 8]))
                    .metadata(doc(&json!({"tenant_id": "t9", "price": 0.1})))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("overwrite");
    }

    // GetVectors: with and without data and metadata; a missing key is left out.
    for (data, metadata) in [(true, true), (true, false), (false, true), (false, false)] {
        let [local, moto] = [&s.local, &s.moto].map(|c| {
            c.get_vectors()
                .vector_bucket_name(&bucket)
                .index_name("sales")
                .keys("sale-000")
                .keys("sale-003")
                .keys("sale-007")
                .keys("no-such-key")
                .return_data(data)
                .return_metadata(metadata)
                .send()
        });
        let (local, moto) = (local.await.unwrap(), moto.await.unwrap());
        let view = |v: &[aws_sdk_s3vectors::types::GetOutputVector]| {
            v.iter()
                .map(|v| seen(v.key(), v.data(), v.metadata()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            view(local.vectors()),
            view(moto.vectors()),
            "returnData {data}, returnMetadata {metadata}"
        );
        assert_eq!(local.vectors().len(), 3);
    }

    // ListVectors: the same vectors (moto lists in insertion order, the endpoint in key
    // order; every key was inserted in key order, so both orders agree).
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.list_vectors()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .return_data(true)
            .return_metadata(true)
            .send()
    });
    let (local, moto) = (local.await.unwrap(), moto.await.unwrap());
    let view = |v: &[aws_sdk_s3vectors::types::ListOutputVector]| {
        v.iter()
            .map(|v| seen(v.key(), v.data(), v.metadata()))
            .collect::<Vec<_>>()
    };
    assert_eq!(view(local.vectors()), view(moto.vectors()));
    assert_eq!(local.vectors().len(), 40);
    assert_eq!(local.next_token(), moto.next_token());

    // DeleteVectors, then the listings agree again.
    for client in [&s.local, &s.moto] {
        client
            .delete_vectors()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .keys("sale-001")
            .keys("sale-039")
            .keys("never-there")
            .send()
            .await
            .expect("delete");
    }
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.list_vectors()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .send()
    });
    let (local, moto) = (local.await.unwrap(), moto.await.unwrap());
    assert_eq!(view(local.vectors()), view(moto.vectors()));
    assert_eq!(local.vectors().len(), 38);

    // The same errors: a dimension mismatch (nothing written), a missing index, naming
    // the index twice.
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.put_vectors()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .vectors(
                PutInputVector::builder()
                    .key("short")
                    .data(VectorData::Float32(vec![1.0; 7]))
                    .build()
                    .unwrap(),
            )
            .send()
    });
    assert_eq!(error(local.await), error(moto.await), "dimension mismatch");
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.get_vectors()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .keys("short")
            .send()
    });
    let (local, moto) = (local.await.unwrap(), moto.await.unwrap());
    assert!(local.vectors().is_empty() && moto.vectors().is_empty());
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.put_vectors()
            .vector_bucket_name(&bucket)
            .index_name("missing")
            .set_vectors(Some(vectors()))
            .send()
    });
    assert_eq!(error(local.await), error(moto.await), "missing index");
    let index_arn = format!("arn:aws:s3vectors:us-east-1:123456789012:bucket/{bucket}/index/sales");
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.list_vectors()
            .vector_bucket_name(&bucket)
            .index_name("sales")
            .index_arn(&index_arn)
            .send()
    });
    assert_eq!(error(local.await), error(moto.await), "index named twice");
    // By ARN, both find the index.
    let [local, moto] = [&s.local, &s.moto].map(|c| {
        c.get_vectors()
            .index_arn(&index_arn)
            .keys("sale-002")
            .return_data(true)
            .send()
    });
    let (local, moto) = (local.await.unwrap(), moto.await.unwrap());
    assert_eq!(
        local.vectors()[0].data().and_then(|d| d.as_float32().ok()),
        moto.vectors()[0].data().and_then(|d| d.as_float32().ok())
    );
}
