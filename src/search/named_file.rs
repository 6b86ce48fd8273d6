//! File names a query mentions, and whether a message's tool calls touched one of them.
//!
//! A question that names a file ("what did we change in `waiting_summary/slice_builder.ex`?") asks about the
//! messages that read, wrote or edited it. BM25 alone ranks them among every message that merely mentions the
//! path (a `git status` listing, a test run, a summary), so a message whose tool call names the file gets a boost.

use crate::file_names::{is_well_known_file, looks_like_file};

/// The file names and paths in a query: a token with a `/` and a file-like last part (`src/list_utils.rs`,
/// `assets/js/app.js`), a bare name with an extension (`hello.sh`), a dotfile (`.gitignore`), or a file known
/// without an extension (`Justfile`, `README`).
pub fn named_files(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in
        query.split(|c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\'' | ',' | '(' | ')'))
    {
        let token = raw
            .trim_end_matches(['?', '!', ':', ';', '.'])
            .trim_start_matches("./");
        let file = looks_like_file(token) || is_well_known_file(token);
        if file && !out.iter().any(|t| t == token) {
            out.push(token.to_string());
        }
    }
    out
}

/// Whether `path` (as a tool call named it, usually absolute) is the file `named`: equal, or ending with it at a
/// path-component boundary (`/repo/src/list_utils.rs` is `src/list_utils.rs`, not `utils.rs`), case aside (a
/// question written from memory says "the justfile" of a `Justfile`, "readme.md" of a `README.md`).
pub fn is_named(path: &str, named: &str) -> bool {
    let Some(split) = path.len().checked_sub(named.len()) else {
        return false;
    };
    let (head, tail) = match (path.get(..split), path.get(split..)) {
        (Some(head), Some(tail)) => (head, tail),
        _ => return false,
    };
    tail.eq_ignore_ascii_case(named)
        && (head.is_empty() || head.ends_with('/') || head.ends_with('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_bare_names_and_dotfiles_are_file_names() {
        assert_eq!(
            named_files("What went into src/list_utils.rs in the Rust port?"),
            ["src/list_utils.rs"]
        );
        assert_eq!(
            named_files("hello.sh - where was it written, and `./assets/js/app.js`?"),
            ["hello.sh", "assets/js/app.js"]
        );
        assert_eq!(
            named_files("Why did we add __pycache__ and .coverage to .gitignore?"),
            [".coverage", ".gitignore"]
        );
        assert_eq!(
            named_files("What was in the Justfile before we rewrote it? And the README?"),
            ["Justfile", "README"]
        );
    }

    #[test]
    fn prose_versions_and_urls_are_not_file_names() {
        for q in [
            "why did the build fail, e.g. on CI?",
            "bump serde to 1.0.2",
            "see https://example.com/index.html",
            "the end. Then we stopped",
            "and/or what else",
            "std::fs::read failed",
            "wait...why did it stop",
        ] {
            assert!(named_files(q).is_empty(), "{q}: {:?}", named_files(q));
        }
    }

    #[test]
    fn a_path_matches_only_at_a_component_boundary() {
        assert!(is_named("/tmp/x/src/list_utils.rs", "src/list_utils.rs"));
        assert!(is_named("/tmp/x/src/list_utils.rs", "list_utils.rs"));
        assert!(is_named("list_utils.rs", "list_utils.rs"));
        assert!(!is_named("/tmp/x/src/list_utils.rs", "utils.rs"));
        assert!(!is_named("/tmp/x/src/list_utils.rs", "lib/list_utils.rs"));
        assert!(is_named("/tmp/x/Justfile", "justfile"), "case aside");
        assert!(is_named("/tmp/x/README.md", "readme.md"));
        assert!(!is_named("/tmp/é/x", "é/y"), "no panic inside a character");
        assert!(!is_named("x.rs", "src/x.rs"));
    }
}
