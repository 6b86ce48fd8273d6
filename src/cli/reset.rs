//! `pipeline reset`.

use super::{Common, EXIT_OK, EXIT_USAGE};
use clap::Args;
use pipeline::config::SinkKind;
use pipeline::store::qdrant::QdrantStore;
use pipeline::store::{snapshot, EmbeddedStore, SyncState, WriterLock};

/// Longest wait for a `pipeline watch` cycle to release the data dir.
const WATCH_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
use std::io::{BufRead, IsTerminal, Write};

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
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: refusing to delete {what} without --yes (stdin is not a terminal)");
            return Ok(EXIT_USAGE);
        }
        eprint!("Delete {what} in {}? [y/N] ", common.data_dir.display());
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("nothing deleted");
            return Ok(EXIT_OK);
        }
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
