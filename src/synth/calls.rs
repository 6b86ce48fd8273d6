//! Generated tool calls: what a call asks, what it returns, and the subagent a Task call runs.

use super::lines::Ctx;
use super::rng::*;
use super::text::*;
use super::vocabulary::*;
use serde_json::{json, Value};

/// One tool call and its outcome.
#[derive(Default)]
pub(super) struct Call {
    pub(super) id: String,
    pub(super) name: &'static str,
    pub(super) input: Value,
    pub(super) content: Value,
    pub(super) result: Value,
    pub(super) is_error: bool,
    pub(super) stdout: String,
}

impl Ctx {
    pub(super) fn make_call(&mut self) -> Call {
        let r = &mut self.rng;
        let (rel, lang) = file(r);
        let path = format!("{}/{rel}", self.cwd);
        let extra = if r.chance(3) {
            r.range(10_000, 30_000)
        } else {
            0
        };
        let mut c = Call {
            id: r.token("toolu_01", 22),
            ..Call::default()
        };
        (c.name, c.input, c.content, c.result) = match r.below(100) {
            0..=39 => {
                let mut parts = r.word(CMDS).splitn(3, ';');
                let (kind, cmd, desc) = (parts.next(), parts.next(), parts.next());
                let (cmd, desc) = (fill(r, cmd.unwrap_or("ls")), fill(r, desc.unwrap_or("Run")));
                let size = r.range(100, 2_500) + extra;
                c.stdout = command_output(r, kind.unwrap_or("X"), size);
                let (input, out) = (json!({"command": cmd, "description": desc}), &c.stdout);
                if r.chance(8) {
                    let err = fill(r, "Exit code 1\n{e}");
                    c.is_error = true;
                    let content = json!(format!("{err}\n{}", clip(out, 600)));
                    ("Bash", input, content, json!(format!("Error: {err}")))
                } else {
                    let res = json!({"stdout": out, "stderr": "", "interrupted": false,
                        "isImage": false});
                    ("Bash", input, json!(out), res)
                }
            }
            40..=64 => {
                let size = r.range(600, 5_000) + extra;
                let src = code(r, lang, size);
                let n = src.lines().count();
                let numbered = src
                    .lines()
                    .enumerate()
                    .map(|(i, l)| format!("{:>6}\u{2192}{l}\n", i + 1));
                let res = json!({"type": "text", "file": {"filePath": path, "content": src,
                    "numLines": n, "startLine": 1, "totalLines": n}});
                (
                    "Read",
                    json!({"file_path": path}),
                    json!(numbered.collect::<String>()),
                    res,
                )
            }
            65..=79 => {
                let size = r.range(800, 5_000);
                let original = code(r, lang, size);
                let k = r.below(8);
                let old = original
                    .lines()
                    .filter(|l| l.len() > 8)
                    .nth(k)
                    .unwrap_or("x");
                let new = format!("{old} // {}", ident(r));
                let at = r.range(1, 200);
                let patch = json!([{"oldStart": at, "oldLines": 1, "newStart": at, "newLines": 1,
                    "lines": [format!("-{old}"), format!("+{new}")]}]);
                let res = json!({"filePath": path, "oldString": old, "newString": new,
                    "originalFile": original, "structuredPatch": patch, "userModified": false,
                    "replaceAll": false});
                let input = json!({"file_path": path, "old_string": old, "new_string": new,
                    "replace_all": false});
                let msg = format!("The file {path} has been updated successfully.");
                ("Edit", input, json!(msg), res)
            }
            80..=91 => {
                let (pattern, size) = (fill(r, "fn {i}|struct {I}"), r.range(100, 1_500));
                let out = command_output(r, "R", size);
                let input = json!({"pattern": pattern, "path": self.cwd, "output_mode": "content",
                    "-n": true});
                let res = json!({"mode": "content", "numFiles": 0, "filenames": [], "content": out,
                    "numLines": out.lines().count()});
                ("Grep", input, json!(out), res)
            }
            _ => {
                let size = r.range(500, 3_000);
                let src = code(r, lang, size);
                let res = json!({"type": "create", "filePath": path, "content": src,
                    "structuredPatch": [], "originalFile": null});
                let msg = format!("File created successfully at: {path}");
                (
                    "Write",
                    json!({"file_path": path, "content": src}),
                    json!(msg),
                    res,
                )
            }
        };
        c
    }

