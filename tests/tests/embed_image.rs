//! `EmbedImage` against moto server's S3 and the local Bedrock endpoint (in-process on
//! `127.0.0.1:0`), through `aws-sdk-bedrockruntime` as in AWS: staged vectors at their
//! deterministic keys, downscaling, the per-item error names, images over loopback HTTP,
//! and Bedrock's throttling.
//!
//! Every test shares one moto server and uses its own bucket. HTTP images are served by a
//! small axum server on `127.0.0.1`; the activity refuses plain `http://`, so those tests
//! register [`EmbedImage::allowing_loopback_http`] (the deployed registry never does).

use std::io::Cursor;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_config::retry::RetryConfig;
use aws_sdk_s3::primitives::ByteStream;
use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use local_bedrock::{LocalBedrock, TitanRequest, product_photo};
use serde_json::{Value, json};
use stepwise_daily_sales_export::embed_image::{EmbedImage, IMAGE_TOO_LARGE, INVALID_IMAGE};
use stepwise_embeddings::decode_vector;
use stepwise_runtime::aws::Aws;
use stepwise_runtime::{ActivityError, Context, Registry, Services, errors};
use stepwise_tests::{MotoServer, unique_id};
use tokio::net::TcpListener;

const EXPORT_DATE: &str = "2026-03-09";

/// A bucket of its own, the local Bedrock endpoint and a context on both.
struct Fixture {
    bucket: String,
    s3: aws_sdk_s3::Client,
    ctx: Context,
    /// Held so the endpoint lives as long as the fixture.
    _bedrock: Option<LocalBedrock>,
}

impl Fixture {
    async fn new() -> Self {
        let bedrock = LocalBedrock::start().await.expect("local Bedrock");
        let endpoint = bedrock.endpoint();
        let mut fixture = Self::with_bedrock_endpoint(&endpoint).await;
        fixture._bedrock = Some(bedrock);
        fixture
    }

    /// A fixture whose Bedrock requests go to `endpoint`.
    async fn with_bedrock_endpoint(endpoint: &str) -> Self {
        let moto = MotoServer::shared();
        let bucket = format!("embed-{}", unique_id());
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&moto.sdk_config())
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create_bucket");
        // As in production (`Aws::from_env`), the SDK does not retry: the state machine does.
        let config = moto
            .sdk_config()
            .into_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        let aws = Aws::with_config(config).with_bedrock_endpoint(endpoint);
        Fixture {
            bucket,
            s3,
            ctx: Context::new(Services::with_aws(aws)),
            _bedrock: None,
        }
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> String {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .expect("put_object");
        format!("s3://{}/{key}", self.bucket)
    }

    fn input(&self, sale_id: &str, image_url: &str) -> Value {
        json!({
            "sale": {
                "sale_id": sale_id, "tenant_id": "acme", "product_id": "P-1",
                "sold_at": "2026-03-09T10:00:00Z", "quantity": 1, "unit_price_cents": 1999,
                "currency": "EUR", "image_url": image_url
            },
            "bucket": self.bucket,
            "staging_prefix": "staging/daily-sales/",
            "export_date": EXPORT_DATE,
            "bedrock": {"model_id": "amazon.titan-embed-image-v1"},
            "image_limits": {"max_bytes": 10_485_760, "timeout_seconds": 10, "max_dimension": 2048}
        })
    }

    async fn embed(&self, input: Value) -> Result<Value, ActivityError> {
        stepwise_lambda::all()
            .invoke("EmbedImage", input, &self.ctx)
            .await
    }

    async fn embed_allowing_loopback_http(&self, input: Value) -> Result<Value, ActivityError> {
        Registry::new()
            .with(EmbedImage::allowing_loopback_http())
            .invoke("EmbedImage", input, &self.ctx)
            .await
    }

