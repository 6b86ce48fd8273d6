//! Splits a shell script into simple commands: their words (quotes removed, escapes applied) and the targets of
//! their redirections, each at its place among the words. A small lexer, not a shell: it knows quotes, escapes,
//! comments, pipes and lists, subshells and `$(...)`, arithmetic `$((...))` (skipped), redirections and heredocs
//! (whose bodies are text, not commands). Nothing is expanded: a word keeps its `$NAME`.

/// One simple command.
#[derive(Debug, Default, PartialEq)]
pub struct Command {
    pub words: Vec<String>,
    /// Each redirection target with the number of words before it.
    pub redirects: Vec<(usize, String)>,
}

/// The simple commands of `script`, in order.
pub fn commands(script: &str) -> Vec<Command> {
    Lexer {
        chars: script.chars().collect(),
        at: 0,
        heredocs: Vec::new(),
        commands: Vec::new(),
        current: Command::default(),
        word: String::new(),
        in_word: false,
        slot: Slot::Word,
    }
    .run()
}

/// Where the word being read goes.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Word,
    Redirect,
    /// The delimiter of a heredoc, or the text of a here-string (dropped).
    Heredoc,
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    /// Delimiters of the heredocs whose bodies start at the next line (empty: a here-string's, none).
    heredocs: Vec<String>,
    commands: Vec<Command>,
    current: Command,
    word: String,
    /// Whether `word` holds a word (an empty quoted word `''` is one).
    in_word: bool,
    slot: Slot,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_is(&self, offset: usize, c: char) -> bool {
        self.chars.get(self.at + offset) == Some(&c)
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn run(mut self) -> Vec<Command> {
        while let Some(c) = self.next() {
            match c {
                '\'' => {
                    self.in_word = true;
                    while let Some(q) = self.next() {
                        if q == '\'' {
                            break;
                        }
                        self.word.push(q);
                    }
                }
                '"' => {
                    self.in_word = true;
                    while let Some(q) = self.next() {
                        match q {
                            '"' => break,
                            '\\' => {
                                if let Some(e) = self.next() {
                                    self.word.push(e);
                                }
                            }
                            _ => self.word.push(q),
                        }
                    }
                }
                '\\' => match self.next() {
                    Some('\n') | None => {}
                    Some(e) => {
                        self.in_word = true;
                        self.word.push(e);
                    }
                },
                '#' if !self.in_word => {
                    while self.peek().is_some_and(|n| n != '\n') {
                        self.at += 1;
                    }
                }
                '$' if self.peek_is(0, '(') && self.peek_is(1, '(') => self.skip_arithmetic(),
                '$' if self.peek_is(0, '(') => self.end_command(),
                '<' | '>' => {
                    // A file descriptor number just before (`2>`) is not a word.
                    if self.in_word && self.word.chars().all(|d| d.is_ascii_digit()) {
                        self.word.clear();
                        self.in_word = false;
                    }
                    self.finish_word();
                    self.slot = self.redirection(c);
                }
                '&' if self.peek() == Some('>') => {
                    self.finish_word();
                    self.at += 1;
                    if self.peek() == Some('>') {
                        self.at += 1;
                    }
                    self.slot = Slot::Redirect;
                }
                '|' | '&' | ';' | '(' | ')' | '`' | '\n' => {
                    self.end_command();
                    if c == '\n' {
                        self.skip_heredoc_bodies();
                    }
                }
                c if c.is_whitespace() => {
                    self.finish_word();
                    // Spaces between `>` and its target keep the slot.
                }
                c => {
                    self.in_word = true;
                    self.word.push(c);
                }
            }
            if self.in_word
                && self.slot != Slot::Word
                && self.peek().is_none_or(|n| n.is_whitespace())
            {
                // A redirection target or heredoc delimiter ends at the next space.
                self.finish_word();
            }
        }
        self.end_command();
        self.commands
    }

    fn end_command(&mut self) {
        self.finish_word();
        self.slot = Slot::Word;
        let done = std::mem::take(&mut self.current);
        if !done.words.is_empty() || !done.redirects.is_empty() {
            self.commands.push(done);
        }
    }

    /// `$((...))`: arithmetic (its `<<` is a shift, not a heredoc), skipped to its closing `))`.
    fn skip_arithmetic(&mut self) {
        self.at += 2;
        let mut depth = 1usize;
        while let Some(c) = self.next() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        if self.peek() == Some(')') {
                            self.at += 1;
                        }
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// After `<` or `>`: what the next word is (`<<` and `<<-` start a heredoc, `<<<` a here-string, `>&2` a
    /// descriptor).
    fn redirection(&mut self, first: char) -> Slot {
        if first == '<' && self.peek() == Some('<') {
            self.at += 1;
            if self.peek() == Some('<') {
                self.at += 1;
                return Slot::Heredoc;
            }
            if self.peek() == Some('-') {
                self.at += 1;
            }
            self.heredocs.push(String::new());
            return Slot::Heredoc;
        }
        while self.peek().is_some_and(|n| matches!(n, '>' | '|' | '&')) {
            self.at += 1;
        }
        Slot::Redirect
    }

    fn finish_word(&mut self) {
        if !self.in_word {
            return;
        }
        let w = std::mem::take(&mut self.word);
        self.in_word = false;
        match self.slot {
            Slot::Word => self.current.words.push(w),
            Slot::Redirect => self.current.redirects.push((self.current.words.len(), w)),
            Slot::Heredoc => {
                // Only a heredoc's delimiter is awaited (a here-string's text is dropped).
                if let Some(last) = self.heredocs.last_mut().filter(|d| d.is_empty()) {
                    *last = w;
                }
            }
        }
        self.slot = Slot::Word;
    }

    /// Skips the bodies of the heredocs opened on the line just ended, each up to its delimiter line.
    fn skip_heredoc_bodies(&mut self) {
        for delimiter in std::mem::take(&mut self.heredocs) {
            if delimiter.is_empty() {
                continue;
            }
            loop {
                let start = self.at;
                while self.peek().is_some_and(|c| c != '\n') {
                    self.at += 1;
                }
                let line: String = self.chars[start..self.at].iter().collect();
                let ended = self.next().is_some();
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

    fn words(script: &str) -> Vec<Vec<String>> {
        commands(script).into_iter().map(|c| c.words).collect()
    }

    #[test]
    fn quotes_escapes_and_separators() {
        assert_eq!(
            words("cat 'a b' \"c\\\"d\" e\\ f | wc -l && echo $(date) `pwd`; x"),
            [
                vec!["cat", "a b", "c\"d", "e f"],
                vec!["wc", "-l"],
                vec!["echo"],
                vec!["date"],
                vec!["pwd"],
                vec!["x"]
            ]
        );
    }

    #[test]
    fn redirections_keep_their_place_among_the_words() {
        let c = commands("sort < in.txt -u 2>&1 > out.txt");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].words, ["sort", "-u"]);
        assert_eq!(
            c[0].redirects,
            [
                (1, "in.txt".to_string()),
                (2, "1".to_string()),
                (2, "out.txt".to_string())
            ]
        );
        assert_eq!(
            commands("make &> build.log")[0].redirects,
            [(1, "build.log".to_string())]
        );
    }

    #[test]
    fn heredoc_bodies_comments_and_arithmetic_are_not_commands() {
        let script = "cat > f.py <<'EOF'\nimport os # not a comment here\nEOF\necho $((1<<3)) # note.md\ncat <<< text.txt\nls";
        assert_eq!(
            words(script),
            [vec!["cat"], vec!["echo"], vec!["cat"], vec!["ls"]]
        );
    }

    #[test]
    fn malformed_scripts_end_without_panic() {
        for s in [
            "'open",
            "\"open \\",
            "<<",
            "cat <<EOF",
            ">",
            "$(",
            "$((",
            "a\\",
            "2>",
            ")))",
            "<<-",
        ] {
            let _ = commands(s);
        }
    }
}
