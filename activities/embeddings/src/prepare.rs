//! The CPU side of an image: the declared content type, the format sniffed from the bytes,
//! a full decode (so a corrupt image fails here, per item, not at Bedrock), and a
//! downscale and re-encode when the image exceeds what the model accepts or comes in a
//! format it does not take.
//!
//! Titan Multimodal Embeddings takes JPEG and PNG only (AWS's model page lists "Image
//! formats: PNG, JPEG": <https://docs.aws.amazon.com/bedrock/latest/userguide/titan-multiemb-models.html>).
//! Any other format the `image` crate decodes here (WebP, the only other one enabled in
//! the workspace) is re-encoded: as a JPEG, or a PNG when it has transparency.
//!
//! Everything here is synchronous and may take a while on a large image: call it from
//! `tokio::task::spawn_blocking`. It does no I/O.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{DynamicImage, ImageError, ImageFormat, ImageReader, Limits};
use stepwise_contract::ErrorName;

use crate::{IMAGE_TOO_LARGE, INVALID_IMAGE};

/// The largest image side Titan Multimodal Embeddings G1 accepts, in pixels; a larger
/// `image_limits.max_dimension` is capped to it.
pub const TITAN_MAX_DIMENSION: u32 = 2048;
/// The largest image body sent to Bedrock, in bytes. Titan documents 25 MB; 5 MB keeps
/// an InvokeModel request (base64 adds a third) small and fast, and no product photo of
/// at most 2048×2048 pixels needs more as a JPEG.
pub const MAX_MODEL_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// The largest side decoded at all: a bigger image is refused before its pixels are
/// allocated (a small file can announce a huge image).
const MAX_DECODE_DIMENSION: u32 = 16_384;
/// The most memory a decode may allocate.
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;
/// JPEG qualities tried, best first, until the body fits [`MAX_MODEL_IMAGE_BYTES`].
const JPEG_QUALITIES: [u8; 4] = [90, 80, 70, 60];
/// How much a side shrinks when no quality fits, and how often.
const SHRINK: f32 = 0.75;
const MAX_SHRINKS: u32 = 6;

/// Content types accepted (a WebP is re-encoded before it reaches the model).
const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/jpg", "image/png", "image/webp"];
/// Content types that say nothing (S3's default for objects uploaded without one): the
/// bytes decide.
const GENERIC_TYPES: [&str; 2] = ["application/octet-stream", "binary/octet-stream"];

/// An image ready for Bedrock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prepared {
    /// A JPEG or PNG within the model's limits.
    pub bytes: Vec<u8>,
    /// Whether it was resized or re-encoded (otherwise: the source bytes, a JPEG or PNG).
    pub downscaled: bool,
    /// Its width, in pixels.
    pub width: u32,
    /// Its height, in pixels.
    pub height: u32,
}

/// Why an image cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Problem {
    /// The bytes are not a JPEG, PNG or WebP.
    #[error("the content is not a JPEG, PNG or WebP image ({0})")]
    Unsupported(String),
    /// The bytes do not decode.
    #[error("the image does not decode: {0}")]
    Undecodable(String),
    /// Too large to decode, or to fit the model's limits.
    #[error("{0}")]
    TooLarge(String),
}

impl Problem {
    /// The activity error name of the problem.
    pub(crate) fn error_name(&self) -> ErrorName {
        match self {
            Problem::Unsupported(_) | Problem::Undecodable(_) => INVALID_IMAGE,
            Problem::TooLarge(_) => IMAGE_TOO_LARGE,
        }
    }
}

/// Checks a declared content type: `image/jpeg`, `image/png` or `image/webp` (parameters
/// and case ignored), or none or a generic one (`application/octet-stream`), when the
/// sniffed bytes decide. Anything else (an HTML error page served with 200) is refused.
pub(crate) fn check_content_type(content_type: Option<&str>) -> Result<(), String> {
    let Some(declared) = content_type else {
        return Ok(());
    };
    let essence = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence.is_empty()
        || IMAGE_TYPES.contains(&essence.as_str())
        || GENERIC_TYPES.contains(&essence.as_str())
    {
        Ok(())
    } else {
        Err(format!(
            "content type \"{declared}\" is not image/jpeg, image/png or image/webp"
        ))
    }
}

