//! Parse (+ chunk) and parse + chunk + enhance throughput on one core, on a large synthetic corpus.

use crate::corpus;
use crate::report::Report;
use pipeline::config::PipelineConfig;
use std::path::Path;

/// Goal of the issue: parse + enhance at 200 MB/s or more on one core.
const GOAL_MB_PER_S: f64 = 200.0;

pub fn run(
    report: &mut Report,
    config: &PipelineConfig,
    out_dir: &Path,
    bytes: u64,
) -> anyhow::Result<()> {
    let dir = out_dir.join("parse-corpus");
    corpus::synthetic(&dir, 11, bytes, 6, 1500)?;
    let files = corpus::jsonl_files(&dir);
    // Warm the page cache so the first pass does not pay for the disk.
    corpus::parse(&files, config, false)?;
    let parsed = corpus::parse(&files, config, false)?;
    let enhanced = corpus::parse(&files, config, true)?;
    let mbs = |p: &corpus::Parsed| p.bytes as f64 / 1e6 / p.secs;
    report.row(
        "parse + chunk, one core",
        format!("{:.0} MB/s ({} MB)", mbs(&parsed), parsed.bytes / 1_000_000),
    );
    report.goal(
        "parse + chunk + enhance, one core",
        format!("{:.0} MB/s", mbs(&enhanced)),
        format!(">= {GOAL_MB_PER_S:.0} MB/s"),
        mbs(&enhanced) >= GOAL_MB_PER_S,
    );
    report.json(
        "parse",
        serde_json::json!({
            "bytes": parsed.bytes,
            "lines": parsed.lines,
            "messages": parsed.messages,
            "parse_mb_per_s": mbs(&parsed),
            "parse_enhance_mb_per_s": mbs(&enhanced),
        }),
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
