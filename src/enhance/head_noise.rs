//! Environment noise at the head of tool results. A login shell whose profile fails in a sandbox prints the
//! same warnings before every command's output (Codex CLI on macOS: `brew.sh: line 60: cannot create temp file
//! for here document: Operation not permitted`, before each of the 57 outputs of one fixture rollout). Embedded,
//! that noise makes every output alike in meaning and hides what each one says. The lines that opened several
//! earlier, different outputs of the same transcript are left out of what the model embeds; the stored text,
//! which lexical search and the snippet read, keeps them.
//!
//! The counts are a transcript's own and travel in its checkpoint (the enhancer's state), so a run that resumes
//! mid-file leaves out the same lines as an uninterrupted one.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How many lines at the head of an output are counted and may be left out.
const HEAD_LINES: usize = 8;
/// A head line is noise once it opened this many earlier, different outputs.
const MIN_EARLIER_OUTPUTS: u32 = 3;
/// Shorter lines (`}`, `OK`, `---`) are never counted: they say too little to be anyone's noise.
const MIN_LINE_CHARS: usize = 12;
/// Most distinct head lines counted, and most outputs remembered to count a repeated output once.
const MAX_COUNTED_LINES: usize = 512;
const MAX_REMEMBERED_OUTPUTS: usize = 256;

/// The head lines of one transcript's tool results, counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HeadNoise {
    /// (hash of a trimmed head line, how many different outputs it opened), oldest first.
    lines: Vec<(u64, u32)>,
    /// The last outputs seen: (hash of the output, its message, how many of its head lines were noise). An
    /// output seen before (the same command run twice) is not counted again; a message seen again (emitted
    /// twice) loses the lines it lost the first time.
    outputs: VecDeque<(u64, u128, u8)>,
}

impl HeadNoise {
    /// The leading lines of `output`, the text of `message`, that are noise (each opened at least
    /// `MIN_EARLIER_OUTPUTS` (3) earlier, different outputs; blank lines among them go too); then counts this
    /// output's head lines, unless the same output was counted before. A message seen again with the same output
    /// loses the lines it lost then.
    pub fn observe(&mut self, message: u128, output: &str) -> Vec<String> {
        let head: Vec<&str> = output.lines().take(HEAD_LINES).collect();
        let output_hash = hash(output);
        if let Some((_, _, n)) = self
            .outputs
            .iter()
            .find(|(h, m, _)| *m == message && *h == output_hash)
        {
            return head
                .iter()
                .take(usize::from(*n))
                .map(|l| l.to_string())
                .collect();
        }
        let counted_before = self.outputs.iter().any(|(h, _, _)| *h == output_hash);
        let mut noise: Vec<String> = head
            .iter()
            .take_while(|line| line.trim().is_empty() || self.is_noise(line))
            .map(|line| line.to_string())
            .collect();
        // Trailing blank lines are the output's, not the noise's.
        while noise.last().is_some_and(|l| l.trim().is_empty()) {
            noise.pop();
        }
        if self.outputs.len() >= MAX_REMEMBERED_OUTPUTS {
            self.outputs.pop_front();
        }
        // At most HEAD_LINES (8) lines: fits a byte.
        let noise_lines = u8::try_from(noise.len()).unwrap_or(u8::MAX);
        self.outputs.push_back((output_hash, message, noise_lines));
        if counted_before {
            return noise;
        }
        let mut counted: Vec<u64> = Vec::new();
        for line in head.iter().map(|l| l.trim()) {
            if line.chars().count() < MIN_LINE_CHARS {
                continue;
            }
            let h = hash(line);
            if !counted.contains(&h) {
                counted.push(h);
                self.count(h);
            }
        }
        noise
    }

    fn is_noise(&self, line: &str) -> bool {
        let h = hash(line.trim());
        self.lines
            .iter()
            .any(|(l, n)| *l == h && *n >= MIN_EARLIER_OUTPUTS)
    }

    fn count(&mut self, h: u64) {
        if let Some(entry) = self.lines.iter_mut().find(|(l, _)| *l == h) {
            entry.1 = entry.1.saturating_add(1);
            return;
        }
        if self.lines.len() >= MAX_COUNTED_LINES {
            // Counts age: halved, and lines down to 0 forgotten, so that lines counted long ago (the heads of files
            // read twice) make room, and noise that keeps coming keeps its count. If none went, the oldest of the
            // least counted goes.
            for entry in self.lines.iter_mut() {
                entry.1 /= 2;
            }
            self.lines.retain(|(_, n)| *n > 0);
            if self.lines.len() >= MAX_COUNTED_LINES {
                let least = self.lines.iter().map(|(_, n)| *n).min().unwrap_or(0);
                if let Some(i) = self.lines.iter().position(|(_, n)| *n == least) {
                    self.lines.remove(i);
                }
            }
        }
        self.lines.push((h, 1));
    }
}

