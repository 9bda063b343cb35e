//! The cosine-distance kernel behind [`crate::distance`]: every pair `i < j` of a band of
//! rows visited as a blocked Gram matrix — the symmetric half only, a few rows against a
//! few columns at a time, column tiles outermost so the rows in use stay in the CPU
//! caches — and handed to a sink as `(i, j, distance)`.
//!
//! Each pair's dot product is one fixed sequence of operations (the same lanes in the
//! same order, whatever the block, band, tile or thread), so the same input always gives
//! the same distances. The kernel is compiled three ways and picked once at run time:
//! AVX-512F (16 lanes, 4 × 4 pairs a block), AVX2 with FMA (8 lanes, 4 × 3), and a
//! portable one (8 lanes, a pair at a time, whatever the compiler makes of it).

use crate::distance::UnitRows;

/// Lanes the rows are padded to (a multiple of every kernel's lane count).
pub(crate) const PAD: usize = 16;

/// Columns per cache tile: a tile's rows (64 × 4 KiB at 1024 dimensions) stay in L2 while
/// the row blocks of a band sweep over them.
const TILE: usize = 64;

/// Which compiled kernel runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// AVX-512F.
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Whatever the target guarantees.
    Portable,
}

impl Kernel {
    /// The widest kernel this CPU runs.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Kernel::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Kernel::Avx2;
            }
        }
        Kernel::Portable
    }

    /// Every kernel this CPU runs (for the tests).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Self> {
        let mut all = vec![Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                all.push(Kernel::Avx2);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                all.push(Kernel::Avx512);
            }
        }
        all
    }

    /// Hands `sink` the distance of every pair `i < j` with `i` in `rows`, row by row and
    /// within a row by column tile (a tile's pairs in any order).
    pub(crate) fn band(
        self,
        unit: &UnitRows,
        rows: std::ops::Range<usize>,
        sink: &mut impl FnMut(usize, usize, f64),
    ) {
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `detect` (or `available`) yields this kernel only after checking
            // that the CPU has AVX-512F, the one feature `band_avx512` is compiled for.
            Kernel::Avx512 => unsafe { band_avx512(unit, rows, sink) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `detect` (or `available`) yields this kernel only after checking
            // that the CPU has AVX2 and FMA, the features `band_avx2` is compiled for.
            Kernel::Avx2 => unsafe { band_avx2(unit, rows, sink) },
            Kernel::Portable => band::<1, 1>(unit, rows, sink, |a, b| [[dot_portable(a[0], b[0])]]),
        }
    }
}

/// [`band`] with the AVX-512F kernel.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn band_avx512(
    unit: &UnitRows,
    rows: std::ops::Range<usize>,
    sink: &mut impl FnMut(usize, usize, f64),
) {
    band::<4, 4>(unit, rows, sink, |a, b| x86::dots_avx512(a, b));
}

/// [`band`] with the AVX2 and FMA kernel.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn band_avx2(
    unit: &UnitRows,
    rows: std::ops::Range<usize>,
    sink: &mut impl FnMut(usize, usize, f64),
) {
    band::<4, 3>(unit, rows, sink, |a, b| x86::dots_avx2(a, b));
}

/// The band's pairs, `R` rows against `C` columns at a time through `dots` (each row of
/// `a` with each row of `b`). A block at an edge repeats its last row or column, and the
/// repeats are not handed on.
#[inline(always)]
fn band<const R: usize, const C: usize>(
    unit: &UnitRows,
    rows: std::ops::Range<usize>,
    sink: &mut impl FnMut(usize, usize, f64),
    dots: impl Fn([&[f32]; R], [&[f32]; C]) -> [[f32; C]; R],
) {
    let n = unit.len();
    let rows = rows.start..rows.end.min(n);
    let mut tile_start = rows.start + 1;
    while tile_start < n {
        let tile_end = (tile_start + TILE).min(n);
        let mut i = rows.start;
        // Row i needs the columns after it: a block's first row the most.
        while i < rows.end && i + 1 < tile_end {
            let block = (i..rows.end).take(R);
            let last = i + block.len() - 1;
            let a: [&[f32]; R] = std::array::from_fn(|r| unit.row((i + r).min(last)));
            let mut j = (i + 1).max(tile_start);
            while j < tile_end {
                let b: [&[f32]; C] = std::array::from_fn(|c| unit.row((j + c).min(tile_end - 1)));
                let dots = dots(a, b);
                for (r, row) in (i..=last).enumerate() {
                    for (c, col) in (j..tile_end).take(C).enumerate() {
                        if col > row {
                            sink(row, col, (1.0 - f64::from(dots[r][c])).max(0.0));
                        }
                    }
                }
                j += C;
            }
            i += R;
        }
        tile_start = tile_end;
    }
}

