//! Cosine distances between many vectors: the rows normalised once into one contiguous,
//! zero-padded matrix ([`UnitRows`]), then either the condensed distance matrix (the
//! upper triangle, row by row, as `kodama` takes it) or the connected components of the
//! graph linking rows closer than a threshold — both through the `kernel` module's blocked
//! Gram matrix, in row bands over the available cores.
//!
//! A distance is `max(0, 1 − u·v)` in `f64` of the `f32` dot product of the unit rows (a
//! zero row is at distance 1 from everything), the same value whichever of the two
//! computes it.

use crate::kernel::{Kernel, PAD};

/// Pairs below which a band is not split off to another thread (about a millisecond).
const MIN_BAND_PAIRS: usize = 16 * 1024;

/// Unit-length rows, contiguous and zero-padded to a multiple of the kernel's lanes (the
/// padding adds exact zeros to every dot product).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitRows {
    data: Vec<f32>,
    stride: usize,
    rows: usize,
}

impl UnitRows {
    /// `rows` scaled to unit length (a zero row stays zero). All rows are expected as
    /// long as the first: a shorter one is padded with zeros, a longer one cut.
    pub fn new(rows: &[&[f32]]) -> Self {
        let dimension = rows.first().map_or(0, |r| r.len());
        let stride = dimension.div_ceil(PAD).max(1) * PAD;
        let mut data = vec![0.0f32; stride * rows.len()];
        for (row, out) in rows.iter().zip(data.chunks_exact_mut(stride)) {
            let norm = row
                .iter()
                .map(|x| f64::from(*x) * f64::from(*x))
                .sum::<f64>()
                .sqrt();
            for (o, x) in out.iter_mut().zip(row.iter()) {
                *o = if norm > 0.0 {
                    (f64::from(*x) / norm) as f32
                } else {
                    *x
                };
            }
        }
        UnitRows {
            data,
            stride,
            rows: rows.len(),
        }
    }

    /// The rows `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        let mut data = Vec::with_capacity(self.stride * indices.len());
        for &i in indices {
            data.extend_from_slice(self.row(i));
        }
        UnitRows {
            data,
            stride: self.stride,
            rows: indices.len(),
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Row `i`, padded.
    pub(crate) fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.stride..(i + 1) * self.stride]
    }

    /// The condensed cosine distance matrix — `d(i, j)` for `i < j` at index
    /// `n·i − i·(i+1)/2 + j − i − 1` — computed on up to `threads` threads.
    pub fn condensed(&self, threads: usize) -> Vec<f64> {
        self.condensed_with(Kernel::detect(), threads)
    }

    /// [`UnitRows::condensed`] through the given kernel.
    pub(crate) fn condensed_with(&self, kernel: Kernel, threads: usize) -> Vec<f64> {
        let n = self.rows;
        let mut out = vec![0.0f64; pairs(n)];
        let mut rest: &mut [f64] = &mut out;
        let mut bands = Vec::new();
        for rows in bands_of(n, threads) {
            let len = (rows.start..rows.end).map(|i| n - 1 - i).sum();
            let (band, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            bands.push((rows, band));
        }
        let fill = |rows: std::ops::Range<usize>, band: &mut [f64]| {
            // Where the band's first row starts in the whole condensed matrix.
            let base = index(n, rows.start, rows.start + 1);
            kernel.band(self, rows, &mut |i, j, d| band[index(n, i, j) - base] = d);
        };
        run(bands, |(rows, band)| fill(rows, band));
        out
    }

    /// The connected components of the graph that links two rows when their distance is
    /// below `threshold`: each component's rows ascending, the components by their first
    /// row. Computed on up to `threads` threads without the distance matrix (each thread
    /// keeps a union-find of the rows; the forests are joined at the end).
    pub fn components(&self, threshold: f64, threads: usize) -> Vec<Vec<usize>> {
        self.components_with(Kernel::detect(), threshold, threads)
    }

    /// [`UnitRows::components`] through the given kernel.
    pub(crate) fn components_with(
        &self,
        kernel: Kernel,
        threshold: f64,
        threads: usize,
    ) -> Vec<Vec<usize>> {
        let n = self.rows;
        let forests = run(bands_of(n, threads), |rows| {
            let mut forest = Forest::new(n);
            kernel.band(self, rows, &mut |i, j, d| {
                if d < threshold {
                    forest.union(i, j);
                }
            });
            forest
        });
        let mut joined = Forest::new(n);
        for mut forest in forests {
            for i in 0..n {
                let root = forest.find(i);
                joined.union(i, root);
            }
        }
        let mut slot_of_root = vec![usize::MAX; n];
        let mut components: Vec<Vec<usize>> = Vec::new();
        for i in 0..n {
            let root = joined.find(i);
            if slot_of_root[root] == usize::MAX {
                slot_of_root[root] = components.len();
                components.push(Vec::new());
            }
            components[slot_of_root[root]].push(i);
        }
        components
    }
}

