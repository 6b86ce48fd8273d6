//! `make bench`: the figures of docs/performance.md, from one run on one machine. Speeds are reported as
//! ratios measured in the same run where they are compared (machines here are noisy).
//!
//! Sections (all by default; `BENCH_ONLY=parse,embed,budget,memory,store,useful,watch,hook,qdrant` picks some):
//! - parse: parse + chunk (+ enhance) MB/s on one core;
//! - embed: raw embedder vs pipeline, texts per message, padding with and without bucketing, thread counts,
//!   cold start (needed by budget, memory and useful, which use its speed to size their corpora);
//! - budget: ten budgeted runs: share embedding, overshoot, work redone;
//! - memory: peak RSS of full syncs of the real fixtures (batch sizes, memory arena on and off) and of a budgeted
//!   110 s run (`BENCH_BIG_BUDGET_S`) over a 300 MB synthetic corpus (`BENCH_BIG_BYTES`) from empty, and what that
//!   first run made searchable (bytes stored as text, points waiting for vectors, sampled prompts found by words);
//! - store: the embedded store at 200k and 1M points (`BENCH_STORE_POINTS`, comma-separated; about 14 GB of disk at 1M);
//! - useful: how soon the newest session is searchable on a backlog of ~20 budgeted runs;
//! - watch: with `pipeline watch` running, time from an appended message to `search` finding it
//!   (`BENCH_WATCH_BYTES` backlog, `BENCH_WATCH_TRIALS`);
//! - hook: the installed hook command's run time as Claude Code sees it (p95), syncs started by a burst of events,
//!   and a finished session searchable after its event (`BENCH_HOOK_TRIALS`, default 40);
//! - qdrant: upsert throughput into Qdrant next to the embedded store's, and search latency (`QDRANT_URL`, else
//!   the `qdrant-fake` test double, labelled as such; `BENCH_QDRANT_POINTS`, default 20000).
//!
//! Results: a table on stdout and JSON in `target/bench/results.json`.

mod budget;
mod child;
mod corpus;
mod embed;
mod first_run;
mod hook;
mod memory;
mod parse;
mod qdrant;
mod report;
mod store;
mod useful;
mod watch;

use pipeline::config::PipelineConfig;
use std::path::PathBuf;

fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let out_dir = PathBuf::from("target/bench");
    std::fs::create_dir_all(&out_dir)?;
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wanted = |s: &str| only.is_empty() || only.split(',').any(|o| o.trim() == s);
    let config = PipelineConfig::builtin();
    let mut report = report::Report::default();

    if wanted("parse") {
        parse::run(
            &mut report,
            &config,
            &out_dir,
            env_num("BENCH_PARSE_BYTES", 60_000_000),
        )?;
    }
    let needs_speed = ["embed", "budget", "useful"].iter().any(|s| wanted(s));
    if needs_speed {
        let speed = embed::run(
            &mut report,
            &config,
            &out_dir,
            env_num("BENCH_EMBED_BYTES", 8_000_000),
        )?;
        if wanted("budget") {
            budget::run(
                &mut report,
                &out_dir,
                env_num("BENCH_BUDGET_RUNS", 10),
                env_num("BENCH_BUDGET_S", 20),
                &speed,
                config.embed.window_texts,
            )?;
        }
        if wanted("useful") {
            useful::run(
                &mut report,
                &out_dir,
                env_num("BENCH_USEFUL_BUDGET_S", 10),
                env_num("BENCH_USEFUL_RUNS", 20),
                &speed,
            )?;
        }
    }
    if wanted("memory") {
        let fixtures = std::env::var_os("PIPELINE_FIXTURES")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("../shared/fixtures"))
            .join("claude-projects");
        if fixtures.is_dir() {
            memory::fixtures(&mut report, &out_dir, &fixtures)?;
        }
        memory::run(
            &mut report,
            &out_dir,
            env_num("BENCH_BIG_BYTES", 300_000_000),
            env_num("BENCH_BIG_BUDGET_S", 110),
        )?;
    }
    if wanted("store") {
        let sizes: Vec<usize> = std::env::var("BENCH_STORE_POINTS")
            .unwrap_or_else(|_| "200000,1000000".into())
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        store::run(&mut report, &out_dir, &sizes)?;
    }
    if wanted("watch") {
        watch::run(
            &mut report,
            &out_dir,
            env_num("BENCH_WATCH_BYTES", 1_500_000),
            env_num("BENCH_WATCH_TRIALS", 12),
        )?;
    }
    if wanted("hook") {
        hook::run(
            &mut report,
            &out_dir,
            env_num("BENCH_HOOK_BYTES", 1_500_000),
            env_num("BENCH_HOOK_TRIALS", 40),
        )?;
    }
    if wanted("qdrant") {
        qdrant::run(
            &mut report,
            &out_dir,
            env_num("BENCH_QDRANT_POINTS", 20_000),
        )?;
    }

    println!("pipeline benchmark (one run, same machine)");
    report.print_table();
    let path = out_dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report.to_json())?)?;
    println!("\nJSON: {}", path.display());
    Ok(())
}
