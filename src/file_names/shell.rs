//! The files a shell command names. Codex CLI reads every file with a shell command (`sed -n '1,80p' src/app.ts`,
//! `nl -ba src/app.ts`), and Claude Code and Gemini CLI often do; those files are touched as surely as by a `Read`
//! tool. This is a small lexer, not a shell: it knows quotes, escapes, comments, pipes and lists, subshells,
//! redirections and heredocs (whose bodies are text, not commands), and which programs take a pattern or a script
//! before their files (`grep`, `rg`, `sed`, `awk`). A word counts when it looks like a file
//! ([`super::looks_like_file`]): directories, globs, URLs and anything still holding a `$` expansion do not.

use super::looks_like_file;

/// Most files taken from one command.
const MAX_FILES: usize = 32;
/// Programs whose first operand is a pattern or a script, unless a flag gave one (`-e`, `-f`, `--regexp`).
const PATTERN_FIRST: [&str; 9] = [
    "grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "awk", "gawk",
];
/// Words that run the command after them (`sudo cat a.txt`).
const WRAPPERS: [&str; 8] = [
    "sudo", "env", "time", "nohup", "nice", "command", "exec", "builtin",
];
/// Shells whose `-c` script is itself a command (`bash -lc 'cat a.txt'`).
const SHELLS: [&str; 4] = ["sh", "bash", "zsh", "dash"];
/// How deep `bash -c` scripts are followed.
const MAX_NESTING: usize = 2;

/// The files `script` names, in order of appearance, each once: operands of its commands and targets of its
/// redirections.
pub fn files_in_command(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect(script, 0, &mut out);
    out
}

fn collect(script: &str, depth: usize, out: &mut Vec<String>) {
    for command in Lexer::new(script).commands() {
        for word in command.files(depth) {
            if out.len() >= MAX_FILES {
                return;
            }
            match word {
                Found::File(f) => {
                    if looks_like_file(&f) && !out.contains(&f) {
                        out.push(f);
                    }
                }
                Found::Script(s) => collect(&s, depth + 1, out),
            }
        }
    }
}

/// One simple command: its words, and the targets of its redirections.
#[derive(Debug, Default, PartialEq)]
struct Command {
    words: Vec<String>,
    redirects: Vec<String>,
}

enum Found {
    File(String),
    /// A shell's `-c` script, to be read as commands.
    Script(String),
}

impl Command {
    /// The words that may name files: operands (not a pattern-first program's pattern), values of `--flag=value`,
    /// redirection targets; and a shell's `-c` script.
    fn files(&self, depth: usize) -> Vec<Found> {
        let mut found: Vec<Found> = self.redirects.iter().cloned().map(Found::File).collect();
        let mut words = self
            .words
            .iter()
            .skip_while(|w| is_assignment(w))
            .peekable();
        // Wrappers, and the assignments `env` takes.
        while let Some(w) = words.peek() {
            if WRAPPERS.contains(&program_name(w)) || is_assignment(w) {
                words.next();
            } else {
                break;
            }
        }
        let Some(program) = words.next().map(|w| program_name(w)) else {
            return found;
        };
        let mut rest: Vec<&String> = words.collect();
        let mut pattern_first = PATTERN_FIRST.contains(&program);
        if program == "git" {
            // `git grep PATTERN FILES`; any other subcommand's operands are paths or refs.
            if let Some(i) = rest.iter().position(|w| !w.starts_with('-')) {
                pattern_first = rest[i] == "grep";
                rest.drain(..=i);
            }
        }
        let is_shell = SHELLS.contains(&program);
        let mut options_done = false;
        let mut i = 0;
        while i < rest.len() {
            let word = rest[i].as_str();
            i += 1;
            if !options_done && word == "--" {
                options_done = true;
                continue;
            }
            if !options_done && word.len() > 1 && word.starts_with('-') {
                if let Some((_, value)) = word.split_once('=') {
                    found.push(Found::File(value.to_string()));
                    continue;
                }
                let short = !word.starts_with("--");
                let takes_script = if is_shell {
                    short && word.ends_with('c')
                } else {
                    pattern_first && matches!(word, "--regexp" | "--expression")
                        || (pattern_first && short && word.ends_with('e'))
                };
                let takes_file =
                    pattern_first && (word == "--file" || short && word.ends_with('f'));
                if takes_script {
                    if let Some(value) = rest.get(i) {
                        if is_shell && depth < MAX_NESTING {
                            found.push(Found::Script(value.to_string()));
                        }
                        i += 1;
                    }
                    pattern_first = false;
                } else if takes_file {
                    pattern_first = false;
                }
                continue;
            }
            if pattern_first {
                pattern_first = false;
                continue;
            }
            found.push(Found::File(word.to_string()));
        }
        found
    }
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

/// Splits a script into simple commands.
struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    /// Delimiters of heredocs whose bodies start at the next line.
    heredocs: Vec<String>,
}

/// Where the word being read goes.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Word,
    Redirect,
    HeredocDelimiter,
}

impl<'a> Lexer<'a> {
    fn new(script: &'a str) -> Self {
        Lexer {
            chars: script.chars().peekable(),
            heredocs: Vec::new(),
        }
    }

