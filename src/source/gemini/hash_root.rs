//! A project directory named by the SHA-256 of its root (Gemini CLI before short ids), matched back to the root
//! when nothing recorded it: the root is the candidate path whose SHA-256 (of the path as written) is the hash.
//! Candidates, in order:
//! - the paths `projects.json` and `trustedFolders.json` list (beside `tmp/`);
//! - the directories above the absolute paths the project's chats hold. Gemini CLI's file tools take absolute
//!   paths, so a chat that read, listed or wrote a file names its project's root or a path below it. The
//!   directory's chats are searched newest first, by name (Gemini CLI names them `session-<time>-...`), so a
//!   root that only an old chat names is found too.
//!
//! The answer is the directory's, whichever chat asks, and it is remembered, found or not, until the next sync run
//! starts ([`forget_unresolved`]): the exclusions (checked when files are listed) and the assemblers (which read
//! them later) must name the same project, or a project's `.pipeline-ignore` could be missed for a chat stored
//! under that project. A directory where nothing matched is searched again by the next run (a `watch` cycle
//! too). A root once found is kept by the store and given back to later runs ([`remember_root`]), so it stays
//! the answer after the chats that named it are deleted. A chat read whole and searched in vain is not searched
//! again by this process while it is unchanged (same length and modification time), so a `watch` cycle reads
//! only new and rewritten chats and goes on to older ones; a one-shot run starts again from the newest. All
//! reads are bounded ([`MAX_SCANNED_BYTES`] of a chat, [`MAX_SEARCHED_BYTES`] and [`MAX_CHATS`] chats a
//! search).

use super::project::{project_dir, project_root, registry};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// How much of one chat is searched for absolute paths.
const MAX_SCANNED_BYTES: u64 = 256 * 1024;
/// Most chats of one project directory searched (the newest), and most bytes read in all by one search.
const MAX_CHATS: usize = 4_096;
const MAX_SEARCHED_BYTES: u64 = 32 * 1024 * 1024;
/// Most chats remembered as searched in vain (the memory starts over beyond it).
const MAX_SEARCHED_CHATS: usize = 65_536;
/// Most distinct paths taken from one chat, and the longest.
const MAX_PATHS: usize = 256;
const MAX_PATH_BYTES: usize = 4_096;
/// Most directories hashed for one project directory (bounds the work on chats full of deep paths).
const MAX_HASHED: usize = 16_384;
/// What this process found for each project directory and the hashes it was matched against, the roots
/// earlier runs found ([`remember_root`]), and the chats searched in vain.
#[derive(Default)]
struct Memo {
    answers: HashMap<(PathBuf, Vec<String>), Option<String>>,
    known: HashMap<PathBuf, String>,
    searched: HashSet<(ChatStamp, Vec<String>)>,
}

/// A chat file as it was when searched: its path, length and modification time.
type ChatStamp = (PathBuf, u64, Option<std::time::SystemTime>);

fn stamp(chat: &Path) -> Option<ChatStamp> {
    let meta = std::fs::metadata(chat).ok()?;
    Some((chat.to_path_buf(), meta.len(), meta.modified().ok()))
}

fn memo() -> &'static Mutex<Memo> {
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    MEMO.get_or_init(|| Mutex::new(Memo::default()))
}

/// A root an earlier run found for the project directory `dir` (the store keeps them): it is the answer for
/// `dir` from now on, even once the chats that named it are gone, if its hash is the directory's.
pub fn remember_root(dir: &Path, root: &str) {
    if let Ok(mut memo) = memo().lock() {
        memo.known.insert(dir.to_path_buf(), root.to_string());
    }
}

/// Directories under `roots` where nothing matched are searched again (a sync run calls this for its sources
/// before it lists the files, so that within one run every question about a directory gets the same answer).
pub fn forget_unresolved(roots: &[PathBuf]) {
    if let Ok(mut memo) = memo().lock() {
        memo.answers.retain(|(dir, _), found| {
            found.is_some() || !roots.iter().any(|root| dir.starts_with(root))
        });
    }
}

