//! Generated transcript lines: one session file (main or subagent) written line by line, with its counts.

use super::rng::*;
use super::text::*;
use super::vocabulary::*;
use super::SynthManifest;
use serde::Serialize;
use serde_json::{json, Value};

/// Appends `"k":v` to the JSON object being written at the end of `b` (comma unless first key).
pub(super) fn kv<T: Serialize + ?Sized>(b: &mut Vec<u8>, k: &str, v: &T) {
    if b.last() != Some(&b'{') {
        b.push(b',');
    }
    b.push(b'"');
    b.extend_from_slice(k.as_bytes());
    b.extend_from_slice(b"\":");
    // Writing to a Vec cannot fail, and these values always serialize.
    let _ = serde_json::to_writer(&mut *b, v);
}

/// Appends every field of the object `fields`.
pub(super) fn kvs(b: &mut Vec<u8>, fields: &Value) {
    for (k, v) in fields.as_object().into_iter().flatten() {
        kv(b, k, v);
    }
}

/// One file being written (main session or subagent), with its counts.
#[derive(Default)]
pub(super) struct Ctx {
    pub(super) rng: Rng,
    pub(super) out: Vec<u8>,
    pub(super) m: SynthManifest,
    /// Envelope fields between `parentUuid` and `type`, as a JSON fragment.
    pub(super) head: String,
    /// `,"slug":...`, written from the first assistant line on.
    pub(super) slug: String,
    pub(super) slug_on: bool,
    pub(super) sid: String,
    pub(super) cwd: String,
    pub(super) model: &'static str,
    pub(super) agent: Option<String>,
    pub(super) clock: u64,
    /// uuid of the last line, the next line's `parentUuid`.
    pub(super) tip: Option<String>,
    /// Pre- and post-tool-use hooks fired per tool call.
    pub(super) hooks: (usize, usize),
    /// Subagent lines, echoed by the parent as agent_progress.
    pub(super) echo: Vec<Value>,
    pub(super) subs: Vec<Ctx>,
    /// Turn with a Task (subagent) call, turn with an image, whether to compact once.
    pub(super) plan: (Option<usize>, Option<usize>, bool),
}