    async fn staged(&self, key: &str) -> (Vec<f32>, Option<String>) {
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .expect("get_object");
        let content_type = object.content_type().map(str::to_string);
        let bytes = object.body.collect().await.expect("body").into_bytes();
        (
            decode_vector(&bytes).expect("a staged vector"),
            content_type,
        )
    }
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

/// A 3000×2000 PNG: a gradient with a dark disc.
fn large_png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(3000, 2000, |x, y| {
        let (dx, dy) = (x as f32 - 1500.0, y as f32 - 1000.0);
        if dx * dx + dy * dy < 600.0 * 600.0 {
            image::Rgb([30, 40, 160])
        } else {
            image::Rgb([(x / 12) as u8, (y / 8) as u8, 200])
        }
    });
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("PNG");
    png
}

/// Serves `router` on a free loopback port; the server ends with the test's runtime.
async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

#[tokio::test]
async fn a_jpeg_in_s3_is_embedded_and_staged_at_the_deterministic_key() {
    let fx = Fixture::new().await;
    let photo = product_photo(0, 0);
    let url = fx.put("images/p-1.jpg", photo.clone(), "image/jpeg").await;

    let output = fx.embed(fx.input("S-1", &url)).await.unwrap();

    let key = format!("staging/daily-sales/vectors/{EXPORT_DATE}/S-1.f32");
    assert_eq!(
        output,
        json!({
            "sale_id": "S-1",
            "vector_key": key,
            "dimensions": 1024,
            "source_bytes": photo.len(),
            "downscaled": false
        })
    );
    let (vector, content_type) = fx.staged(&key).await;
    assert_eq!(vector.len(), 1024);
    assert!((norm(&vector) - 1.0).abs() < 1e-3, "norm {}", norm(&vector));
    assert_eq!(content_type.as_deref(), Some("application/octet-stream"));
    // The image went to Bedrock unchanged: the vector is the endpoint's for these bytes.
    assert_eq!(vector, local_bedrock::embed_image(&photo, 1024).unwrap());

    // A retry (or a re-run) overwrites the same key with the same vector.
    let again = fx.embed(fx.input("S-1", &url)).await.unwrap();
    assert_eq!(again, output);
    assert_eq!(fx.staged(&key).await.0, vector);
}

#[tokio::test]
async fn photos_of_one_product_stage_closer_vectors_than_another_product() {
    let fx = Fixture::new().await;
    let mut vectors = Vec::new();
    for (sale, (product, view)) in [(0, 0), (0, 2), (1, 1)].into_iter().enumerate() {
        let url = fx
            .put(
                &format!("images/{product}-{view}.jpg"),
                product_photo(product, view),
                "image/jpeg",
            )
            .await;
        let output = fx
            .embed(fx.input(&format!("S-{sale}"), &url))
            .await
            .unwrap();
        let key = output["vector_key"].as_str().unwrap().to_string();
        vectors.push(fx.staged(&key).await.0);
    }
    let same = local_bedrock::cosine(&vectors[0], &vectors[1]);
    let other = local_bedrock::cosine(&vectors[0], &vectors[2]);
    assert!(same > other, "same product {same}, other product {other}");
}

#[tokio::test]
async fn a_large_png_is_downscaled_before_embedding() {
    let fx = Fixture::new().await;
    let png = large_png();
    let url = fx.put("images/big.png", png.clone(), "image/png").await;

    // The local endpoint, like Titan, refuses images over 2048×2048: this only succeeds
    // because the activity downscaled it.
    let output = fx.embed(fx.input("S-big", &url)).await.unwrap();

    assert_eq!(output["downscaled"], json!(true));
    assert_eq!(output["source_bytes"], json!(png.len()));
    let (vector, _) = fx.staged(output["vector_key"].as_str().unwrap()).await;
    assert!((norm(&vector) - 1.0).abs() < 1e-3);
}

#[tokio::test]
async fn a_webp_is_re_encoded_for_titan_and_embedded() {
    let fx = Fixture::new().await;
    let jpeg = product_photo(2, 1);
    let mut webp = Vec::new();
    image::load_from_memory(&jpeg)
        .expect("decodes")
        .write_to(&mut Cursor::new(&mut webp), image::ImageFormat::WebP)
        .expect("WebP");
    // Titan, and so the local endpoint, refuses a WebP as it is.
    assert!(local_bedrock::embed_image(&webp, 1024).is_err());
    let url = fx.put("images/p-2.webp", webp.clone(), "image/webp").await;

    let output = fx.embed(fx.input("S-webp", &url)).await.unwrap();

    assert_eq!(output["downscaled"], json!(true), "re-encoded");
    assert_eq!(output["source_bytes"], json!(webp.len()));
    let (vector, _) = fx.staged(output["vector_key"].as_str().unwrap()).await;
    assert!((norm(&vector) - 1.0).abs() < 1e-3);
    // The same photo: the vector is (nearly) the JPEG's.
    let from_jpeg = local_bedrock::embed_image(&jpeg, 1024).unwrap();
    let similarity = local_bedrock::cosine(&vector, &from_jpeg);
    assert!(
        similarity > 0.99,
        "cosine {similarity} with the JPEG's vector"
    );
}

