//! `MakeThumbnail`: the Map item's first step. It fetches the image (S3 or HTTPS, with
//! the size and time limits of EmbedImage, through the shared
//! [`stepwise_embeddings::fetch_image`]), decodes it (JPEG, PNG or WebP), turns it
//! upright by its EXIF orientation, shrinks it to the configured edge keeping its
//! aspect, and stores it as a JPEG under a key derived from the image's content hash
//! ([`crate::keys::thumbnail_key`]). It returns the key, the thumbnail's size, and the
//! image's content hash and embedding key, which the rest of the item and ClusterImages
//! use.
//!
//! An image that is not a JPEG, PNG or WebP, does not decode, or is over the byte or
//! pixel limits is [`INVALID_IMAGE`] or [`IMAGE_TOO_LARGE`]: not retried; the job goes on
//! without it and reports it.

use std::io::Cursor;

use aws_sdk_s3::primitives::ByteStream;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Area, Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};
use stepwise_embeddings::{ContentKey, EMBEDDING_DIM, EmbeddingStore, fetch_image};
pub use stepwise_embeddings::{IMAGE_TOO_LARGE, INVALID_IMAGE};
use stepwise_runtime::aws::errors::SdkResultExt;
use stepwise_runtime::{Activity, ActivityError, Context, errors};
use thiserror::Error;

use crate::config::GroupImagesSettings;
use crate::fetch_embeddings::{ManifestItem, ObjectRef};
use crate::keys;

/// The largest image side decoded, in pixels.
pub const MAX_DECODED_SIDE: u32 = 16_384;
/// The most memory one decode may allocate, in bytes.
pub const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;
/// JPEG quality of the thumbnails.
const QUALITY: u8 = 85;

/// A thumbnail, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// The JPEG bytes.
    pub jpeg: Vec<u8>,
    /// Its width, in pixels.
    pub width: u32,
    /// Its height, in pixels.
    pub height: u32,
}

/// Why an image cannot be thumbnailed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ThumbnailError {
    /// Not a format we decode.
    #[error("is not a JPEG, PNG or WebP image{0}")]
    Unsupported(String),
    /// The bytes do not decode.
    #[error("does not decode: {0}")]
    Undecodable(String),
    /// Over the pixel or memory limits.
    #[error("is too large to decode: {0}")]
    TooLarge(String),
}

impl ThumbnailError {
    /// The error name Step Functions sees.
    pub fn error_name(&self) -> ErrorName {
        match self {
            ThumbnailError::TooLarge(_) => IMAGE_TOO_LARGE,
            _ => INVALID_IMAGE,
        }
    }
}

/// Decodes `bytes` (JPEG, PNG or WebP), applies its EXIF orientation and shrinks it so
/// that its longer side is at most `edge` pixels (aspect kept; a smaller image is not
/// enlarged). Pure CPU work: call it on a blocking thread.
pub fn make_thumbnail(bytes: &[u8], edge: u32) -> Result<Thumbnail, ThumbnailError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ThumbnailError::Undecodable(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        Some(other) => {
            return Err(ThumbnailError::Unsupported(format!(
                " (it is {})",
                other.to_mime_type()
            )));
        }
        None => return Err(ThumbnailError::Unsupported(String::new())),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = reader;
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let image = if width.max(height) > edge {
        image.resize(edge, edge, FilterType::Triangle)
    } else {
        image
    };
    let rgb = image.to_rgb8();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), QUALITY)
        .encode_image(&rgb)
        .map_err(|e| ThumbnailError::Undecodable(format!("re-encoding failed: {e}")))?;
    Ok(Thumbnail {
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
    })
}

fn classify(e: image::ImageError) -> ThumbnailError {
    match e {
        image::ImageError::Limits(l) => ThumbnailError::TooLarge(l.to_string()),
        image::ImageError::Unsupported(u) => ThumbnailError::Unsupported(format!(" ({u})")),
        other => ThumbnailError::Undecodable(other.to_string()),
    }
}

/// One Map item: the image and the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MakeThumbnailInput {
    /// The image (a line of the job's manifest).
    pub image: ManifestItem,
    /// The configuration.
    pub config: GroupImagesSettings,
}

/// The thumbnail and what the rest of the item needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MakeThumbnailOutput {
    /// The image's id.
    pub id: String,
    /// Its position in the job.
    pub index: usize,
    /// The SHA-256 of its bytes.
    pub sha256: String,
    /// The key of its embedding in the content-hash store (in the config's bucket).
    pub embedding_key: String,
    /// The thumbnail.
    pub thumbnail: ObjectRef,
    /// The thumbnail's width, in pixels.
    pub width: u32,
    /// The thumbnail's height, in pixels.
    pub height: u32,
    /// Size of the fetched image, in bytes.
    pub source_bytes: u64,
}

/// Makes one image's thumbnail (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeThumbnail {
    allow_loopback_http: bool,
}

impl MakeThumbnail {
    /// As deployed: images from `s3://` and `https://`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also `http://` on loopback, for tests and local demos only.
    pub fn allowing_loopback_http() -> Self {
        MakeThumbnail {
            allow_loopback_http: true,
        }
    }
}

