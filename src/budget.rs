//! A run's time budget and every margin carved out of it, in one place.
//!
//! A budget starts when the process (or the watch cycle, or the MCP call) starts and ends `length` later. Working
//! back from its end:
//!
//! ```text
//! started ............ stages end | commit reserve | exit margin | end
//!                                  sink end (end - SINK_MARGIN) ^
//! ```
//!
//! - the **stages** (parse, enhance, embed, upsert) must have stopped by [`Budget::stages_end`]: the end less the
//!   commit reserve (`[budget] commit_reserve_ms`, for the last checkpoint commit) and [`EXIT_MARGIN`];
//! - the **sink**'s requests (Qdrant) end [`SINK_MARGIN`] before the end, so that a batch it confirms late still
//!   has its checkpoint committed in time;
//! - a **snapshot** is published at the end of a run only if its estimated cost fits with [`SNAPSHOT_MARGIN`] to
//!   spare, and during a run only while the stages have more than [`MID_RUN_SNAPSHOT_ROOM`] left;
//! - a one-off writer waits for a `pipeline watch` cycle to release the data dir until [`LOCK_WAIT_MARGIN`]
//!   before the end.
//!
//! A budget without a length (`pipeline run` without `--budget`) never ends: every check passes.

use std::time::{Duration, Instant};

/// Kept free at the very end for the summary and process exit.
pub const EXIT_MARGIN: Duration = Duration::from_millis(150);
/// Kept between the sink's last request and the end of the budget, for the checkpoint commit after it.
pub const SINK_MARGIN: Duration = Duration::from_millis(250);
/// Kept free after an end-of-run snapshot publish, before the end of the budget.
pub const SNAPSHOT_MARGIN: Duration = Duration::from_millis(100);
/// A mid-run snapshot is published only with more than this left before the stages must stop.
pub const MID_RUN_SNAPSHOT_ROOM: Duration = Duration::from_secs(5);
/// A one-off writer stops waiting for a watch cycle this long before the end of its budget.
pub const LOCK_WAIT_MARGIN: Duration = Duration::from_secs(1);
/// After SIGINT/SIGTERM, the batch in flight has this long to be committed.
pub const SIGNAL_GRACE: Duration = Duration::from_millis(1500);

/// When a run started, when its budget ends (if it has one), and the commit reserve kept before that end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    started: Instant,
    length: Option<Duration>,
    commit_reserve: Duration,
}

impl Budget {
    /// A budget of `length` from `started` (`None`: no budget), keeping `commit_reserve` for the last commit.
    pub fn new(started: Instant, length: Option<Duration>, commit_reserve: Duration) -> Self {
        Budget {
            started,
            length,
            commit_reserve,
        }
    }

    /// No budget: a run that goes on until its work is done.
    pub fn unlimited(started: Instant) -> Self {
        Self::new(started, None, Duration::ZERO)
    }

    /// When the budget started counting.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The budget's length, as the user gave it.
    pub fn length(&self) -> Option<Duration> {
        self.length
    }

    /// When the budget ends.
    pub fn end(&self) -> Option<Instant> {
        self.length.map(|l| self.started + l)
    }

    /// When the stages must have stopped: the end less the commit reserve and [`EXIT_MARGIN`], never before the
    /// start (a budget smaller than its margins leaves the stages no time at all).
    pub fn stages_end(&self) -> Option<Instant> {
        self.end().map(|end| {
            end.checked_sub(self.commit_reserve + EXIT_MARGIN)
                .unwrap_or(self.started)
                .max(self.started)
        })
    }

    /// When the sink's requests must end: [`SINK_MARGIN`] before the end.
    pub fn sink_end(&self) -> Option<Instant> {
        self.end()
            .map(|end| end.checked_sub(SINK_MARGIN).unwrap_or(end))
    }

    /// When the stages must have stopped once a signal arrived at `now`: [`SIGNAL_GRACE`] later, or the usual
    /// [`Self::stages_end`] if that comes first.
    pub fn stages_end_after_signal(&self, now: Instant) -> Instant {
        let grace = now + SIGNAL_GRACE;
        self.stages_end().map_or(grace, |end| end.min(grace))
    }

    /// Whether work of `cost` started at `now` ends with [`SNAPSHOT_MARGIN`] to spare.
    pub fn fits(&self, now: Instant, cost: Duration) -> bool {
        self.end()
            .is_none_or(|end| now + cost + SNAPSHOT_MARGIN <= end)
    }

