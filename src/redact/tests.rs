use super::*;
use crate::synth::secrets::planted;
use crate::synth::Rng;

fn redacted(text: &str) -> (String, Counts) {
    let r = Redactor::builtin().unwrap_or_else(|e| panic!("{e}"));
    let mut counts = Counts::new();
    let out = r
        .redact(text, &mut counts)
        .unwrap_or_else(|| text.to_string());
    (out, counts)
}

#[test]
fn every_planted_kind_is_redacted_and_its_neighbours_stay() {
    for seed in 1..=20 {
        for p in planted(&mut Rng::new(seed)) {
            let (out, counts) = redacted(&p.context);
            assert!(
                !out.contains(&p.value),
                "seed {seed}: {} leaked in {out:?}",
                p.kind
            );
            assert!(
                out.contains("[REDACTED:"),
                "seed {seed}: {}: {out:?}",
                p.kind
            );
            assert!(
                out.contains(p.neighbour),
                "seed {seed}: {}: {out:?}",
                p.kind
            );
            assert!(counts.values().sum::<u64>() >= 1);
        }
    }
}

#[test]
fn ordinary_text_and_code_are_left_alone() {
    for text in [
        "let token = get_token(&config)?;",
        "The password field must not be empty; show an error under it.",
        "fn api_key(&self) -> &str { &self.api_key }",
        "export DATABASE_URL=postgres://localhost/app",
        "DB_PASSWORD=${DB_PASSWORD}",
        "\"password\": \"<your password>\"",
        "curl https://user@example.com/path and the bearer of bad news",
        "git push --set-upstream origin feature/secret-rotation",
        "Authorization header missing: expected Bearer <token>",
        "postgres://app:changeme@localhost:5432/app",
    ] {
        let (out, counts) = redacted(text);
        assert_eq!(out, text, "changed: {counts:?}");
    }
}

#[test]
fn markers_name_the_rule_and_json_strings_are_redacted_in_place() {
    let p = planted(&mut Rng::new(3));
    let github = p
        .iter()
        .find(|p| p.kind == "github_token")
        .expect("planted");
    let mut value = serde_json::json!({
        "command": github.context,
        "nested": [{"text": "nothing here"}],
        "n": 3
    });
    let r = Redactor::builtin().unwrap_or_else(|e| panic!("{e}"));
    let mut counts = Counts::new();
    r.redact_json(&mut value, &mut counts);
    let command = value["command"].as_str().unwrap_or_default();
    assert!(!command.contains(&github.value), "{command}");
    assert!(command.contains("[REDACTED:github-pat]"), "{command}");
    assert_eq!(value["nested"][0]["text"], "nothing here");
    assert_eq!(counts.get("github-pat"), Some(&1));
}
