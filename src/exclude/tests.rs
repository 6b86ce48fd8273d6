use super::*;

/// A transcript at `rel` under `root` whose lines name `cwd` (after a first line that does not).
fn transcript(root: &Path, rel: &str, cwd: &str) -> FoundFile {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    let lines = format!(
        "{}\n{}\n",
        serde_json::json!({"type": "summary", "summary": "no cwd here"}),
        serde_json::json!({"type": "user", "cwd": cwd, "message": {"role": "user", "content": "hi"}})
    );
    std::fs::write(&path, lines).unwrap_or_else(|e| panic!("{e}"));
    FoundFile {
        path: path.to_string_lossy().into_owned(),
        size: 1,
        mtime_ns: 0,
        agent: crate::message::Agent::ClaudeCode,
    }
}

fn kept(exclusions: &Exclusions, files: &[FoundFile]) -> Vec<String> {
    let (kept, _) = exclusions.separate(files.to_vec());
    kept.into_iter()
        .map(|f| {
            Path::new(&f.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

fn globs(patterns: &[&str]) -> Exclusions {
    let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
    Exclusions::new(&patterns).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_glob_matches_the_transcript_its_directories_or_the_working_directory() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = tmp.path().join("projects");
    let files = [
        transcript(&root, "-home-dev-client/a.jsonl", "/home/dev/client/api"),
        transcript(
            &root,
            "-home-dev-client/a/subagents/agent-1.jsonl",
            "/home/dev/client/api",
        ),
        transcript(&root, "-home-dev-clientele/b.jsonl", "/home/dev/clientele"),
        transcript(&root, "-home-dev-shop/c.jsonl", "/home/dev/shop"),
    ];
    let all = ["a.jsonl", "agent-1.jsonl", "b.jsonl", "c.jsonl"];
    assert_eq!(kept(&globs(&[]), &files), all);
    assert_eq!(
        kept(&globs(&["**/-home-dev-client"]), &files),
        ["b.jsonl", "c.jsonl"]
    );
    assert_eq!(
        kept(&globs(&["/home/dev/client"]), &files),
        ["b.jsonl", "c.jsonl"]
    );
    assert_eq!(kept(&globs(&["/home/dev/client*"]), &files), ["c.jsonl"]);
    assert_eq!(
        kept(&globs(&["**/shop"]), &files),
        ["a.jsonl", "agent-1.jsonl", "b.jsonl"]
    );
    assert_eq!(
        kept(&globs(&["*/shop"]), &files),
        all,
        "* stays within one component"
    );
    assert_eq!(
        kept(&globs(&["**/a.jsonl", "**/a"]), &files),
        ["b.jsonl", "c.jsonl"],
        "a session and its subagents"
    );

    let (_, why) = globs(&["/home/dev/client"]).separate(files[..1].to_vec());
    assert_eq!(
        why.first().map(|(_, w)| w.to_string()),
        Some("source.exclude \"/home/dev/client\" matches /home/dev/client".to_string())
    );
}

#[test]
fn a_marker_in_the_working_directory_a_parent_or_the_project_dir_opts_out() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = tmp.path().join("projects");
    let work = tmp.path().join("work");
    let (secret, open) = (work.join("secret"), work.join("open"));
    for d in [secret.join("api"), open.clone()] {
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    }
    let cwd = |d: &Path| d.to_string_lossy().into_owned();
    let files = [
        transcript(&root, "-work-secret-api/a.jsonl", &cwd(&secret.join("api"))),
        transcript(
            &root,
            "-work-secret-api/a/subagents/agent-1.jsonl",
            &cwd(&secret.join("api")),
        ),
        transcript(&root, "-work-open/b.jsonl", &cwd(&open)),
        transcript(&root, "-work-claude-only/c.jsonl", "/nonexistent/project"),
    ];
    let none = globs(&[]);
    assert_eq!(kept(&none, &files).len(), 4);
    std::fs::write(secret.join(MARKER), "").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.join("-work-claude-only").join(MARKER), "")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(kept(&none, &files), ["b.jsonl"]);
    let (_, why) = none.separate(files[..1].to_vec());
    assert_eq!(
        why.first().map(|(_, w)| w.clone()),
        Some(Excluded::Marker(secret.join(MARKER)))
    );
}

#[test]
fn a_bad_glob_is_named() {
    let e = Exclusions::new(&["ok/**".to_string(), "bad[".to_string()]).err();
    assert!(e.is_some_and(|e| e.to_string().contains("\"bad[\"")));
}

#[test]
fn the_working_directory_is_the_first_cwd_value_escapes_decoded() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = tmp.path().join("s.jsonl");
    std::fs::write(&file, "{\"type\":\"summary\"}\n{\"cwd\": \"/home/d\\u00e9v/x \\\"q\\\"\",\"a\":1}\n{\"cwd\":\"/later\"}\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(peek(&file).cwd.as_deref(), Some("/home/dév/x \"q\""));
    std::fs::write(&file, "{\"type\":\"summary\"}\n{\"sessionId\":\"s-1\"}\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        peek(&file),
        Peeked {
            cwd: None,
            session_id: Some("s-1".into()),
            project_hash: None,
        }
    );
}

#[test]
fn a_gemini_chat_in_a_hash_named_directory_honours_its_project_s_marker() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let project = tmp.path().join("work/secret-app");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    let root = project.to_string_lossy().into_owned();
    let hash = crate::source::gemini::hash_of_root(&root);
    let chat = tmp
        .path()
        .join(".gemini/tmp")
        .join(&hash)
        .join("chats/session-2025-01-01T10-00-abcd.json");
    std::fs::create_dir_all(chat.parent().unwrap_or(tmp.path())).unwrap_or_else(|e| panic!("{e}"));
    let body = serde_json::json!({
        "sessionId": "g-1",
        "projectHash": hash,
        "messages": [{"id": "m1", "type": "gemini", "content": "",
            "toolCalls": [{"id": "c1", "name": "read_file", "args": {"absolute_path": format!("{root}/src/lib.rs")}}]}]
    });
    std::fs::write(&chat, body.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let found = FoundFile {
        path: chat.to_string_lossy().into_owned(),
        size: 1,
        mtime_ns: 0,
        agent: crate::message::Agent::GeminiCli,
    };
    assert_eq!(peek(&chat).cwd.as_deref(), Some(root.as_str()));
    let none = globs(&[]);
    assert_eq!(kept(&none, std::slice::from_ref(&found)).len(), 1);
    std::fs::write(project.join(MARKER), "").unwrap_or_else(|e| panic!("{e}"));
    let (_, why) = none.separate(vec![found.clone()]);
    assert_eq!(
        why.first().map(|(_, w)| w.clone()),
        Some(Excluded::Marker(project.join(MARKER)))
    );
    // `forget --project secret-app` recognises it too, and so does a forget of the name it was stored under
    // before its root was known: its hash's first 12 characters.
    std::fs::remove_file(project.join(MARKER)).unwrap_or_else(|e| panic!("{e}"));
    for name in ["secret-app", &hash[..12]] {
        let forgetting = globs(&[]).forgetting(vec![Forget::Project(name.into())]);
        assert!(
            kept(&forgetting, std::slice::from_ref(&found)).is_empty(),
            "{name}"
        );
    }
    let other = globs(&[]).forgetting(vec![Forget::Project(hash[1..13].to_string())]);
    assert_eq!(kept(&other, &[found]).len(), 1);
}