impl ActivityDef for MakeThumbnail {
    const NAME: &'static str = "MakeThumbnail";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 1024,
        timeout_seconds: 120,
        permissions: &[
            Permission {
                actions: &["s3:GetObject"],
                resource: Resource::Objects { area: Area::Images },
                reason: "fetches the image given as an s3:// URL",
            },
            Permission {
                actions: &["s3:ListBucket"],
                resource: Resource::Listing { area: Area::Images },
                reason: "a missing image is NoSuchKey (NotFound), not AccessDenied",
            },
            Permission {
                actions: &["s3:PutObject"],
                resource: Resource::Objects {
                    area: Area::Thumbnails,
                },
                reason: "stores the thumbnail at its content-hash key",
            },
        ],
    };
    const ERRORS: &'static [ErrorName] = &[INVALID_IMAGE, IMAGE_TOO_LARGE];
    type Input = MakeThumbnailInput;
    type Output = MakeThumbnailOutput;
}

// The image fetch may take up to half of the function's time.
const _: () = assert!(
    MakeThumbnail::DEPLOYMENT.timeout_seconds >= 2 * stepwise_embeddings::MAX_IMAGE_TIMEOUT_SECONDS
);

impl Activity for MakeThumbnail {
    async fn run(
        &self,
        input: MakeThumbnailInput,
        ctx: &Context,
    ) -> Result<MakeThumbnailOutput, ActivityError> {
        let config = &input.config.config;
        let image = &input.image;
        let in_image = |e: ActivityError| {
            ActivityError::new(e.name, format!("image {}: {}", image.id, e.cause))
        };
        let fetched = fetch_image(
            ctx,
            &image.uri,
            &config.image_limits,
            self.allow_loopback_http,
        )
        .await
        .map_err(in_image)?;
        let source_bytes = fetched.bytes.len() as u64;
        let content = ContentKey::of(&config.bedrock.model_id, EMBEDDING_DIM, &fetched.bytes);
        let sha256 = content.sha256_hex();
        let embedding_key =
            EmbeddingStore::new(&config.bucket, &config.embeddings_prefix).object_key(&content);

        let edge = config.thumbnail_edge;
        let bytes = fetched.bytes;
        let thumbnail = tokio::task::spawn_blocking(move || make_thumbnail(&bytes, edge))
            .await
            .map_err(|e| {
                let name = if e.is_panic() {
                    INVALID_IMAGE
                } else {
                    errors::TRANSIENT
                };
                ActivityError::new(
                    name,
                    format!("image {} ({}): decoding failed: {e}", image.id, image.uri),
                )
            })?
            .map_err(|problem| {
                ActivityError::new(
                    problem.error_name(),
                    format!("image {} ({}) {problem}", image.id, image.uri),
                )
            })?;

        ctx.cancellation
            .check("before storing the thumbnail")
            .map_err(in_image)?;
        let key = keys::thumbnail_key(&config.thumbnails_prefix, edge, &sha256);
        ctx.aws()
            .s3()
            .await
            .put_object()
            .bucket(&config.bucket)
            .key(&key)
            .content_type("image/jpeg")
            .body(ByteStream::from(thumbnail.jpeg))
            .send()
            .await
            .activity_err("S3", "PutObject")
            .map_err(in_image)?;
        Ok(MakeThumbnailOutput {
            id: image.id.clone(),
            index: image.index,
            sha256,
            embedding_key,
            thumbnail: ObjectRef {
                bucket: config.bucket.clone(),
                key,
            },
            width: thumbnail.width,
            height: thumbnail.height,
            source_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};

    use super::*;

    fn photo(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn jpeg_png_and_webp_shrink_to_the_edge_keeping_their_aspect() {
        for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
            let thumb = make_thumbnail(&photo(640, 320, format), 256).unwrap();
            assert_eq!((thumb.width, thumb.height), (256, 128), "{format:?}");
            assert_eq!(&thumb.jpeg[..2], &[0xff, 0xd8]);
        }
        let small = make_thumbnail(&photo(100, 50, ImageFormat::Png), 256).unwrap();
        assert_eq!((small.width, small.height), (100, 50), "not enlarged");
    }

    /// A JPEG with an APP1 Exif segment holding only an Orientation tag.
    fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian, IFD at 8
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xff, 0xe1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn exif_orientation_turns_the_image_upright() {
        let jpeg = photo(400, 200, ImageFormat::Jpeg);
        let rotated = make_thumbnail(&with_orientation(&jpeg, 6), 256).unwrap();
        assert_eq!((rotated.width, rotated.height), (128, 256), "rotated 90°");
        let upright = make_thumbnail(&with_orientation(&jpeg, 1), 256).unwrap();
        assert_eq!((upright.width, upright.height), (256, 128));
    }

    #[test]
    fn corrupt_and_unsupported_bytes_are_invalid_images() {
        let err = make_thumbnail(b"definitely not an image", 256).unwrap_err();
        assert_eq!(err.error_name(), INVALID_IMAGE, "{err}");
        let mut jpeg = photo(64, 64, ImageFormat::Jpeg);
        jpeg.truncate(200);
        let err = make_thumbnail(&jpeg, 256).unwrap_err();
        assert_eq!(err.error_name(), INVALID_IMAGE, "{err}");
        let err = make_thumbnail(b"GIF89a\x01\x00\x01\x00", 256).unwrap_err();
        assert!(err.to_string().contains("not a JPEG, PNG or WebP"), "{err}");
    }

    #[test]
    fn an_image_over_the_pixel_limit_is_too_large() {
        // A PNG header announcing 20000×20000 pixels.
        let png = photo(1, 1, ImageFormat::Png);
        let mut big = png.clone();
        big[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        big[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let crc = crc32(&big[12..29]);
        big[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = make_thumbnail(&big, 256).unwrap_err();
        assert_eq!(err.error_name(), IMAGE_TOO_LARGE, "{err}");
    }

    /// The PNG chunk CRC (CRC-32, polynomial 0xEDB88320).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
