//! Redaction at ingest: every string of a transcript line is redacted as the line is decoded, before the
//! assembler, the checkpoint's carry-over state, the embedder, the cache or any store sees it. A secret is
//! replaced by a typed marker, `[REDACTED:<rule id>]`, and the words around it stay searchable.
//!
//! The rules are gitleaks' default set ([`rules::GITLEAKS_VERSION`], MIT) plus this project's own (`extra.toml`:
//! passwords in URLs, `.env` lines, quoted values of secret-named keys, bearer tokens). Like gitleaks, a rule is
//! tried only on a text that contains one of its keywords (one Aho-Corasick pass finds them all).

pub mod config;
pub mod reapply;
pub mod rules;

use aho_corasick::AhoCorasick;
use config::RedactConfig;
use rules::{Rule, RuleError, RuleSet};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Redactions made, by rule id.
pub type Counts = BTreeMap<String, u64>;

/// A secret found in a text: the rule and its byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding<'a> {
    pub rule: &'a str,
    pub span: std::ops::Range<usize>,
}

/// Finds and replaces secrets.
#[derive(Debug)]
pub struct Redactor {
    set: RuleSet,
    /// Names the rules applied (see [`Redactor::version`]).
    version: String,
    /// Every rule keyword; `keyword_rules[pattern]` lists the rules it enables.
    keywords: AhoCorasick,
    keyword_rules: Vec<Vec<usize>>,
    /// Rules tried on every text (no keywords).
    always: Vec<usize>,
}

/// What a point's `redaction_version` says when redaction was turned off.
pub const OFF: &str = "off";

static BUILTIN: LazyLock<Result<Arc<Redactor>, RuleError>> =
    LazyLock::new(|| Redactor::compile(&RedactConfig::default()).map(Arc::new));

impl Redactor {
    /// The built-in rules (compiled once per process).
    pub fn builtin() -> Result<Arc<Redactor>, RuleError> {
        BUILTIN.clone()
    }

    /// The redactor a pipeline's `[redact]` section asks for: `None` when redaction is off, the built-in one when
    /// the section changes no rule.
    pub fn configured(config: &RedactConfig) -> Result<Option<Arc<Redactor>>, RuleError> {
        if !config.enabled {
            return Ok(None);
        }
        let builtin = RedactConfig::default();
        if (&config.disable, &config.allow, &config.rules)
            == (&builtin.disable, &builtin.allow, &builtin.rules)
        {
            return Self::builtin().map(Some);
        }
        Self::compile(config).map(|r| Some(Arc::new(r)))
    }

    /// The built-in rule files, then the section's own rules, disabled rules and allowed values.
    fn compile(config: &RedactConfig) -> Result<Self, RuleError> {
        let mut set = RuleSet::default();
        set.add_toml(rules::GITLEAKS_RULES)?;
        set.add_toml(rules::EXTRA_RULES)?;
        for rule in &config.rules {
            set.add_custom(rule)?;
        }
        set.disable(&config.disable)?;
        set.allow(&config.allow)?;
        let mut redactor = Redactor::new(set)?;
        redactor.version = version_of(config);
        Ok(redactor)
    }

