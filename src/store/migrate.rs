//! `pipeline migrate`: copies every point (vector and payload) from the store a data dir syncs to into another
//! store, page by page in id order. After each page the target has confirmed, a cursor (the last id copied) is
//! saved durably in the data dir, so a migration killed at any point resumes where it stopped and re-copies at
//! most one page (an overwrite: same ids). At the end every source id is looked up in the target, page by page,
//! and the counts must agree; only then does the data dir switch to the new store (its checkpoints stay valid,
//! since the new store now holds the same points).

use super::qdrant::{filter as qfilter, QdrantStore};
use super::{target, EmbeddedStore, StoredPoint, SyncState};
use crate::config::{SinkConfig, SinkKind};
use crate::error::{Error, Result};
use serde::Serialize;
use std::time::Instant;
use uuid::Uuid;

/// Points per page.
const PAGE: usize = 256;

/// One side of a migration.
pub enum Side<'a> {
    Embedded(&'a EmbeddedStore),
    Qdrant(&'a QdrantStore),
}

impl Side<'_> {
    fn describe(&self) -> String {
        match self {
            Side::Embedded(_) => "the embedded store".to_string(),
            Side::Qdrant(q) => q.describe(),
        }
    }

    fn count(&self) -> Result<u64> {
        match self {
            Side::Embedded(s) => Ok(s.point_count() as u64),
            Side::Qdrant(q) => q.count(None),
        }
    }

    /// Up to `PAGE` points after `after`, in id order.
    fn page_after(&self, after: Option<Uuid>) -> Result<Vec<(Uuid, StoredPoint)>> {
        match self {
            Side::Embedded(s) => s.points_after(after, PAGE),
            Side::Qdrant(q) => {
                // Qdrant's scroll offset is inclusive: start at the cursor and drop it.
                let page = q.scroll(
                    None,
                    after.map(super::qdrant::encode::point_id),
                    PAGE as u32 + 1,
                    true,
                )?;
                let mut points: Vec<_> = page
                    .points
                    .into_iter()
                    .filter(|(id, _)| Some(*id) != after)
                    .collect();
                points.truncate(PAGE);
                Ok(points)
            }
        }
    }

    fn write(&self, points: &[(Uuid, StoredPoint)], deadline: Option<Instant>) -> Result<()> {
        match self {
            Side::Embedded(s) => s.put_points(points),
            Side::Qdrant(q) => q.upsert(
                q.points_of(points.iter().map(|(id, p)| (*id, p)))?,
                deadline,
            ),
        }
    }

    /// How many of `ids` the store holds.
    fn holds(&self, ids: &[Uuid]) -> Result<u64> {
        match self {
            Side::Embedded(s) => {
                let mut n = 0;
                for id in ids {
                    n += u64::from(s.point(*id)?.is_some());
                }
                Ok(n)
            }
            Side::Qdrant(q) => q.count(Some(qfilter::has_ids(ids))),
        }
    }
}

/// What `pipeline migrate` did: from where to where, points copied and verified, whether it is done.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MigrateReport {
    pub from: String,
    pub to: String,
    /// Points copied by this invocation.
    pub copied: u64,
    /// The migration resumed a previous one's cursor.
    pub resumed: bool,
    /// Finished and verified (false: stopped by the budget; run it again).
    pub done: bool,
    pub source_points: u64,
    pub target_points: u64,
    /// Source points found in the target by the verification pass.
    pub verified: u64,
    /// Points the verification pass found missing and copied again (written to the source after the copy had
    /// passed them, e.g. by a run between two budgeted invocations).
    pub repaired: u64,
}

fn cursor_key(from: &str, to: &str) -> String {
    format!("migrate:{from} -> {to}")
}

