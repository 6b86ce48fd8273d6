//! The orchestrator: plans the work, starts the four stages connected by bounded channels, enforces the time
//! budget, and reports what happened.
//!
//! Budget timeline (wall clock from process start): the embed stage starts a window only if it is expected to
//! be committed before `hard deadline = start + budget - commit_reserve`; parse and enhance stop as soon as the
//! embed stage stops reading. If a window runs late anyway, the embed stage abandons it at the hard deadline
//! (its checkpoint never moved; the next run redoes it), and the orchestrator waits for every stage to end
//! (`stages`). SIGINT/SIGTERM stop intake at once and leave a short grace for the batch in flight.

use crate::budget::Budget;
use crate::config::PipelineConfig;
use crate::discover::{self, PendingFile};
use crate::embedder::{Embedder, EmbedderSettings, ModelFiles};
use crate::error::Result;
use crate::progress::{Counters, Reporter};
use crate::stages::embed::{ModelLoad, ModelSlot};
use crate::store::{Sink, SyncState};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod publisher;
mod stages;
mod summary;
use stages::Stages;
use summary::SummaryBase;

/// Where the measured embedding speed is remembered between runs (it decides whether a window fits the budget).
const EMBED_SPEED_KEY: &str = "embed_speed";

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub sources: Vec<PathBuf>,
    #[serde(with = "opt_duration_ms")]
    pub budget: Option<Duration>,
    pub max_files: Option<usize>,
}

mod opt_duration_ms {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        d.map(|d| d.as_millis() as u64).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Everything pending was stored.
    #[default]
    CaughtUp,
    /// The time budget ran out with work left.
    Budget,
    /// SIGINT or SIGTERM.
    Signal,
    /// `--max-files` left files for later.
    MaxFiles,
}

/// The end-of-run report (printed, `--json`, and kept in the run history). The default is a run that found
/// nothing to do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub stop_reason: StopReason,
    /// Work remains for another run.
    pub work_left: bool,
    pub duration_secs: f64,
    pub budget_secs: Option<f64>,
    pub files_pending_at_start: u64,
    pub files_completed: u64,
    pub bytes_pending_at_start: u64,
    pub bytes_committed: u64,
    pub lines: u64,
    pub malformed_lines: u64,
    pub messages: u64,
    pub messages_per_sec: f64,
    pub points_committed: u64,
    pub texts_embedded: u64,
    /// Chunks stored (and searchable by their words) whose vectors a later run computes.
    #[serde(default)]
    pub chunks_awaiting_vectors: u64,
    pub cache_hits: u64,
    pub embed_secs: f64,
    /// How long loading the model took, if it was loaded (cold start, with `first_embed_secs`).
    #[serde(default)]
    pub model_load_secs: Option<f64>,
    /// From process start to the end of the first embedded window, if one was embedded.
    #[serde(default)]
    pub first_embed_secs: Option<f64>,
    pub batches_committed: u64,
    pub warnings: u64,
    /// Files skipped because they could not be read (a warning each); the next run tries them again.
    #[serde(default)]
    pub files_unreadable: u64,
    /// Secrets replaced by a `[REDACTED:<kind>]` marker as lines were read (lines re-read after a kill count
    /// again).
    #[serde(default)]
    pub redactions: u64,
    /// Transcripts left out by `[source] exclude` or an opt-out marker (never read).
    #[serde(default)]
    pub files_excluded: u64,
    /// Stored points brought to the current redaction rules before new work was read.
    #[serde(default)]
    pub reapplied: crate::redact::reapply::Reapplied,
    /// When the run ended, seconds since the Unix epoch (run history only; never in point payloads).
    pub finished_at_unix: u64,
    pub first_warnings: Vec<String>,
}

/// One run of the pipeline: what to read, with which settings, from when the budget counts.
pub struct SyncJob {
    pub settings: RunSettings,
    pub config: PipelineConfig,
    pub model_dir: PathBuf,
    /// The run's budget (from process start); its length is `settings.budget`.
    pub budget: Budget,
    /// Republish the embedded store's search snapshot during the run (`snapshot.every_secs`).
    pub publish_snapshots: bool,
    /// Keep the model loaded across runs here (`pipeline watch`); `None` loads it for this run only.
    pub model_slot: Option<ModelSlot>,
}

