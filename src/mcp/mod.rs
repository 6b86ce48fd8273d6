//! `pipeline mcp`: a Model Context Protocol server over stdio, built on the official Rust SDK (`rmcp`), so that
//! Claude Code can search its own history.
//!
//! The server holds no store lock while idle: each tool call opens what it needs and closes it, so a
//! `pipeline run` from a shell proceeds, and a search during a sync reads the last published snapshot
//! (committed data only). `force_conversation_sync` runs the pipeline in-process under a budget that stays
//! below the 2-minute MCP call limit and says whether more work remains. Every failure is a tool error with a
//! readable message; the server itself keeps running.

mod params;

pub use params::{ContextParams, SearchParams, SyncParams};

use crate::config::{PipelineConfig, SinkConfig, SinkKind};
use crate::embedder::{Embedder, EmbedderSettings, ModelFiles};
use crate::error::Error;
use crate::progress::{Counters, Reporter};
use crate::search::query::{self, SearchOptions};
use crate::search::report::{
    ReportFormat, SearchReport, DEFAULT_MAX_BYTES, MAX_MAX_BYTES, MIN_MAX_BYTES,
};
use crate::search::window::{ConversationWindow, WindowRequest, MAX_NEIGHBOURS};
use crate::search::{open_corpus, Corpus, IndexSource, SearchIndex, SearchMode};
use crate::session::{SessionSpec, WriterSession};
use crate::store::target::{self, SinkOverrides};
use crate::store::SyncState;
use crate::sync::{RunSettings, SyncJob};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool, tool_handler, tool_router, ServerHandler, ServiceExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default budget of `force_conversation_sync`.
const DEFAULT_SYNC_SECONDS: f64 = 100.0;
/// Largest budget accepted: below the 2-minute MCP call limit with room for the reply.
const MAX_SYNC_SECONDS: f64 = 110.0;
/// Deepest page of search results: hits come from at most 200 candidates per list.
const MAX_OFFSET: usize = 400;

/// The MCP server: search, context, sync, stats and health tools over one data dir.
#[derive(Clone)]
pub struct McpServer {
    data_dir: PathBuf,
    config: PipelineConfig,
    /// `--sink`/`--qdrant-*` given to `pipeline mcp`.
    overrides: SinkOverrides,
    model_dir: PathBuf,
    embedder: Arc<tokio::sync::Mutex<Option<Embedder>>>,
    /// The last index opened, with the freshness it was read at: reused while the store has not changed.
    index: Arc<tokio::sync::Mutex<Option<CachedIndex>>>,
    tool_router: ToolRouter<Self>,
}

struct CachedIndex {
    sink: SinkConfig,
    /// For the embedded store: the files' fingerprint when read (Qdrant is always current).
    freshness: Option<Vec<(u64, i128)>>,
    index: Arc<dyn Corpus>,
    source: IndexSource,
}

type ToolResult = Result<String, String>;

/// A tool's JSON answer, compact: indentation is tokens the model pays for and does not need.
fn json<T: serde::Serialize>(v: &T) -> ToolResult {
    serde_json::to_string(v).map_err(|e| e.to_string())
}

