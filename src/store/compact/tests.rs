use super::*;
use crate::store::EmbeddedStore;

fn state(dir: &Path) -> SyncState {
    SyncState::open_writer(dir).unwrap_or_else(|e| panic!("{e}"))
}

/// A tree's name and its records.
type TreeRecords = (Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>);

/// Every tree's records, for comparing two databases.
fn records(s: &SyncState) -> Vec<TreeRecords> {
    let mut names = s.db.tree_names();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let tree = s.db.open_tree(&name).unwrap_or_else(|e| panic!("{e}"));
            let kvs = tree
                .iter()
                .filter_map(|kv| kv.ok())
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect();
            (name.to_vec(), kvs)
        })
        .collect()
}

fn file_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(file_bytes(&e.path()));
        } else {
            out.extend(std::fs::read(e.path()).unwrap_or_default());
        }
    }
    out
}

#[test]
fn compaction_keeps_every_live_record_and_drops_removed_bytes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let s = state(dir.path());
    s.meta_put("keep", b"kept value")
        .unwrap_or_else(|e| panic!("{e}"));
    s.meta_put("gone", b"FORGOTTEN-TEXT-0123456789")
        .unwrap_or_else(|e| panic!("{e}"));
    s.meta_remove("gone").unwrap_or_else(|e| panic!("{e}"));
    let before = records(&s);
    assert!(
        memchr::memmem::find(&file_bytes(dir.path()), b"FORGOTTEN-TEXT").is_some(),
        "sled keeps it"
    );
    let (s, compacted) = s.compact().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(records(&s), before);
    assert!(compacted.bytes_after > 0);
    drop(s);
    assert!(memchr::memmem::find(&file_bytes(dir.path()), b"FORGOTTEN-TEXT").is_none());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("store.")), "{names:?}");
    assert_eq!(EmbeddedStore::of(&state(dir.path())).point_count(), 0);
}

#[test]
fn a_compaction_killed_between_its_steps_is_finished_or_undone_by_the_next_writer() {
    // What a kill (or a reader creating an empty store in the swap window) can leave: which database sits at
    // `store`, whether `store.compacting` (the copy) and `store.old` exist, whether the marker says the copy is
    // complete; and which database must win.
    for (at_store, has_fresh, has_old, marker, winner) in [
        (Some("old"), true, false, false, "old"), // killed while copying: the copy is discarded
        (Some("old"), true, false, true, "fresh"), // marker written, nothing renamed yet
        (None, true, true, true, "fresh"),        // killed between the renames
        (Some("empty"), true, true, true, "fresh"), // a reader created an empty store in that window
        (Some("fresh"), false, true, true, "fresh"), // killed before deleting the replaced store
        (Some("fresh"), false, false, true, "fresh"), // killed before removing the marker
        (None, false, true, false, "old"),          // no complete copy: the old store comes back
    ] {
        let case = format!("{at_store:?} {has_fresh} {has_old} {marker}");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (store, fresh, old) = (
            dir.path().join(STORE),
            dir.path().join(COMPACTING),
            dir.path().join(REPLACED),
        );
        // Each database is made apart and moved into place.
        let make = |value: &str, place: &Path| {
            let apart = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let s = state(apart.path());
            if value != "empty" {
                s.meta_put("v", value.as_bytes())
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            drop(s);
            std::fs::rename(apart.path().join(STORE), place).unwrap_or_else(|e| panic!("{e}"));
        };
        if let Some(v) = at_store {
            make(v, &store);
        }
        if has_fresh {
            make("fresh", &fresh);
        }
        if has_old {
            make("old", &old);
        }
        if marker {
            std::fs::write(dir.path().join(COMPLETE), b"").unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(
            interrupted(dir.path()),
            marker || at_store.is_none(),
            "{case}"
        );
        if interrupted(dir.path()) {
            assert!(
                matches!(SyncState::open(dir.path()), Err(Error::Locked { .. })),
                "{case}: a reader waits"
            );
        }
        let s = state(dir.path());
        let v = s.meta_get("v").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.as_deref(), Some(winner.as_bytes()), "{case}");
        assert!(
            !fresh.exists() && !old.exists() && !dir.path().join(COMPLETE).exists(),
            "{case}"
        );
    }
}
