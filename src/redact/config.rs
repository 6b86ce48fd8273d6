//! `[redact]` in a pipeline file: the typed settings of the redaction step.

use serde::{Deserialize, Serialize};

/// `[redact]`: secrets replaced by `[REDACTED:<kind>]` as transcripts are read, before anything is stored,
/// embedded or sent (see `crate::redact`). On by default; the built-in rules can be turned off one by one,
/// known false positives allowed, and rules of one's own added.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactConfig {
    pub enabled: bool,
    /// Ids of rules (built-in or one's own) that are not applied. An id no rule has is an error.
    pub disable: Vec<String>,
    /// Regexes: a finding whose secret one of them matches is left as it is (a test key, an example token).
    pub allow: Vec<String>,
    /// Rules of one's own, added to the built-in ones (`[[redact.rules]]`).
    pub rules: Vec<CustomRule>,
}

impl Default for RedactConfig {
    fn default() -> Self {
        RedactConfig {
            enabled: true,
            disable: Vec::new(),
            allow: Vec::new(),
            rules: Vec::new(),
        }
    }
}

/// `[[redact.rules]]`: a redaction rule in gitleaks' form. Its id names the marker, `[REDACTED:<id>]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    /// Letters, digits, `-` and `_`; no built-in rule's id.
    pub id: String,
    /// What it finds (RE2/Rust syntax; `(?i)` for any case).
    pub regex: String,
    /// The capture group that is the secret (default: the first group that matched, else the whole match).
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// The secret must have more Shannon entropy than this, in bits per character (default: none needed).
    #[serde(default)]
    pub entropy: Option<f64>,
    /// The rule is tried only on a text holding one of these, in any case (default: every text; slower).
    #[serde(default)]
    pub keywords: Vec<String>,
}