#[tool_router]
impl McpServer {
    pub fn new(
        data_dir: PathBuf,
        config: PipelineConfig,
        overrides: SinkOverrides,
        model_dir: PathBuf,
    ) -> Self {
        McpServer {
            data_dir,
            config,
            overrides,
            model_dir,
            embedder: Arc::new(tokio::sync::Mutex::new(None)),
            index: Arc::new(tokio::sync::Mutex::new(None)),
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Search the user's past coding-agent conversations (Claude Code, Codex CLI, Gemini CLI; hybrid semantic + keyword ranking). Use it when the user refers to earlier work (\"how did we ...\", \"last time\", \"that bug again\"), when an error looks familiar, or before re-solving something that was likely solved before. Query with distinctive words, an error line, an identifier or a file name. Filters (project, agent, kind, topic, since/until, session, uuid, has_code, solutions) combine with AND. Returns one short block per hit with its message id, within a byte budget, and says how to get more (offset); read around a hit with get_conversation_context."
    )]
    async fn search_conversations(
        &self,
        Parameters(p): Parameters<SearchParams>,
    ) -> Result<CallToolResult, String> {
        let (format, max_bytes) = output_form(p.format.as_deref(), p.max_bytes)?;
        let opts = SearchOptions {
            query: p.query,
            limit: p.limit.unwrap_or(10).clamp(1, 100),
            offset: p.offset.unwrap_or(0).min(MAX_OFFSET),
            project: p.project,
            here: None,
            kinds: p.kind.map(params::OneOrMany::into_vec).unwrap_or_default(),
            topic: p.topic,
            has_code: p.has_code.unwrap_or(false),
            since: p.since,
            until: p.until,
            session: p.session,
            uuid: p.uuid,
            mode: match p.mode.as_deref() {
                None => SearchMode::Hybrid,
                Some(m) => SearchMode::parse(m).map_err(|e| e.to_string())?,
            },
            solutions: p.solutions.unwrap_or(false),
            agent: p.agent,
            context: p.context.unwrap_or(0).min(10),
            include_weak: p.include_weak.unwrap_or(false),
            cwd: p.cwd.map(PathBuf::from),
        };
        let (index, source) = self.current_index().await?;
        let embedder = self.embedder.clone();
        let files = ModelFiles::from_config(&self.model_dir, &self.config.embed.model);
        let settings = EmbedderSettings {
            batch_size: 1,
            ..EmbedderSettings::from_config(&self.config.embed)
        };
        let (offset, limit) = (opts.offset, opts.limit);
        // Embedding and Qdrant requests block: off the async threads.
        let hits = tokio::task::spawn_blocking(move || {
            let search = query::validate(index.as_ref(), &opts).map_err(|e| e.to_string())?;
            let mut guard = embedder.blocking_lock();
            if guard.is_none() {
                *guard = Some(Embedder::load(&files, settings).map_err(|e| e.to_string())?);
            }
            let embedder = guard.as_mut().ok_or("the model is not loaded")?;
            search
                .run(index.as_ref(), embedder)
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())??;
        let from_snapshot = matches!(source, IndexSource::Snapshot { .. });
        let report =
            SearchReport::page(hits, offset, limit, from_snapshot, false).fit(max_bytes, format);
        answer(format, &report, SearchReport::to_text)
    }

    /// The store this server searches: chosen again on every call (a run may have bound the data dir to
    /// another store meanwhile).
    fn chosen_sink(&self) -> Result<SinkConfig, String> {
        target::choose(&self.data_dir, self.config.sink.as_ref(), &self.overrides)
            .map(|c| c.config)
            .map_err(|e| e.to_string())
    }

    /// The index: for the embedded store, reopened only when the store or the snapshot changed since it was
    /// last read; for Qdrant, one connection kept while the store stays the same.
    async fn current_index(&self) -> Result<(Arc<dyn Corpus>, IndexSource), String> {
        let sink = self.chosen_sink()?;
        let mut cache = self.index.lock().await;
        let data_dir = self.data_dir.clone();
        let freshness =
            (sink.kind == SinkKind::Embedded).then(|| SearchIndex::freshness(&data_dir));
        if let Some(c) = cache.as_ref() {
            if c.sink == sink && c.freshness == freshness {
                return Ok((c.index.clone(), c.source));
            }
        }
        let handle = tokio::runtime::Handle::current();
        let s = sink.clone();
        let (index, source) =
            tokio::task::spawn_blocking(move || open_corpus(&data_dir, &s, handle))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| match e {
                    crate::error::Error::NoIndex { data_dir } => format!(
                        "no conversation index in {} yet: call force_conversation_sync to build it",
                        data_dir.display()
                    ),
                    other => other.to_string(),
                })?;
        // Loading the store may itself touch the database files: fingerprint that case again after reading. A
        // published index is fingerprinted as it was before opening, so a publish in between is seen next time.
        let freshness = match source {
            IndexSource::Store => {
                (sink.kind == SinkKind::Embedded).then(|| SearchIndex::freshness(&self.data_dir))
            }
            _ => freshness,
        };
        *cache = Some(CachedIndex {
            freshness,
            sink,
            index: index.clone(),
            source,
        });
        Ok((index, source))
    }

