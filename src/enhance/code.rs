//! Detection of code in a message: a fenced block, or at least `MIN_CODE_LINES` lines shaped like code.
//!
//! A line is code-like when its shape is one prose rarely has: it ends with `{`, is a closing brace, ends with `;`
//! next to code punctuation, starts with a case-sensitive code keyword (`fn `, `def `, `import `, `#include`,
//! `$ ` shell prompts, ...), is a call like `foo.bar(x)`, an assignment like `x = 1`, a markup tag, a JSON member,
//! or an indented line with a call or operator. One such line is not enough: ordinary prose with a parenthesis, a
//! colon or even one odd line never reaches the threshold.

use std::sync::LazyLock;

/// Code-like lines needed (without a fence) for a text to count as containing code.
const MIN_CODE_LINES: usize = 2;

/// Longest trimmed line (in bytes) that the suffix rules consider: longer lines are prose paragraphs.
const MAX_CODE_LINE: usize = 240;

/// Whether `text` contains code: a ``` / ~~~ fence, or at least `MIN_CODE_LINES` code-like lines.
pub fn has_code(text: &str) -> bool {
    if has_fence(text) {
        return true;
    }
    let mut count = 0;
    for line in text.lines() {
        if line.trim_start().starts_with("~~~") {
            return true;
        }
        if is_code_line(line) {
            count += 1;
            if count >= MIN_CODE_LINES {
                return true;
            }
        }
    }
    false
}

/// Whether `text` contains a ``` fence marker.
pub fn has_fence(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"```").is_some()
}

/// A list of prefixes grouped by first byte, so that a line is only compared with the prefixes that can match.
struct Prefixes {
    by_first: Vec<Vec<&'static str>>,
}

