//! `pipeline stats`.

use super::{Common, EXIT_OK};
use clap::Args;
use indicatif::HumanBytes;
use pipeline::history;
use pipeline::progress::{Counters, Reporter};
use pipeline::stats::StoreStats;
use pipeline::store::{EmbeddedStore, SyncState};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Transcript directories to compare against [default: those of the last run].
    #[arg(long = "source", value_name = "DIR")]
    pub sources: Vec<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub fn execute(common: &Common, args: StatsArgs) -> anyhow::Result<u8> {
    let chosen = common.chosen_sink()?;
    let rt = super::runtime()?;
    // Qdrant's counts first: the database is then held only for the local part.
    let from_qdrant = match chosen.config.kind {
        pipeline::config::SinkKind::Qdrant => {
            Some(StoreStats::of_qdrant(&chosen.config, rt.handle().clone())?)
        }
        pipeline::config::SinkKind::Embedded => None,
    };
    if !SyncState::exists(&common.data_dir) {
        // Not created for a mistyped --data-dir: say nothing was synced there.
        return Err(pipeline::error::Error::NoIndex {
            data_dir: common.data_dir.clone(),
        }
        .into());
    }
    let store = SyncState::open_reader(&common.data_dir)?;
    let roots: Vec<PathBuf> = if !args.sources.is_empty() {
        pipeline::paths::absolute_sources(&args.sources)
    } else {
        history::saved_sources(&store).unwrap_or_else(|| common.config.sources().existing_roots())
    };
    let sources = common.config.discovery(roots)?;
    let reporter = Reporter::quiet(Arc::new(Counters::default()));
    let (found, excluded) = sources.find(&store, &reporter);
    let held = from_qdrant.unwrap_or_else(|| StoreStats::of_embedded(&EmbeddedStore::of(&store)));
    let s = pipeline::stats::compute(
        &store,
        held,
        (&found, excluded),
        history::recent_runs(&store, 5),
    );
    if args.json {
        outln!("{}", serde_json::to_string(&s)?);
        return Ok(EXIT_OK);
    }
    let f = &s.files;
    outln!(
        "files: {} total, {} complete, {} partial, {} pending ({} deleted, points kept; {} excluded)",
        f.total,
        f.complete,
        f.partial,
        f.pending,
        f.deleted,
        f.excluded
    );
    outln!(
        "bytes: {} of {} ({:.1}%)",
        HumanBytes(f.bytes_done),
        HumanBytes(f.bytes_total),
        f.percent_done
    );
    if f.unfinished_last_lines > 0 {
        outln!(
            "files ending in an unfinished line: {} ({} waiting for their line to end){}",
            f.unfinished_last_lines,
            HumanBytes(f.bytes_in_unfinished_lines),
            if f.stale_unfinished_lines > 0 {
                format!(
                    "; {} of them not written to for over an hour: their writer most likely stopped mid-line, and that line is not stored unless the file grows",
                    f.stale_unfinished_lines
                )
            } else {
                String::new()
            }
        );
    }
    let st = &s.store;
    let kinds: Vec<String> = st.by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let agents: Vec<String> = st
        .by_agent
        .iter()
        .map(|(a, v)| format!("{a} {v}"))
        .collect();
    outln!(
        "store ({}): {} points, {} messages ({}){}",
        pipeline::store::target::describe(&chosen.config),
        st.points,
        st.messages,
        kinds.join(", "),
        if st.size_on_disk_bytes > 0 {
            format!(", {} on disk", HumanBytes(st.size_on_disk_bytes))
        } else {
            String::new()
        }
    );
    outln!(
        "messages by agent: {}",
        if agents.is_empty() {
            "(none)".to_string()
        } else {
            agents.join(", ")
        }
    );
    let e = &s.embedding;
    outln!(
        "searchable: {} points by their words, {} of them by meaning ({:.1}%){}",
        e.points_stored,
        e.points_stored.saturating_sub(e.points_awaiting_vectors),
        e.percent_embedded,
        if e.points_awaiting_vectors > 0 {
            format!("; {} wait for their vectors", e.points_awaiting_vectors)
        } else {
            String::new()
        }
    );
    if !st.redactions.is_empty() {
        let kinds: Vec<String> = st
            .redactions
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        outln!("redacted (points by kind): {}", kinds.join(", "));
    }
    outln!(
        "enhancement: {} with topics, {} solution attempts ({} validated, {} refuted), {} feedback links, {} adjacency links",
        st.with_topics, st.solution_attempts, st.validated_solutions, st.refuted_solutions, st.feedback_links, st.adjacency_links
    );
    outln!(
        "malformed lines: {}, unreadable checkpoints: {}",
        s.malformed_lines,
        s.unreadable_checkpoints
    );
    for r in &s.last_runs {
        outln!(
            "run: {:.1}s, {} messages ({:.0}/s), {} points, {}",
            r.duration_secs,
            r.messages,
            r.messages_per_sec,
            r.points_committed,
            serde_json::to_value(r.stop_reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        );
    }
    if let Some(w) = &s.watch {
        let lag = w
            .lag
            .as_ref()
            .map_or("no lag measured yet".to_string(), |l| {
                format!(
                    "lag p50 {:.1}s, p95 {:.1}s, last {:.1}s ({} samples)",
                    l.p50_secs, l.p95_secs, l.last_secs, l.samples
                )
            });
        outln!(
            "watch: {} (pid {}), {} cycles, {} events, {} rescans ({} points found by rescans), {} points; {lag}",
            if w.running { "running" } else { "not running" },
            w.totals.pid,
            w.totals.cycles,
            w.totals.events,
            w.totals.rescans,
            w.totals.points_found_by_rescans,
            w.totals.points
        );
    }
    match s.estimated_runs_left {
        Some(0) => outln!("caught up"),
        Some(n) => outln!("estimated runs left at a 110s budget: {n}"),
        None => outln!("estimated runs left: unknown until a run has made progress"),
    }
    Ok(EXIT_OK)
}
