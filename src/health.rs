//! `pipeline health`: is the index usable right now, and if not, why.

use crate::embedder::ModelFiles;
use crate::enhance::ENHANCER_VERSION;
use crate::error::Error;
use crate::store::{snapshot, EmbeddedStore, SyncState, WriterLock};
use crate::sync::RunSummary;
use serde::Serialize;
use std::path::Path;

/// What `pipeline health` (and the MCP health tool) reports: the model, the store and any problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub healthy: bool,
    /// Why it is unhealthy (empty when healthy).
    pub problems: Vec<String>,
    pub data_dir: String,
    pub version: String,
    pub embedding_model: String,
    pub enhancer_version: u32,
    pub model_found: bool,
    pub runtime_found: bool,
    pub sync_running: bool,
    pub store_reachable: bool,
    pub points: Option<u64>,
    pub checkpoints: Option<u64>,
    pub unreadable_checkpoints: Option<u64>,
    pub unreadable_points: Option<u64>,
    pub files_pending: Option<u64>,
    pub last_run: Option<RunSummary>,
    pub snapshot_age_secs: Option<u64>,
    /// Where the points are: "the embedded store" or "Qdrant at URL, collection NAME".
    #[serde(default)]
    pub store: String,
    /// The Qdrant server's version, when the store is Qdrant and it answered.
    pub qdrant_version: Option<String>,
}

/// The sources of the last run, when the store can be read now (no sync running).
pub fn last_sources(data_dir: &Path) -> Option<Vec<std::path::PathBuf>> {
    if WriterLock::is_held(data_dir) || !SyncState::exists(data_dir) {
        return None;
    }
    let store = SyncState::open_reader(data_dir).ok()?;
    crate::history::saved_sources(&store)
}

/// Checks model files, the store (every point and checkpoint decodes, vectors have the model's dimension) and
/// what is pending in `sources`. While a sync runs, the store is not opened; the snapshot stands in for it.
pub fn check(
    data_dir: &Path,
    model_files: &ModelFiles,
    sources: Option<&crate::discover::Sources>,
) -> Health {
    check_store(data_dir, model_files, sources, None)
}

