//! The embeddings: deterministic, hand-written image and text features projected to the
//! requested length. Not a neural model.
//!
//! **Images.** The image is flattened onto white (transparent parts), shrunk to a
//! 64×64 working copy, and described by four blocks:
//!
//! | block | what | size |
//! | --- | --- | --- |
//! | colour | HSV histogram: 12 hues × 2 saturations × 3 values for coloured pixels, 4 grey levels for the rest | 76 |
//! | layout | mean RGB of each cell of a 4×4 grid, centred on mid-grey | 48 |
//! | shape | Sobel edge orientations (8 bins over 0–180°) weighted by magnitude, whole image | 8 |
//! | edge layout | the same per 4×4 grid cell | 128 |
//!
//! Histograms are square-rooted (Hellinger), each block is L2-normalised and weighted
//! (colour 1.0, shape 0.6, layout 0.5, edge layout 0.5), and the 260 numbers are
//! multiplied by a fixed-seed random ±1 matrix (a Johnson–Lindenstrauss projection,
//! which keeps cosine similarities, so every output dimension carries signal) and
//! L2-normalised. Shorter outputs (256, 384) use the first rows of the same matrix.
//!
//! **Text.** The lower-cased text, whitespace collapsed and padded with a space, is cut
//! into character trigrams; each trigram adds a ±1 vector derived from its hash (a
//! random projection of the trigram counts), and the sum is L2-normalised. Text and an
//! image together give the normalised mean of both, as Titan documents.
//!
//! So: the same photo gives the same vector; photos of one product (same colours and
//! outline, somewhat moved, scaled, brighter or noisier) land close together; and the
//! vectors say nothing about meaning. Nothing here may depend on the process, the
//! machine or the time.

use std::io::Cursor;
use std::sync::OnceLock;

use image::imageops::FilterType;
use image::{ImageError, ImageReader, Limits, RgbImage};

/// The model id served: Titan Multimodal Embeddings G1.
pub const MODEL_ID: &str = "amazon.titan-embed-image-v1";
/// The output lengths Titan Multimodal Embeddings G1 offers.
pub const OUTPUT_LENGTHS: [usize; 3] = [256, 384, 1024];
/// The default (and longest) output length.
pub const DEFAULT_OUTPUT_LENGTH: usize = 1024;
/// The largest image side Titan Multimodal Embeddings G1 accepts, in pixels.
pub const MAX_IMAGE_DIMENSION: u32 = 2048;
/// The largest (decoded base64) image Titan Multimodal Embeddings G1 accepts, in bytes.
pub const MAX_IMAGE_BYTES: usize = 25 * 1024 * 1024;

/// Side of the working copy every image is shrunk to.
const WORK: usize = 64;
/// Cells per side of the layout grids.
const GRID: usize = 4;
const HUES: usize = 12;
const SATURATIONS: usize = 2;
const VALUES: usize = 3;
const GREYS: usize = 4;
const COLOUR_LEN: usize = HUES * SATURATIONS * VALUES + GREYS;
const LAYOUT_LEN: usize = GRID * GRID * 3;
const ORIENTATIONS: usize = 12;
const SHAPE_LEN: usize = ORIENTATIONS;
const EDGE_LAYOUT_LEN: usize = GRID * GRID * ORIENTATIONS;
/// Length of the raw image feature vector.
pub const IMAGE_FEATURES: usize = COLOUR_LEN + LAYOUT_LEN + SHAPE_LEN + EDGE_LAYOUT_LEN;
/// Weights of the blocks: colour and outline do not move with the product, layout does.
const COLOUR_WEIGHT: f32 = 1.0;
const SHAPE_WEIGHT: f32 = 1.0;
const LAYOUT_WEIGHT: f32 = 0.35;
const EDGE_LAYOUT_WEIGHT: f32 = 0.35;
/// Saturation under which a pixel counts as grey.
const GREY_SATURATION: f32 = 0.15;
/// Seed of the image projection matrix (changing it changes every vector).
const PROJECTION_SEED: u64 = 0x5354_4550_5749_5345; // "STEPWISE"
/// Seed mixed into every trigram hash.
const TRIGRAM_SEED: u64 = 0x7472_6967_7261_6d73; // "trigrams"

/// Why an image could not be embedded (Bedrock answers `ValidationException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageProblem {
    /// Not a JPEG or PNG, or corrupt.
    Undecodable(String),
    /// A side over [`MAX_IMAGE_DIMENSION`].
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
}

