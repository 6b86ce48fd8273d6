//! Solution quality: how much a message reads like a successful, verified solution.
//!
//! Rule: start at 1.0, then add
//! - 0.3 per success marker (`✅`, "fixed", "working", "done", "resolved", "passes", ...),
//! - 0.4 per quality indicator ("tested", "verified", "all tests pass", ...),
//! - 0.5 per implementation-success phrase ("successfully implemented", "now works", ...),
//! - 0.4 per code-success phrase ("compiles", "build succeeded", ...),
//! - 0.2 if the message has code, 0.3 if it used a modifying tool (Edit, Write, MultiEdit, Bash, NotebookEdit),
//! - 0.1 for more than 500 characters and another 0.1 for more than 1500,
//!
//! and clamp to [`MIN_QUALITY`, `MAX_QUALITY`].
//!
//! Caps (our choice, unlike the original which summed raw occurrences): within a category each phrase counts at
//! most once however often it repeats, and a category counts at most `MAX_HITS_PER_CATEGORY` distinct phrases,
//! so "done done done done" adds 0.3, not enough to saturate the score. A phrase preceded by a negator in the same
//! clause ("not working", "isn't fixed", "never tested") does not count. Matching is whole-word (see `words`).

use std::sync::LazyLock;

use super::lists;
use super::words::{PhraseSet, Words};

const MIN_QUALITY: f32 = 0.1;
const MAX_QUALITY: f32 = 3.0;
/// Most distinct phrases one category can contribute.
const MAX_HITS_PER_CATEGORY: usize = 3;
/// Words before a phrase searched for a negator.
const NEGATION_WINDOW: usize = 2;

/// Tools whose use means the assistant changed something.
const MODIFYING_TOOLS: [&str; 5] = ["Edit", "Write", "MultiEdit", "Bash", "NotebookEdit"];

/// Symbol markers of success (matched as characters, since they are not words).
const SUCCESS_SYMBOLS: &[char] = &['✅', '✔', '☑'];

/// Score added per distinct phrase of each category.
const CATEGORY_WEIGHTS: [f32; 4] = [0.3, 0.4, 0.5, 0.4];

/// Every phrase of every category, with its category index.
static PHRASES: LazyLock<(PhraseSet, Vec<usize>)> = LazyLock::new(|| {
    // The categories, in order: success markers, quality indicators, implementation success, code success.
    let tagged: Vec<(usize, &str)> = lists::QUALITY
        .into_iter()
        .enumerate()
        .flat_map(|(c, list)| lists::entries(list).map(move |p| (c, p)))
        .collect();
    let set = PhraseSet::new(tagged.iter().map(|(_, p)| *p));
    (set, tagged.into_iter().map(|(c, _)| c).collect())
});

/// Per category: distinct phrases present without negation (uncapped).
fn category_hits(words: &Words<'_>) -> [usize; 4] {
    let (set, category_of) = &*PHRASES;
    let mut hits = [0; 4];
    words.visit_matches(set, |i, found| {
        if found.iter().any(|&p| !words.is_negated(p, NEGATION_WINDOW)) {
            if let Some(h) = category_of.get(i).and_then(|&c| hits.get_mut(c)) {
                *h += 1;
            }
        }
    });
    hits
}

/// The quality score of a message, in [`MIN_QUALITY`, `MAX_QUALITY`], for `text`, whose words are already
/// indexed in `words`.
pub fn solution_quality_in(
    text: &str,
    words: &Words<'_>,
    tools_used: &[String],
    has_code: bool,
) -> f32 {
    let mut hits = category_hits(words);
    // Symbol markers count as success markers.
    hits[0] += SUCCESS_SYMBOLS
        .iter()
        .filter(|c| text.contains(**c))
        .count();

    let mut score = 1.0_f32;
    for (n, weight) in hits.iter().zip(CATEGORY_WEIGHTS) {
        score += weight * (*n).min(MAX_HITS_PER_CATEGORY) as f32;
    }
    if has_code {
        score += 0.2;
    }
    if tools_used
        .iter()
        .any(|t| MODIFYING_TOOLS.contains(&t.as_str()))
    {
        score += 0.3;
    }
    // Cheap upper bound first: byte length >= char count.
    if text.len() > 500 {
        let chars = text.chars().count();
        if chars > 500 {
            score += 0.1;
        }
        if chars > 1500 {
            score += 0.1;
        }
    }
    score.clamp(MIN_QUALITY, MAX_QUALITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solution_quality(text: &str, tools_used: &[String], has_code: bool) -> f32 {
        super::super::words::with_words(text, |words| {
            solution_quality_in(text, words, tools_used, has_code)
        })
    }

    fn q(text: &str) -> f32 {
        solution_quality(text, &[], false)
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-5
    }

    #[test]
    fn baseline_is_one() {
        assert!(close(q(""), 1.0));
        assert!(close(q("Let me look at the file."), 1.0));
    }

    #[test]
    fn categories_add_their_weights() {
        assert!(close(q("Fixed."), 1.3));
        assert!(close(q("✅ fixed"), 1.6));
        assert!(close(q("I verified it."), 1.4));
        assert!(close(q("The parser now works."), 1.5 + 0.3)); // "now works" + "works"
        assert!(close(q("It compiles."), 1.4));
        assert!(close(solution_quality("x", &[], true), 1.2));
        assert!(close(
            solution_quality("x", &["Edit".to_string()], false),
            1.3
        ));
        assert!(close(
            solution_quality("x", &["Read".to_string(), "Grep".to_string()], false),
            1.0
        ));
    }

    #[test]
    fn whole_words_only() {
        // "undone", "prefixed", "networking" must not count as "done", "fixed", "working".
        assert!(close(q("undone prefixed networking retested"), 1.0));
    }

    #[test]
    fn negated_markers_do_not_count() {
        assert!(close(q("This is not working and not fixed."), 1.0));
        assert!(close(q("It was never tested."), 1.0));
    }

    #[test]
    fn repetition_is_capped() {
        assert!(close(q("done done done done done done"), 1.3));
        // Distinct phrases are capped at three per category.
        assert!(close(
            q("fixed working done resolved passes solved"),
            1.0 + 0.3 * 3.0
        ));
    }

    #[test]
    fn length_bonus_uses_characters() {
        assert!(close(q(&"a ".repeat(300)), 1.1));
        assert!(close(q(&"a ".repeat(800)), 1.2));
        // 400 two-byte characters are 800 bytes but only 400 characters.
        assert!(close(q(&"é".repeat(400)), 1.0));
    }

    #[test]
    fn clamped_to_range() {
        let text = format!(
            "✅ Fixed, done, resolved. Tested and verified: all tests pass, no warnings. Successfully implemented; \
             it now works and works as expected. It compiles, build succeeded, no type errors. {}",
            "more text ".repeat(200)
        );
        let tools = vec!["Edit".to_string(), "Bash".to_string()];
        let score = solution_quality(&text, &tools, true);
        assert_eq!(score, MAX_QUALITY);
        for s in [q(""), q("🎉"), q(&"x".repeat(200_000)), score] {
            assert!((MIN_QUALITY..=MAX_QUALITY).contains(&s));
        }
    }

    #[test]
    fn every_phrase_is_in_the_vocabulary() {
        assert!(PHRASES.0.is_fully_indexed());
    }
}
