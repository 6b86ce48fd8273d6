//! Stage 3: vectors for every chunk, text first. Every chunk is passed on to be stored as soon as it comes, with
//! the cached vector if its text was embedded before (same text, same model), and otherwise with its text queued
//! for the model ([`crate::store::embed_queue`]): a run makes every word it read searchable, however slow the
//! model. Once the input ends and all of it is committed, the stage embeds the queue, newest first, in windows
//! sorted by length (little padding). A window is only started if it can finish before the deadline; otherwise
//! it is shrunk to what fits, or the stage stops.

use super::Enhanced;
use crate::checkpoint::FileCheckpoint;
use crate::config::EmbedConfig;
use crate::embedder::Embedder;
use crate::error::{Error, Result};
use crate::progress::{Counters, Reporter};
use crate::shutdown::Shutdown;
use crate::store::embed_queue::QueuedChunk;
use crate::store::{CommitBatch, PointWrite, SinkOp, StoredPoint, SyncState, VectorWrite};
use crate::transcript::estimate_tokens;
use async_channel::{Receiver, Sender, TryRecvError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

mod model;
use model::{Model, ModelWait};

/// Starting guess of embedding speed (estimated tokens per second) before the first window is measured.
const INITIAL_TOKENS_PER_SEC: f64 = 1500.0;
/// A window is planned to take at most this share of the time left before the deadline. Speed estimates are
/// only estimates: near the deadline windows shrink geometrically, so a misjudged one costs little, instead of the
/// last window running past the deadline and being thrown away whole.
const PLAN_SHARE: f64 = 0.5;
/// How long to wait for a window to fill before embedding a partial one.
const FILL_WAIT: Duration = Duration::from_millis(30);

/// Why the stage stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedEnd {
    /// The input ended and everything was passed on.
    Drained,
    /// The next window could not finish before the deadline; pending work was left for the next run.
    Budget,
    /// Stop-intake notice (signal or budget), or the sink went away.
    Stopped,
}

/// The model, loaded on a blocking thread while parsing starts.
pub type ModelLoad = JoinHandle<Result<Embedder>>;

/// Where a long-lived caller (`pipeline watch`) keeps the loaded model between runs: the stage takes it back
/// there when it ends.
pub type ModelSlot = Arc<std::sync::Mutex<Option<Embedder>>>;

/// How the embed stage ended, and the embedding speed it saw (the budget plans the next run with it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbedOutcome {
    pub end: EmbedEnd,
    /// Estimated tokens per second, smoothed over this run's windows; `None` if nothing was embedded.
    pub measured_speed: Option<f64>,
    /// A window was still being embedded at the hard deadline and was abandoned: the most speed it can have had
    /// (its estimated tokens over the time it had run), so that a slow day still teaches the next run.
    pub abandoned_speed_bound: Option<f64>,
}

impl EmbedOutcome {
    fn ended(end: EmbedEnd, measured_speed: Option<f64>) -> Self {
        EmbedOutcome {
            end,
            measured_speed,
            abandoned_speed_bound: None,
        }
    }
}

/// The embed stage: turns enhanced messages into batches of points with vectors, window by window, within the
/// budget.
pub struct EmbedStage {
    pub context: EmbedContext,
    /// The model, loading on a blocking thread.
    pub load: ModelLoad,
    pub input: Receiver<Enhanced>,
    pub output: Sender<CommitBatch>,
    /// Stop intake (a signal, or the budget nearly spent): embed nothing new.
    pub shutdown: Shutdown,
    /// The hard deadline passed: a window still being embedded is abandoned, not waited for (its batch would
    /// come too late to be committed; its checkpoint never moved, so the next run redoes it).
    pub abandon: Shutdown,
}

/// What the embed stage plans and embeds with: its settings, the cache it reads, the budget.
pub struct EmbedContext {
    pub config: EmbedConfig,
    pub store: Arc<SyncState>,
    pub reporter: Reporter,
    /// Every window must be committed by then.
    pub deadline: Option<Instant>,
    /// Embedding speed measured by earlier runs (estimated tokens per second), if known.
    pub known_speed: Option<f64>,
    /// Where to leave the model when the stage ends, if the caller keeps it.
    pub model_slot: Option<ModelSlot>,
}

impl EmbedStage {
    /// Embeds window after window until the input ends, a stop notice, the budget, or an abandon notice.
    pub async fn run(self) -> Result<EmbedOutcome> {
        let EmbedStage {
            context,
            load,
            input,
            output,
            mut shutdown,
            mut abandon,
        } = self;
        context
            .embed_all(load, input, output, &mut shutdown, &mut abandon)
            .await
    }
}

