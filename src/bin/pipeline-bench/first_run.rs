//! What the first budgeted run over a large history makes searchable (text first, then vectors): the share of
//! bytes stored, the points still waiting for their vectors, the time spent embedding, and whether sampled human
//! prompts are found by their exact words.

use crate::child::{field, pipeline_bin};
use crate::report::Report;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Prompts sampled from the corpus and searched for.
const SAMPLED_PROMPTS: usize = 60;
/// A prompt counts as found when its message, or a message of the very same text, is among this many lexical
/// hits.
const FOUND_WITHIN: &str = "10";

/// Reports the first run's coverage (`summary` is its `--json` summary).
pub fn report(
    report: &mut Report,
    data: &Path,
    corpus: &Path,
    files: &[PathBuf],
    summary: &serde_json::Value,
    budget_secs: u64,
) -> anyhow::Result<()> {
    let stats = pipeline_json(
        data,
        &["stats", "--json", "--source", &corpus.to_string_lossy()],
    )?;
    let percent = stats["files"]["percent_done"].as_f64().unwrap_or(0.0);
    let stored = stats["embedding"]["points_stored"].as_u64().unwrap_or(0);
    let waiting = stats["embedding"]["points_awaiting_vectors"]
        .as_u64()
        .unwrap_or(0);
    let prompts = sample_prompts(files, SAMPLED_PROMPTS);
    let mut found = 0usize;
    let mut missed = Vec::new();
    for (uuid, words, content) in &prompts {
        let hits = pipeline_json(
            data,
            &[
                "search",
                "--json",
                "--mode",
                "lexical",
                "--limit",
                FOUND_WITHIN,
                words,
            ],
        )?;
        let hit = hits["hits"].as_array().is_some_and(|h| {
            // The message, or an identical copy of it (the synthetic corpus repeats prompts word for word).
            h.iter()
                .any(|h| h["message_id"] == uuid.as_str() || h["snippet"] == content.as_str())
        });
        found += usize::from(hit);
        if !hit {
            missed.push(serde_json::json!({"message_id": uuid, "query": words, "hits": hits["hits"].as_array().map(|h| h.iter().map(|h| h["snippet"].clone()).collect::<Vec<_>>())}));
        }
    }
    report.goal(
        format!("first {budget_secs} s run from empty: history stored as text"),
        format!(
            "{percent:.1}% of bytes; {stored} points, {waiting} waiting for vectors; {:.0} s embedding ({:.0} texts)",
            field(summary, "embed_secs"),
            field(summary, "texts_embedded")
        ),
        "100% of bytes".to_string(),
        percent >= 100.0,
    );
    report.goal(
        format!("sampled prompts found by their exact words (lexical, top {FOUND_WITHIN})"),
        format!("{found} of {}", prompts.len()),
        "all".to_string(),
        found == prompts.len() && !prompts.is_empty(),
    );
    report.json(
        "first_run",
        serde_json::json!({
            "percent_bytes_stored": percent,
            "points_stored": stored,
            "points_awaiting_vectors": waiting,
            "embed_secs": field(summary, "embed_secs"),
            "texts_embedded": field(summary, "texts_embedded"),
            "prompts_sampled": prompts.len(),
            "prompts_found": found,
            "prompts_missed": missed,
        }),
    );
    Ok(())
}

/// `pipeline --data-dir DATA args...`, its stdout as JSON.
fn pipeline_json(data: &Path, args: &[&str]) -> anyhow::Result<serde_json::Value> {
    let out = Command::new(pipeline_bin()?)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "pipeline {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Up to `n` human prompts spread over the corpus's files: (their message id, the prompt's first 40 words with file names and commands, its text).
fn sample_prompts(files: &[PathBuf], n: usize) -> Vec<(String, String, String)> {
    let step = (files.len() / n.max(1)).max(1);
    let mut out = Vec::new();
    for file in files.iter().step_by(step) {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let prompt = text.lines().find_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            let is_prompt = v["type"] == "user"
                && v["isMeta"] != true
                && v["isCompactSummary"] != true
                && v["message"]["content"].is_string();
            let content = v["message"]["content"].as_str()?;
            let words: Vec<&str> = content
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
                .filter(|w| !w.is_empty())
                .take(40)
                .collect();
            let id = pipeline::ids::message_id(v["sessionId"].as_str()?, v["uuid"].as_str()?);
            (is_prompt && !content.starts_with('<') && words.len() >= 6)
                .then(|| (id.to_string(), words.join(" "), content.to_string()))
        });
        out.extend(prompt);
        if out.len() == n {
            break;
        }
    }
    out
}
