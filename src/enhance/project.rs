//! A message's project name, from the directory its agent ran in (`cwd`).
//!
//! The name is the directory's last component, except in a git worktree laid out by a known convention, where it
//! is the repository's: a session in `~/code/spotter-worktrees/spotter-dov` or `~/code/spotter/.worktrees/dov`
//! belongs to `spotter`, so `--project spotter` finds the work of every checkout. Only the path is read (not the
//! file system, which may have changed or gone by the time a session is indexed), so the same path always gives
//! the same name.

/// Directories that hold a repository's worktrees inside it: `<repo>/.worktrees/<name>` and
/// `<repo>/.claude/worktrees/<name>` (Claude Code's). (`<repo>/.git/worktrees` is git's metadata, never a `cwd`.)
const INNER_WORKTREE_DIRS: [&[&str]; 2] = [&[".worktrees"], &[".claude", "worktrees"]];

/// Suffixes of a sibling directory holding a repository's worktrees: `<repo>-worktrees/<name>`.
const SIBLING_WORKTREE_SUFFIXES: [&str; 3] = ["-worktrees", "_worktrees", ".worktrees"];

/// The project name of a message run in `cwd` (see the module documentation); `None` for a path with no name.
pub fn project_name(cwd: &str) -> Option<String> {
    repository(&components(cwd)).last().map(|p| p.to_string())
}

/// True when `a` and `b` are the same directory or worktrees (or the main checkout) of the same repository, by
/// the conventions above: `~/code/app` and `~/code/app-worktrees/fix` are, `~/code/app` and `~/old/app` are not.
pub fn same_repository(a: &str, b: &str) -> bool {
    a == b || same_path(&repository(&components(a)), &repository(&components(b)))
}

/// True when a session run in `path` is part of the checkout `checkout` as `--here` means it: the same directory,
/// another worktree (or the main checkout) of the same repository, or a directory below one of them (a session
/// started in `app/backend` is work on `app`). A home directory, or a directory above homes (the root, `/home`,
/// `C:\`), covers only itself and its worktrees, not every project below it.
pub fn within_repository(path: &str, checkout: &str) -> bool {
    if same_repository(path, checkout) {
        return true;
    }
    let checkout = components(checkout);
    if is_home(&checkout) {
        return false;
    }
    let repo = repository(&checkout);
    let parts = components(path);
    (1..parts.len()).any(|end| {
        let above = &parts[..end];
        !is_home(above) && same_path(&repository(above), &repo)
    })
}

/// True when `a` and `b` name the same directory (a Windows drive letter in any case).
pub fn same_dir(a: &str, b: &str) -> bool {
    a == b || same_path(&components(a), &components(b))
}

/// True when `path` is a home directory (`/home/me`, `/Users/me`, `C:\Users\me`, `/root`, `~`) or a directory above
/// homes (the root, `/home`, `C:\`, `/mnt/c`).
pub fn is_home_dir(path: &str) -> bool {
    is_home(&components(path))
}

fn components(cwd: &str) -> Vec<&str> {
    cwd.split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .collect()
}

/// The same path, as components; a Windows drive letter in any case (`c:` and `C:` are one drive).
fn same_path(a: &[&str], b: &[&str]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .enumerate()
            .all(|(i, (x, y))| x == y || (i == 0 && is_drive(x) && x.eq_ignore_ascii_case(y)))
}

/// A Windows drive (`C:`).
fn is_drive(part: &str) -> bool {
    part.len() == 2 && part.ends_with(':') && part.as_bytes()[0].is_ascii_alphabetic()
}

/// The path (as components) of the repository checked out at `parts`: `parts` itself unless a worktree
/// convention says otherwise. The scan goes from the deepest directory up, and the holder a convention names may
/// itself be a worktree (Claude Code run in `app-worktrees/feat` keeps its worktrees in
/// `app-worktrees/feat/.claude/worktrees`), so it is resolved again.
fn repository<'a>(parts: &[&'a str]) -> Vec<&'a str> {
    for i in (0..parts.len()).rev() {
        if let Some(repo) = repository_of_worktree(parts, i) {
            return repo;
        }
    }
    parts.to_vec()
}

/// The repository whose worktree `parts[i]` is, when a convention says so.
fn repository_of_worktree<'a>(parts: &[&'a str], i: usize) -> Option<Vec<&'a str>> {
    // parts[i] is the worktree's own directory: something must hold it.
    let holder = parts.get(..i)?;
    for inner in INNER_WORKTREE_DIRS {
        if let Some(before) = holder.strip_suffix(inner) {
            return (!before.is_empty() && !is_home(before)).then(|| repository(before));
        }
    }
    let (sibling, above) = holder.split_last()?;
    let repo = SIBLING_WORKTREE_SUFFIXES
        .iter()
        .find_map(|suffix| sibling.strip_suffix(suffix))
        .filter(|repo| !repo.is_empty() && !repo.starts_with('.'))?;
    let repo: Vec<&str> = above.iter().copied().chain(std::iter::once(repo)).collect();
    Some(repository(&repo))
}

