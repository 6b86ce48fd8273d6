//! The files a shell command names. Codex CLI reads every file with a shell command (`sed -n '1,80p' src/app.ts`,
//! `nl -ba src/app.ts`), and Claude Code and Gemini CLI often do; those files are touched as surely as by a `Read`
//! tool. The script is split into simple commands ([`super::shell_words`]); a command's operands and redirection
//! targets are its files, except what its program takes that is not a file: the pattern or script `grep`, `rg`,
//! `sed`, `awk` and `jq` take first (and the values of their options), a directory to change to, a task name
//! (`mix phx.server`, `make dist.zip`), a module (`python -m http.server`), a package (`npm i lodash.get`), text
//! to print. A word counts when it looks like a file ([`super::looks_like_file`]) and holds no space and no `$`
//! or backtick (an expansion this lexer does not perform).

use super::looks_like_file;
use super::shell_words::{commands, Command};

/// Most files taken from one command.
const MAX_FILES: usize = 32;
/// How deep `bash -c` scripts are followed.
const MAX_NESTING: usize = 2;
/// Shells whose `-c` script is itself a command (`bash -lc 'cat a.txt'`).
const SHELLS: [&str; 4] = ["sh", "bash", "zsh", "dash"];
/// Words that run the command after them, each with its options that take a value (`sudo -u www cat a.txt`).
const WRAPPERS: [(&str, &[&str]); 10] = [
    ("sudo", &["-u", "-g", "-C", "-D", "-h", "-p", "-U"]),
    ("env", &["-u", "-C", "-S"]),
    ("time", &["-f", "-o"]),
    ("nohup", &[]),
    ("nice", &["-n"]),
    ("timeout", &["-s", "-k", "--signal", "--kill-after"]),
    ("xargs", &["-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a"]),
    ("command", &[]),
    ("exec", &["-a"]),
    ("builtin", &[]),
];
/// Shell keywords before a command (`if grep -q x f.txt; then cat f.txt; fi`).
const KEYWORDS: [&str; 9] = [
    "if", "then", "else", "elif", "do", "while", "until", "!", "{",
];
/// Programs whose first operand is a pattern, a script or a filter, with their options that take a value.
const PATTERN_FIRST: [(&str, &[&str]); 10] = [
    ("grep", &["-A", "-B", "-C", "-m", "-d", "-D"]),
    ("egrep", &["-A", "-B", "-C", "-m", "-d", "-D"]),
    ("fgrep", &["-A", "-B", "-C", "-m", "-d", "-D"]),
    (
        "rg",
        &[
            "-A",
            "-B",
            "-C",
            "-m",
            "-g",
            "-t",
            "-T",
            "-M",
            "-j",
            "-E",
            "--glob",
            "--iglob",
            "--type",
            "--type-not",
            "--max-count",
            "--context",
            "--after-context",
            "--before-context",
            "--max-columns",
            "--threads",
            "--encoding",
        ],
    ),
    ("ag", &["-A", "-B", "-C", "-m", "-G", "-g"]),
    ("ack", &["-A", "-B", "-C", "-m", "--type"]),
    ("sed", &["-l"]),
    ("awk", &["-F", "-v"]),
    ("gawk", &["-F", "-v"]),
    ("jq", &["--arg", "--argjson", "--indent"]),
];
/// Pattern-first programs that also take that filter as their first operand under another name.
const FILTER_FIRST: [&str; 1] = ["yq"];
/// Programs whose first operand is a task or target name, not a file.
const TASK_FIRST: [&str; 5] = ["mix", "rake", "make", "just", "gradle"];
/// Programs none of whose operands is a file: directories, packages, text.
const NO_FILES: [&str; 13] = [
    "cd", "pushd", "popd", "echo", "printf", "npm", "yarn", "pnpm", "pip", "pip3", "gem", "brew",
    "apt-get",
];

