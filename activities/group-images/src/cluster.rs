//! Agglomerative clustering of embeddings: average linkage on cosine distance, cut at a
//! distance threshold — two groups merge while the mean cosine distance between their
//! members is below it (scikit-learn's `AgglomerativeClustering(metric="cosine",
//! linkage="average", distance_threshold=t, n_clusters=None)`, which the quality tests
//! compare against). The linkage is `kodama`'s (fastcluster's algorithms); this module
//! computes the condensed distance matrix, cuts the dendrogram and describes the groups.
//!
//! Deterministic: the same vectors in the same order give the same groups in the same
//! order — groups by size (largest first), then by their first member; members, and
//! singletons, in input order.

use kodama::{Method, linkage};

/// A group of at least two items.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The members' indices, ascending.
    pub members: Vec<usize>,
    /// The medoid: the member with the smallest total cosine distance to the others
    /// (the first such on a tie).
    pub medoid: usize,
    /// The mean pairwise cosine similarity of the members (1: identical).
    pub cohesion: f64,
}

/// The partition of the items.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Clustering {
    /// Groups of two or more, in the documented order.
    pub groups: Vec<Group>,
    /// Items in no group, ascending.
    pub singletons: Vec<usize>,
}

impl Clustering {
    /// A label per item: groups numbered in order, then each singleton its own label.
    pub fn labels(&self, items: usize) -> Vec<usize> {
        let mut labels = vec![usize::MAX; items];
        for (g, group) in self.groups.iter().enumerate() {
            for &m in &group.members {
                labels[m] = g;
            }
        }
        for (s, &i) in self.singletons.iter().enumerate() {
            labels[i] = self.groups.len() + s;
        }
        labels
    }
}

/// Rows scaled to unit length (a zero row stays zero).
fn normalised(rows: &[&[f32]]) -> Vec<Vec<f32>> {
    rows.iter()
        .map(|row| {
            let norm = row
                .iter()
                .map(|x| f64::from(*x) * f64::from(*x))
                .sum::<f64>()
                .sqrt();
            if norm > 0.0 {
                row.iter().map(|x| (f64::from(*x) / norm) as f32).collect()
            } else {
                row.to_vec()
            }
        })
        .collect()
}

/// The dot product: with AVX2 when the CPU has it (checked once, at run time — the
/// default x86_64 target only assumes SSE2, half as wide), otherwise the portable loop.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_lanes(a, b)
}

/// [`dot_lanes`] compiled for AVX2: the same arithmetic in the same order.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes(a, b)
}

/// The dot product, in 8 lanes the compiler vectorises.
#[inline(always)]
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

/// Cosine distance of two unit rows (a zero row is at distance 1 from everything).
fn distance(a: &[f32], b: &[f32]) -> f64 {
    (1.0 - f64::from(dot(a, b))).max(0.0)
}

/// The condensed distance matrix (upper triangle, row by row), computed on up to
/// `threads` threads.
fn condensed(unit: &[Vec<f32>], threads: usize) -> Vec<f64> {
    let n = unit.len();
    let mut out = vec![0.0f64; n * n.saturating_sub(1) / 2];
    // Split the rows into bands of about equal work (row i has n-1-i pairs).
    let threads = threads.clamp(1, n.max(1));
    let total = out.len();
    let mut bands: Vec<(usize, &mut [f64])> = Vec::with_capacity(threads);
    let mut rest: &mut [f64] = &mut out;
    let mut row = 0;
    for t in 0..threads {
        let target = total * (t + 1) / threads;
        let start_row = row;
        let mut taken = 0;
        let already = total - rest.len();
        while row < n && already + taken < target {
            taken += n - 1 - row;
            row += 1;
        }
        if t + 1 == threads {
            while row < n {
                taken += n - 1 - row;
                row += 1;
            }
        }
        let (band, tail) = std::mem::take(&mut rest).split_at_mut(taken);
        rest = tail;
        bands.push((start_row, band));
    }
    std::thread::scope(|scope| {
        for (start_row, band) in bands {
            scope.spawn(move || {
                let mut at = 0;
                let mut i = start_row;
                while at < band.len() {
                    for j in i + 1..n {
                        band[at] = distance(&unit[i], &unit[j]);
                        at += 1;
                    }
                    i += 1;
                }
            });
        }
    });
    out
}

/// Clusters `rows` (equally long vectors) with average linkage on cosine distance,
/// merging while the distance is below `threshold`.
pub fn cluster(rows: &[&[f32]], threshold: f64) -> Clustering {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    cluster_with_threads(rows, threshold, threads)
}

