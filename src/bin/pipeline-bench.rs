//! `make bench`: how close the pipeline runs to the embedding model's own speed, and what the rest costs.
//!
//! Figures are ratios measured in one run on the same machine (machines here are noisy):
//! - raw embedder throughput (texts/s) on the exact texts the pipeline embeds for a seeded synthetic corpus,
//!   batched the same way (windows sorted by length), versus the pipeline's end-to-end throughput on that
//!   corpus (process start, model load, parse, enhance, embed, commit): their ratio;
//! - parse (+ chunk) and parse + enhance throughput, MB/s on one core, on a larger synthetic corpus;
//! - peak RSS of a full sync of the real fixtures and of the synthetic corpus.
//!
//! Results: a table on stdout and JSON in `target/bench/results.json`.

use pipeline::config::PipelineConfig;
use pipeline::embedder::{default_model_dir, Embedder, EmbedderSettings, ModelFiles};
use pipeline::stages::enhance::{enhance_message, EnhancerState};
use pipeline::stages::ParsedMessage;
use pipeline::synth::{generate, Rng, SynthSpec};
use pipeline::transcript::{
    chunk_text, estimate_tokens, Assembler, AssemblerState, LineReader, RawLineItem,
};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let out_dir = PathBuf::from("target/bench");
    std::fs::create_dir_all(&out_dir)?;
    if std::env::var("BENCH_ONLY").as_deref() == Ok("search") {
        let s = search_bench(&out_dir)?;
        println!(
            "{} points: upsert {:.0}/s, {:.0} B/point, open {:.2} s, p50 {:.1} ms, p95 {:.1} ms, filtered p50 {:.1} ms",
            s.points, s.upsert_per_s, s.bytes_per_point, s.open_s, s.p50_ms, s.p95_ms, s.filtered_p50_ms
        );
        return Ok(());
    }
    let config = PipelineConfig::builtin();

    // 1. Parse throughput on a larger corpus.
    let parse_corpus = out_dir.join("parse-corpus");
    let _ = std::fs::remove_dir_all(&parse_corpus);
    let parse_bytes: u64 = std::env::var("BENCH_PARSE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60_000_000);
    generate(
        &parse_corpus,
        &SynthSpec {
            seed: 11,
            target_bytes: parse_bytes,
            projects: 6,
            lines_per_session: 1500,
        },
    )?;
    let files = jsonl_files(&parse_corpus);
    let (bytes, parse_secs, _) = parse_corpus_texts(&files, &config, false)?;
    let (_, enhance_secs, _) = parse_corpus_texts(&files, &config, true)?;
    let parse_mbs = bytes as f64 / 1e6 / parse_secs;
    let enhance_mbs = bytes as f64 / 1e6 / enhance_secs;

    // 2. The embedding corpus and the exact texts the pipeline will embed.
    let corpus = out_dir.join("embed-corpus");
    let _ = std::fs::remove_dir_all(&corpus);
    let embed_bytes: u64 = std::env::var("BENCH_EMBED_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600_000);
    let manifest = generate(
        &corpus,
        &SynthSpec {
            seed: 5,
            target_bytes: embed_bytes,
            projects: 2,
            lines_per_session: 400,
        },
    )?;
    let (_, _, texts) = parse_corpus_texts(&jsonl_files(&corpus), &config, true)?;

    // 3 and 4, alternated twice (best of each kept, all kept in the JSON) so that machine noise hits both:
    // the raw embedder, with the same windows as the pipeline (sorted by length inside each window), and the
    // pipeline end to end as a user runs it (process start, model load, parse, enhance, embed, commit).
    let settings = EmbedderSettings {
        threads: config.embed.threads,
        max_length: config.embed.max_length,
        batch_size: config.embed.batch_size,
    };
    let files_for_model = ModelFiles::in_dir(&default_model_dir());
    let bin = std::env::current_exe()?.with_file_name("pipeline");
    let mut raw_runs = Vec::new();
    let mut pipe_runs = Vec::new();
    let mut load_secs = f64::MAX;
    let mut real_tokens = 0usize;
    let mut pipe_rss = 0u64;
    let mut pipe_texts = 0u64;
    for _ in 0..2 {
        let load_start = Instant::now();
        let mut embedder = Embedder::load(&files_for_model, settings)?;
        load_secs = load_secs.min(load_start.elapsed().as_secs_f64());
        let raw_start = Instant::now();
        for window in texts.chunks(config.embed.window_texts) {
            let mut w: Vec<&str> = window.iter().map(String::as_str).collect();
            w.sort_by_key(|t| estimate_tokens(t));
            embedder.embed(&w)?;
        }
        raw_runs.push(texts.len() as f64 / raw_start.elapsed().as_secs_f64());
        real_tokens = embedder
            .token_counts(&texts.iter().map(String::as_str).collect::<Vec<_>>())
            .iter()
            .map(|n| (*n).min(config.embed.max_length))
            .sum();
        drop(embedder);

        let data = out_dir.join("embed-data");
        let _ = std::fs::remove_dir_all(&data);
        let (secs, rss, summary) = run_pipeline(&bin, &data, &corpus)?;
        pipe_texts = summary["texts_embedded"].as_u64().unwrap_or(0);
        pipe_runs.push(pipe_texts as f64 / secs);
        pipe_rss = pipe_rss.max(rss);
    }
    let best = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    let raw_tps = best(&raw_runs);
    let pipe_tps = best(&pipe_runs);
    let raw_secs = texts.len() as f64 / raw_tps;
    let pipe_secs = pipe_texts as f64 / pipe_tps;
    let ratio = pipe_tps / raw_tps;

    // 5. Peak RSS of a full sync of the real fixtures.
    let fixtures = std::env::var_os("PIPELINE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/fixtures"))
        .join("claude-projects");
    let fixture_run = if fixtures.is_dir() {
        let fdata = out_dir.join("fixture-data");
        let _ = std::fs::remove_dir_all(&fdata);
        Some(run_pipeline(&bin, &fdata, &fixtures)?)
    } else {
        None
    };

    // 6. Search at scale: 100k synthetic points in a real store.
    let search = search_bench(&out_dir)?;

    println!("pipeline benchmark (one run, same machine)");
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| parse + chunk, one core | {parse_mbs:.0} MB/s ({} MB) |",
        bytes / 1_000_000
    );
    println!("| parse + chunk + enhance, one core | {enhance_mbs:.0} MB/s |");
    println!(
        "| embed corpus | {} files, {} bytes, {} texts to embed, {} real tokens |",
        manifest.files.len(),
        manifest.total_bytes,
        texts.len(),
        real_tokens
    );
    println!("| model load | {load_secs:.2} s |");
    println!("| raw embedder | {raw_tps:.1} texts/s ({raw_secs:.1} s) |");
    println!("| pipeline end to end | {pipe_tps:.1} texts/s ({pipe_secs:.1} s wall, {pipe_texts} texts) |");
    println!("| **ratio pipeline / raw** | **{ratio:.3}** (goal >= 0.9) |");
    println!(
        "| peak RSS, synthetic sync | {:.0} MiB |",
        pipe_rss as f64 / 1048576.0
    );
    if let Some((secs, rss, _)) = &fixture_run {
        println!(
            "| peak RSS, full sync of the fixtures | {:.0} MiB ({secs:.1} s) (goal <= 1536 MiB) |",
            *rss as f64 / 1048576.0
        );
    }
    println!(
        "| store of {} points: upsert | {:.0} points/s, {:.0} bytes on disk per point |",
        search.points, search.upsert_per_s, search.bytes_per_point
    );
    println!(
        "| store of {} points: open (load + index) | {:.2} s |",
        search.points, search.open_s
    );
    println!(
        "| search p50 / p95 (no filter) | {:.1} / {:.1} ms (goal p50 < 50 ms) |",
        search.p50_ms, search.p95_ms
    );
    println!(
        "| search p50 / p95 (project + kind filter) | {:.1} / {:.1} ms |",
        search.filtered_p50_ms, search.filtered_p95_ms
    );
    let json = serde_json::json!({
        "search": {
            "points": search.points,
            "upsert_points_per_s": search.upsert_per_s,
            "bytes_per_point": search.bytes_per_point,
            "open_s": search.open_s,
            "p50_ms": search.p50_ms,
            "p95_ms": search.p95_ms,
            "filtered_p50_ms": search.filtered_p50_ms,
            "filtered_p95_ms": search.filtered_p95_ms,
        },
        "parse_mb_per_s": parse_mbs,
        "parse_enhance_mb_per_s": enhance_mbs,
        "parse_corpus_bytes": bytes,
        "texts": texts.len(),
        "real_tokens": real_tokens,
        "model_load_s": load_secs,
        "raw_texts_per_s": raw_tps,
        "pipeline_texts_per_s": pipe_tps,
        "pipeline_texts_embedded": pipe_texts,
        "pipeline_wall_s": pipe_secs,
        "raw_runs_texts_per_s": raw_runs,
        "pipeline_runs_texts_per_s": pipe_runs,
        "ratio": ratio,
        "peak_rss_synthetic_bytes": pipe_rss,
        "peak_rss_fixtures_bytes": fixture_run.as_ref().map(|r| r.1),
        "fixtures_wall_s": fixture_run.as_ref().map(|r| r.0),
    });
    std::fs::write(
        out_dir.join("results.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    println!("\nJSON: {}", out_dir.join("results.json").display());
    Ok(())
}

fn jsonl_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Parses (and optionally enhances) every file as the pipeline does; returns bytes, seconds and the distinct
/// chunk texts (what the embedder receives).
fn parse_corpus_texts(
    files: &[PathBuf],
    config: &PipelineConfig,
    enhance: bool,
) -> anyhow::Result<(u64, f64, Vec<String>)> {
    let mut texts = Vec::new();
    let mut seen = HashSet::new();
    let mut bytes = 0u64;
    let mut elapsed = Duration::ZERO;
    for path in files {
        let file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        let start = Instant::now();
        let name = path.to_string_lossy();
        let mut asm = Assembler::new(&name, AssemblerState::default());
        let mut reader = LineReader::new(file, 0, size, config.parse.max_line_bytes)?;
        let mut msgs = Vec::new();
        while let Some(item) = reader.next_line()? {
            if let RawLineItem::Line { offset, bytes } = item {
                asm.feed(offset, bytes, &mut msgs);
            }
        }
        asm.flush(&mut msgs);
        let mut state = EnhancerState::default();
        let mut out = Vec::new();
        let mut chunks = Vec::new();
        for message in msgs {
            let c = chunk_text(&message.text, config.parse.chunk_max_tokens);
            if enhance {
                enhance_message(
                    &mut state,
                    &ParsedMessage {
                        message,
                        chunks: c.clone(),
                    },
                    &mut out,
                );
            }
            chunks.extend(c);
        }
        elapsed += start.elapsed();
        bytes += size;
        out.clear();
        for c in chunks {
            if seen.insert(c.clone()) {
                texts.push(c);
            }
        }
    }
    Ok((bytes, elapsed.as_secs_f64(), texts))
}

/// Runs `pipeline run` as a child process; returns wall seconds, peak RSS (bytes) and the JSON summary.
fn run_pipeline(
    bin: &Path,
    data: &Path,
    source: &Path,
) -> anyhow::Result<(f64, u64, serde_json::Value)> {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(["run", "--json", "--source"])
        .arg(source)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb * 1024);
            }
        }
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let secs = start.elapsed().as_secs_f64();
    let out = child.wait_with_output()?;
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    Ok((secs, peak, summary))
}

