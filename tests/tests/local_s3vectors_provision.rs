//! `stepwise-provision` against `local-s3vectors`: a declared vector index is created
//! on the local endpoint as declared (dimension, distance, non-filterable keys),
//! provisioning again reuses it with the same substitutions, an existing index of
//! another dimension is refused naming the difference, and the provisioned index takes
//! vectors and answers queries.

use aws_sdk_s3vectors::types::{DataType, DistanceMetric, PutInputVector, VectorData};
use codegen::resources::Resources;
use local_s3vectors::LocalS3Vectors;
use stepwise_contract::deploy::{Distance, VectorIndexSpec};
use stepwise_provision::{ProvisionError, provision};
use stepwise_tests::{MotoServer, unique_id};

const SALES: VectorIndexSpec = VectorIndexSpec {
    name: "sale-embeddings",
    dimension: 4,
    distance: Distance::Cosine,
    non_filterable_metadata_keys: &["description"],
    reason: "similar sales",
};

fn resources(index: VectorIndexSpec) -> Resources {
    Resources {
        tables: vec![],
        queues: vec![],
        vector_indexes: vec![index],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisions_a_vector_index_on_the_local_endpoint_and_reuses_it() {
    let server = LocalS3Vectors::start()
        .await
        .expect("start local-s3vectors");
    // Only S3 Vectors goes to the local endpoint: the config's endpoint is the one the
    // S3 Vectors client uses.
    let config = MotoServer::shared()
        .sdk_config()
        .into_builder()
        .endpoint_url(server.endpoint())
        .build();
    let prefix = format!("t{}", unique_id());
    let bucket = format!("{prefix}-vectors");

    let map = provision(&config, &resources(SALES), &prefix)
        .await
        .expect("provisions");
    assert_eq!(map["SaleEmbeddingsVectorBucketName"], bucket);
    assert_eq!(map["SaleEmbeddingsIndexName"], "sale-embeddings");
    assert_eq!(
        map["SaleEmbeddingsIndexArn"],
        format!("arn:aws:s3vectors:us-east-1:123456789012:bucket/{bucket}/index/sale-embeddings")
    );
    let again = provision(&config, &resources(SALES), &prefix)
        .await
        .expect("provisions again");
    assert_eq!(again, map);
    assert_eq!(server.stats().requests_for("CreateIndex"), 1, "reused");

    let s3v = aws_sdk_s3vectors::Client::new(&config);
    let index = s3v
        .get_index()
        .vector_bucket_name(&bucket)
        .index_name("sale-embeddings")
        .send()
        .await
        .unwrap();
    let index = index.index().unwrap();
    assert_eq!(index.dimension(), 4);
    assert_eq!(index.distance_metric(), &DistanceMetric::Cosine);
    assert_eq!(index.data_type(), &DataType::Float32);
    assert_eq!(
        index
            .metadata_configuration()
            .unwrap()
            .non_filterable_metadata_keys(),
        ["description"]
    );

    s3v.put_vectors()
        .index_arn(&map["SaleEmbeddingsIndexArn"])
        .vectors(
            PutInputVector::builder()
                .key("sale-1")
                .data(VectorData::Float32(vec![1.0, 0.0, 0.0, 0.0]))
                .build()
                .unwrap(),
        )
        .vectors(
            PutInputVector::builder()
                .key("sale-2")
                .data(VectorData::Float32(vec![0.0, 1.0, 0.0, 0.0]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let nearest = s3v
        .query_vectors()
        .index_arn(&map["SaleEmbeddingsIndexArn"])
        .query_vector(VectorData::Float32(vec![0.9, 0.1, 0.0, 0.0]))
        .top_k(1)
        .send()
        .await
        .unwrap();
    assert_eq!(nearest.vectors()[0].key(), "sale-1");

    let wider = VectorIndexSpec {
        dimension: 1024,
        ..SALES
    };
    let err = provision(&config, &resources(wider), &prefix)
        .await
        .expect_err("an index of another dimension is refused");
    assert!(
        matches!(&err, ProvisionError::Mismatch { difference, .. } if difference.contains("dimension 4")),
        "{err}"
    );
}
