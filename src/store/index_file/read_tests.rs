//! Unit tests of the index file reader: reading what the writer wrote, and damaged bytes.

use super::*;
use crate::store::embedded::tests::payload;
use crate::store::StoredPoint;

fn written(dir: &Path) -> PathBuf {
    let points = (0..5u128).map(|i| {
        let mut p = payload("s", &format!("u{i}"), 0, 1);
        p.text = format!("chunk {i} about E0502 in main.rs");
        let angle = i as f32 * 0.3;
        Ok((
            Uuid::from_u128(i + 1),
            StoredPoint {
                vector: vec![angle.cos(), angle.sin()],
                payload: p,
            },
        ))
    });
    let path = dir.join("index");
    let identity = Identity {
        created_unix: 7,
        segment_id: 1,
        base_id: 0,
    };
    super::super::write::write(&path, points, identity, &[]).unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn an_index_reads_back_what_was_written() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let index = MappedIndex::open(&written(dir.path()))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no index"));
    assert_eq!(
        (index.doc_count(), index.dimension(), index.created_unix()),
        (5, 2, 7)
    );
    let doc = (0..5)
        .find(|d| index.id(*d) == Uuid::from_u128(3))
        .unwrap_or_else(|| panic!("id 3"));
    assert_eq!(
        index.payload(doc).map(|p| p.uuid).ok().as_deref(),
        Some("u2")
    );
    let record = index.doc(doc);
    let v = index.vector(record.row).unwrap_or_else(|e| panic!("{e}"));
    assert!((v[0] - 0.6f32.cos()).abs() < 1e-6 && (v[1] - 0.6f32.sin()).abs() < 1e-6);
    let scale = index.scale(record.row);
    let mut blocks = index.row_blocks();
    let q = blocks.row(record.row).unwrap_or_else(|e| panic!("{e}"));
    assert!(((q[0] as i8) as f32 * scale - v[0]).abs() < 0.01);
    assert_eq!(index.postings("e0502").count(), 5);
    assert_eq!(index.document_frequency("main.rs"), 5);
    assert_eq!(index.postings("absent").count(), 0);
    assert_eq!(index.uuid_messages("u2"), vec![record.message]);
    assert!(index.uuid_messages("u9").is_empty());
    assert_eq!(index.doc_of(Uuid::from_u128(3)), Some(doc));
    assert_eq!(index.doc_of(Uuid::from_u128(9)), None);
}

#[test]
fn a_damaged_index_is_an_error_naming_the_file_and_another_format_is_ignored() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = written(dir.path());
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    // Cut short: its sections lie outside the file.
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    match MappedIndex::open(&path) {
        Err(e) => assert!(e.to_string().contains(&path.display().to_string()), "{e}"),
        Ok(_) => panic!("a truncated index opened"),
    }
    let mut other = bytes.clone();
    other[8..12].copy_from_slice(&(FORMAT + 1).to_le_bytes());
    std::fs::write(&path, &other).unwrap_or_else(|e| panic!("{e}"));
    assert!(MappedIndex::open(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .is_none());
    std::fs::write(&path, b"short").unwrap_or_else(|e| panic!("{e}"));
    assert!(MappedIndex::open(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .is_none());
}

#[test]
fn damaged_bytes_anywhere_never_panic() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = written(dir.path());
    let good = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut bytes = good.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = next() as u8;
        }
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let Ok(Some(index)) = MappedIndex::open(&path) else {
            continue;
        };
        let mut rows = index.row_blocks();
        for doc in 0..index.doc_count() {
            let r = index.doc(doc);
            let _ = index.payload(doc);
            if MappedIndex::has_row(&r) {
                let _ = rows.row(r.row);
                let _ = index.vector(r.row);
            }
            let _ = index.message(r.message);
            let _ = index.doc_of(index.id(doc));
        }
        let _ = index.postings("e0502").count();
        let _ = index.document_frequency("main.rs");
        let _ = index.uuid_messages("u2");
        let _ = index.children_of("m");
        let _ = index.message_ordinal("m");
        let _ = index.superseded().count();
    }
}
