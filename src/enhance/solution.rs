//! Solution-attempt detection for assistant messages, and the kind of solution attempted.
//!
//! The original system defined these rules but never applied them; here they are applied. A message is an attempt
//! when one of these holds:
//! 1. a strong marker: a code fence, an edit tool (Edit, Write, MultiEdit, NotebookEdit), an install/run command
//!    ("npm install", "pip install", ...), "try this", "here's the fix", "the fix is", "change X to",
//!    "replace X with", ...;
//! 2. solution language from at least [`MIN_LANGUAGE_CATEGORIES`] of the categories fix verbs, recommendations,
//!    cause explanations, outcomes and imperative clauses ("Set X ...", "Run ..."), in a message of at least [`MIN_LANGUAGE_WORDS`] words that is not a short
//!    narration of what the assistant is about to do ("Let me ...", "I'll ...", "Now let me ...");
//! 3. code ([`has_code`](super::code::has_code)) and more than [`MIN_CODE_CHARS`] characters, or inline code with
//!    code punctuation plus one solution-language category and more than [`MIN_CODE_CHARS`] characters.
//!
//! The category, first match wins: [`SolutionCategory::ConfigChange`] when configuration dominates (a config-language
//! fence such as ```` ```toml ````, two distinct config markers, or one without any code signal);
//! [`SolutionCategory::CodeFix`] for an edit tool, a fence or code; [`SolutionCategory::DebuggingStep`] when
//! investigation markers are at least as many as approach markers; [`SolutionCategory::ApproachSuggestion`] for
//! approach markers; else [`SolutionCategory::GeneralSolution`].

use super::words::{with_words, Words};
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
pub const MIN_LANGUAGE_CATEGORIES: usize = 2;
/// Fewest words for rule 2.
pub const MIN_LANGUAGE_WORDS: usize = 8;
/// Narrations shorter than this many words are not attempts by rule 2.
const NARRATION_MAX_WORDS: usize = 30;
/// Rule 3 needs more than this many characters.
pub const MIN_CODE_CHARS: usize = 75;

/// Tools that edit files.
pub const EDIT_TOOLS: [&str; 4] = ["Edit", "Write", "MultiEdit", "NotebookEdit"];

const STRONG_PHRASES: &[&str] = &[
    "try this",
    "try the following",
    "try running",
    "heres the fix",
    "here is the fix",
    "heres a fix",
    "here is a fix",
    "the fix is",
    "the fix was",
    "the solution is",
    "this fixes",
    "this should fix",
    "this will fix",
    "to fix this",
    "to fix it",
    "npm install",
    "npm i",
    "npm run",
    "npx",
    "yarn add",
    "pnpm add",
    "pip install",
    "cargo add",
    "cargo install",
    "apt-get install",
    "apt install",
    "brew install",
    "go get",
];

/// `verb ... particle` within a few words of the same clause: "change the timeout to 30".
const VERB_PARTICLES: &[(&str, &str)] = &[
    ("change", "to"),
    ("replace", "with"),
    ("rename", "to"),
    ("set", "to"),
    ("update", "to"),
    ("upgrade", "to"),
    ("move", "to"),
];
const VERB_PARTICLE_GAP: usize = 5;

const FIX_VERBS: &[&str] = &[
    "fix",
    "fixes",
    "fixed",
    "patch",
    "patched",
    "resolve",
    "resolves",
    "resolved",
    "replace",
    "replaced",
    "update",
    "updated",
    "modify",
    "modified",
    "rewrite",
    "rewrote",
    "refactor",
    "refactored",
    "remove",
    "removed",
    "add",
    "added",
    "change",
    "changed",
    "rename",
    "renamed",
    "install",
    "implement",
    "implemented",
    "correct",
    "corrected",
    "adjust",
    "adjusted",
];

