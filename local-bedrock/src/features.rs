//! The embeddings: deterministic, hand-written image and text features projected to the
//! requested length. Not a neural model.
//!
//! **Images.** They should behave like a real image-embedding model where grouping
//! product photos needs it: unchanged by the backdrop, a crop or scale, a turn and the
//! lighting, and different for different products (including products of one colour
//! with other outlines or labels). So:
//!
//! 1. The image (transparent parts flattened onto white) is shrunk to a working copy of
//!    at most 96 pixels a side, aspect ratio kept.
//! 2. The product is separated from the backdrop (`segment.rs`): the backdrop's
//!    colour (which may vary linearly across the frame) is estimated from the border,
//!    pixels far from it are the product, the largest connected region of them is kept;
//!    a photo without a plain backdrop is taken whole.
//! 3. Lighting: every pixel is scaled so that the backdrop's brightness is a fixed
//!    reference (the brightest tenth of the image when there is no backdrop).
//! 4. Everything below is measured on the product only, around its centroid, with
//!    distances in units of its radius of gyration (so position and scale drop out),
//!    and nothing depends on a direction in the frame except the quarter-turn edge
//!    histogram, which a quarter turn leaves unchanged:
//!
//! | block | what | size | weight |
//! | --- | --- | --- | --- |
//! | colour | 12 hues (soft) × 2 brightness levels (soft) for coloured pixels, 4 grey levels for the rest | 28 | 1.0 |
//! | rings | 8 hues + 3 greys in each of 4 rings around the centre (where each colour sits) | 44 | 0.6 |
//! | radial profile | share of the product's pixels at each distance from the centre (12 bins to 2.4 radii) | 12 | 0.8 |
//! | quarter-turn edges | Sobel edge orientations folded onto a quarter turn (9 bins), weighted by magnitude | 9 | 0.7 |
//! | edges against radius | edge strength by ring (3) × angle between the edge and the direction from the centre (4) | 12 | 0.7 |
//! | outline | magnitudes of the first 8 harmonics of the outline's distance from the centre over 64 rays (a circle has none, a square the 4th…), relative to the mean distance | 9 | 0.8 |
//!
//! Histograms are square-rooted (Hellinger), each block is L2-normalised and weighted,
//! and the 114 numbers are multiplied by a fixed-seed random ±1 matrix (a
//! Johnson–Lindenstrauss projection, which keeps cosine similarities, so every output
//! dimension carries signal) and L2-normalised. Shorter outputs (256, 384) use the first
//! rows of the same matrix. Only JPEG and PNG are accepted, as Titan does. The work per
//! image is a decode, one resize and a few passes over about 7,000 pixels.
//!
//! **Text.** The lower-cased text, whitespace collapsed and padded with a space, is cut
//! into character trigrams; each trigram adds a ±1 vector derived from its hash (a
//! random projection of the trigram counts), and the sum is L2-normalised. Text and an
//! image together give the normalised mean of both, as Titan documents.
//!
//! So: the same photo gives the same vector; photos of one product (same colours and
//! outline, moved, cropped, scaled, turned, relit, on another plain backdrop) land close
//! together; and the vectors say nothing about meaning. Nothing here may depend on the process, the
//! machine or the time.

use std::io::Cursor;
use std::sync::OnceLock;

use image::imageops::FilterType;
use image::{ImageError, ImageFormat, ImageReader, Limits, RgbImage};

use crate::segment::segment;

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