/// The project root of the chat at `chat_path`: where Gemini CLI recorded it ([`project_root`]), else, when the
/// chat's project directory is named by a SHA-256 (or the chat's `project_hash` is one), the candidate whose
/// hash it is. `None` when no candidate matches.
pub fn resolve_root(chat_path: &Path, project_hash: Option<&str>) -> Option<String> {
    if let Some(root) = project_root(chat_path) {
        return Some(root);
    }
    let dir = project_dir(chat_path)?;
    let dir_name = dir.file_name().and_then(|n| n.to_str());
    let mut hashes: Vec<String> = project_hash
        .into_iter()
        .chain(dir_name)
        .filter(|h| is_sha256_hex(h))
        .map(str::to_ascii_lowercase)
        .collect();
    if hashes.is_empty() {
        // A short-id directory without a record: the chat's own metadata may still carry the hash.
        hashes.extend(
            head_hash(&read_head(chat_path, MAX_SCANNED_BYTES))
                .filter(|h| is_sha256_hex(h))
                .map(|h| h.to_ascii_lowercase()),
        );
    }
    if hashes.is_empty() {
        return None;
    }
    // One key per directory and set of hashes, however the caller came by them (the metadata's hash is
    // usually the directory's name).
    hashes.sort_unstable();
    hashes.dedup();
    let key = (dir.to_path_buf(), hashes);
    // Held while searching, so two threads asking about one directory get one answer.
    let Ok(mut memo) = memo().lock() else {
        return None;
    };
    if let Some(found) = memo.answers.get(&key) {
        return found.clone();
    }
    let known = memo
        .known
        .get(dir)
        .filter(|root| key.1.contains(&sha256_hex(root)))
        .cloned();
    let found = known.or_else(|| search(dir, chat_path, &key.1, &mut memo.searched));
    memo.answers.insert(key, found.clone());
    found
}

/// The project directory of the chat at `chat_path` when it is named by a SHA-256: a directory whose root
/// [`resolve_root`] may find later, once a chat names a path in it, unless Gemini CLI recorded the root
/// ([`project_root`]). Reads nothing.
pub fn hash_named_dir(chat_path: &Path) -> Option<PathBuf> {
    let dir = project_dir(chat_path)?;
    let named_by_hash = dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_sha256_hex);
    named_by_hash.then(|| dir.to_path_buf())
}

/// Hashes the candidates of the project directory `dir`, whose chat `chat_path` is. Chats in `searched` (in vain,
/// as they are now, for these hashes) are skipped, and those searched in vain now are added.
fn search(
    dir: &Path,
    chat_path: &Path,
    hashes: &[String],
    searched: &mut HashSet<(ChatStamp, Vec<String>)>,
) -> Option<String> {
    let mut hashed = Hashed::new(hashes);
    if let Some(gemini) = dir.parent().and_then(Path::parent) {
        for file in ["projects.json", "trustedFolders.json"] {
            let paths = registry(&gemini.join(file)).unwrap_or_default();
            if let Some(root) = paths.keys().find_map(|p| hashed.root_above(p)) {
                return Some(root);
            }
        }
    }
    let mut budget = MAX_SEARCHED_BYTES;
    for chat in newest_chats(chat_path) {
        let stamp = stamp(&chat).map(|s| (s, hashes.to_vec()));
        if stamp.as_ref().is_some_and(|s| searched.contains(s)) {
            continue;
        }
        let allowed = MAX_SCANNED_BYTES.min(budget);
        let head = read_head(&chat, allowed);
        for path in absolute_paths(&head) {
            if let Some(root) = hashed.root_above(&path) {
                return Some(root);
            }
        }
        budget -= head.len() as u64;
        // All a search ever reads of this chat, as it was stamped.
        let wanted = stamp
            .as_ref()
            .map(|((_, len, _), _)| (*len).min(MAX_SCANNED_BYTES));
        let cut_by_budget =
            allowed < wanted.unwrap_or(MAX_SCANNED_BYTES) && head.len() as u64 == allowed;
        if hashed.exhausted() || cut_by_budget {
            // The search stops, and this chat, not searched in full, is not remembered.
            return None;
        }
        // Remembered only when read whole as stamped: not after a failed read, nor when it changed meanwhile.
        if let Some(stamp) = stamp.filter(|_| Some(head.len() as u64) == wanted) {
            if searched.len() >= MAX_SEARCHED_CHATS {
                searched.clear();
            }
            searched.insert(stamp);
        }
    }
    None
}

