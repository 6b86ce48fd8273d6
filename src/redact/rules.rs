//! Redaction rules in gitleaks' format: a regex, the group that holds the secret, an entropy floor, the keywords
//! that must occur for the rule to be tried, and allowlists (regexes on the secret, the match or the line, and
//! stopwords). Two rule files are built in: gitleaks' own default set (`gitleaks.toml`, vendored with its
//! version and licence) and `extra.toml`, this project's rules for what transcripts hold beyond source files.
//! Rules that only make sense for file paths (gitleaks' `path` rules) are skipped: a transcript has no path.

use super::config::CustomRule;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// gitleaks' default rule set, vendored (see the header of the file).
pub const GITLEAKS_RULES: &str = include_str!("gitleaks.toml");
/// The version of gitleaks the vendored rules come from.
pub const GITLEAKS_VERSION: &str = "v8.30.1";
/// This project's own rules.
pub const EXTRA_RULES: &str = include_str!("extra.toml");

/// A rule file: a global allowlist and rules.
#[derive(Debug, Deserialize)]
struct RuleFile {
    #[serde(default)]
    allowlist: Option<AllowlistSpec>,
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
struct RuleSpec {
    id: String,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default, rename = "secretGroup")]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    allowlists: Vec<AllowlistSpec>,
}

#[derive(Debug, Deserialize)]
struct AllowlistSpec {
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default, rename = "regexTarget")]
    regex_target: Option<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
}

/// What an allowlist regex is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Secret,
    Match,
    Line,
}

/// A compiled allowlist: a finding it covers is not redacted.
#[derive(Debug)]
pub struct Allowlist {
    regexes: Vec<Regex>,
    target: Target,
    /// Lowercase; a secret containing one is allowed.
    stopwords: Vec<String>,
    /// Both the regexes and the stopwords must cover the finding (gitleaks' `condition = "AND"`).
    all: bool,
}

impl Allowlist {
    /// Whether this allowlist covers a finding.
    pub fn allows(&self, secret: &str, matched: &str, line: &str) -> bool {
        let target = match self.target {
            Target::Secret => secret,
            Target::Match => matched,
            Target::Line => line,
        };
        let by_regex = self.regexes.iter().any(|r| r.is_match(target));
        let lower = secret.to_lowercase();
        let by_word = self.stopwords.iter().any(|w| lower.contains(w.as_str()));
        match (self.all, self.regexes.is_empty(), self.stopwords.is_empty()) {
            (true, false, false) => by_regex && by_word,
            _ => by_regex || by_word,
        }
    }
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub regex: Regex,
    pub secret_group: Option<usize>,
    /// A secret must have more Shannon entropy (bits per character) than this.
    pub entropy: Option<f64>,
    /// Lowercase; the rule is tried only on a text containing one of them (all texts when empty).
    pub keywords: Vec<String>,
    pub allowlists: Vec<Allowlist>,
}

/// A rule file that does not load, with the rule and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redaction rules{}: {message}", rule.as_ref().map(|r| format!(" (rule {r})")).unwrap_or_default())]
pub struct RuleError {
    pub rule: Option<String>,
    pub message: String,
}

/// Compiled rules and the allowlists that apply to every rule.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub global: Vec<Allowlist>,
}

impl RuleSet {
    /// Adds the rules of a gitleaks-format TOML file (its global allowlist applies to every rule).
    pub fn add_toml(&mut self, text: &str) -> Result<(), RuleError> {
        let file: RuleFile = toml::from_str(text).map_err(|e| RuleError {
            rule: None,
            message: e.to_string(),
        })?;
        if let Some(a) = file.allowlist {
            self.global.extend(compile_allowlist(&a, None)?);
        }
        for spec in file.rules {
            if let Some(rule) = compile_rule(spec)? {
                self.rules.push(rule);
            }
        }
        Ok(())
    }

    /// Adds a rule of the user's own. Its id must be new and fit in a marker (letters, digits, `-`, `_`).
    pub fn add_custom(&mut self, rule: &CustomRule) -> Result<(), RuleError> {
        let refuse = |message: String| RuleError {
            rule: Some(rule.id.clone()),
            message,
        };
        if rule.id.is_empty() || !rule.id.chars().all(is_marker_char) {
            return Err(refuse(
                "an id is letters, digits, '-' and '_' (it names the marker)".to_string(),
            ));
        }
        if self.rules.iter().any(|r| r.id == rule.id) {
            return Err(refuse(
                "a rule of this id exists; disable it and give yours another id".to_string(),
            ));
        }
        let spec = RuleSpec {
            id: rule.id.clone(),
            regex: Some(rule.regex.clone()),
            secret_group: rule.secret_group,
            entropy: rule.entropy,
            keywords: rule.keywords.clone(),
            path: None,
            allowlists: Vec::new(),
        };
        self.rules.extend(compile_rule(spec)?);
        Ok(())
    }

