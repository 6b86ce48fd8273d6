//! The labelled question set (`eval/questions.jsonl`) and how a ranked list is judged against it: per message, by
//! the file it came from and any of its line uuids.

use pipeline::payload::Payload;
use serde::Deserialize;
use std::path::Path;

/// One labelled question of `eval/questions.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub id: String,
    pub style: String,
    pub question: String,
    pub answers: Vec<Answer>,
}

/// A message that answers a question.
#[derive(Debug, Clone, Deserialize)]
pub struct Answer {
    /// Transcript path relative to `claude-projects/`.
    pub file: String,
    /// The uuid of the line holding the answer.
    pub uuid: String,
    /// Verbatim text of that line, to check the label against what is stored.
    pub substring: String,
}

impl Answer {
    /// Whether a stored chunk belongs to the message this answer names.
    pub fn matches(&self, p: &Payload) -> bool {
        p.source_path.ends_with(&self.file) && p.has_uuid(&self.uuid)
    }
}

/// Reads the question set, naming the line of any bad entry.
pub fn load(path: &Path) -> anyhow::Result<Vec<Question>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: Question = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
        if q.answers.is_empty() {
            anyhow::bail!(
                "{}:{}: question {} has no answer",
                path.display(),
                i + 1,
                q.id
            );
        }
        out.push(q);
    }
    Ok(out)
}

/// 1-based rank of the first hit that is one of the answers, among `hits` (message payloads, best first).
pub fn rank_of<'a>(question: &Question, hits: impl Iterator<Item = &'a Payload>) -> Option<usize> {
    hits.enumerate()
        .find(|(_, p)| question.answers.iter().any(|a| a.matches(p)))
        .map(|(i, _)| i + 1)
}

/// Whitespace-insensitive containment (chunk joins and cleaning may change spacing, never words).
pub fn contains_normalized(haystack: &str, needle: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    squash(haystack).contains(&squash(needle))
}
