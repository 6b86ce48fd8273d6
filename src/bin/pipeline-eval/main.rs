//! `make eval`: search quality on three labelled question sets (see eval/README.md):
//! - `eval/questions.jsonl` over the Claude Code fixture sessions (`$PIPELINE_FIXTURES/claude-projects`), synced
//!   into `target/eval/data`; results in `target/eval/results.json`;
//! - `eval/agents/questions.jsonl` over the Codex CLI and Gemini CLI fixtures, asked of a store that holds all
//!   three agents' fixtures (`target/eval/data-agents`); results in `target/eval/results-agents.json`;
//! - `eval/heldout/questions.jsonl`, written blind after the ranking was tuned on the other two, over all three
//!   agents' fixtures and asked of the same store; results in `target/eval/results-heldout.json`.
//!
//! `EVAL_PIPELINE` names a pipeline file with another model: every set is then measured with it, in data dirs
//! and result files named after it.
//!
//! Each data dir is synced with the release `pipeline` binary (incrementally: a second run only re-reads what
//! changed). Every question is asked in hybrid, semantic-only and lexical-only mode through the same code path as
//! `pipeline search` and the MCP tool, and each ranked list is judged per message. Prints top-1/5/10 and MRR@50
//! per style and overall, and the weak-match cut-off's calibration; the JSON holds every question's rank in each
//! mode, for comparisons between runs.

mod metrics;
mod questions;
mod redaction;
mod weak;

use metrics::{by_style, Scores, MRR_DEPTH};
use pipeline::config::PipelineConfig;
use pipeline::embedder::{default_model_dir, Embedder, EmbedderSettings, ModelFiles};
use pipeline::search::query::{self, SearchOptions};
use pipeline::search::{SearchIndex, SearchMode};
use questions::{rank_of, Question};
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
    /// Whether the search read it as a question in plain words (`search::plain_question`), which weighs BM25
    /// for prose only: the form that decides how the question is ranked.
    plain: bool,
    /// Rank of the first correct message in each mode (None: not in the top 50).
    ranks: BTreeMap<&'static str, Option<usize>>,
}

#[derive(Serialize)]
struct Results {
    /// Which question set: `claude-code`, `agents` or `heldout`.
    set: &'static str,
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
    /// The weak-match cut-off measured for this model on this set (and the off-topic questions).
    weak_matches: Vec<weak::Calibration>,
}

/// A labelled question set, the fixture sources it is asked over and the data dir they sync into.
struct QuestionSet {
    name: &'static str,
    questions: Vec<Question>,
    data_dir: PathBuf,
    /// Each source directory with the pipeline file that reads it (`None`: the built-in Claude Code pipeline, or
    /// `EVAL_PIPELINE`'s).
    sources: Vec<(Option<PathBuf>, PathBuf)>,
    results: PathBuf,
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
    std::fs::create_dir_all(&out_dir)?;
    let suffix = match &pipeline_file {
        Some(_) => format!("-{}", config.name),
        None => String::new(),
    };
    let claude_code = QuestionSet {
        name: "claude-code",
        questions: questions::load(&questions_path)?,
        data_dir: out_dir.join(format!("data{suffix}")),
        sources: vec![(pipeline_file.clone(), fixtures.join("claude-projects"))],
        results: out_dir.join(format!("results{suffix}.json")),
    };
    let off_topic = weak::load_off_topic(&questions_path.with_file_name("off-topic.txt"))?;
    // The Codex CLI and Gemini CLI set is asked of all three agents' fixtures in one store (their questions
    // compete with Claude Code's history, as in a real data dir). With EVAL_PIPELINE, the Codex and Gemini
    // pipelines take its model (`with_model_of`).
    let other_pipeline = |file: &str| -> anyhow::Result<PathBuf> {
        let builtin = Path::new("pipelines").join(file);
        match &pipeline_file {
            Some(model) => with_model_of(&builtin, model, &out_dir.join("pipelines")),
            None => Ok(builtin),
        }
    };
    let agents_store_sources = vec![
        (pipeline_file.clone(), fixtures.join("claude-projects")),
        (
            Some(other_pipeline("codex.toml")?),
            fixtures.join("codex-sessions"),
        ),
        (
            Some(other_pipeline("gemini-cli.toml")?),
            fixtures.join("gemini-tmp"),
        ),
    ];
    let asked_of_all_agents = |name: &'static str, env: &str, default: &str| {
        let path = std::env::var_os(env)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(default));
        anyhow::Ok(QuestionSet {
            name,
            questions: questions::load(&path)?,
            data_dir: out_dir.join(format!("data-agents{suffix}")),
            sources: agents_store_sources.clone(),
            results: out_dir.join(format!("results-{name}{suffix}.json")),
        })
    };
    let agents = asked_of_all_agents(
        "agents",
        "EVAL_AGENT_QUESTIONS",
        "eval/agents/questions.jsonl",
    )?;
    // The held-out set was written after the ranking had been tuned on the two sets above, by a writer who saw
    // neither them nor the ranking (eval/heldout/README.md): its figures say what that tuning is worth on
    // questions it never saw. It is asked of the same store as the agents set.
    let held_out = asked_of_all_agents(
        "heldout",
        "EVAL_HELDOUT_QUESTIONS",
        "eval/heldout/questions.jsonl",
    )?;

    let mut embedder = Embedder::load(
        &ModelFiles::from_config(&default_model_dir(), &config.embed.model),
        EmbedderSettings::from_config(&config.embed),
    )?;
    let main = evaluate(claude_code, &mut embedder, &off_topic)?;
    println!();
    evaluate(agents, &mut embedder, &off_topic)?;
    println!();
    evaluate(held_out, &mut embedder, &off_topic)?;

    let redactions = redaction::measure(&fixtures, main.payloads())?;
    redaction::print(&redactions);
    let json = out_dir.join("redaction.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&redactions)?)?;
    println!("wrote {}", json.display());
    Ok(())
}