/// The dot product of two padded rows in 8 lanes (lane `l` sums components `l, l + 8,
/// …`), added up in lane order: a loop the compiler vectorises for the target.
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for (x, y) in a.as_chunks::<8>().0.iter().zip(b.as_chunks::<8>().0) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    lanes.iter().sum()
}

/// The x86_64 kernels: a block of dot products with every row of the block loaded once
/// per step and every pair's running sums in registers.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// 4 × 4 dot products in 16-lane running sums, added up by `_mm512_reduce_add_ps`
    /// (a fixed order).
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn dots_avx512(a: [&[f32]; 4], b: [&[f32]; 4]) -> [[f32; 4]; 4] {
        let len = a[0].len();
        assert!(len.is_multiple_of(16) && a.iter().chain(&b).all(|row| row.len() == len));
        let mut acc = [[_mm512_setzero_ps(); 4]; 4];
        let mut k = 0;
        while k < len {
            // SAFETY: every row is `len` long (asserted above) and `k + 16 <= len`
            // (`len` is a multiple of 16 and `k < len` steps by 16), so each load reads
            // 16 floats inside its row; `loadu` has no alignment requirement.
            let (x, y) = unsafe {
                (
                    [0, 1, 2, 3].map(|r| _mm512_loadu_ps(a[r].as_ptr().add(k))),
                    [0, 1, 2, 3].map(|c| _mm512_loadu_ps(b[c].as_ptr().add(k))),
                )
            };
            for r in 0..4 {
                for c in 0..4 {
                    acc[r][c] = _mm512_fmadd_ps(x[r], y[c], acc[r][c]);
                }
            }
            k += 16;
        }
        let mut out = [[0.0f32; 4]; 4];
        for r in 0..4 {
            for c in 0..4 {
                out[r][c] = _mm512_reduce_add_ps(acc[r][c]);
            }
        }
        out
    }

    /// 4 × 3 dot products in 8-lane running sums (12 registers of sums, 4 of rows),
    /// added up in a fixed order.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(super) fn dots_avx2(a: [&[f32]; 4], b: [&[f32]; 3]) -> [[f32; 3]; 4] {
        let len = a[0].len();
        assert!(len.is_multiple_of(8) && a.iter().chain(&b).all(|row| row.len() == len));
        let mut acc = [[_mm256_setzero_ps(); 3]; 4];
        let mut k = 0;
        while k < len {
            // SAFETY: every row is `len` long (asserted above) and `k + 8 <= len` (`len`
            // is a multiple of 8 and `k < len` steps by 8), so each load reads 8 floats
            // inside its row; `loadu` has no alignment requirement.
            let x = unsafe { [0, 1, 2, 3].map(|r| _mm256_loadu_ps(a[r].as_ptr().add(k))) };
            for c in 0..3 {
                // SAFETY: as above.
                let y = unsafe { _mm256_loadu_ps(b[c].as_ptr().add(k)) };
                for r in 0..4 {
                    acc[r][c] = _mm256_fmadd_ps(x[r], y, acc[r][c]);
                }
            }
            k += 8;
        }
        let mut out = [[0.0f32; 3]; 4];
        for r in 0..4 {
            for c in 0..3 {
                out[r][c] = sum8(acc[r][c]);
            }
        }
        out
    }

    /// The 8 lanes added up: halves, then pairs, then the last two.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn sum8(v: __m256) -> f32 {
        let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps::<0b01>(pair, pair)))
    }
}
