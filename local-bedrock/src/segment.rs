//! Product/backdrop separation for the image features: the backdrop is modelled from
//! the image's border (a colour that may vary linearly across the frame, like a studio
//! backdrop that darkens towards the bottom), pixels far from that model are the
//! product, and the largest connected region of them is kept.
//!
//! When the border does not look like a backdrop (it varies too much to fit), or the
//! "product" found is tiny or fills nearly the whole frame, the whole image is the
//! foreground: a photo without a plain backdrop is described as it is.

/// Width of the border band the backdrop is estimated from, in working-copy pixels.
const BORDER: usize = 2;
/// A border pixel further than this from the first fit (largest channel difference,
/// 0..1) is not backdrop (the product touches the border there) and is left out of the
/// second fit.
const OUTLIER: f32 = 0.08;
/// The largest mean distance of the backdrop pixels to their fit for the border to
/// count as a plain backdrop.
const MAX_BACKDROP_SPREAD: f32 = 0.05;
/// A pixel at least this far (largest channel difference, 0..1) from the backdrop
/// model is the product.
const FOREGROUND_DISTANCE: f32 = 0.14;
/// The smallest and largest share of the frame a product may cover.
const MIN_SHARE: f32 = 0.01;
const MAX_SHARE: f32 = 0.92;

/// The separation of a working copy: which pixels are the product, and the backdrop's
/// mean brightness (its largest channel, 0..1), when there is a backdrop.
#[derive(Debug, Clone)]
pub(crate) struct Segmentation {
    /// One flag per pixel, row-major: part of the product.
    pub foreground: Vec<bool>,
    /// The backdrop's mean brightness, `None` when the whole image is the foreground.
    pub backdrop_value: Option<f32>,
}

/// Separates the product from the backdrop in `pixels` (`width`×`height`, row-major,
/// RGB in 0..1).
pub(crate) fn segment(pixels: &[[f32; 3]], width: usize, height: usize) -> Segmentation {
    let whole = Segmentation {
        foreground: vec![true; pixels.len()],
        backdrop_value: None,
    };
    if width <= 4 * BORDER || height <= 4 * BORDER {
        return whole;
    }
    let border: Vec<(usize, usize)> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .filter(|&(x, y)| x < BORDER || y < BORDER || x >= width - BORDER || y >= height - BORDER)
        .collect();
    // A first estimate that the product cannot drag (it may touch the border): each
    // channel's median over the border.
    let median = |c: usize| {
        let mut values: Vec<f32> = border
            .iter()
            .map(|&(x, y)| pixels[y * width + x][c])
            .collect();
        values.sort_by(f32::total_cmp);
        values[values.len() / 2]
    };
    let first = [median(0), median(1), median(2)];
    // A backdrop may darken across the frame: the band around the median is wide, the
    // plane fitted to it then decides.
    let kept: Vec<(usize, usize)> = border
        .iter()
        .copied()
        .filter(|&(x, y)| {
            let p = pixels[y * width + x];
            (0..3).all(|c| (p[c] - first[c]).abs() <= 2.0 * OUTLIER)
        })
        .collect();
    if kept.len() * 2 < border.len() {
        return whole;
    }
    let Some(backdrop) = Plane::fit(pixels, width, &kept) else {
        return whole;
    };
    let spread = kept
        .iter()
        .map(|&(x, y)| backdrop.distance(pixels[y * width + x], x, y))
        .sum::<f32>()
        / kept.len() as f32;
    if spread > MAX_BACKDROP_SPREAD {
        return whole;
    }

    let candidate: Vec<bool> = pixels
        .iter()
        .enumerate()
        .map(|(i, p)| backdrop.distance(*p, i % width, i / width) >= FOREGROUND_DISTANCE)
        .collect();
    let foreground = largest_region(&candidate, width, height);
    let share = foreground.iter().filter(|f| **f).count() as f32 / pixels.len() as f32;
    if !(MIN_SHARE..=MAX_SHARE).contains(&share) {
        return whole;
    }
    let backdrop_value = (0..pixels.len())
        .filter(|i| !foreground[*i])
        .map(|i| {
            let [r, g, b] = backdrop.at(i % width, i / width);
            r.max(g).max(b)
        })
        .sum::<f32>()
        / (pixels.len() as f32 * (1.0 - share));
    Segmentation {
        foreground,
        backdrop_value: Some(backdrop_value.clamp(0.05, 1.0)),
    }
}

/// A colour that varies linearly across the frame: `a + b·x + c·y` per channel.
#[derive(Debug, Clone, Copy)]
struct Plane([[f32; 3]; 3]);