/// Longest side of the working copy every image is shrunk to (aspect ratio kept).
const WORK: u32 = 96;
/// Hue bins (soft, circular) of the colour histograms.
const HUES: usize = 12;
/// Brightness bins (soft) of the colour histogram, for coloured and for grey pixels.
const VALUES: usize = 2;
const GREYS: usize = 4;
const COLOUR_LEN: usize = HUES * VALUES + GREYS;
/// Rings of the colour layout (by distance from the product's centre) and the coarse
/// colours counted in each.
const RINGS: usize = 4;
const RING_HUES: usize = 8;
const RING_GREYS: usize = 3;
const RING_COLOURS: usize = RING_HUES + RING_GREYS;
const RING_LEN: usize = RINGS * RING_COLOURS;
/// Bins of the radial profile (distance from the centre, in radii of gyration, 0..2.4).
const RADIAL: usize = 12;
const RADIAL_EXTENT: f32 = 2.4;
/// Edge orientation bins over a quarter turn (soft, circular).
const QUARTER_ORIENTATIONS: usize = 9;
/// Bins of the edge-against-radius histogram: distance rings × angle between the edge
/// normal and the direction from the centre.
const EDGE_RINGS: usize = 3;
const EDGE_ANGLES: usize = 4;
const EDGE_RADIAL_LEN: usize = EDGE_RINGS * EDGE_ANGLES;
/// Rays cast from the product's centre to find its outline, and the harmonics of the
/// outline's distance (as a function of the angle) kept: their magnitudes do not change
/// when the product turns.
const RAYS: usize = 64;
const HARMONICS: usize = 8;
/// The outline block: a constant (so a circle, all harmonics zero, is a direction too)
/// and the harmonics relative to the mean distance.
const OUTLINE_LEN: usize = 1 + HARMONICS;
const OUTLINE_CONSTANT: f32 = 0.15;
/// Length of the raw image feature vector.
pub const IMAGE_FEATURES: usize =
    COLOUR_LEN + RING_LEN + RADIAL + QUARTER_ORIENTATIONS + EDGE_RADIAL_LEN + OUTLINE_LEN;
/// Weights of the blocks.
const COLOUR_WEIGHT: f32 = 1.0;
const RING_WEIGHT: f32 = 0.6;
const RADIAL_WEIGHT: f32 = 0.8;
const ORIENTATION_WEIGHT: f32 = 0.7;
const EDGE_RADIAL_WEIGHT: f32 = 0.7;
const OUTLINE_WEIGHT: f32 = 0.8;
/// Saturation under which a pixel counts as grey.
const GREY_SATURATION: f32 = 0.15;
/// Brightness under which a pixel counts as black, whatever its hue.
const BLACK_VALUE: f32 = 0.12;
/// Brightness the backdrop is normalised to (the lighting correction).
const REFERENCE_BACKDROP: f32 = 0.85;
/// Sobel magnitude (on 0..1 grey) under which a pixel is not an edge.
const MIN_EDGE: f32 = 0.08;
/// Seed of the image projection matrix (changing it changes every vector).
const PROJECTION_SEED: u64 = 0x5354_4550_5749_5345; // "STEPWISE"
/// Seed mixed into every trigram hash.
const TRIGRAM_SEED: u64 = 0x7472_6967_7261_6d73; // "trigrams"

