//! Keeping transcripts out entirely, before a byte of them is read for indexing:
//! - `[source] exclude` globs. A glob excludes a transcript when it matches the transcript's absolute path or one
//!   of its directories, or the session's working directory (its first `cwd`) or one of that directory's parents.
//!   `*` stays within one path component, `**` crosses them.
//! - The opt-out marker: a file named [`MARKER`] in the session's working directory or one of its parents (a
//!   project opts itself out), or in the transcript's own project directory under the source.
//!
//! - What `pipeline forget` forgot (its tombstones, see `crate::forget`).
//!
//! An excluded transcript is never parsed, embedded or stored. What was stored before an exclusion stays (until
//! `pipeline forget` removes it).

use crate::discover::FoundFile;
use crate::forget::Forget;
use globset::{GlobSet, GlobSetBuilder};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The opt-out marker file's name.
pub const MARKER: &str = ".pipeline-ignore";

/// How much of a transcript is read, at most, to find the session's working directory and id.
const PEEK_BYTES: u64 = 1 << 20;

/// A glob that does not compile, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("source.exclude glob {pattern:?}: {source}")]
pub struct BadGlob {
    pub pattern: String,
    #[source]
    pub source: globset::Error,
}

/// Why a transcript is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Excluded {
    /// A `[source] exclude` glob matched `path` (the transcript, one of its directories, or the working directory).
    Glob { pattern: String, path: String },
    /// This marker file exists.
    Marker(PathBuf),
    /// `pipeline forget` was told to forget it.
    Forgotten(Forget),
}

impl std::fmt::Display for Excluded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Excluded::Glob { pattern, path } => {
                write!(f, "source.exclude {pattern:?} matches {path}")
            }
            Excluded::Marker(m) => write!(f, "{} exists", m.display()),
            Excluded::Forgotten(what) => write!(f, "{what} was forgotten (`pipeline forget`)"),
        }
    }
}

/// The exclusion rules of a pipeline.
#[derive(Debug, Clone)]
pub struct Exclusions {
    patterns: Vec<String>,
    globs: GlobSet,
    /// What `pipeline forget` recorded in the data dir.
    forgotten: Vec<Forget>,
}

impl Exclusions {
    /// Compiles `[source] exclude`.
    pub fn new(patterns: &[String]) -> Result<Self, BadGlob> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|source| BadGlob {
                    pattern: pattern.clone(),
                    source,
                })?;
            builder.add(glob);
        }
        let globs = builder.build().map_err(|source| BadGlob {
            pattern: patterns.join(", "),
            source,
        })?;
        Ok(Exclusions {
            patterns: patterns.to_vec(),
            globs,
            forgotten: Vec::new(),
        })
    }

    /// These exclusions, and what was forgotten.
    pub fn forgetting(mut self, forgotten: Vec<Forget>) -> Self {
        self.forgotten = forgotten;
        self
    }

    /// `found` without the excluded transcripts, and those with the reason.
    pub fn separate(&self, found: Vec<FoundFile>) -> (Vec<FoundFile>, Vec<(FoundFile, Excluded)>) {
        let mut markers = MarkerCache::default();
        let (mut kept, mut left_out) = (Vec::new(), Vec::new());
        for f in found {
            match self.why(Path::new(&f.path), &mut markers) {
                Some(why) => left_out.push((f, why)),
                None => kept.push(f),
            }
        }
        (kept, left_out)
    }

    /// Why `file` is excluded, if it is.
    fn why(&self, file: &Path, markers: &mut MarkerCache) -> Option<Excluded> {
        if let Some(why) = self.matching(file.ancestors()) {
            return Some(why);
        }
        if let Some(marker) = markers.find(std::iter::once(project_dir(file))) {
            return Some(Excluded::Marker(marker));
        }
        let none = Peeked::default();
        if let Some(f) = self.forgotten.iter().find(|f| f.covers(file, &none)) {
            return Some(Excluded::Forgotten(f.clone()));
        }
        let peeked = peek(file);
        if let Some(f) = self.forgotten.iter().find(|f| f.covers(file, &peeked)) {
            return Some(Excluded::Forgotten(f.clone()));
        }
        let cwd = PathBuf::from(peeked.cwd?);
        if let Some(why) = self.matching(cwd.ancestors()) {
            return Some(why);
        }
        markers
            .find(cwd.ancestors().filter(|d| d.parent().is_some()))
            .map(Excluded::Marker)
    }

    /// The first of `paths` a glob matches, with the glob.
    fn matching<'a>(&self, paths: impl Iterator<Item = &'a Path>) -> Option<Excluded> {
        if self.patterns.is_empty() {
            return None;
        }
        for path in paths.filter(|p| p.parent().is_some()) {
            if let Some(&i) = self.globs.matches(path).first() {
                return Some(Excluded::Glob {
                    pattern: self.patterns[i].clone(),
                    path: path.display().to_string(),
                });
            }
        }
        None
    }
}