/// `builtin` (a pipeline file) with every section of `model`'s but its name and `[source]`: the same source read
/// with another model. Written into `dir`; returns its path.
fn with_model_of(builtin: &Path, model: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let read = |p: &Path| -> anyhow::Result<toml::Table> {
        let text =
            std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        text.parse()
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    };
    let mut merged = read(builtin)?;
    for (key, value) in read(model)? {
        if key != "name" && key != "source" {
            merged.insert(key, value);
        }
    }
    std::fs::create_dir_all(dir)?;
    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let out = dir.join(format!("{}-{}.toml", stem(builtin), stem(model)));
    std::fs::write(&out, toml::to_string(&merged)?)?;
    Ok(out)
}

/// Syncs `set`'s data dir, asks every question in hybrid, semantic-only and lexical-only mode through the same
/// code path as `pipeline search` and the MCP tool, judges each ranked list per message, calibrates the weak-match
/// cut-off with `off_topic`, and reports the figures (printed, and written as JSON). Returns every stored point.
fn evaluate(
    mut set: QuestionSet,
    embedder: &mut Embedder,
    off_topic: &[String],
) -> anyhow::Result<SearchIndex> {
    let synced = Instant::now();
    for (pipeline, source) in &set.sources {
        sync(source, &set.data_dir, pipeline.as_deref())?;
    }
    let sync_seconds = synced.elapsed().as_secs_f64();

    // Labels are resolved against every stored point; questions are asked of what `pipeline search` opens (the
    // published index, which the sync's last run wrote).
    let loaded = SearchIndex::load(&pipeline::store::EmbeddedStore::open_reader(&set.data_dir)?)?;
    let label_problems = questions::resolve(&loaded, &mut set.questions);
    let (searched, source) = pipeline::search::open_embedded(&set.data_dir)?;
    anyhow::ensure!(
        source == pipeline::search::IndexSource::Published,
        "the sync of {} left no current published index ({source:?})",
        set.data_dir.display()
    );

    let started = Instant::now();
    let mut per_question = Vec::new();
    for q in &set.questions {
        let mut ranks = BTreeMap::new();
        for mode in SearchMode::ALL {
            let opts = SearchOptions {
                query: q.question.clone(),
                mode,
                limit: MRR_DEPTH,
                ..SearchOptions::default()
            };
            let hits = query::run(searched.as_ref(), embedder, &opts)?.hits;
            let top = hits.iter().take(MRR_DEPTH).map(|h| &h.payload);
            ranks.insert(mode.as_str(), rank_of(q, top));
        }
        per_question.push(QuestionResult {
            id: q.id.clone(),
            style: q.style.clone(),
            question: q.question.clone(),
            plain: pipeline::search::plain_question::is_plain_question(&q.question),
            ranks,
        });
    }
    let search_seconds = started.elapsed().as_secs_f64();
    let weak_matches = weak::Form::of(embedder)
        .iter()
        .map(|&form| weak::measure(searched.as_ref(), embedder, &set.questions, off_topic, form))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let mut scores = BTreeMap::new();
    for mode in SearchMode::ALL {
        let ranks: Vec<(String, Option<usize>)> = per_question
            .iter()
            .map(|r| (r.style.clone(), r.ranks[mode.as_str()]))
            .collect();
        scores.insert(mode.as_str(), by_style(&ranks));
    }
    let results = Results {
        set: set.name,
        model: embedder.id().to_string(),
        questions: set.questions.len(),
        points: loaded.len(),
        label_problems,
        scores,
        per_question,
        sync_seconds,
        search_seconds,
        weak_matches,
    };
    print_report(&results);
    results.weak_matches.iter().for_each(weak::print);
    std::fs::write(&set.results, serde_json::to_vec_pretty(&results)?)?;
    println!("\nwrote {}", set.results.display());
    Ok(loaded)
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

fn print_report(r: &Results) {
    println!(
        "search quality, {} set ({}): {} questions over {} stored points (sync {:.1}s, {} searches in {:.1}s)\n",
        r.set,
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
