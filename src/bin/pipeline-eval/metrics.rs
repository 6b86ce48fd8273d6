//! Top-k and MRR@50 over a set of ranks, grouped by style.

use serde::Serialize;
use std::collections::BTreeMap;

/// Results beyond this rank count as misses for MRR.
pub const MRR_DEPTH: usize = 50;

/// Hit counts and reciprocal ranks for one mode and one style.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scores {
    pub questions: usize,
    pub top1: usize,
    pub top5: usize,
    pub top10: usize,
    pub mrr50: f64,
}

impl Scores {
    pub fn of(ranks: &[Option<usize>]) -> Self {
        let within = |k: usize| ranks.iter().filter(|r| r.is_some_and(|r| r <= k)).count();
        let rr: f64 = ranks
            .iter()
            .map(|r| match r {
                Some(r) if *r <= MRR_DEPTH => 1.0 / *r as f64,
                _ => 0.0,
            })
            .sum();
        Scores {
            questions: ranks.len(),
            top1: within(1),
            top5: within(5),
            top10: within(10),
            mrr50: if ranks.is_empty() {
                0.0
            } else {
                rr / ranks.len() as f64
            },
        }
    }

    pub fn pct(&self, n: usize) -> f64 {
        if self.questions == 0 {
            0.0
        } else {
            100.0 * n as f64 / self.questions as f64
        }
    }
}

/// Scores overall (key `all`) and per style, from (style, rank) pairs.
pub fn by_style(ranks: &[(String, Option<usize>)]) -> BTreeMap<String, Scores> {
    let mut groups: BTreeMap<String, Vec<Option<usize>>> = BTreeMap::new();
    for (style, rank) in ranks {
        groups.entry(style.clone()).or_default().push(*rank);
        groups.entry("all".to_string()).or_default().push(*rank);
    }
    groups
        .into_iter()
        .map(|(k, v)| (k, Scores::of(&v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_count_ranks_and_reciprocal_ranks() {
        let s = Scores::of(&[Some(1), Some(3), Some(7), None, Some(60)]);
        assert_eq!((s.top1, s.top5, s.top10), (1, 2, 3));
        let want = (1.0 + 1.0 / 3.0 + 1.0 / 7.0) / 5.0;
        assert!((s.mrr50 - want).abs() < 1e-9);
    }
}
