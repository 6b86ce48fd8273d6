//! How a candidate's two pieces of evidence, its cosine similarity and its BM25 score, become one score.
//!
//! Hybrid search standardizes each score (z-scores) and adds the two with equal weight. Unlike reciprocal rank
//! fusion, this keeps *how far* a candidate stands out: an exact error message that BM25 ranks first by a wide
//! margin stays first even when the embedding ranks it 30th, and a paraphrase that the embedding finds clearly is
//! not buried under candidates that are mediocre in both lists. The two scores are not symmetric evidence: a low
//! cosine says a chunk is about something else, but missing words say little (a paraphrase's answer uses other
//! words), so BM25 only ever adds. Measured on the labelled set (`make eval`, docs/search-quality.md): top-5 62 ->
//! 67 of 92 and MRR@50 0.54 -> 0.61 over RRF (k = 60); BM25 counted only for a chunk, 67 -> 71 and 0.626 -> 0.648,
//! paraphrases 14 -> 18 of 34. Weights other than equal gained nothing beyond noise. For a question in plain
//! words ([`super::plain_question`]) BM25 counts only for prose ([`Weighing::PLAIN_QUESTION`]): its shared words
//! are common ones, which code, logs and commands match as readily as the answer.

use super::corpus::Candidate;
use super::rank::SearchMode;
use crate::message::MessageKind;

/// Smallest standard deviation used, absolute and relative to the mean: a list of one candidate (an identifier
/// that occurs once) or of equal scores would otherwise divide by almost zero, and push every candidate outside it
/// so far down that f32 could no longer order them.
const MIN_STD: f32 = 1e-3;
const MIN_RELATIVE_STD: f32 = 0.1;

/// How the two pieces of evidence weigh for one query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weighing {
    /// The embedding's share of a hybrid score (BM25's is the rest).
    pub semantic_weight: f32,
    /// BM25 counts only for what people and the model wrote (prompts, answers, summaries), not for a tool's input or
    /// output (calls, results, hook output).
    pub lexical_on_prose_only: bool,
}

impl Weighing {
    /// Equal weights, BM25 everywhere: any query but a plain question.
    pub const EQUAL: Weighing = Weighing {
        semantic_weight: 0.5,
        lexical_on_prose_only: false,
    };
    /// A question in plain words ([`super::plain_question`]) asks about what was said: the common words it
    /// shares with code, logs and commands ("screen" in `min-h-screen`, "cards" in a component's comment) are
    /// coincidence, so BM25 counts only for prose. Measured on both sets (docs/search-quality.md): MRR 0.682 ->
    /// 0.697 on the Claude Code set (paraphrases 0.368 -> 0.408) and 0.519 -> 0.547 on the Codex and Gemini
    /// set. It replaces a heavier embedding weight (0.55), which had been the same correction made bluntly:
    /// with prose-only BM25, 0.55 and 0.6 measured no better than equal weights.
    pub const PLAIN_QUESTION: Weighing = Weighing {
        semantic_weight: 0.5,
        lexical_on_prose_only: true,
    };

    pub fn of(query: &str) -> Weighing {
        if super::plain_question::is_plain_question(query) {
            Weighing::PLAIN_QUESTION
        } else {
            Weighing::EQUAL
        }
    }
}