    fn commands(mut self) -> Vec<Command> {
        let mut commands = Vec::new();
        let mut current = Command::default();
        let mut word = String::new();
        // Whether `word` holds a word (an empty quoted word `''` is one).
        let mut in_word = false;
        let mut slot = Slot::Word;
        while let Some(c) = self.chars.next() {
            match c {
                '\'' => {
                    in_word = true;
                    for q in self.chars.by_ref() {
                        if q == '\'' {
                            break;
                        }
                        word.push(q);
                    }
                }
                '"' => {
                    in_word = true;
                    while let Some(q) = self.chars.next() {
                        match q {
                            '"' => break,
                            '\\' => {
                                if let Some(e) = self.chars.next() {
                                    word.push(e);
                                }
                            }
                            _ => word.push(q),
                        }
                    }
                }
                '\\' => match self.chars.next() {
                    Some('\n') | None => {}
                    Some(e) => {
                        in_word = true;
                        word.push(e);
                    }
                },
                '#' if !in_word => {
                    while self.chars.peek().is_some_and(|n| *n != '\n') {
                        self.chars.next();
                    }
                }
                '<' | '>' => {
                    // A file descriptor number just before (`2>`) is not a word.
                    if in_word && word.chars().all(|d| d.is_ascii_digit()) {
                        word.clear();
                        in_word = false;
                    }
                    self.finish_word(&mut word, &mut in_word, slot, &mut current);
                    slot = self.redirection(c);
                }
                '$' if self.chars.peek() == Some(&'(') => {
                    self.finish_word(&mut word, &mut in_word, slot, &mut current);
                    slot = Slot::Word;
                    commands.push(std::mem::take(&mut current));
                }
                '&' if self.chars.peek() == Some(&'>') => {
                    self.finish_word(&mut word, &mut in_word, slot, &mut current);
                    self.chars.next();
                    if self.chars.peek() == Some(&'>') {
                        self.chars.next();
                    }
                    slot = Slot::Redirect;
                }
                '|' | '&' | ';' | '(' | ')' | '`' | '\n' => {
                    self.finish_word(&mut word, &mut in_word, slot, &mut current);
                    slot = Slot::Word;
                    commands.push(std::mem::take(&mut current));
                    if c == '\n' {
                        self.skip_heredoc_bodies();
                    }
                }
                c if c.is_whitespace() => {
                    self.finish_word(&mut word, &mut in_word, slot, &mut current);
                    if slot != Slot::Word && !in_word {
                        // Spaces between `>` and its target.
                        continue;
                    }
                    slot = Slot::Word;
                }
                c => {
                    in_word = true;
                    word.push(c);
                }
            }
            if in_word && slot != Slot::Word && self.chars.peek().is_none_or(|n| n.is_whitespace())
            {
                // A redirection target or heredoc delimiter ends at the next space.
                self.finish_word(&mut word, &mut in_word, slot, &mut current);
                slot = Slot::Word;
            }
        }
        self.finish_word(&mut word, &mut in_word, slot, &mut current);
        commands.push(current);
        commands.retain(|c| !c.words.is_empty() || !c.redirects.is_empty());
        commands
    }

    /// After `<` or `>`: what the next word is (`<<` and `<<-` start a heredoc, `<<<` a string, `>&2` a
    /// descriptor).
    fn redirection(&mut self, first: char) -> Slot {
        if first == '<' && self.chars.peek() == Some(&'<') {
            self.chars.next();
            if self.chars.peek() == Some(&'<') {
                self.chars.next();
                // A here-string is text.
                return Slot::HeredocDelimiter;
            }
            if self.chars.peek() == Some(&'-') {
                self.chars.next();
            }
            self.heredocs.push(String::new());
            return Slot::HeredocDelimiter;
        }
        while self
            .chars
            .peek()
            .is_some_and(|n| matches!(n, '>' | '|' | '&'))
        {
            self.chars.next();
        }
        Slot::Redirect
    }

    fn finish_word(
        &mut self,
        word: &mut String,
        in_word: &mut bool,
        slot: Slot,
        current: &mut Command,
    ) {
        if !*in_word {
            return;
        }
        let w = std::mem::take(word);
        *in_word = false;
        match slot {
            Slot::Word => current.words.push(w),
            Slot::Redirect => current.redirects.push(w),
            Slot::HeredocDelimiter => {
                // Only a heredoc's delimiter is awaited (a here-string's word is dropped).
                if let Some(last) = self.heredocs.last_mut().filter(|d| d.is_empty()) {
                    *last = w;
                }
            }
        }
    }

    /// Skips the bodies of the heredocs opened on the line just ended, each up to its delimiter line.
    fn skip_heredoc_bodies(&mut self) {
        for delimiter in std::mem::take(&mut self.heredocs) {
            if delimiter.is_empty() {
                continue;
            }
            loop {
                let mut line = String::new();
                let mut ended = false;
                for c in self.chars.by_ref() {
                    if c == '\n' {
                        ended = true;
                        break;
                    }
                    line.push(c);
                }
                if line.trim() == delimiter || !ended {
                    break;
                }
            }
        }
    }
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