#[tokio::test]
async fn a_corrupt_image_is_an_invalid_image_naming_the_sale() {
    let fx = Fixture::new().await;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    let url = fx.put("images/corrupt.jpg", noise, "image/jpeg").await;

    let err = fx.embed(fx.input("S-corrupt", &url)).await.unwrap_err();

    assert_eq!(err.name, INVALID_IMAGE);
    assert!(err.cause.starts_with("sale S-corrupt: "), "{}", err.cause);
    assert!(err.cause.contains(&url), "{}", err.cause);
    assert!(
        err.cause.contains("not a JPEG, PNG or WebP"),
        "{}",
        err.cause
    );
}

#[tokio::test]
async fn an_object_that_is_not_an_image_type_is_an_invalid_image() {
    let fx = Fixture::new().await;
    let url = fx
        .put(
            "images/page.jpg",
            b"<html>moved</html>".to_vec(),
            "text/html",
        )
        .await;
    let err = fx.embed(fx.input("S-html", &url)).await.unwrap_err();
    assert_eq!(err.name, INVALID_IMAGE);
    assert!(
        err.cause.contains("content type \"text/html\""),
        "{}",
        err.cause
    );
}

#[tokio::test]
async fn a_missing_key_is_not_found_naming_the_url() {
    let fx = Fixture::new().await;
    let url = format!("s3://{}/images/absent.jpg", fx.bucket);

    let err = fx.embed(fx.input("S-absent", &url)).await.unwrap_err();

    assert_eq!(err.name, errors::NOT_FOUND);
    assert!(
        err.cause
            .starts_with(&format!("sale S-absent: image {url} does not exist")),
        "{}",
        err.cause
    );
}

#[tokio::test]
async fn an_object_over_max_bytes_is_image_too_large() {
    let fx = Fixture::new().await;
    let url = fx
        .put("images/p.jpg", product_photo(1, 0), "image/jpeg")
        .await;
    let mut input = fx.input("S-big", &url);
    input["image_limits"]["max_bytes"] = json!(1000);

    let err = fx.embed(input).await.unwrap_err();

    assert_eq!(err.name, IMAGE_TOO_LARGE);
    assert!(
        err.cause.contains("max_bytes (1000 bytes)"),
        "{}",
        err.cause
    );
}

