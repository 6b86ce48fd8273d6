//! Fuzzes the parse path: the fuzz input is the bytes of one file, read as a Claude Code transcript, as a Codex
//! CLI rollout and as a Gemini CLI JSONL chat (every line-based source format), and as a Gemini CLI JSON chat
//! (the format read whole: it must return messages or an error, never panic).
//!
//! It goes the way `stages::parse` goes: a `LineReader` over a real file yields the complete lines (a partial
//! last line is left for a later run, an over-long one is skipped), the format's `RecordAssembler::feed` turns
//! each line into messages, and `flush` emits the open message at the end. A second run stops after some line, saves the
//! state as the checkpoint does (`ResumeState` bytes), and resumes from the reader's offset with the restored
//! state.
//!
//! Checked, besides "nothing panics":
//! - every line or skipped line the reader reports sits at its byte offset in the input, and together they tile
//!   the input up to its last `\n` (the offset is what the pipeline prints with a malformed or skipped line);
//! - a repaired or malformed line comes with a reason;
//! - every message's `line_offset` is the offset of a line that was fed;
//! - the state survives its encoding unchanged, and the resumed run emits exactly the messages of the
//!   uninterrupted one.
//!
//! Run it with `make fuzz` (`scripts/fuzz.sh`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use pipeline::stages::ResumeState;
use pipeline::message::{Agent, Message};
use pipeline::source::{RecordAssembler, SourceState};
use pipeline::transcript::{LineOutcome, LineReader, RawLineItem};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

/// Lines longer than this are skipped, like `parse.max_line_bytes` (32 MiB by default): small here so the
/// seeds already reach that path (most real lines are shorter, a few fixture lines are longer).
const MAX_LINE: usize = 16 << 10;
const SOURCE: &str = "/fuzz/session.jsonl";

fuzz_target!(|data: &[u8]| {
    for agent in [Agent::ClaudeCode, Agent::Codex, Agent::GeminiCli] {
        check(agent, data);
    }
    let mut counts = pipeline::redact::Counts::new();
    if let Ok(messages) = pipeline::source::gemini::read_chat(SOURCE, data, None, &mut counts) {
        for m in &messages {
            assert_eq!(m.agent, Agent::GeminiCli);
            assert_eq!(m.source_path, SOURCE);
        }
    }
});

fn check(agent: Agent, data: &[u8]) {
    let file = scratch_file(data);
    let end_of_last_line = after_last_newline(data);

    // Uninterrupted.
    let mut whole = Run::new(agent, SourceState::default());
    let (consumed, lines) = whole.feed_lines(file, data, 0, usize::MAX);
    assert_eq!(
        consumed, end_of_last_line,
        "the reader stops after the last complete line"
    );
    whole.asm.flush(&mut whole.out);
    for m in &whole.out {
        let at = m.line_offset;
        assert!(
            whole.line_offsets.binary_search(&at).is_ok(),
            "message at {at} is not at a line"
        );
        assert_eq!(m.source_path, SOURCE);
        assert_eq!(m.agent, agent);
    }

    // Stopped after `split` lines and resumed from a saved state, as after a checkpoint. The split varies with
    // the input, so the fuzzer tries them all.
    let split = data.len() % (lines + 1);
    let mut first = Run::new(agent, SourceState::default());
    let (offset, _) = first.feed_lines(file, data, 0, split);
    let saved = ResumeState {
        source: first.asm.state(),
        ..ResumeState::default()
    };
    let bytes = saved.to_bytes().expect("a state encodes");
    let restored = ResumeState::from_bytes(&bytes).expect("a saved state decodes");
    assert_eq!(restored, saved, "the state survives its encoding");
    let mut second = Run::new(agent, restored.source);
    let (consumed, _) = second.feed_lines(file, data, offset, usize::MAX);
    assert_eq!(consumed, end_of_last_line);
    second.asm.flush(&mut second.out);
    first.out.append(&mut second.out);
    assert!(
        first.out == whole.out,
        "{agent}: resuming after line {split} changed the messages"
    );
}

/// One run of the parse path over the input: the assembler, the messages it emitted, the offsets of the lines
/// it was fed.
struct Run {
    asm: Box<dyn RecordAssembler>,
    out: Vec<Message>,
    line_offsets: Vec<u64>,
}

impl Run {
    fn new(agent: Agent, state: SourceState) -> Self {
        Run {
            asm: pipeline::source::assembler(agent, SOURCE, state, None),
            out: Vec::new(),
            line_offsets: Vec::new(),
        }
    }

    /// Feeds at most `max_lines` lines of `file`, from `offset`, checking each against `data` (the file's bytes).
    /// Returns where the next run would start and how many lines were read.
    fn feed_lines(
        &mut self,
        file: &File,
        data: &[u8],
        offset: u64,
        max_lines: usize,
    ) -> (u64, usize) {
        let file = file.try_clone().expect("dup the scratch file");
        let mut reader =
            LineReader::new(file, offset, data.len() as u64, MAX_LINE).expect("open reader");
        let (mut next_start, mut n) = (offset, 0);
        while n < max_lines {
            let Some(item) = reader.next_line().expect("read") else {
                break;
            };
            let (start, len) = match item {
                RawLineItem::Line { offset, bytes } => {
                    assert!(bytes.len() <= MAX_LINE);
                    assert_eq!(
                        &data[offset as usize..][..bytes.len()],
                        bytes,
                        "line bytes at {offset}"
                    );
                    self.line_offsets.push(offset);
                    match self.asm.feed(offset, bytes, &mut self.out) {
                        LineOutcome::Ok => {}
                        LineOutcome::Repaired(why) | LineOutcome::Malformed(why) => {
                            assert!(!why.is_empty())
                        }
                    }
                    (offset, bytes.len() as u64)
                }
                RawLineItem::Oversized { offset, len } => {
                    assert!(
                        len as usize > MAX_LINE,
                        "line of {len} bytes at {offset} skipped"
                    );
                    (offset, len)
                }
            };
            assert_eq!(start, next_start, "lines tile the input");
            let end = (start + len) as usize;
            assert_eq!(
                data.get(end),
                Some(&b'\n'),
                "line at {start} ends at a newline"
            );
            assert!(!data[start as usize..end].contains(&b'\n'));
            next_start = end as u64 + 1;
            assert_eq!(reader.consumed(), next_start);
            n += 1;
        }
        (reader.consumed(), n)
    }
}

/// Offset just after the last `\n` of `data` (0 without one).
fn after_last_newline(data: &[u8]) -> u64 {
    data.iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i as u64 + 1)
}

/// One scratch file for the whole fuzzing process, rewritten with each input: the reader reads a `File`, as in
/// the pipeline.
fn scratch_file(data: &[u8]) -> &'static File {
    static SCRATCH: OnceLock<File> = OnceLock::new();
    let file = SCRATCH.get_or_init(|| tempfile::tempfile().expect("create scratch file"));
    file.set_len(0).expect("truncate scratch file");
    file.write_all_at(data, 0).expect("write scratch file");
    file
}
