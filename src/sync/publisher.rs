//! Republishes the search snapshot now and then during a run, so searches see its progress, and stops cleanly:
//! a publish in progress is waited for, never abandoned. (Aborting the task could not stop the blocking publish
//! inside it, which then outlived the run, kept the database open after an MCP sync returned, and left a
//! half-written `search.snapshot.*.tmp` behind when the process exited.)

use crate::budget::Budget;
use crate::error::Result;
use crate::progress::Counters;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running publisher; [`SnapshotPublisher::stop`] ends it.
pub struct SnapshotPublisher {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SnapshotPublisher {
    /// Every `every`, if points were committed since the last publish and the budget has
    /// [room](Budget::room_for_mid_run_snapshot) for it, runs `publish(room)` on a blocking thread; it returns
    /// whether it published (it does not when what it would write does not fit `room`).
    pub fn spawn(
        every: Duration,
        budget: Budget,
        counters: Arc<Counters>,
        publish: impl Fn(Duration) -> Result<bool> + Send + Sync + 'static,
    ) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let publish = Arc::new(publish);
        let mut published = Counters::get(&counters.points_committed);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stopped.changed() => return,
                }
                let committed = Counters::get(&counters.points_committed);
                let room = budget.room_for_mid_run_snapshot(Instant::now());
                if committed == published || !room {
                    continue;
                }
                let publish = publish.clone();
                let room = budget.mid_run_snapshot_room(Instant::now());
                // Not raced against `stopped`: a publish that has started is finished.
                if let Ok(Ok(true)) = tokio::task::spawn_blocking(move || publish(room)).await {
                    published = committed;
                }
            }
        });
        SnapshotPublisher { stop, task }
    }

    /// Stops publishing; returns once a publish in progress (if any) has finished, so nothing it holds (the
    /// store) outlives this call.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stop_waits_for_the_publish_in_progress_and_releases_what_it_holds() {
        let counters = Arc::new(Counters::default());
        // Stands in for the store a real publish reads.
        let held = Arc::new(());
        let started = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let publisher = {
            let (held, started, finished) = (held.clone(), started.clone(), finished.clone());
            let slow_publish = move |_room| {
                let _store = held.clone();
                started.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(300));
                finished.store(true, Ordering::SeqCst);
                Ok(true)
            };
            SnapshotPublisher::spawn(
                Duration::from_millis(10),
                Budget::unlimited(Instant::now()),
                counters.clone(),
                slow_publish,
            )
        };
        Counters::add(&counters.points_committed, 1);
        while !started.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        publisher.stop().await;
        assert!(
            finished.load(Ordering::SeqCst),
            "the publish in progress finished"
        );
        assert_eq!(
            Arc::strong_count(&held),
            1,
            "nothing of the publisher outlives stop"
        );
    }

    /// Runs a publisher for 60 ms, new points committed just after it starts (if `new_points`); returns how many
    /// times it published.
    async fn publishes(new_points: bool, budget: Budget) -> u64 {
        let counters = Arc::new(Counters::default());
        let calls = Arc::new(AtomicU64::new(0));
        let publisher = {
            let calls = calls.clone();
            SnapshotPublisher::spawn(
                Duration::from_millis(5),
                budget,
                counters.clone(),
                move |_room| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(true)
                },
            )
        };
        if new_points {
            Counters::add(&counters.points_committed, 1);
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        publisher.stop().await;
        calls.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn publishes_once_per_new_points_and_never_near_the_deadline() {
        let unlimited = Budget::unlimited(Instant::now());
        assert_eq!(publishes(false, unlimited).await, 0, "no new points");
        assert_eq!(
            publishes(true, unlimited).await,
            1,
            "once for the new points"
        );
        let room = crate::budget::MID_RUN_SNAPSHOT_ROOM;
        let near = Budget::new(Instant::now(), Some(room / 2), Duration::ZERO);
        assert_eq!(publishes(true, near).await, 0, "too close to the deadline");
    }
}
