//! Vector buckets and indexes through `aws-sdk-s3vectors`: create, get, list (prefix,
//! pages), delete, and the service's errors.

mod common;

use aws_sdk_s3vectors::types::{
    DataType, DistanceMetric, EncryptionConfiguration, MetadataConfiguration, SseType,
};
use common::{bucket_and_index, client, code};
use local_s3vectors::LocalS3Vectors;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_is_created_got_listed_and_deleted() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    let created = s3v
        .create_vector_bucket()
        .vector_bucket_name("sales-vectors")
        .send()
        .await
        .unwrap();
    let arn = "arn:aws:s3vectors:us-east-1:123456789012:bucket/sales-vectors";
    assert_eq!(created.vector_bucket_arn(), Some(arn));

    let got = s3v
        .get_vector_bucket()
        .vector_bucket_name("sales-vectors")
        .send()
        .await
        .unwrap();
    let bucket = got.vector_bucket().unwrap();
    assert_eq!(bucket.vector_bucket_name(), "sales-vectors");
    assert_eq!(bucket.vector_bucket_arn(), arn);
    assert!(bucket.creation_time().secs() > 1_700_000_000);
    assert_eq!(
        bucket.encryption_configuration().unwrap().sse_type(),
        &SseType::Aes256
    );
    let by_arn = s3v
        .get_vector_bucket()
        .vector_bucket_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_arn.vector_bucket().unwrap().vector_bucket_name(),
        "sales-vectors"
    );

    assert_eq!(
        code(
            s3v.create_vector_bucket()
                .vector_bucket_name("sales-vectors")
                .send()
                .await
        ),
        "ConflictException"
    );
    s3v.delete_vector_bucket()
        .vector_bucket_name("sales-vectors")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            s3v.get_vector_bucket()
                .vector_bucket_name("sales-vectors")
                .send()
                .await
        ),
        "NotFoundException"
    );
    assert_eq!(
        code(
            s3v.delete_vector_bucket()
                .vector_bucket_name("sales-vectors")
                .send()
                .await
        ),
        "NotFoundException"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_are_listed_by_prefix_in_pages() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    for name in [
        "alpha-1", "alpha-2", "alpha-3", "alpha-4", "alpha-5", "beta-1",
    ] {
        s3v.create_vector_bucket()
            .vector_bucket_name(name)
            .send()
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = s3v
            .list_vector_buckets()
            .prefix("alpha-")
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        names.extend(
            page.vector_buckets()
                .iter()
                .map(|b| b.vector_bucket_name().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(
        names,
        ["alpha-1", "alpha-2", "alpha-3", "alpha-4", "alpha-5"]
    );
    assert_eq!(pages, 3);
    let all = s3v.list_vector_buckets().send().await.unwrap();
    assert_eq!(all.vector_buckets().len(), 6);
    assert_eq!(all.next_token(), None);
    assert_eq!(
        code(s3v.list_vector_buckets().max_results(501).send().await),
        "ValidationException"
    );
    assert_eq!(
        code(s3v.list_vector_buckets().next_token("garbage").send().await),
        "ValidationException"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bucket_names_are_validation_exceptions() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    for name in [
        "ab",
        "Capitals",
        "under_score",
        "-dash-first",
        &"x".repeat(64),
    ] {
        assert_eq!(
            code(
                s3v.create_vector_bucket()
                    .vector_bucket_name(name)
                    .send()
                    .await
            ),
            "ValidationException",
            "{name}"
        );
    }
    assert!(
        s3v.list_vector_buckets()
            .send()
            .await
            .unwrap()
            .vector_buckets()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_is_created_got_listed_and_deleted() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    s3v.create_vector_bucket()
        .vector_bucket_name("embeddings")
        .send()
        .await
        .unwrap();
    let created = s3v
        .create_index()
        .vector_bucket_name("embeddings")
        .index_name("sales")
        .data_type(DataType::Float32)
        .dimension(1024)
        .distance_metric(DistanceMetric::Cosine)
        .metadata_configuration(
            MetadataConfiguration::builder()
                .non_filterable_metadata_keys("description")
                .build()
                .unwrap(),
        )
        .encryption_configuration(
            EncryptionConfiguration::builder()
                .sse_type(SseType::Aes256)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = "arn:aws:s3vectors:us-east-1:123456789012:bucket/embeddings/index/sales";
    assert_eq!(created.index_arn(), Some(arn));

    let index = s3v
        .get_index()
        .vector_bucket_name("embeddings")
        .index_name("sales")
        .send()
        .await
        .unwrap();
    let index = index.index().unwrap();
    assert_eq!(index.vector_bucket_name(), "embeddings");
    assert_eq!(index.index_name(), "sales");
    assert_eq!(index.index_arn(), arn);
    assert_eq!(index.dimension(), 1024);
    assert_eq!(index.data_type(), &DataType::Float32);
    assert_eq!(index.distance_metric(), &DistanceMetric::Cosine);
    assert_eq!(
        index
            .metadata_configuration()
            .unwrap()
            .non_filterable_metadata_keys(),
        ["description"]
    );
    let by_arn = s3v.get_index().index_arn(arn).send().await.unwrap();
    assert_eq!(by_arn.index().unwrap().index_name(), "sales");

    assert_eq!(
        code(
            s3v.create_index()
                .vector_bucket_name("embeddings")
                .index_name("sales")
                .data_type(DataType::Float32)
                .dimension(3)
                .distance_metric(DistanceMetric::Euclidean)
                .send()
                .await
        ),
        "ConflictException"
    );
    assert_eq!(
        code(
            s3v.delete_vector_bucket()
                .vector_bucket_name("embeddings")
                .send()
                .await
        ),
        "ConflictException",
        "a bucket with an index is not empty"
    );
    s3v.delete_index().index_arn(arn).send().await.unwrap();
    assert_eq!(
        code(s3v.get_index().index_arn(arn).send().await),
        "NotFoundException"
    );
    s3v.delete_vector_bucket()
        .vector_bucket_name("embeddings")
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexes_are_listed_by_prefix_in_pages() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "b-1", "idx-0", 4, DistanceMetric::Euclidean).await;
    for i in 1..5 {
        s3v.create_index()
            .vector_bucket_name("b-1")
            .index_name(format!("idx-{i}"))
            .data_type(DataType::Float32)
            .dimension(4)
            .distance_metric(DistanceMetric::Euclidean)
            .send()
            .await
            .unwrap();
    }
    s3v.create_index()
        .vector_bucket_name("b-1")
        .index_name("other")
        .data_type(DataType::Float32)
        .dimension(4)
        .distance_metric(DistanceMetric::Euclidean)
        .send()
        .await
        .unwrap();
    let first = s3v
        .list_indexes()
        .vector_bucket_name("b-1")
        .prefix("idx-")
        .max_results(3)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = first.indexes().iter().map(|i| i.index_name()).collect();
    assert_eq!(names, ["idx-0", "idx-1", "idx-2"]);
    let second = s3v
        .list_indexes()
        .vector_bucket_name("b-1")
        .prefix("idx-")
        .max_results(3)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = second.indexes().iter().map(|i| i.index_name()).collect();
    assert_eq!(names, ["idx-3", "idx-4"]);
    assert_eq!(second.next_token(), None);
    assert_eq!(
        second.indexes()[0].index_arn(),
        "arn:aws:s3vectors:us-east-1:123456789012:bucket/b-1/index/idx-3"
    );
    assert_eq!(
        code(
            s3v.list_indexes()
                .vector_bucket_name("b-1")
                .prefix("other")
                .next_token(first.next_token().unwrap())
                .send()
                .await
        ),
        "ValidationException",
        "a token from another listing"
    );
    assert_eq!(
        code(
            s3v.list_indexes()
                .vector_bucket_name("missing")
                .send()
                .await
        ),
        "NotFoundException"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_parameters_are_checked_against_the_documented_limits() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    s3v.create_vector_bucket()
        .vector_bucket_name("limits")
        .send()
        .await
        .unwrap();
    let create = |name: &str, dimension: i32| {
        s3v.create_index()
            .vector_bucket_name("limits")
            .index_name(name)
            .data_type(DataType::Float32)
            .dimension(dimension)
            .distance_metric(DistanceMetric::Cosine)
            .send()
    };
    assert_eq!(code(create("zero", 0).await), "ValidationException");
    assert_eq!(code(create("too-big", 4097).await), "ValidationException");
    create("smallest", 1).await.unwrap();
    create("largest", 4096).await.unwrap();
    assert_eq!(code(create("Bad_Name", 3).await), "ValidationException");
    assert_eq!(
        code(
            s3v.create_index()
                .vector_bucket_name("limits")
                .index_name("metric")
                .data_type(DataType::Float32)
                .dimension(3)
                .distance_metric(DistanceMetric::from("manhattan"))
                .send()
                .await
        ),
        "ValidationException"
    );
    let eleven = MetadataConfiguration::builder()
        .set_non_filterable_metadata_keys(Some((0..11).map(|i| format!("k{i}")).collect()))
        .build()
        .unwrap();
    assert_eq!(
        code(
            s3v.create_index()
                .vector_bucket_name("limits")
                .index_name("eleven")
                .data_type(DataType::Float32)
                .dimension(3)
                .distance_metric(DistanceMetric::Cosine)
                .metadata_configuration(eleven)
                .send()
                .await
        ),
        "ValidationException"
    );
    assert_eq!(
        code(
            s3v.create_index()
                .vector_bucket_name("no-such-bucket")
                .index_name("idx")
                .data_type(DataType::Float32)
                .dimension(3)
                .distance_metric(DistanceMetric::Cosine)
                .send()
                .await
        ),
        "NotFoundException"
    );
    let listed = s3v
        .list_indexes()
        .vector_bucket_name("limits")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = listed.indexes().iter().map(|i| i.index_name()).collect();
    assert_eq!(
        names,
        ["largest", "smallest"],
        "failed creations left nothing"
    );
}
