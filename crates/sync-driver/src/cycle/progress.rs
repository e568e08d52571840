//! A cycle's progress reports ([`CycleProgress`] to the caller's [`ProgressSink`]) while it runs.

use std::collections::BTreeMap;
use std::sync::Mutex;

use store::RunCounts;

use super::database::DatabaseWork;
use crate::{CycleProgress, ProgressSink};

/// Reports a cycle's progress: the totals of the databases finished, plus the running counts of
/// the ones in progress (one per connection driven at the same time, each in its own slot).
pub(crate) struct ProgressTracker {
    sink: Option<ProgressSink>,
    state: Mutex<ProgressState>,
}

struct ProgressState {
    done: CycleProgress,
    /// The running counts of the database in progress, by slot.
    current: BTreeMap<usize, (RunCounts, u64)>,
}

/// One connection's view of the cycle's [`ProgressTracker`]: the database it is syncing reports
/// through its slot.
pub(crate) struct ProgressSlot<'a> {
    tracker: &'a ProgressTracker,
    slot: usize,
}

impl ProgressTracker {
    /// A tracker of a cycle over `elections_total` linked elections in `databases_total` databases.
    pub(crate) fn new(
        sink: Option<ProgressSink>,
        elections_total: u64,
        databases_total: u64,
    ) -> Self {
        Self {
            sink,
            state: Mutex::new(ProgressState {
                done: CycleProgress {
                    elections_total,
                    databases_total,
                    ..CycleProgress::default()
                },
                current: BTreeMap::new(),
            }),
        }
    }

    /// The slot of the connection with index `slot` in the cycle.
    pub(crate) fn slot(&self, slot: usize) -> ProgressSlot<'_> {
        ProgressSlot {
            tracker: self,
            slot,
        }
    }

    /// Reports the progress so far.
    pub(crate) fn report_now(&self) {
        let state = self.lock();
        self.send(&state);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressState> {
        // Counters only: a panic elsewhere leaves them usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn send(&self, state: &ProgressState) {
        if let Some(sink) = &self.sink {
            let total = state
                .current
                .values()
                .fold(state.done, |p, (counts, writes)| add(p, counts, *writes));
            sink.report(total);
        }
    }
}

impl ProgressSlot<'_> {
    /// Reports the progress so far, with `current` the work of this slot's database in progress.
    pub(crate) fn report(&self, current: &DatabaseWork) {
        let mut state = self.tracker.lock();
        state
            .current
            .insert(self.slot, (current.counts, current.writes_planned));
        self.tracker.send(&state);
    }

    /// Counts this slot's finished database in and reports.
    pub(crate) fn finish_database(&self, counts: &RunCounts, writes_planned: u64) {
        let mut state = self.tracker.lock();
        state.current.remove(&self.slot);
        state.done = add(state.done, counts, writes_planned);
        state.done.databases_done += 1;
        self.tracker.send(&state);
    }
}

fn add(mut progress: CycleProgress, counts: &RunCounts, writes_planned: u64) -> CycleProgress {
    progress.pages_read += counts.read;
    progress.elections_planned += counts.planned;
    progress.writes_done += counts.written;
    progress.writes_planned += writes_planned;
    progress
}
