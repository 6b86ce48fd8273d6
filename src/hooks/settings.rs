//! Editing a Claude Code settings file: add or remove pipeline's hook entries, touch nothing else.
//!
//! The format (`hooks` -> event name -> list of matcher groups -> `hooks` -> list of `{type, command, timeout}`):
//! ```json
//! {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "...", "timeout": 30}]}]}}
//! ```

use super::{EVENTS, MARKER};
use serde_json::{json, Map, Value};

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// The file must be written with this text.
    Changed(String),
    /// Nothing to do (already installed, or nothing to remove): the file is left untouched.
    Unchanged,
}

/// Why Claude Code's settings.json could not be read or updated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error(
        "not valid JSON ({0}); fix or remove it first (comments are not allowed in settings.json)"
    )]
    Json(String),
    #[error("the top level is not a JSON object")]
    NotAnObject,
    #[error("`{0}` is not what Claude Code expects (an object for `hooks`, lists for its events)")]
    Shape(String),
}

fn parse(text: &str) -> Result<Map<String, Value>, SettingsError> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(SettingsError::NotAnObject),
        Err(e) => Err(SettingsError::Json(e.to_string())),
    }
}

fn render(root: &Map<String, Value>) -> String {
    let mut text = serde_json::to_string_pretty(root).unwrap_or_default();
    text.push('\n');
    text
}

fn is_ours(hook: &Value) -> bool {
    hook.get("command")
        .and_then(Value::as_str)
        .is_some_and(|c| c.trim_end().ends_with(MARKER))
}

/// Adds a `Stop` and a `SessionEnd` hook running `command` (replacing older pipeline entries).
pub fn install(text: &str, command: &str, timeout_secs: u64) -> Result<Edit, SettingsError> {
    let mut root = parse(text)?;
    // `async`: Claude Code does not wait for the hook (it also returns at once by itself, for clients that ignore it).
    let ours =
        json!({"type": "command", "command": command, "timeout": timeout_secs, "async": true});
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    let hooks = hooks
        .as_object_mut()
        .ok_or_else(|| SettingsError::Shape("hooks".into()))?;
    let mut changed = false;
    for event in EVENTS {
        let groups = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()));
        let groups = groups
            .as_array_mut()
            .ok_or_else(|| SettingsError::Shape(format!("hooks.{event}")))?;
        let present = groups.iter().any(|g| {
            g.get("hooks")
                .and_then(Value::as_array)
                .is_some_and(|hs| hs.iter().any(|h| h == &ours))
        });
        if present {
            continue;
        }
        // An older entry (another binary path, budget or data dir) is replaced, not duplicated.
        remove_ours(groups);
        groups.push(json!({"hooks": [ours.clone()]}));
        changed = true;
    }
    if !changed {
        return Ok(Edit::Unchanged);
    }
    Ok(Edit::Changed(render(&root)))
}

/// Removes every pipeline entry from a list of matcher groups; a group left empty by it goes too. True if
/// something was removed.
fn remove_ours(groups: &mut Vec<Value>) -> bool {
    let mut removed = false;
    groups.retain_mut(|group| {
        let Some(hs) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
            return true;
        };
        let before = hs.len();
        hs.retain(|h| !is_ours(h));
        if hs.len() == before {
            return true;
        }
        removed = true;
        !hs.is_empty()
    });
    removed
}

/// Removes what [`install`] added: pipeline's entries, and the lists and objects that only they filled.
pub fn uninstall(text: &str) -> Result<Edit, SettingsError> {
    let mut root = parse(text)?;
    let Some(hooks) = root.get_mut("hooks").and_then(Value::as_object_mut) else {
        return Ok(Edit::Unchanged);
    };
    let mut changed = false;
    let events: Vec<String> = hooks.keys().cloned().collect();
    for event in events {
        let Some(groups) = hooks.get_mut(&event).and_then(Value::as_array_mut) else {
            continue;
        };
        if remove_ours(groups) {
            changed = true;
            if groups.is_empty() {
                hooks.shift_remove(&event);
            }
        }
    }
    if !changed {
        return Ok(Edit::Unchanged);
    }
    if hooks.is_empty() {
        root.shift_remove("hooks");
    }
    Ok(Edit::Changed(render(&root)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMD: &str = "/bin/pipeline --data-dir /d --quiet hooks run --budget 20s # added by `pipeline hooks install`";

    fn text(e: Edit) -> String {
        match e {
            Edit::Changed(t) => t,
            Edit::Unchanged => panic!("expected a change"),
        }
    }

    #[test]
    fn install_into_nothing_then_uninstall_gives_nothing_back() {
        let installed = text(install("", CMD, 30).unwrap());
        let v: Value = serde_json::from_str(&installed).unwrap();
        for e in EVENTS {
            assert_eq!(v["hooks"][e][0]["hooks"][0]["command"], CMD);
            assert_eq!(v["hooks"][e][0]["hooks"][0]["timeout"], 30);
            assert_eq!(v["hooks"][e][0]["hooks"][0]["type"], "command");
            assert_eq!(
                v["hooks"][e][0]["hooks"][0]["async"], true,
                "Claude Code does not wait"
            );
        }
        assert_eq!(install(&installed, CMD, 30).unwrap(), Edit::Unchanged);
        assert_eq!(text(uninstall(&installed).unwrap()), "{}\n");
        assert_eq!(uninstall("{}\n").unwrap(), Edit::Unchanged);
    }

    #[test]
    fn bad_files_are_refused_not_overwritten() {
        assert!(matches!(
            install("{ // c\n}", CMD, 30),
            Err(SettingsError::Json(_))
        ));
        assert_eq!(install("[1]", CMD, 30), Err(SettingsError::NotAnObject));
        assert!(matches!(
            install(r#"{"hooks": []}"#, CMD, 30),
            Err(SettingsError::Shape(_))
        ));
        assert!(matches!(
            install(r#"{"hooks": {"Stop": {}}}"#, CMD, 30),
            Err(SettingsError::Shape(_))
        ));
    }

    #[test]
    fn an_entry_of_the_previous_version_is_replaced_and_removed() {
        let previous = format!(
            r#"{{"hooks": {{"Stop": [{{"hooks": [{{"type": "command", "command": "{CMD}", "timeout": 30}}]}}]}}}}"#
        );
        let new = text(install(&previous, CMD, 10).unwrap());
        let v: Value = serde_json::from_str(&new).unwrap();
        let stop = v["hooks"]["Stop"].as_array().unwrap();
        assert_eq!(stop.len(), 1, "{new}");
        assert_eq!(stop[0]["hooks"][0]["async"], true);
        assert_eq!(text(uninstall(&previous).unwrap()), "{}\n");
    }

    #[test]
    fn a_new_binary_path_replaces_the_old_entry() {
        let old = text(
            install(
                "",
                "/old/pipeline hooks run # added by `pipeline hooks install`",
                30,
            )
            .unwrap(),
        );
        let new = text(install(&old, CMD, 30).unwrap());
        let v: Value = serde_json::from_str(&new).unwrap();
        for e in EVENTS {
            let groups = v["hooks"][e].as_array().unwrap();
            assert_eq!(groups.len(), 1, "{new}");
            assert_eq!(groups[0]["hooks"][0]["command"], CMD);
        }
    }
}