#[tokio::test]
async fn images_over_loopback_http_are_fetched_only_when_allowed() {
    let fx = Fixture::new().await;
    let photo = product_photo(2, 1);
    let served = photo.clone();
    let addr = serve(
        Router::new()
            .route(
                "/p.jpg",
                get(move || {
                    let body = served.clone();
                    async move { ([(header::CONTENT_TYPE, "image/jpeg")], body) }
                }),
            )
            .route("/busy.jpg", get(|| async { StatusCode::TOO_MANY_REQUESTS }))
            .route("/broken.jpg", get(|| async { StatusCode::BAD_GATEWAY }))
            .route(
                "/page.jpg",
                get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html></html>") }),
            )
            .route(
                "/huge.jpg",
                get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], vec![0u8; 5000]) }),
            ),
    )
    .await;
    let url = |path: &str| format!("http://{addr}{path}");

    // The deployed activity refuses plain http, loopback or not.
    let err = fx
        .embed(fx.input("S-http", &url("/p.jpg")))
        .await
        .unwrap_err();
    assert_eq!(err.name, INVALID_IMAGE);
    assert!(err.cause.contains("plain http://"), "{}", err.cause);

    let output = fx
        .embed_allowing_loopback_http(fx.input("S-http", &url("/p.jpg")))
        .await
        .unwrap();
    assert_eq!(output["source_bytes"], json!(photo.len()));
    let (vector, _) = fx.staged(output["vector_key"].as_str().unwrap()).await;
    assert_eq!(vector, local_bedrock::embed_image(&photo, 1024).unwrap());

    for (path, expected) in [
        ("/absent.jpg", errors::NOT_FOUND),
        ("/busy.jpg", errors::THROTTLED),
        ("/broken.jpg", errors::TRANSIENT),
        ("/page.jpg", INVALID_IMAGE),
    ] {
        let err = fx
            .embed_allowing_loopback_http(fx.input("S-http", &url(path)))
            .await
            .unwrap_err();
        assert_eq!(err.name, expected, "{path}: {err}");
        assert!(err.cause.contains(&url(path)), "{}", err.cause);
    }

    let mut input = fx.input("S-http", &url("/huge.jpg"));
    input["image_limits"]["max_bytes"] = json!(1000);
    let err = fx.embed_allowing_loopback_http(input).await.unwrap_err();
    assert_eq!(err.name, IMAGE_TOO_LARGE);
    assert!(err.cause.contains("Content-Length"), "{}", err.cause);
}

#[tokio::test]
async fn bedrock_throttling_is_throttled_and_the_next_attempt_succeeds() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let stub = Router::new().route(
        "/model/{model_id}/invoke",
        post(move |body: Bytes| {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    return (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("x-amzn-errortype", "ThrottlingException")],
                        r#"{"message":"Too many requests, please wait before trying again."}"#,
                    )
                        .into_response();
                }
                let request: TitanRequest = serde_json::from_slice(&body).expect("Titan body");
                match local_bedrock::embed(request) {
                    Ok(response) => axum::Json(response).into_response(),
                    Err(err) => err.into_response(),
                }
            }
        }),
    );
    let addr = serve(stub).await;
    let fx = Fixture::with_bedrock_endpoint(&format!("http://{addr}")).await;
    let url = fx
        .put("images/p.jpg", product_photo(3, 0), "image/jpeg")
        .await;

    let err = fx.embed(fx.input("S-busy", &url)).await.unwrap_err();
    assert_eq!(err.name, errors::THROTTLED);
    assert!(err.cause.contains("ThrottlingException"), "{}", err.cause);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the SDK retried by itself");

    // What the state machine's Retry does next:
    let output = fx.embed(fx.input("S-busy", &url)).await.unwrap();
    assert_eq!(output["dimensions"], json!(1024));
}

#[tokio::test]
async fn an_unknown_model_is_permanent_not_an_invalid_image() {
    let fx = Fixture::new().await;
    let url = fx
        .put("images/p.jpg", product_photo(4, 0), "image/jpeg")
        .await;
    let mut input = fx.input("S-model", &url);
    input["bedrock"]["model_id"] = json!("amazon.titan-embed-text-v9");

    let err = fx.embed(input).await.unwrap_err();

    assert_eq!(err.name, errors::PERMANENT);
    assert!(
        err.cause.contains("model identifier is invalid"),
        "{}",
        err.cause
    );
}

#[tokio::test]
async fn another_bedrock_region_gets_a_client_of_its_own() {
    let fx = Fixture::new().await;
    let url = fx
        .put("images/p.jpg", product_photo(5, 0), "image/jpeg")
        .await;
    let mut input = fx.input("S-region", &url);
    input["bedrock"]["region"] = json!("eu-central-1");

    let output = fx.embed(input).await.unwrap();
    assert_eq!(output["dimensions"], json!(1024));
}

#[tokio::test]
async fn an_unreachable_bedrock_is_transient() {
    // A port that was free a moment ago: nothing listens there.
    let addr = {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.local_addr().unwrap()
    };
    let fx = Fixture::with_bedrock_endpoint(&format!("http://{addr}")).await;
    let url = fx
        .put("images/p.jpg", product_photo(6, 0), "image/jpeg")
        .await;

    let err = fx.embed(fx.input("S-down", &url)).await.unwrap_err();

    assert_eq!(err.name, errors::TRANSIENT, "{err}");
}
