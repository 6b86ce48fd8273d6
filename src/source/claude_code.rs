//! Claude Code transcripts (`~/.claude/projects/<project>/<session>.jsonl`): the assembler lives in
//! `crate::transcript`, which Claude Code's format was written for first; this is its [`Format`] entry.

use super::formats::Format;
use super::{RecordAssembler, SourceState};
use crate::message::{Agent, Message};
use crate::redact::Counts;
use crate::transcript::{Assembler, AssemblerState, LineOutcome};

pub static FORMAT: Format = Format {
    agent: Agent::ClaudeCode,
    version: 1,
    pipeline_file: "claude-code.toml",
    pipeline: include_str!("../../pipelines/claude-code.toml"),
    assembler: |path, state, redactor| {
        let state = match state {
            SourceState::ClaudeCode(s) => s,
            _ => AssemblerState::default(),
        };
        Box::new(Assembler::new(path, state).with_redactor(redactor))
    },
    read_whole: |_| false,
};

impl RecordAssembler for Assembler {
    fn feed(&mut self, offset: u64, line: &[u8], out: &mut Vec<Message>) -> LineOutcome {
        Assembler::feed(self, offset, line, out)
    }
    fn flush(&mut self, out: &mut Vec<Message>) {
        Assembler::flush(self, out)
    }
    fn take_redactions(&mut self) -> Counts {
        Assembler::take_redactions(self)
    }
    fn state(&self) -> SourceState {
        SourceState::ClaudeCode(Assembler::state(self).clone())
    }
}