/// A stable 64-bit hash (it is saved in checkpoints, so it must not change between runs or builds).
fn hash(text: &str) -> u64 {
    let digest = blake3::hash(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// A tool result's output: its text after the `[result: ...]` label line (all of it when it has none).
pub fn output_of(text: &str) -> &str {
    match text.split_once('\n') {
        Some((label, output)) if crate::transcript::result_label::is_label(label) => output,
        _ => text,
    }
}

/// `chunk` without the `noise` lines that open its output ([`output_of`]), in order; the chunk as it is when they
/// are not there.
pub fn without_noise(chunk: &str, noise: &[String]) -> String {
    let output = output_of(chunk);
    let lines: Vec<&str> = output.lines().collect();
    let skipped = lines
        .iter()
        .zip(noise)
        .take_while(|(line, n)| line.trim() == n.trim())
        .count();
    if skipped == 0 {
        return chunk.to_string();
    }
    let label = &chunk[..chunk.len() - output.len()];
    format!("{label}{}", lines[skipped..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BREW: &str = "/opt/homebrew/Library/Homebrew/brew.sh: line 60: cannot create temp file for here document: Operation not permitted";
    const PS: &str =
        "/opt/homebrew/Library/Homebrew/cmd/shellenv.sh: line 18: /bin/ps: Operation not permitted";

    /// A new message id.
    fn id() -> u128 {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        u128::from(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    fn output(body: &str) -> String {
        format!("{BREW}\n{PS}\n{body}")
    }

    #[test]
    fn lines_that_opened_three_different_outputs_are_noise_from_the_fourth() {
        let mut noise = HeadNoise::default();
        for body in ["src/app.ts", "package.json", "M README.md"] {
            assert!(noise.observe(id(), &output(body)).is_empty(), "{body}");
        }
        assert_eq!(noise.observe(id(), &output("fourth")), [BREW, PS]);
        // Only at the head, in order, and the output's own lines stay.
        assert_eq!(
            noise.observe(id(), &format!("ok\n{BREW}")),
            Vec::<String>::new()
        );
        assert_eq!(noise.observe(id(), &format!("{PS}\n\nlisting")), [PS]);
    }

    #[test]
    fn the_same_output_again_and_short_lines_do_not_count() {
        let mut noise = HeadNoise::default();
        for _ in 0..5 {
            assert!(noise.observe(id(), &output("same")).is_empty());
        }
        for body in ["a", "b", "c", "d"] {
            assert!(noise.observe(id(), &format!("}}\nOK\n{body}")).is_empty());
        }
    }

    #[test]
    fn the_count_survives_a_checkpoint() {
        let mut whole = HeadNoise::default();
        let mut resumed = HeadNoise::default();
        for (i, body) in ["one", "two", "three", "four", "five"].iter().enumerate() {
            let message = id();
            let a = whole.observe(message, &output(body));
            if i == 2 {
                let bytes = crate::codec::bincode_bytes("test", &resumed).unwrap_or_default();
                let config = bincode::config::standard();
                resumed = bincode::serde::decode_from_slice(&bytes, config)
                    .map(|(s, _)| s)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            assert_eq!(resumed.observe(message, &output(body)), a, "{body}");
        }
    }

    #[test]
    fn a_message_seen_again_loses_what_it_lost_the_first_time() {
        let mut noise = HeadNoise::default();
        for body in ["one", "two"] {
            noise.observe(id(), &output(body));
        }
        let (third, message) = (output("three"), id());
        assert!(noise.observe(message, &third).is_empty());
        assert!(
            noise.observe(message, &third).is_empty(),
            "the same message again: not its own earlier output"
        );
        assert_eq!(
            noise.observe(id(), &third),
            [BREW, PS],
            "another message with the same output (a warning-only output, as every command printed)"
        );
        let (fourth, message) = (output("four"), id());
        assert_eq!(noise.observe(message, &fourth), [BREW, PS]);
        assert_eq!(noise.observe(message, &fourth), [BREW, PS]);
    }

    #[test]
    fn noise_is_learned_after_the_table_fills_with_lines_seen_twice() {
        let mut noise = HeadNoise::default();
        // A long session reads 200 files twice (different outputs: the ranges differ), then the noise starts.
        for round in 0..2 {
            for file in 0..200 {
                let head: String = (0..3)
                    .map(|l| format!("file {file} line {l} of some source text\n"))
                    .collect();
                noise.observe(id(), &format!("{head}range {round}"));
            }
        }
        for body in ["a1", "a2", "a3"] {
            noise.observe(id(), &output(body));
        }
        assert_eq!(noise.observe(id(), &output("a4")), [BREW, PS]);
    }

    #[test]
    fn counted_lines_stay_bounded() {
        let mut noise = HeadNoise::default();
        for i in 0..(MAX_COUNTED_LINES * 3) {
            noise.observe(id(), &format!("a distinct head line number {i}\nbody"));
        }
        assert!(noise.lines.len() <= MAX_COUNTED_LINES);
        assert!(noise.outputs.len() <= MAX_REMEMBERED_OUTPUTS);
    }

    #[test]
    fn noise_leaves_the_embedded_chunk_but_not_the_label() {
        let chunk = format!("[result: shell]\n{BREW}\n{PS}\nexport const x = 1;");
        assert_eq!(
            without_noise(&chunk, &[BREW.to_string(), PS.to_string()]),
            "[result: shell]\nexport const x = 1;"
        );
        assert_eq!(without_noise(&chunk, &[]), chunk);
        assert_eq!(
            without_noise("[result: shell]\nother", &[BREW.to_string()]),
            "[result: shell]\nother"
        );
    }
}
