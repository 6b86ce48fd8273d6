//! Stage 2: deterministic metadata for every message (project, kind, tools, files, code, topics, solution
//! quality), and the links that need conversation context: the feedback a human message gives on the solution
//! attempt it answers, copied back onto that solution. The context follows `parentUuid` (resolved by the parser
//! into message ids), not file order, and is saved with each checkpoint.

use super::ResumeState;
use super::{ChunkRecord, Enhanced, Parsed, ParsedMessage};
use crate::embedder::MODEL_ID;
use crate::enhance::head_noise::{output_of, without_noise, HeadNoise};
use crate::enhance::words::{self, Words};
use crate::enhance::{code, embedding, quality, sentiment, solution, topics, ENHANCER_VERSION};
use crate::ids;
use crate::message::{MessageKind, Sentiment};
use crate::payload::{content_hash, Feedback, Payload, Validation};
use crate::store::ValidationPatch;
use crate::transcript::result_label;
use async_channel::{Receiver, Sender};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Messages remembered per file to walk from a human message up to the solution it answers.
const NODE_WINDOW: usize = 1024;
/// Longest walk up the tree from a human message (through tool calls and results) looking for a solution.
const MAX_WALK: usize = 64;

/// The enhancer's carry-over state for one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnhancerState {
    nodes: VecDeque<Node>,
    /// The head lines of this transcript's tool results, counted to leave environment noise out of embeddings.
    head_noise: HeadNoise,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Node {
    message_id: u128,
    parent: Option<u128>,
    kind: MessageKind,
    /// (session id, uuid) when the message is a solution attempt.
    solution: Option<(String, String)>,
    /// For a human prompt: its start, the context its answers are embedded with.
    prompt: Option<String>,
}

impl EnhancerState {
    fn find(&self, id: u128) -> Option<&Node> {
        self.nodes.iter().rev().find(|n| n.message_id == id)
    }

    fn record(&mut self, node: Node) {
        if let Some(existing) = self
            .nodes
            .iter_mut()
            .rev()
            .find(|n| n.message_id == node.message_id)
        {
            *existing = node;
            return;
        }
        if self.nodes.len() >= NODE_WINDOW {
            self.nodes.pop_front();
        }
        self.nodes.push_back(node);
    }

    /// The human prompt of the exchange `parent` belongs to (the nearest human message above it).
    fn prompt_above(&self, parent: Option<u128>) -> Option<&str> {
        let mut cursor = parent;
        for _ in 0..MAX_WALK {
            let node = self.find(cursor?)?;
            if node.kind == MessageKind::Human {
                return node.prompt.as_deref();
            }
            cursor = node.parent;
        }
        None
    }

    /// The nearest solution attempt above `parent`, within the current turn (stops at a human prompt).
    fn solution_above(&self, parent: Option<u128>) -> Option<(u128, (String, String))> {
        let mut cursor = parent;
        for _ in 0..MAX_WALK {
            let node = self.find(cursor?)?;
            if node.kind == MessageKind::Human {
                return None;
            }
            if let Some(sol) = &node.solution {
                return Some((node.message_id, sol.clone()));
            }
            cursor = node.parent;
        }
        None
    }
}