/// Verbs that, opening a clause, make it an instruction.
const IMPERATIVE_VERBS: &[&str] = &[
    "set",
    "add",
    "change",
    "replace",
    "remove",
    "update",
    "install",
    "run",
    "use",
    "try",
    "move",
    "rename",
    "delete",
    "enable",
    "disable",
    "wrap",
    "pass",
    "call",
    "import",
    "create",
    "upgrade",
    "downgrade",
    "restart",
    "increase",
    "decrease",
    "export",
    "define",
    "switch",
    "edit",
    "modify",
    "put",
    "insert",
    "configure",
];

const RECOMMENDATIONS: &[&str] = &[
    "should",
    "you should",
    "instead",
    "instead of",
    "need to",
    "needs to",
    "make sure",
    "ensure",
    "recommend",
    "suggest",
    "try",
    "consider",
    "better to",
    "you can",
    "you could",
    "id suggest",
    "id recommend",
];

const CAUSES: &[&str] = &[
    "because",
    "the problem is",
    "the problem was",
    "the issue is",
    "the issue was",
    "the error is",
    "caused by",
    "the cause",
    "root cause",
    "the reason",
    "this happens",
    "this is happening",
    "due to",
    "the bug is",
    "the bug was",
];

const OUTCOMES: &[&str] = &[
    "this will",
    "that will",
    "will fix",
    "should fix",
    "should work",
    "should now",
    "will now",
    "now works",
    "is now",
    "are now",
    "now handles",
    "this ensures",
    "so that",
    "which means",
    "to prevent",
    "to avoid",
    "that way",
];

const NARRATION_OPENERS: &[&str] = &[
    "let me",
    "now let me",
    "lets",
    "now lets",
    "ill",
    "i will",
    "im going to",
    "i need to",
    "first let me",
    "next",
    "now ill",
    "i am going to",
    "going to",
];

const CONFIG_MARKERS: &[&str] = &[
    "config",
    "configuration",
    "config file",
    "settings",
    "setting",
    "env",
    "environment variable",
    "environment variables",
    "env var",
    "env vars",
    "dotenv",
    "package.json",
    "tsconfig",
    "cargo.toml",
    "pyproject.toml",
    "yaml",
    "yml",
    "toml",
    "ini",
    "eslintrc",
    "settings.json",
    "docker-compose",
    "npmrc",
    "gitignore",
    "feature flag",
    "webpack.config",
    "vite.config",
    "next.config",
    "claude.md",
    "dockerfile",
];

const CONFIG_FENCE_LANGS: &[&str] = &[
    "json",
    "jsonc",
    "json5",
    "yaml",
    "yml",
    "toml",
    "ini",
    "env",
    "dotenv",
    "properties",
    "conf",
    "cfg",
    "dockerfile",
    "editorconfig",
    "nginx",
];

const DEBUG_MARKERS: &[&str] = &[
    "let me check",
    "let me look",
    "let me see",
    "let me investigate",
    "let me debug",
    "the error is",
    "the error",
    "error message",
    "stack trace",
    "stacktrace",
    "traceback",
    "backtrace",
    "logs",
    "log output",
    "debug",
    "debugging",
    "console.log",
    "println",
    "print statement",
    "breakpoint",
    "investigate",
    "reproduce",
    "check if",
    "check whether",
    "add logging",
    "verbose",
    "diagnose",
];

const APPROACH_MARKERS: &[&str] = &[
    "you could",
    "you can",
    "i suggest",
    "id suggest",
    "i recommend",
    "id recommend",
    "approach",
    "approaches",
    "alternatively",
    "another option",
    "one option",
    "options",
    "consider",
    "instead",
    "better approach",
    "strategy",
    "the best way",
    "a better way",
    "trade-off",
    "tradeoff",
    "pattern",
];

fn any(words: &Words<'_>, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| words.contains(p))
}