impl std::fmt::Display for ImageProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageProblem::Undecodable(why) => write!(f, "Unable to process provided image: {why}"),
            ImageProblem::TooLarge { width, height } => write!(
                f,
                "The provided image is {width}x{height} pixels; the maximum is {MAX_IMAGE_DIMENSION}x{MAX_IMAGE_DIMENSION}"
            ),
        }
    }
}

impl std::error::Error for ImageProblem {}

/// The embedding of an encoded image (JPEG or PNG), `length` numbers with an L2 norm of 1.
///
/// `length` must be one of [`OUTPUT_LENGTHS`] (at most [`DEFAULT_OUTPUT_LENGTH`]).
pub fn embed_image(bytes: &[u8], length: usize) -> Result<Vec<f32>, ImageProblem> {
    let features = image_features(bytes)?;
    Ok(normalised(project(&features, length)))
}

/// The embedding of a text, `length` numbers with an L2 norm of 1 (all zeros for a text
/// without characters).
pub fn embed_text(text: &str, length: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; length];
    for trigram in trigrams(text) {
        let mut rng = SplitMix64::new(fnv1a(trigram.as_bytes()) ^ TRIGRAM_SEED);
        for value in &mut out {
            *value += rng.sign();
        }
    }
    normalised(out)
}

/// Titan's combined embedding: the normalised mean of the two.
pub fn combine(image: &[f32], text: &[f32]) -> Vec<f32> {
    normalised(image.iter().zip(text).map(|(a, b)| (a + b) / 2.0).collect())
}

/// Titan's `inputTextTokenCount` here: whitespace-separated words.
pub fn token_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Cosine similarity of two vectors (0 when either is all zeros).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norms = norm(a) * norm(b);
    if norms == 0.0 { 0.0 } else { dot / norms }
}

/// The raw, unprojected feature vector of an encoded image ([`IMAGE_FEATURES`] numbers).
pub fn image_features(bytes: &[u8]) -> Result<Vec<f32>, ImageProblem> {
    let image = decode(bytes)?;
    let small = image::imageops::resize(&image, WORK as u32, WORK as u32, FilterType::Triangle);
    let pixels: Vec<[f32; 3]> = small
        .pixels()
        .map(|p| {
            [
                p[0] as f32 / 255.0,
                p[1] as f32 / 255.0,
                p[2] as f32 / 255.0,
            ]
        })
        .collect();

    let mut colour = vec![0.0f32; COLOUR_LEN];
    let mut layout = vec![0.0f32; LAYOUT_LEN];
    for (i, rgb) in pixels.iter().enumerate() {
        colour[colour_bin(*rgb)] += 1.0;
        let cell = cell_of(i % WORK, i / WORK);
        for c in 0..3 {
            layout[cell * 3 + c] += rgb[c];
        }
    }
    let per_cell = (WORK / GRID * WORK / GRID) as f32;
    for value in &mut layout {
        *value = *value / per_cell - 0.5;
    }

    let grey: Vec<f32> = pixels
        .iter()
        .map(|[r, g, b]| 0.299 * r + 0.587 * g + 0.114 * b)
        .collect();
    let mut shape = vec![0.0f32; SHAPE_LEN];
    let mut edge_layout = vec![0.0f32; EDGE_LAYOUT_LEN];
    let at = |x: usize, y: usize| grey[y * WORK + x];
    for y in 1..WORK - 1 {
        for x in 1..WORK - 1 {
            let gx = (at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2.0 * at(x - 1, y) + at(x - 1, y + 1));
            let gy = (at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2.0 * at(x, y - 1) + at(x + 1, y - 1));
            let magnitude = (gx * gx + gy * gy).sqrt();
            if magnitude < 1e-3 {
                continue;
            }
            // Unsigned orientation in [0, π) (an edge and its opposite are the same
            // edge), shared between the two nearest bin centres so that an edge on a
            // bin boundary does not flip between bins with noise.
            let angle = gy.atan2(gx).rem_euclid(std::f32::consts::PI);
            let position = angle / std::f32::consts::PI * ORIENTATIONS as f32 - 0.5;
            let lower = position.floor();
            let upper_share = position - lower;
            let cell = cell_of(x, y);
            for (offset, share) in [(0, 1.0 - upper_share), (1, upper_share)] {
                let bin = (lower as isize + offset).rem_euclid(ORIENTATIONS as isize) as usize;
                shape[bin] += magnitude * share;
                edge_layout[cell * ORIENTATIONS + bin] += magnitude * share;
            }
        }
    }

    let mut features = Vec::with_capacity(IMAGE_FEATURES);
    for (block, weight, hellinger) in [
        (colour, COLOUR_WEIGHT, true),
        (layout, LAYOUT_WEIGHT, false),
        (shape, SHAPE_WEIGHT, true),
        (edge_layout, EDGE_LAYOUT_WEIGHT, true),
    ] {
        let block: Vec<f32> = if hellinger {
            block.iter().map(|v| v.max(0.0).sqrt()).collect()
        } else {
            block
        };
        features.extend(normalised(block).into_iter().map(|v| v * weight));
    }
    Ok(features)
}

