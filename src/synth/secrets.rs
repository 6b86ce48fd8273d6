//! Planted secrets: fake credentials of every kind the redaction must catch, generated from a seed (so no real or
//! reusable value is ever written into the repository), each inside a sentence shaped like where it turns up in a
//! real session. Used by the redaction tests and the planted-corpus generator.

use super::Rng;

/// One planted secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    /// What kind of credential it stands for.
    pub kind: &'static str,
    /// The secret itself: it must appear nowhere after redaction.
    pub value: String,
    /// The text it is planted in; `value` occurs in it once.
    pub context: String,
    /// A word of `context` outside the secret that must stay searchable.
    pub neighbour: &'static str,
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URLSAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn pick(rng: &mut Rng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[rng.below(alphabet.len())] as char)
        .collect()
}

/// One secret of every kind, with fresh random values from `rng`.
pub fn planted(rng: &mut Rng) -> Vec<Planted> {
    let mut out = Vec::new();
    let mut add = |kind, value: String, context: String, neighbour| {
        debug_assert!(context.contains(&value));
        out.push(Planted {
            kind,
            value,
            context,
            neighbour,
        });
    };
    let aws_id = format!("AKIA{}", pick(rng, UPPER_DIGITS, 16));
    add(
        "aws_access_key_id",
        aws_id.clone(),
        format!("configured the uploader with aws_access_key_id = {aws_id} for the bucket"),
        "uploader",
    );
    let aws_secret = pick(rng, BASE64, 40);
    add(
        "aws_secret_access_key",
        aws_secret.clone(),
        format!("[default]\naws_secret_access_key = {aws_secret}\nregion = eu-west-1"),
        "region",
    );
    let ghp = format!("ghp_{}", pick(rng, ALNUM, 36));
    add(
        "github_token",
        ghp.clone(),
        format!("git remote set-url origin https://{ghp}@github.com/acme/widgets.git"),
        "widgets",
    );
    let github_pat = format!(
        "github_pat_{}_{}",
        pick(rng, ALNUM, 22),
        pick(rng, ALNUM, 59)
    );
    add(
        "github_fine_grained_token",
        github_pat.clone(),
        format!("export GH_TOKEN={github_pat} before running the release script"),
        "release",
    );
    let glpat = format!("glpat-{}", pick(rng, URLSAFE, 20));
    add(
        "gitlab_token",
        glpat.clone(),
        format!("the pipeline failed: PRIVATE-TOKEN: {glpat} was rejected by the mirror"),
        "mirror",
    );
    let npm = format!("npm_{}", pick(rng, ALNUM, 36));
    add(
        "npm_token",
        npm.clone(),
        format!("//registry.npmjs.org/:_authToken={npm}\nalways-auth=true"),
        "registry",
    );
    let slack = format!(
        "xoxb-{}-{}-{}",
        pick(rng, b"0123456789", 12),
        pick(rng, b"0123456789", 13),
        pick(rng, ALNUM, 24)
    );
    add(
        "slack_token",
        slack.clone(),
        format!("the notifier posts with SLACK_BOT_TOKEN={slack} to the deploys channel"),
        "notifier",
    );
    let stripe = format!("sk_live_{}", pick(rng, ALNUM, 24));
    add(
        "stripe_key",
        stripe.clone(),
        format!("Stripe.api_key = \"{stripe}\"  # checkout service"),
        "checkout",
    );
    let sendgrid = format!("SG.{}.{}", pick(rng, URLSAFE, 22), pick(rng, URLSAFE, 43));
    add(
        "sendgrid_key",
        sendgrid.clone(),
        format!("mailer settings: sendgrid api key {sendgrid} for the newsletter"),
        "newsletter",
    );
    let twilio = format!("SK{}", pick(rng, HEX, 32));
    add(
        "twilio_key",
        twilio.clone(),
        format!("TWILIO_API_KEY={twilio} sends the verification texts"),
        "verification",
    );
    let openai = format!(
        "sk-proj-{}T3BlbkFJ{}",
        pick(rng, URLSAFE, 74),
        pick(rng, URLSAFE, 74)
    );
    add(
        "openai_key",
        openai.clone(),
        format!("Error: 401 Incorrect API key provided: {openai} (summarizer job)"),
        "summarizer",
    );
    let anthropic = format!("sk-ant-api03-{}AA", pick(rng, URLSAFE, 93));
    add(
        "anthropic_key",
        anthropic.clone(),
        format!("please use my key {anthropic} for the evaluation harness"),
        "harness",
    );
    let google = format!("AIza{}", pick(rng, URLSAFE, 35));
    add(
        "google_api_key",
        google.clone(),
        format!("maps.googleapis.com/maps/api/geocode/json?key={google}&address=depot"),
        "geocode",
    );
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
        pick(rng, URLSAFE, 40),
        pick(rng, URLSAFE, 43)
    );
    add(
        "jwt",
        jwt.clone(),
        format!("the session cookie was {jwt} when the dashboard logged us out"),
        "dashboard",
    );
    let pem_body: Vec<String> = (0..8).map(|_| pick(rng, BASE64, 64)).collect();
    let pem = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
        pem_body.join("\n")
    );
    add(
        "private_key",
        pem.clone(),
        format!("cat deploy/id_rsa\n{pem}\nthe deploy key is above"),
        "deploy",
    );
    let url_pass = pick(rng, ALNUM, 18);
    add(
        "url_password",
        url_pass.clone(),
        format!("DATABASE_URL is postgres://app:{url_pass}@db.internal:5432/orders in staging"),
        "orders",
    );
    let env_pass = pick(rng, ALNUM, 20);
    add(
        "env_secret",
        env_pass.clone(),
        format!("# .env\nDB_HOST=localhost\nDB_PASSWORD={env_pass}\nDB_NAME=inventory"),
        "inventory",
    );
    let json_pass = pick(rng, ALNUM, 16);
    add("json_password", json_pass.clone(), format!("{{\"username\": \"svc-reports\", \"password\": \"{json_pass}\", \"host\": \"warehouse\"}}"), "warehouse");
    let secret_key = pick(rng, URLSAFE, 50);
    add(
        "secret_key_assignment",
        secret_key.clone(),
        format!("settings.py: SECRET_KEY = '{secret_key}' for the admin site"),
        "admin",
    );
    let bearer = pick(rng, URLSAFE, 40);
    add(
        "bearer_token",
        bearer.clone(),
        format!("curl -H \"Authorization: Bearer {bearer}\" https://api.example.test/v1/invoices"),
        "invoices",
    );
    out
}

