//! Exact (brute-force) scoring: dense distances and sparse dot products with optional IDF.

use std::collections::HashMap;

use qdrant_client::qdrant::Distance;

use crate::state::{FastMap, SparseVec};

/// Scales to unit length, as Qdrant does to Cosine vectors on insert and query.
/// A zero vector stays zero.
pub(crate) fn normalize(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > f32::EPSILON {
        for x in vector.iter_mut() {
            *x /= norm;
        }
    }
}

/// The score Qdrant reports: Cosine and Dot are similarities (higher is better), Euclid and
/// Manhattan are distances (lower is better).
pub(crate) fn dense(distance: Distance, query: &[f32], stored: &[f32]) -> f32 {
    let pairs = query.iter().zip(stored);
    match distance {
        Distance::Euclid => pairs.map(|(a, b)| (a - b) * (a - b)).sum::<f32>().sqrt(),
        Distance::Manhattan => pairs.map(|(a, b)| (a - b).abs()).sum(),
        // Cosine vectors are normalised on both sides, so their dot product is the cosine.
        Distance::Cosine | Distance::Dot | Distance::UnknownDistance => {
            pairs.map(|(a, b)| a * b).sum()
        }
    }
}

pub(crate) fn higher_is_better(distance: Distance) -> bool {
    !matches!(distance, Distance::Euclid | Distance::Manhattan)
}

/// BM25-style inverse document frequency, as Qdrant's `Modifier::Idf`:
/// `ln(1 + (n_total - n_with + 0.5) / (n_with + 0.5))`.
pub(crate) fn idf(n_total: usize, n_with: usize) -> f32 {
    let (total, with) = (n_total as f64, n_with as f64);
    (1.0 + (total - with + 0.5) / (with + 0.5)).ln() as f32
}

/// What IDF needs about one sparse vector of a collection, kept up to date as points come and
/// go: how many points have the vector, and for each index how many have a nonzero value there.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SparseStats {
    points: usize,
    with: FastMap<u32, usize>,
}

impl SparseStats {
    pub(crate) fn add(&mut self, vector: &SparseVec) {
        self.points += 1;
        for (index, value) in vector.indices.iter().zip(&vector.values) {
            if *value != 0.0 {
                *self.with.entry(*index).or_default() += 1;
            }
        }
    }

    pub(crate) fn remove(&mut self, vector: &SparseVec) {
        self.points -= 1;
        for (index, value) in vector.indices.iter().zip(&vector.values) {
            if *value != 0.0 {
                if let Some(n) = self.with.get_mut(index) {
                    *n -= 1;
                    if *n == 0 {
                        self.with.remove(index);
                    }
                }
            }
        }
    }

    /// `idf(index)` over the points that have the vector.
    pub(crate) fn idf(&self, index: u32) -> f32 {
        idf(self.points, self.with.get(&index).copied().unwrap_or(0))
    }
}

/// Sum over indices present in both of `query * stored * weight(index)`; `None` when they share
/// no index (such points are not sparse-search results at all).
pub(crate) fn sparse(
    query: &SparseVec,
    stored: &SparseVec,
    weights: Option<&HashMap<u32, f32>>,
) -> Option<f32> {
    let (mut i, mut j) = (0, 0);
    let mut score = 0.0f32;
    let mut overlap = false;
    while i < query.indices.len() && j < stored.indices.len() {
        let (qi, si) = (query.indices[i], stored.indices[j]);
        match qi.cmp(&si) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let weight = weights.and_then(|w| w.get(&qi)).copied().unwrap_or(1.0);
                score += query.values[i] * stored.values[j] * weight;
                overlap = true;
                i += 1;
                j += 1;
            }
        }
    }
    overlap.then_some(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv(pairs: &[(u32, f32)]) -> SparseVec {
        SparseVec {
            indices: pairs.iter().map(|p| p.0).collect(),
            values: pairs.iter().map(|p| p.1).collect(),
        }
    }

    #[test]
    fn cosine_of_normalised_vectors() {
        let mut a = vec![3.0, 4.0];
        let mut b = vec![4.0, 3.0];
        normalize(&mut a);
        normalize(&mut b);
        assert!((dense(Distance::Cosine, &a, &b) - 0.96).abs() < 1e-6);
        assert!((dense(Distance::Euclid, &[0.0, 0.0], &[3.0, 4.0]) - 5.0).abs() < 1e-6);
        assert!((dense(Distance::Manhattan, &[0.0, 0.0], &[3.0, -4.0]) - 7.0).abs() < 1e-6);
    }

    #[test]
    fn sparse_overlap_and_weights() {
        let q = sv(&[(1, 1.0), (5, 2.0)]);
        assert_eq!(sparse(&q, &sv(&[(2, 9.0)]), None), None);
        assert_eq!(
            sparse(&q, &sv(&[(1, 0.5), (5, 1.0), (7, 3.0)]), None),
            Some(2.5)
        );
        let weights = HashMap::from([(5, 0.5)]);
        assert_eq!(sparse(&q, &sv(&[(5, 1.0)]), Some(&weights)), Some(1.0));
    }

    #[test]
    fn idf_matches_formula() {
        // N = 4 points, the term is in 1 of them.
        let expected = (1.0f64 + (4.0 - 1.0 + 0.5) / (1.0 + 0.5)).ln() as f32;
        assert_eq!(idf(4, 1), expected);
        assert!(idf(4, 1) > idf(4, 3));
    }
}
