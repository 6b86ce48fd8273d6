//! Stage 3: vectors for every chunk. Chunks whose text was embedded before (same content hash, same model) take
//! the cached vector; the rest are embedded in windows sorted by length (little padding). A window is only
//! started if it can finish before the deadline; otherwise it is shrunk to what fits, or the stage stops.

use super::Enhanced;
use crate::checkpoint::FileCheckpoint;
use crate::config::EmbedConfig;
use crate::embedder::Embedder;
use crate::error::{Error, Result};
use crate::progress::{Counters, Reporter};
use crate::shutdown::Shutdown;
use crate::store::{CommitBatch, PointWrite, SinkOp, StoredPoint, SyncState};
use crate::transcript::estimate_tokens;
use async_channel::{Receiver, Sender, TryRecvError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

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

struct Model {
    load: Option<ModelLoad>,
    ready: Option<Embedder>,
    slot: Option<ModelSlot>,
}

impl Drop for Model {
    /// Hands a loaded model back to the caller that keeps it (on every way the stage ends).
    fn drop(&mut self) {
        if let (Some(slot), Some(model)) = (&self.slot, self.ready.take()) {
            if let Ok(mut kept) = slot.lock() {
                *kept = Some(model);
            }
        }
    }
}

/// How waiting for the model ended.
enum ModelWait {
    Ready,
    /// The deadline came first.
    Deadline,
    /// A stop notice came first.
    Stopped,
}

impl Model {
    fn is_ready(&self) -> bool {
        self.ready.is_some()
    }

    /// Waits for the model that is loading, but not past `deadline` or a stop notice. Planning a window then uses
    /// the time really left instead of a guess at the load time.
    async fn wait_ready(
        &mut self,
        deadline: Option<Instant>,
        shutdown: &mut Shutdown,
    ) -> Result<ModelWait> {
        if self.ready.is_some() {
            return Ok(ModelWait::Ready);
        }
        let Some(load) = self.load.as_mut() else {
            return Err(Error::embed_result("model is unavailable"));
        };
        let until_deadline = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            loaded = load => {
                self.load = None;
                self.ready = Some(loaded_model(loaded)?);
                Ok(ModelWait::Ready)
            }
            _ = until_deadline => Ok(ModelWait::Deadline),
            _ = shutdown.recv() => Ok(ModelWait::Stopped),
        }
    }

    async fn get(&mut self) -> Result<Embedder> {
        if let Some(m) = self.ready.take() {
            return Ok(m);
        }
        match self.load.take() {
            Some(handle) => loaded_model(handle.await),
            None => Err(Error::embed_result("model is unavailable")),
        }
    }
}

