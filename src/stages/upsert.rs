//! Stage 4: hand each batch to the sink, which stores the points and advances the checkpoints they cover in one
//! durable transaction. Nothing else ever moves a checkpoint forward.

use crate::error::{Error, Result};
use crate::progress::{Counters, Reporter};
use crate::store::{CommitBatch, Sink};
use async_channel::Receiver;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// The upsert stage: its sink, its input, and the flag the orchestrator sets at the hard deadline.
pub struct UpsertStage {
    pub sink: Arc<dyn Sink>,
    pub input: Receiver<CommitBatch>,
    pub reporter: Reporter,
    /// Set at the hard deadline: no further batch is committed.
    pub past_deadline: Arc<AtomicBool>,
}

impl UpsertStage {
    /// Commits batches until the input ends, the sink fails, or `past_deadline` is set: from then on no further
    /// batch is committed, not even one already queued (closing the channel leaves queued batches deliverable);
    /// the commit in progress, if any, finishes.
    pub async fn run(self) -> Result<UpsertOutcome> {
        let UpsertStage {
            sink,
            input: rx,
            reporter,
            past_deadline,
        } = self;
        let mut outcome = UpsertOutcome::default();
        while let Ok(batch) = rx.recv().await {
            if past_deadline.load(Ordering::SeqCst) {
                rx.close();
                break;
            }
            let s = sink.clone();
            let committed = tokio::task::spawn_blocking(move || s.commit(&batch).map(|()| batch))
                .await
                .map_err(|e| Error::stage("upsert", e))?;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    /// A test double of a sink: records each batch it is given, the first one slowly.
    struct SlowFirstFakeSink {
        committed: Mutex<Vec<usize>>,
    }

    impl Sink for SlowFirstFakeSink {
        fn commit(&self, batch: &CommitBatch) -> Result<()> {
            let mut committed = self.committed.lock().unwrap_or_else(|e| e.into_inner());
            if committed.is_empty() {
                std::thread::sleep(Duration::from_millis(300));
            }
            committed.push(batch.checkpoints.len());
            Ok(())
        }

        fn stale_redaction(
            &self,
            _: &str,
            _: Option<uuid::Uuid>,
            _: usize,
        ) -> Result<(
            Vec<(uuid::Uuid, crate::store::StoredPoint)>,
            Option<uuid::Uuid>,
        )> {
            Ok((Vec::new(), None))
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_queued_when_the_deadline_passes_are_not_committed() {
        let sink = Arc::new(SlowFirstFakeSink {
            committed: Mutex::new(Vec::new()),
        });
        let (tx, rx) = async_channel::bounded(4);
        for _ in 0..3 {
            let _ = tx.send(CommitBatch::default()).await;
        }
        let past_deadline = Arc::new(AtomicBool::new(false));
        let stage = UpsertStage {
            sink: sink.clone(),
            input: rx.clone(),
            reporter: Reporter::quiet(Arc::new(crate::progress::Counters::default())),
            past_deadline: past_deadline.clone(),
        };
        let task = tokio::spawn(stage.run());
        // The deadline passes while the first batch is being committed; two more are queued.
        tokio::time::sleep(Duration::from_millis(100)).await;
        past_deadline.store(true, Ordering::SeqCst);
        rx.close();
        let outcome = task.await.ok().and_then(|r| r.ok()).unwrap_or_default();
        assert_eq!(outcome.batches, 1, "only the commit in progress finishes");
        assert_eq!(
            sink.committed.lock().map(|c| c.len()).unwrap_or(0),
            1,
            "the queued batches were not handed to the sink"
        );
    }
}