/// One score per candidate, in the same order (higher is better); `None` for a candidate the mode excludes
/// (semantic-only ignores candidates only the lexical list holds, and the other way round). Every mode scores in
/// z-score units, so boosts weigh the same in each. `list_limit` is how many candidates each list was asked for;
/// `weighing` how a hybrid score weighs the two ([`Weighing::of`] the query).
pub fn fused_scores(
    cands: &[Candidate],
    mode: SearchMode,
    list_limit: usize,
    weighing: Weighing,
) -> Vec<Option<f32>> {
    let semantic = Standardizer::of(
        cands
            .iter()
            .filter(|c| c.semantic_rank.is_some())
            .map(|c| c.cosine),
    );
    let lexical = Standardizer::of(
        cands
            .iter()
            .filter(|c| c.lexical_rank.is_some())
            .map(|c| c.bm25),
    );
    // For hybrid ranking BM25 needs a baseline. A lexical list cut at `list_limit` (a question sharing common words
    // with hundreds of chunks) is its own: what stands out of it. A shorter list holds every chunk that shares a
    // query term; every other candidate scores 0, so the baseline is all candidates, and one exact match of a rare
    // identifier stands out of them by far.
    let lexical_listed = cands.iter().filter(|c| c.lexical_rank.is_some()).count();
    let lexical_baseline = if lexical_listed >= list_limit {
        lexical
    } else {
        Standardizer::of(cands.iter().map(listed_bm25))
    };
    match mode {
        SearchMode::Semantic => cands
            .iter()
            .map(|c| c.semantic_rank.map(|_| semantic.z(c.cosine)))
            .collect(),
        SearchMode::Lexical => cands
            .iter()
            .map(|c| c.lexical_rank.map(|_| lexical.z(c.bm25)))
            .collect(),
        SearchMode::Hybrid => cands
            .iter()
            .map(|c| {
                let listed = c.semantic_rank.is_some() || c.lexical_rank.is_some();
                listed.then(|| {
                    let lexical = if weighing.lexical_on_prose_only && is_tool_text(c) {
                        0.0
                    } else {
                        lexical_evidence(c, &lexical_baseline)
                    };
                    weighing.semantic_weight * semantic_evidence(c, &semantic)
                        + (1.0 - weighing.semantic_weight) * lexical
                })
            })
            .collect(),
    }
}

/// The embedding's evidence, in either direction: a low cosine says the chunk is about something else. A chunk
/// kept for lexical search only (the middle of a long tool result) is judged by its message's embedded chunks;
/// without any, it has no semantic evidence either way: neutral.
fn semantic_evidence(c: &Candidate, semantic: &Standardizer) -> f32 {
    if c.has_cosine {
        semantic.z(c.cosine)
    } else {
        0.0
    }
}

/// BM25's evidence counts only for a chunk: shared rare words say it is about the question, but few or no shared
/// words say little against it, because a paraphrase's answer uses other words. So a score below the baseline's
/// mean, or none (outside the lexical list), is neutral. Scored in both directions, the 200 partial matches a
/// natural-language question gets put a chunk without them several standard deviations down and sank what the
/// embedding found clearly (`make eval`: a paraphrase first by cosine was 19th).
fn lexical_evidence(c: &Candidate, baseline: &Standardizer) -> f32 {
    baseline.z(listed_bm25(c)).max(0.0)
}

/// A tool's input or output: a call, a result, a hook's output.
fn is_tool_text(c: &Candidate) -> bool {
    matches!(
        c.payload.kind,
        MessageKind::ToolCall | MessageKind::ToolResult | MessageKind::HookFeedback
    )
}

/// A candidate's BM25, 0 outside the lexical list.
fn listed_bm25(c: &Candidate) -> f32 {
    if c.lexical_rank.is_some() {
        c.bm25
    } else {
        0.0
    }
}

/// Mean and standard deviation of one list's scores.
#[derive(Debug, Clone, Copy)]
struct Standardizer {
    mean: f32,
    std: f32,
}

impl Standardizer {
    fn of(scores: impl Iterator<Item = f32>) -> Self {
        let scores: Vec<f32> = scores.collect();
        if scores.is_empty() {
            return Standardizer {
                mean: 0.0,
                std: 1.0,
            };
        }
        let n = scores.len() as f32;
        let mean = scores.iter().sum::<f32>() / n;
        let var = scores.iter().map(|s| (s - mean) * (s - mean)).sum::<f32>() / n;
        Standardizer {
            mean,
            std: var.sqrt().max(MIN_STD).max(MIN_RELATIVE_STD * mean.abs()),
        }
    }