/// Metadata and links for one message, as chunk records and patches.
pub fn enhance_message(state: &mut EnhancerState, parsed: &ParsedMessage, out: &mut Vec<Enhanced>) {
    let m = &parsed.message;
    let mut tools_used: Vec<String> = Vec::new();
    for name in m
        .tool_calls
        .iter()
        .map(|c| &c.name)
        .chain(m.result_of_tool.iter())
    {
        if !tools_used.contains(name) {
            tools_used.push(name.clone());
        }
    }
    let mut files_touched: Vec<String> = Vec::new();
    let called_files = m.tool_calls.iter().filter_map(|c| c.file_path.as_ref());
    for p in called_files.chain(&m.result_files) {
        if !files_touched.contains(p) {
            files_touched.push(p.clone());
        }
    }
    // The text is normalized and indexed once for every heuristic.
    let normalized = words::normalize(&m.text);
    let words = Words::new(&normalized);
    let has_code = code::has_code(&m.text);
    let detected = topics::detect_in(&words);
    let is_answer = matches!(m.kind, MessageKind::Assistant | MessageKind::ToolCall);
    let solution_quality = if is_answer {
        quality::solution_quality_in(&m.text, &words, &tools_used, has_code)
    } else {
        0.0
    };
    let category = if is_answer {
        solution::classify_attempt_in(&m.text, &words, &tools_used, has_code)
    } else {
        None
    };

    let mut feedback = None;
    let mut patch = None;
    if m.kind == MessageKind::Human {
        let parent = m.parent_message_id.map(|p| p.as_u128());
        if let Some((solution_id, (session, uuid))) = state.solution_above(parent) {
            let signal = sentiment::feedback_in(&words);
            feedback = Some(Feedback {
                sentiment: signal.sentiment,
                strength: signal.strength,
                confidence: signal.confidence,
                solution_message_id: uuid::Uuid::from_u128(solution_id).to_string(),
            });
            let signed = match signal.sentiment {
                Sentiment::Positive => signal.strength,
                Sentiment::Negative => -signal.strength,
                Sentiment::Partial => signal.strength * 0.5,
                Sentiment::Neutral => 0.0,
            };
            if signal.sentiment != Sentiment::Neutral {
                let halved = matches!(signal.sentiment, Sentiment::Partial);
                let certainty =
                    signal.strength * signal.confidence * if halved { 0.5 } else { 1.0 };
                patch = Some(ValidationPatch {
                    solution_session_id: session,
                    solution_uuid: uuid,
                    validation: Validation {
                        feedback_message_id: m.message_id.to_string(),
                        sentiment: signal.sentiment,
                        strength: signed.clamp(-1.0, 1.0),
                        certainty: certainty.clamp(0.0, 1.0),
                    },
                });
            }
        }
    }

    let parent = m.parent_message_id.map(|p| p.as_u128());
    let prompt = match m.kind {
        MessageKind::Human => Some(embedding::context_of(&m.text)),
        _ => state.prompt_above(parent).map(str::to_string),
    };
    let mut embed_texts = embedding::embed_texts(m.kind, &parsed.chunks, prompt.as_deref());
    if m.kind == MessageKind::ToolResult {
        let noise = state
            .head_noise
            .observe(m.message_id.as_u128(), output_of(&m.text));
        if let (Some(Some(first)), Some(chunk)) = (embed_texts.first_mut(), parsed.chunks.first()) {
            *first = without_noise(chunk, &noise);
        }
    }
    state.record(Node {
        message_id: m.message_id.as_u128(),
        parent,
        kind: m.kind,
        solution: category.map(|_| (m.session_id.clone(), m.uuid.clone())),
        prompt: (m.kind == MessageKind::Human).then_some(prompt).flatten(),
    });

    let project_name = m
        .cwd
        .as_deref()
        .and_then(crate::enhance::project::project_name);
    let timestamp_unix = m
        .timestamp
        .as_deref()
        .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64);
    let chunk_count = parsed.chunks.len() as u32;
    // The stored text of a result names its call's file (the embedded text, taken above, does not). Only a
    // message holding one result: in one holding several (parallel calls answered in one line), `result_files`
    // does not say which result's call a file is of.
    // Any later line opening like a label counts (as version 11 wrote it; `result_label::is_label` is stricter, and
    // using it would change the stored text of a result whose output holds such a line without a version bump).
    let one_result = || !m.text.lines().skip(1).any(|l| l.starts_with("[result"));
    let named_first_chunk = match (m.kind, m.result_files.first(), parsed.chunks.first()) {
        (MessageKind::ToolResult, Some(file), Some(chunk)) if one_result() => {
            result_label::with_file_named(chunk, file)
        }
        _ => None,
    };
    // Formatted once, cloned per chunk.
    let message_id = m.message_id.to_string();
    let parent_message_id = m.parent_message_id.map(|p| p.to_string());
    let primary_topic = detected.first().map(|t| t.topic.clone());
    for (i, (text, embed_text)) in parsed.chunks.iter().zip(embed_texts).enumerate() {
        let text = match (i, &named_first_chunk) {
            (0, Some(named)) => named,
            _ => text,
        };
        let payload = Payload {
            message_id: message_id.clone(),
            parent_message_id: parent_message_id.clone(),
            session_id: m.session_id.clone(),
            uuid: m.uuid.clone(),
            kind: m.kind,
            chunk_index: i as u32,
            chunk_count,
            text: text.clone(),
            project: m.cwd.clone(),
            project_name: project_name.clone(),
            git_branch: m.git_branch.clone(),
            timestamp: m.timestamp.clone(),
            timestamp_unix,
            is_sidechain: m.is_sidechain,
            agent_id: m.agent_id.clone(),
            source_path: m.source_path.clone(),
            line_offset: m.line_offset,
            tools_used: tools_used.clone(),
            files_touched: files_touched.clone(),
            has_code,
            topics: detected.clone(),
            primary_topic: primary_topic.clone(),
            solution_quality,
            is_solution_attempt: category.is_some(),
            solution_category: category,
            feedback: feedback.clone(),
            validation: None,
            content_hash: content_hash(text),
            enhancer_version: ENHANCER_VERSION,
            embedding_model: MODEL_ID.to_string(),
            line_uuids: m.line_uuids.clone(),
            redaction_version: String::new(),
            redacted: crate::redact::marker_kinds(text),
            agent: m.agent,
        };
        out.push(Enhanced::Chunk(Box::new(ChunkRecord {
            id: ids::point_id(&m.session_id, &m.uuid, i as u32),
            payload,
            embed_text,
        })));
    }
    if let Some(p) = patch {
        out.push(Enhanced::Patch(p));
    }
}

