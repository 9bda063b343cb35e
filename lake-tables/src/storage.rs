//! iceberg's [`Storage`] on the official `aws-sdk-s3` client, so the table metadata,
//! manifests and manifest lists are read and written with the same S3 client (and the
//! same endpoint, credentials and retry settings) as the rest of Stepwise — moto locally,
//! AWS in production. The S3 Tables catalog crate's default storage is OpenDAL's own S3
//! client with its own signer; [`SdkS3StorageFactory`] replaces it.
//!
//! Objects are addressed as `s3://bucket/key` (what S3 Tables' warehouse locations are).
//! A writer buffers the object and puts it on `close` (metadata files are small).

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_smithy_types::error::display::DisplayErrorContext;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;
use iceberg::io::{
    FileMetadata, FileRead, FileWrite, InputFile, OutputFile, Storage, StorageConfig,
    StorageFactory,
};
use iceberg::{Error, ErrorKind, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Splits `s3://bucket/key` (also `s3a://`) into bucket and key.
pub fn parse_s3_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri
        .strip_prefix("s3://")
        .or_else(|| uri.strip_prefix("s3a://"))?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty()).then_some((bucket, key))
}

fn location(uri: &str) -> Result<(&str, &str)> {
    parse_s3_uri(uri).ok_or_else(|| {
        Error::new(
            ErrorKind::DataInvalid,
            format!("not an s3://bucket/key location: {uri}"),
        )
    })
}

/// An iceberg error from an SDK error, retryable when the SDK error is (throttling,
/// 5xx, no response).
fn sdk_error<E>(operation: &str, uri: &str, err: aws_sdk_s3::error::SdkError<E>) -> Error
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let class = crate::error::class_of(
        aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&err),
        status,
    );
    let retryable = matches!(
        class,
        crate::ErrorClass::Throttled | crate::ErrorClass::Transient
    );
    Error::new(
        ErrorKind::Unexpected,
        format!("S3 {operation} {uri}: {}", DisplayErrorContext(&err)),
    )
    .with_retryable(retryable)
}

/// [`Storage`] on an `aws-sdk-s3` [`Client`].
#[derive(Debug, Clone)]
pub struct SdkS3Storage {
    client: Client,
}

impl SdkS3Storage {
    /// A storage on this client.
    pub fn new(client: Client) -> Self {
        SdkS3Storage { client }
    }
}

/// A client cannot be serialized: the storage serializes as a marker and refuses to be
/// deserialized (iceberg only serializes storages to ship them to other processes,
/// which Stepwise never does).
fn not_serializable<S: Serializer>(serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_unit_struct("SdkS3Storage")
}

fn not_deserializable<'de, D: Deserializer<'de>, T>(_: D) -> std::result::Result<T, D::Error> {
    Err(serde::de::Error::custom(
        "an aws-sdk-s3 storage cannot be deserialized: build it from an SDK client",
    ))
}

impl Serialize for SdkS3Storage {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        not_serializable(serializer)
    }
}

impl<'de> Deserialize<'de> for SdkS3Storage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        not_deserializable(deserializer)
    }
}

#[async_trait]
#[typetag::serde]
impl Storage for SdkS3Storage {
    async fn exists(&self, path: &str) -> Result<bool> {
        let (bucket, key) = location(path)?;
        match self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(false),
            Err(err) => Err(sdk_error("HeadObject", path, err)),
        }
    }

    async fn metadata(&self, path: &str) -> Result<FileMetadata> {
        let (bucket, key) = location(path)?;
        let head = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| sdk_error("HeadObject", path, err))?;
        let size = head.content_length().unwrap_or_default();
        Ok(FileMetadata {
            size: u64::try_from(size).unwrap_or_default(),
        })
    }

    async fn read(&self, path: &str) -> Result<Bytes> {
        let (bucket, key) = location(path)?;
        get(&self.client, bucket, key, None, path).await
    }

    async fn reader(&self, path: &str) -> Result<Box<dyn FileRead>> {
        let (bucket, key) = location(path)?;
        Ok(Box::new(SdkS3Read {
            client: self.client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            uri: path.to_string(),
        }))
    }

    async fn write(&self, path: &str, bs: Bytes) -> Result<()> {
        let (bucket, key) = location(path)?;
        put(&self.client, bucket, key, bs, path).await
    }

    async fn writer(&self, path: &str) -> Result<Box<dyn FileWrite>> {
        let (bucket, key) = location(path)?;
        Ok(Box::new(SdkS3Write {
            client: self.client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            uri: path.to_string(),
            buffer: BytesMut::new(),
            closed: false,
        }))
    }

    async fn delete(&self, path: &str) -> Result<()> {
        let (bucket, key) = location(path)?;
        self.client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| sdk_error("DeleteObject", path, err))?;
        Ok(())
    }

    async fn delete_prefix(&self, path: &str) -> Result<()> {
        let (bucket, prefix) = location(path)?;
        let prefix = if prefix.is_empty() || prefix.ends_with('/') {
            prefix.to_string()
        } else {
            format!("{prefix}/")
        };
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| sdk_error("ListObjectsV2", path, err))?;
            let ids = page
                .contents()
                .iter()
                .filter_map(|o| o.key())
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::new(ErrorKind::Unexpected, e.to_string()))?;
            if ids.is_empty() {
                continue;
            }
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .build()
                .map_err(|e| Error::new(ErrorKind::Unexpected, e.to_string()))?;
            self.client
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|err| sdk_error("DeleteObjects", path, err))?;
        }
        Ok(())
    }

    async fn delete_stream(&self, mut paths: BoxStream<'static, String>) -> Result<()> {
        while let Some(path) = paths.next().await {
            self.delete(&path).await?;
        }
        Ok(())
    }

    fn new_input(&self, path: &str) -> Result<InputFile> {
        location(path)?;
        Ok(InputFile::new(Arc::new(self.clone()), path.to_string()))
    }

    fn new_output(&self, path: &str) -> Result<OutputFile> {
        location(path)?;
        Ok(OutputFile::new(Arc::new(self.clone()), path.to_string()))
    }
}

