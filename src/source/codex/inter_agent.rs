//! Messages between Codex agents (a parent and the workers it spawned). Newer Codex writes them three ways: as an
//! `agent_message` response item (`author`, `recipient`, `content`), as an ordinary `message` whose only text
//! part is a JSON envelope `{"author", "recipient", "other_recipients", "content", "trigger_turn"}` (role
//! `assistant`, or `user` when it starts the recipient's turn), and as a top-level `inter_agent_communication`
//! record with the same fields (its legacy delivery). Each is an instruction from one agent to another, not the
//! person's words and not raw JSON to show: it becomes an answer headed by who sent it to whom (nothing when its
//! content is encrypted). Codex counts each as a turn when it rolls a thread back (`drop_last_n_user_turns`);
//! the older plain-text form (`author: ...\nrecipient: ...`) is not parsed and is no turn, as in Codex.

use super::record::Part;
use serde::Deserialize;

/// The JSON envelope, as Codex serializes its `InterAgentCommunication` (unknown fields allowed, as there).
#[derive(Deserialize)]
struct Envelope {
    author: String,
    recipient: String,
    #[serde(default)]
    other_recipients: Vec<String>,
    content: String,
    /// Required, as in Codex: without it the text is not an envelope.
    #[serde(rename = "trigger_turn")]
    _trigger_turn: bool,
}

/// A top-level `inter_agent_communication` record's payload, read leniently (its content may be encrypted).
#[derive(Deserialize)]
pub struct Communication {
    author: Option<String>,
    recipient: Option<String>,
    #[serde(default)]
    other_recipients: Vec<String>,
    content: Option<String>,
}

impl Communication {
    /// Its content under who sent it to whom; empty when there is no readable content.
    pub fn shown(&self) -> String {
        let mut to: Vec<&str> = self.recipient.as_deref().into_iter().collect();
        to.extend(self.other_recipients.iter().map(String::as_str));
        headed(
            self.author.as_deref().unwrap_or(""),
            &to.join(", "),
            self.content.as_deref().unwrap_or(""),
        )
    }
}

/// The shown text of a message whose content is one envelope (one `input_text` or `output_text` part), or
/// `None` when it is not one.
pub fn of_parts(parts: &[Part]) -> Option<String> {
    match parts {
        [only] if matches!(only.kind.as_deref(), Some("input_text" | "output_text")) => {
            of_text(only.text.as_deref()?)
        }
        _ => None,
    }
}

/// The shown text of an envelope serialized as `text`, or `None` when `text` is not one.
pub fn of_text(text: &str) -> Option<String> {
    let t = text.trim();
    // Cheap refusal of ordinary text before any JSON parsing.
    if !t.starts_with('{') || !t.contains("\"recipient\"") {
        return None;
    }
    let e: Envelope = serde_json::from_str(t).ok()?;
    let mut to = vec![e.recipient.as_str()];
    to.extend(e.other_recipients.iter().map(String::as_str));
    Some(headed(&e.author, &to.join(", "), &e.content))
}

/// An inter-agent message's text under a `[from <author> to <recipients>]` head (parts left out when unknown);
/// empty when the body is (an encrypted message shows nothing rather than a bare head).
pub fn headed(author: &str, recipients: &str, body: &str) -> String {
    if body.trim().is_empty() {
        return String::new();
    }
    let head = match (author.trim(), recipients.trim()) {
        ("", "") => return body.to_string(),
        (a, "") => format!("[from {a}]"),
        ("", r) => format!("[to {r}]"),
        (a, r) => format!("[from {a} to {r}]"),
    };
    format!("{head}\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(kind: &str, text: &str) -> Part {
        Part {
            kind: Some(kind.to_string()),
            text: Some(text.to_string()),
        }
    }

    const ENVELOPE: &str = r#"{"author":"/root","recipient":"/root/worker","other_recipients":["/root/reviewer"],"content":"run the tests","trigger_turn":true,"id":"m1"}"#;

    #[test]
    fn an_envelope_is_shown_as_its_content_under_who_sent_it_to_whom() {
        assert_eq!(
            of_text(ENVELOPE).as_deref(),
            Some("[from /root to /root/worker, /root/reviewer]\nrun the tests")
        );
        assert_eq!(
            of_parts(&[part("output_text", ENVELOPE)]).as_deref(),
            Some("[from /root to /root/worker, /root/reviewer]\nrun the tests")
        );
        let no_others =
            r#"{"author":"/root/w","recipient":"/root","content":"done","trigger_turn":false}"#;
        assert_eq!(
            of_text(no_others).as_deref(),
            Some("[from /root/w to /root]\ndone")
        );
    }

    #[test]
    fn anything_else_is_no_envelope() {
        // The legacy plain-text form, JSON of another shape, a missing `trigger_turn`, two parts, an image part.
        assert_eq!(
            of_text("author: /root\nrecipient: /root/worker\nother_recipients: []\nContent: go"),
            None
        );
        assert_eq!(of_text(r#"{"recipient": 3}"#), None);
        assert_eq!(
            of_text(r#"{"author":"a","recipient":"b","content":"c"}"#),
            None
        );
        assert_eq!(of_text("{\"recipient\" is a word here"), None);
        assert_eq!(
            of_parts(&[part("output_text", ENVELOPE), part("output_text", "more")]),
            None
        );
        assert_eq!(of_parts(&[part("input_image", ENVELOPE)]), None);
        assert_eq!(of_parts(&[]), None);
    }

    #[test]
    fn a_head_leaves_out_what_is_unknown() {
        assert_eq!(headed("a", "b", "x"), "[from a to b]\nx");
        assert_eq!(headed("a", "", "x"), "[from a]\nx");
        assert_eq!(headed(" ", "b", "x"), "[to b]\nx");
        assert_eq!(headed("", "", "x"), "x");
        assert_eq!(headed("a", "b", " \n"), "", "no content, no message");
    }
}
