//! The built-in phrase lists, kept as data files under `src/enhance/lists/` and compiled in. One phrase per line;
//! a line starting with `#` is a comment; blank lines are skipped. A weighted or paired list writes `phrase | value`.
//!
//! A leaf: it names no module. [`all_phrases`] is what the shared word vocabulary is built from, so adding a phrase
//! to a file is all it takes.

/// Topic names, in definition order, with their keyword files.
pub const TOPICS: [(&str, &str); 12] = [
    ("debugging", include_str!("lists/topics/debugging.txt")),
    ("performance", include_str!("lists/topics/performance.txt")),
    (
        "authentication",
        include_str!("lists/topics/authentication.txt"),
    ),
    ("deployment", include_str!("lists/topics/deployment.txt")),
    ("testing", include_str!("lists/topics/testing.txt")),
    ("styling", include_str!("lists/topics/styling.txt")),
    ("database", include_str!("lists/topics/database.txt")),
    ("api", include_str!("lists/topics/api.txt")),
    (
        "state_management",
        include_str!("lists/topics/state_management.txt"),
    ),
    (
        "configuration",
        include_str!("lists/topics/configuration.txt"),
    ),
    ("framework", include_str!("lists/topics/framework.txt")),
    ("devtools", include_str!("lists/topics/devtools.txt")),
];

/// Solution-quality categories: success markers, quality indicators, implementation success, code success.
pub const QUALITY: [&str; 4] = [
    include_str!("lists/quality/success_markers.txt"),
    include_str!("lists/quality/quality_indicators.txt"),
    include_str!("lists/quality/implementation_success.txt"),
    include_str!("lists/quality/code_success.txt"),
];

/// Sentiment phrases with their strength (`phrase | strength`).
pub const POSITIVE: &str = include_str!("lists/sentiment/positive.txt");
pub const NEGATIVE: &str = include_str!("lists/sentiment/negative.txt");
pub const PARTIAL: &str = include_str!("lists/sentiment/partial.txt");
/// Phrases that cover their words and score nothing ("works on my machine" is not praise).
pub const NON_JUDGING: &str = include_str!("lists/sentiment/non_judging.txt");

/// Solution-attempt signals.
pub const STRONG_PHRASES: &str = include_str!("lists/solution/strong_phrases.txt");
/// `verb | particle` pairs: "change the timeout to 30".
pub const VERB_PARTICLES: &str = include_str!("lists/solution/verb_particles.txt");
pub const FIX_VERBS: &str = include_str!("lists/solution/fix_verbs.txt");
pub const IMPERATIVE_VERBS: &str = include_str!("lists/solution/imperative_verbs.txt");
pub const RECOMMENDATIONS: &str = include_str!("lists/solution/recommendations.txt");
pub const CAUSES: &str = include_str!("lists/solution/causes.txt");
pub const OUTCOMES: &str = include_str!("lists/solution/outcomes.txt");
pub const NARRATION_OPENERS: &str = include_str!("lists/solution/narration_openers.txt");
pub const CONFIG_MARKERS: &str = include_str!("lists/solution/config_markers.txt");
/// Code-fence languages that mark a configuration snippet (not phrases: matched against a fence's tag).
pub const CONFIG_FENCE_LANGS: &str = include_str!("lists/solution/config_fence_langs.txt");
pub const DEBUG_MARKERS: &str = include_str!("lists/solution/debug_markers.txt");
pub const APPROACH_MARKERS: &str = include_str!("lists/solution/approach_markers.txt");

/// The entries of a list file, in order.
pub fn entries(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The entries of a `phrase | value` file, split (an entry without `|` has an empty value).
pub fn pairs(list: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    entries(list).map(|e| match e.split_once('|') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (e, ""),
    })
}

/// The entries of a `phrase | number` file; a value that is not a number counts 0 (the unit test rejects it).
pub fn weighted(list: &'static str) -> impl Iterator<Item = (&'static str, u32)> {
    pairs(list).map(|(p, w)| (p, w.parse().unwrap_or(0)))
}

/// Every phrase of every list that is matched against text (both halves of a pair), for the word vocabulary.
pub fn all_phrases() -> impl Iterator<Item = &'static str> {
    let plain = [
        NON_JUDGING,
        STRONG_PHRASES,
        FIX_VERBS,
        IMPERATIVE_VERBS,
        RECOMMENDATIONS,
        CAUSES,
        OUTCOMES,
        NARRATION_OPENERS,
        CONFIG_MARKERS,
        DEBUG_MARKERS,
        APPROACH_MARKERS,
    ];
    let topics = TOPICS.into_iter().flat_map(|(_, list)| entries(list));
    let quality = QUALITY.into_iter().flat_map(entries);
    let plain = plain.into_iter().flat_map(entries);
    let scored = [POSITIVE, NEGATIVE, PARTIAL]
        .into_iter()
        .flat_map(|l| pairs(l).map(|(p, _)| p));
    let particles = pairs(VERB_PARTICLES).flat_map(|(v, p)| [v, p]);
    topics
        .chain(quality)
        .chain(plain)
        .chain(scored)
        .chain(particles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_is_well_formed() {
        for (name, list) in TOPICS {
            assert!(entries(list).count() >= 20, "{name}");
        }
        for list in [POSITIVE, NEGATIVE, PARTIAL] {
            for (phrase, weight) in pairs(list) {
                assert!(!phrase.is_empty(), "{phrase:?}");
                assert!(
                    weight.parse::<u32>().is_ok_and(|w| (1..=3).contains(&w)),
                    "{phrase}: {weight:?}"
                );
            }
        }
        for (verb, particle) in pairs(VERB_PARTICLES) {
            assert!(
                !verb.contains(' ') && !particle.is_empty() && !particle.contains(' '),
                "{verb} | {particle}"
            );
        }
        for e in all_phrases() {
            assert!(!e.contains('|'), "a stray separator: {e:?}");
            assert_eq!(e, e.trim());
        }
    }

    #[test]
    fn comments_and_blank_lines_are_not_entries() {
        const SAMPLE: &str = "# heading\n\nfix it\n  # indented comment\nworks | 3\n";
        assert_eq!(entries(SAMPLE).collect::<Vec<_>>(), ["fix it", "works | 3"]);
        assert_eq!(
            weighted(SAMPLE).collect::<Vec<_>>(),
            [("fix it", 0), ("works", 3)]
        );
    }
}
