//! A private data dir: after a sync and a search, every directory of the data dir is `0700`
//! and every file `0600`, whatever the caller's umask; a data dir left open to others by an older version is
//! closed by the next run.

mod common;

use common::*;
use pipeline::private::{DIR_MODE, FILE_MODE};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// Every directory under `dir` (itself included).
fn every_dir(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(every_dir(&e.path()));
        }
    }
    out
}

#[test]
fn every_directory_and_file_of_the_data_dir_is_the_owners_alone() {
    // The most permissive umask a caller can have (children inherit it): the binary must not rely on the caller's.
    // SAFETY: umask(2) cannot fail and touches no memory.
    unsafe {
        libc::umask(0);
    }
    let (src, root) = (tempdir(), tempdir());
    small_corpus(src.path());
    let data = root.path().join("nested").join("data");
    sync_ok(&data, src.path(), &[]);
    search_report(&data, &["hello world", "--limit", "3"]);
    let files = every_file(&data);
    assert!(files.len() >= 3, "a store was written: {files:?}");
    for file in files {
        assert_eq!(mode(&file), FILE_MODE, "{}", file.display());
    }
    for dir in every_dir(&data) {
        assert_eq!(mode(&dir), DIR_MODE, "{}", dir.display());
    }
    assert_eq!(
        mode(&root.path().join("nested")),
        DIR_MODE,
        "a parent it created"
    );
}

#[test]
fn a_data_dir_open_to_others_is_closed_by_the_next_run() {
    let (src, data) = (tempdir(), tempdir());
    small_corpus(src.path());
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    sync_ok(data.path(), src.path(), &[]);
    assert_eq!(mode(data.path()), DIR_MODE);
}
