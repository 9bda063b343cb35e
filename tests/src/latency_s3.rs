//! A loopback S3 stand-in with a fixed added latency, for benchmarks of code that
//! reads many small objects: it serves `GetObject` (path-style `GET /<bucket>/<key>`)
//! from memory after waiting the configured delay, and answers `NoSuchKey` for any
//! other key. It is loaded from a real (moto) bucket first, so the objects are the ones
//! the code under test wrote; moto itself answers only a few hundred GetObject/s and
//! would be the ceiling, which a latency that does not cap throughput avoids.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::world::Error;

struct Store {
    delay: Duration,
    objects: HashMap<(String, String), Vec<u8>>,
}

/// The server, stopped when dropped.
#[derive(Debug)]
pub struct LatencyS3 {
    addr: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

impl Drop for LatencyS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LatencyS3 {
    /// Loads every object under `prefix` of `bucket` through `s3` and serves them on a
    /// free loopback port, each answer `delay` late.
    pub async fn load(
        s3: &aws_sdk_s3::Client,
        bucket: &str,
        prefix: &str,
        delay: Duration,
    ) -> Result<Self, Error> {
        let mut objects = HashMap::new();
        let mut pages = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for object in page?.contents() {
                let Some(key) = object.key() else { continue };
                let body = s3.get_object().bucket(bucket).key(key).send().await?;
                let bytes = body.body.collect().await?.into_bytes().to_vec();
                objects.insert((bucket.to_string(), key.to_string()), bytes);
            }
        }
        let store = Arc::new(Store { delay, objects });
        let app = Router::new()
            .route("/{bucket}/{*key}", get(serve))
            .with_state(store);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(LatencyS3 { addr, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An S3 client of `config` (credentials, region) pointed at this server, path-style.
    pub fn client(&self, config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(config)
            .endpoint_url(self.endpoint())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

async fn serve(
    State(store): State<Arc<Store>>,
    Path((bucket, key)): Path<(String, String)>,
) -> Response {
    tokio::time::sleep(store.delay).await;
    match store.objects.get(&(bucket, key.clone())) {
        Some(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes.clone(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/xml")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>{key}</Key></Error>"
            ),
        )
            .into_response(),
    }
}