impl Plane {
    /// The least-squares fit to the pixels at `points`; `None` when they are degenerate
    /// (all on one line).
    fn fit(pixels: &[[f32; 3]], width: usize, points: &[(usize, usize)]) -> Option<Plane> {
        // Normal equations of [1 x y]·β = colour, one right-hand side per channel.
        let mut m = [[0.0f64; 3]; 3];
        let mut rhs = [[0.0f64; 3]; 3];
        for &(x, y) in points {
            let row = [1.0, x as f64, y as f64];
            let colour = pixels[y * width + x];
            for i in 0..3 {
                for j in 0..3 {
                    m[i][j] += row[i] * row[j];
                }
                for (c, value) in colour.iter().enumerate() {
                    rhs[c][i] += row[i] * f64::from(*value);
                }
            }
        }
        let det = det3(&m);
        if det.abs() < 1e-9 {
            return None;
        }
        let mut plane = [[0.0f32; 3]; 3];
        for (c, b) in rhs.iter().enumerate() {
            for k in 0..3 {
                let mut replaced = m;
                for (i, row) in replaced.iter_mut().enumerate() {
                    row[k] = b[i];
                }
                plane[c][k] = (det3(&replaced) / det) as f32;
            }
        }
        Some(Plane(plane))
    }

    /// The modelled colour at `(x, y)`.
    fn at(&self, x: usize, y: usize) -> [f32; 3] {
        self.0.map(|[a, b, c]| a + b * x as f32 + c * y as f32)
    }

    /// The largest channel difference between `colour` and the model at `(x, y)`.
    fn distance(&self, colour: [f32; 3], x: usize, y: usize) -> f32 {
        let model = self.at(x, y);
        (0..3)
            .map(|c| (colour[c] - model[c]).abs())
            .fold(0.0, f32::max)
    }
}

fn det3(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// The largest 4-connected region of `mask` (the first found on a tie, scanning rows).
fn largest_region(mask: &[bool], width: usize, height: usize) -> Vec<bool> {
    let mut label = vec![0u32; mask.len()];
    let mut best = (0u32, 0usize);
    let mut next = 0u32;
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || label[start] != 0 {
            continue;
        }
        next += 1;
        label[start] = next;
        stack.push(start);
        let mut size = 0;
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % width, i / width);
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < width).then(|| i + 1),
                (y > 0).then(|| i - width),
                (y + 1 < height).then(|| i + width),
            ];
            for j in neighbours.into_iter().flatten() {
                if mask[j] && label[j] == 0 {
                    label[j] = next;
                    stack.push(j);
                }
            }
        }
        if size > best.1 {
            best = (next, size);
        }
    }
    label.iter().map(|l| *l != 0 && *l == best.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 40×30 frame: a backdrop darkening downwards, a red disc of radius 8 at (25, 12),
    /// and a stray red pixel.
    fn frame() -> Vec<[f32; 3]> {
        (0..30)
            .flat_map(|y| (0..40).map(move |x| (x, y)))
            .map(|(x, y): (i32, i32)| {
                let inside = (x - 25).pow(2) + (y - 12).pow(2) <= 64 || (x, y) == (5, 20);
                if inside {
                    [0.8, 0.1, 0.1]
                } else {
                    let shade = 0.92 - 0.15 * y as f32 / 30.0;
                    [shade, shade, shade - 0.02]
                }
            })
            .collect()
    }

    #[test]
    fn the_product_is_separated_from_a_graded_backdrop() {
        let pixels = frame();
        let s = segment(&pixels, 40, 30);
        assert!(s.foreground[12 * 40 + 25] && s.foreground[12 * 40 + 32]);
        assert!(!s.foreground[0] && !s.foreground[29 * 40 + 39]);
        assert!(
            !s.foreground[20 * 40 + 5],
            "a stray pixel is not the product"
        );
        let count = s.foreground.iter().filter(|f| **f).count();
        assert!((190..=215).contains(&count), "{count} pixels");
        let value = s.backdrop_value.unwrap();
        assert!((0.8..0.9).contains(&value), "{value}");
    }

    #[test]
    fn a_photo_without_a_plain_backdrop_is_taken_whole() {
        let busy: Vec<[f32; 3]> = (0..1200)
            .map(|i| {
                let v = ((i * 7919) % 97) as f32 / 97.0;
                [v, 1.0 - v, (v * 3.0) % 1.0]
            })
            .collect();
        let s = segment(&busy, 40, 30);
        assert!(s.foreground.iter().all(|f| *f));
        assert_eq!(s.backdrop_value, None);
    }
}