/// Decodes a JPEG or PNG (sniffed from the bytes) to RGB, transparent parts on white.
fn decode(bytes: &[u8]) -> Result<RgbImage, ImageProblem> {
    let undecodable = |e: ImageError| ImageProblem::Undecodable(e.to_string());
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageProblem::Undecodable(e.to_string()))?;
    if reader.format().is_none() {
        return Err(ImageProblem::Undecodable(
            "not a JPEG or PNG image".to_string(),
        ));
    }
    let (width, height) = reader.into_dimensions().map_err(undecodable)?;
    if width > MAX_IMAGE_DIMENSION || height > MAX_IMAGE_DIMENSION {
        return Err(ImageProblem::TooLarge { width, height });
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageProblem::Undecodable(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_DIMENSION);
    limits.max_image_height = Some(MAX_IMAGE_DIMENSION);
    reader.limits(limits);
    let rgba = reader.decode().map_err(undecodable)?.to_rgba8();
    let flat = RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let alpha = u16::from(a);
        let over_white = |c: u8| ((u16::from(c) * alpha + 255 * (255 - alpha)) / 255) as u8;
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    });
    Ok(flat)
}

/// The colour histogram bin of an RGB pixel (components in 0..=1).
fn colour_bin([r, g, b]: [f32; 3]) -> usize {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let value = max;
    let saturation = if max > 0.0 { (max - min) / max } else { 0.0 };
    let chromatic_bins = HUES * SATURATIONS * VALUES;
    if saturation < GREY_SATURATION || value < 0.12 {
        return chromatic_bins + ((value * GREYS as f32) as usize).min(GREYS - 1);
    }
    let delta = max - min;
    let hue = if max == r {
        ((g - b) / delta).rem_euclid(6.0)
    } else if max == g {
        (b - r) / delta + 2.0
    } else {
        (r - g) / delta + 4.0
    } / 6.0; // 0..1
    let h = ((hue * HUES as f32) as usize).min(HUES - 1);
    let s = if saturation < 0.5 { 0 } else { 1 };
    let v = ((value * VALUES as f32) as usize).min(VALUES - 1);
    (h * SATURATIONS + s) * VALUES + v
}

/// The grid cell of a working-copy pixel.
fn cell_of(x: usize, y: usize) -> usize {
    (y * GRID / WORK) * GRID + x * GRID / WORK
}

/// The fixed projection matrix, [`DEFAULT_OUTPUT_LENGTH`] rows of [`IMAGE_FEATURES`]
/// signs, row-major.
fn projection() -> &'static [f32] {
    static MATRIX: OnceLock<Vec<f32>> = OnceLock::new();
    MATRIX.get_or_init(|| {
        let mut rng = SplitMix64::new(PROJECTION_SEED);
        (0..DEFAULT_OUTPUT_LENGTH * IMAGE_FEATURES)
            .map(|_| rng.sign())
            .collect()
    })
}

/// The first `length` rows of the projection applied to `features`.
fn project(features: &[f32], length: usize) -> Vec<f32> {
    projection()
        .chunks_exact(IMAGE_FEATURES)
        .take(length)
        .map(|row| row.iter().zip(features).map(|(a, b)| a * b).sum())
        .collect()
}

/// The character trigrams of a text, lower-cased, whitespace collapsed to one space and
/// padded with a space at both ends.
fn trigrams(text: &str) -> Vec<String> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let padded: Vec<char> = format!(" {} ", words.join(" ")).chars().collect();
    padded.windows(3).map(|w| w.iter().collect()).collect()
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

/// `v` scaled to an L2 norm of 1 (unchanged when it is all zeros).
fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let n = norm(&v);
    if n > 0.0 {
        for x in &mut v {
            *x /= n;
        }
    }
    v
}

