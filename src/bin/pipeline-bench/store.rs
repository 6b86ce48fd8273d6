//! The embedded store at scale: synthetic points (random unit vectors, Zipf-like text) committed in batches as
//! the upsert stage does, then the store's size on disk, the time to open it for search (load + index), and
//! search latency without and with filters.

use crate::report::Report;
use pipeline::synth::Rng;
use std::path::Path;
use std::time::Instant;

pub fn run(report: &mut Report, out_dir: &Path, sizes: &[usize]) -> anyhow::Result<()> {
    let mut all = Vec::new();
    for &n in sizes {
        let s = measure(out_dir, n)?;
        report.row(
            format!("store of {n} points: upsert, size on disk"),
            format!(
                "{:.0} points/s, {:.0} bytes per point",
                s.upsert_per_s, s.bytes_per_point
            ),
        );
        report.row(
            format!(
                "store of {n} points: publish the search index (all; a delta of 1% more), open it"
            ),
            format!(
                "{:.2} s; {:.2} s; {:.1} ms{}",
                s.publish_s,
                s.delta_publish_s,
                s.open_s * 1000.0,
                s.load_s.map_or(String::new(), |l| format!(
                    " (loading every point instead: {l:.2} s, {:.0}x)",
                    l / s.open_s.max(1e-9)
                ))
            ),
        );
        report.row(
            format!("store of {n} points: search p50 / p95"),
            format!(
                "{:.1} / {:.1} ms; with project + kind filter {:.1} / {:.1} ms",
                s.p50_ms, s.p95_ms, s.filtered_p50_ms, s.filtered_p95_ms
            ),
        );
        report.row(
            format!("store of {n} points: `pipeline search` process"),
            format!(
                "wall p50 {:.2} s (model load included), peak RSS {:.0} MiB",
                s.process_p50_s,
                crate::child::mib(s.process_peak_rss)
            ),
        );
        all.push(serde_json::json!({
            "search_process_p50_s": s.process_p50_s,
            "search_process_peak_rss": s.process_peak_rss,
            "points": s.points,
            "upsert_points_per_s": s.upsert_per_s,
            "bytes_per_point": s.bytes_per_point,
            "publish_s": s.publish_s,
            "delta_publish_s": s.delta_publish_s,
            "load_s": s.load_s,
            "open_s": s.open_s,
            "p50_ms": s.p50_ms,
            "p95_ms": s.p95_ms,
            "filtered_p50_ms": s.filtered_p50_ms,
            "filtered_p95_ms": s.filtered_p95_ms,
        }));
        std::fs::remove_dir_all(out_dir.join(format!("store-{n}")))?;
    }
    report.json("store", serde_json::Value::Array(all));
    Ok(())
}

struct SearchBench {
    points: usize,
    upsert_per_s: f64,
    bytes_per_point: f64,
    /// Writing the published index: all of it, and a delta of 1% new points.
    publish_s: f64,
    delta_publish_s: f64,
    /// Loading every point into memory, as searches did before the published index.
    load_s: Option<f64>,
    open_s: f64,
    p50_ms: f64,
    p95_ms: f64,
    filtered_p50_ms: f64,
    filtered_p95_ms: f64,
    /// `pipeline search` processes: wall-clock p50 (model load included) and peak RSS.
    process_p50_s: f64,
    process_peak_rss: u64,
}

/// A random unit vector of the model's dimension.
fn unit_vector(rng: &mut Rng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..pipeline::embedder::DIMENSION)
        .map(|_| (rng.next_u64() % 2001) as f32 / 1000.0 - 1.0)
        .collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// A vocabulary with a long tail, so BM25 sees common and rare terms.
pub fn vocabulary() -> Vec<String> {
    let mut rng = Rng::new(77);
    (0..20_000)
        .map(|i| {
            let len = 3 + rng.below(8);
            let mut w: String = (0..len)
                .map(|_| (b'a' + rng.below(26) as u8) as char)
                .collect();
            if i % 50 == 0 {
                w.push_str(".rs");
            }
            w
        })
        .collect()
}

