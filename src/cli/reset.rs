//! `pipeline reset`.

use super::confirm::WATCH_WAIT;
use super::{Common, EXIT_OK};
use clap::Args;
use pipeline::config::SinkKind;
use pipeline::store::qdrant::QdrantStore;
use pipeline::store::{snapshot, EmbeddedStore, SyncState, WriterLock};

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Keep the points; delete only the checkpoints (the next run re-reads every file and rewrites the same ids).
    #[arg(long)]
    pub checkpoints_only: bool,
}

pub fn execute(common: &Common, args: ResetArgs) -> anyhow::Result<u8> {
    let chosen = common.chosen_sink()?;
    let _writer = WriterLock::acquire_beside_watch(&common.data_dir, common.started + WATCH_WAIT)?;
    let store = SyncState::open_writer(&common.data_dir)?;
    let rt = super::runtime()?;
    // With Qdrant, a full reset deletes the collection (it is created again by the next run).
    let qdrant = match chosen.config.kind {
        SinkKind::Qdrant if !args.checkpoints_only => {
            Some(QdrantStore::connect(&chosen.config, rt.handle().clone())?)
        }
        _ => None,
    };
    let what = if args.checkpoints_only {
        format!("all {} checkpoints", store.checkpoints().len())
    } else if let Some(q) = &qdrant {
        let points = q.count(None).unwrap_or(0);
        format!(
            "{} ({points} points) and {} checkpoints",
            q.describe(),
            store.checkpoints().len()
        )
    } else {
        format!(
            "{} points and {} checkpoints",
            EmbeddedStore::of(&store).point_count(),
            store.checkpoints().len()
        )
    };
    let question = format!("Delete {what} in {}?", common.data_dir.display());
    if let Some(code) = super::confirm::refusal(args.yes, &what, &question)? {
        return Ok(code);
    }
    if args.checkpoints_only {
        store.clear_checkpoints()?;
    } else {
        if let Some(q) = &qdrant {
            q.drop_collection()?;
        }
        store.clear()?;
        snapshot::remove(&common.data_dir)?;
    }
    outln!("deleted {what}");
    Ok(EXIT_OK)
}
