//! The sales manifest writer: JSON Lines (one [`Sale`] per line) streamed to one S3
//! object while the rows arrive.
//!
//! Lines collect in a buffer of [`MANIFEST_PART_SIZE`]; a full buffer is sent as one part
//! of a multipart upload, so memory stays at about one part whatever the number of sales.
//! A manifest smaller than one part is written with a single `PutObject`. An export that
//! fails half-way aborts its multipart upload, so no partial object (and no orphaned
//! parts) is left; a retried export writes the same key again.
//!
//! This module must not retry or log: S3 failures are classified by
//! [`stepwise_runtime::aws::errors`] and the state machine retries them.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use crate::sales::Sale;
use stepwise_runtime::ActivityError;
use stepwise_runtime::aws::errors::SdkResultExt;

/// The size of one multipart part (and the most manifest text held in memory): 8 MiB,
/// above S3's 5 MiB minimum part size. About 35,000 typical sales per part.
pub const MANIFEST_PART_SIZE: usize = 8 * 1024 * 1024;

/// The manifest's `Content-Type`.
pub const MANIFEST_CONTENT_TYPE: &str = "application/x-ndjson";

/// A multipart upload in progress.
#[derive(Debug)]
struct Upload {
    id: String,
    parts: Vec<CompletedPart>,
}

/// Writes one manifest: [`ManifestWriter::push`] each sale in order, then
/// [`ManifestWriter::finish`] — or [`ManifestWriter::abort`] when the export failed.
#[derive(Debug)]
pub(crate) struct ManifestWriter<'a> {
    s3: &'a aws_sdk_s3::Client,
    bucket: &'a str,
    key: &'a str,
    part_size: usize,
    buffer: Vec<u8>,
    upload: Option<Upload>,
}

impl<'a> ManifestWriter<'a> {
    /// A writer of `s3://bucket/key` sending parts of `part_size` bytes (at least S3's
    /// 5 MiB minimum, except in tests of the single-object path).
    pub fn new(
        s3: &'a aws_sdk_s3::Client,
        bucket: &'a str,
        key: &'a str,
        part_size: usize,
    ) -> Self {
        ManifestWriter {
            s3,
            bucket,
            key,
            part_size,
            buffer: Vec::new(),
            upload: None,
        }
    }

    /// Appends one sale as a line; sends a part when the buffer is full.
    pub async fn push(&mut self, sale: &Sale) -> Result<(), ActivityError> {
        append_line(&mut self.buffer, sale)?;
        if self.buffer.len() >= self.part_size {
            self.send_part().await?;
        }
        Ok(())
    }

    /// Writes what is left and completes the object. A failure aborts a multipart
    /// upload in progress.
    pub async fn finish(mut self) -> Result<(), ActivityError> {
        if self.upload.is_none() {
            let body = std::mem::take(&mut self.buffer);
            return self
                .s3
                .put_object()
                .bucket(self.bucket)
                .key(self.key)
                .content_type(MANIFEST_CONTENT_TYPE)
                .body(ByteStream::from(body))
                .send()
                .await
                .activity_err("S3", "PutObject")
                .map(|_| ())
                .map_err(|e| self.context(e));
        }
        let completed = self.complete().await;
        if completed.is_err() {
            self.abort().await;
        }
        completed
    }

    /// Abandons the manifest: aborts a multipart upload in progress (best effort: the
    /// failure being reported is the export's, and S3 lifecycle rules clean up parts an
    /// abort could not remove).
    pub async fn abort(mut self) {
        if let Some(upload) = self.upload.take() {
            let _ = self
                .s3
                .abort_multipart_upload()
                .bucket(self.bucket)
                .key(self.key)
                .upload_id(upload.id)
                .send()
                .await;
        }
    }

    /// Sends the last part, if any, and completes the multipart upload.
    async fn complete(&mut self) -> Result<(), ActivityError> {
        if !self.buffer.is_empty() {
            self.send_part().await?;
        }
        let Some(upload) = &self.upload else {
            return Ok(());
        };
        self.s3
            .complete_multipart_upload()
            .bucket(self.bucket)
            .key(self.key)
            .upload_id(&upload.id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(upload.parts.clone()))
                    .build(),
            )
            .send()
            .await
            .activity_err("S3", "CompleteMultipartUpload")
            .map_err(|e| self.context(e))?;
        // Complete: nothing is left to abort.
        self.upload = None;
        Ok(())
    }

    /// Sends the buffer as the next part, starting the multipart upload first if needed.
    async fn send_part(&mut self) -> Result<(), ActivityError> {
        let mut upload = match self.upload.take() {
            Some(upload) => upload,
            None => self.create().await?,
        };
        let body = std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(self.part_size + self.part_size / 8),
        );
        let number = i32::try_from(upload.parts.len() + 1).unwrap_or(i32::MAX);
        let sent = self
            .s3
            .upload_part()
            .bucket(self.bucket)
            .key(self.key)
            .upload_id(&upload.id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .activity_err("S3", "UploadPart");
        if let Ok(output) = &sent {
            upload.parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(output.e_tag.clone())
                    .build(),
            );
        }
        // Kept after a failure too, so that the upload can be aborted.
        self.upload = Some(upload);
        sent.map(|_| ()).map_err(|e| self.context(e))
    }

    /// Starts the multipart upload.
    async fn create(&self) -> Result<Upload, ActivityError> {
        let created = self
            .s3
            .create_multipart_upload()
            .bucket(self.bucket)
            .key(self.key)
            .content_type(MANIFEST_CONTENT_TYPE)
            .send()
            .await
            .activity_err("S3", "CreateMultipartUpload")
            .map_err(|e| self.context(e))?;
        let id = created.upload_id.ok_or_else(|| {
            self.context(ActivityError::transient(
                "S3 CreateMultipartUpload returned no upload id",
            ))
        })?;
        Ok(Upload {
            id,
            parts: Vec::new(),
        })
    }

    /// `e` with the manifest's location in front of its cause.
    fn context(&self, e: ActivityError) -> ActivityError {
        ActivityError::new(
            e.name,
            format!(
                "writing the manifest s3://{}/{}: {}",
                self.bucket, self.key, e.cause
            ),
        )
    }
}

/// Appends `sale` as one JSON line.
pub(crate) fn append_line(buffer: &mut Vec<u8>, sale: &Sale) -> Result<(), ActivityError> {
    serde_json::to_writer(&mut *buffer, sale).map_err(|e| {
        ActivityError::permanent(format!(
            "sale {} cannot be written as JSON: {e}",
            sale.sale_id
        ))
    })?;
    buffer.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_compact_json_objects() {
        let sale = Sale {
            sale_id: "S-1".into(),
            tenant_id: "acme".into(),
            product_id: "P-1".into(),
            sold_at: "2026-11-23T14:03:00Z".into(),
            quantity: 2,
            unit_price_cents: 499,
            currency: "EUR".into(),
            image_url: "".into(),
        };
        let mut buffer = Vec::new();
        append_line(&mut buffer, &sale).unwrap();
        append_line(&mut buffer, &sale).unwrap();
        let text = String::from_utf8(buffer).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            r#"{"sale_id":"S-1","tenant_id":"acme","product_id":"P-1","sold_at":"2026-11-23T14:03:00Z","quantity":2,"unit_price_cents":499,"currency":"EUR","image_url":""}"#
        );
        assert!(text.ends_with('\n'));
    }
}
