//! `pipeline health`.

use super::{Common, EXIT_FAILURE, EXIT_OK};
use clap::Args;
use pipeline::embedder::{default_model_dir, ModelFiles};

#[derive(Debug, Args)]
pub struct HealthArgs {
    #[arg(long)]
    pub json: bool,
}

pub fn execute(common: &Common, args: HealthArgs) -> anyhow::Result<u8> {
    let sources = match pipeline::health::last_sources(&common.data_dir) {
        Some(roots) => Some(common.config.discovery(roots)?),
        None => None,
    };
    let chosen = common.chosen_sink()?;
    let rt = super::runtime()?;
    let qdrant = (chosen.config.kind == pipeline::config::SinkKind::Qdrant)
        .then(|| (&chosen.config, rt.handle().clone()));
    let h = pipeline::health::check_store(
        &common.data_dir,
        &ModelFiles::from_config(&default_model_dir(), &common.config.embed.model),
        sources.as_ref(),
        qdrant,
    );
    if args.json {
        outln!("{}", serde_json::to_string(&h)?);
    } else {
        outln!("{}", if h.healthy { "healthy" } else { "UNHEALTHY" });
        for p in &h.problems {
            outln!("  problem: {p}");
        }
        let opt = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
        outln!("  data dir: {}", h.data_dir);
        outln!(
            "  store: {}{}",
            h.store,
            h.qdrant_version
                .as_deref()
                .map_or(String::new(), |v| format!(" (Qdrant {v})"))
        );
        outln!(
            "  version {}, model {}, enhancer v{}",
            h.version,
            h.embedding_model,
            h.enhancer_version
        );
        outln!(
            "  model found: {}, runtime found: {}",
            h.model_found,
            h.runtime_found
        );
        outln!(
            "  store reachable: {}, sync running: {}, points: {}, checkpoints: {} ({} unreadable), files pending: {}",
            h.store_reachable,
            h.sync_running,
            opt(h.points),
            opt(h.checkpoints),
            opt(h.unreadable_checkpoints),
            opt(h.files_pending)
        );
        if let Some(r) = &h.last_run {
            outln!(
                "  last run: {:.1}s, {} points, work left: {}",
                r.duration_secs,
                r.points_committed,
                r.work_left
            );
        }
    }
    Ok(if h.healthy { EXIT_OK } else { EXIT_FAILURE })
}
