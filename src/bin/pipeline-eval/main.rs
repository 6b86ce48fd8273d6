//! `make eval`: search quality on the labelled question set in `eval/questions.jsonl` (see eval/README.md).
//!
//! Syncs the real fixture sessions (`$PIPELINE_FIXTURES/claude-projects`) into `target/eval/data` with the
//! release `pipeline` binary (incrementally: a second run only re-reads what changed), then asks every question
//! in hybrid, semantic-only and lexical-only mode through the same code path as `pipeline search` and the MCP
//! tool, and judges each ranked list per message. Prints top-1/5/10 and MRR@50 per style and overall, and writes
//! `target/eval/results.json` (with every question's rank in each mode) for comparisons between runs.

mod metrics;
mod questions;
mod redaction;
mod weak;

use metrics::{by_style, Scores, MRR_DEPTH};
use pipeline::config::PipelineConfig;
use pipeline::embedder::{default_model_dir, Embedder, EmbedderSettings, ModelFiles};
use pipeline::search::query::{self, SearchOptions};
use pipeline::search::{SearchIndex, SearchMode};
use questions::{contains_normalized, rank_of, Question};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Serialize)]
struct QuestionResult {
    id: String,
    style: String,
    question: String,
    /// Rank of the first correct message in each mode (None: not in the top 50).
    ranks: BTreeMap<&'static str, Option<usize>>,
}

#[derive(Serialize)]
struct Results {
    /// The embedding model's id.
    model: String,
    questions: usize,
    points: usize,
    /// Labels whose message is not in the index, or whose stored text lacks the quoted substring.
    label_problems: Vec<String>,
    scores: BTreeMap<&'static str, BTreeMap<String, Scores>>,
    per_question: Vec<QuestionResult>,
    sync_seconds: f64,
    search_seconds: f64,
    /// The weak-match cut-off measured for this model.
    weak_matches: weak::Calibration,
}

