//! A tool result that only acknowledges a write ("The file ... has been updated successfully.", "Todos have been
//! modified successfully.") says nothing but the path, which its call also names; what was written is in the
//! call. A search that finds the
//! acknowledgement (it is short, and names the file a question names) shows the call instead, at the
//! acknowledgement's score when that is the higher: `make eval` put "what did we change in `slice_builder.ex`?"
//! at rank 8 behind the edit's one-line acknowledgement, and at rank 1 once the acknowledgement stood for its
//! edit (file-name questions 8 -> 9 of 9 in the top 5, MRR 0.52 -> 0.62; no other style moved).

use super::corpus::Corpus;
use crate::error::Result;
use crate::message::MessageKind;
use crate::payload::Payload;

/// The whole text of each write tool's acknowledgement, after the result's `[result: <tool>]` line, as
/// (start, end) around the path: Claude Code's Edit and Write, Gemini CLI's `replace` and `write_file`.
const ONE_LINE: [(&str, &str); 5] = [
    ("The file ", " has been updated successfully."),
    ("File created successfully at: ", ""),
    ("Successfully overwrote file: ", ""),
    ("Successfully created and wrote to new file: ", ""),
    ("Successfully modified file: ", ""),
];
/// Claude Code's TodoWrite: this sentence, then advice to the model (the list is in the call).
const TODOS_WRITTEN: &str = "Todos have been modified successfully.";
/// Codex's `apply_patch`: this line, then one `<A|M|D> <path>` line per file.
const PATCH_APPLIED: &str = "Success. Updated the following files:";

/// Whether `p` is a write's acknowledgement: a one-chunk tool result, not an error, whose text after its
/// `[result: ...]` line is only one of the known acknowledgements.
pub fn is_write_acknowledgement(p: &Payload) -> bool {
    if p.kind != MessageKind::ToolResult || p.chunk_count != 1 {
        return false;
    }
    let Some((head, body)) = p.text.split_once('\n') else {
        return false;
    };
    if !head.starts_with("[result: ") || head.ends_with(", error]") {
        return false;
    }
    let body = body.trim();
    if body.starts_with(TODOS_WRITTEN) {
        return !body.contains('\n');
    }
    if let Some(files) = body.strip_prefix(PATCH_APPLIED) {
        let mut lines = files.lines().map(str::trim).filter(|l| !l.is_empty());
        return lines.clone().next().is_some()
            && lines.all(|l| {
                matches!(l.split_once(' '), Some(("A" | "M" | "D", path)) if !path.trim().is_empty())
            });
    }
    !body.contains('\n')
        && ONE_LINE.iter().any(|(start, end)| {
            body.strip_prefix(start)
                .and_then(|rest| rest.strip_suffix(end))
                .is_some_and(|path| !path.trim().is_empty())
        })
}

