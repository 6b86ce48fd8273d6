//! Secrets stay out: a generated session plants a fake secret of every kind in every place it turns up in real
//! sessions (a prompt, a tool's input, its output, its error output, an answer, a subagent's log, a summary line,
//! a line written in two appends). After a sync with the real model, no planted value is in any byte of the data
//! dir, in the export or in search output, and the words around each secret are still found.

mod common;

use common::*;
use pipeline::synth::secrets::planted_session;

/// What must never be found: the secret, or for a multi-line one (a PEM block) each of its lines.
fn needles(value: &str) -> Vec<String> {
    value
        .split('\n')
        .filter(|piece| piece.len() >= 12)
        .map(str::to_string)
        .collect()
}

#[test]
fn no_planted_secret_reaches_the_data_dir_export_or_search() {
    let (src, data) = (tempdir(), tempdir());
    let project = src.path().join("-home-dev-shop");
    let subagents = project.join("planted-11").join("subagents");
    std::fs::create_dir_all(&subagents).unwrap_or_else(|e| panic!("{e}"));
    let (main, sub, placed) = planted_session(11);
    let session = project.join("planted-11.jsonl");
    std::fs::write(subagents.join("agent-a1b2c3.jsonl"), sub.join("\n") + "\n")
        .unwrap_or_else(|e| panic!("{e}"));
    // The last line that holds a secret arrives in two appends, cut inside the line, with a sync in between.
    let cut_line = main
        .iter()
        .rposition(|l| {
            placed.iter().any(|(p, _)| l.contains(&p.value)) && !l.contains("\"summary\"")
        })
        .unwrap_or_else(|| panic!("a line with a secret"));
    let head: String = main[..cut_line].iter().map(|l| format!("{l}\n")).collect();
    let (first, second) = main[cut_line].split_at(main[cut_line].len() / 2);
    append(&session, format!("{head}{first}").as_bytes());
    sync_ok(data.path(), src.path(), &[]);
    let tail: String = main[cut_line + 1..]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    append(&session, format!("{second}\n{tail}").as_bytes());
    let o = sync_ok(data.path(), src.path(), &["--json"]);
    let summary: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("summary: {e}"));
    assert!(
        summary["redactions"].as_u64().unwrap_or(0) >= 1,
        "the run counts its redactions: {summary}"
    );

    let all_needles: Vec<(String, &str)> = placed
        .iter()
        .flat_map(|(p, _)| needles(&p.value).into_iter().map(move |n| (n, p.kind)))
        .collect();
    assert!(all_needles.len() >= placed.len());
    for file in every_file(data.path()) {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (needle, kind) in &all_needles {
            assert!(
                memchr::memmem::find(&bytes, needle.as_bytes()).is_none(),
                "{kind} found in {}",
                file.display()
            );
        }
    }
    let exported = export(data.path()).join("\n");
    assert!(!exported.is_empty());
    for (needle, kind) in &all_needles {
        assert!(!exported.contains(needle.as_str()), "{kind} in the export");
    }
    assert!(exported.contains("[REDACTED:"), "markers are stored");

    for (p, place) in &placed {
        let report = search_report(data.path(), &[p.neighbour, "--limit", "10"]).to_string();
        for n in needles(&p.value) {
            assert!(
                !report.contains(&n),
                "{} ({place}) in search output",
                p.kind
            );
        }
        assert!(
            report.contains(p.neighbour) && report.contains("[REDACTED:"),
            "{} ({place}): the words around the secret are not found: {report}",
            p.kind
        );
    }
}
