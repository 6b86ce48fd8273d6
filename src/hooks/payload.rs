//! What Claude Code sends a hook on stdin (the fields this hook uses; others are ignored).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The JSON Claude Code sends a hook on stdin (the fields `pipeline` uses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookInput {
    pub session_id: Option<String>,
    pub transcript_path: Option<PathBuf>,
    pub hook_event_name: Option<String>,
    pub cwd: Option<PathBuf>,
}

impl HookInput {
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text)
            .map_err(|e| format!("hook input is not the JSON Claude Code sends: {e}"))
    }

    /// The files to sync: the transcript, and this session's subagent logs (`<session>/subagents/*.jsonl`). Paths
    /// under one of `sources` are spelled as under that source, so checkpoints and points are keyed exactly as a
    /// `pipeline run` over the sources keys them.
    pub fn files(&self, sources: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
        let transcript = self
            .transcript_path
            .as_deref()
            .ok_or("hook input has no transcript_path")?;
        if !transcript.is_file() {
            return Err(format!(
                "transcript {} does not exist",
                transcript.display()
            ));
        }
        let transcript = respell(transcript, sources);
        let mut out = vec![transcript.clone()];
        let stem = transcript.file_stem().map(|s| s.to_owned());
        if let (Some(dir), Some(stem)) = (transcript.parent(), stem) {
            let subagents = dir.join(stem).join("subagents");
            if subagents.is_dir() {
                out.push(subagents);
            }
        }
        Ok(out)
    }
}

/// `path` rewritten under the source directory that contains it (comparing canonical forms), if any.
fn respell(path: &Path, sources: &[PathBuf]) -> PathBuf {
    let Ok(real) = path.canonicalize() else {
        return path.to_path_buf();
    };
    for source in sources {
        if let Ok(real_source) = source.canonicalize() {
            if let Ok(rest) = real.strip_prefix(&real_source) {
                return source.join(rest);
            }
        }
    }
    path.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_spelled_as_under_the_sources_and_include_subagents() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let real = dir.path().join("real");
        let project = real.join("-p");
        std::fs::create_dir_all(project.join("s1").join("subagents"))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(project.join("s1.jsonl"), "{}\n").unwrap_or_else(|e| panic!("{e}"));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap_or_else(|e| panic!("{e}"));
        let input = HookInput::parse(&format!(
            r#"{{"session_id":"s1","transcript_path":{:?},"hook_event_name":"Stop","cwd":"/x","stop_hook_active":false}}"#,
            project.join("s1.jsonl")
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let files = input
            .files(std::slice::from_ref(&link))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(files[0], link.join("-p").join("s1.jsonl"));
        assert_eq!(files[1], link.join("-p").join("s1").join("subagents"));
        assert!(HookInput::parse("not json").is_err());
        let missing = HookInput::parse(r#"{"transcript_path":"/nope.jsonl"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(missing.files(&[]).is_err());
    }
}