/// Like [`check`], for the chosen store: with Qdrant, the server must answer, the collection must have
/// pipeline's shape, and the points are counted there (the checkpoints stay in the data dir).
pub fn check_store(
    data_dir: &Path,
    model_files: &ModelFiles,
    sources: Option<&crate::discover::Sources>,
    qdrant: Option<(&crate::config::SinkConfig, tokio::runtime::Handle)>,
) -> Health {
    // The first model (or the second, for questions in plain words) whose files are not all there, with its table.
    let missing_model = std::iter::once(("embed.model", model_files))
        .chain(
            model_files
                .plain_questions
                .as_deref()
                .map(|m| ("embed.model.plain_questions", m)),
        )
        .find(|(_, m)| {
            ![&m.model, &m.tokenizer, &m.config]
                .iter()
                .all(|p| p.is_file())
        });
    let mut h = Health {
        healthy: true,
        problems: Vec::new(),
        data_dir: data_dir.display().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        embedding_model: model_files.vectors_id(),
        enhancer_version: ENHANCER_VERSION,
        model_found: missing_model.is_none(),
        runtime_found: model_files.runtime.is_file(),
        sync_running: WriterLock::is_held(data_dir),
        store_reachable: false,
        points: None,
        checkpoints: None,
        unreadable_checkpoints: None,
        unreadable_points: None,
        files_pending: None,
        last_run: None,
        snapshot_age_secs: None,
        store: qdrant.as_ref().map_or_else(
            || "the embedded store".to_string(),
            |(c, _)| crate::store::target::describe(c),
        ),
        qdrant_version: None,
    };
    if let Some((table, missing)) = missing_model {
        let install = if missing.id == crate::embedder::MODEL_ID {
            "run `make model`"
        } else {
            "install the files it names; `make model-mpnet` installs all-mpnet-base-v2"
        };
        h.problems.push(format!(
            "model files of [{table}] missing under {} ({install})",
            missing.model.display(),
        ));
    }
    if !h.runtime_found {
        h.problems.push(format!(
            "ONNX Runtime missing at {} (run `make model`)",
            model_files.runtime.display()
        ));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if let Ok(meta) = std::fs::metadata(snapshot::path(data_dir)) {
        if let Ok(modified) = meta.modified() {
            let t = modified
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            h.snapshot_age_secs = Some(now.saturating_sub(t));
        }
    }
    let synced_here = SyncState::exists(data_dir);
    if let Some((config, handle)) = qdrant {
        check_qdrant(&mut h, config, handle);
        if !h.sync_running && synced_here {
            if let Ok(store) = SyncState::open_reader(data_dir) {
                local_checks(&mut h, &store, sources);
            }
        }
        h.healthy = h.problems.is_empty();
        return h;
    }
    if !synced_here && !h.sync_running {
        // Nothing has synced here (a mistyped --data-dir, or before the first run): nothing to open, and the
        // data dir is not created by looking at it.
        h.problems.push(
            Error::NoIndex {
                data_dir: data_dir.to_path_buf(),
            }
            .to_string(),
        );
    } else if h.sync_running {
        // Reachable for readers through the snapshot.
        h.store_reachable = h.snapshot_age_secs.is_some();
        if !h.store_reachable {
            h.problems
                .push("a sync is running and no search snapshot exists yet".into());
        }
    } else {
        match EmbeddedStore::open_reader(data_dir) {
            Ok(store) => {
                h.store_reachable = true;
                let mut points = 0u64;
                let mut bad_points = 0u64;
                for p in store.points() {
                    match p {
                        Ok((_, sp))
                            if sp.vector.is_empty()
                                || sp.vector.len() == model_files.vectors_dimension() =>
                        {
                            points += 1
                        }
                        _ => bad_points += 1,
                    }
                }
                h.points = Some(points);
                h.unreadable_points = Some(bad_points);
                if bad_points > 0 {
                    h.problems
                        .push(format!("{bad_points} stored points cannot be decoded"));
                }
                local_checks(&mut h, store.state(), sources);
            }
            Err(Error::Locked { .. }) => {
                h.sync_running = true;
                h.store_reachable = h.snapshot_age_secs.is_some();
            }
            Err(e) => h.problems.push(format!("store unreachable: {e}")),
        }
    }
    h.healthy = h.problems.is_empty();
    h
}

/// Checkpoints, the last run and pending files: what the data dir itself holds, whatever the store.
fn local_checks(h: &mut Health, store: &SyncState, sources: Option<&crate::discover::Sources>) {
    let cps = store.checkpoints();
    let bad_cps = cps.iter().filter(|(_, c)| c.is_err()).count() as u64;
    h.checkpoints = Some(cps.len() as u64);
    h.unreadable_checkpoints = Some(bad_cps);
    if bad_cps > 0 {
        h.problems.push(format!(
            "{bad_cps} checkpoints cannot be decoded (those files will be re-read; `pipeline reset --checkpoints-only` resets all)"
        ));
    }
    h.last_run = crate::history::recent_runs(store, 1).pop();
    if let Some(sources) = sources {
        let reporter = crate::progress::Reporter::quiet(std::sync::Arc::new(
            crate::progress::Counters::default(),
        ));
        let (found, _) = sources.find(store, &reporter);
        h.files_pending = Some(crate::discover::pending(&found, store).len() as u64);
    }
}

/// The server answers, the collection has pipeline's shape, and how many points it holds.
fn check_qdrant(
    h: &mut Health,
    config: &crate::config::SinkConfig,
    handle: tokio::runtime::Handle,
) {
    let q = match crate::store::qdrant::QdrantStore::connect(config, handle) {
        Ok(q) => q,
        Err(e) => {
            h.problems.push(e.to_string());
            return;
        }
    };
    match q.server_version() {
        Ok(v) => h.qdrant_version = Some(v),
        Err(e) => {
            h.problems.push(format!("store unreachable: {e}"));
            return;
        }
    }
    if let Err(e) = q.verify_collection() {
        h.problems.push(e.to_string());
        return;
    }
    match q.count(None) {
        Ok(n) => {
            h.store_reachable = true;
            h.points = Some(n);
        }
        Err(e) => h.problems.push(format!("store unreachable: {e}")),
    }
}
