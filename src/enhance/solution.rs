//! Solution-attempt detection for assistant messages, and the kind of solution attempted.
//!
//! The original system defined these rules but never applied them; here they are applied. A message is an attempt
//! when one of these holds:
//! 1. a strong marker: a code fence, an edit tool (Edit, Write, MultiEdit, NotebookEdit), an install/run command
//!    ("npm install", "pip install", ...), "try this", "here's the fix", "the fix is", a report of a change made
//!    ("I've fixed", "I've updated", ...), "change X to", "replace X with", ...;
//! 2. solution language from at least `MIN_LANGUAGE_CATEGORIES` of the categories fix verbs, recommendations,
//!    cause explanations, outcomes and imperative clauses ("Set X ...", "Run ..."), in a message of at least
//!    `MIN_LANGUAGE_WORDS` words that is not a short narration of what the assistant is about to do
//!    ("Let me ...", "I'll ...", "Now let me ...");
//! 3. code ([`has_code`](super::code::has_code)) and more than `MIN_CODE_CHARS` characters, or inline code with
//!    code punctuation plus one solution-language category and more than `MIN_CODE_CHARS` characters.
//!
//! The category, first match wins: [`SolutionCategory::ConfigChange`] when configuration dominates (a config-language
//! fence such as ```` ```toml ````, two distinct config markers, or one without any code signal);
//! [`SolutionCategory::CodeFix`] for an edit tool, a fence or code; [`SolutionCategory::DebuggingStep`] when
//! investigation markers are at least as many as approach markers; [`SolutionCategory::ApproachSuggestion`] for
//! approach markers; else [`SolutionCategory::GeneralSolution`].

use std::sync::LazyLock;

use super::lists;
use super::words::{PhraseSet, Words};
use serde::{Deserialize, Serialize};

/// What kind of solution an assistant message attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolutionCategory {
    CodeFix,
    ConfigChange,
    ApproachSuggestion,
    DebuggingStep,
    GeneralSolution,
}

impl SolutionCategory {
    pub const ALL: [SolutionCategory; 5] = [
        SolutionCategory::CodeFix,
        SolutionCategory::ConfigChange,
        SolutionCategory::ApproachSuggestion,
        SolutionCategory::DebuggingStep,
        SolutionCategory::GeneralSolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SolutionCategory::CodeFix => "code_fix",
            SolutionCategory::ConfigChange => "config_change",
            SolutionCategory::ApproachSuggestion => "approach_suggestion",
            SolutionCategory::DebuggingStep => "debugging_step",
            SolutionCategory::GeneralSolution => "general_solution",
        }
    }
}

/// Distinct solution-language categories needed by rule 2.
const MIN_LANGUAGE_CATEGORIES: usize = 2;
/// Fewest words for rule 2.
const MIN_LANGUAGE_WORDS: usize = 8;
/// Narrations shorter than this many words are not attempts by rule 2.
const NARRATION_MAX_WORDS: usize = 30;
/// Rule 3 needs more than this many characters.
const MIN_CODE_CHARS: usize = 75;

/// Tools that edit files.
const EDIT_TOOLS: [&str; 4] = ["Edit", "Write", "MultiEdit", "NotebookEdit"];

const VERB_PARTICLE_GAP: usize = 5;