/// The files `script` names, in order of appearance, each once: operands of its commands and targets of its
/// redirections.
pub fn files_in_command(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect(script, 0, &mut out);
    out
}

fn collect(script: &str, depth: usize, out: &mut Vec<String>) {
    for command in commands(script) {
        for word in files_of(&command, depth) {
            if out.len() >= MAX_FILES {
                return;
            }
            match word {
                Found::File(f) => {
                    if is_file_word(&f) && !out.contains(&f) {
                        out.push(f);
                    }
                }
                Found::Script(s) => collect(&s, depth + 1, out),
            }
        }
    }
}

/// A word that names a file as written: file-like, and nothing left to expand or split.
fn is_file_word(word: &str) -> bool {
    looks_like_file(word) && !word.contains(|c: char| c.is_whitespace() || c == '$' || c == '`')
}

enum Found {
    File(String),
    /// A shell's `-c` script, to be read as commands.
    Script(String),
}

/// What one command's words and redirections name, in order: operands, values of `--option=value`, redirection
/// targets, and a shell's `-c` script.
fn files_of(command: &Command, depth: usize) -> Vec<Found> {
    // (place, found): a word at index i sorts at 2i + 1, a redirection after n words at 2n.
    let mut found: Vec<(usize, Found)> = command
        .redirects
        .iter()
        .map(|(n, target)| (2 * n, Found::File(target.clone())))
        .collect();
    let words = &command.words;
    let mut i = skip_wrappers(words);
    let Some(program) = words.get(i).map(|w| program_name(w)) else {
        return found.into_iter().map(|(_, f)| f).collect();
    };
    i += 1;
    let mut value_options: &[&str] = &[];
    let mut skip_first_operand = false;
    let mut pattern_program = false;
    if let Some((_, options)) = PATTERN_FIRST.iter().find(|(p, _)| *p == program) {
        value_options = options;
        skip_first_operand = true;
        pattern_program = true;
    }
    skip_first_operand |= FILTER_FIRST.contains(&program) || TASK_FIRST.contains(&program);
    if NO_FILES.contains(&program) {
        return found.into_iter().map(|(_, f)| f).collect();
    }
    if program == "git" {
        // `git grep PATTERN FILES`; any other subcommand's operands are paths or refs.
        if let Some(sub) = (i..words.len()).find(|&j| !words[j].starts_with('-')) {
            if words[sub] == "grep" {
                value_options = PATTERN_FIRST[0].1;
                skip_first_operand = true;
                pattern_program = true;
            }
            i = sub + 1;
        }
    }
    let is_shell = SHELLS.contains(&program);
    let is_python = program.starts_with("python");
    let mut options_done = false;
    while i < words.len() {
        let at = i;
        let word = words[i].as_str();
        i += 1;
        if !options_done && word == "--" {
            options_done = true;
            continue;
        }
        if !options_done && word.len() > 1 && word.starts_with('-') {
            let (name, value) = match word.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (word, None),
            };
            let short = !name.starts_with("--");
            let pattern_option = pattern_program
                && skip_first_operand
                && (matches!(name, "--regexp" | "--expression") || short && name.ends_with('e'));
            let file_option = pattern_program
                && skip_first_operand
                && (name == "--file" || short && name.ends_with('f'));
            let inline = value.map(str::to_string);
            let takes_value = pattern_option
                || file_option
                || value_options.contains(&name)
                || (is_shell && short && name.ends_with('c'))
                || (is_python && matches!(name, "-m" | "-c"));
            let value = match inline {
                Some(v) => Some(v),
                None if takes_value => {
                    i += 1;
                    words.get(i - 1).cloned()
                }
                None => None,
            };
            if pattern_option || file_option {
                skip_first_operand = false;
            }
            let script = is_shell && short && name.ends_with('c');
            match value {
                Some(v) if script && depth < MAX_NESTING => {
                    found.push((2 * at + 1, Found::Script(v)))
                }
                // A script too deep, a pattern, a module, a count, a glob, a type: not files.
                Some(_)
                    if script || pattern_option || value_options.contains(&name) || is_python => {}
                Some(v) => found.push((2 * at + 1, Found::File(v))),
                None => {}
            }
            continue;
        }
        if skip_first_operand {
            skip_first_operand = false;
            continue;
        }
        found.push((2 * at + 1, Found::File(word.to_string())));
    }
    found.sort_by_key(|(place, _)| *place);
    found.into_iter().map(|(_, f)| f).collect()
}