    fn z(&self, score: f32) -> f32 {
        (score - self.mean) / self.std
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::tests::payload;
    use uuid::Uuid;

    /// Each list of these tests was asked for this many candidates.
    const LIMIT: usize = 30;

    /// Hybrid scores, `f32::MIN` for an unlisted candidate.
    fn hybrid_scores(cands: &[Candidate]) -> Vec<f32> {
        fused_scores(cands, SearchMode::Hybrid, LIMIT, Weighing::EQUAL)
            .into_iter()
            .map(|s| s.unwrap_or(f32::MIN))
            .collect()
    }

    fn cand(
        n: u128,
        semantic: Option<(usize, f32)>,
        lexical: Option<(usize, f32)>,
        cosine: f32,
    ) -> Candidate {
        Candidate::ranked(
            Uuid::from_u128(n),
            payload("s", "u", 0, 1),
            semantic,
            lexical,
            || Some(cosine),
        )
    }

    #[test]
    fn a_wide_margin_in_one_list_beats_middling_candidates_of_both() {
        // Twenty candidates in both lists with cosines 0.40-0.59 and BM25 scores 1-5. Candidate 0 is weak by
        // cosine but first by BM25 by far (an exact error message); candidate 20, absent from the lexical list,
        // is first by cosine by far (a paraphrase).
        let mut cands: Vec<Candidate> = (1..20u128)
            .map(|i| {
                let cosine = 0.40 + i as f32 * 0.01;
                let rank = 21 - i as usize;
                cand(
                    i,
                    Some((rank, cosine)),
                    Some((rank, 1.0 + i as f32 * 0.2)),
                    cosine,
                )
            })
            .collect();
        cands.push(cand(0, Some((20, 0.40)), Some((1, 30.0)), 0.40));
        cands.push(cand(20, Some((1, 0.80)), None, 0.80));
        let s = hybrid_scores(&cands);
        let best_middling = s[..19].iter().copied().fold(f32::MIN, f32::max);
        assert!(s[19] > best_middling, "lexical standout: {s:?}");
        assert!(s[20] > best_middling, "semantic standout: {s:?}");
        // Reciprocal rank fusion (k = 60) would put the best middling candidate (2nd in both lists) above both.
        let rrf = |a: usize, b: Option<usize>| {
            1.0 / (60.0 + a as f32) + b.map_or(0.0, |b| 1.0 / (60.0 + b as f32))
        };
        assert!(rrf(2, Some(2)) > rrf(1, None) && rrf(2, Some(2)) > rrf(20, Some(1)));
    }

    #[test]
    fn a_clear_semantic_find_is_not_sunk_by_many_weak_word_matches() {
        // A natural-language question: thirty candidates share a few common words with it (BM25 5.0-5.9, close
        // together) and are weak by cosine; the answer shares none of its words but is first by cosine by far.
        let mut cands: Vec<Candidate> = (1..=30u128)
            .map(|i| {
                let cosine = 0.40 + i as f32 * 0.003;
                let rank = 31 - i as usize;
                cand(
                    i,
                    Some((rank + 1, cosine)),
                    Some((rank, 5.0 + i as f32 * 0.03)),
                    cosine,
                )
            })
            .collect();
        cands.push(cand(0, Some((1, 0.70)), None, 0.70));
        let s = hybrid_scores(&cands);
        let best_word_match = s[..30].iter().copied().fold(f32::MIN, f32::max);
        assert!(s[30] > best_word_match, "{s:?}");
    }

    #[test]
    fn a_chunk_without_a_vector_is_neutral_on_the_semantic_side() {
        let mut cands: Vec<Candidate> = (1..10u128)
            .map(|i| {
                let rank = 10 - i as usize;
                let cosine = 0.3 + i as f32 * 0.01;
                cand(
                    i,
                    Some((rank, cosine)),
                    Some((rank + 1, 1.0 + i as f32 * 0.1)),
                    cosine,
                )
            })
            .collect();
        // The middle of a long tool result: first by BM25, no vector.
        cands.push(Candidate::ranked(
            Uuid::from_u128(0),
            payload("s", "u", 1, 3),
            None,
            Some((1, 20.0)),
            || None,
        ));
        let s = fused_scores(&cands, SearchMode::Hybrid, LIMIT, Weighing::EQUAL);
        let lexical_only = s[9].unwrap_or(f32::MIN);
        assert!(!cands[9].has_cosine);
        assert!(
            s[..9].iter().all(|x| x.unwrap_or(f32::MAX) < lexical_only),
            "{s:?}"
        );
    }

    #[test]
    fn a_single_lexical_match_keeps_the_semantic_order_of_everything_else() {
        // An identifier that occurs in one chunk only: the lexical list holds it alone, and that chunk is the
        // embedding's weakest candidate.
        let mut cands: Vec<Candidate> = (1..50u128)
            .map(|i| {
                cand(
                    i,
                    Some((50 - i as usize, 0.3 + i as f32 * 0.001)),
                    None,
                    0.3 + i as f32 * 0.001,
                )
            })
            .collect();
        cands.push(cand(0, Some((50, 0.2)), Some((1, 12.0)), 0.2));
        let s = hybrid_scores(&cands);
        assert!(s[49] > s[48], "the only exact match first: {s:?}");
        assert!(
            s[..49].windows(2).all(|w| w[0] < w[1]),
            "cosine order kept: {s:?}"
        );
        assert!(s.iter().all(|x| x.abs() < 100.0), "{s:?}");
    }

    #[test]
    fn single_list_modes_rank_by_their_own_score_and_skip_the_other_list() {
        let cands = vec![
            cand(0, Some((1, 0.9)), None, 0.9),
            cand(1, None, Some((1, 7.0)), 0.1),
        ];
        let semantic = fused_scores(&cands, SearchMode::Semantic, LIMIT, Weighing::EQUAL);
        assert!(
            semantic[0].is_some() && semantic[1].is_none(),
            "{semantic:?}"
        );
        let lexical = fused_scores(&cands, SearchMode::Lexical, LIMIT, Weighing::EQUAL);
        assert!(lexical[0].is_none() && lexical[1].is_some(), "{lexical:?}");
        let hybrid = fused_scores(&cands, SearchMode::Hybrid, LIMIT, Weighing::EQUAL);
        assert!(hybrid.iter().all(Option::is_some));
    }

    #[test]
    fn a_plain_question_is_recognized() {
        assert_eq!(
            Weighing::of("where did I ask for a screen with little cards?"),
            Weighing::PLAIN_QUESTION
        );
        assert_eq!(Weighing::of("TeamStatsCards"), Weighing::EQUAL);
    }

    #[test]
    fn a_plain_question_counts_bm25_for_prose_only() {
        // A tool result matches the question's words by far (BM25 9.0) and is a little closer by cosine than the
        // assistant's answer, which matches one word (BM25 4.0); twenty chunks match weakly. Prose-only BM25
        // puts the answer first.
        let mut cands: Vec<Candidate> = (0..20u128)
            .map(|i| {
                let cosine = 0.20 + 0.005 * i as f32;
                cand(
                    i + 3,
                    Some((22 - i as usize, cosine)),
                    Some((22 - i as usize, 1.0)),
                    cosine,
                )
            })
            .collect();
        let mut tool = cand(1, Some((1, 0.45)), Some((1, 9.0)), 0.45);
        tool.payload.kind = MessageKind::ToolResult;
        let mut answer = cand(2, Some((2, 0.44)), Some((2, 4.0)), 0.44);
        answer.payload.kind = MessageKind::Assistant;
        cands.push(tool);
        cands.push(answer);
        let best = |weighing: Weighing| {
            let s: Vec<f32> = fused_scores(&cands, SearchMode::Hybrid, LIMIT, weighing)
                .into_iter()
                .map(|s| s.unwrap_or(f32::MIN))
                .collect();
            (0..s.len())
                .max_by(|&a, &b| s[a].total_cmp(&s[b]))
                .map(|i| cands[i].id.as_u128())
        };
        assert_eq!(best(Weighing::EQUAL), Some(1));
        assert_eq!(best(Weighing::PLAIN_QUESTION), Some(2));
        // Lexical-only search is BM25 alone, whatever the question.
        let lexical = fused_scores(&cands, SearchMode::Lexical, LIMIT, Weighing::PLAIN_QUESTION);
        assert!(lexical[20].unwrap_or(f32::MIN) > lexical[21].unwrap_or(f32::MAX));
    }
}
