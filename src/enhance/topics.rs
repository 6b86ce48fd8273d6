//! Topic detection: the twelve topics of the original system, scored by whole-word keyword density.
//!
//! Rule (the original one, with whole-word matching instead of substring matching): a topic's score is the sum of
//! its keyword counts, a multi-word keyword counting double, divided by `word_count * 0.01` (hits per hundred
//! words), capped at `MAX_SCORE`. Topics scoring more than `MIN_SCORE` are kept, with confidence
//! `score / MAX_SCORE`, sorted by confidence descending then topic name ascending.
//!
//! Keywords are lowercase; apostrophes are written without them ("doesnt"), and a keyword such as "next.js"
//! matches the words `next` `js`. Ambiguous words in this domain (bare "token", "session", "index", "pipeline",
//! which in Claude Code conversations usually mean something else) are only listed inside longer phrases.

use std::sync::LazyLock;

use super::lists;
use super::words::{PhraseSet, Words};
use crate::message::TopicScore;

/// Score cap.
const MAX_SCORE: f32 = 2.0;
/// Topics must score strictly more than this to be kept.
const MIN_SCORE: f32 = 0.1;

/// The valid topic names, in definition order.
pub const TOPICS: [&str; 12] = [
    "debugging",
    "performance",
    "authentication",
    "deployment",
    "testing",
    "styling",
    "database",
    "api",
    "state_management",
    "configuration",
    "framework",
    "devtools",
];

/// The keywords of topic `topic_index` (its file under `lists/topics/`).
fn keywords(topic_index: usize) -> impl Iterator<Item = &'static str> {
    let list = lists::TOPICS.get(topic_index).map_or("", |(_, list)| *list);
    lists::entries(list)
}

/// Every keyword of every topic, with the index of its topic in [`TOPICS`].
static KEYWORDS: LazyLock<(PhraseSet, Vec<usize>)> = LazyLock::new(|| {
    let tagged: Vec<(usize, &str)> = (0..TOPICS.len())
        .flat_map(|t| keywords(t).map(move |k| (t, k)))
        .collect();
    let set = PhraseSet::new(tagged.iter().map(|(_, k)| *k));
    (set, tagged.into_iter().map(|(t, _)| t).collect())
});

/// Keyword hits per topic: each match counts 1, or 2 for a multi-word keyword.
fn weighted_hits(words: &Words<'_>) -> [usize; TOPICS.len()] {
    let (set, topic_of) = &*KEYWORDS;
    let mut hits = [0; TOPICS.len()];
    words.visit_matches(set, |i, found| {
        let (Some(&topic), Some(phrase)) = (topic_of.get(i), set.phrases().get(i)) else {
            return;
        };
        let weight = if phrase.is_multi_word() { 2 } else { 1 };
        if let Some(h) = hits.get_mut(topic) {
            *h += weight * found.len();
        }
    });
    hits
}

/// Scores every topic in an already indexed text (see the module docs for the rule).
pub fn detect_in(words: &Words<'_>) -> Vec<TopicScore> {
    if words.is_empty() {
        return Vec::new();
    }
    // hits / (word_count * 0.01), computed as hits * 100 / word_count to avoid rounding 0.01.
    let word_count = words.len() as f32;
    let mut out: Vec<TopicScore> = TOPICS
        .iter()
        .zip(weighted_hits(words))
        .filter_map(|(topic, hits)| {
            let score = (hits as f32 * 100.0 / word_count).min(MAX_SCORE);
            (score > MIN_SCORE).then(|| TopicScore {
                topic: (*topic).to_string(),
                confidence: score / MAX_SCORE,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then_with(|| a.topic.cmp(&b.topic))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> Vec<TopicScore> {
        super::super::words::with_words(text, detect_in)
    }

    #[test]
    fn every_topic_has_its_keyword_file() {
        let names: Vec<&str> = lists::TOPICS.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, TOPICS);
    }

    fn topics(text: &str) -> Vec<String> {
        detect(text).into_iter().map(|t| t.topic).collect()
    }

    fn confidence(text: &str, topic: &str) -> Option<f32> {
        detect(text)
            .into_iter()
            .find(|t| t.topic == topic)
            .map(|t| t.confidence)
    }

    #[test]
    fn auth_does_not_match_author() {
        assert!(
            !topics("The author of this book wrote a great novel about authors")
                .contains(&"authentication".into())
        );
        assert!(topics("The auth middleware rejects the login").contains(&"authentication".into()));
    }

    #[test]
    fn multi_word_keywords_count_double() {
        // 200 words of filler plus one keyword: single-word counts 1 hit, multi-word counts 2.
        let filler = "lorem ".repeat(198);
        let single = confidence(&format!("{filler} traceback here"), "debugging");
        let multi = confidence(&format!("{filler} stack trace"), "debugging");
        let (Some(single), Some(multi)) = (single, multi) else {
            panic!("debugging not detected")
        };
        assert!((single - 0.5 / MAX_SCORE).abs() < 1e-4, "single {single}");
        assert!((multi - 1.0 / MAX_SCORE).abs() < 1e-4, "multi {multi}");
    }

    #[test]
    fn ordering_by_confidence_then_name() {
        let text = format!("{} jest test tests database", "lorem ".repeat(96));
        let got = detect(&text);
        let names: Vec<&str> = got.iter().map(|t| t.topic.as_str()).collect();
        assert_eq!(names, ["testing", "database"]);
        assert!(got[0].confidence > got[1].confidence);

        // Equal scores: alphabetical.
        let tie = format!("{} redis docker", "lorem ".repeat(98));
        let names: Vec<String> = topics(&tie);
        assert_eq!(names, ["database", "deployment"]);
    }

    #[test]
    fn score_is_capped_and_threshold_applied() {
        let got = detect("debug this bug error");
        assert_eq!(got[0].topic, "debugging");
        assert_eq!(got[0].confidence, 1.0);
        // One hit in 1000 words scores 0.1, which is not more than the threshold.
        let sparse = format!("{} docker", "lorem ".repeat(999));
        assert!(topics(&sparse).is_empty());
    }

    #[test]
    fn empty_and_weird_input() {
        assert!(detect("").is_empty());
        assert!(detect("   \n\t ✅🎉 ").is_empty());
        assert!(detect("日本語のテキスト").is_empty());
        for t in detect(&"Kubernetes, Docker and React! ".repeat(5000)) {
            assert!((0.0..=1.0).contains(&t.confidence));
            assert!(TOPICS.contains(&t.topic.as_str()));
        }
    }

    #[test]
    fn keywords_are_normalized() {
        for i in 0..TOPICS.len() {
            for k in keywords(i) {
                assert_eq!(
                    *k,
                    super::super::words::normalize(k),
                    "keyword {k:?} must be lowercase"
                );
                assert!(
                    !crate::enhance::words::Phrase::new(k).is_empty(),
                    "keyword {k:?} has no words"
                );
            }
        }
    }

    #[test]
    fn no_duplicate_keywords_within_a_topic() {
        for (i, topic) in TOPICS.iter().enumerate() {
            let mut seen = std::collections::BTreeSet::new();
            for k in keywords(i) {
                assert!(seen.insert(k), "duplicate keyword {k:?} in {topic}");
            }
        }
    }

    #[test]
    fn every_phrase_is_in_the_vocabulary() {
        assert!(KEYWORDS.0.is_fully_indexed());
    }
}
