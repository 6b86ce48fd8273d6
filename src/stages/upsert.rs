//! Stage 4: hand each batch to the sink, which stores the points and advances the checkpoints they cover in one
//! durable transaction. Nothing else ever moves a checkpoint forward.

use crate::error::{Error, Result};
use crate::progress::{Counters, Reporter};
use crate::store::{CommitBatch, Sink};
use async_channel::Receiver;
use std::sync::Arc;

/// What was committed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsertOutcome {
    pub batches: u64,
    pub points: u64,
    /// The last committed offset of each file.
    pub last_offsets: std::collections::BTreeMap<String, u64>,
    /// Files whose final checkpoint (end of the file as read) was committed.
    pub files_completed: u64,
    /// The budget ended while the sink was still confirming a batch (not committed; replayed next run).
    pub cut_by_budget: bool,
}

pub async fn run(
    sink: Arc<dyn Sink>,
    rx: Receiver<CommitBatch>,
    reporter: Reporter,
) -> Result<UpsertOutcome> {
    let mut outcome = UpsertOutcome::default();
    while let Ok(batch) = rx.recv().await {
        let s = sink.clone();
        let committed = tokio::task::spawn_blocking(move || s.commit(&batch).map(|()| batch))
            .await
            .map_err(|e| Error::Stage {
                stage: "upsert",
                message: e.to_string(),
            })?;
        let batch = match committed {
            Ok(batch) => batch,
            Err(Error::CommitCutByBudget { .. }) => {
                outcome.cut_by_budget = true;
                rx.close();
                break;
            }
            Err(e) => {
                rx.close();
                return Err(e);
            }
        };
        let points = batch.points() as u64;
        outcome.batches += 1;
        outcome.points += points;
        for cp in &batch.checkpoints {
            outcome.last_offsets.insert(cp.path.clone(), cp.offset);
            if cp.complete {
                outcome.files_completed += 1;
            }
        }
        Counters::add(&reporter.counters().points_committed, points);
        Counters::add(&reporter.counters().batches_committed, 1);
    }
    Ok(outcome)
}