/// What a phrase of the combined list signals.
#[derive(Debug, Clone, Copy)]
enum Tag {
    Strong,
    /// A verb that is a strong marker when this particle follows its object.
    VerbParticle(&'static str),
    /// A verb that makes an instruction when it opens a clause.
    Imperative,
    /// A fix verb; `imperative` when it is also in the imperative list (then a clause-opening use does not count).
    FixVerb {
        imperative: bool,
    },
    Recommendation,
    Cause,
    Outcome,
    /// A narration opener, when it opens the message.
    Narration,
    Config,
    Debug,
    Approach,
}

/// Every phrase of every list, with what it signals (a phrase in several lists appears once per list).
static PHRASES: LazyLock<(PhraseSet, Vec<Tag>)> = LazyLock::new(|| {
    let mut tagged: Vec<(&str, Tag)> = Vec::new();
    let mut add =
        |list: &'static str, tag: Tag| tagged.extend(lists::entries(list).map(|p| (p, tag)));
    add(lists::STRONG_PHRASES, Tag::Strong);
    add(lists::IMPERATIVE_VERBS, Tag::Imperative);
    add(lists::RECOMMENDATIONS, Tag::Recommendation);
    add(lists::CAUSES, Tag::Cause);
    add(lists::OUTCOMES, Tag::Outcome);
    add(lists::NARRATION_OPENERS, Tag::Narration);
    add(lists::CONFIG_MARKERS, Tag::Config);
    add(lists::DEBUG_MARKERS, Tag::Debug);
    add(lists::APPROACH_MARKERS, Tag::Approach);
    let imperatives: Vec<&str> = lists::entries(lists::IMPERATIVE_VERBS).collect();
    for verb in lists::entries(lists::FIX_VERBS) {
        let imperative = imperatives.contains(&verb);
        tagged.push((verb, Tag::FixVerb { imperative }));
    }
    for (verb, particle) in lists::pairs(lists::VERB_PARTICLES) {
        tagged.push((verb, Tag::VerbParticle(particle)));
    }
    let set = PhraseSet::new(tagged.iter().map(|(p, _)| *p));
    (set, tagged.into_iter().map(|(_, t)| t).collect())
});

/// What the phrases of one message signal.
#[derive(Debug, Default)]
struct Signals {
    strong: bool,
    imperative: bool,
    fix_verb: bool,
    recommendation: bool,
    cause: bool,
    outcome: bool,
    narration: bool,
    /// Distinct config / debug / approach phrases.
    config: usize,
    debug: usize,
    approach: usize,
}

impl Signals {
    /// Solution-language categories present (rule 2).
    fn language_categories(&self) -> usize {
        [
            self.fix_verb,
            self.recommendation,
            self.cause,
            self.outcome,
            self.imperative,
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

/// Whether `particle` follows the verb at `verb` after an object ("change the timeout to"), in the same clause.
fn particle_follows(words: &Words<'_>, verb: usize, particle: &str) -> bool {
    (1..=VERB_PARTICLE_GAP)
        .take_while(|d| !words.starts_clause(verb + d))
        .any(|d| d >= 2 && words.tokens().get(verb + d) == Some(&particle))
}

fn signals(words: &Words<'_>) -> Signals {
    let (set, tags) = &*PHRASES;
    let mut s = Signals::default();
    words.visit_matches(set, |i, starts| {
        let Some(tag) = tags.get(i) else { return };
        match *tag {
            Tag::Strong => s.strong = true,
            Tag::VerbParticle(particle) => {
                s.strong |= starts.iter().any(|&p| particle_follows(words, p, particle));
            }
            Tag::Imperative => s.imperative |= starts.iter().any(|&p| words.starts_clause(p)),
            Tag::FixVerb { imperative } => {
                s.fix_verb |= starts
                    .iter()
                    .any(|&p| !(imperative && words.starts_clause(p)));
            }
            Tag::Recommendation => s.recommendation = true,
            Tag::Cause => s.cause = true,
            Tag::Outcome => s.outcome = true,
            Tag::Narration => s.narration |= starts.first() == Some(&0),
            Tag::Config => s.config += 1,
            Tag::Debug => s.debug += 1,
            Tag::Approach => s.approach += 1,
        }
    });
    s
}

/// A language tag on a fence line (```` ```toml ````) naming a configuration format.
fn has_config_fence(text: &str) -> bool {
    text.lines().any(|line| {
        let Some(rest) = line.trim_start().strip_prefix("```") else {
            return false;
        };
        let lang = rest.trim().to_ascii_lowercase();
        lists::entries(lists::CONFIG_FENCE_LANGS).any(|l| l == lang)
    })
}

/// Inline code (`` `...` `` on one line) that contains code punctuation, e.g. `` `foo(bar)` `` or `` `x = 1` ``.
fn has_inline_code(text: &str) -> bool {
    text.lines().any(|line| {
        line.split('`').skip(1).step_by(2).any(|span| {
            !span.trim().is_empty()
                && (span.contains(['(', '=', ';', '{', '<', '[']) || span.contains("::"))
        })
    })
}

/// Whether an assistant message is a solution attempt, and of which kind (see the module docs for the rules), for
/// `text`, whose words are already indexed in `words`.
pub fn classify_attempt_in(
    text: &str,
    words: &Words<'_>,
    tools_used: &[String],
    has_code: bool,
) -> Option<SolutionCategory> {
    let edit_tool = tools_used.iter().any(|t| EDIT_TOOLS.contains(&t.as_str()));
    let fenced = super::code::has_fence(text);
    let (s, word_count) = (signals(words), words.len());
    let attempt = fenced || edit_tool || s.strong || {
        let categories = s.language_categories();
        let narration = s.narration && word_count < NARRATION_MAX_WORDS;
        let by_language =
            categories >= MIN_LANGUAGE_CATEGORIES && word_count >= MIN_LANGUAGE_WORDS && !narration;
        let long = text.len() > MIN_CODE_CHARS && text.chars().count() > MIN_CODE_CHARS;
        let by_code = long && (has_code || (categories >= 1 && has_inline_code(text)));
        by_language || by_code
    };
    attempt.then(|| category(text, &s, edit_tool || fenced || has_code))
}

fn category(text: &str, s: &Signals, code_signal: bool) -> SolutionCategory {
    if has_config_fence(text) || s.config >= 2 || (s.config >= 1 && !code_signal) {
        return SolutionCategory::ConfigChange;
    }
    if code_signal {
        return SolutionCategory::CodeFix;
    }
    if s.debug > 0 && s.debug >= s.approach {
        SolutionCategory::DebuggingStep
    } else if s.approach > 0 {
        SolutionCategory::ApproachSuggestion
    } else {
        SolutionCategory::GeneralSolution
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_attempt(
        text: &str,
        tools_used: &[String],
        has_code: bool,
    ) -> Option<SolutionCategory> {
        super::super::words::with_words(text, |words| {
            classify_attempt_in(text, words, tools_used, has_code)
        })
    }

    fn classify(text: &str) -> Option<SolutionCategory> {
        classify_attempt(text, &[], super::super::code::has_code(text))
    }

    fn tools(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn acknowledgements_are_not_attempts() {
        for text in [
            "",
            "Let me look at the file.",
            "I'll check the logs.",
            "Sure!",
            "Let me read the config to understand the structure.",
            "Now let me check the remaining files to make sure everything is consistent.",
            "Good question. I'm not sure yet.",
            "🎉",
        ] {
            assert_eq!(classify(text), None, "{text:?}");
        }
        // Reading tools do not make an attempt.
        assert_eq!(
            classify_attempt("Let me search for it.", &tools(&["Grep", "Read"]), false),
            None
        );
    }

    #[test]
    fn strong_markers() {
        assert_eq!(
            classify("Try this:\n```rust\nlet x = 1;\n```"),
            Some(SolutionCategory::CodeFix)
        );
        assert_eq!(
            classify_attempt("Updating the handler.", &tools(&["Edit"]), false),
            Some(SolutionCategory::CodeFix)
        );
        assert_eq!(
            classify("Run npm install lodash."),
            Some(SolutionCategory::GeneralSolution)
        );
        assert_eq!(
            classify("Here's the fix: handle the None case."),
            Some(SolutionCategory::GeneralSolution)
        );
        assert_eq!(
            classify("Change the timeout to 30 seconds in the config."),
            Some(SolutionCategory::ConfigChange)
        );
        assert_eq!(
            classify("I've updated the tokenizer so hyphens stay inside words."),
            Some(SolutionCategory::GeneralSolution)
        );
    }

    #[test]
    fn solution_language() {
        let text = "The problem is that the cache key ignores the locale, so you should include it in the key.";
        assert_eq!(classify(text), Some(SolutionCategory::GeneralSolution));
        let approach = "You could split the parser into two passes instead; this will keep each pass simple and \
                        the approach scales better.";
        assert_eq!(
            classify(approach),
            Some(SolutionCategory::ApproachSuggestion)
        );
        let debugging =
            "The error is raised because the stack trace shows a null id; you should add logging \
                         before the call to see which request sends it.";
        assert_eq!(classify(debugging), Some(SolutionCategory::DebuggingStep));
        // One category alone is not enough.
        assert_eq!(
            classify("You should take a break and come back to it later today."),
            None
        );
        // A clause-opening verb is an imperative or a fix verb, not both.
        assert_eq!(
            classify("Add a short note about the parser to the readme file."),
            None
        );
    }

    #[test]
    fn config_and_code_categories() {
        let env = "Set DATABASE_URL in your .env file, and add the same environment variable in the CI settings.";
        assert_eq!(classify(env), Some(SolutionCategory::ConfigChange));
        let toml = "Add this:\n```toml\n[dependencies]\nserde = \"1\"\n```";
        assert_eq!(classify(toml), Some(SolutionCategory::ConfigChange));
        let code = "The loop is off by one. Replace the body with:\nfor i in 0..n {\n    total += v[i];\n}\n";
        assert_eq!(classify(code), Some(SolutionCategory::CodeFix));
    }

    #[test]
    fn code_without_fence_needs_length() {
        let short = "x = 1\ny = 2";
        assert_eq!(classify(short), None);
        let long = "Here is what the function looks like after the refactor, for reference:\n\
                    fn total(v: &[u32]) -> u32 {\n    v.iter().sum()\n}\n";
        assert_eq!(classify(long), Some(SolutionCategory::CodeFix));
    }

    #[test]
    fn serde_and_as_str_agree() {
        for c in SolutionCategory::ALL {
            let json = serde_json::to_string(&c).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }

    #[test]
    fn every_phrase_is_in_the_vocabulary() {
        assert!(PHRASES.0.is_fully_indexed());
    }
}
