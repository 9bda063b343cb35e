//! Exact nearest neighbours: every stored vector's distance to the query, the `k`
//! smallest kept (ties broken by key, so answers are deterministic).
//!
//! Distances are those S3 Vectors reports: for `cosine`, 1 − cosine similarity (0 for
//! the same direction, 2 for opposite); for `euclidean`, the straight-line (L2)
//! distance. They are computed in f64 from the stored f32 values and reported as f32.
//! The service's search is approximate; this one is exact, so a test can hold it to a
//! brute-force answer.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An index's distance metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistanceMetric {
    /// 1 − cosine similarity.
    Cosine,
    /// L2 distance.
    Euclidean,
}

impl DistanceMetric {
    /// Parses the wire name (`cosine`, `euclidean`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "cosine" => Some(DistanceMetric::Cosine),
            "euclidean" => Some(DistanceMetric::Euclidean),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DistanceMetric::Cosine => "cosine",
            DistanceMetric::Euclidean => "euclidean",
        }
    }

    /// The distance between `a` and `b` (same length), given `b`'s L2 norm (used by
    /// cosine; stored with each vector so it is computed once).
    pub fn distance(self, a: &[f32], a_norm: f64, b: &[f32], b_norm: f64) -> f64 {
        match self {
            DistanceMetric::Cosine => {
                let dot: f64 = a
                    .iter()
                    .zip(b)
                    .map(|(&x, &y)| f64::from(x) * f64::from(y))
                    .sum();
                1.0 - dot / (a_norm * b_norm)
            }
            DistanceMetric::Euclidean => a
                .iter()
                .zip(b)
                .map(|(&x, &y)| {
                    let d = f64::from(x) - f64::from(y);
                    d * d
                })
                .sum::<f64>()
                .sqrt(),
        }
    }
}

/// A vector's L2 norm, in f64.
pub fn norm(values: &[f32]) -> f64 {
    values
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt()
}

/// A candidate: its distance and key.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour<'a> {
    /// Distance to the query.
    pub distance: f64,
    /// The vector's key.
    pub key: &'a str,
}

impl Eq for Neighbour<'_> {}

impl Ord for Neighbour<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.distance
            .total_cmp(&other.distance)
            .then_with(|| self.key.cmp(other.key))
    }
}

impl PartialOrd for Neighbour<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The `k` nearest of `candidates`, nearest first (a bounded max-heap: O(n log k)).
pub fn top_k<'a>(candidates: impl Iterator<Item = Neighbour<'a>>, k: usize) -> Vec<Neighbour<'a>> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Neighbour<'a>> = BinaryHeap::with_capacity(k + 1);
    for candidate in candidates {
        if heap.len() < k {
            heap.push(candidate);
        } else if heap.peek().is_some_and(|worst| candidate < *worst) {
            heap.pop();
            heap.push(candidate);
        }
    }
    heap.into_sorted_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_and_euclidean_distances() {
        let a = [1.0f32, 0.0];
        let b = [0.0f32, 2.0];
        let c = [-3.0f32, 0.0];
        let m = DistanceMetric::Cosine;
        assert!((m.distance(&a, norm(&a), &a, norm(&a))).abs() < 1e-12);
        assert!((m.distance(&a, norm(&a), &b, norm(&b)) - 1.0).abs() < 1e-12);
        assert!((m.distance(&a, norm(&a), &c, norm(&c)) - 2.0).abs() < 1e-12);
        let e = DistanceMetric::Euclidean;
        assert!((e.distance(&a, 0.0, &b, 0.0) - 5f64.sqrt()).abs() < 1e-12);
        assert!((e.distance(&a, 0.0, &c, 0.0) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn top_k_keeps_the_nearest_in_order_and_breaks_ties_by_key() {
        let keys = ["e", "d", "c", "b", "a"];
        let distances = [0.5, 0.1, 0.3, 0.1, 0.9];
        let candidates = keys
            .iter()
            .zip(distances)
            .map(|(key, distance)| Neighbour { distance, key });
        let got: Vec<&str> = top_k(candidates, 3).iter().map(|n| n.key).collect();
        assert_eq!(got, ["b", "d", "c"]);
        assert!(top_k(std::iter::empty(), 3).is_empty());
    }
}
