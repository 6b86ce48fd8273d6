//! One writer per data dir, many readers. A writer (`run`, `resume`, `reset`, `migrate`) holds an exclusive lock on
//! `<data dir>/writer.lock` for its whole life; `watch` holds it only for one short cycle at a time. Readers never
//! wait for it: while it is held they read the last published snapshot instead of the database (see `snapshot`).
//!
//! The holder writes what it is into the file (`run 1234`, `watch 1234`). A writer that finds the lock taken by a
//! watch cycle waits for it (cycles are short); taken by anything else, it fails at once with [`Error::Locked`].

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

const LOCK_FILE: &str = "writer.lock";

/// An exclusive `flock` on `path` (created if missing, never truncated; its directory must exist), or `None` while
/// another process holds it. Released when the file is dropped, and by the OS if the process dies.
pub fn try_lock_file(path: &Path) -> std::io::Result<Option<File>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// True while some process holds a lock on `path`. Probing takes a shared lock for an instant (flock has no query);
/// a missing file is not held, and is not created.
pub fn is_locked(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
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

/// Held while a process writes to the data dir; released on drop (and by the OS if the process dies).
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

fn open(data_dir: &Path) -> Result<File> {
    crate::private::create_dir(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let path = data_dir.join(LOCK_FILE);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))
}

/// What holds the writer lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A one-off writer: run, resume, reset, migrate, the hook.
    Writer,
    /// One cycle of `pipeline watch`.
    Watch,
}

impl Holder {
    fn tag(self) -> &'static str {
        match self {
            Holder::Writer => "run",
            Holder::Watch => "watch",
        }
    }
}

/// How long a writer keeps trying when it finds the lock taken, before it concludes another writer holds it: a
/// reader's probe (`is_held`) holds a shared lock for microseconds, a writer for its whole run.
const PROBE_GRACE: std::time::Duration = std::time::Duration::from_millis(20);

/// How often a writer waiting for a watch cycle tries again.
const WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(25);

impl WriterLock {
    /// Takes the lock or fails at once with [`Error::Locked`].
    pub fn acquire(data_dir: &Path) -> Result<Self> {
        Self::acquire_as(data_dir, Holder::Writer)
    }