    /// Removes the rules named. An id no rule has is an error: a typo would otherwise leave the rule on.
    pub fn disable(&mut self, ids: &[String]) -> Result<(), RuleError> {
        if let Some(unknown) = ids
            .iter()
            .find(|id| !self.rules.iter().any(|r| &r.id == *id))
        {
            return Err(RuleError {
                rule: Some(unknown.clone()),
                message: "no rule has this id, so it cannot be disabled".to_string(),
            });
        }
        self.rules.retain(|r| !ids.contains(&r.id));
        Ok(())
    }

    /// A finding whose secret one of `regexes` matches is not redacted, whatever the rule.
    pub fn allow(&mut self, regexes: &[String]) -> Result<(), RuleError> {
        if regexes.is_empty() {
            return Ok(());
        }
        self.global.push(Allowlist {
            regexes: regexes
                .iter()
                .map(|r| compile(r, "redact.allow"))
                .collect::<Result<_, _>>()?,
            target: Target::Secret,
            stopwords: Vec::new(),
            all: false,
        });
        Ok(())
    }
}

/// A character a rule id, and so a marker's kind, may hold.
pub fn is_marker_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_')
}

/// A rule, or `None` for a rule that needs a file path.
fn compile_rule(spec: RuleSpec) -> Result<Option<Rule>, RuleError> {
    let Some(pattern) = spec.regex.as_deref().filter(|_| spec.path.is_none()) else {
        return Ok(None);
    };
    let regex = compile(pattern, &spec.id)?;
    let mut allowlists = Vec::new();
    for a in &spec.allowlists {
        allowlists.extend(compile_allowlist(a, Some(&spec.id))?);
    }
    Ok(Some(Rule {
        regex,
        secret_group: spec.secret_group.filter(|g| *g > 0),
        entropy: spec.entropy.filter(|e| *e > 0.0),
        keywords: spec.keywords.iter().map(|k| k.to_lowercase()).collect(),
        allowlists,
        id: spec.id,
    }))
}

/// An allowlist, or `None` for one that only names paths or commits (nothing a transcript has).
fn compile_allowlist(
    a: &AllowlistSpec,
    rule: Option<&str>,
) -> Result<Option<Allowlist>, RuleError> {
    if a.regexes.is_empty() && a.stopwords.is_empty() {
        return Ok(None);
    }
    let all = a
        .condition
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("and"));
    if all && !a.paths.is_empty() {
        // Needs a path to hold as well: never true for a transcript.
        return Ok(None);
    }
    let target = match a.regex_target.as_deref() {
        None | Some("secret") => Target::Secret,
        Some("match") => Target::Match,
        Some("line") => Target::Line,
        Some(other) => {
            return Err(RuleError {
                rule: rule.map(str::to_string),
                message: format!("unknown regexTarget {other:?}"),
            })
        }
    };
    let regexes = a
        .regexes
        .iter()
        .map(|r| compile(r, rule.unwrap_or("global allowlist")))
        .collect::<Result<_, _>>()?;
    Ok(Some(Allowlist {
        regexes,
        target,
        stopwords: a.stopwords.iter().map(|w| w.to_lowercase()).collect(),
        all,
    }))
}

fn compile(pattern: &str, rule: &str) -> Result<Regex, RuleError> {
    RegexBuilder::new(&from_go_syntax(pattern))
        .size_limit(64 << 20)
        .build()
        .map_err(|e| RuleError {
            rule: Some(rule.to_string()),
            message: e.to_string(),
        })
}

/// A Go (RE2) pattern in Rust's regex syntax. They differ in one way the rules use: Go reads a `{` that does not
/// start a repetition (`{n}`, `{n,}`, `{n,m}`) as a literal brace, Rust refuses it; such a brace is escaped.
fn from_go_syntax(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.char_indices().peekable();
    let mut in_class = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, next)) => match ascii_class(next, in_class) {
                    Some(class) => out.push_str(class),
                    None => {
                        out.push('\\');
                        out.push(next);
                    }
                },
                None => out.push(c),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal member.
                if let Some((_, '^')) = chars.peek() {
                    out.push('^');
                    chars.next();
                }
                if let Some((_, ']')) = chars.peek() {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class && !starts_repetition(&pattern[i..]) => out.push_str("\\{"),
            '}' if !in_class && !closes_repetition(&out) => out.push_str("\\}"),
            _ => out.push(c),
        }
    }
    out
}

