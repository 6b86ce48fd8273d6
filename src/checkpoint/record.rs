//! The checkpoint record and its versioned binary encoding.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Version of the encoding below. A record of another version is treated as unreadable: the file starts over
/// (ids are stable, so that re-writes the same points; nothing is lost or duplicated).
pub const CHECKPOINT_FORMAT: u32 = 2;

/// How far a file is stored: the byte offset, and what identifies the file's bytes before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileCheckpoint {
    pub version: u32,
    pub path: String,
    pub dev: u64,
    pub inode: u64,
    /// Bytes hashed by `head_hash` (the first `HEAD_BYTES`, fewer while the file is shorter).
    pub head_len: u32,
    pub head_hash: [u8; 16],
    /// End of the last complete line whose messages are all stored.
    pub offset: u64,
    /// Bytes hashed by `tail_hash`: those just before `offset`.
    pub tail_len: u32,
    pub tail_hash: [u8; 16],
    /// Size and mtime (ns since the epoch) when the file was read.
    pub size: u64,
    pub mtime_ns: i64,
    /// The read reached `size`: whatever lies between `offset` and `size` is an unfinished last line.
    pub complete: bool,
    /// Parser and enhancer carry-over state, opaque here (bincode of `stages::ResumeState`).
    pub state: Vec<u8>,
    /// Lines read up to `offset`.
    pub lines: u64,
    /// Lines that could not be decoded up to `offset` (skipped, reported).
    pub malformed_lines: u64,
    /// Messages emitted up to `offset` (re-emissions of a growing message counted once per emission).
    pub messages: u64,
    /// Times the file was found rewritten and started over.
    pub restarts: u32,
}

/// Encodes a checkpoint: a little-endian format version, then bincode.
pub fn encode(cp: &FileCheckpoint) -> Result<Vec<u8>> {
    let mut out = CHECKPOINT_FORMAT.to_le_bytes().to_vec();
    out.extend(crate::codec::bincode_bytes("checkpoint", cp)?);
    Ok(out)
}

/// Decodes a checkpoint, rejecting other versions and truncated or corrupted records with a clear error.
pub fn decode(path: &str, bytes: &[u8]) -> Result<FileCheckpoint> {
    let corrupt = |message: String| Error::CorruptCheckpoint {
        path: path.to_string(),
        message,
    };
    let (version, body) = bytes
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupt(format!("record is {} bytes long", bytes.len())))?;
    let version = u32::from_le_bytes(*version);
    if version != CHECKPOINT_FORMAT {
        return Err(corrupt(format!(
            "format version {version}, expected {CHECKPOINT_FORMAT}"
        )));
    }
    let (cp, used): (FileCheckpoint, usize) =
        bincode::serde::decode_from_slice(body, bincode::config::standard())
            .map_err(|e| corrupt(e.to_string()))?;
    if used != body.len() {
        return Err(corrupt(format!("{} trailing bytes", body.len() - used)));
    }
    if cp.version != CHECKPOINT_FORMAT || cp.path != path {
        return Err(corrupt("record does not match its key".to_string()));
    }
    Ok(cp)
}

impl FileCheckpoint {
    /// True when the file as it is now (`stat`) holds lines this checkpoint has not covered.
    pub fn needs_work(&self, stat: &super::FileStat) -> bool {
        !self.complete
            || stat.size != self.size
            || stat.mtime_ns != self.mtime_ns
            || (stat.dev, stat.inode) != (self.dev, self.inode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FileCheckpoint {
        FileCheckpoint {
            version: CHECKPOINT_FORMAT,
            path: "/p/s.jsonl".into(),
            dev: 1,
            inode: 2,
            head_len: 10,
            head_hash: [3; 16],
            offset: 100,
            tail_len: 64,
            tail_hash: [4; 16],
            size: 120,
            mtime_ns: 5,
            complete: false,
            state: vec![1, 2, 3],
            lines: 7,
            malformed_lines: 1,
            messages: 3,
            restarts: 0,
        }
    }

    #[test]
    fn round_trips() {
        let cp = sample();
        assert_eq!(
            decode(&cp.path, &encode(&cp).unwrap_or_else(|e| panic!("{e}"))).ok(),
            Some(cp)
        );
    }

    #[test]
    fn rejects_truncated_corrupted_and_foreign_records() {
        let cp = sample();
        let bytes = encode(&cp).unwrap_or_else(|e| panic!("{e}"));
        assert!(decode(&cp.path, &bytes[..bytes.len() / 2]).is_err());
        assert!(decode(&cp.path, &bytes[..2]).is_err());
        let mut wrong_version = bytes.clone();
        wrong_version[0] = 9;
        assert!(decode(&cp.path, &wrong_version).is_err());
        assert!(decode("/other.jsonl", &bytes).is_err());
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(decode(&cp.path, &trailing).is_err());
    }
}