/// A Zipf-like draw from the vocabulary: square the uniform draw to favour the head.
fn word<'a>(vocab: &'a [String], rng: &mut Rng) -> &'a str {
    let u = rng.below(10_000) as f64 / 10_000.0;
    &vocab[((u * u) * vocab.len() as f64) as usize]
}

const PROJECTS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "epsilon"];

/// Point `i` of the synthetic store: 40 to 160 words, a random unit vector, five projects, five kinds.
pub fn synthetic_point(
    i: usize,
    vocab: &[String],
    rng: &mut Rng,
) -> (uuid::Uuid, pipeline::store::StoredPoint) {
    use pipeline::message::MessageKind;
    use pipeline::payload::Payload;
    let words = 40 + rng.below(120);
    let text: Vec<&str> = (0..words).map(|_| word(vocab, rng)).collect();
    let session = format!("s{}", i / 200);
    let uuid = format!("u{i}");
    let project = PROJECTS[i % PROJECTS.len()];
    let payload = Payload {
        message_id: pipeline::ids::message_id(&session, &uuid).to_string(),
        parent_message_id: None,
        session_id: session.clone(),
        uuid: uuid.clone(),
        kind: MessageKind::ALL[i % 5],
        chunk_index: 0,
        chunk_count: 1,
        text: text.join(" "),
        project: Some(format!("/home/me/{project}")),
        project_name: Some(project.to_string()),
        git_branch: None,
        timestamp: None,
        timestamp_unix: Some(1_767_225_600 + i as i64 * 60),
        is_sidechain: false,
        agent_id: None,
        source_path: "/bench.jsonl".into(),
        line_offset: i as u64,
        tools_used: vec![],
        files_touched: vec![],
        has_code: i.is_multiple_of(3),
        topics: vec![],
        primary_topic: None,
        solution_quality: 1.0,
        is_solution_attempt: i.is_multiple_of(4),
        solution_category: None,
        feedback: None,
        validation: None,
        content_hash: String::new(),
        enhancer_version: 1,
        // The default model's id, so `pipeline search` (which refuses another model's vectors) searches it.
        embedding_model: pipeline::config::PipelineConfig::builtin().embed.model.id,
        line_uuids: vec![],
        redaction_version: String::new(),
        redacted: vec![],
        agent: pipeline::message::Agent::ClaudeCode,
    };
    (
        pipeline::ids::point_id(&session, &uuid, 0),
        pipeline::store::StoredPoint {
            vector: unit_vector(rng),
            payload,
        },
    )
}

/// Commits `n` synthetic points to `sink` in batches of `batch` as the upsert stage does; points per second.
pub fn upsert_rate(
    sink: &dyn pipeline::store::Sink,
    n: usize,
    batch: usize,
    seed: u64,
) -> anyhow::Result<f64> {
    upsert_range(sink, 0..n, batch, seed)
}

/// Commits synthetic points `range` in batches of `batch`; points per second.
fn upsert_range(
    sink: &dyn pipeline::store::Sink,
    range: std::ops::Range<usize>,
    batch: usize,
    seed: u64,
) -> anyhow::Result<f64> {
    use pipeline::store::{CommitBatch, PointWrite, SinkOp};
    let vocab = vocabulary();
    let mut rng = Rng::new(seed);
    let mut ops = Vec::new();
    let mut spent = 0.0;
    let (n, end) = (range.len(), range.end);
    for i in range {
        let (id, point) = synthetic_point(i, &vocab, &mut rng);
        ops.push(SinkOp::Upsert(Box::new(PointWrite {
            id,
            point,
            cache_key: None,
            embed_later: None,
        })));
        if ops.len() == batch || i + 1 == end {
            let b = CommitBatch {
                ops: std::mem::take(&mut ops),
                checkpoints: vec![],
            };
            let t = Instant::now();
            sink.commit(&b)?;
            spent += t.elapsed().as_secs_f64();
        }
    }
    Ok(n as f64 / spent.max(1e-9))
}

