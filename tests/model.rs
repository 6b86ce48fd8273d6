//! The real embedding model: semantically sensible, normalized vectors, and chunks that fit it.

mod common;

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

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                out.push(p);
            }
        }
    }
    out
}