/// [`cluster`] on at most `threads` threads for the distance matrix.
pub fn cluster_with_threads(rows: &[&[f32]], threshold: f64, threads: usize) -> Clustering {
    let n = rows.len();
    let unit = normalised(rows);
    let mut parent: Vec<usize> = (0..2 * n.max(1)).collect();
    if n >= 2 {
        let mut distances = condensed(&unit, threads);
        let dendrogram = linkage(&mut distances, n, Method::Average);
        // Leaves are 0..n; step s makes cluster n + s. Average linkage is monotone, so the
        // merges below the threshold are a prefix of the steps.
        for (s, step) in dendrogram.steps().iter().enumerate() {
            if step.dissimilarity < threshold {
                parent[step.cluster1] = n + s;
                parent[step.cluster2] = n + s;
            }
        }
    }
    let root = |mut c: usize| {
        while parent[c] != c {
            c = parent[c];
        }
        c
    };
    let mut by_root: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..n {
        by_root.entry(root(i)).or_default().push(i);
    }
    let mut groups = Vec::new();
    let mut singletons = Vec::new();
    for members in by_root.into_values() {
        if members.len() == 1 {
            singletons.push(members[0]);
            continue;
        }
        groups.push(describe(&unit, members));
    }
    groups.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(a.members[0].cmp(&b.members[0]))
    });
    singletons.sort_unstable();
    Clustering { groups, singletons }
}

/// A group's medoid and cohesion.
fn describe(unit: &[Vec<f32>], members: Vec<usize>) -> Group {
    let k = members.len();
    let mut totals = vec![0.0f64; k];
    let mut sum = 0.0;
    for a in 0..k {
        for b in a + 1..k {
            let d = distance(&unit[members[a]], &unit[members[b]]);
            totals[a] += d;
            totals[b] += d;
            sum += d;
        }
    }
    let mut medoid = 0;
    for (i, total) in totals.iter().enumerate() {
        if *total < totals[medoid] {
            medoid = i;
        }
    }
    let pairs = (k * (k - 1) / 2) as f64;
    Group {
        medoid: members[medoid],
        cohesion: 1.0 - sum / pairs,
        members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &[Vec<f32>]) -> Vec<&[f32]> {
        v.iter().map(Vec::as_slice).collect()
    }

    #[test]
    fn near_vectors_group_and_far_ones_stay_alone() {
        let v = vec![
            vec![1.0, 0.0, 0.0],
            vec![0.0, 1.0, 0.0],
            vec![0.99, 0.05, 0.0],
            vec![0.0, 0.0, 1.0],
            vec![0.05, 0.98, 0.01],
            vec![1.0, 0.02, 0.01],
        ];
        let c = cluster(&rows(&v), 0.05);
        assert_eq!(c.groups.len(), 2);
        assert_eq!(c.groups[0].members, vec![0, 2, 5]);
        assert_eq!(c.groups[1].members, vec![1, 4]);
        assert_eq!(c.singletons, vec![3]);
        assert_eq!(c.groups[0].medoid, 5, "the one between the other two");
        assert!(c.groups[0].cohesion > 0.99 && c.groups[0].cohesion <= 1.0);
        assert_eq!(c.labels(6), vec![0, 1, 0, 2, 1, 0]);
    }

    #[test]
    fn the_threshold_decides_and_the_result_is_deterministic() {
        let v: Vec<Vec<f32>> = (0..40)
            .map(|i| {
                let a = i as f32 * 0.05;
                vec![a.cos(), a.sin(), 0.3]
            })
            .collect();
        let tight = cluster(&rows(&v), 1e-6);
        assert!(tight.groups.is_empty());
        assert_eq!(tight.singletons.len(), 40);
        let loose = cluster(&rows(&v), 2.0);
        assert_eq!(loose.groups.len(), 1);
        assert_eq!(loose.groups[0].members.len(), 40);
        let mid = cluster(&rows(&v), 0.05);
        assert_eq!(mid, cluster_with_threads(&rows(&v), 0.05, 1));
        assert_eq!(mid, cluster_with_threads(&rows(&v), 0.05, 3));
    }

    #[test]
    fn no_and_one_item_are_singletons() {
        assert_eq!(cluster(&[], 0.1), Clustering::default());
        let one = [1.0f32, 2.0];
        assert_eq!(cluster(&[&one], 0.1).singletons, vec![0]);
    }
}
