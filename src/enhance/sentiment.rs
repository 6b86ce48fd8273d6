//! Feedback sentiment: how a human message reacts to the assistant's preceding solution attempt.
//!
//! Phrases are listed per label (positive, negative, partial) with a strength of 3 (strong), 2 (medium) or 1
//! (weak). Matching is whole-word and case-insensitive, with apostrophe variants unified ("doesn’t" = "doesn't" =
//! "doesnt"). Longer phrases are matched first and the words they cover are not matched again, so "doesn't work"
//! scores as one negative phrase and its "work" is never counted as positive. A positive phrase with a negator up to
//! [`NEGATION_WINDOW`] words before it in the same clause ("this is not really working") counts for the negative
//! label instead.
//!
//! Label: the largest total; a tie between positive and negative, or any tie with partial, is partial (mixed
//! feedback). Strength: `min(total / 3, 1)` for positive and negative, `min(total / 2, 1)` for partial, using the
//! winning label's total. Confidence: `min(sum of all totals / 5, 1)`. Nothing matched: neutral, 0, 0.

use std::sync::LazyLock;

use super::words::{phrase_len, with_words, PhraseSet, Words};
use crate::message::{FeedbackSignal, Sentiment};

/// Words before a positive phrase searched for a negator.
pub const NEGATION_WINDOW: usize = 2;

/// Apostrophes may be written or not: phrases are normalized like the text (apostrophes removed).
const POSITIVE: &[(&str, u32)] = &[
    // strong
    ("that works", 3),
    ("it works", 3),
    ("this works", 3),
    ("works now", 3),
    ("working now", 3),
    ("now works", 3),
    ("now it works", 3),
    ("its working", 3),
    ("it's working now", 3),
    ("perfect", 3),
    ("perfectly", 3),
    ("fixed it", 3),
    ("that fixed it", 3),
    ("that did it", 3),
    ("thanks that did it", 3),
    ("did the trick", 3),
    ("works perfectly", 3),
    ("works great", 3),
    ("works like a charm", 3),
    ("problem solved", 3),
    ("solved it", 3),
    ("awesome", 3),
    ("excellent", 3),
    ("exactly what i needed", 3),
    ("exactly what i wanted", 3),
    ("all tests pass", 3),
    ("all tests passing", 3),
    ("tests pass now", 3),
    ("nailed it", 3),
    ("great job", 3),
    ("well done", 3),
    ("love it", 3),
    ("brilliant", 3),
    ("flawless", 3),
    ("it worked", 3),
    ("that worked", 3),
    ("worked perfectly", 3),
    ("still works", 2),
    ("still working", 2),
    // medium
    ("great", 2),
    ("thanks", 2),
    ("thank you", 2),
    ("nice", 2),
    ("good job", 2),
    ("looks good", 2),
    ("looks great", 2),
    ("lgtm", 2),
    ("fixed", 2),
    ("resolved", 2),
    ("solved", 2),
    ("success", 2),
    ("successful", 2),
    ("that helped", 2),
    ("helpful", 2),
    ("much better", 2),
    ("no errors", 2),
    ("no more errors", 2),
    ("no error", 2),
    ("without errors", 2),
    ("error is gone", 2),
    ("errors are gone", 2),
    ("amazing", 2),
    ("tests pass", 2),
    ("worked", 2),
    ("no problems", 2),
    // weak
    ("works", 1),
    ("working", 1),
    ("good", 1),
    ("ok", 1),
    ("okay", 1),
    ("better", 1),
    ("helps", 1),
    ("cool", 1),
    ("yes", 1),
    ("yep", 1),
    ("correct", 1),
    ("thx", 1),
    ("ty", 1),
    ("not bad", 1),
    ("no problem", 1),
];

