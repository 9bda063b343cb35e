//! The content-hash key scheme: embeddings are kept by the image's content, so an image
//! seen before (the same bytes, the same model and dimension) is never embedded again.
//!
//! Key: `<prefix>embeddings/<model-id>/<dimension>/<sha256-hex of the image bytes>`, in
//! a bucket the caller names. The model id is kept readable; a character outside
//! `A-Z a-z 0-9 . _ : -` (a `/` in an inference-profile ARN, say) is written `%XX`, so it
//! stays one key segment. The object is the stored vector format
//! ([`crate::encode_vector`]: [`EMBEDDING_DIM`] little-endian `f32`s, 4096 bytes) with
//! one metadata field, `stepwise-downscaled` (`true`/`false`): whether the image had to
//! be resized or re-encoded for the model.
//!
//! A stored object that does not read back as a vector (wrong length, a non-finite
//! component, missing metadata) is a miss: the image is embedded again and the object
//! overwritten. Two items embedding the same new image at the same time may both call
//! the model; the second store overwrites the first with an equal vector.

use aws_sdk_s3::primitives::ByteStream;
use sha2::{Digest, Sha256};
use stepwise_runtime::aws::errors::{SdkResultExt, classify};
use stepwise_runtime::{ActivityError, Context};

use crate::vector::{EMBEDDING_DIM, decode_vector, encode_vector};

/// The folder of the content-addressed embeddings under the caller's prefix.
pub const EMBEDDINGS_DIR: &str = "embeddings/";
/// The metadata field saying whether the image was downscaled for the model.
const META_DOWNSCALED: &str = "stepwise-downscaled";
/// The metadata field with the largest image side allowed before downscaling.
const META_MAX_DIMENSION: &str = "stepwise-max-dimension";

/// What identifies an embedding: the model, the vector's length and the image's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentKey {
    model_id: String,
    dimension: usize,
    sha256: [u8; 32],
}

impl ContentKey {
    /// The key of `image` (its bytes as fetched) embedded by `model_id` into
    /// `dimension` floats.
    pub fn of(model_id: &str, dimension: usize, image: &[u8]) -> Self {
        ContentKey {
            model_id: model_id.to_string(),
            dimension,
            sha256: Sha256::digest(image).into(),
        }
    }

    /// The image's SHA-256, as 64 lowercase hex digits.
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The object key under `prefix` (`""` or ending in `/`, as the caller keeps its
    /// prefixes): `<prefix>embeddings/<model-id>/<dimension>/<sha256-hex>`.
    pub fn object_key(&self, prefix: &str) -> String {
        format!(
            "{prefix}{EMBEDDINGS_DIR}{}/{}/{}",
            key_segment(&self.model_id),
            self.dimension,
            self.sha256_hex()
        )
    }
}

/// `text` as one S3 key segment: `A-Z a-z 0-9 . _ : -` kept, anything else `%XX`.
fn key_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An embedding found in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The vector: [`EMBEDDING_DIM`] finite floats.
    pub vector: Vec<f32>,
    /// Whether the image was downscaled for the model when it was embedded.
    pub downscaled: bool,
    /// The largest image side allowed before downscaling when it was embedded.
    pub max_dimension: u32,
}

/// Where content-addressed embeddings live: a bucket and a key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingStore {
    bucket: String,
    prefix: String,
}

impl EmbeddingStore {
    /// The store under `prefix` (`""` or ending in `/`) in `bucket`.
    pub fn new(bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        EmbeddingStore {
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    /// The object key of `key` in this store.
    pub fn object_key(&self, key: &ContentKey) -> String {
        key.object_key(&self.prefix)
    }

    /// The embedding stored for `key`, if there is a readable one (`GetObject`; a
    /// missing object is `None`, a failing call its error name).
    pub async fn lookup(
        &self,
        ctx: &Context,
        key: &ContentKey,
    ) -> Result<Option<Stored>, ActivityError> {
        let object_key = self.object_key(key);
        let got = ctx
            .aws()
            .s3()
            .await
            .get_object()
            .bucket(&self.bucket)
            .key(&object_key)
            .send()
            .await;
        let object = match got {
            Ok(object) => object,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None);
            }
            Err(e) => return Err(classify("S3", "GetObject", &e)),
        };
        let field = |name: &str| object.metadata().and_then(|m| m.get(name));
        let downscaled = field(META_DOWNSCALED).and_then(|v| v.parse::<bool>().ok());
        let max_dimension = field(META_MAX_DIMENSION).and_then(|v| v.parse::<u32>().ok());
        let bytes = object.body.collect().await.map_err(|e| {
            ActivityError::transient(format!(
                "S3 GetObject s3://{}/{object_key}: reading the body failed: {e}",
                self.bucket
            ))
        })?;
        match (key.dimension == EMBEDDING_DIM, downscaled, max_dimension) {
            (true, Some(downscaled), Some(max_dimension)) => {
                match decode_vector(&bytes.into_bytes()) {
                    Ok(vector) => Ok(Some(Stored {
                        vector,
                        downscaled,
                        max_dimension,
                    })),
                    Err(why) => {
                        tracing::warn!(key = %object_key, %why, "a stored embedding does not read back; embedding again");
                        Ok(None)
                    }
                }
            }
            _ => Ok(None),
        }
    }

    /// Stores `stored` for `key` (`PutObject`, overwriting).
    pub async fn store(
        &self,
        ctx: &Context,
        key: &ContentKey,
        stored: &Stored,
    ) -> Result<(), ActivityError> {
        ctx.aws()
            .s3()
            .await
            .put_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .content_type("application/octet-stream")
            .metadata(META_DOWNSCALED, stored.downscaled.to_string())
            .metadata(META_MAX_DIMENSION, stored.max_dimension.to_string())
            .body(ByteStream::from(encode_vector(&stored.vector)))
            .send()
            .await
            .activity_err("S3", "PutObject")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_model_dimension_and_content_hash() {
        let key = ContentKey::of("amazon.titan-embed-image-v1", 1024, b"abc");
        assert_eq!(
            key.object_key("staging/"),
            "staging/embeddings/amazon.titan-embed-image-v1/1024/\
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            EmbeddingStore::new("b", "").object_key(&key),
            "embeddings/amazon.titan-embed-image-v1/1024/\
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_same_bytes_make_the_same_key_and_anything_else_another() {
        let key = |model: &str, dim: usize, bytes: &[u8]| {
            ContentKey::of(model, dim, bytes).object_key("p/")
        };
        let base = key("m", 1024, b"image");
        assert_eq!(base, key("m", 1024, b"image"));
        assert_ne!(base, key("m", 1024, b"imagf"));
        assert_ne!(base, key("n", 1024, b"image"));
        assert_ne!(base, key("m", 384, b"image"));
    }

    #[test]
    fn a_model_arn_stays_one_key_segment() {
        let key = ContentKey::of(
            "arn:aws:bedrock:eu-west-1:1:inference-profile/eu.titan v1",
            1024,
            b"x",
        );
        let object_key = key.object_key("");
        assert!(
            object_key.starts_with(
                "embeddings/arn:aws:bedrock:eu-west-1:1:inference-profile%2Feu.titan%20v1/1024/"
            ),
            "{object_key}"
        );
        assert_eq!(object_key.matches('/').count(), 3, "{object_key}");
    }
}
