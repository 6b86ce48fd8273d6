//! Test helpers shared by the sources' unit tests: fixtures read in place, lines with their offsets, and a run
//! that stops after any line, saves its state as a checkpoint would and resumes through [`super::assembler`].

use super::{assembler, RecordAssembler, SourceState};
use crate::message::{Agent, Message};
use crate::transcript::LineOutcome;
use std::path::{Path, PathBuf};

/// `rel` under the fixtures' `dir` (`$PIPELINE_FIXTURES`, else `../shared/fixtures`), which must exist.
pub fn fixture(dir: &str, rel: &str) -> PathBuf {
    let base = std::env::var_os("PIPELINE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    let path = base.join(dir).join(rel);
    assert!(
        path.is_file(),
        "fixture not found: {} (set PIPELINE_FIXTURES)",
        path.display()
    );
    path
}

/// The complete, non-empty lines of `bytes` with their byte offsets.
pub fn split_lines(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut lines = Vec::new();
    let mut offset = 0u64;
    for l in bytes.split(|b| *b == b'\n') {
        if !l.is_empty() {
            lines.push((offset, l.to_vec()));
        }
        offset += l.len() as u64 + 1;
    }
    lines
}

/// Writes `text` to `path`, creating its directories.
pub fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

/// Feeds `lines`, asserting that each decodes cleanly.
pub fn feed_all(a: &mut dyn RecordAssembler, lines: &[(u64, Vec<u8>)], out: &mut Vec<Message>) {
    for (offset, l) in lines {
        let outcome = a.feed(*offset, l, out);
        assert_eq!(outcome, LineOutcome::Ok, "line at {offset}");
    }
}

/// Feeds the first `k` lines to a fresh assembler of `agent`, flushes, round-trips its state through bincode
/// (as a checkpoint does) into a new assembler, and feeds the rest: the messages, and the state at the end.
pub fn split_run(
    agent: Agent,
    path: &str,
    lines: &[(u64, Vec<u8>)],
    k: usize,
) -> (Vec<Message>, SourceState) {
    let mut out = Vec::new();
    // Another format's state: the assembler starts fresh.
    let fresh = match agent {
        Agent::ClaudeCode => SourceState::Codex(Default::default()),
        _ => SourceState::default(),
    };
    let mut a = assembler(agent, path, fresh, None);
    feed_all(a.as_mut(), lines.get(..k).unwrap_or(&[]), &mut out);
    a.flush(&mut out);
    let config = bincode::config::standard();
    let bytes = bincode::serde::encode_to_vec(a.state(), config).unwrap_or_else(|e| panic!("{e}"));
    let (state, _): (SourceState, usize) =
        bincode::serde::decode_from_slice(&bytes, config).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state.agent(), agent);
    let mut b = assembler(agent, path, state, None);
    feed_all(b.as_mut(), lines.get(k..).unwrap_or(&[]), &mut out);
    b.flush(&mut out);
    (out, b.state())
}

/// The line counts after which [`split_run`] stops in a resume test: every one for a short file, 20 spread
/// over a long one.
pub fn stopping_points(lines: usize) -> Vec<usize> {
    if lines <= 120 {
        (1..=lines).collect()
    } else {
        (1..=20).map(|i| i * lines / 21).collect()
    }
}

/// A GitHub token as the redaction tests plant it (the built-in redactor finds it).
pub fn planted_github_token() -> String {
    let github = crate::synth::secrets::planted_of_kind(3, "github_token")
        .map(|p| p.value)
        .unwrap_or_default();
    assert!(!github.is_empty());
    github
}

/// How many of `messages` are of each of `kinds`, in that order; asserts that no other kind occurs.
pub fn counts_of(
    messages: &[Message],
    kinds: &[crate::message::MessageKind],
    what: &str,
) -> Vec<usize> {
    let mut got: std::collections::BTreeMap<crate::message::MessageKind, usize> =
        Default::default();
    for m in messages {
        *got.entry(m.kind).or_default() += 1;
    }
    assert!(got.keys().all(|k| kinds.contains(k)), "{what}: {got:?}");
    kinds
        .iter()
        .map(|k| got.get(k).copied().unwrap_or(0))
        .collect()
}