/// Go's Perl classes are ASCII-only (`\w` is `[0-9A-Za-z_]`); Rust's are Unicode. The ASCII form keeps the rules'
/// meaning, and it is what keeps them fast: a Unicode `\w` under `(?i)` makes the automaton of a rule like
/// `generic-api-key` many times larger.
fn ascii_class(escaped: char, in_class: bool) -> Option<&'static str> {
    Some(match (escaped, in_class) {
        ('w', false) => "[0-9A-Za-z_]",
        ('w', true) => "0-9A-Za-z_",
        ('W', false) => "[^0-9A-Za-z_]",
        ('d', false) => "[0-9]",
        ('d', true) => "0-9",
        ('D', false) => "[^0-9]",
        ('s', false) => "[\\t\\n\\f\\r ]",
        ('s', true) => "\\t\\n\\f\\r ",
        ('S', false) => "[^\\t\\n\\f\\r ]",
        ('b', false) => "(?-u:\\b)",
        ('B', false) => "(?-u:\\B)",
        _ => return None,
    })
}

/// Whether `rest` (starting at a `{`) is a repetition: `{n}`, `{n,}` or `{n,m}`.
fn starts_repetition(rest: &str) -> bool {
    let Some(end) = rest.find('}') else {
        return false;
    };
    let inner = &rest[1..end];
    let (min, max) = inner.split_once(',').unwrap_or((inner, "0"));
    !min.is_empty()
        && min.bytes().all(|b| b.is_ascii_digit())
        && max.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the `}` about to be written closes a repetition opened in `out`.
fn closes_repetition(out: &str) -> bool {
    let Some(open) = out.rfind('{') else {
        return false;
    };
    let escaped = out[..open].ends_with('\\');
    !escaped && starts_repetition(&format!("{}}}", &out[open..]))
}

/// Shannon entropy of a string, bits per character.
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_rule_compiles_and_path_rules_are_skipped() {
        let mut set = RuleSet::default();
        set.add_toml(GITLEAKS_RULES)
            .unwrap_or_else(|e| panic!("{e}"));
        let gitleaks = set.rules.len();
        assert!(gitleaks >= 200, "{gitleaks} of gitleaks' 222 rules");
        set.add_toml(EXTRA_RULES).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.rules.len(), gitleaks + 6);
        assert!(set.rules.iter().all(|r| !r.id.is_empty()));
        assert!(set.global.len() >= 2, "both files' global allowlists");
    }

    #[test]
    fn go_braces_that_are_not_repetitions_become_literals() {
        assert_eq!(
            from_go_syntax(r"^\$(?:\d+|{\d+})$"),
            r"^\$(?:[0-9]+|\{[0-9]+\})$"
        );
        assert_eq!(
            from_go_syntax(r"[\w.-]\s\b"),
            r"[0-9A-Za-z_.-][\t\n\f\r ](?-u:\b)"
        );
        assert_eq!(from_go_syntax(r"a{2,5}b{3}c{1,}"), r"a{2,5}b{3}c{1,}");
        assert_eq!(from_go_syntax(r"[{}]\{x"), r"[{}]\{x");
        assert!(
            !compile(r"\w+", "t")
                .map(|r| r.is_match("é"))
                .unwrap_or(true),
            "ASCII, as in Go"
        );
        let r = compile(r"^\{\{[ \t]*[\w ().|]+[ \t]*}}$", "t").unwrap_or_else(|e| panic!("{e}"));
        assert!(r.is_match("{{ value }}"));
    }

    #[test]
    fn entropy_is_bits_per_character() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abab") - 1.0).abs() < 1e-9);
        assert!(shannon_entropy("ghp_R4nd0mL00k1ngT0k3nV4lu3xyzABC") > 3.5);
    }

    #[test]
    fn a_bad_rule_names_itself() {
        let mut set = RuleSet::default();
        let e = set
            .add_toml("[[rules]]\nid = \"broken\"\nregex = '''(unclosed'''\n")
            .expect_err("refused");
        assert_eq!(e.rule.as_deref(), Some("broken"));
        assert!(e.to_string().contains("broken"), "{e}");
    }
}