/// Pairs of `n` rows.
fn pairs(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

/// The condensed index of the pair `i < j` of `n` rows.
fn index(n: usize, i: usize, j: usize) -> usize {
    n * i - i * (i + 1) / 2 + j - i - 1
}

/// Up to `threads` bands of consecutive rows with about equal pairs each (row `i` has
/// `n − 1 − i`), fewer when the pairs are few.
fn bands_of(n: usize, threads: usize) -> Vec<std::ops::Range<usize>> {
    let total = pairs(n);
    let threads = threads.min(total / MIN_BAND_PAIRS).max(1);
    let mut bands = Vec::with_capacity(threads);
    let (mut row, mut done) = (0, 0);
    for t in 0..threads {
        let target = total * (t + 1) / threads;
        let start = row;
        while row < n && (done < target || t + 1 == threads) {
            done += n - 1 - row;
            row += 1;
        }
        if start < row {
            bands.push(start..row);
        }
    }
    bands
}

/// `work` on each band: on this thread when there is one, else a thread each.
fn run<B: Send, T: Send>(bands: Vec<B>, work: impl Fn(B) -> T + Sync) -> Vec<T> {
    if bands.len() <= 1 {
        return bands.into_iter().map(work).collect();
    }
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = bands
            .into_iter()
            .map(|band| scope.spawn(move || work(band)))
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(value) => value,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// A union-find forest over `0..n` (union by size, path halving).
struct Forest {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl Forest {
    fn new(n: usize) -> Self {
        Forest {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] as usize != i {
            let grandparent = self.parent[self.parent[i] as usize];
            self.parent[i] = grandparent;
            i = grandparent as usize;
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let (big, small) = if self.size[a] >= self.size[b] {
            (a, b)
        } else {
            (b, a)
        };
        self.parent[small] = big as u32;
        self.size[big] += self.size[small];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeded vectors in a few loose bunches (SplitMix64 noise).
    fn vectors(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f32 / (1u64 << 53) as f32 - 0.5
        };
        let centres: Vec<Vec<f32>> = (0..5).map(|_| (0..dim).map(|_| next()).collect()).collect();
        (0..n)
            .map(|i| centres[i % 5].iter().map(|c| c + 0.3 * next()).collect())
            .collect()
    }

    fn unit_rows(v: &[Vec<f32>]) -> UnitRows {
        UnitRows::new(&v.iter().map(Vec::as_slice).collect::<Vec<_>>())
    }

    /// The distance in `f64` throughout, for comparison.
    fn reference(a: &[f32], b: &[f32]) -> f64 {
        let dot = |x: &[f32], y: &[f32]| -> f64 {
            x.iter()
                .zip(y)
                .map(|(p, q)| f64::from(*p) * f64::from(*q))
                .sum()
        };
        let norms = (dot(a, a) * dot(b, b)).sqrt();
        if norms == 0.0 {
            return 1.0;
        }
        (1.0 - dot(a, b) / norms).max(0.0)
    }

    #[test]
    fn every_kernel_gives_the_distances_at_every_size_and_thread_count() {
        // Sizes around the blocks and tiles (4 × 4, 64 columns), dimensions around the
        // lanes (8, 16), a zero row.
        for (n, dim) in [(2, 3), (5, 16), (67, 17), (130, 40), (90, 1024)] {
            let mut v = vectors(n, dim, n as u64);
            v[1] = vec![0.0; dim];
            let unit = unit_rows(&v);
            for kernel in Kernel::available() {
                let one = unit.condensed_with(kernel, 1);
                assert_eq!(one.len(), n * (n - 1) / 2);
                for i in 0..n {
                    for j in i + 1..n {
                        let d = one[index(n, i, j)];
                        let want = reference(&v[i], &v[j]);
                        assert!(
                            (d - want).abs() < 1e-5,
                            "{kernel:?} n={n} dim={dim} ({i}, {j}): {d} vs {want}"
                        );
                    }
                }
                assert_eq!(one[index(n, 0, 1)], 1.0, "a zero row is at distance 1");
                assert_eq!(unit.condensed_with(kernel, 2), one, "{kernel:?} n={n}");
                assert_eq!(unit.condensed_with(kernel, 3), one, "{kernel:?} n={n}");
            }
        }
    }

    #[test]
    fn components_are_the_rows_linked_below_the_threshold() {
        let v = vectors(300, 64, 7);
        let unit = unit_rows(&v);
        let condensed = unit.condensed(1);
        for threshold in [0.0, 0.2, 0.6, 0.9, 2.0] {
            // The same components, found the slow way from the matrix.
            let mut forest = Forest::new(300);
            for i in 0..300 {
                for j in i + 1..300 {
                    if condensed[index(300, i, j)] < threshold {
                        forest.union(i, j);
                    }
                }
            }
            let components = unit.components(threshold, 1);
            assert_eq!(components.iter().map(Vec::len).sum::<usize>(), 300);
            for component in &components {
                assert!(component.is_sorted());
                let root = forest.find(component[0]);
                assert!(component.iter().all(|&i| forest.find(i) == root));
            }
            assert!(components.is_sorted_by_key(|c| c[0]));
            for kernel in Kernel::available() {
                for threads in [1, 2, 3] {
                    assert_eq!(
                        unit.components_with(kernel, threshold, threads),
                        components,
                        "{kernel:?}, {threads} threads, threshold {threshold}"
                    );
                }
            }
        }
        assert_eq!(unit.components(0.0, 2).len(), 300);
        assert_eq!(unit.components(2.0, 2), vec![(0..300).collect::<Vec<_>>()]);
    }

    #[test]
    fn bands_cover_the_rows_with_about_equal_pairs() {
        let bands = bands_of(2000, 2);
        assert_eq!(bands.len(), 2);
        assert_eq!(bands[0].start, 0);
        assert_eq!(bands[0].end, bands[1].start);
        assert_eq!(bands[1].end, 2000);
        let work = |b: &std::ops::Range<usize>| b.clone().map(|i| 1999 - i).sum::<usize>();
        assert!(work(&bands[0]).abs_diff(work(&bands[1])) < 2000);
        assert_eq!(
            bands_of(10, 4),
            vec![0..10],
            "too few pairs for a second thread"
        );
        assert!(bands_of(0, 2).is_empty());
    }
}
