//! A private data dir. What `pipeline` stores is a copy of the user's conversations with coding agents: prompts,
//! the files the agent read, command output. Redaction removes the secrets it recognises, not everything private,
//! so the data dir is readable by its owner only: directories are created `0700`, and the binary creates its
//! files `0600` (umask `077`, [`owner_only_files`]). A data dir made by an older version, open to others, is
//! closed the next time it is opened.

use std::io;
use std::path::Path;

/// Mode of the directories `pipeline` creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the files the `pipeline` binary creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and any missing parent readable by the owner only; an existing `dir` loses what group and others
/// may do with it (the owner's own bits stay: a directory made read-only on purpose stays read-only).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & !0o077))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// From now on, files and directories this process creates are readable by the owner only (umask `077`), so the
/// files of the store (sled's among them), snapshots, exports and logs are `0600`. Called once by the binary at
/// start; a library user decides for its own process.
pub fn owner_only_files() {
    #[cfg(unix)]
    // SAFETY: umask(2) cannot fail and touches no memory; it only sets the process's file-creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    fn new_directories_and_their_missing_parents_are_owner_only() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("a").join("data");
        create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&dir), DIR_MODE);
        assert_eq!(mode(&tmp.path().join("a")), DIR_MODE);
    }

    #[test]
    fn an_existing_directory_open_to_others_is_closed_and_a_private_one_kept() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        create_dir(&open).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&open), DIR_MODE);

        let read_only = tmp.path().join("read-only");
        std::fs::create_dir(&read_only).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555))
            .unwrap_or_else(|e| panic!("{e}"));
        create_dir(&read_only).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&read_only), 0o500, "closed to others, still read-only");

        let stricter = tmp.path().join("stricter");
        std::fs::create_dir(&stricter).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&stricter, std::fs::Permissions::from_mode(0o500))
            .unwrap_or_else(|e| panic!("{e}"));
        create_dir(&stricter).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            mode(&stricter),
            0o500,
            "a mode closed to others is left alone"
        );
    }
}
