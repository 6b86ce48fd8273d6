//! File names a query mentions, and whether a message's tool calls touched one of them.
//!
//! A question that names a file ("what did we change in `waiting_summary/slice_builder.ex`?") asks about the
//! messages that read, wrote or edited it. BM25 alone ranks them among every message that merely mentions the
//! path (a `git status` listing, a test run, a summary), so a message whose tool call names the file gets a boost.

use crate::file_names::looks_like_file;

/// The file names and paths in a query: a token with a `/` and a file-like last part (`src/list_utils.rs`,
/// `assets/js/app.js`), a bare name with an extension (`hello.sh`), or a dotfile (`.gitignore`).
pub fn named_files(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in
        query.split(|c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\'' | ',' | '(' | ')'))
    {
        let token = raw
            .trim_end_matches(['?', '!', ':', ';', '.'])
            .trim_start_matches("./");
        if looks_like_file(token) && !out.iter().any(|t| t == token) {
            out.push(token.to_string());
        }
    }
    out
}

/// Whether `path` (as a tool call named it, usually absolute) is the file `named`: equal, or ending with it at a
/// path-component boundary (`/repo/src/list_utils.rs` is `src/list_utils.rs`, not `utils.rs`).
pub fn is_named(path: &str, named: &str) -> bool {
    path == named
        || path
            .strip_suffix(named)
            .is_some_and(|head| head.ends_with('/') || head.ends_with('\\'))
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
    }
}