fn measure(out_dir: &Path, n: usize) -> anyhow::Result<SearchBench> {
    use pipeline::message::MessageKind;
    use pipeline::search::{
        open_embedded, search, Filter, IndexSource, SearchIndex, SearchRequest,
    };
    use pipeline::store::SyncState;

    let dir = out_dir.join(format!("store-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    let vocab = vocabulary();
    let mut rng = Rng::new(78);
    let state = SyncState::open(&dir)?;
    let store = pipeline::store::EmbeddedStore::of(&state);
    let upsert_per_s = upsert_rate(&store, n, 256, 77)?;
    state.flush()?;
    let bytes_per_point = state.size_on_disk() as f64 / n as f64;
    let start = Instant::now();
    pipeline::store::snapshot::publish_current(&store)?;
    let publish_s = start.elapsed().as_secs_f64();
    // What searches read before the published index existed: every point loaded into memory (skipped at sizes
    // where that takes minutes and gigabytes).
    let load_s = if n <= 200_000 {
        let start = Instant::now();
        let loaded = SearchIndex::load(&store)?;
        let s = start.elapsed().as_secs_f64();
        drop(loaded);
        Some(s)
    } else {
        None
    };
    // A later run's new points (1%), published as a delta beside the base; the searches below read both.
    upsert_range(&store, n..n + n / 100, 256, 79)?;
    let start = Instant::now();
    pipeline::store::snapshot::publish_current(&store)?;
    let delta_publish_s = start.elapsed().as_secs_f64();
    anyhow::ensure!(
        pipeline::store::snapshot::delta_path(&dir).exists(),
        "1% new points were not published as a delta"
    );
    drop(state);
    drop(store);

    let start = Instant::now();
    let (index, source) = open_embedded(&dir)?;
    let open_s = start.elapsed().as_secs_f64();
    anyhow::ensure!(source == IndexSource::Published, "opened {source:?}");
    let index = index.as_ref();

    let run = |filter: Filter, rng: &mut Rng| -> (f64, f64) {
        let mut times = Vec::new();
        for _ in 0..100 {
            let q: Vec<&str> = (0..2 + rng.below(4)).map(|_| word(&vocab, rng)).collect();
            let req = SearchRequest {
                query: q.join(" "),
                expansion: None,
                mode: Default::default(),
                limit: 10,
                filter: filter.clone(),
                context: 0,
                current_project: None,
                now_unix: 1_800_000_000,
                weak_cosine: None,
            };
            let v = unit_vector(rng);
            let t = Instant::now();
            let hits = search(index, &v, &req);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            let _ = std::hint::black_box(hits);
        }
        times.sort_by(f64::total_cmp);
        (times[times.len() / 2], times[times.len() * 95 / 100])
    };
    let (p50_ms, p95_ms) = run(Filter::default(), &mut rng);
    let filtered = Filter {
        project: Some("beta".into()),
        kinds: vec![MessageKind::Assistant, MessageKind::ToolCall],
        ..Filter::default()
    };
    let (filtered_p50_ms, filtered_p95_ms) = run(filtered, &mut rng);
    let (process_p50_s, process_peak_rss) = search_processes(&dir, &vocab, &mut rng)?;
    Ok(SearchBench {
        points: n,
        upsert_per_s,
        bytes_per_point,
        publish_s,
        delta_publish_s,
        load_s,
        open_s,
        p50_ms,
        p95_ms,
        filtered_p50_ms,
        filtered_p95_ms,
        process_p50_s,
        process_peak_rss,
    })
}

/// `pipeline search` as a user runs it (a new process: open the index, load the model, embed, rank, print), 9
/// times: its wall-clock p50 and the largest peak RSS.
fn search_processes(dir: &Path, vocab: &[String], rng: &mut Rng) -> anyhow::Result<(f64, u64)> {
    let mut walls = Vec::new();
    let mut peak = 0;
    for _ in 0..9 {
        let q: Vec<&str> = (0..2 + rng.below(4)).map(|_| word(vocab, rng)).collect();
        let mut cmd = std::process::Command::new(crate::child::pipeline_bin()?);
        cmd.arg("--data-dir")
            .arg(dir)
            .args(["search", "--json", "--limit", "10"])
            .arg(q.join(" "));
        let (wall, rss, code, _) = crate::child::measured(cmd)?;
        anyhow::ensure!(code == 0, "pipeline search exited with {code}");
        walls.push(wall);
        peak = peak.max(rss);
    }
    walls.sort_by(f64::total_cmp);
    Ok((walls[walls.len() / 2], peak))
}
