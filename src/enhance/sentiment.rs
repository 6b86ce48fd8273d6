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

use super::lists;
use super::words::{phrase_len, PhraseSet, Words};
use crate::message::{FeedbackSignal, Sentiment};

/// Words before a positive phrase searched for a negator.
pub const NEGATION_WINDOW: usize = 2;

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
    let scored = [
        (lists::POSITIVE, Label::Positive),
        (lists::NEGATIVE, Label::Negative),
        (lists::PARTIAL, Label::Partial),
    ];
    let non_judging = lists::entries(lists::NON_JUDGING).map(|text| (text, Label::NonJudging, 0));
    let mut all: Vec<(&str, Entry)> = scored
        .into_iter()
        .flat_map(|(list, label)| {
            lists::weighted(list).map(move |(text, strength)| (text, label, strength))
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

/// Classifies a human message's reaction (see the module docs for the rule), from its words, already indexed.
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

    fn feedback(text: &str) -> FeedbackSignal {
        super::super::words::with_words(text, feedback_in)
    }

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