impl Prefixes {
    fn new(list: &[&'static str]) -> Self {
        let mut by_first = vec![Vec::new(); 256];
        for p in list {
            if let Some(group) = p
                .bytes()
                .next()
                .and_then(|b| by_first.get_mut(usize::from(b)))
            {
                group.push(*p);
            }
        }
        Prefixes { by_first }
    }

    /// Whether `t` starts with one of the prefixes.
    fn any_prefix_of(&self, t: &str) -> bool {
        t.bytes()
            .next()
            .and_then(|b| self.by_first.get(usize::from(b)))
            .is_some_and(|group| group.iter().any(|p| t.starts_with(p)))
    }
}

static ALWAYS: LazyLock<Prefixes> = LazyLock::new(|| Prefixes::new(ALWAYS_PREFIXES));
static COMMANDS: LazyLock<Prefixes> = LazyLock::new(|| Prefixes::new(COMMAND_PREFIXES));

/// Lines starting with these (after indentation) are code whatever follows.
const ALWAYS_PREFIXES: &[&str] = &[
    "fn ",
    "pub fn ",
    "pub(crate) ",
    "pub struct ",
    "pub enum ",
    "pub trait ",
    "pub mod ",
    "pub use ",
    "pub const ",
    "async fn ",
    "impl ",
    "impl<",
    "#[",
    "#![",
    "def ",
    "async def ",
    "#include",
    "#define",
    "#!/",
    "$ ",
    "function ",
    "const ",
    "let mut ",
    "var ",
    "func ",
    "elif ",
    "#pragma",
    "} else",
    "SELECT ",
    "INSERT INTO",
    "CREATE TABLE",
    "UPDATE ",
    "DELETE FROM",
    ">>> ",
];

/// Lines starting with these are code unless they end like a sentence (with a period).
const COMMAND_PREFIXES: &[&str] = &[
    "import ", "export ", "package ", "return ", "npm ", "npx ", "yarn ", "pnpm ", "cargo ",
    "git ", "pip ", "docker ", "cd ", "sudo ", "mkdir ", "python ", "python3 ", "node ", "struct ",
    "enum ", "trait ", "mod ", "class ", "print(", "console.", "echo ", "curl ", "if (", "for (",
    "while (", "switch (", "try {", "} catch", "except ", "raise ", "throw ", "await ", "let ",
    "// ", "/* ", "<?php",
];

fn is_list_item(t: &str) -> bool {
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ") {
        return true;
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
}

/// Common English function words, which shell commands and code lines rarely contain outside quotes.
const PROSE_WORDS: &[&str] = &[
    "the", "a", "an", "is", "are", "was", "were", "to", "of", "and", "it", "this", "that", "my",
    "i", "me", "you", "we", "be", "on", "in", "at", "for", "with", "but",
];

/// A line with an English function word and no code punctuation (e.g. "return the list instead").
fn looks_like_prose(t: &str) -> bool {
    let has_code_punct = t.contains([
        '"', '\'', '(', ')', '=', ';', '{', '}', '[', ']', '<', '>', '|', '&', '$', '/', '.',
    ]);
    !has_code_punct
        && t.split_whitespace()
            .skip(1)
            .any(|w| PROSE_WORDS.contains(&w))
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `name(args)` / `obj.method(args)` / `path::f(args)` on its own: no whitespace before the first `(`.
fn is_call_line(t: &str) -> bool {
    if !(t.ends_with(')')
        || t.ends_with(");")
        || t.ends_with("),")
        || t.ends_with(")?")
        || t.ends_with(")."))
    {
        return false;
    }
    let Some(open) = t.find('(') else {
        return false;
    };
    let head = &t[..open];
    !head.is_empty()
        && head.bytes().last().is_some_and(is_ident_byte)
        && head.bytes().all(|b| {
            is_ident_byte(b) || matches!(b, b'.' | b':' | b'$' | b'!' | b'&' | b'*' | b'@')
        })
        && !t.ends_with(").")
}

/// `lhs = rhs` (or `+=`, `:=`, ...) where `lhs` has no spaces and looks like an identifier or member access.
fn is_assignment_line(t: &str) -> bool {
    if t.ends_with('.') {
        return false;
    }
    let Some(eq) = t
        .find(" = ")
        .or_else(|| t.find(" += "))
        .or_else(|| t.find(" := "))
        .or_else(|| t.find(" -= "))
    else {
        return false;
    };
    let lhs = &t[..eq];
    !lhs.is_empty()
        && lhs
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$' || b == b'*')
        && lhs.bytes().all(|b| {
            is_ident_byte(b) || matches!(b, b'.' | b'[' | b']' | b'$' | b'*' | b'\'' | b'"')
        })
}

/// A `(` directly after an identifier character somewhere in the line (`foo(`).
fn has_call(t: &str) -> bool {
    let bytes = t.as_bytes();
    bytes
        .windows(2)
        .any(|w| is_ident_byte(w[0]) && w[1] == b'(')
}

/// Whether one line looks like code.
fn is_code_line(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    if ALWAYS.any_prefix_of(t) {
        return true;
    }
    if !t.ends_with('.') && COMMANDS.any_prefix_of(t) && !looks_like_prose(t) {
        return true;
    }
    if t.starts_with("use ") && (t.contains("::") || t.ends_with(';')) {
        return true;
    }
    if t.starts_with("from ") && t.contains(" import ") {
        return true;
    }
    if t.len() > MAX_CODE_LINE || is_list_item(t) {
        return false;
    }
    if t.ends_with('{') || t.ends_with("{}") || t.ends_with("=>") || t.ends_with("->") {
        return true;
    }
    if matches!(
        t,
        "}" | "};" | "})" | "});" | "}," | "]" | "];" | "fi" | "esac"
    ) {
        return true;
    }
    if t.starts_with('}') || (t.ends_with('}') && t.contains('{')) {
        return true;
    }
    if t.ends_with(';')
        && (t.contains(['=', '(', ')', '[', ']', '"', '.', ':', '<', '>']) || !t.contains(' '))
    {
        return true;
    }
    if is_call_line(t) || is_assignment_line(t) {
        return true;
    }
    if t.starts_with('<')
        && t.ends_with('>')
        && t[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
    {
        return true;
    }
    if t.starts_with('"') && t.contains("\":") {
        return true;
    }
    let indented = line.starts_with("    ") || line.starts_with('\t');
    if indented
        && (has_call(t)
            || t.contains(" = ")
            || t.contains("::")
            || t.contains("->")
            || t.ends_with(':'))
    {
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_block() {
        assert!(has_code("Here you go:\n```rust\nlet x = 1;\n```\n"));
        assert!(has_code("```\nanything\n```"));
        assert!(has_code("~~~\nanything\n~~~"));
    }

    #[test]
    fn rust_snippet_without_fence() {
        let text = "Change it like this:\n\nfn main() {\n    let x = compute(3);\n    println!(\"{x}\");\n}\n";
        assert!(has_code(text));
    }

    #[test]
    fn python_snippet_without_fence() {
        let text = "Try:\nimport os\n\ndef load(path):\n    return open(path).read()\n";
        assert!(has_code(text));
        assert!(has_code("from typing import List\nx = [1, 2]\n"));
    }

    #[test]
    fn shell_session() {
        assert!(has_code("$ cargo build\n$ cargo test\n"));
        assert!(has_code("npm install\nnpm run dev\n"));
    }

    #[test]
    fn prose_is_not_code() {
        assert!(!has_code(
            "The parser (see above) handles this: it skips blank lines."
        ));
        assert!(!has_code(
            "I looked at the config: the timeout is too short (30s).\nWe should raise it; that fixes the flaky test.\n\
             Note: this only affects CI.\nAlso, the author (Bob) agreed."
        ));
        assert!(!has_code(
            "- first item;\n- second item;\n- third (optional) item;"
        ));
        assert!(!has_code(
            "Import the module first.\nThen return to the main page."
        ));
        assert!(!has_code("1) open the file\n2) run the tests\n"));
        assert!(!has_code(
            "let me know\nreturn the list instead\ngit is the tool I use"
        ));
        assert!(!has_code(""));
        assert!(!has_code("🎉🎉🎉\n日本語の文章です。\n"));
    }

    #[test]
    fn single_code_line_is_not_enough() {
        assert!(!has_code("Run foo() afterwards, it should work."));
        assert!(!has_code("Use `let x = 1;` here.\nThat's it."));
        assert!(!has_code("let x = 1;"));
    }

    #[test]
    fn code_lines() {
        assert!(is_code_line("console.log(value);"));
        assert!(is_code_line("self.value = other.value"));
        assert!(is_code_line("<div className=\"x\">"));
        assert!(is_code_line("  \"name\": \"pipeline\","));
        assert!(is_code_line("    if x > 3:"));
        assert!(!is_code_line("The value (x) is fine."));
        assert!(!is_code_line("Note: the build is broken."));
        assert!(!is_code_line("x = 5 is what I expected."));
    }
}