async fn get(
    client: &Client,
    bucket: &str,
    key: &str,
    range: Option<Range<u64>>,
    uri: &str,
) -> Result<Bytes> {
    let mut request = client.get_object().bucket(bucket).key(key);
    if let Some(range) = range {
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        request = request.range(format!("bytes={}-{}", range.start, range.end - 1));
    }
    let object = request
        .send()
        .await
        .map_err(|err| sdk_error("GetObject", uri, err))?;
    let body = object.body.collect().await.map_err(|e| {
        Error::new(
            ErrorKind::Unexpected,
            format!("S3 GetObject {uri}: reading the body: {e}"),
        )
        .with_retryable(true)
    })?;
    Ok(body.into_bytes())
}

async fn put(client: &Client, bucket: &str, key: &str, body: Bytes, uri: &str) -> Result<()> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|err| sdk_error("PutObject", uri, err))?;
    Ok(())
}

/// Ranged reads of one object.
struct SdkS3Read {
    client: Client,
    bucket: String,
    key: String,
    uri: String,
}

#[async_trait]
impl FileRead for SdkS3Read {
    async fn read(&self, range: Range<u64>) -> Result<Bytes> {
        get(
            &self.client,
            &self.bucket,
            &self.key,
            Some(range),
            &self.uri,
        )
        .await
    }
}

/// Buffers the object; `close` puts it.
struct SdkS3Write {
    client: Client,
    bucket: String,
    key: String,
    uri: String,
    buffer: BytesMut,
    closed: bool,
}

#[async_trait]
impl FileWrite for SdkS3Write {
    async fn write(&mut self, bs: Bytes) -> Result<()> {
        if self.closed {
            return Err(Error::new(
                ErrorKind::Unexpected,
                format!("write to {} after close", self.uri),
            ));
        }
        self.buffer.extend_from_slice(&bs);
        Ok(())
    }

    async fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let body = std::mem::take(&mut self.buffer).freeze();
        put(&self.client, &self.bucket, &self.key, body, &self.uri).await?;
        self.closed = true;
        Ok(())
    }
}

/// Builds [`SdkS3Storage`] for iceberg's `FileIO` (the catalog's storage factory).
#[derive(Debug, Clone)]
pub struct SdkS3StorageFactory {
    client: Client,
}

impl SdkS3StorageFactory {
    /// A factory handing out storages on this client.
    pub fn new(client: Client) -> Self {
        SdkS3StorageFactory { client }
    }
}

impl Serialize for SdkS3StorageFactory {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        not_serializable(serializer)
    }
}

impl<'de> Deserialize<'de> for SdkS3StorageFactory {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        not_deserializable(deserializer)
    }
}

#[typetag::serde]
impl StorageFactory for SdkS3StorageFactory {
    fn build(&self, _config: &StorageConfig) -> Result<Arc<dyn Storage>> {
        Ok(Arc::new(SdkS3Storage::new(self.client.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_split_into_bucket_and_key() {
        assert_eq!(
            parse_s3_uri("s3://b/metadata/00001.metadata.json"),
            Some(("b", "metadata/00001.metadata.json"))
        );
        assert_eq!(parse_s3_uri("s3a://b/k"), Some(("b", "k")));
        assert_eq!(parse_s3_uri("s3:///k"), None);
        assert_eq!(parse_s3_uri("https://b/k"), None);
        assert_eq!(parse_s3_uri("s3://bucket-only"), None);
    }
}