impl SyncJob {
    /// Runs the pipeline once: points go to `sink`; `store` holds the sync's state (checkpoints, the embedding
    /// cache, run metadata), whichever store the points go to. `signal` resolves when the user asks to stop.
    ///
    /// Four steps: `plan` the work, `Stages::spawn` the stages, `Stages::supervise` them until
    /// the upsert stage ends (or the deadline or a signal ends the run), then `Supervised::conclude`: wait for
    /// every stage to end and say why the run ended.
    pub async fn run(
        self,
        store: Arc<SyncState>,
        sink: Arc<dyn Sink>,
        reporter: Reporter,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<RunSummary> {
        let hard_deadline = self.budget.stages_end();
        // Compiled once for the run: the re-redaction pass and the parse stage apply the same rules.
        let redactor = crate::redact::Redactor::configured(&self.config.redact)
            .map_err(|e| crate::error::Error::Config(format!("[redact]: {e}")))?;
        let reapplied = {
            let (config, model_dir, budget) =
                (self.config.clone(), self.model_dir.clone(), self.budget);
            let (store, sink, redactor) = (store.clone(), sink.clone(), redactor.clone());
            tokio::task::spawn_blocking(move || {
                reapply_redaction(
                    &config,
                    &model_dir,
                    budget,
                    redactor.as_deref(),
                    &store,
                    sink.as_ref(),
                )
            })
            .await
            .map_err(|e| crate::error::Error::stage("re-redaction", e))??
        };
        let left = !reapplied.done;
        let Plan {
            pending,
            truncated,
            mut base,
        } = self.plan(&store, &reporter)?;
        base.reapplied = reapplied;
        if pending.is_empty() && store.embed_queue_is_empty() {
            let reason = if left {
                StopReason::Budget
            } else {
                StopReason::CaughtUp
            };
            return Ok(base.finish(&reporter, reason, left, &Default::default()));
        }
        if hard_deadline.is_some_and(|d| d <= Instant::now()) {
            return Ok(base.finish(&reporter, StopReason::Budget, true, &Default::default()));
        }
        let stages = Stages::spawn(
            &self,
            pending,
            &store,
            sink,
            redactor,
            &reporter,
            hard_deadline,
        )?;
        let supervised = stages.supervise(signal, self.budget, &reporter).await;
        let end = supervised
            .conclude(&store, base.files_pending, truncated)
            .await?;
        let mut summary = base.finish(&reporter, end.reason, end.work_left || left, &end.upserted);
        summary.chunks_awaiting_vectors = store.embed_queue_len() as u64;
        Ok(summary)
    }

    /// Checks the model against the data dir's, starts a re-index if the enhancer changed, and lists the files
    /// with bytes past their checkpoint (newest first, at most `max_files`).
    fn plan(&self, store: &SyncState, reporter: &Reporter) -> Result<Plan> {
        let model = &self.config.embed.model;
        crate::store::model_record::check_or_record(
            store,
            &model.vectors_id(),
            model.vectors_dimension(),
        )?;
        if let crate::reindex::Reindex::Started { from } = crate::reindex::prepare(store)? {
            reporter.info(&format!(
                "the index was written by enhancer version {from}; re-reading every transcript for version {} (resumable; searches keep working)",
                crate::enhance::ENHANCER_VERSION
            ));
        }
        for (agent, from) in crate::reindex::prepare_formats(store)? {
            reporter.info(&format!(
                "{agent} files were read by version {from} of their format; reading them again for version {} (resumable; searches keep working)",
                crate::source::formats::format(agent).version
            ));
        }
        let sources = self.config.discovery(self.settings.sources.clone())?;
        // A run asks again about Gemini directories where no root was found (a later chat may name it); within
        // the run, the exclusions and the assemblers get one answer per directory.
        crate::source::gemini::forget_unresolved(&sources.roots);
        let (found, excluded) = sources.find(store, reporter);
        let gemini_chats = found
            .iter()
            .filter(|f| f.agent == crate::message::Agent::GeminiCli)
            .map(|f| f.path.as_str());
        for dir in crate::reindex::prepare_gemini_roots(store, gemini_chats)? {
            reporter.info(&format!(
                "the project root of Gemini CLI directory {} is now known; reading its chats again so they move from its hash to the root",
                dir.display()
            ));
        }
        let mut pending = discover::pending(&found, store);
        let mut truncated = false;
        if let Some(max) = self.settings.max_files {
            if pending.len() > max {
                pending.truncate(max);
                truncated = true;
            }
        }
        let counters = reporter.counters();
        let bytes_pending: u64 = pending.iter().map(|p| p.pending_bytes).sum();
        counters
            .files_total
            .store(pending.len() as u64, Ordering::Relaxed);
        counters.bytes_total.store(bytes_pending, Ordering::Relaxed);
        let base = SummaryBase {
            started: self.budget.started(),
            budget: self.budget.length(),
            files_pending: pending.len() as u64,
            files_excluded: excluded,
            reapplied: Default::default(),
            bytes_pending,
            start_offsets: pending
                .iter()
                .map(|p| (p.path.clone(), p.size - p.pending_bytes))
                .collect(),
        };
        Ok(Plan {
            pending,
            truncated,
            base,
        })
    }

    /// Loads the model on a blocking thread while parsing starts (or takes the one a long-lived caller kept).
    fn start_model_load(&self, reporter: &Reporter) -> Result<ModelLoad> {
        let kept = self
            .model_slot
            .as_ref()
            .and_then(|slot| slot.lock().ok().and_then(|mut m| m.take()));
        if let Some(model) = kept {
            return Ok(tokio::task::spawn_blocking(move || Ok(model)));
        }
        let files = ModelFiles::from_config(&self.model_dir, &self.config.embed.model);
        files.check()?;
        let settings = EmbedderSettings::from_config(&self.config.embed);
        let counters = reporter.counters().clone();
        Ok(tokio::task::spawn_blocking(move || {
            let start = Instant::now();
            let loaded = Embedder::load(&files, settings);
            Counters::add(
                &counters.model_load_nanos,
                start.elapsed().as_nanos() as u64,
            );
            loaded
        }))
    }
}

/// Brings stored points to the current redaction rules (`crate::redact::reapply`) in at most half the
/// budget, before new work is read. The model is loaded only if some stored text changes.
fn reapply_redaction(
    config: &PipelineConfig,
    model_dir: &std::path::Path,
    budget: Budget,
    redactor: Option<&crate::redact::Redactor>,
    store: &SyncState,
    sink: &dyn Sink,
) -> Result<crate::redact::reapply::Reapplied> {
    let Some(redactor) = redactor else {
        // Points stored now say `off`: a later run with redaction on must scan again.
        crate::redact::reapply::forget_completion(store)?;
        return Ok(crate::redact::reapply::Reapplied {
            done: true,
            ..Default::default()
        });
    };
    // Never embed with a model the data dir's vectors do not come from.
    let model = &config.embed.model;
    crate::store::model_record::check_or_record(
        store,
        &model.vectors_id(),
        model.vectors_dimension(),
    )?;
    let mut model: Option<Embedder> = None;
    let mut embed = |texts: &[&str]| -> Result<Vec<Vec<f32>>> {
        let embedder = match &mut model {
            Some(m) => m,
            None => model.insert(Embedder::load(
                &ModelFiles::from_config(model_dir, &config.embed.model),
                EmbedderSettings::from_config(&config.embed),
            )?),
        };
        embedder.embed(texts)
    };
    let until = budget.share(0.5);
    let mut remove_snapshot = || crate::store::snapshot::remove(store.data_dir());
    crate::redact::reapply::run(
        store,
        sink,
        redactor,
        &mut embed,
        &mut remove_snapshot,
        until,
    )
}

/// The work a run found.
struct Plan {
    pending: Vec<PendingFile>,
    /// `max_files` left files for later.
    truncated: bool,
    base: SummaryBase,
}