impl Ctx {
    /// Renders a main session of about `lines` lines (its subagent files land in `subs`).
    pub(super) fn session(seed: u64, index: u64, cwd: &str, lines: usize) -> Ctx {
        let mut r = Rng::new(Rng::new(seed).next_u64() ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
        let branch = match r.below(4) {
            0 => "main".to_string(),
            1 => "master".to_string(),
            2 => String::new(),
            _ => format!("feat/{}", ident(&mut r).replace('_', "-")),
        };
        let (sid, version) = (r.uuid(), r.word(VERSIONS));
        let q = |s: &str| Value::from(s).to_string();
        let head = format!(
            ",\"isSidechain\":false,\"userType\":\"external\",\"cwd\":{},\"sessionId\":\"{sid}\",\
             \"version\":\"{version}\",\"gitBranch\":{}",
            q(cwd),
            q(&branch)
        );
        let slug = format!(
            ",\"slug\":\"{}-{}-{}\"",
            r.word(SLUGS),
            r.word(SLUGS),
            r.word(SLUGS)
        );
        let mut c = Ctx {
            head,
            slug,
            sid,
            cwd: cwd.to_string(),
            ..Ctx::default()
        };
        c.model = r.word(MODELS);
        c.clock = BASE_MS + r.next_u64() % (240 * 86_400_000);
        c.hooks = (r.range(3, 4), r.range(3, 5));
        let task = (index.is_multiple_of(3) || r.chance(25)).then(|| r.below(2));
        let image = (index % 4 == 1 || r.chance(15)).then(|| r.below(3));
        c.plan = (task, image, index % 3 == 1 || r.chance(25));
        c.rng = r;
        c.run(lines.max(1));
        c
    }

    fn run(&mut self, target: usize) {
        for _ in 0..[0, 0, 0, 0, 0, 1, 2][self.rng.below(7)] {
            let (summary, leaf) = (self.rng.say(TITLES), self.rng.uuid());
            self.raw("summary", json!({"summary": summary, "leafUuid": leaf}));
        }
        let hook = self.rng.uuid();
        for _ in 0..self.rng.range(1, 2) {
            let data = json!({"type": "hook_progress", "hookEvent": "SessionStart",
                "hookName": "SessionStart:startup", "command": self.rng.word(POST_HOOKS)});
            self.progress(data, &hook, &hook);
        }
        let mut turn = 0;
        while (self.m.total_lines as usize) < target {
            if turn > 0 {
                self.interlude();
                if self.plan.2 && self.m.total_lines as usize > target * 45 / 100 {
                    self.compaction();
                    self.plan.2 = false;
                }
            }
            let prompt = if turn > 0 && self.rng.chance(30) {
                // Feedback on the last answer; the short acknowledgements repeat verbatim.
                let list = if self.rng.chance(55) { ACKS } else { FAILS };
                self.rng.say(list)
            } else {
                let mut p = self.rng.say(PROMPTS);
                if self.rng.chance(35) {
                    p = format!("{p} {}", self.rng.say(CONTEXT));
                }
                if self.rng.chance(12) {
                    p += &fill(&mut self.rng, "\n\nFull output:\n```\n{e}\n```");
                }
                p
            };
            self.turn(prompt, turn);
            turn += 1;
        }
    }

    /// A context for a subagent file of this session: same session id, `isSidechain`, `agentId`.
    pub(super) fn child(&mut self) -> Ctx {
        let mut rng = Rng::new(self.rng.next_u64());
        let agent = format!("a{}", rng.hex(6));
        let side = self.head.replacen(":false", ":true", 1);
        let mut c = Ctx {
            rng,
            head: format!("{side},\"agentId\":\"{agent}\""),
            ..Ctx::default()
        };
        (c.slug, c.slug_on, c.sid, c.cwd) =
            (self.slug.clone(), true, self.sid.clone(), self.cwd.clone());
        (c.model, c.agent, c.clock, c.hooks) = (self.model, Some(agent), self.clock, self.hooks);
        c
    }

    pub(super) fn emit(&mut self, uuid: &str, parent: Option<&str>, kind: &str, fields: Value) {
        self.clock += self.rng.ms(1, 40);
        let ts = iso(self.clock);
        if self.agent.is_some() && self.echo.len() < 10 {
            if let Some(msg) = fields.get("message") {
                let line = json!({"type": kind, "message": msg, "uuid": uuid, "timestamp": ts});
                self.echo.push(line);
            }
        }
        let b = &mut self.out;
        b.push(b'{');
        kv(b, "parentUuid", &parent);
        b.extend_from_slice(self.head.as_bytes());
        if self.slug_on {
            b.extend_from_slice(self.slug.as_bytes());
        }
        kv(b, "type", kind);
        kvs(b, &fields);
        kv(b, "uuid", uuid);
        kv(b, "timestamp", &ts);
        b.extend_from_slice(b"}\n");
        self.m.total_lines += 1;
        self.m.noise_lines += u64::from(kind == "progress" || kind == "system");
    }

    /// Emits a line chained to the previous one; returns its uuid.
    fn push(&mut self, kind: &str, fields: Value) -> String {
        let (u, parent) = (self.rng.uuid(), self.tip.take());
        self.emit(&u, parent.as_deref(), kind, fields);
        self.tip = Some(u.clone());
        u
    }

    /// A line without the envelope (summary, file-history-snapshot, queue-operation).
    fn raw(&mut self, kind: &str, fields: Value) {
        self.out.push(b'{');
        kv(&mut self.out, "type", kind);
        kvs(&mut self.out, &fields);
        self.out.extend_from_slice(b"}\n");
        self.m.total_lines += 1;
        self.m.noise_lines += 1;
    }

    pub(super) fn user(&mut self, content: Value, meta: bool) {
        let mut f = json!({"message": {"role": "user", "content": content}});
        if meta {
            f["isMeta"] = json!(true);
        }
        self.push("user", f);
    }

    pub(super) fn progress(&mut self, data: Value, tool_id: &str, parent_tool_id: &str) {
        let f = json!({"data": data, "toolUseID": tool_id, "parentToolUseID": parent_tool_id});
        self.push("progress", f);
    }

    /// Occasional lines between turns: command wrappers, interruptions, queue operations.
    fn interlude(&mut self) {
        if self.rng.chance(8) {
            let cmd = self.rng.word("mcp|model|cost|status|context");
            self.user(
                json!(
                    "<local-command-caveat>Caveat: The messages below were generated by the \
                user while running local commands. DO NOT respond to these messages or otherwise \
                consider them in your response unless the user explicitly asks you to.\
                </local-command-caveat>"
                ),
                true,
            );
            let wrapper = format!(
                "<command-name>/{cmd}</command-name>\n            <command-message>{cmd}\
                 </command-message>\n            <command-args></command-args>"
            );
            self.user(json!(wrapper), false);
            let out = "<local-command-stdout>{v} status: ok ({n} entries)</local-command-stdout>";
            let out = fill(&mut self.rng, out);
            self.user(json!(out), false);
            let f = json!({"subtype": "local_command", "content": wrapper, "level": "info",
                "isMeta": false});
            self.push("system", f);
        }
        if self.rng.chance(4) {
            self.user(
                json!([{"type": "text", "text": "[Request interrupted by user]"}]),
                false,
            );
        }
        if self.rng.chance(5) {
            let (id, what) = (self.rng.hex(7), self.rng.word(CMDS).split(';').nth(2));
            let what = fill(&mut self.rng, what.unwrap_or("Run task"));
            let content = format!(
                "<task-notification>\n<task-id>{id}</task-id>\n<status>completed</status>\n\
                 <summary>Background command \"{what}\" completed (exit code 0)</summary>\n\
                 </task-notification>"
            );
            for (op, content) in [("enqueue", Some(content)), ("dequeue", None)] {
                self.clock += self.rng.ms(50, 2000);
                let (ts, sid) = (iso(self.clock), &self.sid);
                let mut f = json!({"operation": op, "timestamp": ts, "sessionId": sid});
                if let Some(c) = content {
                    f["content"] = json!(c);
                }
                self.raw("queue-operation", f);
            }
        }
    }

    /// `compact_boundary` (null parent, logical parent = previous line), then the summary.
    fn compaction(&mut self) {
        self.clock += self.rng.ms(5_000, 60_000);
        let (logical, bu) = (self.tip.take(), self.rng.uuid());
        let (trigger, pre) = (
            self.rng.word("auto|manual"),
            self.rng.range(120_000, 180_000),
        );
        let f = json!({"subtype": "compact_boundary", "content": "Conversation compacted",
            "isMeta": false, "level": "info", "logicalParentUuid": logical,
            "compactMetadata": {"trigger": trigger, "preTokens": pre}});
        self.emit(&bu, None, "system", f);
        let mut text = "This session is being continued from a previous conversation that ran \
            out of context. The summary below covers the earlier portion of the conversation.\n\n\
            Analysis:\n"
            .to_string();
        for k in 1..=self.rng.range(4, 9) {
            text += &format!("{k}. {}\n", self.rng.say(SAYS));
        }
        text += &format!("\nSummary:\n{}", prose(&mut self.rng));
        let su = self.rng.uuid();
        let f = json!({"message": {"role": "user", "content": text},
            "isVisibleInTranscriptOnly": true, "isCompactSummary": true});
        self.emit(&su, Some(&bu), "user", f);
        self.tip = Some(su);
        self.m.compact_summaries += 1;
    }

    /// A human prompt, tool-using assistant steps, the final answer and the turn's system lines.
    fn turn(&mut self, prompt: String, turn: usize) {
        let start = self.clock;
        self.clock += self.rng.ms(15_000, 900_000);
        let pu = self.rng.uuid();
        if turn == 0 || self.rng.chance(50) {
            let (ts, id) = (iso(self.clock), &pu);
            let snap = json!({"messageId": id, "trackedFileBackups": {}, "timestamp": ts});
            let f = json!({"messageId": id, "snapshot": snap, "isSnapshotUpdate": false});
            self.raw("file-history-snapshot", f);
        }
        let content = if self.plan.1 == Some(turn) {
            let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
            png.extend((0..self.rng.range(1500, 5000)).map(|_| self.rng.next_u64() as u8));
            let src = json!({"type": "base64", "media_type": "image/png", "data": base64(&png)});
            json!([{"type": "text", "text": prompt}, {"type": "image", "source": src}])
        } else if self.rng.chance(10) {
            json!([{"type": "text", "text": prompt}])
        } else {
            json!(prompt)
        };
        let mode = self.rng.word("bypassPermissions|default|acceptEdits");
        let f = json!({"message": {"role": "user", "content": content}, "todos": [],
            "thinkingMetadata": {"maxThinkingTokens": 31999}, "permissionMode": mode});
        let parent = self.tip.take();
        self.emit(&pu, parent.as_deref(), "user", f);
        self.tip = Some(pu);
        self.m.human_prompts += 1;
        if self.rng.chance(2) {
            let text =
                "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}";
            let msg = json!({"id": self.rng.uuid(), "model": "<synthetic>", "role": "assistant",
                "type": "message", "stop_reason": "stop_sequence", "stop_sequence": "",
                "usage": {"input_tokens": 0, "output_tokens": 0},
                "content": [{"type": "text", "text": text}]});
            self.push(
                "assistant",
                json!({"message": msg, "isApiErrorMessage": true}),
            );
        }
        let steps = [0, 1, 1, 2, 2, 3, 3, 4, 5, 6][self.rng.below(10)];
        for s in 0..steps {
            self.tool_step(self.plan.0 == Some(turn) && s == 0);
        }
        self.final_answer();
        if self.rng.chance(80) {
            let d = self.clock.saturating_sub(start);
            self.push(
                "system",
                json!({"subtype": "turn_duration", "durationMs": d, "isMeta": false}),
            );
        }
    }

    /// Ids and usage of a new assistant message (repeated on each of its lines).
    fn new_msg(&mut self) -> (String, String, Value) {
        self.clock += self.rng.ms(800, 8_000);
        self.m.assistant_messages += 1;
        let r = &mut self.rng;
        let (cc, cr, out) = (
            r.range(0, 20_000),
            r.range(10_000, 150_000),
            r.range(1, 900),
        );
        let usage = json!({"input_tokens": r.range(1, 12), "cache_creation_input_tokens": cc,
            "cache_read_input_tokens": cr, "output_tokens": out, "service_tier": "standard",
            "cache_creation": {"ephemeral_5m_input_tokens": cc, "ephemeral_1h_input_tokens": 0}});
        (r.token("msg_01", 22), r.token("req_011C", 20), usage)
    }

    /// One line of message `m` holding one content block; returns its uuid.
    pub(super) fn a_line(&mut self, m: &(String, String, Value), block: Value) -> String {
        self.slug_on = true;
        self.clock += self.rng.ms(100, 1500);
        let msg = json!({"model": self.model, "id": m.0, "type": "message", "role": "assistant",
            "content": [block], "stop_reason": null, "stop_sequence": null, "usage": m.2});
        self.push("assistant", json!({"message": msg, "requestId": m.1}))
    }

    fn thinking(&mut self, m: &(String, String, Value)) {
        let (t, sig) = (
            sentences(&mut self.rng, THOUGHTS, 1, 4),
            self.rng.token("Eu", 120),
        );
        self.a_line(
            m,
            json!({"type": "thinking", "thinking": t, "signature": sig}),
        );
    }

    /// One assistant message that calls 1-3 tools, and the tools' results.
    pub(super) fn tool_step(&mut self, task: bool) {
        let m = self.new_msg();
        if self.rng.chance(8) {
            self.a_line(&m, json!({"type": "text", "text": "\n\n"}));
        }
        if self.rng.chance(45) {
            self.thinking(&m);
        }
        if self.rng.chance(50) {
            let text = self.rng.say(STEPS);
            self.a_line(&m, json!({"type": "text", "text": text}));
        }
        let n = if task {
            1
        } else {
            [1, 1, 1, 1, 1, 1, 1, 2, 2, 3][self.rng.below(10)]
        };
        // Either all tool_use lines first, or each result right after its tool_use line, in which
        // case the message's next line follows a tool_result line.
        let interleave = self.rng.chance(60);
        let mut pending = Vec::new();
        for _ in 0..n {
            let call = if task {
                self.task_call()
            } else {
                self.make_call()
            };
            let block = json!({"type": "tool_use", "id": call.id, "name": call.name,
                "input": call.input, "caller": {"type": "direct"}});
            let tu = self.a_line(&m, block);
            pending.push((call, tu));
            if interleave {
                pending.drain(..).for_each(|(c, tu)| self.run_call(c, &tu));
            }
        }
        pending
            .into_iter()
            .for_each(|(c, tu)| self.run_call(c, &tu));
    }

    pub(super) fn final_answer(&mut self) -> String {
        let m = self.new_msg();
        if self.rng.chance(30) {
            self.thinking(&m);
        }
        let long = self.rng.chance(15);
        let text = if long {
            code_answer(&mut self.rng)
        } else {
            prose(&mut self.rng)
        };
        self.a_line(&m, json!({"type": "text", "text": text}));
        text
    }
}
