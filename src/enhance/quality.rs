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
//! and clamp to [[`MIN_QUALITY`], [`MAX_QUALITY`]].
//!
//! Caps (our choice, unlike the original which summed raw occurrences): within a category each phrase counts at
//! most once however often it repeats, and a category counts at most [`MAX_HITS_PER_CATEGORY`] distinct phrases,
//! so "done done done done" adds 0.3, not enough to saturate the score. A phrase preceded by a negator in the same
//! clause ("not working", "isn't fixed", "never tested") does not count. Matching is whole-word (see `words`).

use std::sync::LazyLock;

use super::words::{phrases, with_words, Phrase, Words};

pub const MIN_QUALITY: f32 = 0.1;
pub const MAX_QUALITY: f32 = 3.0;
/// Most distinct phrases one category can contribute.
pub const MAX_HITS_PER_CATEGORY: usize = 3;
/// Words before a phrase searched for a negator.
const NEGATION_WINDOW: usize = 2;

/// Tools whose use means the assistant changed something.
pub const MODIFYING_TOOLS: [&str; 5] = ["Edit", "Write", "MultiEdit", "Bash", "NotebookEdit"];

/// Symbol markers of success (matched as characters, since they are not words).
const SUCCESS_SYMBOLS: &[char] = &['✅', '✔', '☑'];

const SUCCESS_MARKERS: &[&str] = &[
    "fixed",
    "working",
    "works",
    "done",
    "resolved",
    "passes",
    "passing",
    "passed",
    "success",
    "successful",
    "succeeded",
    "solved",
    "complete",
    "completed",
];

const QUALITY_INDICATORS: &[&str] = &[
    "tested",
    "verified",
    "validated",
    "confirmed",
    "all tests pass",
    "all tests passed",
    "all tests passing",
    "tests pass",
    "tests passed",
    "tests are passing",
    "no errors",
    "no warnings",
    "zero warnings",
    "edge cases",
    "best practice",
    "best practices",
    "well-tested",
    "production-ready",
    "type-safe",
    "error handling",
];

const IMPLEMENTATION_SUCCESS: &[&str] = &[
    "successfully implemented",
    "successfully added",
    "successfully created",
    "successfully updated",
    "successfully fixed",
    "successfully refactored",
    "successfully integrated",
    "successfully migrated",
    "now works",
    "now working",
    "works now",
    "is now working",
    "now correctly",
    "works correctly",
    "working correctly",
    "works as expected",
    "working as expected",
    "implementation is complete",
    "implementation complete",
    "feature is complete",
    "is now fixed",
    "has been fixed",
    "has been resolved",
];

const CODE_SUCCESS: &[&str] = &[
    "compiles",
    "compiled successfully",
    "compiles cleanly",
    "compiles without errors",
    "build succeeded",
    "build successful",
    "build passes",
    "build passed",
    "builds successfully",
    "builds cleanly",
    "clean build",
    "no compilation errors",
    "no compile errors",
    "type checks",
    "typechecks",
    "type-checks",
    "lint passes",
    "clippy is clean",
    "no type errors",
];

static PREPARED: LazyLock<[Vec<Phrase>; 4]> = LazyLock::new(|| {
    [
        phrases(SUCCESS_MARKERS),
        phrases(QUALITY_INDICATORS),
        phrases(IMPLEMENTATION_SUCCESS),
        phrases(CODE_SUCCESS),
    ]
});

/// Distinct phrases of `phrases` present in `words` without negation, capped.
fn hits(words: &Words<'_>, phrases: &[Phrase]) -> usize {
    phrases
        .iter()
        .filter(|p| words.contains_unnegated(p, NEGATION_WINDOW))
        .count()
        .min(MAX_HITS_PER_CATEGORY)
}

/// The quality score of a message, in [[`MIN_QUALITY`], [`MAX_QUALITY`]].
pub fn solution_quality(text: &str, tools_used: &[String], has_code: bool) -> f32 {
    let [success_p, quality_p, implementation_p, code_p] = &*PREPARED;
    let (success, quality, implementation, code) = with_words(text, |w| {
        (
            hits(w, success_p),
            hits(w, quality_p),
            hits(w, implementation_p),
            hits(w, code_p),
        )
    });
    let symbols = SUCCESS_SYMBOLS
        .iter()
        .filter(|c| text.contains(**c))
        .count();
    let success = (success + symbols).min(MAX_HITS_PER_CATEGORY);

    let mut score = 1.0_f32;
    score += 0.3 * success as f32;
    score += 0.4 * quality as f32;
    score += 0.5 * implementation as f32;
    score += 0.4 * code as f32;
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
}
