//! Peak memory on a large corpus: a budgeted run over it (parse, enhance, embed and commit all busy; the whole
//! corpus would take hours to embed on two cores), measured from outside (VmHWM).

use crate::child::{field, mib, run_pipeline};
use crate::corpus;
use crate::report::Report;
use std::path::Path;

const GOAL_MIB: f64 = 1024.0;

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
    std::fs::remove_dir_all(&dir)?;
    std::fs::remove_dir_all(&data)?;
    Ok(())
}