/// Why an image could not be embedded (Bedrock answers `ValidationException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageProblem {
    /// Not a JPEG or PNG (Titan takes no other format), or corrupt.
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
    let (w, h) = (image.width(), image.height());
    let scale = WORK as f32 / w.max(h) as f32;
    let (sw, sh) = (
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    );
    let small = image::imageops::resize(&image, sw, sh, FilterType::Triangle);
    let (width, height) = (sw as usize, sh as usize);
    let raw: Vec<[f32; 3]> = small
        .pixels()
        .map(|p| p.0.map(|c| f32::from(c) / 255.0))
        .collect();
    let segmentation = segment(&raw, width, height);
    let fg = &segmentation.foreground;

    // Lighting: the backdrop's brightness is brought to a reference (the whole image's
    // brightest tenth when there is no backdrop).
    let gain = match segmentation.backdrop_value {
        Some(value) => REFERENCE_BACKDROP / value,
        None => {
            let mut values: Vec<f32> = raw.iter().map(|p| p[0].max(p[1]).max(p[2])).collect();
            values.sort_by(f32::total_cmp);
            let bright = values[values.len() * 9 / 10].max(0.05);
            REFERENCE_BACKDROP / bright
        }
    };
    let pixels: Vec<[f32; 3]> = raw.iter().map(|p| p.map(|c| (c * gain).min(1.0))).collect();

    // The product's centre and size: its centroid and radius of gyration.
    let members: Vec<usize> = (0..pixels.len()).filter(|i| fg[*i]).collect();
    let count = members.len().max(1) as f32;
    let (cx, cy) = members.iter().fold((0.0f32, 0.0f32), |(sx, sy), i| {
        (sx + (i % width) as f32, sy + (i / width) as f32)
    });
    let (cx, cy) = (cx / count, cy / count);
    let gyration = (members
        .iter()
        .map(|i| {
            let (dx, dy) = ((i % width) as f32 - cx, (i / width) as f32 - cy);
            dx * dx + dy * dy
        })
        .sum::<f32>()
        / count)
        .sqrt()
        .max(1.0);
    let radius_of = |x: usize, y: usize| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        (dx * dx + dy * dy).sqrt() / gyration
    };

    let mut colour = vec![0.0f32; COLOUR_LEN];
    let mut rings = vec![0.0f32; RING_LEN];
    let mut radial = vec![0.0f32; RADIAL];
    for &i in &members {
        let hsv = hsv(pixels[i]);
        add_colour(&mut colour, hsv);
        let r = radius_of(i % width, i / width);
        let ring = ((r / RADIAL_EXTENT * RINGS as f32) as usize).min(RINGS - 1);
        add_ring_colour(
            &mut rings[ring * RING_COLOURS..(ring + 1) * RING_COLOURS],
            hsv,
        );
        add_soft(
            &mut radial,
            r / RADIAL_EXTENT * RADIAL as f32 - 0.5,
            1.0,
            false,
        );
    }

    // Edges of the product (pixels of it or next to it): their orientation over a
    // quarter turn (unchanged by quarter turns of the photo), and their angle to the
    // direction from the centre (unchanged by any turn).
    let grey: Vec<f32> = raw
        .iter()
        .map(|[r, g, b]| 0.299 * r + 0.587 * g + 0.114 * b)
        .collect();
    let near_product = |x: usize, y: usize| {
        (y.saturating_sub(1)..=(y + 1).min(height - 1))
            .any(|ny| (x.saturating_sub(1)..=(x + 1).min(width - 1)).any(|nx| fg[ny * width + nx]))
    };
    let mut quarter = vec![0.0f32; QUARTER_ORIENTATIONS];
    let mut edge_radial = vec![0.0f32; EDGE_RADIAL_LEN];
    let at = |x: usize, y: usize| grey[y * width + x];
    for y in 1..height.saturating_sub(1) {
        for x in 1..width.saturating_sub(1) {
            if !near_product(x, y) {
                continue;
            }
            let gx = (at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2.0 * at(x - 1, y) + at(x - 1, y + 1));
            let gy = (at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2.0 * at(x, y - 1) + at(x + 1, y - 1));
            let magnitude = (gx * gx + gy * gy).sqrt();
            if magnitude < MIN_EDGE {
                continue;
            }
            let quarter_turn = std::f32::consts::FRAC_PI_2;
            let angle = gy.atan2(gx).rem_euclid(quarter_turn);
            add_soft(
                &mut quarter,
                angle / quarter_turn * QUARTER_ORIENTATIONS as f32 - 0.5,
                magnitude,
                true,
            );
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let distance = (dx * dx + dy * dy).sqrt();
            if distance > 0.5 {
                // |cos| of the angle between the edge normal and the radius: 1 on a
                // circle's outline, smaller at a polygon's corners.
                let alignment = ((gx * dx + gy * dy) / (magnitude * distance)).abs();
                let ring = ((distance / gyration / RADIAL_EXTENT * EDGE_RINGS as f32) as usize)
                    .min(EDGE_RINGS - 1);
                let bin = ((alignment * EDGE_ANGLES as f32) as usize).min(EDGE_ANGLES - 1);
                edge_radial[ring * EDGE_ANGLES + bin] += magnitude;
            }
        }
    }

    let outline = outline(fg, width, height, (cx, cy));

    let mut features = Vec::with_capacity(IMAGE_FEATURES);
    for (block, weight) in [
        (colour, COLOUR_WEIGHT),
        (rings, RING_WEIGHT),
        (radial, RADIAL_WEIGHT),
        (quarter, ORIENTATION_WEIGHT),
        (edge_radial, EDGE_RADIAL_WEIGHT),
    ] {
        // Histograms are compared square-rooted (the Hellinger distance).
        let block: Vec<f32> = block.iter().map(|v| v.max(0.0).sqrt()).collect();
        features.extend(normalised(block).into_iter().map(|v| v * weight));
    }
    features.extend(normalised(outline).into_iter().map(|v| v * OUTLINE_WEIGHT));
    Ok(features)
}

