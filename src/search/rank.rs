//! Hybrid ranking: semantic and lexical candidate lists fused by standardized scores (see `fuse`), then bounded
//! boosts.

use super::acknowledgement::{call_of, is_write_acknowledgement};
pub use super::boost::Boost;
use super::boost::{boosted, Boosting};
use super::corpus::Corpus;
use super::filter::Filter;
use super::fuse::{fused_scores, Weighing};
use crate::error::Result;
use crate::lexical;
use crate::payload::Payload;
use serde::Serialize;
use std::collections::HashMap;

/// Candidates taken from each list before fusion.
const CANDIDATES: usize = 200;
/// Snippet length, characters.
const SNIPPET_CHARS: usize = 240;

/// Which candidate lists a search ranks by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Both lists, fused (the default).
    #[default]
    Hybrid,
    /// Only the embedding similarity.
    Semantic,
    /// Only BM25.
    Lexical,
}

impl SearchMode {
    pub const ALL: [SearchMode; 3] = [
        SearchMode::Hybrid,
        SearchMode::Semantic,
        SearchMode::Lexical,
    ];

    /// Parses a mode name; the error lists the valid ones.
    pub fn parse(name: &str) -> Result<Self, UnknownMode> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownMode(name.to_string()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Hybrid => "hybrid",
            SearchMode::Semantic => "semantic",
            SearchMode::Lexical => "lexical",
        }
    }
}

/// A `--mode` value that is not a search mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown search mode {0:?}; valid modes: hybrid, semantic, lexical")]
pub struct UnknownMode(pub String);

/// One search: the query (and its expansion), mode, limit, filter, context size, and what the boosts need
/// (the current project, the time).
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    /// The query's second phrasing ([`super::expand`]): its technical terms and its embedding.
    pub expansion: Option<Expansion>,
    pub mode: SearchMode,
    pub limit: usize,
    pub filter: Filter,
    /// Neighbouring messages to return on each side.
    pub context: usize,
    /// The caller's checkout (for the same-project boost, which covers what `--here` would), if known.
    pub current_project: Option<String>,
    /// "Now", Unix seconds (for recency).
    pub now_unix: i64,
    /// Hide weak matches: hits holding none of the query's words whose cosine is below this
    /// ([`Hit::is_weak`]; the model's `embed.model.weak_cosine`). None keeps them.
    pub weak_cosine: Option<f32>,
}

/// The technical terms a query's everyday words stand for, and the embedding of the query with them appended.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    pub terms: Vec<String>,
    pub vector: Vec<f32>,
}

/// One message found: its best chunk, score and how the score was made.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub score: f32,
    pub payload: Payload,
    pub snippet: String,
    pub cosine: f32,
    pub bm25: f32,
    pub semantic_rank: Option<usize>,
    pub lexical_rank: Option<usize>,
    /// `cosine` is the similarity to the query's expansion, which was the higher.
    pub cosine_from_expansion: bool,
    /// No chunk of its message has a vector yet (it waits in the embedding queue): ranked by its words, with
    /// neutral semantic evidence.
    pub awaiting_vector: bool,
    pub fused: f32,
    pub boosts: Vec<Boost>,
    /// The message id of the write acknowledgement the hit was found by (its scores are the
    /// acknowledgement's); the hit is the call it acknowledges ([`super::acknowledgement`]).
    pub found_by_acknowledgement: Option<String>,
    pub context_before: Vec<Payload>,
    pub context_after: Vec<Payload>,
}

/// A search's best hits, and how many messages it matched in all.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// The best `limit` hits, best first.
    pub hits: Vec<Hit>,
    /// Messages among the candidates of either list (at most `CANDIDATES` chunks each) that would be shown: repeats
    /// and hidden weak matches left out, so paging reaches every one.
    pub matched: usize,
    /// The technical terms the query was also searched by (its expansion), if any.
    pub expanded_with: Vec<String>,
    /// Weak matches left out ([`SearchRequest::weak_cosine`]; none when the request kept them).
    pub weak_hidden: usize,
}

impl Hit {
    /// None of the query's words, and little similarity by meaning: a cosine below `weak_cosine`
    /// ([`SearchRequest::weak_cosine`]).
    pub fn is_weak(&self, weak_cosine: f32) -> bool {
        self.lexical_rank.is_none()
            && !self.awaiting_vector
            && self.cosine < weak_cosine
            && self.boosts.iter().all(|b| b.name != "names_the_file")
    }
}