    /// Takes the lock for `holder`, or fails at once with [`Error::Locked`].
    pub fn acquire_as(data_dir: &Path, holder: Holder) -> Result<Self> {
        use std::io::{Seek, Write};
        let mut file = open(data_dir)?;
        let probe_gone_by = std::time::Instant::now() + PROBE_GRACE;
        let locked = loop {
            match file.try_lock() {
                Err(TryLockError::WouldBlock) if std::time::Instant::now() < probe_gone_by => {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                other => break other,
            }
        };
        match locked {
            Ok(()) => {
                // Say who holds it (best effort: only used to decide whether to wait). Written over the old tag,
                // then cut to length, so a reader never sees an empty file.
                let tag = format!("{} {}\n", holder.tag(), std::process::id());
                let _ = file.seek(std::io::SeekFrom::Start(0));
                let _ = file.write_all(tag.as_bytes());
                let _ = file.set_len(tag.len() as u64);
                Ok(WriterLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => Err(Error::Locked {
                data_dir: data_dir.to_path_buf(),
            }),
            Err(TryLockError::Error(e)) => Err(Error::io(data_dir.join(LOCK_FILE), e)),
        }
    }

    /// Takes the lock as a one-off writer, waiting (until `until`) while a watch cycle holds it; fails at once
    /// with [`Error::Locked`] if another writer holds it.
    pub fn acquire_beside_watch(data_dir: &Path, until: std::time::Instant) -> Result<Self> {
        loop {
            match Self::acquire(data_dir) {
                Err(Error::Locked { .. })
                    if Self::holder(data_dir) == Some(Holder::Watch)
                        && std::time::Instant::now() + WAIT_STEP < until =>
                {
                    std::thread::sleep(WAIT_STEP);
                }
                other => return other,
            }
        }
    }

    /// Waits (at most `max`) while a watch cycle holds the lock; true once it is free. False at once if another
    /// writer holds it, or if the cycle outlasts `max`.
    pub fn wait_out_watch(data_dir: &Path, max: std::time::Duration) -> bool {
        let until = std::time::Instant::now() + max;
        loop {
            match Self::holder(data_dir) {
                None => return true,
                Some(Holder::Watch) if std::time::Instant::now() < until => {
                    std::thread::sleep(WAIT_STEP)
                }
                Some(_) => return false,
            }
        }
    }

    /// What holds the lock, if it is held.
    fn holder(data_dir: &Path) -> Option<Holder> {
        if !Self::is_held(data_dir) {
            return None;
        }
        let text = std::fs::read_to_string(data_dir.join(LOCK_FILE)).unwrap_or_default();
        Some(if text.starts_with("watch ") {
            Holder::Watch
        } else {
            Holder::Writer
        })
    }

    /// True while some process holds the writer lock ([`is_locked`]: the probe's instant shared lock is what
    /// `acquire` rides out); a data dir without a lock file is not held, and is not created.
    pub fn is_held(data_dir: &Path) -> bool {
        is_locked(&data_dir.join(LOCK_FILE))
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
        assert_eq!(WriterLock::holder(dir.path()), Some(Holder::Writer));
        drop(first);
        assert!(!WriterLock::is_held(dir.path()));
        assert_eq!(WriterLock::holder(dir.path()), None);
        assert!(WriterLock::acquire(dir.path()).is_ok());
    }

    #[test]
    fn a_writer_waits_for_a_watch_cycle_but_not_for_another_writer() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cycle =
            WriterLock::acquire_as(dir.path(), Holder::Watch).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(WriterLock::holder(dir.path()), Some(Holder::Watch));
        let path = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
            WriterLock::acquire_beside_watch(&path, until).map(|_| ())
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(cycle);
        assert!(
            waiter.join().is_ok_and(|r| r.is_ok()),
            "took the lock once the cycle ended"
        );

        let writer = WriterLock::acquire(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let started = std::time::Instant::now();
        let until = started + std::time::Duration::from_secs(10);
        assert!(matches!(
            WriterLock::acquire_beside_watch(dir.path(), until),
            Err(Error::Locked { .. })
        ));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "no wait for a writer"
        );
        drop(writer);
    }

    #[test]
    fn a_reader_probing_never_makes_a_writer_fail() {
        // Readers probe (`is_held`) every 25 ms while they wait out a watch cycle; a probe must never look like a
        // second writer to a process taking the lock.
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;
        drop(WriterLock::acquire(dir.path()).unwrap_or_else(|e| panic!("{e}")));
        let stop = Arc::new(AtomicBool::new(false));
        let probes = Arc::new(AtomicU64::new(0));
        let probing = {
            let (path, stop, probes) = (dir.path().to_path_buf(), stop.clone(), probes.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = WriterLock::is_held(&path);
                    probes.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        while probes.load(Ordering::Relaxed) == 0 {
            std::thread::yield_now();
        }
        let mut refused = 0;
        for _ in 0..3000 {
            match WriterLock::acquire(dir.path()) {
                Ok(lock) => drop(lock),
                Err(_) => refused += 1,
            }
        }
        stop.store(true, Ordering::Relaxed);
        let _ = probing.join();
        let probes = probes.load(Ordering::Relaxed);
        assert_eq!(refused, 0, "a probe refused a writer ({probes} probes)");
    }

    #[test]
    fn probing_a_data_dir_that_does_not_exist_creates_nothing() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = root.path().join("none");
        assert!(!WriterLock::is_held(&missing));
        assert_eq!(WriterLock::holder(&missing), None);
        assert!(WriterLock::wait_out_watch(
            &missing,
            std::time::Duration::from_millis(10)
        ));
        assert!(!missing.exists());
    }
}
