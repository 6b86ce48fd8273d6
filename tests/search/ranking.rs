//! Ranking on the real fixtures: known answers, the named-file boost, the thesaurus expansion.

use crate::common::*;
use crate::payloads_by_message;
use std::path::Path;

/// Message ids of the stored messages whose text contains `needle`.
fn messages_containing(data: &Path, needle: &str) -> Vec<String> {
    let mut ids: Vec<String> = export_json(data)
        .iter()
        .filter(|p| {
            p["payload"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(needle))
        })
        .filter_map(|p| p["payload"]["message_id"].as_str().map(str::to_string))
        .collect();
    ids.dedup();
    ids
}

fn assert_in_top5(data: &Path, query: &str, expected: &[String], extra: &[&str]) {
    assert!(!expected.is_empty(), "no expected message for {query:?}");
    let mut args = vec![query, "--limit", "5"];
    args.extend_from_slice(extra);
    let hits = search_hits(data, &args);
    let got: Vec<&str> = hits
        .iter()
        .filter_map(|h| h["message_id"].as_str())
        .collect();
    assert!(
        got.iter().any(|g| expected.iter().any(|e| e == g)),
        "{query:?}: none of {expected:?} in the top 5 {got:?}"
    );
}

#[test]
fn known_answers_on_the_fixtures() {
    let data = fixture_store();
    // An exact error string, found through the lexical list.
    let expected = messages_containing(data, "x-api-key header is required");
    assert_in_top5(data, "x-api-key header is required", &expected, &[]);
    // A file name.
    let expected = messages_containing(data, "test_math_utils.py");
    assert_in_top5(data, "test_math_utils.py", &expected, &[]);
    // A paraphrased question, found through the embedding (no shared key words with the prompt).
    let expected = messages_containing(data, "multiply_numbers");
    assert_in_top5(
        data,
        "write a function returning the product of two integers",
        &expected,
        &[],
    );
    // The question a user would ask: the session that worked on coverage answers it.
    let expected = messages_containing(data, "100% line coverage");
    assert_in_top5(
        data,
        "how did we fix the failing coverage test",
        &expected,
        &[],
    );
    // An identifier in a compaction summary.
    let expected = messages_containing(
        data,
        "cannot invoke remote function Access.get/2 inside a guard",
    );
    assert_in_top5(data, "Access.get/2 inside a guard", &expected, &[]);
}

/// A question naming a file: the messages whose tool calls read or wrote it, and those calls' results, are boosted
/// (`names_the_file`), and nothing else is.
#[test]
fn a_named_file_boosts_the_calls_that_touched_it_and_their_results() {
    let data = fixture_store();
    let touches = |p: &serde_json::Value| {
        p["files_touched"].as_array().is_some_and(|files| {
            files.iter().any(|f| {
                f.as_str()
                    .is_some_and(|f| f.ends_with("/src/list_utils.rs"))
            })
        })
    };
    // The Write's result knows the file its call named.
    let created = export_json(data)
        .into_iter()
        .map(|p| p["payload"].clone())
        .find(|p| {
            p["text"].as_str().is_some_and(|t| {
                t.contains("File created successfully at") && t.ends_with("/src/list_utils.rs")
            })
        })
        .unwrap_or_else(|| panic!("the Write result of list_utils.rs is stored"));
    assert_eq!(created["kind"], "tool_result");
    assert!(touches(&created), "{created}");

    let hits = search_hits(
        data,
        &[
            "What went into src/list_utils.rs in the Rust port?",
            "--limit",
            "10",
            "--explain",
        ],
    );
    let payloads = payloads_by_message(data);
    let payload = |h: &serde_json::Value| {
        h["message_id"]
            .as_str()
            .and_then(|id| payloads.get(id))
            .cloned()
            .unwrap_or_else(|| panic!("a hit names a stored message: {h}"))
    };
    let boosted = |h: &serde_json::Value| {
        h["explain"]["boosts"]
            .as_array()
            .is_some_and(|b| b.iter().any(|b| b["name"] == "names_the_file"))
    };
    // The message whose Write created the file is among the first hits, and its receipt ("File created
    // successfully at") stands for it rather than being a hit of its own.
    assert!(
        hits.iter().take(5).any(|h| touches(&payload(h))
            && payload(h)["text"]
                .as_str()
                .is_some_and(|t| t.contains("[tool: Write]"))),
        "{hits:#?}"
    );
    assert!(
        hits.iter()
            .all(|h| h["message_id"] != created["message_id"]),
        "the receipt is shown as its call: {hits:#?}"
    );
    for h in &hits {
        assert_eq!(boosted(h), touches(&payload(h)), "{h}");
    }
}

/// A question in everyday words is also searched, by meaning, with the technical terms they stand for (the
/// built-in thesaurus): "upload our work to the server" reaches the `git push` the transcripts hold, and the
/// report says which terms were added and which hits owe their cosine to them.
#[test]
fn everyday_words_are_also_searched_by_their_technical_terms() {
    let data = fixture_store();
    let report = search_report(
        data,
        &[
            "how did we upload our work to the server",
            "--limit",
            "10",
            "--explain",
        ],
    );
    let added: Vec<&str> = report["expanded_with"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
        .unwrap_or_default();
    assert!(added.contains(&"push"), "{report:#}");
    let payloads = payloads_by_message(data);
    let via_expansion: Vec<&serde_json::Value> = report["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| h["explain"]["cosine_from_expansion"] == true)
        .collect();
    assert!(
        via_expansion.iter().any(|h| {
            h["message_id"]
                .as_str()
                .and_then(|id| payloads.get(id))
                .and_then(|p| p["text"].as_str())
                .is_some_and(|t| t.contains("git push"))
        }),
        "a `git push` message is found through the expansion: {report:#}"
    );

    // Technical words need no expansion: none is added, no cosine comes from one.
    let plain = search_report(data, &["git push", "--limit", "10", "--explain"]);
    assert!(plain.get("expanded_with").is_none(), "{plain:#}");
    assert!(plain["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|h| h["explain"].get("cosine_from_expansion").is_none()));
}
