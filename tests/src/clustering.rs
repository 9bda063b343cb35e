//! Test tools for clustering: seeded synthetic embeddings (noisy clusters on the unit
//! sphere), the adjusted Rand index, partition equality up to renaming, and scikit-learn's
//! `AgglomerativeClustering` run through `scripts/cluster_sklearn.py` (the pinned
//! scikit-learn of the project's Python environment).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::workspace_root;
use crate::world::Error;

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-300);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// `n` unit vectors of length `dim` around `clusters` random centres (each point is its
/// centre plus Gaussian noise of `noise` per component, normalised), with their true
/// cluster; seeded, so every run and machine gets the same vectors.
pub fn synthetic(
    n: usize,
    dim: usize,
    clusters: usize,
    noise: f64,
    seed: u64,
) -> (Vec<Vec<f32>>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let centres: Vec<Vec<f64>> = (0..clusters)
        .map(|_| unit((0..dim).map(|_| rng.normal()).collect()))
        .collect();
    let mut vectors = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for _ in 0..n {
        let c = (rng.next_u64() % clusters as u64) as usize;
        let v: Vec<f64> = centres[c]
            .iter()
            .map(|x| x + noise * rng.normal())
            .collect();
        vectors.push(unit(v).into_iter().map(|x| x as f32).collect());
        truth.push(c);
    }
    (vectors, truth)
}

fn unit(v: Vec<f64>) -> Vec<f64> {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// The adjusted Rand index of two labelings (1: the same partition).
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len();
    let choose2 = |x: f64| x * (x - 1.0) / 2.0;
    let mut pairs: HashMap<(usize, usize), f64> = HashMap::new();
    let mut rows: HashMap<usize, f64> = HashMap::new();
    let mut cols: HashMap<usize, f64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *pairs.entry((x, y)).or_default() += 1.0;
        *rows.entry(x).or_default() += 1.0;
        *cols.entry(y).or_default() += 1.0;
    }
    let index: f64 = pairs.values().map(|&v| choose2(v)).sum();
    let sum_rows: f64 = rows.values().map(|&v| choose2(v)).sum();
    let sum_cols: f64 = cols.values().map(|&v| choose2(v)).sum();
    let expected = sum_rows * sum_cols / choose2(n as f64);
    let max = (sum_rows + sum_cols) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// Whether two labelings are the same partition (equal up to renaming the labels).
pub fn same_partition(a: &[usize], b: &[usize]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut forward = HashMap::new();
    let mut backward = HashMap::new();
    a.iter().zip(b).all(|(x, y)| {
        *forward.entry(*x).or_insert(*y) == *y && *backward.entry(*y).or_insert(*x) == *x
    })
}

/// scikit-learn's labels for `vectors` at `threshold`, and the wall time of each of
/// `repeat` fits, in seconds. The vectors go through a file in `dir`.
pub fn sklearn(
    vectors: &[Vec<f32>],
    threshold: f64,
    repeat: usize,
    dir: &Path,
) -> Result<(Vec<usize>, Vec<f64>), Error> {
    let dim = vectors.first().map_or(0, Vec::len);
    let path = dir.join(format!("matrix-{}.f32", vectors.len()));
    let bytes: Vec<u8> = vectors
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    std::fs::write(&path, bytes)?;
    let root = workspace_root();
    let out = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/cluster_sklearn.py"))
        .arg(&path)
        .arg(vectors.len().to_string())
        .arg(dim.to_string())
        .arg(threshold.to_string())
        .arg(repeat.to_string())
        .output()
        .map_err(|e| {
            format!("running .venv/bin/python (scripts/python-env.sh installs scikit-learn): {e}")
        })?;
    if !out.status.success() {
        return Err(format!(
            "cluster_sklearn.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let doc: Value = serde_json::from_slice(&out.stdout)?;
    let labels = doc["labels"]
        .as_array()
        .ok_or("no labels")?
        .iter()
        .map(|v| {
            v.as_u64()
                .map(|v| v as usize)
                .ok_or("a label is not a number")
        })
        .collect::<Result<Vec<_>, _>>()?;
    let seconds = doc["seconds"]
        .as_array()
        .ok_or("no seconds")?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    Ok((labels, seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adjusted_rand_index_is_one_for_renamed_labels_and_low_for_noise() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1, 2], &[5, 5, 3, 3, 9]), 1.0);
        assert!(same_partition(&[0, 0, 1, 1, 2], &[5, 5, 3, 3, 9]));
        assert!(!same_partition(&[0, 0, 1, 1], &[0, 1, 1, 1]));
        assert!(adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 1, 2, 0, 1, 2]) < 0.0);
    }
}
