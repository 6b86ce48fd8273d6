//! Upsert throughput into Qdrant next to the embedded store's: the same synthetic points, committed in the
//! upsert stage's batches through the same `Sink` trait, alternated in one run. Against a real Qdrant when
//! `QDRANT_URL` is set; otherwise against the `qdrant-fake` binary, an in-memory test double, whose figure
//! measures pipeline's side of the path (encoding, gRPC, `wait = true` round trips, the retry wrapper), not
//! Qdrant's indexing.

use crate::report::Report;
use crate::store::{synthetic_point, upsert_rate, vocabulary};
use pipeline::config::{SinkConfig, SinkKind};
use pipeline::search::QdrantCorpus;
use pipeline::search::{search, Filter, SearchRequest};
use pipeline::store::qdrant::{QdrantSink, QdrantStore};
use pipeline::store::SyncState;
use pipeline::synth::Rng;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

/// The fake server process, killed on drop.
struct FakeServer(Child);

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_fake() -> anyhow::Result<(String, FakeServer)> {
    let exe = std::env::current_exe()?
        .parent()
        .map(|d| d.join("qdrant-fake"))
        .ok_or_else(|| anyhow::anyhow!("no directory for the bench binary"))?;
    if !exe.is_file() {
        anyhow::bail!(
            "{} not found: `make bench` builds it (cargo build --release --workspace --bins)",
            exe.display()
        );
    }
    let mut child = Command::new(&exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("qdrant-fake: no stdout"))?;
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("listening ")
        .ok_or_else(|| anyhow::anyhow!("qdrant-fake said {line:?}"))?
        .to_string();
    Ok((url, FakeServer(child)))
}

pub fn run(report: &mut Report, out_dir: &Path, n: usize) -> anyhow::Result<()> {
    let (url, _fake, what) = match std::env::var("QDRANT_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => (url.clone(), None, format!("Qdrant at {url}")),
        None => {
            let (url, fake) = start_fake()?;
            (
                url,
                Some(fake),
                "qdrant-fake (in-memory test double, not Qdrant)".to_string(),
            )
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let config = SinkConfig {
        kind: SinkKind::Qdrant,
        url,
        collection: format!("pipeline_bench_{}", std::process::id()),
        ..SinkConfig::default()
    };
    let qdrant = Arc::new(QdrantStore::connect(&config, rt.handle().clone())?);
    qdrant.ensure_collection(None, pipeline::embedder::DIMENSION)?;
    let local_dir = out_dir.join("qdrant-local");
    let embedded_dir = out_dir.join("qdrant-vs-embedded");
    for d in [&local_dir, &embedded_dir] {
        let _ = std::fs::remove_dir_all(d);
    }
    let local = Arc::new(SyncState::open(&local_dir)?);
    let sink = QdrantSink::new(qdrant.clone(), local, None);
    let embedded = pipeline::store::EmbeddedStore::of(&SyncState::open(&embedded_dir)?);
    // The upsert stage commits one embedding window at a time (64 texts).
    let batch = 64;
    let (mut e, mut q) = (Vec::new(), Vec::new());
    for round in 0..2 {
        e.push(upsert_rate(&embedded, n, batch, 77 + round)?);
        q.push(upsert_rate(&sink, n, batch, 77 + round)?);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (e, q) = (mean(&e), mean(&q));
    report.row(
        format!("upsert, {n} points in batches of {batch}: {what} vs embedded"),
        format!("{q:.0} vs {e:.0} points/s (ratio {:.2})", q / e),
    );

    // Search latency through the same ranking code.
    let corpus = QdrantCorpus::open(qdrant.clone())?;
    let vocab = vocabulary();
    let mut rng = Rng::new(5);
    let mut times = Vec::new();
    for i in 0..50 {
        let (_, probe) = synthetic_point(i, &vocab, &mut rng);
        let query: String = probe
            .payload
            .text
            .split(' ')
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        let req = SearchRequest {
            query,
            expansion: None,
            mode: Default::default(),
            limit: 10,
            filter: Filter::default(),
            context: 0,
            current_project: None,
            now_unix: 1_800_000_000,
            weak_cosine: None,
        };
        let t = Instant::now();
        let hits = search(&corpus, &probe.vector, &req)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(hits);
    }
    times.sort_by(f64::total_cmp);
    let (p50, p95) = (times[times.len() / 2], times[times.len() * 95 / 100]);
    report.row(
        format!("search over {n} points in {what}: p50 / p95"),
        format!("{p50:.1} / {p95:.1} ms"),
    );
    report.json(
        "qdrant",
        serde_json::json!({
            "server": what,
            "points": n,
            "batch": batch,
            "upsert_points_per_s": q,
            "embedded_upsert_points_per_s": e,
            "ratio": q / e,
            "search_p50_ms": p50,
            "search_p95_ms": p95,
        }),
    );
    let _ = qdrant.drop_collection();
    drop(embedded);
    for d in [&local_dir, &embedded_dir] {
        let _ = std::fs::remove_dir_all(d);
    }
    Ok(())
}
