//! Peak memory on a large corpus: a budgeted run over it (parse, enhance, embed and commit all busy; the whole
//! corpus would take hours to embed on two cores), measured from outside (VmHWM).

use crate::child::{field, mib, run_pipeline};
use crate::corpus;
use crate::report::Report;
use std::path::Path;

const GOAL_MIB: f64 = 1024.0;

/// Peak RSS and wall time of a full sync of the real fixtures (long texts: the largest forward passes) for a few
/// batch sizes, with and without ONNX Runtime's CPU memory arena.
pub fn fixtures(report: &mut Report, out_dir: &Path, fixtures: &Path) -> anyhow::Result<()> {
    let mut all = Vec::new();
    for (batch_size, arena) in [(32, true), (32, false), (16, true), (8, true), (8, false)] {
        let pipeline_file = out_dir.join("memory.toml");
        std::fs::write(
            &pipeline_file,
            format!("[embed]\nbatch_size = {batch_size}\nmemory_arena = {arena}\n"),
        )?;
        let data = out_dir.join("fixture-data");
        let _ = std::fs::remove_dir_all(&data);
        let file_arg = pipeline_file.to_string_lossy().into_owned();
        let r = run_pipeline(&data, fixtures, &["--pipeline", &file_arg])?;
        report.row(
            format!(
                "full sync of the fixtures, batches of {batch_size}, arena {}",
                if arena { "on" } else { "off" }
            ),
            format!("peak RSS {:.0} MiB, {:.1} s", mib(r.peak_rss), r.wall_secs),
        );
        all.push(serde_json::json!({
            "batch_size": batch_size,
            "memory_arena": arena,
            "peak_rss_bytes": r.peak_rss,
            "wall_s": r.wall_secs,
            "texts_embedded": field(&r.summary, "texts_embedded"),
        }));
        std::fs::remove_dir_all(&data)?;
    }
    report.json("memory_fixtures", serde_json::Value::Array(all));
    Ok(())
}

pub fn run(
    report: &mut Report,
    out_dir: &Path,
    bytes: u64,
    budget_secs: u64,
) -> anyhow::Result<()> {
    let dir = out_dir.join("big-corpus");
    let manifest = corpus::synthetic(&dir, 31, bytes, 12, 1500)?;
    let data = out_dir.join("big-data");
    let _ = std::fs::remove_dir_all(&data);
    let r = run_pipeline(&data, &dir, &["--budget", &format!("{budget_secs}s")])?;
    report.goal(
        format!(
            "peak RSS, {:.0} MB corpus ({} files), {budget_secs} s run",
            manifest.total_bytes as f64 / 1e6,
            manifest.files.len()
        ),
        format!(
            "{:.0} MiB ({:.0} texts embedded)",
            mib(r.peak_rss),
            field(&r.summary, "texts_embedded")
        ),
        format!("<= {GOAL_MIB:.0} MiB"),
        mib(r.peak_rss) <= GOAL_MIB,
    );
    report.json(
        "memory",
        serde_json::json!({
            "corpus_bytes": manifest.total_bytes,
            "files": manifest.files.len(),
            "budget_s": budget_secs,
            "peak_rss_bytes": r.peak_rss,
            "summary": r.summary,
        }),
    );
    crate::first_run::report(
        report,
        &data,
        &dir,
        &manifest.files,
        &r.summary,
        budget_secs,
    )?;
    std::fs::remove_dir_all(&dir)?;
    std::fs::remove_dir_all(&data)?;
    Ok(())
}
