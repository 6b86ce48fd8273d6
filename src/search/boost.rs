//! The explicit boosts on a fused score, each shown by `--explain`: a file the query names, a text that quotes
//! the query, recency, the same project, a validated or refuted solution.

use super::filter::DAY;
use super::named_file::{is_named, named_files};
use super::quoted::{Quotation, QuotedQuery};
use crate::payload::Payload;
use serde::Serialize;
use std::collections::HashSet;

/// Largest effect of each boost (+10%).
const MAX_BOOST: f32 = 0.10;
/// The boost of a message whose tool call read, wrote or edited a file the query names: `e^NAMED_FILE_EVIDENCE`,
/// i.e. it adds this much to the fused score, as much as one standard deviation of either list's evidence does.
const NAMED_FILE_EVIDENCE: f32 = 0.5;
/// The boost of a chunk that quotes the query (its words in one run: a pasted error or command, where it
/// occurred): `e^QUOTED_QUERY_EVIDENCE`, the same evidence as a named file.
const QUOTED_QUERY_EVIDENCE: f32 = NAMED_FILE_EVIDENCE;
/// A quotation of the query in more candidate messages than this is evidence spread over them: each gets
/// `MAX_QUOTING_MESSAGES / n` of it. A line that 45 outputs print (a shell profile's warning before every command)
/// says nothing of where the query's error occurred, yet raised all 45 above the message explaining it (`make
/// eval`: a028 7th -> 2nd); the Claude Code set's errors, quoted by a few messages each, keep their boost whole.
const MAX_QUOTING_MESSAGES: usize = 10;
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
    /// The share of a quotation's evidence each quoting message gets ([`Boosting::weigh_quotations`]).
    quotation_weight: f32,
    now_unix: i64,
    /// The caller's checkout (as `--here` means it), unless the search already names its project.
    current_project: Option<&'a str>,
}

impl<'a> Boosting<'a> {
    pub(super) fn new(query: &str, now_unix: i64, current_project: Option<&'a str>) -> Self {
        Boosting {
            named_files: named_files(query),
            quoted: QuotedQuery::of(query),
            quotation_weight: 1.0,
            now_unix,
            current_project,
        }
    }

    /// Counts the candidate messages among `candidates` that quote the query, and spreads a quotation's evidence
    /// over them when they are more than [`MAX_QUOTING_MESSAGES`].
    pub(super) fn weigh_quotations<'p>(&mut self, candidates: impl Iterator<Item = &'p Payload>) {
        let Some(quoted) = &self.quoted else { return };
        let quoting: HashSet<&str> = candidates
            .filter(|p| quoted.quotation_in(&p.text).is_some())
            .map(|p| p.message_id.as_str())
            .collect();
        self.quotation_weight = if quoting.len() > MAX_QUOTING_MESSAGES {
            MAX_QUOTING_MESSAGES as f32 / quoting.len() as f32
        } else {
            1.0
        };
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
                let evidence = QUOTED_QUERY_EVIDENCE * self.quotation_weight;
                out.push(Boost {
                    name: "quotes_the_query",
                    factor: evidence.exp(),
                });
                // Its punctuation too (a command's `2>&1 | head`): as much evidence again.
                if as_written {
                    out.push(Boost {
                        name: "as_written",
                        factor: evidence.exp(),
                    });
                }
            }
            // Less evidence for less of the query: at most the whole quotation's.
            Some(Quotation::Part(share)) => out.push(Boost {
                name: "quotes_part_of_the_query",
                factor: (QUOTED_QUERY_EVIDENCE * share * self.quotation_weight).exp(),
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
    fn a_quotation_many_messages_hold_is_evidence_spread_over_them() {
        use crate::store::embedded::tests::payload;
        let query = "cannot create temp file for here document";
        let quoting = |n: usize| -> Vec<Payload> {
            (0..n)
                .map(|i| {
                    let mut p = payload("s", &format!("u{i}"), 0, 1);
                    p.text = format!("brew.sh: line 60: {query}: Operation not permitted\n{i}");
                    p
                })
                .collect()
        };
        let factor = |candidates: &[Payload]| {
            let mut boosting = Boosting::new(query, 0, None);
            boosting.weigh_quotations(candidates.iter());
            let boosts = boosting.boosts(&candidates[0]);
            boosts
                .iter()
                .find(|b| b.name == "quotes_the_query")
                .map(|b| b.factor)
        };
        let whole = QUOTED_QUERY_EVIDENCE.exp();
        assert_eq!(factor(&quoting(MAX_QUOTING_MESSAGES)), Some(whole));
        let spread = factor(&quoting(4 * MAX_QUOTING_MESSAGES)).unwrap_or(0.0);
        assert!(
            (spread - (QUOTED_QUERY_EVIDENCE / 4.0).exp()).abs() < 1e-6,
            "{spread}"
        );
        // Chunks of one message count once.
        let mut one_message = quoting(MAX_QUOTING_MESSAGES);
        for p in one_message.iter_mut() {
            p.message_id = "m".into();
        }
        one_message.extend(quoting(MAX_QUOTING_MESSAGES - 1));
        assert_eq!(factor(&one_message), Some(whole));
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