/// Which directories hold the marker, remembered for one listing.
#[derive(Default)]
struct MarkerCache(HashMap<PathBuf, bool>);

impl MarkerCache {
    fn find<'a>(&mut self, dirs: impl Iterator<Item = &'a Path>) -> Option<PathBuf> {
        for dir in dirs {
            let has = *self
                .0
                .entry(dir.to_path_buf())
                .or_insert_with(|| dir.join(MARKER).is_file());
            if has {
                return Some(dir.join(MARKER));
            }
        }
        None
    }
}

/// The transcript's project directory under the source: its own directory, or for a subagent log
/// (`<project>/<session>/subagents/<agent>.jsonl`) the project's.
fn project_dir(file: &Path) -> &Path {
    let parent = file.parent().unwrap_or(file);
    if parent.file_name().is_some_and(|n| n == "subagents") {
        parent.parent().and_then(Path::parent).unwrap_or(parent)
    } else {
        parent
    }
}

/// What a transcript's first lines say about its session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peeked {
    /// The first `cwd`: the session's working directory.
    pub cwd: Option<String>,
    /// The first `sessionId`.
    pub session_id: Option<String>,
    /// A Gemini CLI chat's project hash, shortened as a project name (`forget --project` of a project that was
    /// stored under its hash still covers the chat once its root is known).
    pub project_hash: Option<String>,
}

/// The first `"cwd"` and `"sessionId"` values in the transcript's first MB.
pub fn peek(file: &Path) -> Peeked {
    let mut found = Peeked::default();
    let Ok(f) = std::fs::File::open(file) else {
        return found;
    };
    let mut reader = BufReader::new(f.take(PEEK_BYTES));
    let mut line = Vec::new();
    // Gemini CLI records no working directory: its chats name their project by hash.
    let mut project_hash = None;
    while found.cwd.is_none() || found.session_id.is_none() {
        if project_hash.is_some() && found.session_id.is_some() {
            break;
        }
        line.clear();
        if !matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            break;
        }
        if found.cwd.is_none() {
            found.cwd = string_after(&line, b"\"cwd\":");
        }
        if found.session_id.is_none() {
            found.session_id = string_after(&line, b"\"sessionId\":");
        }
        if project_hash.is_none() {
            project_hash = string_after(&line, b"\"projectHash\":");
        }
    }
    if found.cwd.is_none() {
        found.cwd = project_hash
            .as_deref()
            .map(|h| crate::source::gemini::project_cwd(file, h));
        found.project_hash = project_hash
            .as_deref()
            .map(crate::source::gemini::short_hash);
    }
    found
}

/// The JSON string after the first `key` in `line`.
fn string_after(line: &[u8], key: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(line, key)?;
    let value = line[at + key.len()..].trim_ascii_start();
    serde_json::Deserializer::from_slice(value)
        .into_iter::<String>()
        .next()?
        .ok()
}

#[cfg(test)]
mod tests;
