//! `pipeline synth` (hidden): writes a seeded synthetic corpus.

use super::EXIT_OK;
use clap::Args;
use pipeline::synth::{generate, SynthSpec};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Directory to write `<project>/<session>.jsonl` files into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Approximate total size in bytes.
    #[arg(long, default_value_t = 2_000_000)]
    pub bytes: u64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 3)]
    pub projects: usize,
    #[arg(long, default_value_t = 300)]
    pub lines_per_session: usize,
}

pub fn execute(args: SynthArgs) -> anyhow::Result<u8> {
    let spec = SynthSpec {
        seed: args.seed,
        target_bytes: args.bytes,
        projects: args.projects.max(1),
        lines_per_session: args.lines_per_session.max(10),
    };
    let m = generate(&args.out, &spec)?;
    outln!(
        "wrote {} files, {} bytes, {} lines ({} prompts, {} assistant messages, {} tool results) to {}",
        m.files.len(),
        m.total_bytes,
        m.total_lines,
        m.human_prompts,
        m.assistant_messages,
        m.tool_results,
        args.out.display()
    );
    Ok(EXIT_OK)
}