    #[tool(
        description = "Health of the conversation index: store reachable and consistent, point and checkpoint counts, files pending, last sync, model and runtime found, versions."
    )]
    async fn get_vector_db_health(&self) -> ToolResult {
        let data_dir = self.data_dir.clone();
        let files = ModelFiles::from_config(&self.model_dir, &self.config.embed.model);
        let sink = self.chosen_sink()?;
        let handle = tokio::runtime::Handle::current();
        let discovery = self
            .config
            .discovery(Vec::new())
            .map_err(|e| e.to_string())?;
        let health = tokio::task::spawn_blocking(move || {
            let sources = crate::health::last_sources(&data_dir)
                .map(|roots| crate::discover::Sources { roots, ..discovery });
            let qdrant = (sink.kind == SinkKind::Qdrant).then_some((&sink, handle));
            crate::health::check_store(&data_dir, &files, sources.as_ref(), qdrant)
        })
        .await
        .map_err(|e| e.to_string())?;
        json(&health)
    }

    #[tool(
        description = "Sync new conversation logs (Claude Code, Codex CLI, Gemini CLI) into the index now, within a time budget (default 100 s, at most 110 s, below the 2-minute tool limit). Progress is checkpointed: if `work_left` is true in the result, call again to continue."
    )]
    async fn force_conversation_sync(&self, Parameters(p): Parameters<SyncParams>) -> ToolResult {
        let started = Instant::now();
        let seconds = p.budget_seconds.unwrap_or(DEFAULT_SYNC_SECONDS);
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(format!(
                "budget_seconds must be between 0 and {MAX_SYNC_SECONDS}"
            ));
        }
        let budget = Duration::from_secs_f64(seconds.min(MAX_SYNC_SECONDS));
        let sink_config = self.chosen_sink()?;
        let (data_dir, dimension) = (
            self.data_dir.clone(),
            self.config.embed.model.vectors_dimension(),
        );
        let run_budget = self.config.budget.budget(started, Some(budget));
        let handle = tokio::runtime::Handle::current();
        let session = tokio::task::spawn_blocking(move || {
            let spec = SessionSpec {
                data_dir: &data_dir,
                sink: &sink_config,
                dimension,
                budget: run_budget,
            };
            // Half the budget at most waiting for a watch cycle: the other half syncs.
            WriterSession::open(&spec, run_budget.share(0.5).unwrap_or(started), handle)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| match e {
            e @ (Error::Locked { .. } | Error::WatchRunning { .. }) => {
                format!("{e}; try again when it ends")
            }
            e => e.to_string(),
        })?;
        let sources: Vec<PathBuf> = crate::history::saved_sources(session.state())
            .unwrap_or_else(|| self.config.sources().existing_roots());
        if sources.is_empty() {
            return Err("no transcript directory found (~/.claude/projects, ~/.codex/sessions); run `pipeline run --source DIR` once".into());
        }
        let settings = RunSettings {
            sources: sources.clone(),
            budget: Some(budget),
            max_files: None,
        };
        let job = SyncJob {
            settings: settings.clone(),
            config: self.config.clone(),
            model_dir: self.model_dir.clone(),
            budget: run_budget,
            publish_snapshots: session.is_embedded(),
            model_slot: None,
        };
        let reporter = Reporter::quiet(Arc::new(Counters::default()));
        let _ = crate::history::save_resume(session.state(), &settings);
        let summary = session
            .run(job, reporter, std::future::pending())
            .await
            .map_err(|e| e.to_string())?;
        let _ = session.record(&summary, true);
        let _ = session.publish_snapshot(&summary, None);
        drop(session);
        json(&summary)
    }

    #[tool(
        description = "Sync statistics: files complete / partial / pending with bytes and percent, points stored by kind, enhancement counts, malformed lines, recent syncs and the number of 110-second syncs still needed."
    )]
    async fn get_sync_stats(&self) -> ToolResult {
        let data_dir = self.data_dir.clone();
        let sink = self.chosen_sink()?;
        let handle = tokio::runtime::Handle::current();
        let sources = self
            .config
            .discovery(Vec::new())
            .map_err(|e| e.to_string())?;
        let default_roots = self.config.sources().existing_roots();
        tokio::task::spawn_blocking(move || {
            // Qdrant's counts first: the database is then held only for the local part.
            let from_qdrant = match sink.kind {
                SinkKind::Qdrant => Some(
                    crate::stats::StoreStats::of_qdrant(&sink, handle)
                        .map_err(|e| e.to_string())?,
                ),
                SinkKind::Embedded => None,
            };
            let store = SyncState::open_reader(&data_dir).map_err(|e| e.to_string())?;
            let sources = crate::discover::Sources {
                roots: crate::history::saved_sources(&store).unwrap_or(default_roots),
                ..sources
            };
            let reporter = Reporter::quiet(Arc::new(Counters::default()));
            let (found, excluded) = sources.find(&store, &reporter);
            let held = from_qdrant.unwrap_or_else(|| {
                crate::stats::StoreStats::of_embedded(&crate::store::EmbeddedStore::of(&store))
            });
            json(&crate::stats::compute(
                &store,
                held,
                (&found, excluded),
                crate::history::recent_runs(&store, 5),
            ))
        })
        .await
        .map_err(|e| e.to_string())?
    }

    #[tool(
        description = "Read a stored message (by the `message_id` a search hit names) with its neighbours in the conversation: `before` earlier messages (what led to it) and `after` replies (what came of it), each in short. A long message is shown in parts within `max_bytes`; the answer says the `start` to read on. Use it to follow a search hit instead of searching again."
    )]
    async fn get_conversation_context(
        &self,
        Parameters(p): Parameters<ContextParams>,
    ) -> Result<CallToolResult, String> {
        let (format, max_bytes) = output_form(p.format.as_deref(), p.max_bytes)?;
        let both = p.n.unwrap_or(3);
        let req = WindowRequest {
            message_id: p.message_id,
            before: p.before.unwrap_or(both).min(MAX_NEIGHBOURS),
            after: p.after.unwrap_or(both).min(MAX_NEIGHBOURS),
            start: p.start.unwrap_or(0),
            max_bytes,
            format,
        };
        let (index, _) = self.current_index().await?;
        let window = tokio::task::spawn_blocking(move || {
            ConversationWindow::read(index.as_ref(), &req)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no stored message has id {:?}", req.message_id))
        })
        .await
        .map_err(|e| e.to_string())??;
        answer(format, &window, ConversationWindow::to_text)
    }
}

