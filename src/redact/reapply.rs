//! Re-applying the redaction rules to what is already stored. Every point records the version of the rules its
//! text went through (`redaction_version`); when the rules change (a new release, or the pipeline file's `[redact]`), or
//! for points stored before redaction existed, the next runs rewrite the points of another version: the payload's
//! strings are redacted with the current rules, and a point whose text changed is embedded again. Points whose
//! transcript Claude Code already deleted are covered too: only the stored text is needed.
//!
//! Budgeted and resumable: the pass works in batches, each committed like a sync's (atomically, durably), and
//! stops at the time it is given; what it did not reach still has the old version, so the next run continues.
//! Once a whole pass finds nothing left, the version is recorded and later runs skip the scan.
//!
//! Rules only ever remove more: a rule disabled or a value allowed later cannot bring back stored text that an
//! earlier rule replaced (the transcript, if still on disk, has it: `pipeline reset --checkpoints-only` re-reads).
//! The new vector of a changed text is the embedding of the chunk's stored text alone: the prompt context a sync
//! adds to an answer is not stored, the head noise it leaves out of a tool result is, and so is the file a tool
//! result's label names (`crate::transcript::result_label`), which a sync leaves out of the embedded text.

use super::{marker_kinds, Counts, Redactor};
use crate::error::Result;
use crate::payload::Payload;
use crate::store::{CommitBatch, PointWrite, Sink, SinkOp, SyncState};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Run metadata: the rules' version a completed pass brought every point to.
const APPLIED_KEY: &str = "redaction/applied";
/// Points rewritten per commit.
const BATCH: usize = 256;

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reapplied {
    /// Points of another version found (and rewritten with the current version).
    pub rewritten: u64,
    /// Of those, points whose stored strings lost a secret.
    pub changed: u64,
    /// Of those, points embedded again (their text changed and they had a vector).
    pub reembedded: u64,
    /// Every point now has the current version.
    pub done: bool,
}

/// Embeds the changed texts of one batch (a closure, so the model loads only if some text changed).
pub type Embed<'a> = dyn FnMut(&[&str]) -> Result<Vec<Vec<f32>>> + 'a;

/// Forgets that a pass completed: points were stored meanwhile under another version (redaction was off), so the
/// next pass must scan again.
pub fn forget_completion(state: &SyncState) -> Result<()> {
    if state.meta_get(APPLIED_KEY)?.is_some() {
        state.meta_remove(APPLIED_KEY)?;
    }
    Ok(())
}

/// Brings the points of `sink` to `redactor`'s version, until `until`. `before_change` runs once, before the
/// first commit that takes a secret out of stored text (copies of the old text, such as a search snapshot, go).
pub fn run(
    state: &SyncState,
    sink: &dyn Sink,
    redactor: &Redactor,
    embed: &mut Embed<'_>,
    before_change: &mut dyn FnMut() -> Result<()>,
    until: Option<Instant>,
) -> Result<Reapplied> {
    let version = redactor.version();
    let mut out = Reapplied::default();
    if state.meta_get(APPLIED_KEY)?.as_deref() == Some(version.as_bytes()) {
        out.done = true;
        return Ok(out);
    }
    let mut after = None;
    let mut warned = false;
    loop {
        if until.is_some_and(|u| Instant::now() >= u) {
            return Ok(out);
        }
        let (points, next) = sink.stale_redaction(version, after, BATCH)?;
        let mut writes = Vec::with_capacity(points.len());
        let mut to_embed = Vec::new();
        for (id, mut point) in points {
            let (changed, text_changed) = redact_payload(redactor, &mut point.payload);
            point.payload.redaction_version = version.to_string();
            out.changed += u64::from(changed);
            if text_changed && !point.vector.is_empty() {
                to_embed.push(writes.len());
            }
            // Still waiting for its vector: it stays queued, with the queued text redacted too.
            let embed_later = match point.vector.is_empty() {
                true => state.queued_text(id)?.map(|text| {
                    let mut counts = Counts::new();
                    redactor.redact(&text, &mut counts).unwrap_or(text)
                }),
                false => None,
            };
            writes.push(PointWrite {
                id,
                point,
                cache_key: None,
                embed_later,
            });
        }
        if !to_embed.is_empty() {
            let texts: Vec<&str> = to_embed
                .iter()
                .map(|&i| writes[i].point.payload.text.as_str())
                .collect();
            let vectors = embed(&texts)?;
            for (&i, vector) in to_embed.iter().zip(vectors) {
                writes[i].point.vector = vector;
            }
            out.reembedded += to_embed.len() as u64;
        }
        out.rewritten += writes.len() as u64;
        if out.changed > 0 && !warned {
            before_change()?;
            warned = true;
        }
        if !writes.is_empty() {
            sink.commit(&CommitBatch {
                ops: writes
                    .into_iter()
                    .map(|w| SinkOp::Upsert(Box::new(w)))
                    .collect(),
                checkpoints: Vec::new(),
            })?;
        }
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    state.meta_put(APPLIED_KEY, version.as_bytes())?;
    out.done = true;
    Ok(out)
}

/// Redacts the payload's strings (text, project, branch, files); returns (anything changed, the text changed).
fn redact_payload(redactor: &Redactor, p: &mut Payload) -> (bool, bool) {
    let mut counts = Counts::new();
    let text_changed = match redactor.redact(&p.text, &mut counts) {
        Some(text) => {
            p.text = text;
            p.content_hash = crate::payload::content_hash(&p.text);
            true
        }
        None => false,
    };
    p.redacted = marker_kinds(&p.text);
    let mut others = Vec::new();
    others.extend(p.project.as_mut());
    others.extend(p.project_name.as_mut());
    others.extend(p.git_branch.as_mut());
    others.extend(p.files_touched.iter_mut());
    for s in others {
        redactor.redact_in_place(s, &mut counts);
    }
    (!counts.is_empty(), text_changed)
}

#[cfg(test)]
mod tests;
