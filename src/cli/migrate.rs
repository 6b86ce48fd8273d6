//! `pipeline migrate`.

use super::{Common, SinkArg, EXIT_OK, EXIT_USAGE, EXIT_WORK_LEFT};
use clap::Args;
use pipeline::config::SinkKind;
use pipeline::error::Error;
use pipeline::store::migrate::{self, MigrateReport, Side};
use pipeline::store::qdrant::QdrantStore;
use pipeline::store::{model_record, snapshot, target, EmbeddedStore, SyncState, WriterLock};
use std::time::Duration;

/// Longest wait for a `pipeline watch` cycle to release the data dir.
const WATCH_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The store to copy every point into: `qdrant` (where: --qdrant-url, --qdrant-collection or the pipeline
    /// file's [sink]) or `embedded` (back from Qdrant).
    #[arg(long, value_enum, value_name = "KIND")]
    pub to: SinkArg,
    /// Stop cleanly after this long (exit 75); `pipeline migrate` again continues where it stopped.
    #[arg(long, value_parser = super::parse_budget, value_name = "DUR")]
    pub budget: Option<Duration>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(common: &Common, args: MigrateArgs) -> anyhow::Result<u8> {
    let chosen = common.chosen_sink()?;
    let _writer = WriterLock::acquire_beside_watch(&common.data_dir, common.started + WATCH_WAIT)?;
    let local = SyncState::open_writer(&common.data_dir)?;
    let from_config = target::bound(&common.data_dir)?.unwrap_or_default();
    let to_config = match args.to {
        SinkArg::Embedded => migrate::embedded(),
        SinkArg::Qdrant => {
            let mut c = chosen.config.clone();
            c.kind = SinkKind::Qdrant;
            c
        }
    };
    if target::same_store(&from_config, &to_config) {
        eprintln!(
            "error: this data dir already syncs to {}; nothing to migrate",
            target::describe(&to_config)
        );
        return Ok(EXIT_USAGE);
    }
    let rt = super::runtime()?;
    let connect = |c| QdrantStore::connect(c, rt.handle().clone());
    let from_qdrant = match from_config.kind {
        SinkKind::Qdrant => {
            let q = connect(&from_config)?;
            q.verify_collection()?;
            Some(q)
        }
        SinkKind::Embedded => None,
    };
    let to_qdrant = match to_config.kind {
        SinkKind::Qdrant => {
            let q = connect(&to_config)?;
            let dimension = model_record::stored_dimension(&local)?
                .unwrap_or(common.config.embed.model.vectors_dimension());
            q.ensure_collection(None, dimension)?;
            Some(q)
        }
        SinkKind::Embedded => None,
    };
    let points = EmbeddedStore::of(&local);
    let (from, to) = (side(&from_qdrant, &points), side(&to_qdrant, &points));
    let deadline = args.budget.map(|b| common.started + b);
    let bar = progress_bar(common.quiet || args.json);
    let report = migrate::migrate(&local, &from, &to, deadline, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    if report.done {
        migrate::switch_to(&common.data_dir, &to_config)?;
        if to_config.kind == SinkKind::Embedded {
            if let Err(e) = snapshot::publish_current(&points) {
                eprintln!("warning: could not publish the search snapshot: {e}");
            }
        }
    }
    print_report(&report, args.json)?;
    Ok(if report.done { EXIT_OK } else { EXIT_WORK_LEFT })
}

fn side<'a>(qdrant: &'a Option<QdrantStore>, local: &'a EmbeddedStore) -> Side<'a> {
    match qdrant {
        Some(q) => Side::Qdrant(q),
        None => Side::Embedded(local),
    }
}

fn progress_bar(hidden: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if hidden || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "migrating {bar:30} {pos}/{len} points ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}

fn print_report(r: &MigrateReport, json: bool) -> anyhow::Result<()> {
    if json {
        outln!(
            "{}",
            serde_json::to_string(r).map_err(|e| Error::Config(e.to_string()))?
        );
        return Ok(());
    }
    if r.done {
        outln!(
            "migrated {} -> {}: {} points copied{}, all {} source points verified in the target (which holds {}); this data dir now syncs to {}",
            r.from,
            r.to,
            r.copied,
            if r.resumed { " (resumed)" } else { "" },
            r.source_points,
            r.target_points,
            r.to
        );
    } else {
        outln!(
            "stopped by the budget after copying {} points ({} -> {}); run `pipeline migrate` again to continue",
            r.copied, r.from, r.to
        );
    }
    Ok(())
}