/// The form asked for (text by default) and the byte budget (or the default); an unknown format or a budget out
/// of range is an error naming what is valid.
fn output_form(
    format: Option<&str>,
    max_bytes: Option<usize>,
) -> Result<(ReportFormat, usize), String> {
    let format = format.map_or(Ok(ReportFormat::Text), ReportFormat::parse)?;
    let max_bytes = max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
    if !(MIN_MAX_BYTES..=MAX_MAX_BYTES).contains(&max_bytes) {
        return Err(format!(
            "max_bytes must be between {MIN_MAX_BYTES} and {MAX_MAX_BYTES}"
        ));
    }
    Ok((format, max_bytes))
}

/// A tool's answer in the form asked for: compact text, or the value as JSON (text and structured content).
fn answer<T: serde::Serialize>(
    format: ReportFormat,
    value: &T,
    text: impl FnOnce(&T) -> String,
) -> Result<CallToolResult, String> {
    Ok(match format {
        ReportFormat::Text => CallToolResult::success(vec![ContentBlock::text(text(value))]),
        ReportFormat::Json => {
            CallToolResult::structured(serde_json::to_value(value).map_err(|e| e.to_string())?)
        }
    })
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("pipeline", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Search the user's past coding-agent conversations (Claude Code, Codex CLI, Gemini CLI) with \
                 search_conversations; sync new logs with force_conversation_sync (call again while work_left \
                 is true).",
            )
    }
}

/// Serves MCP on stdin/stdout until the client disconnects.
pub async fn serve(server: McpServer) -> crate::error::Result<()> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| crate::error::Error::stage("mcp", e))?;
    running
        .waiting()
        .await
        .map_err(|e| crate::error::Error::stage("mcp", e))?;
    Ok(())
}