/// The enhance stage: parsed messages in, enhanced chunks out. It has no stop token of its own: it ends when its
/// input ends (the parse stage stopped) or its output is closed (the embed stage stopped), so whatever was parsed
/// before a stop notice still flows on.
pub struct EnhanceStage {
    pub input: Receiver<Parsed>,
    pub output: Sender<Enhanced>,
    /// The version of the redaction the parse stage applies, stamped into every payload.
    pub redaction: String,
}

impl EnhanceStage {
    /// Runs the stage until the input ends or the output is closed. Fails (closing its output, so nothing after
    /// the last good checkpoint moves) if the carry-over state cannot be encoded.
    pub async fn run(self) -> crate::error::Result<()> {
        let EnhanceStage {
            input: rx,
            output: tx,
            redaction,
        } = self;
        let mut state = EnhancerState::default();
        let mut out = Vec::new();
        while let Ok(item) = rx.recv().await {
            match item {
                Parsed::FileStart { enhancer, .. } => state = enhancer,
                Parsed::Message(parsed) => enhance_message(&mut state, &parsed, &mut out),
                Parsed::Progress {
                    mut checkpoint,
                    source,
                } => {
                    checkpoint.state = ResumeState {
                        source: *source,
                        enhancer: state.clone(),
                    }
                    .to_bytes()?;
                    out.push(Enhanced::Progress(checkpoint));
                }
            }
            for mut e in out.drain(..) {
                if let Enhanced::Chunk(c) = &mut e {
                    c.payload.redaction_version.clone_from(&redaction);
                }
                if tx.send(e).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Message, ToolCall};
    use uuid::Uuid;

    fn message(
        uuid: &str,
        parent: Option<&str>,
        kind: MessageKind,
        text: &str,
        tools: &[&str],
    ) -> ParsedMessage {
        let id = |u: &str| ids::message_id("s", u);
        ParsedMessage {
            message: Message {
                uuid: uuid.into(),
                line_uuids: vec![uuid.into()],
                session_id: "s".into(),
                message_id: id(uuid),
                parent_message_id: parent.map(id),
                kind,
                text: text.into(),
                cwd: Some("/home/me/project".into()),
                git_branch: Some("main".into()),
                timestamp: Some("2026-01-02T03:04:05.678Z".into()),
                is_sidechain: false,
                agent_id: None,
                tool_calls: tools
                    .iter()
                    .map(|t| ToolCall {
                        name: t.to_string(),
                        input_summary: String::new(),
                        file_path: Some("src/auth.rs".into()),
                    })
                    .collect(),
                result_of_tool: None,
                result_files: Vec::new(),
                is_error: false,
                source_path: "/x.jsonl".into(),
                line_offset: 0,
                agent: crate::message::Agent::ClaudeCode,
            },
            chunks: vec![text.into()],
        }
    }

    fn chunks(out: &[Enhanced]) -> Vec<&Payload> {
        out.iter()
            .filter_map(|e| match e {
                Enhanced::Chunk(c) => Some(&c.payload),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn noise_opening_every_tool_result_leaves_the_embedding_but_not_the_text() {
        let noise = "/opt/homebrew/Library/Homebrew/cmd/shellenv.sh: line 18: /bin/ps: Operation not permitted";
        let mut state = EnhancerState::default();
        let mut embedded = Vec::new();
        for (i, listing) in ["src/app.ts", "README.md", "Cargo.toml", "package.json"]
            .iter()
            .enumerate()
        {
            let text = format!("[result: shell]\n{noise}\n{listing}");
            let mut out = Vec::new();
            let uuid = format!("t{i}");
            enhance_message(
                &mut state,
                &message(&uuid, None, MessageKind::ToolResult, &text, &[]),
                &mut out,
            );
            let Some(Enhanced::Chunk(c)) = out.first() else {
                panic!("no chunk for {listing}")
            };
            assert_eq!(c.payload.text, text, "the stored text keeps the noise");
            embedded.push(c.embed_text.clone());
        }
        assert!(embedded[..3]
            .iter()
            .all(|e| e.as_deref().is_some_and(|e| e.contains(noise))));
        assert_eq!(
            embedded[3].as_deref(),
            Some("[result: shell]\npackage.json"),
            "it opened three earlier outputs"
        );
    }

    /// The first chunk record of a tool result `text` whose call touched `file`.
    fn first_chunk_of_result(text: &str, file: &str) -> ChunkRecord {
        let mut parsed = message("t1", None, MessageKind::ToolResult, text, &[]);
        parsed.message.result_files = vec![file.into()];
        let mut out = Vec::new();
        enhance_message(&mut EnhancerState::default(), &parsed, &mut out);
        match out.into_iter().next() {
            Some(Enhanced::Chunk(c)) => *c,
            _ => panic!("no chunk"),
        }
    }

    #[test]
    fn a_result_names_its_calls_file_in_the_stored_text_not_the_embedded_one() {
        let text = "[result: Read]\n1→check:\n2→    uv run pytest";
        let c = first_chunk_of_result(text, "/repo/Justfile");
        assert_eq!(
            c.payload.text,
            "[result: Read /repo/Justfile]\n1→check:\n2→    uv run pytest"
        );
        assert_eq!(c.payload.content_hash, content_hash(&c.payload.text));
        assert_eq!(c.embed_text.as_deref(), Some(text));
        assert_eq!(c.payload.files_touched, ["/repo/Justfile"]);
    }

    #[test]
    fn a_message_holding_several_results_names_no_file() {
        // A Bash call without a file and a Read of /p/src/main.rs, answered in one line: the file is the Read's.
        let text = "[result: Bash]\ntest result: ok. 3 passed\n[result: Read]\nfn main() {}";
        let c = first_chunk_of_result(text, "/p/src/main.rs");
        assert_eq!(c.payload.text, text);
        assert_eq!(c.payload.files_touched, ["/p/src/main.rs"]);
    }

    #[test]
    fn feedback_links_to_the_solution_through_tool_results_and_patches_it() {
        let mut state = EnhancerState::default();
        let mut out = Vec::new();
        let fix = "The login fails because the token check is inverted. Here's the fix:\n```rust\nif !valid { return Err(e); }\n```";
        enhance_message(
            &mut state,
            &message("h1", None, MessageKind::Human, "login fails with 401", &[]),
            &mut out,
        );
        enhance_message(
            &mut state,
            &message("a1", Some("h1"), MessageKind::Assistant, fix, &["Edit"]),
            &mut out,
        );
        enhance_message(
            &mut state,
            &message(
                "t1",
                Some("a1"),
                MessageKind::ToolResult,
                "[result: Edit]\nok",
                &[],
            ),
            &mut out,
        );
        out.clear();
        enhance_message(
            &mut state,
            &message(
                "h2",
                Some("t1"),
                MessageKind::Human,
                "perfect, that works now, thanks!",
                &[],
            ),
            &mut out,
        );
        let human = chunks(&out)[0];
        let feedback = human
            .feedback
            .as_ref()
            .unwrap_or_else(|| panic!("no feedback link"));
        assert_eq!(feedback.sentiment, Sentiment::Positive);
        assert_eq!(
            feedback.solution_message_id,
            ids::message_id("s", "a1").to_string()
        );
        let patch = out.iter().find_map(|e| match e {
            Enhanced::Patch(p) => Some(p),
            _ => None,
        });
        let patch = patch.unwrap_or_else(|| panic!("no validation patch"));
        assert_eq!(patch.solution_uuid, "a1");
        assert!(patch.validation.strength > 0.0);
        assert_eq!(
            patch.validation.feedback_message_id,
            ids::message_id("s", "h2").to_string()
        );
    }

    #[test]
    fn a_new_prompt_without_a_solution_in_its_turn_gets_no_link() {
        let mut state = EnhancerState::default();
        let mut out = Vec::new();
        enhance_message(
            &mut state,
            &message(
                "h1",
                None,
                MessageKind::Human,
                "what does this crate do?",
                &[],
            ),
            &mut out,
        );
        enhance_message(
            &mut state,
            &message("h2", Some("h1"), MessageKind::Human, "thanks, perfect", &[]),
            &mut out,
        );
        assert!(chunks(&out).iter().all(|p| p.feedback.is_none()));
        assert!(!out.iter().any(|e| matches!(e, Enhanced::Patch(_))));
    }

    #[test]
    fn payload_metadata_is_derived_from_the_message() {
        let mut state = EnhancerState::default();
        let mut out = Vec::new();
        let m = message(
            "a1",
            Some("h0"),
            MessageKind::Assistant,
            "Fixed the author lookup.",
            &["Edit", "Bash", "Edit"],
        );
        enhance_message(&mut state, &m, &mut out);
        let p = chunks(&out)[0];
        assert_eq!(p.project_name.as_deref(), Some("project"));
        assert_eq!(p.tools_used, vec!["Edit".to_string(), "Bash".to_string()]);
        assert_eq!(p.files_touched, vec!["src/auth.rs".to_string()]);
        assert_eq!(p.timestamp_unix, Some(1_767_323_045));
        assert_eq!(
            p.parent_message_id,
            Some(ids::message_id("s", "h0").to_string())
        );
        assert!(
            !p.topics.iter().any(|t| t.topic == "authentication"),
            "'author' is not 'auth': {:?}",
            p.topics
        );
        assert_eq!(p.enhancer_version, ENHANCER_VERSION);
        assert_eq!(p.content_hash.len(), 32);
        let _ = Uuid::parse_str(&p.message_id).unwrap_or_else(|e| panic!("{e}"));
    }
}