/// The chats in `chat_path`'s directory, itself included, newest first by name (Gemini CLI names them
/// `session-<time>-...`), at most [`MAX_CHATS`].
fn newest_chats(chat_path: &Path) -> Vec<PathBuf> {
    let Some(chats) = chat_path.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(chats) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl"))
        .collect();
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.truncate(MAX_CHATS);
    out
}

/// The directories hashed so far, and the hashes they are compared with.
struct Hashed<'a> {
    hashes: &'a [String],
    seen: HashSet<String>,
}

impl<'a> Hashed<'a> {
    fn new(hashes: &'a [String]) -> Self {
        Hashed {
            hashes,
            seen: HashSet::new(),
        }
    }

    fn exhausted(&self) -> bool {
        self.seen.len() >= MAX_HASHED
    }

    /// `path`, or the first directory above it, whose SHA-256 is one of the hashes (a trailing `/` ignored).
    fn root_above(&mut self, path: &str) -> Option<String> {
        let trimmed = path.trim_end_matches('/');
        for dir in Path::new(trimmed).ancestors() {
            let Some(dir) = dir.to_str().filter(|d| !d.is_empty() && *d != "/") else {
                continue;
            };
            if self.exhausted() || !self.seen.insert(dir.to_string()) {
                // Hashed before, and so were the directories above it.
                return None;
            }
            if self.hashes.contains(&sha256_hex(dir)) {
                return Some(dir.to_string());
            }
        }
        None
    }
}

pub(super) fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first [`MAX_SCANNED_BYTES`] of a file, and at most `budget` (fewer when it is shorter or unreadable).
fn read_head(path: &Path, budget: u64) -> Vec<u8> {
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file
            .take(MAX_SCANNED_BYTES.min(budget))
            .read_to_end(&mut head);
    }
    head
}

/// The first `"projectHash"` string value in `bytes`.
fn head_hash(bytes: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"projectHash\":";
    let at = memchr::memmem::find(bytes, KEY)?;
    let value = bytes.get(at + KEY.len()..)?.trim_ascii_start();
    serde_json::Deserializer::from_slice(value)
        .into_iter::<String>()
        .next()?
        .ok()
}