/// The call `ack` acknowledges: its parent message, when that used the acknowledging tool and touched one of
/// the files the acknowledgement names, if it names any (a Codex output's parent is the file's previous message,
/// which for parallel calls is another call).
pub fn call_of(corpus: &dyn Corpus, ack: &Payload) -> Result<Option<Payload>> {
    let Some(parent) = ack.parent_message_id.as_deref() else {
        return Ok(None);
    };
    let Some(call) = corpus.message(parent)? else {
        return Ok(None);
    };
    let same_tool = ack.tools_used.iter().any(|t| call.tools_used.contains(t));
    let same_file = ack.files_touched.is_empty()
        || call
            .files_touched
            .iter()
            .any(|f| ack.files_touched.contains(f));
    Ok((same_tool && same_file).then_some(call))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::tests::payload;

    fn result(text: &str) -> Payload {
        let mut p = payload("s", "u", 0, 1);
        p.kind = MessageKind::ToolResult;
        p.text = text.to_string();
        p
    }

    #[test]
    fn the_acknowledgements_of_each_agent_s_write_tools_are_recognised() {
        for text in [
            "[result: Edit]\nThe file /p/a.rs has been updated successfully.",
            "[result: Write]\nFile created successfully at: /p/a.rs",
            "[result: write_file]\nSuccessfully overwrote file: /p/main.py",
            "[result: write_file]\nSuccessfully created and wrote to new file: /tmp/x.txt.",
            "[result: replace]\nSuccessfully modified file: /tmp/x.txt (1 replacements).",
            "[result: apply_patch]\nSuccess. Updated the following files:\nM src/a.ts\nA src/b.ts\n",
            "[result: TodoWrite]\nTodos have been modified successfully. Ensure that you continue to use the todo list",
        ] {
            assert!(is_write_acknowledgement(&result(text)), "{text}");
        }
    }

    #[test]
    fn a_result_with_content_an_error_or_another_kind_is_no_acknowledgement() {
        for text in [
            // Content beyond the acknowledgement: the edited lines.
            "[result: Edit]\nThe file /p/a.rs has been updated. Here's the result of running `cat -n`:\n 1 fn a",
            "[result: Edit]\nThe file /p/a.rs has been updated successfully.\nand more",
            "[result: Edit, error]\nThe file /p/a.rs has been updated successfully.",
            "[result: apply_patch]\nSuccess. Updated the following files:",
            "[result: apply_patch]\nSuccess. Updated the following files:\nM src/a.ts\nerror: conflict",
            "[result: Write]\nFile created successfully at: ",
            "The file /p/a.rs has been updated successfully.",
        ] {
            assert!(!is_write_acknowledgement(&result(text)), "{text}");
        }
        let mut call = result("[result: Edit]\nThe file /p/a.rs has been updated successfully.");
        call.kind = MessageKind::ToolCall;
        assert!(!is_write_acknowledgement(&call));
        let mut long = result("[result: Edit]\nThe file /p/a.rs has been updated successfully.");
        long.chunk_count = 2;
        assert!(!is_write_acknowledgement(&long));
    }

    #[test]
    fn an_acknowledgement_without_a_file_stands_for_a_parent_that_used_its_tool() {
        use crate::store::StoredPoint;
        let mut todo = payload("s", "todo", 0, 1);
        todo.kind = MessageKind::ToolCall;
        todo.tools_used = vec!["TodoWrite".into()];
        let mut bash = payload("s", "bash", 0, 1);
        bash.kind = MessageKind::ToolCall;
        bash.tools_used = vec!["Bash".into()];
        let index = crate::search::SearchIndex::from_points(
            [todo.clone(), bash.clone()]
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    let point = StoredPoint {
                        vector: vec![1.0, 0.0],
                        payload: p,
                    };
                    (uuid::Uuid::from_u128(i as u128 + 1), point)
                }),
        );
        let mut ack = result("[result: TodoWrite]\nTodos have been modified successfully.");
        ack.tools_used = vec!["TodoWrite".into()];
        ack.parent_message_id = Some(todo.message_id.clone());
        let call = call_of(&index, &ack).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(call.map(|c| c.message_id), Some(todo.message_id));
        // A parent that used another tool (an output that follows a parallel call) is not its call.
        ack.parent_message_id = Some(bash.message_id.clone());
        assert_eq!(
            call_of(&index, &ack).unwrap_or_else(|e| panic!("{e}")),
            None
        );
    }

    /// A store of an edit call (far from the query by meaning), its acknowledgement (close), a second
    /// acknowledgement whose parent edited another file, and that parent.
    fn edits() -> crate::search::SearchIndex {
        use crate::store::StoredPoint;
        let mut call = payload("s", "call", 0, 1);
        call.kind = MessageKind::ToolCall;
        call.text = "[tool: Edit] /p/slice.ex @dialyzer {:nowarn_function, do_build: 2}".into();
        call.files_touched = vec!["/p/slice.ex".into()];
        call.tools_used = vec!["Edit".into()];
        let mut ack = result("[result: Edit]\nThe file /p/slice.ex has been updated successfully.");
        ack.uuid = "ack".into();
        ack.message_id = crate::ids::message_id("s", "ack").to_string();
        ack.parent_message_id = Some(call.message_id.clone());
        ack.files_touched = call.files_touched.clone();
        ack.tools_used = call.tools_used.clone();
        let mut other = call.clone();
        other.uuid = "other".into();
        other.message_id = crate::ids::message_id("s", "other").to_string();
        other.text = "[tool: Edit] /p/other.ex x = 1".into();
        other.files_touched = vec!["/p/other.ex".into()];
        let mut stray = ack.clone();
        stray.uuid = "stray".into();
        stray.message_id = crate::ids::message_id("s", "stray").to_string();
        stray.parent_message_id = Some(other.message_id.clone());
        let points = [(call, 0.1f32), (ack, 0.9), (other, 0.0), (stray, 0.8)]
            .into_iter()
            .enumerate()
            .map(|(i, (p, c))| {
                let point = StoredPoint {
                    vector: vec![c, (1.0 - c * c).sqrt()],
                    payload: p,
                };
                (uuid::Uuid::from_u128(i as u128 + 1), point)
            });
        crate::search::SearchIndex::from_points(points)
    }

    fn ask(filter: crate::search::Filter) -> Vec<crate::search::Hit> {
        let req = crate::search::SearchRequest {
            query: "what did we change in slice.ex?".into(),
            expansion: None,
            mode: crate::search::SearchMode::Hybrid,
            limit: 10,
            filter,
            context: 0,
            current_project: None,
            now_unix: 0,
            weak_cosine: None,
        };
        crate::search::search(&edits(), &[1.0, 0.0], &req)
            .unwrap_or_else(|e| panic!("{e}"))
            .hits
    }

    #[test]
    fn a_search_that_finds_an_acknowledgement_shows_the_edit_it_acknowledges() {
        let id = |uuid: &str| crate::ids::message_id("s", uuid).to_string();
        let hits = ask(crate::search::Filter::default());
        let ids: Vec<&str> = hits.iter().map(|h| h.payload.message_id.as_str()).collect();
        assert_eq!(ids.first().copied(), Some(id("call").as_str()), "{ids:?}");
        assert_eq!(hits[0].found_by_acknowledgement, Some(id("ack")));
        assert!(
            !ids.contains(&id("ack").as_str()),
            "shown once, as its call"
        );
        assert_eq!(
            ids.iter().filter(|m| **m == id("call")).count(),
            1,
            "the call's own entry and the one it stands for are one hit"
        );
        // An acknowledgement whose parent touched another file stays itself.
        assert!(ids.contains(&id("stray").as_str()), "{ids:?}");
        // A search for tool results only keeps the acknowledgement: the call is not what was asked for.
        let results = ask(crate::search::Filter {
            kinds: vec![MessageKind::ToolResult],
            ..Default::default()
        });
        assert_eq!(
            results.first().map(|h| h.payload.message_id.clone()),
            Some(id("ack"))
        );
        assert!(results.iter().all(|h| h.found_by_acknowledgement.is_none()));
    }
}