    pub(super) fn task_call(&mut self) -> Call {
        let mut prompt = "Very thorough exploration. I need to understand:\n".to_string();
        for k in 1..=self.rng.range(2, 5) {
            prompt += &format!("\n{k}. {}", self.rng.say(PROMPTS));
        }
        prompt += "\n\nKey files to read:";
        for _ in 0..self.rng.range(2, 6) {
            prompt += &format!("\n- {}", file(&mut self.rng).0);
        }
        let desc = fill(&mut self.rng, "Explore {v} handling in {d}");
        let input = json!({"description": desc, "prompt": prompt, "subagent_type": "Explore"});
        Call {
            id: self.rng.token("toolu_01", 22),
            name: "Task",
            input,
            ..Call::default()
        }
    }

    /// Hook and bash progress for a tool call, then its result line (parented to the tool_use).
    pub(super) fn run_call(&mut self, mut c: Call, tu: &str) {
        self.tip = Some(tu.to_string());
        let name = c.name;
        let hook = |event: &str, cmd: &str| {
            json!({"type": "hook_progress", "hookEvent": event,
                "hookName": format!("{event}:{name}"), "command": cmd})
        };
        for h in PRE_HOOKS.split('|').take(self.hooks.0) {
            self.progress(hook("PreToolUse", h), &c.id, &c.id);
        }
        if c.name == "Task" {
            self.subagent(&mut c);
        }
        if c.name == "Bash" && (c.stdout.len() > 2_000 || self.rng.chance(60)) {
            let k = self.rng.range(1, 6);
            for i in 0..k {
                self.clock += self.rng.ms(900, 1_100);
                let full = clip(&c.stdout, c.stdout.len() * (i + 1) / k);
                let tail = full.get(full.len().saturating_sub(200)..).unwrap_or("");
                let data = json!({"type": "bash_progress", "output": tail,
                    "fullOutput": clip(full, 1_500), "elapsedTimeSeconds": (i + 2).to_string(),
                    "totalLines": full.lines().count().to_string(), "timeoutMs": "120000"});
                self.progress(data, &format!("bash-progress-{i}"), &c.id);
            }
        }
        for h in POST_HOOKS.split('|').take(self.hooks.1) {
            self.progress(hook("PostToolUse", h), &c.id, &c.id);
        }
        self.clock += self.rng.ms(50, 4_000);
        let mut block = json!({"tool_use_id": c.id, "type": "tool_result", "content": c.content});
        if c.is_error {
            block["is_error"] = json!(true);
        }
        let f = json!({"message": {"role": "user", "content": [block]},
            "toolUseResult": c.result, "sourceToolAssistantUUID": tu});
        let ru = self.rng.uuid();
        self.emit(&ru, Some(tu), "user", f);
        self.tip = Some(ru);
        self.m.tool_results += 1;
    }

    /// Runs a subagent into its own file, echoes it as agent_progress, fills the Task result.
    fn subagent(&mut self, c: &mut Call) {
        let prompt = c.input["prompt"].as_str().unwrap_or("").to_string();
        let mut s = self.child();
        s.user(json!(prompt), false);
        s.m.human_prompts += 1;
        let steps = s.rng.range(2, 8);
        for _ in 0..steps {
            s.tool_step(false);
        }
        let answer = s.final_answer();
        let agent = s.agent.clone().unwrap_or_default();
        for e in std::mem::take(&mut s.echo) {
            let data = json!({"message": e, "normalizedMessages": [], "type": "agent_progress",
                "prompt": prompt, "agentId": agent});
            let tool_id = self.rng.token("agent_msg_01", 22);
            self.progress(data, &tool_id, &c.id);
        }
        self.clock = s.clock;
        c.content = json!([{"type": "text", "text": answer}]);
        let (ms, tokens, out) = (
            self.rng.range(20_000, 400_000),
            self.rng.range(20_000, 120_000),
            900,
        );
        c.result = json!({"status": "completed", "prompt": prompt, "agentId": agent,
            "content": c.content, "totalDurationMs": ms, "totalTokens": tokens,
            "totalToolUseCount": steps, "usage": {"input_tokens": 12, "output_tokens": out}});
        self.subs.push(s);
    }
}
