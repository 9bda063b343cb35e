//! QueryVectors through `aws-sdk-s3vectors`: exact k-NN (equal to a brute-force scan in
//! f64) for cosine and euclidean, with and without metadata filters, and its errors.

mod common;

use aws_sdk_s3vectors::types::{DataType, DistanceMetric, MetadataConfiguration, VectorData};
use common::{Rng, bucket_and_index, client, code, doc, json, vector};
use local_s3vectors::LocalS3Vectors;
use serde_json::{Value, json as j};

const DIM: usize = 48;
const COUNT: usize = 1200;
const TENANTS: [&str; 3] = ["t0", "t1", "t2"];

struct Fixture {
    _server: LocalS3Vectors,
    s3v: aws_sdk_s3vectors::Client,
    /// Key, values, metadata, in put order.
    vectors: Vec<(String, Vec<f32>, Value)>,
}

async fn fixture(metric: DistanceMetric) -> Fixture {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "knn", "idx", DIM as i32, metric).await;
    let mut rng = Rng(0x5eed);
    let vectors: Vec<(String, Vec<f32>, Value)> = (0..COUNT)
        .map(|i| {
            let metadata = j!({
                "tenant_id": TENANTS[i % 3],
                "price": (i % 50) as f64 + 0.5,
                "tags": if i % 4 == 0 { j!(["sale", "new"]) } else { j!(["regular"]) },
            });
            (format!("v{i:04}"), rng.vector(DIM), metadata)
        })
        .collect();
    for chunk in vectors.chunks(400) {
        let mut put = s3v
            .put_vectors()
            .vector_bucket_name("knn")
            .index_name("idx");
        for (key, data, metadata) in chunk {
            put = put.vectors(vector(key, data, Some(metadata.clone())));
        }
        put.send().await.unwrap();
    }
    Fixture {
        _server: server,
        s3v,
        vectors,
    }
}

