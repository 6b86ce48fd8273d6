//! The project's own generator as ground truth: a synthetic corpus synced in one go stores exactly the
//! messages the generator says it wrote, per kind.

mod common;

use common::*;
use pipeline::synth::{generate, SynthSpec};
use std::collections::BTreeMap;

#[test]
fn synthetic_corpus_counts_match_the_generator_manifest() {
    let src = tempdir();
    let data = tempdir();
    let spec = SynthSpec {
        seed: 3,
        target_bytes: 400_000,
        projects: 2,
        lines_per_session: 200,
    };
    let manifest = generate(src.path(), &spec).unwrap_or_else(|e| panic!("generate: {e}"));
    sync_ok(data.path(), src.path(), &[]);
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for p in export_json(data.path()) {
        if p["payload"]["chunk_index"] == 0 {
            *kinds
                .entry(p["payload"]["kind"].as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
    }
    let get = |k: &str| kinds.get(k).copied().unwrap_or(0);
    assert_eq!(get("human"), manifest.human_prompts, "{kinds:?}");
    assert_eq!(
        get("assistant") + get("tool_call"),
        manifest.assistant_messages,
        "{kinds:?}"
    );
    assert_eq!(get("tool_result"), manifest.tool_results, "{kinds:?}");
    assert_eq!(get("summary"), manifest.compact_summaries, "{kinds:?}");
    let stats = stats_json(data.path(), src.path());
    assert_eq!(
        stats["files"]["complete"].as_u64(),
        Some(manifest.files.len() as u64)
    );
    assert!(
        stats["store"]["feedback_links"].as_u64().unwrap_or(0) > 0,
        "feedback prompts link to solutions"
    );
}
