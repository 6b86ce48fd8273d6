//! Trying to break it: nasty lines, random mutations of real lines, damaged checkpoints, an unwritable data dir,
//! and a writer appending to files while runs are killed. `make test` runs short versions; `make torture` sets
//! `PIPELINE_TORTURE=1` for long ones and prints the table. Seeds are printed; `PIPELINE_TEST_SEED` replays.

mod bad_input;
#[path = "../common/mod.rs"]
mod common;
mod limits;
mod live_files;

use common::*;
use pipeline::transcript::{Assembler, AssemblerState, LineOutcome};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn long_mode() -> bool {
    std::env::var_os("PIPELINE_TORTURE").is_some()
}

fn fixture_lines() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for rel in [
        "-home-user-spotter/tool_heavy.jsonl",
        "-tmp-claude-reliability/python-to-rust-port.jsonl",
        "-home-user-episodic-memory/tiny-conversation.jsonl",
    ] {
        let bytes = std::fs::read(fixtures().join(rel)).unwrap_or_default();
        out.extend(
            bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    out
}
