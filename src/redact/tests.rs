use super::*;
use crate::synth::secrets::{planted, planted_of_kind};
use crate::synth::Rng;
use config::RedactConfig;

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
    let github = planted_of_kind(3, "github_token").expect("planted");
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

fn config(toml_text: &str) -> RedactConfig {
    toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"))
}

fn redact_with(config: &RedactConfig, text: &str) -> String {
    let r = Redactor::configured(config)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("redaction is on"));
    r.redact(text, &mut Counts::new())
        .unwrap_or_else(|| text.to_string())
}

#[test]
fn the_section_adds_rules_disables_rules_and_allows_values() {
    let github = planted_of_kind(5, "github_token").expect("planted");
    let builtin = RedactConfig::default();
    assert!(redact_with(&builtin, &github.context).contains("[REDACTED:github-pat]"));

    let own = config(
        "[[rules]]\nid = \"acme-token\"\nregex = '''acme_[0-9a-f]{16}'''\nkeywords = [\"ACME_\"]\n",
    );
    let out = redact_with(&own, "deploy with acme_0123456789abcdef now");
    assert_eq!(out, "deploy with [REDACTED:acme-token] now");
    assert!(redact_with(&own, &github.context).contains("[REDACTED:github-pat]"));

    let off = config("disable = [\"github-pat\"]\n");
    assert!(!redact_with(&off, &github.context).contains("[REDACTED:github-pat]"));

    let allowed = config(&format!("allow = [\"^{}$\"]\n", github.value));
    assert_eq!(redact_with(&allowed, &github.context), github.context);

    assert!(Redactor::configured(&config("enabled = false\n")).is_ok_and(|r| r.is_none()));
}

#[test]
fn every_rule_change_is_a_new_version_and_the_same_rules_the_same_one() {
    let version = |text: &str| {
        Redactor::configured(&config(text))
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|r| r.version().to_string())
            .unwrap_or_default()
    };
    let builtin = version("");
    assert!(builtin.starts_with(&format!("gitleaks-{}+", rules::GITLEAKS_VERSION)));
    assert_eq!(
        Redactor::builtin().map(|r| r.version().to_string()).ok(),
        Some(builtin.clone())
    );
    let changed = [
        version("disable = [\"github-pat\"]\n"),
        version("allow = [\"x\"]\n"),
        version("[[rules]]\nid = \"mine\"\nregex = \"mine_[a-z]{9}\"\n"),
    ];
    for v in &changed {
        assert_ne!(v, &builtin);
    }
    assert_eq!(
        version("disable = [\"github-pat\", \"jwt\"]\n"),
        version("disable = [\"jwt\", \"github-pat\"]\n"),
        "order does not matter"
    );
}

#[test]
fn a_section_that_cannot_work_says_which_rule_and_why() {
    for (text, rule, reason) in [
        (
            "disable = [\"github-pta\"]\n",
            "github-pta",
            "no rule has this id",
        ),
        (
            "[[rules]]\nid = \"mine\"\nregex = \"(open\"\n",
            "mine",
            "unclosed",
        ),
        (
            "[[rules]]\nid = \"my rule\"\nregex = \"x\"\n",
            "my rule",
            "letters, digits",
        ),
        ("[[rules]]\nid = \"jwt\"\nregex = \"x\"\n", "jwt", "exists"),
        ("allow = [\"(\"]\n", "redact.allow", "unclosed"),
    ] {
        let e = Redactor::configured(&config(text)).expect_err(text);
        assert_eq!(e.rule.as_deref(), Some(rule), "{text}");
        assert!(e.to_string().contains(reason), "{text}: {e}");
    }
    assert!(
        toml::from_str::<RedactConfig>("disabled = [\"jwt\"]\n").is_err(),
        "unknown key"
    );
}

#[test]
fn marker_kinds_lists_each_kind_once_in_order() {
    let text = "a [REDACTED:jwt] b [REDACTED:aws-access-token] c [REDACTED:jwt] [REDACTED:] [REDACTED:x y]";
    assert_eq!(marker_kinds(text), vec!["aws-access-token", "jwt"]);
    assert!(marker_kinds("nothing").is_empty());
}
