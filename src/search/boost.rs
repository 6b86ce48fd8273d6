//! The explicit boosts on a fused score, each shown by `--explain`: a file the query names, a text that quotes
//! the query, recency, the same project, a validated or refuted solution.

use super::filter::DAY;
use super::named_file::{is_named, named_files};
use super::quoted::{Quotation, QuotedQuery};
use crate::payload::Payload;
use serde::Serialize;

/// Largest effect of each boost (+10%).
const MAX_BOOST: f32 = 0.10;
/// The boost of a message whose tool call read, wrote or edited a file the query names: `e^NAMED_FILE_EVIDENCE`,
/// i.e. it adds this much to the fused score, as much as one standard deviation of either list's evidence does.
const NAMED_FILE_EVIDENCE: f32 = 0.5;
/// The boost of a chunk that quotes the query (its words in one run: a pasted error or command, where it
/// occurred): `e^QUOTED_QUERY_EVIDENCE`, the same evidence as a named file.
const QUOTED_QUERY_EVIDENCE: f32 = NAMED_FILE_EVIDENCE;
/// Recency half-life scale, days.
const RECENCY_DAYS: f32 = 30.0;

/// A multiplicative boost, shown by `--explain`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Boost {
    pub name: &'static str,
    pub factor: f32,
}

/// A fused score (a z-score, so possibly negative) with its boosts: each multiplies `exp(fused)`, i.e. adds
/// `ln(factor)`, which raises a hit alike whatever the sign of its score (multiplying a negative score by 1.1 would
/// lower it).
pub(super) fn boosted(fused: f32, boosts: &[Boost]) -> f32 {
    fused + boosts.iter().map(|b| b.factor.ln()).sum::<f32>()
}

/// What the boosts need of one search, worked out once for all its candidates.
pub(super) struct Boosting<'a> {
    named_files: Vec<String>,
    quoted: Option<QuotedQuery>,
    now_unix: i64,
    /// The caller's checkout (as `--here` means it), unless the search already names its project.
    current_project: Option<&'a str>,
}

impl<'a> Boosting<'a> {
    pub(super) fn new(query: &str, now_unix: i64, current_project: Option<&'a str>) -> Self {
        Boosting {
            named_files: named_files(query),
            quoted: QuotedQuery::of(query),
            now_unix,
            current_project,
        }
    }

    /// The boosts of the chunk `p`.
    pub(super) fn boosts(&self, p: &Payload) -> Vec<Boost> {
        let mut out = Vec::new();
        if p.files_touched
            .iter()
            .any(|path| self.named_files.iter().any(|n| is_named(path, n)))
        {
            out.push(Boost {
                name: "names_the_file",
                factor: NAMED_FILE_EVIDENCE.exp(),
            });
        }
        match self.quoted.as_ref().and_then(|q| q.quotation_in(&p.text)) {
            Some(Quotation::Whole { as_written }) => {
                out.push(Boost {
                    name: "quotes_the_query",
                    factor: QUOTED_QUERY_EVIDENCE.exp(),
                });
                // Its punctuation too (a command's `2>&1 | head`): as much evidence again.
                if as_written {
                    out.push(Boost {
                        name: "as_written",
                        factor: QUOTED_QUERY_EVIDENCE.exp(),
                    });
                }
            }
            // Less evidence for less of the query: at most the whole quotation's.
            Some(Quotation::Part(share)) => out.push(Boost {
                name: "quotes_part_of_the_query",
                factor: (QUOTED_QUERY_EVIDENCE * share).exp(),
            }),
            None => {}
        }
        if let Some(ts) = p.timestamp_unix {
            let age_days = ((self.now_unix - ts).max(0) as f32) / DAY.as_secs() as f32;
            let factor = 1.0 + MAX_BOOST * (-age_days / RECENCY_DAYS).exp();
            out.push(Boost {
                name: "recency",
                factor,
            });
        }
        if let (Some(here), Some(project)) = (self.current_project, &p.project) {
            // The caller's checkout, another worktree of its repository, or a directory below them (as `--here`).
            if crate::enhance::project::within_repository(project, here) {
                out.push(Boost {
                    name: "same_project",
                    factor: 1.0 + MAX_BOOST,
                });
            }
        }
        if let Some(v) = &p.validation {
            let strength = v.strength.clamp(-1.0, 1.0);
            if strength != 0.0 {
                out.push(Boost {
                    name: if strength > 0.0 {
                        "validated_solution"
                    } else {
                        "refuted_solution"
                    },
                    factor: 1.0 + MAX_BOOST * strength,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boost_raises_negative_and_positive_scores_alike() {
        let boost = [Boost {
            name: "same_project",
            factor: 1.0 + MAX_BOOST,
        }];
        for fused in [-1.5f32, 0.0, 2.0] {
            assert!(boosted(fused, &boost) > boosted(fused, &[]), "{fused}");
            assert!((boosted(fused, &boost) - fused - (1.0 + MAX_BOOST).ln()).abs() < 1e-6);
        }
    }

    #[test]
    fn the_same_project_boost_covers_the_repository_s_worktrees() {
        use crate::store::embedded::tests::payload;
        let boosting = Boosting::new("x", 0, Some("/home/me/code/spotter"));
        let boosted_in = |project: &str| {
            let mut p = payload("s", "u", 0, 1);
            p.project = Some(project.into());
            boosting.boosts(&p).iter().any(|b| b.name == "same_project")
        };
        assert!(boosted_in("/home/me/code/spotter"));
        assert!(boosted_in("/home/me/code/spotter-worktrees/dov"));
        assert!(boosted_in("/home/me/code/spotter/.claude/worktrees/a"));
        assert!(boosted_in("/home/me/code/spotter/backend"));
        assert!(!boosted_in("/home/me/old/spotter"));
        assert!(!boosted_in("/home/me/code/ledger"));
    }
}
