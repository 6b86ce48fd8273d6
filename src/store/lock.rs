//! One writer per data dir, many readers. A writer (`run`, `resume`, `reset`) holds an exclusive lock on
//! `<data dir>/writer.lock` for its whole life; readers never wait for it: while it is held they read the last
//! published snapshot instead of the database (see `snapshot`).

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

const LOCK_FILE: &str = "writer.lock";

/// Held while a process writes to the data dir; released on drop (and by the OS if the process dies).
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

fn open(data_dir: &Path) -> Result<File> {
    std::fs::create_dir_all(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let path = data_dir.join(LOCK_FILE);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))
}

impl WriterLock {
    /// Takes the lock or fails at once with [`Error::Locked`].
    pub fn acquire(data_dir: &Path) -> Result<Self> {
        let file = open(data_dir)?;
        match file.try_lock() {
            Ok(()) => Ok(WriterLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Locked {
                data_dir: data_dir.to_path_buf(),
            }),
            Err(TryLockError::Error(e)) => Err(Error::io(data_dir.join(LOCK_FILE), e)),
        }
    }

    /// True while some process holds the writer lock.
    pub fn is_held(data_dir: &Path) -> bool {
        let Ok(file) = open(data_dir) else {
            return false;
        };
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                false
            }
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_writer_is_refused_and_readers_see_the_writer() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert!(!WriterLock::is_held(dir.path()));
        let first = WriterLock::acquire(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            WriterLock::acquire(dir.path()),
            Err(Error::Locked { .. })
        ));
        assert!(WriterLock::is_held(dir.path()));
        drop(first);
        assert!(!WriterLock::is_held(dir.path()));
        assert!(WriterLock::acquire(dir.path()).is_ok());
    }
}
