//! Corpora for the benchmarks: seeded synthetic transcripts, and the texts the pipeline would embed from them.

use pipeline::config::PipelineConfig;
use pipeline::stages::enhance::{enhance_message, EnhancerState};
use pipeline::stages::ParsedMessage;
use pipeline::synth::{generate, SynthManifest, SynthSpec};
use pipeline::transcript::{chunk_text, Assembler, AssemblerState, LineReader, RawLineItem};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A fresh synthetic corpus in `dir` (anything there before is removed).
pub fn synthetic(
    dir: &Path,
    seed: u64,
    bytes: u64,
    projects: usize,
    lines_per_session: usize,
) -> anyhow::Result<SynthManifest> {
    let _ = std::fs::remove_dir_all(dir);
    Ok(generate(
        dir,
        &SynthSpec {
            seed,
            target_bytes: bytes,
            projects,
            lines_per_session,
        },
    )?)
}

/// A fresh synthetic backlog in `src` (300-line sessions) synced into a fresh data dir `data` by the real binary;
/// its run.
pub fn synced_backlog(
    src: &Path,
    data: &Path,
    seed: u64,
    bytes: u64,
    projects: usize,
) -> anyhow::Result<crate::child::ChildRun> {
    let _ = std::fs::remove_dir_all(data);
    synthetic(src, seed, bytes, projects, 300)?;
    let synced = crate::child::run_pipeline(data, src, &[])?;
    anyhow::ensure!(synced.exit_code == 0, "backlog sync failed");
    Ok(synced)
}

/// Every `.jsonl` file under `dir`, sorted.
pub fn jsonl_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// What parsing a corpus as the pipeline does yields.
pub struct Parsed {
    pub bytes: u64,
    /// Time spent reading, assembling, chunking (and enhancing, if asked), on this one thread.
    pub secs: f64,
    pub lines: u64,
    pub messages: u64,
    /// Chunks produced (each becomes a point).
    pub chunks: u64,
    /// Distinct chunk texts in order of first appearance: what the embedder receives.
    pub texts: Vec<String>,
}

/// Parses (and optionally enhances) every file as the pipeline does.
pub fn parse(files: &[PathBuf], config: &PipelineConfig, enhance: bool) -> anyhow::Result<Parsed> {
    let mut seen = HashSet::new();
    let mut p = Parsed {
        bytes: 0,
        secs: 0.0,
        lines: 0,
        messages: 0,
        chunks: 0,
        texts: Vec::new(),
    };
    let mut elapsed = Duration::ZERO;
    for path in files {
        let file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        let start = Instant::now();
        let name = path.to_string_lossy();
        let mut asm = Assembler::new(&name, AssemblerState::default());
        let mut reader = LineReader::new(file, 0, size, config.parse.max_line_bytes)?;
        let mut msgs = Vec::new();
        while let Some(item) = reader.next_line()? {
            if let RawLineItem::Line { offset, bytes } = item {
                p.lines += 1;
                asm.feed(offset, bytes, &mut msgs);
            }
        }
        asm.flush(&mut msgs);
        let mut state = EnhancerState::default();
        let mut out = Vec::new();
        let mut chunks = Vec::new();
        p.messages += msgs.len() as u64;
        for message in msgs {
            let c = chunk_text(&message.text, config.parse.chunk_max_tokens);
            if enhance {
                let parsed = ParsedMessage { message, chunks: c };
                enhance_message(&mut state, &parsed, &mut out);
                chunks.extend(parsed.chunks);
            } else {
                chunks.extend(c);
            }
        }
        elapsed += start.elapsed();
        p.bytes += size;
        out.clear();
        p.chunks += chunks.len() as u64;
        for c in chunks {
            if seen.insert(c.clone()) {
                p.texts.push(c);
            }
        }
    }
    p.secs = elapsed.as_secs_f64();
    Ok(p)
}