/// How embedding one window ended.
enum Window {
    /// The batch to commit, and the speed measured (if the model ran).
    Embedded(CommitBatch, Option<f64>),
    /// Abandoned at the hard deadline, with the speed bound it showed.
    Abandoned(Option<f64>),
}

impl EmbedContext {
    /// Text first, then vectors: every chunk the input brings is passed on at once with its text (and a cached
    /// vector if there is one; otherwise its text to embed is queued), so that parsing runs at its own speed and
    /// every word is searchable after the first run. Once the input ends and everything passed on is committed,
    /// the queue is embedded, newest first, window by window, within the budget.
    async fn embed_all(
        &self,
        load: ModelLoad,
        rx: Receiver<Enhanced>,
        tx: Sender<CommitBatch>,
        shutdown: &mut Shutdown,
        abandon: &mut Shutdown,
    ) -> Result<EmbedOutcome> {
        let committed_before = self.committed_batches();
        let mut sent = 0u64;
        let mut pending: Vec<Enhanced> = Vec::new();
        let mut input_open = true;
        while input_open || !pending.is_empty() {
            if shutdown.is_shutdown() {
                return Ok(EmbedOutcome::ended(EmbedEnd::Stopped, None));
            }
            if input_open {
                input_open = self.fill(&rx, &mut pending, shutdown).await;
            }
            if pending.is_empty() {
                continue;
            }
            let end = self.window_end(&pending);
            let batch = self.store_window(pending.drain(..end).collect())?;
            if tx.send(batch).await.is_err() {
                return Ok(EmbedOutcome::ended(EmbedEnd::Stopped, None));
            }
            sent += 1;
        }
        if !self
            .until_committed(committed_before + sent, &tx, shutdown)
            .await
        {
            return Ok(EmbedOutcome::ended(EmbedEnd::Stopped, None));
        }
        self.embed_queue(load, tx, shutdown, abandon).await
    }