/// The outline block: the product's farthest extent along [`RAYS`] rays from `centre`,
/// and the magnitudes of the first [`HARMONICS`] harmonics of that distance (a discrete
/// Fourier transform over the angle), relative to the mean distance.
fn outline(fg: &[bool], width: usize, height: usize, (cx, cy): (f32, f32)) -> Vec<f32> {
    let mut distances = [0.0f32; RAYS];
    for (j, distance) in distances.iter_mut().enumerate() {
        let angle = j as f32 / RAYS as f32 * std::f32::consts::TAU;
        let (dx, dy) = (angle.cos(), angle.sin());
        let mut step = 0.0f32;
        loop {
            let (x, y) = (cx + dx * step, cy + dy * step);
            if x < 0.0 || y < 0.0 || x >= width as f32 || y >= height as f32 {
                break;
            }
            if fg[y as usize * width + x as usize] {
                *distance = step;
            }
            step += 0.5;
        }
    }
    let mean = distances.iter().sum::<f32>() / RAYS as f32;
    let mut block = vec![OUTLINE_CONSTANT];
    for k in 1..=HARMONICS {
        let (mut re, mut im) = (0.0f32, 0.0f32);
        for (j, d) in distances.iter().enumerate() {
            let phase = (k * j) as f32 / RAYS as f32 * std::f32::consts::TAU;
            re += d * phase.cos();
            im += d * phase.sin();
        }
        block.push((re * re + im * im).sqrt() / RAYS as f32 / mean.max(1e-3));
    }
    block
}