    /// A redactor over `set` (its version says "custom": it is not named by a configuration).
    pub fn new(set: RuleSet) -> Result<Self, RuleError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, rule) in set.rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                always.push(i);
            }
            for k in &rule.keywords {
                match patterns.iter().position(|p| p == k) {
                    Some(at) => keyword_rules[at].push(i),
                    None => {
                        patterns.push(k.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        // Case-insensitive (ASCII) matching: no lowercase copy of every text.
        let keywords = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .map_err(|e| RuleError {
                rule: None,
                message: format!("keyword index: {e}"),
            })?;
        Ok(Redactor {
            set,
            version: "custom".to_string(),
            keywords,
            keyword_rules,
            always,
        })
    }

    /// Rules loaded.
    pub fn rule_count(&self) -> usize {
        self.set.rules.len()
    }

    /// Names the rules applied: gitleaks' version and a hash of every rule file and of the `[redact]` section's
    /// changes, so any rule change gives another version (stamped into every payload as `redaction_version`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// `text` with every secret replaced by its marker, or `None` when it holds none. Each redaction is counted
    /// in `counts` under its rule id.
    pub fn redact(&self, text: &str, counts: &mut Counts) -> Option<String> {
        let spans = self.find(text);
        if spans.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, rule) in spans {
            out.push_str(&text[at..start]);
            out.push_str("[REDACTED:");
            out.push_str(&self.set.rules[rule].id);
            out.push(']');
            *counts.entry(self.set.rules[rule].id.clone()).or_default() += 1;
            at = end;
        }
        out.push_str(&text[at..]);
        Some(out)
    }

    /// The secrets in `text`, each with the rule that found it and its byte span (in order, not overlapping):
    /// what [`Redactor::redact`] would replace, for reviewing false positives.
    pub fn findings(&self, text: &str) -> Vec<Finding<'_>> {
        self.find(text)
            .into_iter()
            .map(|(start, end, rule)| Finding {
                rule: &self.set.rules[rule].id,
                span: start..end,
            })
            .collect()
    }

    /// Redacts every string inside a JSON value, in place.
    pub fn redact_json(&self, value: &mut serde_json::Value, counts: &mut Counts) {
        match value {
            serde_json::Value::String(s) => self.redact_in_place(s, counts),
            serde_json::Value::Array(items) => {
                for v in items {
                    self.redact_json(v, counts);
                }
            }
            serde_json::Value::Object(map) => {
                for v in map.values_mut() {
                    self.redact_json(v, counts);
                }
            }
            _ => {}
        }
    }

    /// Redacts a string in place.
    pub fn redact_in_place(&self, text: &mut String, counts: &mut Counts) {
        if let Some(r) = self.redact(text, counts) {
            *text = r;
        }
    }

    /// The secrets' byte spans in `text`, in order, not overlapping, each with the rule that found it.
    fn find(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let mut candidates: Vec<usize> = self.always.clone();
        for m in self.keywords.find_overlapping_iter(text) {
            candidates.extend_from_slice(&self.keyword_rules[m.pattern().as_usize()]);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        for i in candidates {
            let rule = &self.set.rules[i];
            for caps in rule.regex.captures_iter(text) {
                let Some(whole) = caps.get(0) else { continue };
                let secret = match rule.secret_group {
                    Some(g) => caps.get(g),
                    None => (1..caps.len()).find_map(|g| caps.get(g).filter(|m| !m.is_empty())),
                }
                .unwrap_or(whole);
                let (start, end) = trim_newlines(text, secret.start(), secret.end());
                if start >= end
                    || !self.is_secret(rule, &text[start..end], whole.as_str(), text, start)
                {
                    continue;
                }
                spans.push((start, end, i));
            }
        }
        merge(spans)
    }

    /// The entropy floor and the allowlists (the rule's and the global ones) for one finding.
    fn is_secret(&self, rule: &Rule, secret: &str, matched: &str, text: &str, at: usize) -> bool {
        if rule
            .entropy
            .is_some_and(|floor| rules::shannon_entropy(secret) <= floor)
        {
            return false;
        }
        let line = line_around(text, at);
        !rule
            .allowlists
            .iter()
            .chain(&self.set.global)
            .any(|a| a.allows(secret, matched, line))
    }
}

/// `gitleaks-<version>+<12 hex digits of blake3 over the rule files and the section's changes>`.
fn version_of(config: &RedactConfig) -> String {
    let mut h = blake3::Hasher::new();
    for part in [rules::GITLEAKS_RULES, rules::EXTRA_RULES] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let mut disabled = config.disable.clone();
    disabled.sort();
    disabled.dedup();
    // The enabled flag is not part of the rules; serde_json of plain strings and numbers cannot fail.
    let changes = serde_json::json!([disabled, config.allow, config.rules]).to_string();
    h.update(changes.as_bytes());
    format!(
        "gitleaks-{}+{}",
        rules::GITLEAKS_VERSION,
        &h.finalize().to_hex()[..12]
    )
}

/// The kinds of the `[REDACTED:<kind>]` markers in `text`, sorted, each once.
pub fn marker_kinds(text: &str) -> Vec<String> {
    const MARKER: &str = "[REDACTED:";
    let mut kinds: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARKER) {
        rest = &rest[at + MARKER.len()..];
        let len = rest
            .find(|c: char| !rules::is_marker_char(c))
            .unwrap_or(rest.len());
        if len > 0 && rest[len..].starts_with(']') {
            kinds.push(rest[..len].to_string());
        }
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The span without leading and trailing newlines (as gitleaks trims its matches).
fn trim_newlines(text: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    while start < end && matches!(bytes[start], b'\n' | b'\r') {
        start += 1;
    }
    while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    (start, end)
}

/// The line of `text` holding byte `at`.
fn line_around(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    &text[start..end]
}

/// Overlapping spans joined (the first rule by position names the joined span), in order.
fn merge(mut spans: Vec<(usize, usize, usize)>) -> Vec<(usize, usize, usize)> {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize, usize)> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.0 < last.1 => last.1 = last.1.max(s.1),
            _ => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests;