/// The distinct JSON strings in `bytes` that are absolute Unix paths (`"/...`, one line), in order. Linear:
/// each string is parsed from at most [`MAX_PATH_BYTES`] bytes, and a quote that is escaped (`\"/`, inside
/// another string) starts none.
fn absolute_paths(bytes: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for at in memchr::memmem::find_iter(bytes, b"\"/") {
        if out.len() >= MAX_PATHS {
            break;
        }
        if at > 0 && bytes[at - 1] == b'\\' {
            continue;
        }
        let window = &bytes[at..bytes.len().min(at + MAX_PATH_BYTES + 2)];
        let Some(Ok(path)) = serde_json::Deserializer::from_slice(window)
            .into_iter::<String>()
            .next()
        else {
            continue;
        };
        let plausible =
            path.len() <= MAX_PATH_BYTES && !path.contains(['\n', '\0']) && !path.starts_with("//");
        if plausible && !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::source::testing::write;

    #[test]
    fn a_path_in_the_chat_names_the_root_its_hash_was_made_from() {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = "/home/me/src/my app";
        let tmp = home.path().join(".gemini/tmp").join(sha256_hex(root));
        let chat = tmp.join("chats/session-2025-01-01T10-00-aaaa.json");
        write(
            &chat,
            r#"{"messages": [{"toolCalls": [{"args": {"absolute_path": "/home/me/src/my app/src/main.rs"}}]}]}"#,
        );
        assert_eq!(resolve_root(&chat, None).as_deref(), Some(root));
        // Every chat of the directory has the root, even one that names no path.
        let quiet = tmp.join("chats/session-2025-01-02T10-00-bbbb.json");
        write(&quiet, r#"{"messages": []}"#);
        assert_eq!(resolve_root(&quiet, None).as_deref(), Some(root));
    }

    #[test]
    fn nothing_found_is_asked_again_after_forget_unresolved_and_a_remembered_root_stays_the_answer()
    {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let tmp = home.path().join(".gemini/tmp");
        let root = "/srv/late";
        let chats = tmp.join(sha256_hex(root)).join("chats");
        let quiet = chats.join("session-2025-01-01T10-00-aaaa.json");
        write(&quiet, r#"{"messages": []}"#);
        assert_eq!(resolve_root(&quiet, None), None);
        write(
            &chats.join("session-2025-01-02T10-00-bbbb.json"),
            r#"{"x": "/srv/late/src/lib.rs"}"#,
        );
        assert_eq!(
            resolve_root(&quiet, None),
            None,
            "the same answer within a run"
        );
        forget_unresolved(&[tmp.join("elsewhere")]);
        assert_eq!(
            resolve_root(&quiet, None),
            None,
            "only under the run's sources"
        );
        forget_unresolved(&[home.path().to_path_buf()]);
        assert_eq!(resolve_root(&quiet, None).as_deref(), Some(root));

        // A root an earlier run found, though no chat names it now; a wrong one is not taken.
        let kept = "/srv/kept";
        let dir = tmp.join(sha256_hex(kept));
        let chat = dir.join("chats/session-2025-01-03T10-00-cccc.json");
        write(&chat, r#"{"messages": []}"#);
        remember_root(&dir, kept);
        assert_eq!(resolve_root(&chat, None).as_deref(), Some(kept));
        let wrong = tmp.join(sha256_hex("/srv/other"));
        let chat = wrong.join("chats/session-2025-01-03T10-00-dddd.json");
        write(&chat, r#"{"messages": []}"#);
        remember_root(&wrong, kept);
        assert_eq!(resolve_root(&chat, None), None);
    }

    #[test]
    fn a_sibling_chat_or_a_registry_can_name_the_root() {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let gemini = home.path().join(".gemini");
        let root = "/work/proj";
        let dir = gemini.join("tmp").join(sha256_hex(root));
        let quiet = dir.join("chats/session-2025-01-02T10-00-bbbb.json");
        write(&quiet, r#"{"messages": []}"#);
        write(
            &dir.join("chats/session-2025-01-01T10-00-aaaa.json"),
            r#"{"x": "/work/proj/"}"#,
        );
        assert_eq!(resolve_root(&quiet, None).as_deref(), Some(root));

        let other = "/srv/other";
        let dir = gemini.join("tmp").join(sha256_hex(other));
        let chat = dir.join("chats/session-2025-01-01T10-00-cccc.json");
        write(&chat, r#"{"messages": [{"content": "/tmp/unrelated"}]}"#);
        write(
            &gemini.join("trustedFolders.json"),
            r#"{"/srv/other": "TRUST_FOLDER", "/x": "TRUST_FOLDER"}"#,
        );
        assert_eq!(resolve_root(&chat, None).as_deref(), Some(other));
    }

    #[test]
    fn every_chat_of_a_directory_gets_the_same_answer_whichever_asks_first() {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = "/srv/many";
        let chats = home
            .path()
            .join(".gemini/tmp")
            .join(sha256_hex(root))
            .join("chats");
        // Only the oldest chat names the root, and it is not among the newest MAX_CHATS.
        let oldest = chats.join("session-2025-01-00.json");
        write(&oldest, r#"{"messages": [{"content": "/srv/many/a.rs"}]}"#);
        for i in 1..=MAX_CHATS {
            write(
                &chats.join(format!("session-2025-01-{i:02}.json")),
                r#"{"messages": []}"#,
            );
        }
        let newest = chats.join(format!("session-2025-01-{MAX_CHATS:02}.json"));
        let first = resolve_root(&newest, None);
        assert_eq!(resolve_root(&oldest, None), first);
        assert_eq!(first, None, "the directory's newest chats name no path");
    }

    #[test]
    fn a_root_only_an_old_chat_names_is_found_and_unchanged_chats_are_not_searched_again() {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = "/srv/old";
        let chats = home
            .path()
            .join(".gemini/tmp")
            .join(sha256_hex(root))
            .join("chats");
        let quiet: Vec<PathBuf> = (10..40)
            .map(|i| chats.join(format!("session-2025-02-{i:02}.json")))
            .collect();
        for chat in &quiet {
            write(chat, r#"{"messages": [{"content": "/tmp/elsewhere"}]}"#);
        }
        let newest = &quiet[quiet.len() - 1];
        assert_eq!(resolve_root(newest, None), None);
        let remembered = |chat: &Path| {
            let stamp = stamp(chat).unwrap_or_else(|| panic!("{chat:?} exists"));
            let key = (stamp, vec![sha256_hex(root)]);
            memo().lock().is_ok_and(|m| m.searched.contains(&key))
        };
        assert!(quiet.iter().all(|c| remembered(c)), "searched in vain");

        // The oldest chat is rewritten and now names a path under the root: its new stamp is searched, though
        // thirty newer chats name none.
        write(
            &quiet[0],
            r#"{"messages": [{"content": "/srv/old/src/a.rs"}]}"#,
        );
        assert!(!remembered(&quiet[0]));
        forget_unresolved(&[home.path().to_path_buf()]);
        assert_eq!(resolve_root(newest, None).as_deref(), Some(root));
    }

    #[test]
    fn nothing_matches_without_a_hash_or_a_candidate() {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let tmp = home.path().join(".gemini/tmp");
        let hashed = tmp
            .join(sha256_hex("/nowhere/seen"))
            .join("chats/session-1.json");
        write(
            &hashed,
            r#"{"messages": [{"content": "/home/me/else/file.rs"}]}"#,
        );
        assert_eq!(resolve_root(&hashed, None), None);
        // Not a hash: no search (a short id is mapped by projects.json or .project_root only).
        let short = tmp.join("my-app/chats/session-1.json");
        write(
            &short,
            r#"{"messages": [{"content": "/home/me/my-app/a.rs"}]}"#,
        );
        assert_eq!(resolve_root(&short, None), None);
        // ... unless the chat's metadata names the hash.
        let named = tmp.join("named/chats/session-1.json");
        let meta = format!(
            r#"{{"projectHash": "{}", "messages": [{{"content": "/home/me/named/a.rs"}}]}}"#,
            sha256_hex("/home/me/named")
        );
        write(&named, &meta);
        assert_eq!(
            resolve_root(&named, None).as_deref(),
            Some("/home/me/named")
        );
    }

    #[test]
    fn only_whole_absolute_path_strings_are_candidates() {
        let got = absolute_paths(
            br#"{"a": "/x/y", "b": "/x/y", "c": "not/abs", "d": "/multi\nline", "e": "//net/share", "f": "/z"}"#,
        );
        assert_eq!(got, ["/x/y", "/z"]);
        // A quoted path inside another string (escaped quotes) is that string's text, not a path of its own; and
        // a run of them costs one short parse each, never a parse to the end of the enclosing string.
        let inner = br#"{"output": "ran \"/usr/bin/env\" in \"/srv/app\"", "p": "/ok"}"#;
        assert_eq!(absolute_paths(inner), ["/ok"]);
        let many = "\\\"/".repeat(50_000);
        assert!(absolute_paths(format!("{{\"o\": \"{many}\"}}").as_bytes()).is_empty());
        assert_eq!(head_hash(br#"{"projectHash": 1}"#), None);
        assert_eq!(
            head_hash(br#"{"projectHash":  "ab"}"#).as_deref(),
            Some("ab")
        );
    }
}