/// Decodes a JPEG or PNG (sniffed from the bytes; Titan takes no other format) to RGB,
/// transparent parts on white.
fn decode(bytes: &[u8]) -> Result<RgbImage, ImageProblem> {
    let undecodable = |e: ImageError| ImageProblem::Undecodable(e.to_string());
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageProblem::Undecodable(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png) => {}
        Some(other) => {
            return Err(ImageProblem::Undecodable(format!(
                "the image is {}; only JPEG and PNG are supported",
                other.extensions_str().first().unwrap_or(&"another format")
            )));
        }
        None => {
            return Err(ImageProblem::Undecodable(
                "not a JPEG or PNG image".to_string(),
            ));
        }
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

/// Hue (0..1, red at 0), saturation and value of an RGB pixel (components in 0..=1).
fn hsv([r, g, b]: [f32; 3]) -> [f32; 3] {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let saturation = if max > 0.0 { (max - min) / max } else { 0.0 };
    let delta = max - min;
    let hue = if delta <= 0.0 {
        0.0
    } else if max == r {
        ((g - b) / delta).rem_euclid(6.0) / 6.0
    } else if max == g {
        ((b - r) / delta + 2.0) / 6.0
    } else {
        ((r - g) / delta + 4.0) / 6.0
    };
    [hue, saturation, max]
}

/// Whether a pixel counts as grey (or black) rather than coloured.
fn is_grey([_, saturation, value]: [f32; 3]) -> bool {
    saturation < GREY_SATURATION || value < BLACK_VALUE
}

/// Adds a pixel to the colour histogram: hue (soft) × value (soft) for a
/// coloured pixel, value (soft) for a grey one.
fn add_colour(histogram: &mut [f32], hsv @ [hue, _, value]: [f32; 3]) {
    let chromatic = HUES * VALUES;
    if is_grey(hsv) {
        add_soft(
            &mut histogram[chromatic..],
            value * GREYS as f32 - 0.5,
            1.0,
            false,
        );
        return;
    }
    let mut values = [0.0f32; VALUES];
    add_soft(&mut values, value * VALUES as f32 - 0.5, 1.0, false);
    let mut hues = [0.0f32; HUES];
    add_soft(&mut hues, hue * HUES as f32 - 0.5, 1.0, true);
    for (h, hue_share) in hues.iter().enumerate() {
        for (v, value_share) in values.iter().enumerate() {
            histogram[h * VALUES + v] += hue_share * value_share;
        }
    }
}

/// Adds a pixel to one ring's coarse colour histogram: hue (soft) for a coloured pixel,
/// value (soft) for a grey one.
fn add_ring_colour(histogram: &mut [f32], hsv @ [hue, _, value]: [f32; 3]) {
    if is_grey(hsv) {
        add_soft(
            &mut histogram[RING_HUES..],
            value * RING_GREYS as f32 - 0.5,
            1.0,
            false,
        );
    } else {
        add_soft(
            &mut histogram[..RING_HUES],
            hue * RING_HUES as f32 - 0.5,
            1.0,
            true,
        );
    }
}

/// Adds `weight` at fractional bin `position` (bin centres at whole numbers), shared
/// between the two nearest bins so that a value near a bin boundary does not flip
/// between bins with noise; `circular` wraps around, otherwise the ends clamp.
fn add_soft(histogram: &mut [f32], position: f32, weight: f32, circular: bool) {
    let n = histogram.len() as isize;
    let lower = position.floor();
    let upper_share = position - lower;
    for (offset, share) in [(0, 1.0 - upper_share), (1, upper_share)] {
        let bin = lower as isize + offset;
        let bin = if circular {
            bin.rem_euclid(n)
        } else {
            bin.clamp(0, n - 1)
        };
        histogram[bin as usize] += weight * share;
    }
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

    /// Photo `v` of product `p`: the generator's views 0–3, then view 1 turned a quarter
    /// turn (4) and view 2 cropped to its middle 85 % with its light grey backdrop tinted
    /// beige (5).
    fn photo(p: usize, v: usize) -> Vec<u8> {
        if v < 4 {
            return product_photo(p, v);
        }
        let image = image::load_from_memory(&product_photo(p, v - 3)).unwrap();
        let edited = if v == 4 {
            image.rotate90()
        } else {
            let (w, h) = (image.width(), image.height());
            let mut rgb = image
                .crop_imm(w * 3 / 40, h * 3 / 40, w * 17 / 20, h * 17 / 20)
                .to_rgb8();
            for px in rgb.pixels_mut() {
                let max = px.0.iter().copied().max().unwrap_or(0);
                let min = px.0.iter().copied().min().unwrap_or(0);
                if max - min < 24 && max > 150 {
                    let m = f32::from(max);
                    *px = image::Rgb([max, (m * 0.93) as u8, (m * 0.8) as u8]);
                }
            }
            image::DynamicImage::ImageRgb8(rgb)
        };
        let mut jpeg = Vec::new();
        edited
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        jpeg
    }

    /// The requirement the demo relies on: with ≥3 products × ≥3 views, every view's
    /// nearest neighbour (cosine) among all other photos is a view of the same product,
    /// also when it is turned, cropped or on another backdrop. Twelve products: each
    /// colour is used twice (0 and 8 are a red circle and a red square) and each outline
    /// three times (0, 4 and 11 are circles).
    #[test]
    fn views_of_a_product_are_each_others_nearest_neighbours() {
        let products = 0..12;
        let views = 6;
        let mut photos = Vec::new();
        for p in products {
            for v in 0..views {
                photos.push((p, v, embed_image(&photo(p, v), 1024).unwrap()));
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
    fn garbage_huge_and_non_jpeg_png_images_are_refused() {
        assert!(matches!(
            embed_image(b"definitely not an image", 1024),
            Err(ImageProblem::Undecodable(_))
        ));
        // A WebP decodes here, but Titan takes only JPEG and PNG.
        let mut webp = Vec::new();
        image::load_from_memory(&product_photo(1, 0))
            .unwrap()
            .write_to(&mut Cursor::new(&mut webp), ImageFormat::WebP)
            .unwrap();
        match embed_image(&webp, 1024) {
            Err(ImageProblem::Undecodable(why)) => {
                assert!(
                    why.contains("webp") && why.contains("JPEG and PNG"),
                    "{why}"
                )
            }
            other => panic!("a WebP was not refused: {other:?}"),
        }
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