    /// The batches the upsert stage has committed so far (of any run sharing the counters).
    fn committed_batches(&self) -> u64 {
        self.reporter
            .counters()
            .batches_committed
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until the upsert stage has committed `target` batches; false if told to stop first, or the upsert
    /// stage went away.
    async fn until_committed(
        &self,
        target: u64,
        tx: &Sender<CommitBatch>,
        shutdown: &mut Shutdown,
    ) -> bool {
        while self.committed_batches() < target {
            if tx.is_closed() {
                return false;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
                _ = shutdown.recv() => return false,
            }
        }
        true
    }

    /// Embeds the queue ([`crate::store::embed_queue`]), newest first, until it is empty, the budget, a stop
    /// notice or an abandon notice.
    async fn embed_queue(
        &self,
        load: ModelLoad,
        tx: Sender<CommitBatch>,
        shutdown: &mut Shutdown,
        abandon: &mut Shutdown,
    ) -> Result<EmbedOutcome> {
        let mut model = Model {
            load: Some(load),
            ready: None,
            slot: self.model_slot.clone(),
        };
        let mut tokens_per_sec = self
            .known_speed
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(INITIAL_TOKENS_PER_SEC);
        let mut measured_speed = None;
        let mut after: Option<Vec<u8>> = None;
        loop {
            if shutdown.is_shutdown() {
                return Ok(EmbedOutcome::ended(EmbedEnd::Stopped, measured_speed));
            }
            let page = self
                .store
                .embed_queue_page(after.as_deref(), self.config.window_texts)?;
            if page.is_empty() {
                return Ok(EmbedOutcome::ended(EmbedEnd::Drained, measured_speed));
            }
            if !model.is_ready() && self.needs_model(&page)? {
                match model.wait_ready(self.deadline, shutdown).await? {
                    ModelWait::Ready => {}
                    ModelWait::Deadline => {
                        return Ok(EmbedOutcome::ended(EmbedEnd::Budget, measured_speed))
                    }
                    ModelWait::Stopped => {
                        return Ok(EmbedOutcome::ended(EmbedEnd::Stopped, measured_speed))
                    }
                }
            }
            let window = self.fitting(page, tokens_per_sec)?;
            let Some(last) = window.last() else {
                return Ok(EmbedOutcome::ended(EmbedEnd::Budget, measured_speed));
            };
            after = Some(last.key.clone());
            let batch = match self.embed_window(window, &mut model, abandon).await? {
                Window::Embedded(batch, measured) => {
                    if let Some(tps) = measured {
                        tokens_per_sec = 0.7 * tokens_per_sec + 0.3 * tps;
                        measured_speed = Some(tokens_per_sec);
                    }
                    batch
                }
                Window::Abandoned(bound) => {
                    return Ok(EmbedOutcome {
                        end: EmbedEnd::Budget,
                        measured_speed,
                        abandoned_speed_bound: bound,
                    })
                }
            };
            if tx.send(batch).await.is_err() {
                return Ok(EmbedOutcome::ended(EmbedEnd::Stopped, measured_speed));
            }
        }
    }

    /// Moves input into `pending` until a window is full; false once the input is closed and empty.
    async fn fill(
        &self,
        rx: &Receiver<Enhanced>,
        pending: &mut Vec<Enhanced>,
        shutdown: &mut Shutdown,
    ) -> bool {
        let texts =
            |p: &Vec<Enhanced>| p.iter().filter(|e| matches!(e, Enhanced::Chunk(_))).count();
        loop {
            if texts(pending) >= self.config.window_texts {
                return true;
            }
            match rx.try_recv() {
                Ok(item) => {
                    pending.push(item);
                    continue;
                }
                Err(TryRecvError::Closed) => return false,
                Err(TryRecvError::Empty) => {}
            }
            let wait = if pending.is_empty() {
                Duration::from_secs(3600)
            } else {
                FILL_WAIT
            };
            tokio::select! {
                item = rx.recv() => match item {
                    Ok(item) => pending.push(item),
                    Err(_) => return false,
                },
                _ = tokio::time::sleep(wait) => return true,
                _ = shutdown.recv() => return true,
            }
        }
    }

    /// How many items of `pending` make the next batch: at most `window_texts` chunks.
    fn window_end(&self, pending: &[Enhanced]) -> usize {
        let mut texts = 0usize;
        for (n, item) in pending.iter().enumerate() {
            if matches!(item, Enhanced::Chunk(_)) {
                if texts == self.config.window_texts {
                    return n;
                }
                texts += 1;
            }
        }
        pending.len()
    }

    /// The batch of a window of input: every chunk with its text, its vector if the cache has it, and otherwise
    /// the text to embed queued; patches and checkpoints as they came.
    fn store_window(&self, window: Vec<Enhanced>) -> Result<CommitBatch> {
        let counters = self.reporter.counters();
        let mut batch = CommitBatch::default();
        let mut checkpoints: Vec<FileCheckpoint> = Vec::new();
        let vectors_id = self.config.model.vectors_id();
        for item in window {
            match item {
                Enhanced::Chunk(c) => {
                    let mut c = *c;
                    let (vector, embed_later) = match c.embed_text {
                        // Lexical only: stored without a vector.
                        None => (Vec::new(), None),
                        Some(text) => {
                            let key = cache_key(&vectors_id, &text);
                            match self.store.cached_vector(&key)? {
                                Some(v) => {
                                    Counters::add(&counters.cache_hits, 1);
                                    (v, None)
                                }
                                None => (Vec::new(), Some(text)),
                            }
                        }
                    };
                    Counters::add(&counters.chunks, 1);
                    c.payload.embedding_model.clone_from(&vectors_id);
                    batch.ops.push(SinkOp::Upsert(Box::new(PointWrite {
                        id: c.id,
                        point: StoredPoint {
                            vector,
                            payload: c.payload,
                        },
                        cache_key: None,
                        embed_later,
                    })));
                }
                Enhanced::Patch(p) => batch.ops.push(SinkOp::Patch(p)),
                Enhanced::Progress(cp) => {
                    match checkpoints.iter_mut().find(|c| c.path == cp.path) {
                        Some(slot) => *slot = *cp,
                        None => checkpoints.push(*cp),
                    }
                }
            }
        }
        batch.checkpoints = checkpoints;
        Ok(batch)
    }

    /// The longest prefix of `page` expected to be embedded before the deadline (empty when not even one
    /// chunk fits).
    fn fitting(&self, mut page: Vec<QueuedChunk>, tokens_per_sec: f64) -> Result<Vec<QueuedChunk>> {
        let budget = self.deadline.map(|d| {
            d.saturating_duration_since(Instant::now()).as_secs_f64() * tokens_per_sec * PLAN_SHARE
        });
        let Some(budget) = budget else {
            return Ok(page);
        };
        let mut tokens = 0f64;
        let mut end = 0usize;
        for chunk in &page {
            let cost = if self.is_cached(&chunk.text)? {
                0.0
            } else {
                self.token_cost(&chunk.text) as f64
            };
            if tokens + cost > budget {
                break;
            }
            tokens += cost;
            end += 1;
        }
        page.truncate(end);
        Ok(page)
    }

    /// Whether the next window (its first `window_texts` chunks) has a text that the cache cannot serve.
    fn needs_model(&self, page: &[QueuedChunk]) -> Result<bool> {
        for chunk in page.iter().take(self.config.window_texts) {
            if !self.is_cached(&chunk.text)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The estimated tokens the model runs for `text` (with its two special tokens, truncated at the maximum).
    fn token_cost(&self, text: &str) -> usize {
        (estimate_tokens(text) + 2).min(self.config.max_length)
    }

    fn is_cached(&self, text: &str) -> Result<bool> {
        Ok(self
            .store
            .cached_vector(&cache_key(&self.config.model.vectors_id(), text))?
            .is_some())
    }

    /// Embeds what the cache does not have and builds the batch of vectors, with the measured speed; gives the
    /// window up if the abandon notice comes while the model runs (the model's thread finishes on its own,
    /// unwaited).
    async fn embed_window(
        &self,
        window: Vec<QueuedChunk>,
        model: &mut Model,
        abandon: &mut Shutdown,
    ) -> Result<Window> {
        let counters = self.reporter.counters().clone();
        let mut vectors: HashMap<[u8; 32], Vec<f32>> = HashMap::new();
        let mut to_embed: Vec<([u8; 32], String)> = Vec::new();
        let vectors_id = self.config.model.vectors_id();
        for chunk in &window {
            let key = cache_key(&vectors_id, &chunk.text);
            if vectors.contains_key(&key) || to_embed.iter().any(|(k, _)| *k == key) {
                Counters::add(&counters.cache_hits, 1);
                continue;
            }
            match self.store.cached_vector(&key)? {
                Some(v) => {
                    Counters::add(&counters.cache_hits, 1);
                    vectors.insert(key, v);
                }
                None => to_embed.push((key, chunk.text.clone())),
            }
        }
        let mut fresh: Vec<[u8; 32]> = Vec::new();
        let mut measured = None;
        if !to_embed.is_empty() {
            let mut embedder = model.get().await?;
            // Sort by length so each forward pass pads little.
            to_embed.sort_by_key(|(_, t)| estimate_tokens(t));
            let est_tokens: usize = to_embed.iter().map(|(_, t)| self.token_cost(t)).sum();
            let started = Instant::now();
            let texts: Vec<String> = to_embed.iter().map(|(_, t)| t.clone()).collect();
            let running = tokio::task::spawn_blocking(move || {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let r = embedder.embed(&refs);
                (embedder, r)
            });
            let joined = tokio::select! {
                joined = running => joined,
                _ = abandon.recv() => {
                    let secs = started.elapsed().as_secs_f64();
                    return Ok(Window::Abandoned((secs > 0.0).then(|| est_tokens as f64 / secs)));
                }
            };
            let (embedder, result) =
                joined.map_err(|e| Error::embed("embedding thread failed", e))?;
            model.ready = Some(embedder);
            let out = result?;
            let secs = started.elapsed().as_secs_f64();
            Counters::add(&counters.embed_nanos, (secs * 1e9) as u64);
            Counters::add(&counters.texts_embedded, out.len() as u64);
            let _ = counters.first_embed_done_ns.compare_exchange(
                0,
                counters.now_ns().max(1),
                std::sync::atomic::Ordering::Relaxed,
                std::sync::atomic::Ordering::Relaxed,
            );
            if secs > 0.0 {
                measured = Some(est_tokens as f64 / secs);
            }
            for ((key, _), v) in to_embed.into_iter().zip(out) {
                fresh.push(key);
                vectors.insert(key, v);
            }
        }
        let mut batch = CommitBatch::default();
        for chunk in window {
            let key = cache_key(&vectors_id, &chunk.text);
            let Some(vector) = vectors.get(&key).cloned() else {
                return Err(Error::embed_result(format!(
                    "no vector for point {}",
                    chunk.id
                )));
            };
            // Remember a vector in the cache once, with the first point that needed it.
            let fresh_key = fresh.iter().position(|k| *k == key).map(|i| {
                fresh.swap_remove(i);
                key
            });
            batch.ops.push(SinkOp::SetVector(VectorWrite {
                id: chunk.id,
                text_hash: chunk.text_hash(),
                vector,
                cache_key: fresh_key,
            }));
        }
        Ok(Window::Embedded(batch, measured))
    }
}

/// Cache key of a text under a model: blake3(model id, NUL, text).
pub fn cache_key(model_id: &str, text: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(model_id.as_bytes());
    h.update(&[0]);
    h.update(text.as_bytes());
    *h.finalize().as_bytes()
}

#[cfg(test)]
mod tests;