/// Runs a query over any store. `query_vector` is the normalized embedding of `req.query`.
pub fn search(corpus: &dyn Corpus, query_vector: &[f32], req: &SearchRequest) -> Result<Ranked> {
    // The expansion is a second phrasing by meaning only: the lexical list is the query's own.
    let phrasings: Vec<&[f32]> = std::iter::once(query_vector)
        .chain(req.expansion.as_ref().map(|e| e.vector.as_slice()))
        .collect();
    let cands = corpus.candidates(&phrasings, &req.query, &req.filter, CANDIDATES)?;

    // Fuse, keep the best chunk of each message.
    let mut best: HashMap<String, Hit> = HashMap::new();
    let scores = fused_scores(&cands, req.mode, CANDIDATES, Weighing::of(&req.query));
    // The same-project boost, unless the search already names its project.
    let project_named = req.filter.project.is_some() || !req.filter.project_paths.is_empty();
    let current_project = req.current_project.as_deref().filter(|_| !project_named);
    let mut boosting = Boosting::new(&req.query, req.now_unix, current_project);
    // Only the candidates this mode ranks.
    boosting.weigh_quotations(
        cands
            .iter()
            .zip(&scores)
            .filter(|(_, s)| s.is_some())
            .map(|(c, _)| &c.payload),
    );
    for (c, fused) in cands.into_iter().zip(scores) {
        let Some(fused) = fused else { continue };
        // A write's acknowledgement stands for the call it acknowledges, if the search's filter takes the call.
        let call = if is_write_acknowledgement(&c.payload) {
            call_of(corpus, &c.payload)?.filter(|call| req.filter.matches(call))
        } else {
            None
        };
        let (id, payload, found_by_acknowledgement) = match call {
            Some(call) => (
                crate::ids::point_id(&call.session_id, &call.uuid, call.chunk_index).to_string(),
                call,
                Some(c.payload.message_id),
            ),
            None => (c.id.to_string(), c.payload, None),
        };
        let boosts = boosting.boosts(&payload);
        let score = boosted(fused, &boosts);
        let hit = Hit {
            id,
            score,
            snippet: String::new(),
            cosine: c.cosine,
            bm25: c.bm25,
            semantic_rank: c.semantic_rank,
            lexical_rank: c.lexical_rank,
            cosine_from_expansion: c.cosine_from_expansion,
            awaiting_vector: !c.has_cosine,
            fused,
            boosts,
            found_by_acknowledgement,
            context_before: Vec::new(),
            context_after: Vec::new(),
            payload,
        };
        match best.get(hit.payload.message_id.as_str()) {
            Some(h)
                if (h.score, std::cmp::Reverse(&h.id))
                    >= (hit.score, std::cmp::Reverse(&hit.id)) => {}
            _ => {
                best.insert(hit.payload.message_id.clone(), hit);
            }
        }
    }
    let mut hits: Vec<Hit> = best.into_values().collect();
    let is_weak = |h: &Hit| req.weak_cosine.is_some_and(|weak| h.is_weak(weak));
    let validation = |h: &Hit| h.payload.validation.as_ref().map_or(0.0, |v| v.strength);
    if req.filter.solutions {
        hits.sort_by(|a, b| {
            validation(b)
                .total_cmp(&validation(a))
                .then(b.score.total_cmp(&a.score))
                .then(a.id.cmp(&b.id))
        });
    } else {
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    }
    // The same text found twice (a file read twice, a prompt repeated in a subagent's log) is shown once, at its
    // best rank: the same chunk text at the same place of a message of the same kind and length, so a long file
    // read twice, unchanged where the query matched, is one hit. A chunk that merely recurs in a message of
    // another length is kept. (Two long results of one kind and length that differ only outside the matched
    // chunk show as one: the match is the same text.)
    let mut shown = std::collections::HashSet::new();
    hits.retain(|h| {
        let p = &h.payload;
        shown.insert((
            p.kind,
            p.chunk_index,
            p.chunk_count,
            blake3::hash(p.text.as_bytes()),
        ))
    });
    // Weak matches and the matched count are counted as hits are shown: after the repeats, so paging reaches
    // every match it counts.
    let shown_and_weak = hits.len();
    hits.retain(|h| !is_weak(h));
    let weak_hidden = shown_and_weak - hits.len();
    let matched = hits.len();
    hits.truncate(req.limit);
    for h in &mut hits {
        h.snippet = snippet(&h.payload.text, &req.query);
        if req.context > 0 {
            let (before, after) = corpus.context(&h.payload.message_id, req.context)?;
            h.context_before = before;
            h.context_after = after;
        }
    }
    Ok(Ranked {
        hits,
        matched,
        expanded_with: req
            .expansion
            .as_ref()
            .map(|e| e.terms.clone())
            .unwrap_or_default(),
        weak_hidden,
    })
}

