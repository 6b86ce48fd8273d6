//! What looks like a file name, in a query or in a shell command. Search asks it of a question ("what did we
//! change in `src/list_utils.rs`?"), and the sources ask it of the words of a shell command, so that a file read
//! with `sed -n '1,80p' src/app.ts` counts as touched, as one read with a `Read` tool does.

mod shell;
mod shell_words;

pub use shell::files_in_command;

/// The tools whose input is a shell command, as Claude Code (`Bash`), Codex CLI and Gemini CLI name them.
const SHELL_TOOLS: [&str; 7] = [
    "Bash",
    "shell",
    "local_shell",
    "exec_command",
    "shell_command",
    "container.exec",
    "run_shell_command",
];

/// The file a call of the tool `tool` touches by its shell command `command`: the first one the command names
/// (`cat src/app.ts | head`), for a shell tool only.
pub fn file_of_shell_call(tool: &str, command: &str) -> Option<String> {
    if !SHELL_TOOLS.contains(&tool) {
        return None;
    }
    files_in_command(command).into_iter().next()
}

/// Files known by a name without an extension: build, task and container files. Any case ("the makefile").
const WELL_KNOWN_FILES: &[&str] = &[
    "berksfile",
    "brewfile",
    "caddyfile",
    "capfile",
    "containerfile",
    "dockerfile",
    "earthfile",
    "gemfile",
    "gnumakefile",
    "guardfile",
    "jenkinsfile",
    "justfile",
    "makefile",
    "pipfile",
    "podfile",
    "procfile",
    "rakefile",
    "snakefile",
    "tiltfile",
    "vagrantfile",
];
/// A project's top-level documents, known by a name without an extension. In capitals only: "license" or
/// "changelog" in lower case is a word.
const WELL_KNOWN_DOCUMENTS: &[&str] = &[
    "AUTHORS",
    "CHANGELOG",
    "CODEOWNERS",
    "CONTRIBUTING",
    "COPYING",
    "LICENSE",
    "README",
];

/// Whether `token` (a bare name or a path) names a file known without an extension: `Justfile`,
/// `docker/Dockerfile`, `README`.
pub fn is_well_known_file(token: &str) -> bool {
    let last = token.rsplit('/').next().unwrap_or(token);
    !token.contains("://")
        && (WELL_KNOWN_FILES
            .iter()
            .any(|n| n.eq_ignore_ascii_case(last))
            || WELL_KNOWN_DOCUMENTS.contains(&last))
}

/// Whether `token` is a file name or path: a last part with an extension (`src/list_utils.rs`, `hello.sh`), or a
/// dotfile (`.gitignore`). A directory, a URL, a version (`1.2.3`) and a bare word are not.
pub fn looks_like_file(token: &str) -> bool {
    let last = token.rsplit('/').next().unwrap_or(token);
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    if !plain(last) || token.contains("://") {
        return false;
    }
    if let Some(dotfile) = last.strip_prefix('.') {
        return dotfile.len() >= 2
            && !dotfile.contains('.')
            && dotfile.chars().any(|c| c.is_ascii_alphabetic());
    }
    match last.rsplit_once('.') {
        // An ellipsis ("wait...why") is no extension.
        Some((stem, ext)) => {
            !stem.ends_with('.')
                && stem.chars().filter(|c| c.is_ascii_alphanumeric()).count() >= 2
                && (1..=10).contains(&ext.len())
                && ext.chars().any(|c| c.is_ascii_alphabetic())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_files_in_any_case_and_documents_in_capitals_are_well_known() {
        for t in [
            "Justfile",
            "justfile",
            "MAKEFILE",
            "docker/Dockerfile",
            "README",
            "LICENSE",
        ] {
            assert!(is_well_known_file(t), "{t}");
        }
        for t in [
            "license",
            "Readme",
            "make",
            "file",
            "https://x.org/Makefile",
            "Makefiles",
        ] {
            assert!(!is_well_known_file(t), "{t}");
        }
    }

    #[test]
    fn paths_names_with_extensions_and_dotfiles_are_files() {
        for t in [
            "src/list_utils.rs",
            "hello.sh",
            ".gitignore",
            "/tmp/a-b.test.ts",
        ] {
            assert!(looks_like_file(t), "{t}");
        }
    }

    #[test]
    fn directories_urls_versions_and_words_are_not() {
        for t in [
            "src/",
            "src",
            "https://example.com/a.js",
            "1.2.3",
            "v1.2",
            "wait...why",
            "..",
            "*.rs",
            "",
        ] {
            assert!(!looks_like_file(t), "{t}");
        }
    }
}
