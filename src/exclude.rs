//! Keeping transcripts out entirely, before a byte of them is read for indexing:
//! - `[source] exclude` globs. A glob excludes a transcript when it matches the transcript's absolute path or one
//!   of its directories, or the session's working directory (its first `cwd`) or one of that directory's parents.
//!   `*` stays within one path component, `**` crosses them.
//! - The opt-out marker: a file named [`MARKER`] in the session's working directory or one of its parents (a
//!   project opts itself out), or in the transcript's own project directory under the source.
//!
//! An excluded transcript is never parsed, embedded or stored. What was stored before the exclusion stays.

use crate::discover::FoundFile;
use globset::{GlobSet, GlobSetBuilder};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The opt-out marker file's name.
pub const MARKER: &str = ".pipeline-ignore";

/// How much of a transcript is read, at most, to find the session's working directory.
const CWD_PEEK_BYTES: u64 = 1 << 20;

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
}

impl std::fmt::Display for Excluded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Excluded::Glob { pattern, path } => {
                write!(f, "source.exclude {pattern:?} matches {path}")
            }
            Excluded::Marker(m) => write!(f, "{} exists", m.display()),
        }
    }
}

/// The exclusion rules of a pipeline.
#[derive(Debug, Clone)]
pub struct Exclusions {
    patterns: Vec<String>,
    globs: GlobSet,
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
        })
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
        let cwd = PathBuf::from(first_cwd(file)?);
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

/// The first `"cwd"` value in the transcript's first [`CWD_PEEK_BYTES`] (lines are read whole only while they
/// are within that limit).
pub fn first_cwd(file: &Path) -> Option<String> {
    const KEY: &[u8] = b"\"cwd\":";
    let f = std::fs::File::open(file).ok()?;
    let mut reader = BufReader::new(f.take(CWD_PEEK_BYTES));
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        let Some(at) = memchr::memmem::find(&line, KEY) else {
            continue;
        };
        let value = line[at + KEY.len()..].trim_ascii_start();
        let mut stream = serde_json::Deserializer::from_slice(value).into_iter::<String>();
        if let Some(Ok(cwd)) = stream.next() {
            return Some(cwd);
        }
    }
}

#[cfg(test)]
mod tests;