fn verb_then_particle(words: &Words<'_>) -> bool {
    let toks = words.tokens();
    VERB_PARTICLES.iter().any(|(verb, particle)| {
        words.find(verb).into_iter().any(|p| {
            // The particle must follow an object ("change the timeout to"), within the same clause.
            (1..=VERB_PARTICLE_GAP)
                .take_while(|d| !words.starts_clause(p + d))
                .any(|d| d >= 2 && toks.get(p + d) == Some(particle))
        })
    })
}

/// Whether some clause starts with an imperative verb ("Set X in .env, and add ...").
fn has_imperative(words: &Words<'_>) -> bool {
    IMPERATIVE_VERBS
        .iter()
        .any(|verb| words.find(verb).into_iter().any(|p| words.starts_clause(p)))
}

/// A fix verb used other than as a clause-opening imperative (so one "Add ..." is not counted twice).
fn has_fix_verb(words: &Words<'_>) -> bool {
    FIX_VERBS.iter().any(|verb| {
        let imperative = IMPERATIVE_VERBS.contains(verb);
        words
            .find(verb)
            .into_iter()
            .any(|p| !(imperative && words.starts_clause(p)))
    })
}

/// A language tag on a fence line (```` ```toml ````) naming a configuration format.
fn has_config_fence(text: &str) -> bool {
    text.lines().any(|line| {
        let Some(rest) = line.trim_start().strip_prefix("```") else {
            return false;
        };
        let lang = rest.trim().to_ascii_lowercase();
        CONFIG_FENCE_LANGS.contains(&lang.as_str())
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

fn starts_with_narration(words: &Words<'_>) -> bool {
    NARRATION_OPENERS
        .iter()
        .any(|p| words.find(p).first() == Some(&0))
}

fn language_categories(words: &Words<'_>) -> usize {
    let lists = [RECOMMENDATIONS, CAUSES, OUTCOMES]
        .iter()
        .filter(|list| any(words, list))
        .count();
    lists + usize::from(has_fix_verb(words)) + usize::from(has_imperative(words))
}

/// Whether an assistant message is a solution attempt, and of which kind (see the module docs for the rules).
pub fn classify_attempt(
    text: &str,
    tools_used: &[String],
    has_code: bool,
) -> Option<SolutionCategory> {
    let edit_tool = tools_used.iter().any(|t| EDIT_TOOLS.contains(&t.as_str()));
    let fenced = text.contains("```");
    with_words(text, |words| {
        let strong = fenced || edit_tool || any(words, STRONG_PHRASES) || verb_then_particle(words);
        let attempt = strong || {
            let categories = language_categories(words);
            let narration = starts_with_narration(words) && words.len() < NARRATION_MAX_WORDS;
            let by_language = categories >= MIN_LANGUAGE_CATEGORIES
                && words.len() >= MIN_LANGUAGE_WORDS
                && !narration;
            let long = text.len() > MIN_CODE_CHARS && text.chars().count() > MIN_CODE_CHARS;
            let by_code = long && (has_code || (categories >= 1 && has_inline_code(text)));
            by_language || by_code
        };
        attempt.then(|| category(text, words, edit_tool || fenced || has_code))
    })
}

fn category(text: &str, words: &Words<'_>, code_signal: bool) -> SolutionCategory {
    let config_hits = words.count_distinct(CONFIG_MARKERS);
    if has_config_fence(text) || config_hits >= 2 || (config_hits >= 1 && !code_signal) {
        return SolutionCategory::ConfigChange;
    }
    if code_signal {
        return SolutionCategory::CodeFix;
    }
    let debug_hits = words.count_distinct(DEBUG_MARKERS);
    let approach_hits = words.count_distinct(APPROACH_MARKERS);
    if debug_hits > 0 && debug_hits >= approach_hits {
        SolutionCategory::DebuggingStep
    } else if approach_hits > 0 {
        SolutionCategory::ApproachSuggestion
    } else {
        SolutionCategory::GeneralSolution
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