fn brute_force(
    metric: &DistanceMetric,
    vectors: &[(String, Vec<f32>, Value)],
    query: &[f32],
    k: usize,
    keep: impl Fn(&Value) -> bool,
) -> Vec<(String, f64)> {
    let norm = |v: &[f32]| v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    let mut all: Vec<(String, f64)> = vectors
        .iter()
        .filter(|(_, _, metadata)| keep(metadata))
        .map(|(key, data, _)| {
            let distance = match metric {
                DistanceMetric::Cosine => {
                    let dot: f64 = data
                        .iter()
                        .zip(query)
                        .map(|(&a, &b)| f64::from(a) * f64::from(b))
                        .sum();
                    1.0 - dot / (norm(data) * norm(query))
                }
                _ => data
                    .iter()
                    .zip(query)
                    .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                    .sum::<f64>()
                    .sqrt(),
            };
            (key.clone(), distance)
        })
        .collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

async fn query(
    fx: &Fixture,
    query: &[f32],
    k: i32,
    filter: Option<Value>,
) -> Vec<(String, f64, Value)> {
    let answer = fx
        .s3v
        .query_vectors()
        .vector_bucket_name("knn")
        .index_name("idx")
        .query_vector(VectorData::Float32(query.to_vec()))
        .top_k(k)
        .set_filter(filter.as_ref().map(doc))
        .return_distance(true)
        .return_metadata(true)
        .send()
        .await
        .unwrap();
    answer
        .vectors()
        .iter()
        .map(|v| {
            (
                v.key().to_string(),
                f64::from(v.distance().unwrap()),
                json(v.metadata().unwrap()),
            )
        })
        .collect()
}

fn assert_same(got: &[(String, f64, Value)], want: &[(String, f64)]) {
    let got_keys: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    let want_keys: Vec<&str> = want.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(got_keys, want_keys);
    for (g, w) in got.iter().zip(want) {
        assert!((g.1 - w.1).abs() < 1e-5, "{}: {} vs {}", g.0, g.1, w.1);
    }
}

async fn exact_knn(metric: DistanceMetric) {
    let fx = fixture(metric.clone()).await;
    let mut rng = Rng(99);
    for round in 0..10 {
        let q = rng.vector(DIM);
        let k = [1, 10, 30, 100][round % 4];
        let got = query(&fx, &q, k, None).await;
        assert_eq!(got.len(), k as usize);
        assert_same(
            &got,
            &brute_force(&metric, &fx.vectors, &q, k as usize, |_| true),
        );
    }
    // A stored vector is its own nearest neighbour, at distance 0.
    let (key, data, metadata) = &fx.vectors[777];
    let got = query(&fx, data, 1, None).await;
    assert_eq!(&got[0].0, key);
    assert!(got[0].1.abs() < 1e-6, "{}", got[0].1);
    assert_eq!(&got[0].2, metadata);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosine_queries_equal_a_brute_force_scan() {
    exact_knn(DistanceMetric::Cosine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn euclidean_queries_equal_a_brute_force_scan() {
    exact_knn(DistanceMetric::Euclidean).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_queries_equal_a_brute_force_scan_of_the_matching_vectors() {
    let metric = DistanceMetric::Cosine;
    let fx = fixture(metric.clone()).await;
    let mut rng = Rng(7);
    type Keep = Box<dyn Fn(&Value) -> bool>;
    let cases: Vec<(Value, Keep)> = vec![
        (
            j!({"tenant_id": "t1"}),
            Box::new(|m: &Value| m["tenant_id"] == "t1"),
        ),
        (
            j!({"tenant_id": {"$ne": "t1"}}),
            Box::new(|m: &Value| m["tenant_id"] != "t1"),
        ),
        (
            j!({"tenant_id": "t2", "price": {"$gte": 10, "$lt": 20}}),
            Box::new(|m: &Value| {
                let p = m["price"].as_f64().unwrap();
                m["tenant_id"] == "t2" && (10.0..20.0).contains(&p)
            }),
        ),
        (
            j!({"$or": [{"tags": "sale"}, {"price": {"$lte": 3}}]}),
            Box::new(|m: &Value| {
                m["tags"].as_array().unwrap().contains(&j!("sale"))
                    || m["price"].as_f64().unwrap() <= 3.0
            }),
        ),
        (
            j!({"$and": [{"tenant_id": {"$in": ["t0", "t2"]}}, {"tags": {"$nin": ["sale"]}}]}),
            Box::new(|m: &Value| {
                (m["tenant_id"] == "t0" || m["tenant_id"] == "t2")
                    && !m["tags"].as_array().unwrap().contains(&j!("sale"))
            }),
        ),
        (j!({"price": {"$gt": 1000}}), Box::new(|_: &Value| false)),
        (
            j!({"color": {"$exists": false}}),
            Box::new(|_: &Value| true),
        ),
    ];
    for (filter, keep) in cases {
        let q = rng.vector(DIM);
        let got = query(&fx, &q, 25, Some(filter.clone())).await;
        let want = brute_force(&metric, &fx.vectors, &q, 25, &keep);
        assert_same(&got, &want);
        assert!(got.iter().all(|g| keep(&g.2)), "{filter}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_vectors_are_never_returned() {
    let fx = fixture(DistanceMetric::Cosine).await;
    // Query with a t0 vector itself: unfiltered, it is its own nearest neighbour; with a
    // t1 filter, only t1 vectors come back.
    let (key, data, _) = &fx.vectors[0];
    let unfiltered = query(&fx, data, 100, None).await;
    assert_eq!(&unfiltered[0].0, key);
    let filtered = query(&fx, data, 100, Some(j!({"tenant_id": {"$eq": "t1"}}))).await;
    assert_eq!(filtered.len(), 100);
    assert!(filtered.iter().all(|v| v.2["tenant_id"] == "t1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_filterable_keys_cannot_select_vectors() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    s3v.create_vector_bucket()
        .vector_bucket_name("nf-bucket")
        .send()
        .await
        .unwrap();
    s3v.create_index()
        .vector_bucket_name("nf-bucket")
        .index_name("idx")
        .data_type(DataType::Float32)
        .dimension(2)
        .distance_metric(DistanceMetric::Euclidean)
        .metadata_configuration(
            MetadataConfiguration::builder()
                .non_filterable_metadata_keys("description")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3v.put_vectors()
        .vector_bucket_name("nf-bucket")
        .index_name("idx")
        .vectors(vector(
            "a",
            &[0.0, 1.0],
            Some(j!({"description": "red", "tenant": "t"})),
        ))
        .send()
        .await
        .unwrap();
    let ask = |filter: Value| {
        s3v.query_vectors()
            .vector_bucket_name("nf-bucket")
            .index_name("idx")
            .query_vector(VectorData::Float32(vec![0.0, 1.0]))
            .top_k(5)
            .filter(doc(&filter))
            .return_metadata(true)
            .send()
    };
    assert!(
        ask(j!({"description": "red"}))
            .await
            .unwrap()
            .vectors()
            .is_empty()
    );
    let found = ask(j!({"tenant": "t"})).await.unwrap();
    assert_eq!(found.vectors().len(), 1);
    assert_eq!(
        json(found.vectors()[0].metadata().unwrap())["description"],
        "red",
        "non-filterable metadata is still returned"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_answers_name_the_metric_and_leave_out_what_was_not_asked() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "plain", "idx", 2, DistanceMetric::Euclidean).await;
    s3v.put_vectors()
        .vector_bucket_name("plain")
        .index_name("idx")
        .vectors(vector("a", &[3.0, 4.0], Some(j!({"x": 1}))))
        .vectors(vector("b", &[0.0, 1.0], None))
        .send()
        .await
        .unwrap();
    let answer = s3v
        .query_vectors()
        .vector_bucket_name("plain")
        .index_name("idx")
        .query_vector(VectorData::Float32(vec![0.0, 0.0]))
        .top_k(10)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.distance_metric(), Some(&DistanceMetric::Euclidean));
    let keys: Vec<&str> = answer.vectors().iter().map(|v| v.key()).collect();
    assert_eq!(
        keys,
        ["b", "a"],
        "fewer than topK when the index is smaller"
    );
    assert!(
        answer
            .vectors()
            .iter()
            .all(|v| v.distance().is_none() && v.metadata().is_none())
    );
    let with_distance = s3v
        .query_vectors()
        .vector_bucket_name("plain")
        .index_name("idx")
        .query_vector(VectorData::Float32(vec![0.0, 0.0]))
        .top_k(1)
        .return_distance(true)
        .send()
        .await
        .unwrap();
    assert_eq!(with_distance.vectors()[0].distance(), Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_validation_or_not_found_exceptions() {
    let server = LocalS3Vectors::start().await.unwrap();
    let s3v = client(&server.endpoint());
    bucket_and_index(&s3v, "bad-q", "idx", 3, DistanceMetric::Cosine).await;
    let q = |k: i32, data: Vec<f32>, filter: Option<Value>, index: &str| {
        s3v.query_vectors()
            .vector_bucket_name("bad-q")
            .index_name(index)
            .query_vector(VectorData::Float32(data))
            .top_k(k)
            .set_filter(filter.as_ref().map(doc))
            .send()
    };
    let ok = || vec![1.0, 0.0, 0.0];
    q(100, ok(), None, "idx").await.unwrap();
    assert_eq!(code(q(101, ok(), None, "idx").await), "ValidationException");
    assert_eq!(code(q(0, ok(), None, "idx").await), "ValidationException");
    assert_eq!(
        code(q(5, vec![1.0, 0.0], None, "idx").await),
        "ValidationException"
    );
    assert_eq!(
        code(q(5, vec![0.0; 3], None, "idx").await),
        "ValidationException"
    );
    assert_eq!(
        code(q(5, ok(), Some(j!({"a": {"$regex": "x"}})), "idx").await),
        "ValidationException"
    );
    assert_eq!(code(q(5, ok(), None, "missing").await), "NotFoundException");
}
