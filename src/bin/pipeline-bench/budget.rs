//! Budget efficiency: a series of budgeted runs over a corpus that needs more than all of them, each measured
//! from outside. Per run: the share of the budget spent embedding (model load counted as cost, so it is not in
//! the numerator), the overshoot past the budget (process start to exit), and the work redone after a resume
//! (texts embedded in more than one run: embedded, then lost with a window the deadline cut off).

use crate::child::{field, run_pipeline};
use crate::corpus;
use crate::embed::EmbedFigures;
use crate::report::Report;
use pipeline::store::SyncState;
use std::path::Path;

const GOAL_EMBED_SHARE: f64 = 0.85;
const GOAL_OVERSHOOT_S: f64 = 0.5;

pub fn run(
    report: &mut Report,
    out_dir: &Path,
    runs: usize,
    budget_secs: u64,
    speed: &EmbedFigures,
    window_texts: usize,
) -> anyhow::Result<()> {
    // Twice what the runs can embed, so that every run ends on its budget.
    let needed = speed.bytes_for_embedding_secs(2.0 * runs as f64 * budget_secs as f64);
    let dir = out_dir.join("budget-corpus");
    corpus::synthetic(&dir, 21, needed, 3, 600)?;
    let data = out_dir.join("budget-data");
    let _ = std::fs::remove_dir_all(&data);
    let budget = format!("{budget_secs}s");
    let mut per_run = Vec::new();
    let mut embedded_total = 0.0;
    for _ in 0..runs {
        let r = run_pipeline(&data, &dir, &["--budget", &budget])?;
        anyhow::ensure!(
            r.exit_code == 75,
            "a budgeted run exited {} (expected 75, work left)",
            r.exit_code
        );
        embedded_total += field(&r.summary, "texts_embedded");
        per_run.push(serde_json::json!({
            "wall_s": r.wall_secs,
            "embed_s": field(&r.summary, "embed_secs"),
            "model_load_s": field(&r.summary, "model_load_secs"),
            "first_embed_s": field(&r.summary, "first_embed_secs"),
            "texts_embedded": field(&r.summary, "texts_embedded"),
            "points_committed": field(&r.summary, "points_committed"),
        }));
    }
    let distinct = SyncState::open_reader(&data)?.cached_vector_count() as f64;
    let redone_per_run = (embedded_total - distinct).max(0.0) / (runs.max(2) - 1) as f64;
    let b = budget_secs as f64;
    let shares: Vec<f64> = per_run
        .iter()
        .map(|r| r["embed_s"].as_f64().unwrap_or(0.0) / b)
        .collect();
    let mean_share = shares.iter().sum::<f64>() / shares.len().max(1) as f64;
    let worst_share = shares.iter().copied().fold(f64::MAX, f64::min);
    let worst_overshoot = per_run
        .iter()
        .map(|r| r["wall_s"].as_f64().unwrap_or(0.0) - b)
        .fold(f64::MIN, f64::max);
    report.goal(
        format!("budget spent embedding, {runs} runs of {budget}"),
        format!(
            "mean {:.1}%, worst {:.1}%",
            100.0 * mean_share,
            100.0 * worst_share
        ),
        format!(">= {:.0}%", 100.0 * GOAL_EMBED_SHARE),
        mean_share >= GOAL_EMBED_SHARE,
    );
    report.goal(
        "worst overshoot past the budget (process start to exit)",
        format!("{worst_overshoot:+.2} s"),
        format!("<= {GOAL_OVERSHOOT_S} s"),
        worst_overshoot <= GOAL_OVERSHOOT_S,
    );
    report.goal(
        "work redone after a resume",
        format!("{redone_per_run:.1} texts per run (a window is {window_texts})"),
        "<= 1 window per run",
        redone_per_run <= window_texts as f64,
    );
    report.json(
        "budget",
        serde_json::json!({
            "budget_s": b,
            "runs": per_run,
            "mean_embed_share": mean_share,
            "worst_embed_share": worst_share,
            "worst_overshoot_s": worst_overshoot,
            "texts_embedded_total": embedded_total,
            "distinct_texts_committed": distinct,
            "redone_texts_per_run": redone_per_run,
        }),
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
