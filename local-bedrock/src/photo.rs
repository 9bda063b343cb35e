//! Synthetic product photos: the fixtures of the nearest-neighbour test and the images
//! the demo seeds its bucket with.
//!
//! A "product" is a coloured outline (circle, square, triangle, diamond) with a label band
//! of a second colour, on a studio backdrop shared by every product. A "view" of it moves
//! the product around, scales it a little, changes the exposure and adds sensor noise, the
//! way several photos of one item differ. Everything is computed from the product and view
//! numbers, so the same call returns the same bytes on every machine.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

use crate::features::SplitMix64;

/// Width of a product photo, in pixels.
pub const PHOTO_WIDTH: u32 = 320;
/// Height of a product photo, in pixels.
pub const PHOTO_HEIGHT: u32 = 240;
/// JPEG quality of a product photo.
const QUALITY: u8 = 88;

/// Product colours (RGB).
const PALETTE: [[f32; 3]; 8] = [
    [200.0, 30.0, 35.0],  // red
    [30.0, 70.0, 190.0],  // blue
    [40.0, 150.0, 60.0],  // green
    [240.0, 140.0, 20.0], // orange
    [120.0, 50.0, 150.0], // purple
    [235.0, 205.0, 40.0], // yellow
    [20.0, 140.0, 140.0], // teal
    [110.0, 70.0, 40.0],  // brown
];

/// Product outlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
}

const SHAPES: [Shape; 4] = [
    Shape::Circle,
    Shape::Square,
    Shape::Triangle,
    Shape::Diamond,
];

impl Shape {
    /// Whether the point `(u, v)` (in units of the product's radius, from its centre,
    /// `v` downwards) is inside the outline.
    fn contains(self, u: f32, v: f32) -> bool {
        match self {
            Shape::Circle => u * u + v * v <= 1.0,
            Shape::Square => u.abs() <= 0.85 && v.abs() <= 0.85,
            Shape::Triangle => (-0.95..=0.8).contains(&v) && u.abs() <= (v + 0.95) * 0.6,
            Shape::Diamond => u.abs() + v.abs() <= 1.0,
        }
    }
}

/// One view of a product, as a JPEG ([`PHOTO_WIDTH`]×[`PHOTO_HEIGHT`]).
///
/// Products 0–7 have distinct colours and cycle through the four outlines
/// (0 red circle, 1 blue square, 2 green triangle, 3 orange diamond, 4 purple circle, …);
/// product 8 onwards reuse the colours with other outlines (8 is a red square). View 0
/// is centred; other views are moved by up to 12% of the frame, scaled by ±10%, exposed
/// ±8% and noisier.
pub fn product_photo(product: usize, view: usize) -> Vec<u8> {
    let image = render(product, view);
    let mut jpeg = Vec::new();
    // Encoding an in-memory RGB image into a Vec cannot fail.
    let encoded =
        JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), QUALITY).encode_image(&image);
    debug_assert!(encoded.is_ok(), "{encoded:?}");
    jpeg
}

/// The pixels of [`product_photo`].
fn render(product: usize, view: usize) -> RgbImage {
    let colour = PALETTE[product % PALETTE.len()];
    let accent = PALETTE[(product * 3 + 5) % PALETTE.len()];
    let shape = SHAPES[(product + product / PALETTE.len()) % SHAPES.len()];

    let mut rng = SplitMix64::new(((product as u64) << 32) ^ view as u64 ^ 0x70_686f_746f);
    let (w, h) = (PHOTO_WIDTH as f32, PHOTO_HEIGHT as f32);
    let (dx, dy, scale, exposure, noise) = if view == 0 {
        (0.0, 0.0, 1.0, 1.0, 3.0)
    } else {
        (
            (rng.unit() - 0.5) * 0.24 * w,
            (rng.unit() - 0.5) * 0.24 * h,
            0.9 + rng.unit() * 0.2,
            0.92 + rng.unit() * 0.16,
            4.0 + rng.unit() * 6.0,
        )
    };
    let radius = 0.3 * h * scale;
    let (cx, cy) = (w / 2.0 + dx, h / 2.0 + dy);

    RgbImage::from_fn(PHOTO_WIDTH, PHOTO_HEIGHT, |x, y| {
        let (u, v) = ((x as f32 - cx) / radius, (y as f32 - cy) / radius);
        let base = if shape.contains(u, v) {
            if (v - 0.2).abs() < 0.14 {
                accent
            } else {
                colour
            }
        } else {
            // Studio backdrop: light grey, darker towards the bottom.
            let shade = 236.0 - 36.0 * y as f32 / h;
            [shade, shade, shade - 4.0]
        };
        let jitter = (rng.unit() - 0.5) * 2.0 * noise;
        Rgb(base.map(|c| (c * exposure + jitter).clamp(0.0, 255.0) as u8))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_deterministic_jpegs_that_differ_by_view() {
        let a = product_photo(3, 1);
        assert_eq!(a, product_photo(3, 1));
        assert_ne!(a, product_photo(3, 2));
        assert_eq!(&a[..3], &[0xff, 0xd8, 0xff], "not a JPEG");
        let decoded = image::load_from_memory(&a).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (PHOTO_WIDTH, PHOTO_HEIGHT)
        );
    }

    #[test]
    fn products_reuse_colours_with_other_outlines() {
        assert_eq!(SHAPES[0], Shape::Circle);
        let shape_of = |p: usize| SHAPES[(p + p / PALETTE.len()) % SHAPES.len()];
        assert_eq!(shape_of(0), Shape::Circle);
        assert_eq!(shape_of(8), Shape::Square);
        assert_eq!(shape_of(4), Shape::Circle);
    }
}
