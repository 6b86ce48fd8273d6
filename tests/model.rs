//! The real embedding model: semantically sensible, normalized vectors, and chunks that fit it.

mod common;

use common::*;
use pipeline::config::{ModelConfig, PipelineConfig};
use pipeline::embedder::{
    cosine, default_model_dir, Embedder, EmbedderSettings, ModelFiles, DIMENSION,
};
use pipeline::transcript::{chunk_text, estimate_tokens};

fn embedder() -> Embedder {
    let settings =
        EmbedderSettings::from_config(&pipeline::config::PipelineConfig::builtin().embed);
    Embedder::load(&ModelFiles::in_dir(&default_model_dir()), settings)
        .unwrap_or_else(|e| panic!("load model (run `make model`): {e}"))
}

#[test]
fn related_texts_score_higher_than_unrelated() {
    let mut e = embedder();
    let v = e
        .embed(&[
            "How do I reset my password?",
            "I forgot my login credentials",
            "The weather in Paris is sunny today.",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.len(), 3);
    for x in &v {
        assert_eq!(x.len(), DIMENSION);
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "normalized: {norm}");
    }
    let related = cosine(&v[0], &v[1]);
    let unrelated = cosine(&v[0], &v[2]);
    assert!(related > 0.5, "related {related}");
    assert!(unrelated < 0.2, "unrelated {unrelated}");
}

#[test]
fn chunk_estimate_is_conservative_against_the_real_tokenizer() {
    let e = embedder();
    let mut texts = Vec::new();
    for entry in walk(&common::fixtures()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        for line in bytes.split(|b| *b == b'\n') {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(blocks) = v["message"]["content"].as_array() {
                for b in blocks {
                    if let Some(t) = b["text"].as_str().or(b["content"].as_str()) {
                        texts.extend(chunk_text(t, 200));
                    }
                }
            }
        }
    }
    assert!(texts.len() > 200, "{}", texts.len());
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let real = e.token_counts(&refs);
    let over_model = real.iter().filter(|n| **n > 256).count();
    let underestimated = texts
        .iter()
        .zip(&real)
        .filter(|(t, n)| estimate_tokens(t) + 2 < **n)
        .count();
    eprintln!(
        "{} chunks: {over_model} exceed 256 real tokens, {underestimated} underestimated",
        texts.len()
    );
    assert!(
        over_model * 100 <= texts.len(),
        "more than 1% of chunks would be truncated by the model"
    );
    assert!(
        underestimated * 20 <= texts.len(),
        "estimate too low for more than 5% of chunks"
    );
}

/// The installed model's files under another layout (other names, the tokenizer in a subdirectory), as a user
/// pointing `[embed.model]` at their own export would have them.
fn relaid_model(dir: &std::path::Path) -> ModelConfig {
    let installed = default_model_dir().join("all-minilm-l6-v2");
    let link = |from: &str, to: &str| {
        let dest = dir.join(to);
        std::fs::create_dir_all(dest.parent().unwrap_or(dir)).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(installed.join(from), dest).unwrap_or_else(|e| panic!("{e}"));
    };
    link("model.onnx", "encoder-int8.onnx");
    for f in [
        "tokenizer.json",
        "config.json",
        "special_tokens_map.json",
        "tokenizer_config.json",
    ] {
        link(f, &format!("tok/{f}"));
    }
    ModelConfig {
        id: "minilm-relaid".to_string(),
        dir: dir.display().to_string(),
        onnx: "encoder-int8.onnx".to_string(),
        tokenizer: "tok/tokenizer.json".to_string(),
        ..ModelConfig::default()
    }
}

