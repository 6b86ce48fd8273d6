//! The project a chat belongs to. Gemini CLI names a project's directory under `~/.gemini/tmp` by a SHA-256 of
//! its root (before 0.2x) or by a short id (`my-app`, `my-app-1`) that `~/.gemini/projects.json` maps from the
//! root (`{"projects": {"/abs/root": "my-app"}}`), and writes the root into `<dir>/.project_root` as an
//! ownership marker. A directory named by hash without either record is matched back to its root by
//! [`super::hash_root`].

use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// Largest `.project_root` marker read (it holds one path).
const MAX_MARKER_BYTES: u64 = 64 * 1024;
/// Largest `projects.json` read.
const MAX_REGISTRY_BYTES: u64 = 16 * 1024 * 1024;

/// The project root a chat belongs to, where Gemini CLI recorded it: `<tmp>/<id>/.project_root` (a file holding
/// the path), else `<tmp>/../projects.json` (a map between project paths and their short id or hash, matched
/// against the directory's name: `{"projects": {"<path>": "<id>"}}` as Gemini CLI writes it, or `{"<path>":
/// "<id>"}`), else `None`. The project directory is the parent of the chat's nearest `chats` ancestor (subagent
/// chats sit one level deeper, under their parent session's directory).
pub fn project_root(chat_path: &Path) -> Option<String> {
    let project_dir = project_dir(chat_path)?;
    if let Some(root) = marker(&project_dir.join(".project_root")) {
        return Some(root);
    }
    let id = project_dir.file_name()?.to_str()?;
    let registry = project_dir.parent()?.parent()?.join("projects.json");
    registry_root(&registry, id)
}

/// The chat's project directory: the parent of its nearest `chats` ancestor (subagent chats sit one level
/// deeper, under their parent session's directory).
pub(super) fn project_dir(chat_path: &Path) -> Option<&Path> {
    chat_path
        .ancestors()
        .skip(1)
        .find(|a| a.file_name().is_some_and(|n| n == "chats"))?
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
}

/// The file's bytes, when it is a regular file of at most `max` bytes.
pub(super) fn read_small(path: &Path, max: u64) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= max).then_some(bytes)
}

fn marker(path: &Path) -> Option<String> {
    let bytes = read_small(path, MAX_MARKER_BYTES)?;
    let text = String::from_utf8(bytes).ok()?;
    let root = text.trim();
    (!root.is_empty() && !root.contains(['\n', '\0'])).then(|| root.to_string())
}

fn registry_root(path: &Path, id: &str) -> Option<String> {
    registry(path)?
        .iter()
        .find(|(root, v)| v.as_str() == Some(id) && !root.trim().is_empty())
        .map(|(root, _)| root.clone())
}

/// A registry's map between project paths and ids: `projects` (as `projects.json` has it) or the top-level
/// object (`trustedFolders.json`, and the older `projects.json`).
pub(super) fn registry(path: &Path) -> Option<serde_json::Map<String, Value>> {
    let bytes = read_small(path, MAX_REGISTRY_BYTES)?;
    match serde_json::from_slice::<Value>(&bytes).ok()? {
        Value::Object(mut top) => match top.remove("projects") {
            Some(Value::Object(projects)) => Some(projects),
            _ => Some(top),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::source::testing::write;

    #[test]
    fn the_marker_file_names_the_root() {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let tmp = home.path().join(".gemini/tmp");
        let chat = tmp.join("my-app/chats/session-2026-01-01T10-00-abcd1234.jsonl");
        write(&chat, "");
        assert_eq!(project_root(&chat), None);
        write(&tmp.join("my-app/.project_root"), "/home/me/src/my-app\n");
        assert_eq!(project_root(&chat).as_deref(), Some("/home/me/src/my-app"));
        // A subagent chat, one level deeper, belongs to the same project.
        let sub = tmp.join("my-app/chats/0b7dfb12-parent/child-session.jsonl");
        assert_eq!(project_root(&sub).as_deref(), Some("/home/me/src/my-app"));
        // The marker wins over the registry.
        write(
            &home.path().join(".gemini/projects.json"),
            r#"{"projects": {"/elsewhere": "my-app"}}"#,
        );
        assert_eq!(project_root(&chat).as_deref(), Some("/home/me/src/my-app"));
    }

    #[test]
    fn the_registry_maps_the_directory_name_back_to_its_root() {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let gemini = home.path().join(".gemini");
        let chat = gemini.join("tmp/my-app-1/chats/session-x.json");
        let registry = gemini.join("projects.json");
        write(
            &registry,
            r#"{"projects": {"/home/me/src/my-app": "my-app", "/home/me/old/my-app": "my-app-1"}}"#,
        );
        assert_eq!(project_root(&chat).as_deref(), Some("/home/me/old/my-app"));
        write(&registry, r#"{"/home/me/hashed": "my-app-1", "/x": 3}"#);
        assert_eq!(project_root(&chat).as_deref(), Some("/home/me/hashed"));
        write(&registry, r#"{"projects": {"/home/me/other": "other"}}"#);
        assert_eq!(project_root(&chat), None);
        write(&registry, "{\"projects\": {");
        assert_eq!(project_root(&chat), None);
        // An empty or multi-line marker is not a root: the registry is asked instead.
        write(&registry, r#"{"projects": {"/home/me/reg": "my-app-1"}}"#);
        write(&gemini.join("tmp/my-app-1/.project_root"), " \n");
        assert_eq!(project_root(&chat).as_deref(), Some("/home/me/reg"));
    }

    #[test]
    fn paths_outside_a_chats_directory_have_no_project() {
        assert_eq!(project_root(Path::new("")), None);
        assert_eq!(project_root(Path::new("chats/session-x.json")), None);
        assert_eq!(project_root(Path::new("/nowhere/session-x.json")), None);
        assert_eq!(
            project_root(Path::new(
                "/nonexistent-gemini/tmp/abc/chats/session-x.json"
            )),
            None
        );
    }
}