const NEGATIVE: &[(&str, u32)] = &[
    // strong
    ("still broken", 3),
    ("doesnt work", 3),
    ("does not work", 3),
    ("didnt work", 3),
    ("did not work", 3),
    ("dont work", 3),
    ("doesnt seem to work", 3),
    ("same error", 3),
    ("same issue", 3),
    ("same problem", 3),
    ("same result", 3),
    ("still failing", 3),
    ("still fails", 3),
    ("still not working", 3),
    ("still doesnt work", 3),
    ("still getting", 3),
    ("still seeing", 3),
    ("still happening", 3),
    ("still the same", 3),
    ("still an error", 3),
    ("thats wrong", 3),
    ("thats not right", 3),
    ("not working", 3),
    ("isnt working", 3),
    ("is not working", 3),
    ("not fixed", 3),
    ("broke everything", 3),
    ("made it worse", 3),
    ("nothing changed", 3),
    ("no change", 3),
    ("completely wrong", 3),
    ("not what i asked", 3),
    ("not what i wanted", 3),
    ("wrong again", 3),
    ("didnt fix", 3),
    ("did not fix", 3),
    ("doesnt fix", 3),
    ("didnt help", 3),
    ("still wrong", 3),
    // medium
    ("broken", 2),
    ("wrong", 2),
    ("incorrect", 2),
    ("error", 2),
    ("errors", 2),
    ("fails", 2),
    ("failed", 2),
    ("failing", 2),
    ("failure", 2),
    ("crash", 2),
    ("crashes", 2),
    ("crashed", 2),
    ("worse", 2),
    ("nope", 2),
    ("revert", 2),
    ("undo", 2),
    ("ugh", 2),
    ("doesnt", 2),
    ("didnt", 2),
    ("exception", 2),
    ("bug", 2),
    // weak
    ("no", 1),
    ("hmm", 1),
    ("problem", 1),
    ("issue", 1),
    ("still", 1),
    ("no thanks", 1),
];

/// Phrases that mention working or failing without judging it (questions, doubts, goals). They score nothing but
/// cover their words, so "not sure it works" or "does it work?" is not read as feedback.
const NON_JUDGING: &[&str] = &[
    "not sure if it works",
    "not sure it works",
    "not sure if that works",
    "not sure that works",
    "not sure if this works",
    "not sure if it worked",
    "does it work",
    "does that work",
    "does this work",
    "did it work",
    "did that work",
    "is it working",
    "is that working",
    "is this working",
    "how it works",
    "how does it work",
    "how this works",
    "how that works",
    "if it works",
    "whether it works",
    "make it work",
    "get it working",
    "will it work",
    "would that work",
    "would it work",
    "would this work",
    "what went wrong",
    "what is wrong",
    "whats wrong",
    "no idea",
];

const PARTIAL: &[(&str, u32)] = &[
    // strong
    ("almost", 3),
    ("almost there", 3),
    ("partially", 3),
    ("partly", 3),
    ("mostly works", 3),
    ("mostly working", 3),
    ("better but", 3),
    ("closer", 3),
    ("getting closer", 3),
    ("half working", 3),
    ("some progress", 3),
    ("sort of works", 3),
    ("kind of works", 3),
    ("kinda works", 3),
    ("works but", 3),
    ("working but", 3),
    ("not quite", 3),
    ("close but", 3),
    // medium
    ("progress", 2),
    ("improvement", 2),
    ("improved", 2),
    ("some of", 2),
    ("mostly", 2),
    ("except", 2),
    ("only some", 2),
    // weak
    ("somewhat", 1),
    ("kinda", 1),
    ("sort of", 1),
    ("kind of", 1),
];

/// Every phrase of every list (for the shared [`Vocabulary`](super::words::Vocabulary)).
pub(crate) fn vocabulary() -> impl Iterator<Item = &'static str> {
    let scored = [POSITIVE, NEGATIVE, PARTIAL].into_iter().flatten();
    scored
        .map(|(text, _)| *text)
        .chain(NON_JUDGING.iter().copied())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Label {
    Positive,
    Negative,
    Partial,
    /// Covers its words, scores nothing.
    NonJudging,
}

struct Entry {
    /// Length in words.
    len: usize,
    label: Label,
    strength: u32,
}