#[test]
fn the_model_a_pipeline_names_is_loaded_from_its_files_and_its_dimension_checked() {
    let dir = tempdir();
    let model = relaid_model(dir.path());
    let settings = EmbedderSettings::from_config(&PipelineConfig::builtin().embed);
    let files = ModelFiles::from_config(&default_model_dir(), &model);
    let mut relaid = Embedder::load(&files, settings).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(relaid.id(), "minilm-relaid");
    assert_eq!(relaid.dimension(), DIMENSION);
    let text = ["the root layout does not render flash messages"];
    let a = relaid.embed(&text).unwrap_or_else(|e| panic!("{e}"));
    let b = embedder().embed(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(cosine(&a[0], &b[0]) > 0.9999, "same files, same vectors");

    let wrong = ModelFiles::from_config(
        &default_model_dir(),
        &ModelConfig {
            dimension: 768,
            ..model.clone()
        },
    );
    let err = Embedder::load(&wrong, settings)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("384-dimensional") && err.contains("768"),
        "{err}"
    );
    let missing = ModelFiles::from_config(
        &default_model_dir(),
        &ModelConfig {
            onnx: "nope.onnx".into(),
            ..model
        },
    );
    let err = Embedder::load(&missing, settings)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("nope.onnx"), "{err}");
}

