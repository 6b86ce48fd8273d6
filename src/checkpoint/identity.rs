//! Is this still the file we checkpointed? (Fluent Bit's offset marker plus a head fingerprint.)

use super::FileCheckpoint;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};

/// Bytes of the file head that identify it.
pub const HEAD_BYTES: u64 = 1024;
/// Bytes before the offset whose hash must still match on resume.
pub const TAIL_BYTES: u64 = 64;

/// What `fstat` says about an open file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub dev: u64,
    pub inode: u64,
    pub size: u64,
    pub mtime_ns: i64,
}

impl FileStat {
    pub fn of(file: &File) -> std::io::Result<Self> {
        let m = file.metadata()?;
        Ok(FileStat {
            dev: m.dev(),
            inode: m.ino(),
            size: m.len(),
            mtime_ns: m
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.mtime_nsec()),
        })
    }
}

fn hash16(bytes: &[u8]) -> [u8; 16] {
    let h = blake3::hash(bytes);
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.as_bytes()[..16]);
    out
}

/// Hash of the first `min(size, HEAD_BYTES)` bytes, with that length.
pub fn head_fingerprint(file: &File, size: u64) -> std::io::Result<(u32, [u8; 16])> {
    let len = size.min(HEAD_BYTES);
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, 0)?;
    Ok((len as u32, hash16(&buf)))
}

/// Hash of the `min(offset, TAIL_BYTES)` bytes before `offset`, with that length.
pub fn tail_hash(file: &File, offset: u64) -> std::io::Result<(u32, [u8; 16])> {
    let len = offset.min(TAIL_BYTES);
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, offset - len)?;
    Ok((len as u32, hash16(&buf)))
}

/// The verdict on a stored checkpoint for the file as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    /// Same file, possibly grown: resume at the offset.
    Resume,
    /// Same content under a new (dev, inode), e.g. copied or restored: resume, but note it.
    Moved,
    /// The file was truncated or rewritten: start over from byte 0.
    Rewritten(String),
}

/// Checks `cp` against the open `file`: offset within the size, head and pre-offset bytes unchanged.
pub fn validate(file: &File, stat: &FileStat, cp: &FileCheckpoint) -> std::io::Result<Validity> {
    if cp.offset > stat.size {
        return Ok(Validity::Rewritten(format!(
            "file shrank to {} bytes, below the checkpoint at byte {}",
            stat.size, cp.offset
        )));
    }
    if u64::from(cp.head_len) > stat.size {
        return Ok(Validity::Rewritten(
            "file is shorter than its recorded head".into(),
        ));
    }
    let mut head = vec![0u8; cp.head_len as usize];
    file.read_exact_at(&mut head, 0)?;
    if hash16(&head) != cp.head_hash {
        return Ok(Validity::Rewritten("the first bytes changed".into()));
    }
    let (tail_len, tail) = tail_hash(file, cp.offset)?;
    if tail_len != cp.tail_len || tail != cp.tail_hash {
        return Ok(Validity::Rewritten(format!(
            "the bytes before the checkpoint at byte {} changed",
            cp.offset
        )));
    }
    if (stat.dev, stat.inode) != (cp.dev, cp.inode) {
        return Ok(Validity::Moved);
    }
    Ok(Validity::Resume)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::CHECKPOINT_FORMAT;
    use std::io::Write;

    fn checkpoint_for(path: &std::path::Path, offset: u64) -> FileCheckpoint {
        let f = File::open(path).unwrap_or_else(|e| panic!("{e}"));
        let stat = FileStat::of(&f).unwrap_or_else(|e| panic!("{e}"));
        let (head_len, head_hash) =
            head_fingerprint(&f, stat.size).unwrap_or_else(|e| panic!("{e}"));
        let (tail_len, tail_hash) = tail_hash(&f, offset).unwrap_or_else(|e| panic!("{e}"));
        FileCheckpoint {
            version: CHECKPOINT_FORMAT,
            path: path.display().to_string(),
            dev: stat.dev,
            inode: stat.inode,
            head_len,
            head_hash,
            offset,
            tail_len,
            tail_hash,
            size: stat.size,
            mtime_ns: stat.mtime_ns,
            complete: true,
            state: Vec::new(),
            lines: 0,
            malformed_lines: 0,
            messages: 0,
            restarts: 0,
        }
    }

    fn verdict(path: &std::path::Path, cp: &FileCheckpoint) -> Validity {
        let f = File::open(path).unwrap_or_else(|e| panic!("{e}"));
        let stat = FileStat::of(&f).unwrap_or_else(|e| panic!("{e}"));
        validate(&f, &stat, cp).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn appended_file_resumes_rewritten_file_restarts() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, b"line one\nline two\n").unwrap_or_else(|e| panic!("{e}"));
        let cp = checkpoint_for(&path, 18);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{e}"));
        f.write_all(b"line three\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verdict(&path, &cp), Validity::Resume);

        // Same length, different bytes before the offset.
        std::fs::write(&path, b"line one\nline TWO\nline three\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(verdict(&path, &cp), Validity::Rewritten(_)));

        // Truncated below the offset.
        std::fs::write(&path, b"line one\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(verdict(&path, &cp), Validity::Rewritten(_)));
    }

    #[test]
    fn copied_file_with_same_content_is_moved() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let a = dir.path().join("a.jsonl");
        std::fs::write(&a, b"x\ny\n").unwrap_or_else(|e| panic!("{e}"));
        let cp = checkpoint_for(&a, 4);
        let b = dir.path().join("b.jsonl");
        std::fs::copy(&a, &b).unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_file(&a).unwrap_or_else(|e| panic!("{e}"));
        std::fs::rename(&b, &a).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verdict(&a, &cp), Validity::Moved);
    }
}