/// Copies `from` into `to`, resuming a cursor kept in `local` (the data dir's database); stops between pages
/// once `deadline` has passed. `progress` is told the points copied so far.
pub fn migrate(
    local: &SyncState,
    from: &Side<'_>,
    to: &Side<'_>,
    deadline: Option<Instant>,
    mut progress: impl FnMut(u64, u64),
) -> Result<MigrateReport> {
    let mut report = MigrateReport {
        from: from.describe(),
        to: to.describe(),
        ..MigrateReport::default()
    };
    let key = cursor_key(&report.from, &report.to);
    let mut cursor: Option<Uuid> = local
        .meta_get(&key)?
        .and_then(|b| Uuid::from_slice(&b).ok());
    report.resumed = cursor.is_some();
    if cursor.is_none() {
        if let Side::Embedded(store) = to {
            // Whatever the embedded store still holds predates the other store and may include points deleted
            // there since: start from empty so that it ends as an exact copy.
            store.clear_points()?;
        }
    }
    let total = from.count()?;
    report.source_points = total;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            report.target_points = to.count()?;
            return Ok(report);
        }
        let page = from.page_after(cursor)?;
        let Some((last, _)) = page.last() else { break };
        let last = *last;
        match to.write(&page, deadline) {
            Ok(()) => {}
            Err(Error::CommitCutByBudget { .. }) => {
                report.target_points = to.count()?;
                return Ok(report);
            }
            Err(e) => return Err(e),
        }
        local.meta_put(&key, last.as_bytes())?;
        cursor = Some(last);
        report.copied += page.len() as u64;
        progress(report.copied, total);
    }
    // Verify: every source id is in the target. A page with missing points (written to the source after the
    // copy passed them) is copied again; one still missing after that is an error, and the next migration starts
    // over instead of resuming past it.
    let mut after = None;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            report.target_points = to.count()?;
            return Ok(report);
        }
        let page = from.page_after(after)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(*last);
        let ids: Vec<Uuid> = page.iter().map(|(id, _)| *id).collect();
        let mut held = to.holds(&ids)?;
        if held != ids.len() as u64 {
            to.write(&page, None)?;
            report.repaired += ids.len() as u64 - held;
            held = to.holds(&ids)?;
        }
        if held != ids.len() as u64 {
            local.meta_remove(&key)?;
            return Err(Error::Store {
                path: report.to.clone().into(),
                message: format!(
                    "verification failed: {} of {} points after {} are missing even after copying them again",
                    ids.len() as u64 - held,
                    ids.len(),
                    ids.first().map(Uuid::to_string).unwrap_or_default()
                ),
            });
        }
        report.verified += held;
    }
    report.source_points = from.count()?;
    report.target_points = to.count()?;
    if report.verified != report.source_points || report.target_points < report.source_points {
        local.meta_remove(&key)?;
        return Err(Error::Store {
            path: report.to.clone().into(),
            message: format!(
                "verification failed: the source holds {} points, {} were found in the target, which holds {}; run the migration again",
                report.source_points, report.verified, report.target_points
            ),
        });
    }
    local.meta_remove(&key)?;
    report.done = true;
    Ok(report)
}

/// After a verified migration: the data dir syncs to `to` from now on.
pub fn switch_to(data_dir: &std::path::Path, to: &SinkConfig) -> Result<()> {
    target::bind(data_dir, to)
}

/// The embedded store as a sink config.
pub fn embedded() -> SinkConfig {
    SinkConfig {
        kind: SinkKind::Embedded,
        ..SinkConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::tests::payload;

    fn point(uuid: &str) -> (Uuid, StoredPoint) {
        (
            crate::ids::point_id("s", uuid, 0),
            StoredPoint {
                vector: vec![0.5; crate::embedder::DIMENSION],
                payload: payload("s", uuid, 0, 1),
            },
        )
    }

    #[test]
    fn a_resumed_migration_copies_what_was_written_behind_its_cursor() {
        let dirs: Vec<_> = (0..3)
            .map(|_| tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let open = |i: usize| SyncState::open(dirs[i].path()).unwrap_or_else(|e| panic!("{e}"));
        let (local, source, target) = (open(0), open(1), open(2));
        let (source, target) = (EmbeddedStore::of(&source), EmbeddedStore::of(&target));
        let mut points: Vec<_> = (0..600).map(|i| point(&format!("u{i}"))).collect();
        points.sort_by_key(|(id, _)| *id);
        source.put_points(&points).unwrap_or_else(|e| panic!("{e}"));
        // A previous invocation stopped after the first half; points then arrived on both sides of its cursor.
        let (from, to) = (Side::Embedded(&source), Side::Embedded(&target));
        target
            .put_points(&points[..300])
            .unwrap_or_else(|e| panic!("{e}"));
        let key = cursor_key(&from.describe(), &to.describe());
        local
            .meta_put(&key, points[299].0.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let late: Vec<_> = (0..40).map(|i| point(&format!("late{i}"))).collect();
        source.put_points(&late).unwrap_or_else(|e| panic!("{e}"));
        let report = migrate(&local, &from, &to, None, |_, _| {}).unwrap_or_else(|e| panic!("{e}"));
        assert!(report.done && report.resumed, "{report:?}");
        assert_eq!(report.source_points, 640);
        assert_eq!(report.verified, 640);
        assert!(
            report.repaired > 0,
            "points behind the cursor were copied by the verification"
        );
        assert_eq!(target.point_count(), 640);
        assert!(
            local.meta_get(&key).ok().flatten().is_none(),
            "cursor cleared"
        );
    }
}