/// True when `path` is a home directory (`/home/me`, `/Users/me`, `C:\Users\me`, `/mnt/c/Users/me` under WSL,
/// `/root`, `~`, Silverblue's `/var/home/me`) or a directory above homes (the root, `/home`, `/Users`, `C:\`,
/// `C:\Users`, `/mnt`, `/mnt/c`):
/// worktrees kept there (`~/.worktrees/<name>`) say nothing about their repository, and such a directory is no
/// checkout whose subdirectories are its work.
fn is_home(path: &[&str]) -> bool {
    let homes = |dir: &str| dir.eq_ignore_ascii_case("home") || dir.eq_ignore_ascii_case("users");
    let wsl_drive = |mnt: &str, drive: &str| mnt == "mnt" && drive.len() == 1;
    match path {
        [] => true,
        [only] => ["root", "~", "mnt"].contains(only) || homes(only) || is_drive(only),
        [first, second] => {
            homes(first) || wsl_drive(first, second) || (is_drive(first) && homes(second))
        }
        [first, second, third] => {
            ((is_drive(first) || *first == "var") && homes(second))
                || (wsl_drive(first, second) && homes(third))
        }
        [mnt, _, holder, _] => *mnt == "mnt" && homes(holder),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_directory_is_named_by_its_last_component() {
        assert_eq!(
            project_name("/home/me/projects/spotter").as_deref(),
            Some("spotter")
        );
        assert_eq!(
            project_name("/home/me/projects/spotter/").as_deref(),
            Some("spotter")
        );
        assert_eq!(
            project_name(r"C:\Users\me\code\api").as_deref(),
            Some("api")
        );
        assert_eq!(project_name("/"), None);
        assert_eq!(project_name(""), None);
        assert_eq!(project_name(".."), None);
    }

    #[test]
    fn a_worktree_is_named_by_its_repository() {
        for (cwd, want) in [
            (
                "/home/USER/projects/spotter-worktrees/spotter-dov",
                "spotter",
            ),
            (
                "/home/me/code/spotter_worktrees/fix-login/assets/js",
                "spotter",
            ),
            (
                "/Users/t/GitHub/projects/example-project/.worktrees/streaming",
                "example-project",
            ),
            ("/home/me/app/.claude/worktrees/bold-fox", "app"),
            ("/home/me/app/.claude/worktrees/bold-fox/crates/core", "app"),
            // A worktree's own worktrees.
            (
                "/home/me/app-worktrees/feat/.claude/worktrees/agent1",
                "app",
            ),
            (
                "/home/me/app/.worktrees/feat/.claude/worktrees/agent1",
                "app",
            ),
        ] {
            assert_eq!(project_name(cwd).as_deref(), Some(want), "{cwd}");
        }
    }

    #[test]
    fn what_only_looks_like_a_worktree_keeps_its_own_name() {
        for (cwd, want) in [
            // Worktrees kept in the home directory name no repository.
            ("/Users/t/.worktrees/example-feature/skills/tool", "tool"),
            ("/home/me/.worktrees/feature", "feature"),
            ("/root/.worktrees/feature", "feature"),
            ("~/.worktrees/feature", "feature"),
            ("/mnt/c/Users/me/.worktrees/feature", "feature"),
            (r"C:\users\me\.worktrees\feature", "feature"),
            // The holder itself, and a directory merely called "worktrees".
            ("/home/me/code/spotter-worktrees", "spotter-worktrees"),
            ("/home/me/code/worktrees/spotter", "spotter"),
            ("/home/me/code/-worktrees/x", "x"),
        ] {
            assert_eq!(project_name(cwd).as_deref(), Some(want), "{cwd}");
        }
    }

    #[test]
    fn worktrees_of_one_repository_are_the_same_repository() {
        let main = "/home/me/code/spotter";
        assert!(same_repository(main, "/home/me/code/spotter-worktrees/dov"));
        assert!(same_repository(
            main,
            "/home/me/code/spotter/.worktrees/dov"
        ));
        assert!(same_repository(
            "/home/me/code/spotter/.claude/worktrees/a",
            "/home/me/code/spotter-worktrees/b"
        ));
        assert!(!same_repository(main, "/home/me/old/spotter"));
        assert!(!same_repository(main, "/home/me/code/spotter-2"));
        assert!(!same_repository(
            "/home/me/.worktrees/a",
            "/home/me/.worktrees/b"
        ));
    }

    #[test]
    fn here_covers_the_checkout_its_worktrees_and_what_is_below_them() {
        let feat = "/home/me/code/app-worktrees/feat";
        for path in [
            feat,
            "/home/me/code/app",
            "/home/me/code/app/.claude/worktrees/b",
            "/home/me/code/app/backend",
            "/home/me/code/app-worktrees/feat/assets/js",
            "/home/me/code/app-worktrees/other",
        ] {
            assert!(within_repository(path, feat), "{path}");
        }
        for path in [
            "/home/me/code",
            "/home/me/code/app-2",
            "/home/me/code/apple",
            "/home/me/old/app",
            "/home/me",
        ] {
            assert!(!within_repository(path, feat), "{path}");
        }
        // A home directory, or one above homes, covers itself, not every project in it.
        assert!(within_repository("/home/me", "/home/me"));
        for above in [
            "/home/me",
            "/",
            "/home",
            "/Users",
            r"C:\",
            r"C:\Users",
            r"C:\Users\me",
            "/mnt/c",
            "/mnt/c/Users/me",
        ] {
            assert!(!within_repository("/home/me/code/app", above), "{above}");
            assert!(
                !within_repository(r"C:\Users\me\code\app", above),
                "{above}"
            );
            assert!(
                !within_repository("/mnt/c/Users/me/code/app", above),
                "{above}"
            );
        }
        // Homes are recognised by their place, not by a directory merely named so.
        assert!(is_home_dir("/var/home/me") && is_home_dir(r"C:\Users\me"));
        assert!(!is_home_dir("/srv/home/app") && !is_home_dir("/data/users/app"));
        assert!(within_repository("/srv/home/app/api", "/srv/home/app"));
        // A drive letter in either case is one drive.
        assert!(within_repository(
            r"c:\code\app-worktrees\fix",
            r"C:\code\app"
        ));
        assert!(same_repository(r"c:\code\app", r"C:\code\app"));
        // A directory above several projects covers them.
        assert!(within_repository("/home/me/code/app", "/home/me/code"));
    }
}