fn main() -> anyhow::Result<()> {
    let fixtures = std::env::var_os("PIPELINE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/fixtures"));
    let questions_path = std::env::var_os("EVAL_QUESTIONS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("eval/questions.jsonl"));
    // EVAL_PIPELINE: a pipeline file naming another model (e.g. pipelines/claude-code-mpnet.toml); each pipeline
    // gets its own data dir, since a data dir holds one model's vectors.
    let pipeline_file = std::env::var_os("EVAL_PIPELINE").map(PathBuf::from);
    let config = match &pipeline_file {
        Some(p) => PipelineConfig::load(p)?,
        None => PipelineConfig::builtin(),
    };
    let out_dir = PathBuf::from("target/eval");
    let data_dir = match &pipeline_file {
        Some(_) => out_dir.join(format!("data-{}", config.name)),
        None => out_dir.join("data"),
    };
    std::fs::create_dir_all(&out_dir)?;
    let questions = questions::load(&questions_path)?;
    let off_topic = weak::load_off_topic(&questions_path.with_file_name("off-topic.txt"))?;

    let synced = Instant::now();
    sync(
        &fixtures.join("claude-projects"),
        &data_dir,
        pipeline_file.as_deref(),
    )?;
    let sync_seconds = synced.elapsed().as_secs_f64();

    // Labels are checked against every stored point; questions are asked of what `pipeline search` opens (the
    // published index, which the sync's last run wrote).
    let index = SearchIndex::load(&pipeline::store::EmbeddedStore::open_reader(&data_dir)?)?;
    let label_problems = check_labels(&index, &questions);
    let (searched_index, source) = pipeline::search::open_embedded(&data_dir)?;
    anyhow::ensure!(
        source == pipeline::search::IndexSource::Published,
        "the sync left no current published index ({source:?})"
    );
    let mut embedder = Embedder::load(
        &ModelFiles::from_config(&default_model_dir(), &config.embed.model),
        EmbedderSettings::from_config(&config.embed),
    )?;

    let searched = Instant::now();
    let mut per_question = Vec::new();
    for q in &questions {
        let mut ranks = BTreeMap::new();
        for mode in SearchMode::ALL {
            let opts = SearchOptions {
                query: q.question.clone(),
                mode,
                limit: MRR_DEPTH,
                ..SearchOptions::default()
            };
            let hits = query::run(searched_index.as_ref(), &mut embedder, &opts)?.hits;
            let top = hits.iter().take(MRR_DEPTH).map(|h| &h.payload);
            ranks.insert(mode.as_str(), rank_of(q, top));
        }
        per_question.push(QuestionResult {
            id: q.id.clone(),
            style: q.style.clone(),
            question: q.question.clone(),
            ranks,
        });
    }
    let search_seconds = searched.elapsed().as_secs_f64();
    let weak_matches = weak::measure(
        searched_index.as_ref(),
        &mut embedder,
        &questions,
        &off_topic,
    )?;

    let mut scores = BTreeMap::new();
    for mode in SearchMode::ALL {
        let ranks: Vec<(String, Option<usize>)> = per_question
            .iter()
            .map(|r| (r.style.clone(), r.ranks[mode.as_str()]))
            .collect();
        scores.insert(mode.as_str(), by_style(&ranks));
    }
    let results = Results {
        model: embedder.id().to_string(),
        questions: questions.len(),
        points: index.len(),
        label_problems,
        scores,
        per_question,
        sync_seconds,
        search_seconds,
        weak_matches,
    };
    print_report(&results);
    weak::print(&results.weak_matches);
    let json = out_dir.join("results.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&results)?)?;
    println!("\nwrote {}", json.display());

    let redactions = redaction::measure(&fixtures, index.payloads())?;
    redaction::print(&redactions);
    let json = out_dir.join("redaction.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&redactions)?)?;
    println!("wrote {}", json.display());
    Ok(())
}

/// Brings the eval data dir up to date with the fixtures, resuming while a run reports work left (exit 75).
fn sync(source: &Path, data_dir: &Path, pipeline_file: Option<&Path>) -> anyhow::Result<()> {
    let bin = std::env::var_os("PIPELINE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/pipeline"));
    for _ in 0..20 {
        let mut command = Command::new(&bin);
        if let Some(p) = pipeline_file {
            command.arg("--pipeline").arg(p);
        }
        let status = command
            .arg("--data-dir")
            .arg(data_dir)
            .arg("run")
            .arg("--source")
            .arg(source)
            .status()
            .map_err(|e| anyhow::anyhow!("{}: {e} (build it with `make build`)", bin.display()))?;
        match status.code() {
            Some(0) => return Ok(()),
            Some(75) => continue,
            _ => anyhow::bail!("{} run failed: {status}", bin.display()),
        }
    }
    anyhow::bail!("the sync of {} did not finish in 20 runs", source.display())
}

/// Every label must name a stored message whose text holds the quoted substring; a miss here is an indexing gap
/// (the question then cannot be answered), reported rather than hidden.
fn check_labels(index: &SearchIndex, questions: &[Question]) -> Vec<String> {
    let mut problems = Vec::new();
    for q in questions {
        for a in &q.answers {
            let Some(p) = index.payloads().iter().find(|p| a.matches(p)) else {
                problems.push(format!(
                    "{}: {} {} is not in the index",
                    q.id, a.file, a.uuid
                ));
                continue;
            };
            let text = index.message_text(&p.message_id).unwrap_or_default();
            if !contains_normalized(&text, &a.substring) {
                problems.push(format!(
                    "{}: the stored text of {} {} lacks {:?}",
                    q.id, a.file, a.uuid, a.substring
                ));
            }
        }
    }
    problems
}

fn print_report(r: &Results) {
    println!(
        "search quality ({}): {} questions over {} stored points (sync {:.1}s, {} searches in {:.1}s)\n",
        r.model,
        r.questions,
        r.points,
        r.sync_seconds,
        r.questions * SearchMode::ALL.len(),
        r.search_seconds
    );
    println!(
        "{:<9} {:<11} {:>4} {:>7} {:>7} {:>7} {:>7}",
        "mode", "style", "n", "top-1", "top-5", "top-10", "MRR@50"
    );
    for (mode, styles) in &r.scores {
        for (style, s) in styles {
            println!(
                "{:<9} {:<11} {:>4} {:>6.1}% {:>6.1}% {:>6.1}% {:>7.3}",
                mode,
                style,
                s.questions,
                s.pct(s.top1),
                s.pct(s.top5),
                s.pct(s.top10),
                s.mrr50
            );
        }
    }
    let misses: Vec<String> = r
        .per_question
        .iter()
        .filter(|q| q.ranks["hybrid"].is_none_or(|k| k > 5))
        .map(|q| match q.ranks["hybrid"] {
            Some(k) => format!("{} (rank {k})", q.id),
            None => format!("{} (not in top {MRR_DEPTH})", q.id),
        })
        .collect();
    println!(
        "\nhybrid outside the top 5: {}",
        if misses.is_empty() {
            "none".into()
        } else {
            misses.join(", ")
        }
    );
    if !r.label_problems.is_empty() {
        println!(
            "\nlabels not matched in the index ({}):",
            r.label_problems.len()
        );
        for p in &r.label_problems {
            println!("  {p}");
        }
    }
}
