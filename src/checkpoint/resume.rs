//! The resume decisions: whether a file holds work past its checkpoint, and where the next read of it starts.
//! Both are made here, from the checkpoint and the file as it is now, so that planning a run and reading a file
//! agree.

use super::identity::{head_fingerprint, tail_hash, validate, FileStat, Validity};
use super::record::{FileCheckpoint, CHECKPOINT_FORMAT};
use std::fs::File;

/// Bytes of the file as it is now (`stat`) that are not covered by its checkpoint: `None` when there is no work
/// (a complete checkpoint of this very file), the whole file when it has no checkpoint or was cut below it.
pub fn pending_bytes(stored: Option<&FileCheckpoint>, stat: &FileStat) -> Option<u64> {
    match stored {
        Some(cp) if !cp.needs_work(stat) => None,
        Some(cp) if cp.offset <= stat.size => Some(stat.size - cp.offset),
        _ => Some(stat.size),
    }
}

/// Where the next read of a file starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// No checkpoint yet: from byte 0.
    New(FileCheckpoint),
    /// From the checkpoint's offset, with its saved state; its identity (dev, inode, size, mtime) refreshed and its
    /// head fingerprint widened while the file is young.
    Resume(FileCheckpoint),
    /// From byte 0 again, because the file is no longer the one that was read (`why`); the reset checkpoint must
    /// be persisted at once, so that a kill now does not resume into the old file's offsets.
    Restart {
        checkpoint: FileCheckpoint,
        why: String,
    },
}

/// Decides where to start reading `path` (open as `file`, `stat` taken now) given its stored checkpoint.
pub fn starting_point(
    path: &str,
    file: &File,
    stat: &FileStat,
    stored: Option<FileCheckpoint>,
) -> std::io::Result<Start> {
    let Some(stored) = stored else {
        return Ok(Start::New(fresh(path, file, stat, 0)?));
    };
    match validate(file, stat, &stored)? {
        Validity::Resume | Validity::Moved => {
            let (head_len, head_hash) = head_fingerprint(file, stat.size)?;
            let mut cp = stored;
            cp.dev = stat.dev;
            cp.inode = stat.inode;
            cp.size = stat.size;
            cp.mtime_ns = stat.mtime_ns;
            cp.complete = false;
            if cp.head_len < head_len {
                cp.head_len = head_len;
                cp.head_hash = head_hash;
            }
            Ok(Start::Resume(cp))
        }
        Validity::Rewritten(why) => Ok(Start::Restart {
            checkpoint: fresh(path, file, stat, stored.restarts + 1)?,
            why: format!("{why}; the file was rewritten"),
        }),
    }
}

/// A checkpoint at byte 0 of the file as it is now, after `restarts` earlier starts over.
pub fn fresh(
    path: &str,
    file: &File,
    stat: &FileStat,
    restarts: u32,
) -> std::io::Result<FileCheckpoint> {
    let (head_len, head_hash) = head_fingerprint(file, stat.size)?;
    Ok(FileCheckpoint {
        version: CHECKPOINT_FORMAT,
        path: path.to_string(),
        dev: stat.dev,
        inode: stat.inode,
        head_len,
        head_hash,
        offset: 0,
        tail_len: 0,
        tail_hash: tail_hash(file, 0).map(|t| t.1).unwrap_or_default(),
        size: stat.size,
        mtime_ns: stat.mtime_ns,
        complete: false,
        state: Vec::new(),
        lines: 0,
        malformed_lines: 0,
        messages: 0,
        restarts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(path: &std::path::Path, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("{e}"));
        f.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
    }

    fn open(path: &std::path::Path) -> (File, FileStat) {
        let f = File::open(path).unwrap_or_else(|e| panic!("{e}"));
        let stat = FileStat::of(&f).unwrap_or_else(|e| panic!("{e}"));
        (f, stat)
    }

    fn start(path: &std::path::Path, stored: Option<FileCheckpoint>) -> Start {
        let (f, stat) = open(path);
        starting_point("s.jsonl", &f, &stat, stored).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A checkpoint after the first `offset` bytes, as the sink would have committed it.
    fn committed_at(path: &std::path::Path, offset: u64, complete: bool) -> FileCheckpoint {
        let (f, stat) = open(path);
        let mut cp = fresh("s.jsonl", &f, &stat, 0).unwrap_or_else(|e| panic!("{e}"));
        let (tail_len, tail) = tail_hash(&f, offset).unwrap_or_else(|e| panic!("{e}"));
        cp.offset = offset;
        cp.tail_len = tail_len;
        cp.tail_hash = tail;
        cp.complete = complete;
        cp.state = vec![7];
        cp
    }

    #[test]
    fn a_grown_file_resumes_at_its_offset_and_a_rewritten_one_restarts() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("s.jsonl");
        write(&path, b"{\"a\":1}\n{\"b\":2}\n");
        assert!(matches!(start(&path, None), Start::New(cp) if cp.offset == 0));

        let cp = committed_at(&path, 16, true);
        let (_, stat) = open(&path);
        assert_eq!(pending_bytes(Some(&cp), &stat), None, "caught up");
        write(&path, b"{\"c\":3}\n");
        let (_, stat) = open(&path);
        assert_eq!(pending_bytes(Some(&cp), &stat), Some(8), "the new line");
        match start(&path, Some(cp.clone())) {
            Start::Resume(r) => {
                assert_eq!((r.offset, r.size, r.complete), (16, 24, false));
                assert_eq!(r.state, vec![7], "the saved state is kept");
            }
            other => panic!("expected a resume, got {other:?}"),
        }

        std::fs::write(&path, b"{\"x\":9}\n").unwrap_or_else(|e| panic!("{e}"));
        let (_, stat) = open(&path);
        assert_eq!(
            pending_bytes(Some(&cp), &stat),
            Some(8),
            "cut below the checkpoint: all of it"
        );
        match start(&path, Some(cp)) {
            Start::Restart { checkpoint, why } => {
                assert_eq!((checkpoint.offset, checkpoint.restarts), (0, 1));
                assert!(checkpoint.state.is_empty());
                assert!(why.contains("rewritten"), "{why}");
            }
            other => panic!("expected a restart, got {other:?}"),
        }
    }
}