struct SearchBench {
    points: usize,
    upsert_per_s: f64,
    bytes_per_point: f64,
    open_s: f64,
    p50_ms: f64,
    p95_ms: f64,
    filtered_p50_ms: f64,
    filtered_p95_ms: f64,
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

fn search_bench(out_dir: &Path) -> anyhow::Result<SearchBench> {
    use pipeline::message::MessageKind;
    use pipeline::payload::Payload;
    use pipeline::search::{search, Filter, SearchIndex, SearchRequest};
    use pipeline::store::{CommitBatch, EmbeddedStore, PointWrite, Sink, SinkOp, StoredPoint};

    let n: usize = std::env::var("BENCH_SEARCH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = out_dir.join("search-store");
    let _ = std::fs::remove_dir_all(&dir);
    // A vocabulary with a long tail, so BM25 sees common and rare terms.
    let mut rng = Rng::new(77);
    let vocab: Vec<String> = (0..20_000)
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
        .collect();
    let word = |rng: &mut Rng| {
        // Zipf-like: square the uniform draw to favour the head.
        let u = rng.below(10_000) as f64 / 10_000.0;
        &vocab[((u * u) * vocab.len() as f64) as usize]
    };
    let store = EmbeddedStore::open(&dir)?;
    let projects = ["alpha", "beta", "gamma", "delta", "epsilon"];
    let start = Instant::now();
    let mut ops = Vec::new();
    for i in 0..n {
        let words = 40 + rng.below(120);
        let text: Vec<&str> = (0..words).map(|_| word(&mut rng).as_str()).collect();
        let session = format!("s{}", i / 200);
        let uuid = format!("u{i}");
        let project = projects[i % projects.len()];
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
            has_code: i % 3 == 0,
            topics: vec![],
            primary_topic: None,
            solution_quality: 1.0,
            is_solution_attempt: i % 4 == 0,
            solution_category: None,
            feedback: None,
            validation: None,
            content_hash: String::new(),
            enhancer_version: 1,
            embedding_model: "bench".into(),
        };
        ops.push(SinkOp::Upsert(Box::new(PointWrite {
            id: pipeline::ids::point_id(&session, &uuid, 0),
            point: StoredPoint {
                vector: unit_vector(&mut rng),
                payload,
            },
            cache_key: None,
        })));
        if ops.len() == 256 {
            store.commit(&CommitBatch {
                ops: std::mem::take(&mut ops),
                checkpoints: vec![],
            })?;
        }
    }
    store.commit(&CommitBatch {
        ops,
        checkpoints: vec![],
    })?;
    let upsert_per_s = n as f64 / start.elapsed().as_secs_f64();
    store.flush()?;
    let bytes_per_point = store.size_on_disk() as f64 / n as f64;
    drop(store);

    let start = Instant::now();
    let (index, _) = SearchIndex::open(&dir)?;
    let open_s = start.elapsed().as_secs_f64();

    let run = |filter: Filter, rng: &mut Rng| -> (f64, f64) {
        let mut times = Vec::new();
        for _ in 0..100 {
            let q: Vec<&str> = (0..2 + rng.below(4)).map(|_| word(rng).as_str()).collect();
            let req = SearchRequest {
                query: q.join(" "),
                limit: 10,
                filter: filter.clone(),
                context: 0,
                current_project: None,
                now_unix: 1_800_000_000,
            };
            let v = unit_vector(rng);
            let t = Instant::now();
            let hits = search(&index, &v, &req);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(hits);
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
    Ok(SearchBench {
        points: n,
        upsert_per_s,
        bytes_per_point,
        open_s,
        p50_ms,
        p95_ms,
        filtered_p50_ms,
        filtered_p95_ms,
    })
}
