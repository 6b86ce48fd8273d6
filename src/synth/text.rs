//! Generated text: prose, identifiers, file names, code and command output, filled in from the word pools.

use super::rng::Rng;
use super::vocabulary::*;

/// Expands `{x}` slots: i=snake ident, I=Type, v=noun, f=file, d=dir, n=number, p=port, m=module,
/// t=tech term, e=error string, c=shell command. Other braces are copied as they are.
pub(super) fn fill(rng: &mut Rng, t: &str) -> String {
    let mut out = String::with_capacity(t.len() + 64);
    fill_into(rng, t, &mut out, 0);
    out
}

pub(super) fn fill_into(rng: &mut Rng, t: &str, out: &mut String, depth: u8) {
    let b = t.as_bytes();
    let (mut i, mut last) = (0, 0);
    while i + 2 < b.len() {
        let key = b[i + 1];
        if b[i] == b'{' && b[i + 2] == b'}' && b"iIvfdnpmtec".contains(&key) {
            out.push_str(t.get(last..i).unwrap_or(""));
            slot(rng, key, out, depth);
            i += 3;
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(t.get(last..).unwrap_or(""));
}

pub(super) fn slot(rng: &mut Rng, key: u8, out: &mut String, depth: u8) {
    let list = match key {
        b'i' => return out.push_str(&ident(rng)),
        b'I' => return out.push_str(&type_name(rng)),
        b'f' => return out.push_str(&file(rng).0),
        b'n' => return out.push_str(&rng.range(2, 4096).to_string()),
        b'p' => return out.push_str(&rng.range(1024, 65_000).to_string()),
        b'v' => NOUNS,
        b'd' => DIRS,
        b'm' => MODS,
        b't' => TECH,
        b'e' if depth == 0 => ERRORS,
        b'c' if depth == 0 => CMDS,
        _ => return out.push_str("value"),
    };
    let mut t = rng.word(list);
    if key == b'c' {
        t = t.split(';').nth(1).unwrap_or("make");
    }
    fill_into(rng, t, out, depth + 1);
}

pub(super) fn ident(rng: &mut Rng) -> String {
    format!("{}_{}", rng.word(VERBS), rng.word(NOUNS))
}

pub(super) fn type_name(rng: &mut Rng) -> String {
    let (adj, noun) = (rng.word(ADJS), rng.word(NOUNS));
    let first = noun.get(..1).unwrap_or("").to_ascii_uppercase();
    format!("{adj}{first}{}", noun.get(1..).unwrap_or(""))
}

/// A relative source path and its language (0 Rust, 1 Python, 2 TypeScript).
pub(super) fn file(rng: &mut Rng) -> (String, usize) {
    let ext = rng.word(EXTS);
    let lang = ["rs", "py"].iter().position(|e| *e == ext).unwrap_or(2);
    (format!("{}/{}.{ext}", rng.word(DIRS), ident(rng)), lang)
}

pub(super) fn sentences(rng: &mut Rng, pool: &'static str, lo: usize, hi: usize) -> String {
    let mut s = String::new();
    for k in 0..rng.range(lo, hi) {
        if k > 0 {
            s.push_str(if rng.chance(20) { "\n\n" } else { " " });
        }
        let t = rng.word(pool);
        fill_into(rng, t, &mut s, 0);
    }
    s
}

pub(super) fn prose(rng: &mut Rng) -> String {
    let mut s = sentences(rng, SAYS, 2, 6);
    if rng.chance(25) {
        s.push_str("\n\nChanges:");
        for _ in 0..rng.range(2, 4) {
            let (i, t) = (ident(rng), rng.say(SAYS));
            s.push_str(&format!("\n- `{i}`: {t}"));
        }
    }
    s
}

/// Source text of roughly `target` bytes in language `lang`.
pub(super) fn code(rng: &mut Rng, lang: usize, target: usize) -> String {
    let lang = lang % 3;
    let mut s = String::with_capacity(target + 512);
    while s.len() < target {
        let head = rng.word(CODE_HEAD[lang]);
        fill_into(rng, head, &mut s, 1);
        for _ in 0..rng.range(2, 7) {
            let body = rng.word(CODE_BODY[lang]);
            s.push('\n');
            fill_into(rng, body, &mut s, 1);
        }
        s.push('\n');
        fill_into(rng, CODE_TAIL[lang], &mut s, 1);
        s.push_str("\n\n");
    }
    s
}

pub(super) fn code_answer(rng: &mut Rng) -> String {
    let mut s = sentences(rng, SAYS, 1, 3);
    for _ in 0..rng.range(1, 2) {
        let (lang, size) = (rng.below(3), rng.range(1800, 6500));
        let body = code(rng, lang, size);
        s.push_str(&format!("\n\n```{}\n{body}```\n\n", FENCES[lang]));
        s.push_str(&sentences(rng, SAYS, 1, 3));
    }
    s
}

/// Plausible output of a command kind (see `CMDS`), of at least `min` bytes.
pub(super) fn command_output(rng: &mut Rng, kind: &str, min: usize) -> String {
    let mut s = String::new();
    let mut k = 0;
    while k < 3 || s.len() < min {
        k += 1;
        let t = match kind {
            "T" => "test {m}::tests::{i} ... ok",
            "B" if rng.chance(30) => "warning: unused variable: `{v}`\n  --> {f}:{n}:{n}",
            "B" => "   Compiling {m} v0.{n}.{n}",
            "G" => " M {f}",
            "L" => "{n}a{n}f {i}: handle empty {v} in {I}",
            "D" => "-rw-r--r--  1 user user {n} Feb 12 16:02 {f}",
            "R" => "{f}:{n}:    let {v} = {i}(&{v});",
            _ => rng.word(SAYS),
        };
        fill_into(rng, t, &mut s, 1);
        s.push('\n');
    }
    if kind == "T" {
        s.push_str(&format!(
            "\ntest result: ok. {k} passed; 0 failed; 0 ignored"
        ));
    }
    s
}