    /// Whether the stages have more than [`MID_RUN_SNAPSHOT_ROOM`] left at `now`, so a mid-run snapshot may be
    /// published.
    pub fn room_for_mid_run_snapshot(&self, now: Instant) -> bool {
        self.stages_end()
            .is_none_or(|d| d.saturating_duration_since(now) > MID_RUN_SNAPSHOT_ROOM)
    }

    /// How long a mid-run snapshot may take at `now`: the time left before the stages end, less
    /// [`MID_RUN_SNAPSHOT_ROOM`] (unbounded without a budget).
    pub fn mid_run_snapshot_room(&self, now: Instant) -> Duration {
        self.stages_end().map_or(Duration::MAX, |d| {
            d.saturating_duration_since(now)
                .saturating_sub(MID_RUN_SNAPSHOT_ROOM)
        })
    }

    /// Until when a one-off writer waits for a watch cycle to release the data dir: [`LOCK_WAIT_MARGIN`] before
    /// the end (not before the start), or `without_budget` from `now` when there is no budget.
    pub fn lock_wait_until(&self, now: Instant, without_budget: Duration) -> Instant {
        match self.end() {
            Some(end) => end
                .checked_sub(LOCK_WAIT_MARGIN)
                .unwrap_or(self.started)
                .max(self.started),
            None => now + without_budget,
        }
    }

    /// The instant `share` (0 to 1) of the budget has passed; `None` without a budget.
    pub fn share(&self, share: f64) -> Option<Instant> {
        self.length
            .map(|l| self.started + l.mul_f64(share.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn the_margins_are_carved_from_the_end_in_order() {
        let t0 = Instant::now();
        let b = Budget::new(t0, Some(10 * SECOND), Duration::from_millis(500));
        let end = t0 + 10 * SECOND;
        assert_eq!(b.end(), Some(end));
        assert_eq!(
            b.stages_end(),
            Some(end - Duration::from_millis(500) - EXIT_MARGIN)
        );
        assert_eq!(b.sink_end(), Some(end - SINK_MARGIN));
        assert!(b.stages_end() < b.sink_end() && b.sink_end() < b.end());
        assert_eq!(b.lock_wait_until(t0, SECOND), end - LOCK_WAIT_MARGIN);
        assert_eq!(b.share(0.5), Some(t0 + 5 * SECOND));
        assert_eq!(b.stages_end_after_signal(t0), t0 + SIGNAL_GRACE);
        let late = t0 + 9 * SECOND;
        assert_eq!(
            b.stages_end_after_signal(late),
            b.stages_end().unwrap_or(late)
        );
    }

    #[test]
    fn a_budget_smaller_than_its_margins_gives_the_stages_no_time() {
        let t0 = Instant::now();
        let b = Budget::new(t0, Some(Duration::from_millis(200)), SECOND);
        assert_eq!(b.stages_end(), Some(t0));
        assert_eq!(b.lock_wait_until(t0, SECOND), t0);
        assert!(!b.fits(t0, Duration::from_millis(150)));
        assert!(!b.room_for_mid_run_snapshot(t0));
    }

    #[test]
    fn snapshots_fit_only_with_their_margin_to_spare() {
        let t0 = Instant::now();
        let b = Budget::new(t0, Some(10 * SECOND), Duration::ZERO);
        assert!(b.fits(t0, 9 * SECOND));
        assert!(!b.fits(t0, 10 * SECOND - SNAPSHOT_MARGIN / 2));
        assert!(b.room_for_mid_run_snapshot(t0));
        assert!(!b.room_for_mid_run_snapshot(t0 + 5 * SECOND));
    }

    #[test]
    fn without_a_budget_everything_fits_and_the_lock_wait_has_its_default() {
        let t0 = Instant::now();
        let b = Budget::unlimited(t0);
        assert_eq!((b.end(), b.stages_end(), b.sink_end()), (None, None, None));
        assert!(b.fits(t0, 1000 * SECOND));
        assert!(b.room_for_mid_run_snapshot(t0));
        assert_eq!(b.lock_wait_until(t0, 30 * SECOND), t0 + 30 * SECOND);
        assert_eq!(b.share(0.5), None);
        assert_eq!(b.stages_end_after_signal(t0), t0 + SIGNAL_GRACE);
    }
}
