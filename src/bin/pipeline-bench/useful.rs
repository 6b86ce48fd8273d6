//! Time to useful: after a cold start on a backlog that needs many budgeted runs, how soon is the newest session
//! searchable, and how does the searchable share of recent history grow run by run? Sessions get distinct
//! modification times (a seeded order), and after each run the checkpoints say which files are fully stored.
//!
//! The issue asks for ~20 runs of 110 s; the default here scales the budget down (`BENCH_USEFUL_BUDGET_S`) and
//! the corpus with it, which is pessimistic: the fixed cost of a run (model load, commit reserve) is a larger
//! share of a short budget.

use crate::child::run_pipeline;
use crate::corpus;
use crate::embed::EmbedFigures;
use crate::report::Report;
use pipeline::store::SyncState;
use pipeline::synth::Rng;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Runs at most this many before giving up.
const MAX_RUNS: usize = 40;

/// Shares of bytes fully stored after a run: newest file, newest tenth of the files, everything.
struct Progress {
    newest_done: bool,
    newest_tenth: f64,
    all: f64,
}

fn progress(data: &Path, by_age: &[(PathBuf, u64)]) -> anyhow::Result<Progress> {
    let store = SyncState::open_reader(data)?;
    let done: HashMap<String, (bool, u64)> = store
        .checkpoints()
        .into_iter()
        .filter_map(|(path, cp)| cp.ok().map(|c| (path, (c.complete, c.offset))))
        .collect();
    let stored = |files: &[(PathBuf, u64)]| -> f64 {
        let total: u64 = files.iter().map(|(_, size)| size).sum();
        let stored: u64 = files
            .iter()
            .map(|(p, size)| match done.get(p.to_string_lossy().as_ref()) {
                Some((true, _)) => *size,
                Some((false, offset)) => (*offset).min(*size),
                None => 0,
            })
            .sum();
        stored as f64 / total.max(1) as f64
    };
    let tenth = by_age.len().div_ceil(10);
    let newest = &by_age[by_age.len().saturating_sub(1)..];
    Ok(Progress {
        newest_done: stored(newest) >= 1.0,
        newest_tenth: stored(&by_age[by_age.len() - tenth..]),
        all: stored(by_age),
    })
}

pub fn run(
    report: &mut Report,
    out_dir: &Path,
    budget_secs: u64,
    target_runs: usize,
    speed: &EmbedFigures,
) -> anyhow::Result<()> {
    let bytes = speed.bytes_for_embedding_secs(target_runs as f64 * budget_secs as f64);
    let dir = out_dir.join("useful-corpus");
    let manifest = corpus::synthetic(&dir, 41, bytes, 4, 300)?;
    // Distinct modification times in a seeded random order, one minute apart.
    let mut files = manifest.files.clone();
    let mut rng = Rng::new(41);
    for i in (1..files.len()).rev() {
        files.swap(i, rng.below(i + 1));
    }
    let base = SystemTime::now() - Duration::from_secs(86_400);
    let mut by_age = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let f = std::fs::File::options().write(true).open(path)?;
        f.set_modified(base + Duration::from_secs(60 * i as u64))?;
        // Absolute, as `pipeline run` keys its checkpoints (`paths::absolute_sources`).
        by_age.push((std::path::absolute(path)?, f.metadata()?.len()));
    }
    let data = out_dir.join("useful-data");
    let _ = std::fs::remove_dir_all(&data);
    let budget = format!("{budget_secs}s");
    let mut timeline = Vec::new();
    let mut newest_after = None;
    for run in 1..=MAX_RUNS {
        let r = run_pipeline(&data, &dir, &["--budget", &budget])?;
        let p = progress(&data, &by_age)?;
        if p.newest_done && newest_after.is_none() {
            newest_after = Some(run);
        }
        timeline.push(serde_json::json!({"run": run, "newest_done": p.newest_done, "newest_tenth": p.newest_tenth, "all": p.all}));
        if r.exit_code != 75 {
            break;
        }
    }
    let share_after = |k: usize, key: &str| {
        timeline
            .get(k - 1)
            .and_then(|t| t[key].as_f64())
            .map_or("-".to_string(), |v| format!("{:.0}%", 100.0 * v))
    };
    report.goal(
        format!(
            "time to useful: {} files, {:.1} MB, runs of {budget} ({} needed)",
            by_age.len(),
            manifest.total_bytes as f64 / 1e6,
            timeline.len()
        ),
        format!(
            "newest session searchable after run {}",
            newest_after.map_or("never".to_string(), |r| r.to_string())
        ),
        "after the first run",
        newest_after == Some(1),
    );
    report.row(
        "searchable share: newest tenth of files / all, after runs 1, 2, 5",
        format!(
            "{} / {}, {} / {}, {} / {}",
            share_after(1, "newest_tenth"),
            share_after(1, "all"),
            share_after(2, "newest_tenth"),
            share_after(2, "all"),
            share_after(5, "newest_tenth"),
            share_after(5, "all")
        ),
    );
    report.json(
        "time_to_useful",
        serde_json::json!({
            "budget_s": budget_secs,
            "files": by_age.len(),
            "bytes": manifest.total_bytes,
            "newest_searchable_after_run": newest_after,
            "timeline": timeline,
        }),
    );
    std::fs::remove_dir_all(&dir)?;
    std::fs::remove_dir_all(&data)?;
    Ok(())
}
