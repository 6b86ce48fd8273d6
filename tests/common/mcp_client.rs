//! A minimal MCP client over the `pipeline mcp` child's stdio, as Claude Code speaks it.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Mcp {
    pub child: Child,
    pub stdin: ChildStdin,
    pub stdout: BufReader<ChildStdout>,
}

impl Mcp {
    pub fn start(data: &Path) -> Self {
        Self::start_with(data, &[])
    }

    /// Starts `pipeline [global_args] mcp` and completes the handshake.
    pub fn start_with(data: &Path, global_args: &[&str]) -> Self {
        let mut child = Command::new(super::bin())
            .arg("--data-dir")
            .arg(data)
            .args(global_args)
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn mcp: {e}"));
        let stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
        let stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("stdout")));
        let mut m = Mcp {
            child,
            stdin,
            stdout,
        };
        let init = m.request(
            1,
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "pipeline", "{init}");
        assert_eq!(
            init["result"]["protocolVersion"], "2025-06-18",
            "the server accepts the client's version"
        );
        assert!(init["result"]["capabilities"]["tools"].is_object());
        m.send_raw(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string());
        m
    }

    pub fn send_raw(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap_or_else(|e| panic!("write: {e}"));
        self.stdin.flush().unwrap_or_else(|e| panic!("flush: {e}"));
    }

    /// The next message that answers `id` (notifications in between are skipped).
    pub fn response(&mut self, id: &Value) -> Value {
        loop {
            let mut line = String::new();
            let n = self
                .stdout
                .read_line(&mut line)
                .unwrap_or_else(|e| panic!("read: {e}"));
            assert!(n > 0, "server closed stdout");
            let v: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad json {line}: {e}"));
            if &v["id"] == id {
                return v;
            }
        }
    }

    pub fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send_raw(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string(),
        );
        self.response(&json!(id))
    }

    /// Calls a tool; returns (is_error, text).
    pub fn call(&mut self, id: u64, name: &str, args: Value) -> (bool, String) {
        let r = self.request(id, "tools/call", json!({"name": name, "arguments": args}));
        let result = &r["result"];
        assert!(result.is_object(), "{r}");
        let text = result["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (result["isError"] == true, text)
    }

    /// The whole `result` of a successful tool call (content and structured content).
    pub fn call_result(&mut self, id: u64, name: &str, args: Value) -> Value {
        let r = self.request(id, "tools/call", json!({"name": name, "arguments": args}));
        let result = r["result"].clone();
        assert!(
            result.is_object() && result["isError"] != true,
            "{name}: {r}"
        );
        result
    }

    pub fn call_json(&mut self, id: u64, name: &str, args: Value) -> Value {
        let (err, text) = self.call(id, name, args);
        assert!(!err, "{name} failed: {text}");
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{name} returned non-JSON {text}: {e}"))
    }

    pub fn finish(mut self) {
        drop(self.stdin);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "server exit: {status}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server did not exit when stdin closed"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