/// Sniffs, decodes and, when needed, downscales an image so that its longest side is at
/// most `min(max_dimension, 2048)` and its body at most [`MAX_MODEL_IMAGE_BYTES`].
/// A JPEG or PNG already within both is passed on as it came; a WebP is always
/// re-encoded (Titan takes only JPEG and PNG).
pub(crate) fn prepare(bytes: Vec<u8>, max_dimension: u32) -> Result<Prepared, Problem> {
    let format = match image::guess_format(&bytes) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP))
            if format.reading_enabled() =>
        {
            format
        }
        Ok(other) => {
            return Err(Problem::Unsupported(format!(
                "it is {}",
                other.extensions_str().first().unwrap_or(&"another format")
            )));
        }
        Err(_) => return Err(Problem::Unsupported("unrecognised bytes".to_string())),
    };
    let model_takes_it = matches!(format, ImageFormat::Jpeg | ImageFormat::Png);
    let image = decode(&bytes, format)?;
    let (width, height) = (image.width(), image.height());
    let limit = max_dimension.clamp(1, TITAN_MAX_DIMENSION);
    let oversized = width > limit || height > limit;
    if model_takes_it && !oversized && bytes.len() <= MAX_MODEL_IMAGE_BYTES {
        return Ok(Prepared {
            bytes,
            downscaled: false,
            width,
            height,
        });
    }
    let image = if oversized {
        image.resize(limit, limit, FilterType::CatmullRom)
    } else {
        image
    };
    encode_within(image, MAX_MODEL_IMAGE_BYTES)
}

/// Decodes with limits, so a decompression bomb fails instead of allocating gigabytes.
fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, Problem> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_DIMENSION);
    limits.max_image_height = Some(MAX_DECODE_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        ImageError::Limits(limits) => Problem::TooLarge(format!(
            "the image is too large to decode ({limits}; at most {MAX_DECODE_DIMENSION} pixels a side)"
        )),
        other => Problem::Undecodable(other.to_string()),
    })
}

/// Whether any pixel is not fully opaque.
fn has_transparency(image: &DynamicImage) -> bool {
    image.color().has_alpha() && image.to_rgba8().pixels().any(|p| p[3] < u8::MAX)
}

/// Encodes `image` as a JPEG (a PNG when it has transparency) of at most `max_bytes`,
/// lowering the JPEG quality and then the size until it fits.
pub(crate) fn encode_within(image: DynamicImage, max_bytes: usize) -> Result<Prepared, Problem> {
    let transparent = has_transparency(&image);
    let mut image = image;
    for _ in 0..=MAX_SHRINKS {
        if transparent {
            let png = encode_png(&image)?;
            if png.len() <= max_bytes {
                return Ok(prepared(png, &image));
            }
        } else {
            for quality in JPEG_QUALITIES {
                let jpeg = encode_jpeg(&image, quality)?;
                if jpeg.len() <= max_bytes {
                    return Ok(prepared(jpeg, &image));
                }
            }
        }
        let (w, h) = (image.width(), image.height());
        let (nw, nh) = (
            ((w as f32 * SHRINK) as u32).max(1),
            ((h as f32 * SHRINK) as u32).max(1),
        );
        image = image.resize(nw, nh, FilterType::Triangle);
    }
    Err(Problem::TooLarge(format!(
        "the image does not fit in {max_bytes} bytes even at {}x{} pixels",
        image.width(),
        image.height()
    )))
}

fn prepared(bytes: Vec<u8>, image: &DynamicImage) -> Prepared {
    Prepared {
        bytes,
        downscaled: true,
        width: image.width(),
        height: image.height(),
    }
}

fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut out), quality)
        .encode_image(&image.to_rgb8())
        .map_err(|e| Problem::Undecodable(format!("re-encoding as JPEG failed: {e}")))?;
    Ok(out)
}

fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    let encoder = PngEncoder::new_with_quality(
        Cursor::new(&mut out),
        CompressionType::Default,
        PngFilter::Adaptive,
    );
    image
        .to_rgba8()
        .write_with_encoder(encoder)
        .map_err(|e| Problem::Undecodable(format!("re-encoding as PNG failed: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 251) as u8, (y % 241) as u8, 90])
        })
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
        out
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 200) as u8, (y % 200) as u8, 30])
        }));
        encode_jpeg(&image, 85).unwrap()
    }

    #[test]
    fn content_types_are_checked_loosely_but_not_blindly() {
        for ok in [
            None,
            Some("image/jpeg"),
            Some("IMAGE/PNG"),
            Some("image/jpeg; charset=binary"),
            Some("application/octet-stream"),
            Some("binary/octet-stream"),
            Some(""),
        ] {
            assert!(check_content_type(ok).is_ok(), "{ok:?}");
        }
        assert!(check_content_type(Some("image/webp")).is_ok());
        for bad in ["text/html; charset=utf-8", "image/gif", "application/json"] {
            let err = check_content_type(Some(bad)).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn small_images_pass_unchanged() {
        let bytes = jpeg(300, 200);
        let prepared = prepare(bytes.clone(), 2048).unwrap();
        assert_eq!(prepared.bytes, bytes);
        assert!(!prepared.downscaled);
        assert_eq!((prepared.width, prepared.height), (300, 200));
    }

    #[test]
    fn large_images_are_downscaled_keeping_the_aspect_ratio() {
        let prepared = prepare(png(3000, 2000), 2048).unwrap();
        assert!(prepared.downscaled);
        assert_eq!((prepared.width, prepared.height), (2048, 1365));
        assert!(prepared.bytes.len() <= MAX_MODEL_IMAGE_BYTES);
        assert_eq!(
            image::guess_format(&prepared.bytes).unwrap(),
            ImageFormat::Jpeg
        );

        // Portrait, and a configured limit under Titan's.
        let prepared = prepare(jpeg(500, 1000), 256).unwrap();
        assert_eq!((prepared.width, prepared.height), (128, 256));
        // A configured limit over Titan's is capped to it.
        let prepared = prepare(png(2100, 700), 4096).unwrap();
        assert_eq!((prepared.width, prepared.height), (2048, 683));
    }

    #[test]
    fn transparent_images_stay_png() {
        let mut out = Vec::new();
        RgbaImage::from_fn(600, 300, |x, _| Rgba([200, 10, 10, (x % 256) as u8]))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        let prepared = prepare(out, 300).unwrap();
        assert!(prepared.downscaled);
        assert_eq!((prepared.width, prepared.height), (300, 150));
        assert_eq!(
            image::guess_format(&prepared.bytes).unwrap(),
            ImageFormat::Png
        );
    }

    #[test]
    fn the_body_ends_within_the_byte_limit() {
        // Noise compresses badly: a tight limit forces lower qualities and then shrinking.
        let mut seed = 7u32;
        let noisy = DynamicImage::ImageRgb8(RgbImage::from_fn(400, 400, |_, _| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            Rgb([(seed >> 16) as u8, (seed >> 8) as u8, (seed >> 24) as u8])
        }));
        let prepared = encode_within(noisy, 40_000).unwrap();
        assert!(prepared.bytes.len() <= 40_000, "{}", prepared.bytes.len());
        assert!(prepared.width < 400 && prepared.width == prepared.height);
    }

    #[test]
    fn bytes_that_are_not_a_jpeg_or_png_are_invalid_images() {
        let err = prepare(b"GIF89a\x01\x00\x01\x00".to_vec(), 2048).unwrap_err();
        assert!(matches!(err, Problem::Unsupported(_)), "{err}");
        assert_eq!(err.error_name(), INVALID_IMAGE);
        let err = prepare(vec![0x13; 2000], 2048).unwrap_err();
        assert!(err.to_string().contains("not a JPEG, PNG or WebP"), "{err}");

        let mut truncated = png(64, 64);
        truncated.truncate(truncated.len() / 2);
        let err = prepare(truncated, 2048).unwrap_err();
        assert!(matches!(err, Problem::Undecodable(_)), "{err}");
        assert_eq!(err.error_name(), INVALID_IMAGE);
    }

    fn webp(image: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), ImageFormat::WebP)
            .unwrap();
        out
    }

    #[test]
    fn a_webp_is_re_encoded_as_a_jpeg_or_as_a_png_when_transparent() {
        let opaque = DynamicImage::ImageRgb8(RgbImage::from_fn(300, 200, |x, y| {
            Rgb([(x % 200) as u8, (y % 200) as u8, 30])
        }));
        let prepared = prepare(webp(&opaque), 2048).unwrap();
        assert!(prepared.downscaled, "re-encoded");
        assert_eq!((prepared.width, prepared.height), (300, 200));
        assert_eq!(
            image::guess_format(&prepared.bytes).unwrap(),
            ImageFormat::Jpeg
        );
        // The pixels survive the re-encoding (JPEG is lossy: close, not equal).
        let back = image::load_from_memory(&prepared.bytes).unwrap().to_rgb8();
        let original = opaque.to_rgb8();
        let worst = back
            .pixels()
            .zip(original.pixels())
            .flat_map(|(a, b)| (0..3).map(move |c| a[c].abs_diff(b[c])))
            .max()
            .unwrap();
        assert!(worst < 40, "a channel moved by {worst}");

        let transparent = DynamicImage::ImageRgba8(RgbaImage::from_fn(120, 80, |x, _| {
            Rgba([10, 200, 10, (x * 2) as u8])
        }));
        let prepared = prepare(webp(&transparent), 2048).unwrap();
        assert_eq!(
            image::guess_format(&prepared.bytes).unwrap(),
            ImageFormat::Png
        );
        assert_eq!(
            image::load_from_memory(&prepared.bytes).unwrap().to_rgba8(),
            transparent.to_rgba8()
        );

        // Over the limit: downscaled and re-encoded in one go.
        let prepared = prepare(webp(&opaque), 150).unwrap();
        assert_eq!((prepared.width, prepared.height), (150, 100));
        assert_eq!(
            image::guess_format(&prepared.bytes).unwrap(),
            ImageFormat::Jpeg
        );
    }

    #[test]
    fn images_too_large_to_decode_are_refused_before_decoding() {
        // A valid PNG header announcing 20000×20000 pixels, without the pixels.
        let mut header = Vec::new();
        header.extend_from_slice(b"\x89PNG\r\n\x1a\n");
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(b"IHDR");
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        header.extend_from_slice(&13u32.to_be_bytes());
        header.extend_from_slice(&ihdr);
        header.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        let err = prepare(header, 2048).unwrap_err();
        assert_eq!(err.error_name(), IMAGE_TOO_LARGE, "{err}");
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
