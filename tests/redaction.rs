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
    for (needle, kind) in &all_needles {
        let found = file_holding(data.path(), needle.as_bytes());
        assert!(found.is_none(), "{kind} found in {found:?}");
    }
    let exported = export(data.path()).join("\n");
    assert!(!exported.is_empty());
    for (needle, kind) in &all_needles {
        assert!(!exported.contains(needle.as_str()), "{kind} in the export");
    }
    assert!(exported.contains("[REDACTED:"), "markers are stored");

    // Payloads say which rules ran and which kinds their text lost; stats counts kinds, never values.
    let version = pipeline::redact::Redactor::builtin()
        .map(|r| r.version().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    for point in export_json(data.path()) {
        let p = &point["payload"];
        assert_eq!(p["redaction_version"], version.as_str(), "{p}");
        let text = p["text"].as_str().unwrap_or_default();
        let kinds: Vec<String> = serde_json::from_value(p["redacted"].clone()).unwrap_or_default();
        assert_eq!(kinds, pipeline::redact::marker_kinds(text), "{text}");
    }
    let stats = stats_json(data.path(), src.path());
    let by_kind = stats["store"]["redactions"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(
        by_kind.contains_key("github-pat") && by_kind.len() >= 10,
        "{by_kind:?}"
    );
    let source = src.path().to_str().unwrap_or_default();
    let stats_text =
        String::from_utf8_lossy(&run(data.path(), &["stats", "--source", source]).stdout)
            .into_owned();
    assert!(
        stats_text.contains("redacted (points by kind): "),
        "{stats_text}"
    );
    let both = format!("{stats}{stats_text}");
    for (needle, kind) in &all_needles {
        assert!(!both.contains(needle.as_str()), "{kind} in stats");
    }

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

    // What an MCP caller gets: search results (text and JSON) and the stats tool.
    let mut mcp = common::mcp_client::Mcp::start(data.path());
    let mut said = String::new();
    for (i, (p, _)) in placed.iter().enumerate() {
        for format in ["text", "json"] {
            let (err, text) = mcp.call(
                10 + 2 * i as u64 + u64::from(format == "json"),
                "search_conversations",
                serde_json::json!({"query": p.neighbour, "limit": 10, "format": format, "context": 1}),
            );
            assert!(!err, "{text}");
            said.push_str(&text);
        }
    }
    let (err, text) = mcp.call(9, "get_sync_stats", serde_json::json!({}));
    assert!(!err, "{text}");
    said.push_str(&text);
    mcp.finish();
    assert!(said.contains("[REDACTED:"), "the markers reach the caller");
    for (needle, kind) in &all_needles {
        assert!(!said.contains(needle.as_str()), "{kind} in MCP output");
    }
}

/// A Claude Code user line holding `text`.
fn prompt_line(uuid: &str, parent: Option<&str>, text: &str) -> String {
    serde_json::json!({
        "type": "user", "uuid": uuid, "parentUuid": parent, "sessionId": "own-rules",
        "cwd": "/home/dev/shop", "timestamp": "2026-11-30T10:00:00.000Z", "isSidechain": false,
        "message": {"role": "user", "content": text},
    })
    .to_string()
        + "\n"
}

#[test]
fn the_pipeline_files_own_rules_and_allowed_values_apply() {
    let (src, data, conf) = (tempdir(), tempdir(), tempdir());
    let session = src.path().join("-home-dev-shop").join("own-rules.jsonl");
    let acme = "acme_9f8e7d6c5b4a3210";
    let example = "AKIAIOSFODNN7EXAMPLE";
    let real_looking = "AKIAZ3MHALQ7XR4VJN2P";
    std::fs::create_dir_all(src.path().join("-home-dev-shop")).unwrap_or_else(|e| panic!("{e}"));
    append(
        &session,
        (prompt_line(
            "u1",
            None,
            &format!("the deploy token is {acme} for staging"),
        ) + &prompt_line(
            "u2",
            Some("u1"),
            &format!("docs key {example}, live key {real_looking} in the vault"),
        ))
            .as_bytes(),
    );
    let pipeline = conf.path().join("own.toml");
    std::fs::write(
        &pipeline,
        r#"[redact]
allow = ['EXAMPLE$']
[[redact.rules]]
id = "acme-token"
regex = '''acme_[0-9a-f]{16}'''
keywords = ["acme_"]
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let pipeline_arg = pipeline.to_str().unwrap_or_default();
    sync_ok(data.path(), src.path(), &["--pipeline", pipeline_arg]);
    let exported = export(data.path()).join("\n");
    assert!(
        !exported.contains(acme) && exported.contains("[REDACTED:acme-token]"),
        "{exported}"
    );
    assert!(
        exported.contains(example),
        "an allowed value stays: {exported}"
    );
    assert!(
        !exported.contains(real_looking),
        "the other rules still apply: {exported}"
    );
    let builtin = pipeline::redact::Redactor::builtin()
        .map(|r| r.version().to_string())
        .unwrap_or_default();
    assert!(
        !exported.contains(&builtin),
        "the payloads name the changed rules, not the built-in ones"
    );
    let found = file_holding(data.path(), acme.as_bytes());
    assert!(found.is_none(), "{found:?}");

    // A section that cannot work stops the run before anything is read, naming the file and the rule.
    std::fs::write(&pipeline, "[redact]\ndisable = [\"github-pta\"]\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let o = sync(data.path(), src.path(), &["--pipeline", pipeline_arg]);
    assert_ne!(code(&o), 0);
    let err = stderr(&o);
    assert!(
        err.contains("own.toml") && err.contains("github-pta"),
        "{err}"
    );
    assert_eq!(
        export(data.path()).join("\n"),
        exported,
        "nothing stored is lost"
    );
}

#[test]
fn a_new_rule_is_applied_to_stored_points_even_when_their_transcript_is_gone() {
    let (src, data, conf) = (tempdir(), tempdir(), tempdir());
    std::fs::create_dir_all(src.path().join("-home-dev-shop")).unwrap_or_else(|e| panic!("{e}"));
    let session = src.path().join("-home-dev-shop").join("own-rules.jsonl");
    let acme = "acme_00aa11bb22cc33dd";
    append(
        &session,
        (prompt_line(
            "u1",
            None,
            &format!("rotate the billing token {acme} tonight"),
        ) + &prompt_line("u2", Some("u1"), "and update the runbook"))
            .as_bytes(),
    );
    sync_ok(data.path(), src.path(), &[]);
    assert!(
        export(data.path()).join("\n").contains(acme),
        "no built-in rule knows it"
    );
    std::fs::remove_file(&session).unwrap_or_else(|e| panic!("{e}"));

    let pipeline = conf.path().join("own.toml");
    std::fs::write(
        &pipeline,
        "[[redact.rules]]\nid = \"acme-token\"\nregex = '''acme_[0-9a-f]{16}'''\nkeywords = [\"acme_\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let p = pipeline.to_str().unwrap_or_default();
    let o = sync_ok(data.path(), src.path(), &["--pipeline", p, "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    let r = &summary["reapplied"];
    assert_eq!(
        (
            r["changed"].as_u64(),
            r["reembedded"].as_u64(),
            r["done"].as_bool()
        ),
        (Some(1), Some(1), Some(true)),
        "{summary}"
    );
    assert!(r["rewritten"].as_u64().unwrap_or(0) >= 2, "{summary}");
    let exported = export(data.path()).join("\n");
    assert!(
        !exported.contains(acme) && exported.contains("[REDACTED:acme-token]"),
        "{exported}"
    );
    let hits = search_report(
        data.path(),
        &["--pipeline", p, "rotate the billing token", "--limit", "3"],
    )
    .to_string();
    assert!(
        hits.contains("[REDACTED:acme-token]") && !hits.contains(acme),
        "{hits}"
    );

    // Once done, a run with the same rules scans nothing; back to the built-in rules, the points are stamped
    // again but the removed text does not come back.
    let o = sync_ok(data.path(), src.path(), &["--pipeline", p, "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(summary["reapplied"]["rewritten"], 0, "{summary}");
    sync_ok(data.path(), src.path(), &[]);
    assert!(!export(data.path()).join("\n").contains(acme));
}