/// The index of the word that is the program: after assignments (`FOO=1`), keywords and wrappers with their
/// options (and `timeout`'s duration).
fn skip_wrappers(words: &[String]) -> usize {
    let mut i = 0;
    while let Some(word) = words.get(i) {
        if is_assignment(word) || KEYWORDS.contains(&word.as_str()) {
            i += 1;
            continue;
        }
        let Some((wrapper, options)) = WRAPPERS.iter().find(|(w, _)| *w == program_name(word))
        else {
            break;
        };
        i += 1;
        while let Some(option) = words.get(i).filter(|w| w.starts_with('-') && w.len() > 1) {
            i += 1;
            if options.contains(&option.as_str()) {
                i += 1;
            }
        }
        if *wrapper == "timeout"
            && words
                .get(i)
                .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        {
            i += 1;
        }
    }
    i
}

/// `NAME=value` before a command.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The program a word runs: its last path component (`/usr/bin/grep` is `grep`).
fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(script: &str) -> Vec<String> {
        files_in_command(script)
    }

    #[test]
    fn reading_commands_name_their_files() {
        assert_eq!(
            files("sed -n '277,360p' src/types/database.types.ts"),
            ["src/types/database.types.ts"]
        );
        assert_eq!(files("nl -ba src/app.ts | sed -n '1,120p'"), ["src/app.ts"]);
        assert_eq!(
            files("cat README.md && head -n 20 src/main.rs"),
            ["README.md", "src/main.rs"]
        );
        assert_eq!(
            files("cd /repo && cat \"docs/a b.md\" 'lib/xy.ex'"),
            ["lib/xy.ex"]
        );
        assert_eq!(files("sudo FOO=1 cat /etc/hosts.conf"), ["/etc/hosts.conf"]);
    }

    #[test]
    fn a_pattern_or_script_is_not_a_file() {
        assert_eq!(
            files("rg -n config.toml src/settings.rs"),
            ["src/settings.rs"]
        );
        assert_eq!(files("grep -e main.rs -- lib.rs"), ["lib.rs"]);
        assert_eq!(files("sed -i -e 's/a.b/c/' notes.txt"), ["notes.txt"]);
        assert_eq!(files("awk -f prog.awk data.csv"), ["prog.awk", "data.csv"]);
        assert_eq!(files("git grep parse.rs -- src/lib.rs"), ["src/lib.rs"]);
        assert_eq!(
            files("git add src/app.rs src/bin.rs"),
            ["src/app.rs", "src/bin.rs"]
        );
    }

    #[test]
    fn redirections_flag_values_and_nested_scripts_count() {
        assert_eq!(files("npm test 2>&1 > out.log"), ["out.log"]);
        assert_eq!(
            files("echo hi >>notes.txt; cat < in.json"),
            ["notes.txt", "in.json"]
        );
        assert_eq!(files("tsc --project=tsconfig.json"), ["tsconfig.json"]);
        assert_eq!(files("bash -lc 'cat abc.txt | wc -l'"), ["abc.txt"]);
        assert_eq!(
            files("echo $(cat ver.txt) `cat www.txt`"),
            ["ver.txt", "www.txt"]
        );
    }

    #[test]
    fn heredoc_bodies_comments_and_non_files_are_skipped() {
        let script = "cat > hello.py <<'EOF'\nprint(open('words.txt').read())\nEOF\npython3 hello.py # see notes.md\n";
        assert_eq!(files(script), ["hello.py"]);
        assert_eq!(files("cat <<< other.txt"), Vec::<String>::new());
        for s in [
            "ls src/ && cd lib",
            "curl https://example.com/app.js",
            "find . -name '*.rs'",
            "cargo test 2>&1 | tail -30",
            "cat $FILE.txt",
            "pip install pkg==1.2.3",
            "",
        ] {
            assert!(files(s).is_empty(), "{s}: {:?}", files(s));
        }
    }

    #[test]
    fn directories_tasks_modules_packages_and_text_are_not_files() {
        for s in [
            "cd ~/src/next.js && git status",
            "cd ~/.config",
            "mix phx.server",
            "mix deps.get && mix ecto.migrate",
            "python -m http.server 8000",
            "npm i lodash.debounce",
            "echo see notes.md",
            "git commit -m \"Update docs/README.md\"",
            "echo \"Saved results to out/report.json\"",
            "cat \"$HOME/notes.txt\"",
            "cat ${DIR}/config.toml",
        ] {
            let got = files(s);
            assert!(got.is_empty() || s.starts_with("jq"), "{s}: {got:?}");
        }
        assert_eq!(files("jq '.scripts' package.json"), ["package.json"]);
        assert_eq!(
            files("yq '.services' docker-compose.yml"),
            ["docker-compose.yml"]
        );
        assert_eq!(
            files("cd lib && cat telescope/init.lua"),
            ["telescope/init.lua"]
        );
        assert_eq!(files("mix test test/app_test.exs"), ["test/app_test.exs"]);
        assert_eq!(
            files("python3 -m pytest tests/test_io.py"),
            ["tests/test_io.py"]
        );
    }

    #[test]
    fn option_values_and_wrapper_options_are_skipped() {
        assert_eq!(files("grep -A 5 import.meta src/app.ts"), ["src/app.ts"]);
        assert_eq!(
            files("grep -C 2 \"package.json\" scripts/build.sh"),
            ["scripts/build.sh"]
        );
        assert_eq!(files("rg -m 1 config.yaml src/app.ts"), ["src/app.ts"]);
        assert_eq!(files("rg -g '!*.lock' Cargo.toml ."), Vec::<String>::new());
        assert_eq!(files("rg --regexp=main.rs src/lib.rs"), ["src/lib.rs"]);
        assert_eq!(
            files("sudo -u www-data grep -rn foo.bar src/main.rs"),
            ["src/main.rs"]
        );
        assert_eq!(
            files("find . -name x | xargs grep -n foo.bar"),
            Vec::<String>::new()
        );
        assert_eq!(
            files("timeout 60 rg -n config.toml src/app.rs"),
            ["src/app.rs"]
        );
        assert_eq!(files("env -i PATH=/bin bash -c 'cat zz.txt'"), ["zz.txt"]);
        assert_eq!(
            files("if grep -q main.rs src/lib.rs; then cat out.txt; fi"),
            ["src/lib.rs", "out.txt"]
        );
    }

    #[test]
    fn files_come_in_order_of_appearance() {
        assert_eq!(
            files("python3 script.py > output.log 2>&1"),
            ["script.py", "output.log"]
        );
        assert_eq!(
            files("cat src/app.rs > /tmp/out.txt"),
            ["src/app.rs", "/tmp/out.txt"]
        );
        assert_eq!(files("sort < in.txt -o out.txt"), ["in.txt", "out.txt"]);
        assert_eq!(files("echo $((1<<3))\ncat notes.md"), ["notes.md"]);
    }

    #[test]
    fn malformed_scripts_do_not_panic() {
        for s in [
            "'unterminated",
            "\"open \\",
            "<<",
            "cat <<EOF",
            ">",
            "$(",
            "a\\",
            "2>",
            "x=1",
        ] {
            let _ = files(s);
        }
        let long = "cat ab.rs ".repeat(1000);
        assert_eq!(files(&long), ["ab.rs"]);
    }
}