/// Every phrase, longest (in words) first; ties keep the list order (positive, negative, partial). The set and the
/// entries are parallel.
static PHRASES: LazyLock<(PhraseSet, Vec<Entry>)> = LazyLock::new(|| {
    let lists = [
        (POSITIVE, Label::Positive),
        (NEGATIVE, Label::Negative),
        (PARTIAL, Label::Partial),
    ];
    let non_judging = NON_JUDGING.iter().map(|text| (*text, Label::NonJudging, 0));
    let mut all: Vec<(&str, Entry)> = lists
        .iter()
        .flat_map(|(list, label)| {
            list.iter()
                .map(|&(text, strength)| (text, *label, strength))
        })
        .chain(non_judging)
        .map(|(text, label, strength)| {
            let len = phrase_len(text);
            (
                text,
                Entry {
                    len,
                    label,
                    strength,
                },
            )
        })
        .filter(|(_, e)| e.len > 0)
        .collect();
    all.sort_by_key(|(_, e)| std::cmp::Reverse(e.len)); // stable: equal lengths keep list order
    let set = PhraseSet::new(all.iter().map(|(text, _)| *text));
    (set, all.into_iter().map(|(_, e)| e).collect())
});

/// Whether a negator that is not part of another matched phrase precedes `pos` within [`NEGATION_WINDOW`] words
/// of the same clause.
fn is_negated(words: &Words<'_>, covered: &[bool], pos: usize) -> bool {
    let mut j = pos;
    for _ in 0..NEGATION_WINDOW {
        if j == 0 || words.starts_clause(j) {
            return false;
        }
        j -= 1;
        if words.is_negator(j) && !covered.get(j).copied().unwrap_or(false) {
            return true;
        }
    }
    false
}

/// The three label totals (positive, negative, partial) of an indexed text.
fn totals(words: &Words<'_>) -> [u32; 3] {
    let (set, entries) = &*PHRASES;
    let mut covered = vec![false; words.len()];
    let mut totals = [0_u32; 3];
    // Candidates come in set order: longest phrases first.
    words.visit_matches(set, |i, starts| {
        let Some(entry) = entries.get(i) else {
            return;
        };
        for &start in starts {
            let range = start..start + entry.len;
            let free = covered
                .get(range.clone())
                .is_some_and(|span| !span.contains(&true));
            if !free {
                continue;
            }
            let slot = match entry.label {
                Label::Positive if is_negated(words, &covered, start) => Some(1),
                Label::Positive => Some(0),
                Label::Negative => Some(1),
                Label::Partial => Some(2),
                Label::NonJudging => None,
            };
            if let Some(span) = covered.get_mut(range) {
                span.iter_mut().for_each(|c| *c = true);
            }
            if let Some(total) = slot.and_then(|i| totals.get_mut(i)) {
                *total += entry.strength;
            }
        }
    });
    totals
}

/// Classifies a human message's reaction (see the module docs for the rule).
pub fn feedback(text: &str) -> FeedbackSignal {
    with_words(text, feedback_in)
}

