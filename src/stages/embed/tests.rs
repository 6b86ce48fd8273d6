use super::*;
use crate::embedder::{default_model_dir, EmbedderSettings, ModelFiles};
use crate::stages::upsert::UpsertStage;
use crate::stages::ChunkRecord;
use crate::store::{EmbeddedStore, Sink};

fn long_text(i: u128) -> String {
    format!("window text {i}: ") + &"the quick brown fox jumps over the lazy dog ".repeat(25)
}

fn waiting(i: u128, text: &str) -> SinkOp {
    SinkOp::Upsert(Box::new(PointWrite {
        id: uuid::Uuid::from_u128(i),
        point: StoredPoint {
            vector: vec![],
            payload: crate::store::embedded::tests::payload("s", &format!("u{i}"), 0, 1),
        },
        cache_key: None,
        embed_later: Some(text.to_string()),
    }))
}

fn load_model(config: &EmbedConfig) -> Embedder {
    let files = ModelFiles::from_config(&default_model_dir(), &config.model);
    Embedder::load(&files, EmbedderSettings::from_config(config))
        .unwrap_or_else(|e| panic!("load the model (run `make model`): {e}"))
}

/// Runs the embed stage on `chunks` into a real upsert stage and embedded store, with `deadline`.
async fn run_stage(
    state: &SyncState,
    chunks: Vec<ChunkRecord>,
    deadline: Option<Instant>,
) -> EmbedOutcome {
    let config = crate::config::PipelineConfig::builtin().embed;
    let model_config = config.clone();
    let (in_tx, in_rx) = async_channel::bounded(chunks.len().max(1));
    for c in chunks {
        let _ = in_tx.send(Enhanced::Chunk(Box::new(c))).await;
    }
    drop(in_tx);
    let (out_tx, out_rx) = async_channel::bounded(4);
    let (stop, _) = tokio::sync::broadcast::channel(1);
    let (abandon, _) = tokio::sync::broadcast::channel(1);
    let reporter = Reporter::quiet(Arc::new(Counters::default()));
    let upsert = tokio::spawn(
        UpsertStage {
            sink: Arc::new(EmbeddedStore::of(state)),
            input: out_rx,
            reporter: reporter.clone(),
            past_deadline: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
        .run(),
    );
    let outcome = EmbedStage {
        context: EmbedContext {
            config,
            store: Arc::new(state.clone()),
            reporter,
            deadline,
            known_speed: None,
            model_slot: None,
        },
        load: tokio::task::spawn_blocking(move || Ok(load_model(&model_config))),
        input: in_rx,
        output: out_tx,
        shutdown: Shutdown::new(stop.subscribe()),
        abandon: Shutdown::new(abandon.subscribe()),
    }
    .run()
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    upsert
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    outcome
}

/// Text first: with no time to embed, every chunk is still stored (searchable by its words) with its text
/// queued; the next run, with time, embeds the queue and leaves every point with its vector.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_chunk_is_stored_at_once_and_embedded_from_the_queue_later() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let chunks: Vec<ChunkRecord> = (0..40u128)
        .map(|i| ChunkRecord {
            id: uuid::Uuid::from_u128(i),
            payload: crate::store::embedded::tests::payload("s", &format!("u{i}"), 0, 1),
            embed_text: (i % 10 != 9).then(|| format!("message {i} about sled checkpoints")),
        })
        .collect();
    let first = run_stage(&state, chunks, Some(Instant::now())).await;
    assert_eq!(first.end, EmbedEnd::Budget, "no time to embed anything");
    let store = EmbeddedStore::of(&state);
    assert_eq!(store.point_count(), 40, "every chunk is stored");
    assert_eq!(
        state.embed_queue_len(),
        36,
        "the 4 lexical-only chunks are not queued"
    );
    for i in 0..40u128 {
        let p = store
            .point(uuid::Uuid::from_u128(i))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("point {i}"));
        assert!(p.vector.is_empty());
    }
    let second = run_stage(&state, vec![], None).await;
    assert_eq!(second.end, EmbedEnd::Drained);
    assert_eq!(state.embed_queue_len(), 0);
    for i in 0..40u128 {
        let p = store
            .point(uuid::Uuid::from_u128(i))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("point {i}"));
        assert_eq!(p.vector.is_empty(), i % 10 == 9, "point {i}");
    }
    assert_eq!(
        state.cached_vector_count(),
        36,
        "each fresh vector is cached"
    );
}

/// A window of 64 long texts keeps the real model busy for over a second on these machines; the abandon
/// notice comes while it runs. The stage gives the window up at once (no batch is sent, so nothing of it can
/// be committed after the deadline), ends with the budget, and reports the speed bound the window showed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_abandoned_at_the_deadline_sends_nothing_and_reports_its_speed_bound() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = crate::config::PipelineConfig::builtin().embed;
    let model_config = config.clone();
    let model = tokio::task::spawn_blocking(move || load_model(&model_config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let state = SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    // 64 long texts stored by an earlier run, waiting for their vectors.
    let queued: Vec<SinkOp> = (0..64u128).map(|i| waiting(i, &long_text(i))).collect();
    crate::store::EmbeddedStore::of(&state)
        .commit(&CommitBatch {
            ops: queued,
            checkpoints: vec![],
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let (in_tx, in_rx) = async_channel::bounded::<Enhanced>(1);
    drop(in_tx);
    let (out_tx, out_rx) = async_channel::bounded(4);
    let (stop, _) = tokio::sync::broadcast::channel(1);
    let (abandon, _) = tokio::sync::broadcast::channel(1);
    let stage = EmbedStage {
        context: EmbedContext {
            config,
            store: Arc::new(state),
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