/// 64-bit FNV-1a: a stable hash (std's `DefaultHasher` may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64: a small, fixed pseudo-random sequence (no dependency whose output could
/// change with a version).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// `+1` or `-1`, equally likely.
    pub(crate) fn sign(&mut self) -> f32 {
        if self.next_u64() >> 63 == 0 {
            1.0
        } else {
            -1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::product_photo;

    #[test]
    fn same_image_same_vector_of_unit_length() {
        let photo = product_photo(1, 2);
        let a = embed_image(&photo, 1024).unwrap();
        let b = embed_image(&photo, 1024).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 1024);
        assert!((norm(&a) - 1.0).abs() < 1e-4);
        assert!(a.iter().all(|v| v.is_finite()));
        for length in [256, 384] {
            let short = embed_image(&photo, length).unwrap();
            assert_eq!(short.len(), length);
            assert!((norm(&short) - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn every_dimension_carries_signal() {
        let a = embed_image(&product_photo(0, 0), 1024).unwrap();
        let b = embed_image(&product_photo(3, 0), 1024).unwrap();
        let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        assert!(differing > 1000, "only {differing} dimensions differ");
    }

    /// The requirement the demo relies on: with ≥3 products × ≥3 views, every view's
    /// nearest neighbour (cosine) among all other photos is a view of the same product.
    /// Twelve products: each colour is used twice (0 and 8 are a red circle and a red
    /// square) and each outline three times (0, 4 and 11 are circles).
    #[test]
    fn views_of_a_product_are_each_others_nearest_neighbours() {
        let products = 0..12;
        let views = 4;
        let mut photos = Vec::new();
        for p in products {
            for v in 0..views {
                photos.push((p, v, embed_image(&product_photo(p, v), 1024).unwrap()));
            }
        }
        let mut worst_margin = f32::INFINITY;
        for (i, (p, v, e)) in photos.iter().enumerate() {
            let mut same = f32::MIN;
            let mut other = (f32::MIN, 0, 0);
            for (j, (q, w, f)) in photos.iter().enumerate() {
                if i == j {
                    continue;
                }
                let s = cosine(e, f);
                if q == p {
                    same = same.max(s);
                } else if s > other.0 {
                    other = (s, *q, *w);
                }
            }
            assert!(
                same > other.0,
                "product {p} view {v}: nearest other-product photo (product {} view {}, cosine {:.4}) beats the best same-product view ({same:.4})",
                other.1,
                other.2,
                other.0
            );
            worst_margin = worst_margin.min(same - other.0);
        }
        eprintln!(
            "smallest margin between same-product and other-product nearest neighbours: {worst_margin:.4}"
        );
    }

    #[test]
    fn text_embeddings_are_deterministic_and_similar_for_similar_text() {
        let a = embed_text("red running shoe", 1024);
        let b = embed_text("Red  running shoes", 1024);
        let c = embed_text("stainless steel kettle", 1024);
        assert_eq!(a, embed_text("red running shoe", 1024));
        assert!((norm(&a) - 1.0).abs() < 1e-4);
        assert!(cosine(&a, &b) > cosine(&a, &c) + 0.3);
        assert_eq!(token_count("  red running\tshoe "), 3);
        assert!(embed_text("   ", 256).iter().all(|v| *v == 0.0));
    }

    #[test]
    fn combined_is_the_normalised_mean() {
        let i = embed_image(&product_photo(2, 0), 256).unwrap();
        let t = embed_text("green triangle", 256);
        let both = combine(&i, &t);
        assert!((norm(&both) - 1.0).abs() < 1e-4);
        assert!(cosine(&both, &i) > 0.5 && cosine(&both, &t) > 0.5);
    }

    #[test]
    fn garbage_and_huge_images_are_refused() {
        assert!(matches!(
            embed_image(b"definitely not an image", 1024),
            Err(ImageProblem::Undecodable(_))
        ));
        let mut png = Vec::new();
        image::RgbImage::new(2049, 10)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(
            embed_image(&png, 1024),
            Err(ImageProblem::TooLarge {
                width: 2049,
                height: 10
            })
        );
        // A PNG cut short (JPEG decoders are lenient with truncation, PNG's is not).
        let mut truncated = Vec::new();
        image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8 * 4, y as u8 * 4, 9]))
            .write_to(&mut Cursor::new(&mut truncated), image::ImageFormat::Png)
            .unwrap();
        truncated.truncate(truncated.len() / 2);
        assert!(matches!(
            embed_image(&truncated, 1024),
            Err(ImageProblem::Undecodable(_))
        ));
    }
}