/// [`feedback`] of a text whose words are already indexed.
pub fn feedback_in(words: &Words<'_>) -> FeedbackSignal {
    let [pos, neg, partial] = totals(words);
    let max = pos.max(neg).max(partial);
    if max == 0 {
        return FeedbackSignal {
            sentiment: Sentiment::Neutral,
            strength: 0.0,
            confidence: 0.0,
        };
    }
    let sentiment = if partial == max || (pos == max && neg == max) {
        Sentiment::Partial
    } else if neg == max {
        Sentiment::Negative
    } else {
        Sentiment::Positive
    };
    let divisor = if sentiment == Sentiment::Partial {
        2.0
    } else {
        3.0
    };
    let strength = (max as f32 / divisor).min(1.0);
    let total = pos.saturating_add(neg).saturating_add(partial);
    let confidence = (total as f32 / 5.0).min(1.0);
    FeedbackSignal {
        sentiment,
        strength,
        confidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentiment(text: &str) -> Sentiment {
        feedback(text).sentiment
    }

    #[test]
    fn positive() {
        for text in [
            "That works, thanks!",
            "Perfect.",
            "fixed it",
            "Works now 🎉",
            "thanks that did it",
            "LGTM",
        ] {
            assert_eq!(sentiment(text), Sentiment::Positive, "{text:?}");
        }
        let f = feedback("Perfect, that works!");
        assert_eq!(f.strength, 1.0);
        assert_eq!(f.confidence, 1.0);
        let weak = feedback("ok");
        assert_eq!(weak.sentiment, Sentiment::Positive);
        assert!((weak.strength - 1.0 / 3.0).abs() < 1e-6);
        assert!((weak.confidence - 0.2).abs() < 1e-6);
    }

    #[test]
    fn negative() {
        for text in [
            "Still broken.",
            "It doesn't work",
            "It doesn’t work",
            "doesnt work",
            "Same error as before",
            "tests still failing",
            "That's wrong",
            "Nope, it crashed",
        ] {
            assert_eq!(sentiment(text), Sentiment::Negative, "{text:?}");
        }
    }

    #[test]
    fn negation() {
        assert_eq!(sentiment("this is not working"), Sentiment::Negative);
        assert_eq!(sentiment("This is NOT really working"), Sentiment::Negative);
        assert_eq!(sentiment("that isn't perfect"), Sentiment::Negative);
        assert_eq!(sentiment("didn't work at all"), Sentiment::Negative);
        // Doubts and questions are not feedback.
        assert_eq!(
            sentiment("I'm not sure it works, can you check?"),
            Sentiment::Neutral
        );
        assert_eq!(sentiment("does it work on windows?"), Sentiment::Neutral);
        // The negator is in another clause.
        assert_eq!(sentiment("No, wait. It works now!"), Sentiment::Positive);
        // "no errors" is a positive phrase, not a negated negative.
        assert_eq!(sentiment("No errors anymore, great"), Sentiment::Positive);
    }

    #[test]
    fn covered_words_are_not_double_counted() {
        // "doesn't work" (3) must not also count "doesnt" (2): total 3, confidence 3/5.
        let f = feedback("doesn't work");
        assert_eq!(f.sentiment, Sentiment::Negative);
        assert!((f.confidence - 0.6).abs() < 1e-6, "{f:?}");
    }

    #[test]
    fn partial() {
        for text in [
            "Almost there",
            "It partially works",
            "Better but the header is still off",
            "closer!",
            "It mostly works",
        ] {
            assert_eq!(sentiment(text), Sentiment::Partial, "{text:?}");
        }
        let f = feedback("almost");
        assert_eq!(f.strength, 1.0);
    }

    #[test]
    fn mixed_tie_is_partial() {
        // "perfect" (3) vs "same error" (3).
        assert_eq!(
            sentiment("perfect for the first case, same error on the second"),
            Sentiment::Partial
        );
    }

    #[test]
    fn neutral() {
        for text in [
            "",
            "Can you also add a README?",
            "🎉",
            "日本語",
            "What does the author think about authorization?",
        ] {
            let f = feedback(text);
            assert_eq!(f.sentiment, Sentiment::Neutral, "{text:?}");
            assert_eq!(f.strength, 0.0);
            assert_eq!(f.confidence, 0.0);
        }
    }

    #[test]
    fn whole_words_only() {
        // "greatest" / "perfection" / "okays" are not "great" / "perfect" / "ok".
        assert_eq!(
            sentiment("the greatest perfection okays"),
            Sentiment::Neutral
        );
    }

    #[test]
    fn ranges_hold_on_long_input() {
        let f = feedback(&"thanks that works, but same error again. ".repeat(5000));
        assert!((0.0..=1.0).contains(&f.strength));
        assert!((0.0..=1.0).contains(&f.confidence));
    }

    #[test]
    fn every_phrase_is_in_the_vocabulary() {
        assert!(PHRASES.0.is_fully_indexed());
    }
}