/// The model out of its finished loader thread.
fn loaded_model(
    joined: std::result::Result<Result<Embedder>, tokio::task::JoinError>,
) -> Result<Embedder> {
    joined.map_err(|e| Error::embed("model loader failed", e))?
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
    async fn embed_all(
        &self,
        load: ModelLoad,
        rx: Receiver<Enhanced>,
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
        let mut pending: Vec<Enhanced> = Vec::new();
        let mut input_open = true;
        let mut measured_speed = None;
        let ended = |end: EmbedEnd, measured_speed: Option<f64>| {
            Ok(EmbedOutcome {
                end,
                measured_speed,
                abandoned_speed_bound: None,
            })
        };
        loop {
            if shutdown.is_shutdown() {
                return ended(EmbedEnd::Stopped, measured_speed);
            }
            if input_open {
                input_open = self.fill(&rx, &mut pending, shutdown).await;
            }
            if pending.is_empty() {
                if input_open {
                    continue;
                }
                return ended(EmbedEnd::Drained, measured_speed);
            }
            if !model.is_ready() && self.needs_model(&pending)? {
                match model.wait_ready(self.deadline, shutdown).await? {
                    ModelWait::Ready => {}
                    ModelWait::Deadline => return ended(EmbedEnd::Budget, measured_speed),
                    ModelWait::Stopped => return ended(EmbedEnd::Stopped, measured_speed),
                }
            }
            let window = match self.take_window(&mut pending, tokens_per_sec)? {
                Some(w) => w,
                None => return ended(EmbedEnd::Budget, measured_speed),
            };
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
                return ended(EmbedEnd::Stopped, measured_speed);
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

    /// The next window: a prefix of `pending` with at most `window_texts` chunks that is expected to finish
    /// before the deadline. None when not even one chunk fits.
    fn take_window(
        &self,
        pending: &mut Vec<Enhanced>,
        tokens_per_sec: f64,
    ) -> Result<Option<Vec<Enhanced>>> {
        let budget = self.deadline.map(|d| {
            d.saturating_duration_since(Instant::now()).as_secs_f64() * tokens_per_sec * PLAN_SHARE
        });
        let mut tokens = 0f64;
        let mut texts = 0usize;
        let mut end = 0usize;
        for item in pending.iter() {
            if let Enhanced::Chunk(c) = item {
                if texts == self.config.window_texts {
                    break;
                }
                let cost = match &c.embed_text {
                    None => 0.0,
                    Some(t) if self.is_cached(t)? => 0.0,
                    Some(t) => (estimate_tokens(t) + 2).min(self.config.max_length) as f64,
                };
                if budget.is_some_and(|b| tokens + cost > b) {
                    break;
                }
                tokens += cost;
                texts += 1;
            }
            end += 1;
        }
        if end == 0 {
            return Ok(None);
        }
        Ok(Some(pending.drain(..end).collect()))
    }

    /// Whether the next window (its first `window_texts` chunks, as [`Self::take_window`] counts them) has a
    /// chunk that the cache cannot serve.
    fn needs_model(&self, pending: &[Enhanced]) -> Result<bool> {
        let chunks = pending.iter().filter_map(|item| match item {
            Enhanced::Chunk(c) => Some(c),
            _ => None,
        });
        for c in chunks.take(self.config.window_texts) {
            if let Some(t) = &c.embed_text {
                if !self.is_cached(t)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    fn is_cached(&self, text: &str) -> Result<bool> {
        Ok(self
            .store
            .cached_vector(&cache_key(&self.config.model.id, text))?
            .is_some())
    }

    /// Embeds what the cache does not have and builds the commit batch, with the measured speed; gives the window
    /// up if the abandon notice comes while the model runs (the model's thread finishes on its own, unwaited).
    async fn embed_window(
        &self,
        window: Vec<Enhanced>,
        model: &mut Model,
        abandon: &mut Shutdown,
    ) -> Result<Window> {
        let counters = self.reporter.counters().clone();
        let mut vectors: HashMap<[u8; 32], Vec<f32>> = HashMap::new();
        let mut to_embed: Vec<([u8; 32], String)> = Vec::new();
        for item in &window {
            if let Enhanced::Chunk(c) = item {
                let Some(text) = &c.embed_text else { continue };
                let key = cache_key(&self.config.model.id, text);
                if vectors.contains_key(&key) || to_embed.iter().any(|(k, _)| *k == key) {
                    Counters::add(&counters.cache_hits, 1);
                    continue;
                }
                match self.store.cached_vector(&key)? {
                    Some(v) => {
                        Counters::add(&counters.cache_hits, 1);
                        vectors.insert(key, v);
                    }
                    None => to_embed.push((key, text.clone())),
                }
            }
        }
        let mut fresh: Vec<[u8; 32]> = Vec::new();
        let mut measured = None;
        if !to_embed.is_empty() {
            let mut embedder = model.get().await?;
            // Sort by length so each forward pass pads little.
            to_embed.sort_by_key(|(_, t)| estimate_tokens(t));
            let est_tokens: usize = to_embed
                .iter()
                .map(|(_, t)| (estimate_tokens(t) + 2).min(self.config.max_length))
                .sum();
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
        let mut checkpoints: Vec<FileCheckpoint> = Vec::new();
        for item in window {
            match item {
                Enhanced::Chunk(c) => {
                    let (vector, cache_key) = match &c.embed_text {
                        // Lexical only: stored without a vector.
                        None => (Vec::new(), None),
                        Some(text) => {
                            let key = cache_key(&self.config.model.id, text);
                            let Some(vector) = vectors.get(&key).cloned() else {
                                return Err(Error::embed_result(format!(
                                    "no vector for point {}",
                                    c.id
                                )));
                            };
                            // Remember a vector in the cache once, with the first point that needed it.
                            let fresh_key = match fresh.iter().position(|k| *k == key) {
                                Some(i) => {
                                    fresh.swap_remove(i);
                                    Some(key)
                                }
                                None => None,
                            };
                            (vector, fresh_key)
                        }
                    };
                    Counters::add(&counters.chunks, 1);
                    let mut c = *c;
                    c.payload.embedding_model.clone_from(&self.config.model.id);
                    batch.ops.push(SinkOp::Upsert(Box::new(PointWrite {
                        id: c.id,
                        point: StoredPoint {
                            vector,
                            payload: c.payload,
                        },
                        cache_key,
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
mod tests {
    use super::*;
    use crate::embedder::{default_model_dir, EmbedderSettings, ModelFiles};
    use crate::stages::ChunkRecord;

    /// A window of 64 long texts keeps the real model busy for over a second on these machines; the abandon
    /// notice comes while it runs. The stage gives the window up at once (no batch is sent, so nothing of it can
    /// be committed after the deadline), ends with the budget, and reports the speed bound the window showed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_window_abandoned_at_the_deadline_sends_nothing_and_reports_its_speed_bound() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let config = crate::config::PipelineConfig::builtin().embed;
        let files = ModelFiles::from_config(&default_model_dir(), &config.model);
        let settings = EmbedderSettings::from_config(&config);
        let model = tokio::task::spawn_blocking(move || Embedder::load(&files, settings))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("load the model (run `make model`): {e}"));
        let (in_tx, in_rx) = async_channel::bounded(128);
        for i in 0..64u128 {
            let text = format!("window text {i}: ")
                + &"the quick brown fox jumps over the lazy dog ".repeat(25);
            let chunk = ChunkRecord {
                id: uuid::Uuid::from_u128(i),
                payload: crate::store::embedded::tests::payload("s", &format!("u{i}"), 0, 1),
                embed_text: Some(text),
            };
            let _ = in_tx.send(Enhanced::Chunk(Box::new(chunk))).await;
        }
        let (out_tx, out_rx) = async_channel::bounded(4);
        let (stop, _) = tokio::sync::broadcast::channel(1);
        let (abandon, _) = tokio::sync::broadcast::channel(1);
        let stage = EmbedStage {
            context: EmbedContext {
                config,
                store: Arc::new(SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}"))),
                reporter: Reporter::quiet(Arc::new(Counters::default())),
                deadline: None,
                known_speed: None,
                model_slot: None,
            },
            load: tokio::task::spawn_blocking(move || Ok(model)),
            input: in_rx,
            output: out_tx,
            shutdown: Shutdown::new(stop.subscribe()),
            abandon: Shutdown::new(abandon.subscribe()),
        };
        let running = tokio::spawn(stage.run());
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = abandon.send(());
        let outcome = running
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outcome.end, EmbedEnd::Budget);
        assert!(
            outcome.abandoned_speed_bound.is_some_and(|s| s > 0.0),
            "{outcome:?}"
        );
        assert_eq!(outcome.measured_speed, None, "no window finished");
        assert!(
            out_rx.try_recv().is_err(),
            "the abandoned window sent nothing"
        );
    }
}