/// Where a planted secret is put in the generated session.
const PLACES: [&str; 6] = [
    "prompt",
    "tool input",
    "tool result",
    "tool error",
    "assistant text",
    "subagent log",
];

/// The secret of `kind` that [`planted`] plants from a generator seeded with `seed` (tests plant one credential
/// this way); `None` for a kind it does not plant.
pub fn planted_of_kind(seed: u64, kind: &str) -> Option<Planted> {
    planted(&mut Rng::new(seed))
        .into_iter()
        .find(|p| p.kind == kind)
}

/// A planted-secrets corpus: one session file and one subagent log, with every secret of [`planted`] placed, by
/// turns, in a prompt, a tool call's input, a tool result, a failed tool's error output, an answer and the
/// subagent's log, plus a `summary` line that repeats one. Returns (session lines, subagent lines, the secrets,
/// each with where it went).
pub fn planted_session(seed: u64) -> (Vec<String>, Vec<String>, Vec<(Planted, &'static str)>) {
    let mut rng = Rng::new(seed);
    let secrets = planted(&mut rng);
    let session = format!("planted-{seed}");
    let envelope = |uuid: &str, parent: Option<&str>, kind: &str, agent: Option<&str>| {
        serde_json::json!({
            "type": kind, "uuid": uuid, "parentUuid": parent, "sessionId": session,
            "cwd": "/home/dev/shop", "gitBranch": "main", "timestamp": "2026-11-30T10:00:00.000Z",
            "isSidechain": agent.is_some(), "agentId": agent,
        })
    };
    let with_message = |mut line: serde_json::Value, message: serde_json::Value| {
        line["message"] = message;
        line.to_string()
    };
    let (mut main, mut sub, mut placed) = (Vec::new(), Vec::new(), Vec::new());
    let mut parent: Option<String> = None;
    for (i, p) in secrets.into_iter().enumerate() {
        let place = PLACES[i % PLACES.len()];
        let (u, a, r) = (format!("u{i}"), format!("a{i}"), format!("r{i}"));
        let tool = format!("toolu_{i}");
        let prompt = match place {
            "prompt" | "subagent log" => p.context.clone(),
            _ => format!("step {i}: next part"),
        };
        let lines = if place == "subagent log" {
            &mut sub
        } else {
            &mut main
        };
        let agent = (place == "subagent log").then_some("a1b2c3");
        lines.push(with_message(
            envelope(&u, parent.as_deref(), "user", agent),
            serde_json::json!({"role": "user", "content": prompt}),
        ));
        let (call_input, result, is_error, answer) = match place {
            "tool input" => (
                p.context.clone(),
                "done".to_string(),
                false,
                "Ran it.".to_string(),
            ),
            "tool result" => (
                "cat config/settings".to_string(),
                p.context.clone(),
                false,
                "Read it.".to_string(),
            ),
            "tool error" => (
                "./deploy.sh".to_string(),
                format!("Error: exit status 1\n{}", p.context),
                true,
                "It failed.".to_string(),
            ),
            "assistant text" => (
                "ls".to_string(),
                "README.md".to_string(),
                false,
                p.context.clone(),
            ),
            _ => (
                "ls".to_string(),
                "README.md".to_string(),
                false,
                format!("Checked the {}.", p.neighbour),
            ),
        };
        lines.push(with_message(
            envelope(&a, Some(&u), "assistant", agent),
            serde_json::json!({"id": format!("msg_{i}"), "role": "assistant", "model": "claude-test",
                "content": [{"type": "tool_use", "id": tool, "name": "Bash", "input": {"command": call_input}}]}),
        ));
        lines.push(with_message(
            envelope(&r, Some(&a), "user", agent),
            serde_json::json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool,
                "content": result, "is_error": is_error}]}),
        ));
        let answer_uuid = format!("t{i}");
        lines.push(with_message(
            envelope(&answer_uuid, Some(&r), "assistant", agent),
            serde_json::json!({"id": format!("msg_{i}b"), "role": "assistant", "model": "claude-test",
                "content": [{"type": "text", "text": answer}]}),
        ));
        if agent.is_none() {
            parent = Some(answer_uuid);
        }
        placed.push((p, place));
    }
    if let Some((p, _)) = placed.first() {
        main.push(
            serde_json::json!({"type": "summary", "summary": format!("Session about {}", p.context), "leafUuid": parent})
                .to_string(),
        );
    }
    (main, sub, placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_in_its_context_and_seeded() {
        let a = planted(&mut Rng::new(7));
        let b = planted(&mut Rng::new(7));
        assert_eq!(a, b, "same seed, same secrets");
        assert!(a.len() >= 20);
        for p in &a {
            assert_eq!(p.context.matches(&p.value).count(), 1, "{}", p.kind);
            assert!(p.context.contains(p.neighbour), "{}", p.kind);
            assert!(!p.value.contains(p.neighbour), "{}", p.kind);
        }
        assert_ne!(a, planted(&mut Rng::new(8)));
    }
}