#[test]
fn a_data_dir_refuses_a_model_other_than_its_own_and_keeps_its_points() {
    let src = tempdir();
    let rel = "-tmp-claude-reliability/hello-world-script.jsonl";
    copy_fixture(rel, &src.path().join(rel));
    let data = tempdir();
    sync_ok(data.path(), src.path(), &[]);
    let before = export(data.path());

    let models = tempdir();
    let model = relaid_model(models.path());
    let pipeline_file = models.path().join("other.toml");
    std::fs::write(
        &pipeline_file,
        format!(
            "[embed.model]\nid = \"{}\"\ndir = \"{}\"\nonnx = \"{}\"\ntokenizer = \"{}\"\n",
            model.id, model.dir, model.onnx, model.tokenizer
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let other = pipeline_file.to_str().unwrap_or_default();
    let o = run(
        data.path(),
        &[
            "--pipeline",
            other,
            "run",
            "--source",
            src.path().to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("holds vectors of the model all-MiniLM-L6-v2"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("minilm-relaid"), "{}", stderr(&o));
    let s = run(data.path(), &["--pipeline", other, "search", "hello world"]);
    assert_ne!(code(&s), 0);
    assert!(stderr(&s).contains("cannot be compared"), "{}", stderr(&s));
    assert_eq!(export(data.path()), before, "nothing stored was touched");

    // A new data dir takes the other model.
    let fresh = tempdir();
    let o = run(
        fresh.path(),
        &[
            "--pipeline",
            other,
            "run",
            "--source",
            src.path().to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let hits = run(
        fresh.path(),
        &["--pipeline", other, "search", "--json", "hello world"],
    );
    assert_eq!(code(&hits), 0, "{}", stderr(&hits));
    let report: serde_json::Value = serde_json::from_slice(&hits.stdout).unwrap_or_default();
    assert!(
        report["hits"].as_array().is_some_and(|h| !h.is_empty()),
        "{report}"
    );
    assert!(
        export_json(fresh.path())
            .iter()
            .all(|p| p["payload"]["embedding_model"]
                .as_str()
                .is_some_and(|m| m.contains("minilm-relaid"))),
        "the new data dir holds the other model's vectors"
    );
}

/// The installed MiniLM's files read with CLS pooling: another model (other vectors) from files every test
/// machine has, to stand as a second model.
fn cls_model(dir: &std::path::Path) -> ModelConfig {
    ModelConfig {
        id: "minilm-cls".to_string(),
        pooling: pipeline::config::PoolingKind::Cls,
        weak_cosine: Some(0.15),
        ..relaid_model(dir)
    }
}

/// Two models (MiniLM with mean pooling, and with CLS pooling as the second): a stored vector is both models'
/// vectors side by side, a question in plain words is asked of both, any other of the first alone.
#[test]
fn two_models_embed_side_by_side_and_a_query_is_asked_of_the_models_its_form_suits() {
    let dir = tempdir();
    let second = cls_model(dir.path());
    let pair = ModelConfig {
        plain_questions: Some(Box::new(second.clone())),
        ..ModelConfig::default()
    };
    let settings = EmbedderSettings::from_config(&PipelineConfig::builtin().embed);
    let load = |model: &ModelConfig| {
        Embedder::load(
            &ModelFiles::from_config(&default_model_dir(), model),
            settings,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let mut two = load(&pair);
    assert!(two.has_plain_questions_model());
    assert_eq!(two.dimension(), 2 * DIMENSION);
    assert_eq!(
        two.id(),
        format!("{}+minilm-cls", pipeline::embedder::MODEL_ID),
        "the vectors are named by both models: a data dir of one refuses the pair"
    );

    let docs = [
        "the root layout does not render flash messages",
        "cargo build failed: unresolved import tokio::sync",
        "pushed the branch and opened a pull request",
    ];
    let query = "why did the notices not show up?";
    let stored = two.embed(&docs).unwrap_or_else(|e| panic!("{e}"));
    for v in &stored {
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "a stored vector is a unit vector: {norm}"
        );
    }
    // Each model alone, for the expected cosines.
    let own = |e: &mut Embedder| {
        let d = e.embed(&docs).unwrap_or_else(|e| panic!("{e}"));
        let q = e.embed(&[query]).unwrap_or_else(|e| panic!("{e}"));
        d.iter().map(|v| cosine(&q[0], v)).collect::<Vec<f32>>()
    };
    let mean_pooled = own(&mut embedder());
    let cls_pooled = own(&mut load(&second));
    assert!(
        mean_pooled.iter().zip(&cls_pooled).any(|(a, b)| (a - b).abs() > 0.02),
        "the two models must differ for this test to tell them apart: {mean_pooled:?} {cls_pooled:?}"
    );

    // Not in plain words: the first model alone; its cosines, scaled back, are that model's own.
    let first_only = two
        .embed_query(&[query], false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(first_only[0][DIMENSION..].iter().all(|x| *x == 0.0));
    // In plain words: both models, the mean of their cosines.
    let both = two
        .embed_query(&[query], true)
        .unwrap_or_else(|e| panic!("{e}"));
    for (i, doc) in stored.iter().enumerate() {
        let first = cosine(&first_only[0], doc) * two.cosine_scale(false);
        assert!(
            (first - mean_pooled[i]).abs() < 1e-3,
            "{first} vs {}",
            mean_pooled[i]
        );
        let mean = cosine(&both[0], doc) * two.cosine_scale(true);
        let expected = (mean_pooled[i] + cls_pooled[i]) / 2.0;
        assert!((mean - expected).abs() < 1e-3, "{mean} vs {expected}");
    }
    // Each form's cut-off, on the stored vectors' scale: the second model's for a plain question.
    let close = |a: Option<f32>, b: Option<f32>| matches!((a, b), (Some(a), Some(b)) if (a - b).abs() < 1e-6);
    assert!(close(two.weak_cosine_for(true), Some(0.15)));
    assert!(close(
        two.weak_cosine_for(false)
            .map(|c| c * two.cosine_scale(false)),
        two.weak_cosine()
    ));

    let missing = ModelFiles::from_config(
        &default_model_dir(),
        &ModelConfig {
            plain_questions: Some(Box::new(ModelConfig {
                dir: "no-such-model".into(),
                ..cls_model(tempdir().path())
            })),
            ..ModelConfig::default()
        },
    );
    let err = Embedder::load(&missing, settings)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("no-such-model"),
        "the second model's files are checked too: {err}"
    );
}

/// A data dir synced with two models: its points carry the pair's id and both models' vectors, it is healthy, a
/// question not in plain words gets the first model's cosines (as a data dir of that model alone does), a
/// question in plain words gets both models' mean, and the first model alone is refused.
#[test]
fn a_data_dir_synced_with_two_models_serves_both_forms_of_question() {
    let src = tempdir();
    let rel = "-tmp-claude-reliability/hello-world-script.jsonl";
    copy_fixture(rel, &src.path().join(rel));
    let source = src.path().to_str().unwrap_or_default();
    let models = tempdir();
    let second = cls_model(models.path());
    let pipeline_file = models.path().join("two.toml");
    std::fs::write(
        &pipeline_file,
        format!(
            "[embed.model.plain_questions]\nid = \"{}\"\ndir = \"{}\"\nonnx = \"{}\"\ntokenizer = \"{}\"\npooling = \"cls\"\nweak_cosine = -1\n",
            second.id, second.dir, second.onnx, second.tokenizer
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let two = pipeline_file.to_str().unwrap_or_default();
    let data = tempdir();
    let o = run(data.path(), &["--pipeline", two, "run", "--source", source]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let alone = tempdir();
    sync_ok(alone.path(), src.path(), &[]);

    let pair = format!("{}+minilm-cls", pipeline::embedder::MODEL_ID);
    let points = export_json(data.path());
    assert!(!points.is_empty());
    assert!(
        points
            .iter()
            .all(|p| p["payload"]["embedding_model"].as_str() == Some(pair.as_str())),
        "every point names the pair"
    );
    let health = run(data.path(), &["--pipeline", two, "health", "--json"]);
    let h: serde_json::Value = serde_json::from_slice(&health.stdout).unwrap_or_default();
    assert_eq!(h["healthy"], true, "{h}");
    assert_eq!(h["embedding_model"].as_str(), Some(pair.as_str()), "{h}");

    // Each hit's cosine, by message, with every weak match shown.
    let cosines = |dir: &std::path::Path, pipeline: &[&str], query: &str| {
        let args: Vec<&str> = pipeline
            .iter()
            .copied()
            .chain([
                "search",
                "--json",
                "--explain",
                "--weak",
                "--limit",
                "50",
                query,
            ])
            .collect();
        let s = run(dir, &args);
        assert_eq!(code(&s), 0, "{}", stderr(&s));
        let report: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap_or_default();
        let hits = report["hits"].as_array().cloned().unwrap_or_default();
        assert!(!hits.is_empty(), "{query}: {report}");
        hits.iter()
            .filter_map(|h| {
                Some((
                    h["message_id"].as_str()?.to_string(),
                    h["explain"]["cosine"].as_f64()?,
                ))
            })
            .collect::<std::collections::BTreeMap<String, f64>>()
    };
    let with_pair = ["--pipeline", two];
    let named = "hello_world.py";
    let (of_pair, of_first) = (
        cosines(data.path(), &with_pair, named),
        cosines(alone.path(), &[], named),
    );
    let shared: Vec<&String> = of_pair
        .keys()
        .filter(|k| of_first.contains_key(*k))
        .collect();
    assert!(!shared.is_empty());
    for id in &shared {
        assert!(
            (of_pair[*id] - of_first[*id]).abs() < 2e-3,
            "not in plain words: the first model's cosine ({} against {})",
            of_pair[*id],
            of_first[*id]
        );
    }
    let plain = "how did we check that the greeting script works?";
    let (of_pair, of_first) = (
        cosines(data.path(), &with_pair, plain),
        cosines(alone.path(), &[], plain),
    );
    assert!(
        of_pair
            .iter()
            .any(|(id, c)| of_first.get(id).is_some_and(|f| (c - f).abs() > 0.01)),
        "in plain words: both models' mean, not the first model's cosine"
    );

    let first_alone = run(data.path(), &["search", "hello world"]);
    assert_ne!(code(&first_alone), 0);
    assert!(
        stderr(&first_alone).contains("cannot be compared"),
        "{}",
        stderr(&first_alone)
    );
}
