use super::*;
use crate::store::{EmbeddedStore, StoredPoint};
use crate::synth::secrets::planted_of_kind;
use uuid::Uuid;

fn point(text: &str, redaction: &str, vector: Vec<f32>) -> StoredPoint {
    let mut payload = crate::store::embedded::tests::payload("s", text, 0, 1);
    payload.text = text.to_string();
    payload.redaction_version = redaction.to_string();
    payload.content_hash = crate::payload::content_hash(text);
    StoredPoint { vector, payload }
}

#[test]
fn stale_points_are_redacted_stamped_and_reembedded_only_when_their_text_changed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = SyncState::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let store = EmbeddedStore::of(&state);
    let redactor = Redactor::builtin().unwrap_or_else(|e| panic!("{e}"));
    let github = planted_of_kind(9, "github_token").unwrap_or_else(|| panic!("planted"));
    let ids: Vec<Uuid> = (1..=4u128).map(Uuid::from_u128).collect();
    let mut leaky_branch = point("clean words", "", vec![0.5; 4]);
    leaky_branch.payload.git_branch = Some(format!("fix/{}", github.value));
    store
        .put_points(&[
            (ids[0], point(&github.context, "", vec![0.5; 4])),
            (ids[1], point("nothing to hide here", "", vec![0.5; 4])),
            (
                ids[2],
                point(&github.context, redactor.version(), vec![0.5; 4]),
            ),
            (ids[3], leaky_branch),
        ])
        .unwrap_or_else(|e| panic!("{e}"));

    // Out of time before it starts: nothing is touched, and it says so.
    let embedded = std::cell::RefCell::new(Vec::<String>::new());
    let mut fake_embed = |texts: &[&str]| -> Result<Vec<Vec<f32>>> {
        embedded
            .borrow_mut()
            .extend(texts.iter().map(|t| t.to_string()));
        Ok(texts.iter().map(|_| vec![0.25; 4]).collect())
    };
    let copies_removed = std::cell::Cell::new(0);
    let mut no_copies = || -> Result<()> {
        copies_removed.set(copies_removed.get() + 1);
        Ok(())
    };
    let late = run(
        &state,
        &store,
        &redactor,
        &mut fake_embed,
        &mut no_copies,
        Some(Instant::now()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(late, Reapplied::default());

    let done = run(
        &state,
        &store,
        &redactor,
        &mut fake_embed,
        &mut no_copies,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        done,
        Reapplied {
            rewritten: 3,
            changed: 2,
            reembedded: 1,
            done: true
        }
    );
    let get = |i: usize| {
        store
            .point(ids[i])
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("point {i}"))
    };
    let secret = get(0);
    assert!(!secret.payload.text.contains(&github.value));
    assert!(secret.payload.text.contains(github.neighbour));
    assert_eq!(secret.payload.redacted, vec!["github-pat"]);
    assert_eq!(secret.payload.redaction_version, redactor.version());
    assert_eq!(
        secret.payload.content_hash,
        crate::payload::content_hash(&secret.payload.text)
    );
    assert_eq!(secret.vector, vec![0.25; 4], "embedded again");
    let clean = get(1);
    assert_eq!(
        (
            clean.vector.clone(),
            clean.payload.redaction_version.as_str()
        ),
        (vec![0.5; 4], redactor.version())
    );
    assert_eq!(
        get(2).payload.text,
        github.context,
        "a point of the current version is not touched"
    );
    let branch = get(3);
    assert!(!branch
        .payload
        .git_branch
        .unwrap_or_default()
        .contains(&github.value));
    assert_eq!(branch.vector, vec![0.5; 4], "its text did not change");
    assert_eq!(embedded.borrow().len(), 1);
    assert_eq!(
        copies_removed.get(),
        1,
        "copies of the old text go once, before the change"
    );

    // Recorded: the next run does not scan again.
    store
        .put_points(&[(ids[1], point(&github.context, "", vec![0.5; 4]))])
        .unwrap_or_else(|e| panic!("{e}"));
    let again = run(
        &state,
        &store,
        &redactor,
        &mut fake_embed,
        &mut no_copies,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((again.rewritten, again.done), (0, true));
}