/// Dot product in eight independent lanes, so the compiler can vectorize it (a plain `sum()` is sequential).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// A window of the text around the first query term found (longest terms first), on char boundaries.
pub fn snippet(text: &str, query: &str) -> String {
    let lower = text.to_lowercase();
    let mut terms = lexical::tokens(query);
    terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let at = terms
        .iter()
        .filter(|t| t.len() >= 3)
        .find_map(|t| lower.find(t.as_str()))
        .unwrap_or(0);
    // `lower` may differ in byte length from `text` for some scripts: map by char count.
    let char_at = lower.get(..at).map_or(0, |s| s.chars().count());
    let start = char_at.saturating_sub(SNIPPET_CHARS / 3);
    let mut out: String = text.chars().skip(start).take(SNIPPET_CHARS).collect();
    if start > 0 {
        out.insert_str(0, "...");
    }
    if text.chars().count() > start + SNIPPET_CHARS {
        out.push_str("...");
    }
    out.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_centres_on_the_match_and_respects_chars() {
        let text = format!("{}needle here{}", "é".repeat(500), "x".repeat(500));
        let s = snippet(&text, "needle");
        assert!(s.contains("needle"), "{s}");
        assert!(s.starts_with("..."));
        assert!(s.chars().count() <= SNIPPET_CHARS + 6);
    }

    /// A search for `query` in `mode`: ten hits, no filter, expansion, context or boost inputs.
    fn plain_request(query: &str, mode: SearchMode) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            expansion: None,
            mode,
            limit: 10,
            filter: Filter::default(),
            context: 0,
            current_project: None,
            now_unix: 0,
            weak_cosine: crate::config::ModelConfig::default().weak_cosine(),
        }
    }

    #[test]
    fn the_same_text_stored_twice_is_one_hit_at_its_best_rank() {
        use crate::search::index::SearchIndex;
        use crate::store::embedded::tests::payload;
        use crate::store::StoredPoint;
        let texts = [
            ("s1", "the deploy failed: the token expired"),
            ("s2", "the deploy failed: the token expired"),
            ("s3", "the deploy token was renewed"),
            ("s4", "deploy notes: the token rotation"),
            ("s5", "deploy notes: the token rotation"),
            ("s6", "deploy notes: the token rotation"),
        ];
        let points = texts.iter().enumerate().map(|(i, (session, text))| {
            // s4, s5 and s6: longer messages whose first chunks are the same words; s4 and s6 are as long (a
            // file read twice), s5 is longer.
            let count = match *session {
                "s4" | "s6" => 2,
                "s5" => 3,
                _ => 1,
            };
            let mut p = payload(session, "u", 0, count);
            p.text = text.to_string();
            let vector = vec![1.0, i as f32 * 0.1];
            (
                uuid::Uuid::from_u128(i as u128 + 1),
                StoredPoint { vector, payload: p },
            )
        });
        let index = SearchIndex::from_points(points);
        let req = plain_request("deploy token expired", SearchMode::Hybrid);
        let ranked = search(&index, &[1.0, 0.0], &req).unwrap_or_else(|e| panic!("{e}"));
        let sessions: Vec<&str> = ranked
            .hits
            .iter()
            .map(|h| h.payload.session_id.as_str())
            .collect();
        assert!(
            sessions.contains(&"s1") && sessions.contains(&"s3"),
            "{sessions:?}"
        );
        assert!(
            !sessions.contains(&"s2"),
            "the copy in s2 ranks below s1's and is left out"
        );
        assert!(
            sessions.contains(&"s4") && sessions.contains(&"s5"),
            "messages of other lengths that share a chunk are both shown: {sessions:?}"
        );
        assert!(
            !sessions.contains(&"s6"),
            "the same chunk at the same place of a message as long is shown once: {sessions:?}"
        );
        assert_eq!(
            ranked.matched, 4,
            "a repeat is not counted: paging reaches every match counted"
        );
    }

    #[test]
    fn weak_matches_are_hidden_unless_asked_for_and_counted() {
        use crate::search::index::SearchIndex;
        use crate::store::embedded::tests::payload;
        use crate::store::StoredPoint;
        // (text, cosine to the query): only the first holds a query word, only the second is alike in meaning.
        let texts = [
            ("the banana crate broke", 0.1f32),
            ("a cake baked in the oven", 0.6),
            ("cargo build failed", 0.2),
            ("flaky login test", 0.05),
        ];
        let points = texts.iter().enumerate().map(|(i, (text, c))| {
            let mut p = payload(&format!("s{i}"), "u", 0, 1);
            p.text = text.to_string();
            let vector = vec![*c, (1.0 - c * c).sqrt()];
            (
                uuid::Uuid::from_u128(i as u128 + 1),
                StoredPoint { vector, payload: p },
            )
        });
        let index = SearchIndex::from_points(points);
        let texts_of = |r: &Ranked| -> Vec<String> {
            let mut t: Vec<String> = r.hits.iter().map(|h| h.payload.text.clone()).collect();
            t.sort();
            t
        };
        let mut req = plain_request("recipe for banana bread", SearchMode::Hybrid);
        let ranked = search(&index, &[1.0, 0.0], &req).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            texts_of(&ranked),
            ["a cake baked in the oven", "the banana crate broke"]
        );
        assert_eq!((ranked.weak_hidden, ranked.matched), (2, 2));
        // Another model's scale: a lower cut-off hides less.
        req.weak_cosine = Some(0.15);
        let ranked = search(&index, &[1.0, 0.0], &req).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            texts_of(&ranked),
            [
                "a cake baked in the oven",
                "cargo build failed",
                "the banana crate broke"
            ]
        );
        assert_eq!(ranked.weak_hidden, 1);
        req.weak_cosine = None;
        let ranked = search(&index, &[1.0, 0.0], &req).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((ranked.hits.len(), ranked.weak_hidden), (4, 0));
    }

    #[test]
    fn a_chunk_that_quotes_the_query_is_boosted_over_one_that_shares_its_words() {
        use crate::search::index::SearchIndex;
        use crate::store::embedded::tests::payload;
        use crate::store::StoredPoint;
        let mut texts = vec![
            r#"Logger.warning("WaitingSummary: transcript parse failed: #{inspect(reason)}")"#
                .to_string(),
            "21:33:40 [warning] WaitingSummary: transcript parse failed: :file_not_found"
                .to_string(),
        ];
        texts.extend((0..6).map(|i| format!("an unrelated note {i}")));
        // The source line is a little closer by meaning; only the log line quotes the query.
        let cosines = [1.0f32, 0.98, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];
        let points = texts.iter().zip(cosines).enumerate().map(|(i, (text, c))| {
            let mut p = payload(&format!("s{i}"), "u", 0, 1);
            p.text = text.clone();
            let vector = vec![c, (1.0 - c * c).sqrt()];
            (
                uuid::Uuid::from_u128(i as u128 + 1),
                StoredPoint { vector, payload: p },
            )
        });
        let index = SearchIndex::from_points(points);
        let req = plain_request(
            "[warning] WaitingSummary: transcript parse failed: :file_not_found",
            SearchMode::Semantic,
        );
        let ranked = search(&index, &[1.0, 0.0], &req).unwrap_or_else(|e| panic!("{e}"));
        let first = ranked.hits.first().unwrap_or_else(|| panic!("no hits"));
        assert_eq!(first.payload.session_id, "s1", "{:?}", ranked.hits);
        assert!(first.boosts.iter().any(|b| b.name == "quotes_the_query"));
        // Brackets and colons too: as written.
        assert!(first.boosts.iter().any(|b| b.name == "as_written"));
        assert!(ranked.hits[1]
            .boosts
            .iter()
            .all(|b| b.name != "quotes_the_query"));
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..387).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..387).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
    }
}
