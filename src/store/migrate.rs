//! `pipeline migrate`: copies every point (vector and payload) from the store a data dir syncs to into another
//! store, page by page in id order. After each page the target has confirmed, a cursor (the last id copied) is
//! saved durably in the data dir, so a migration killed at any point resumes where it stopped and re-copies at
//! most one page (an overwrite: same ids). At the end every source id is looked up in the target, page by page,
//! and the counts must agree; only then does the data dir switch to the new store (its checkpoints stay valid,
//! since the new store now holds the same points).

use super::qdrant::sink::encode_all;
use super::qdrant::{filter as qfilter, QdrantStore};
use super::{target, EmbeddedStore, StoredPoint};
use crate::config::{SinkConfig, SinkKind};
use crate::error::{Error, Result};
use serde::Serialize;
use std::time::Instant;
use uuid::Uuid;

/// Points per page.
pub const PAGE: usize = 256;

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

    fn write(&self, points: &[(Uuid, StoredPoint)]) -> Result<()> {
        match self {
            Side::Embedded(s) => s.put_points(points),
            Side::Qdrant(q) => q.upsert(encode_all(q, points)?, None),
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
}

fn cursor_key(from: &str, to: &str) -> String {
    format!("migrate:{from} -> {to}")
}

/// Copies `from` into `to`, resuming a cursor kept in `local` (the data dir's database); stops between pages
/// once `deadline` has passed. `progress` is told the points copied so far.
pub fn migrate(
    local: &EmbeddedStore,
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
        to.write(&page)?;
        local.meta_put(&key, last.as_bytes())?;
        cursor = Some(last);
        report.copied += page.len() as u64;
        progress(report.copied, total);
    }
    // Verify: every source id is in the target.
    let mut after = None;
    loop {
        let page = from.page_after(after)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(*last);
        let ids: Vec<Uuid> = page.iter().map(|(id, _)| *id).collect();
        let held = to.holds(&ids)?;
        if held != ids.len() as u64 {
            return Err(Error::Store {
                path: report.to.clone().into(),
                message: format!(
                    "verification failed: {} of {} points after {} are missing; run the migration again",
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
        return Err(Error::Store {
            path: report.to.clone().into(),
            message: format!(
                "verification failed: the source holds {} points, {} were found in the target, which holds {}",
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
