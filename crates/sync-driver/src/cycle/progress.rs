//! A cycle's progress reports ([`CycleProgress`] to the caller's [`ProgressSink`]) while it runs.

use store::RunCounts;

use super::database::DatabaseWork;
use crate::{CycleProgress, ProgressSink};

/// Reports a cycle's progress: the totals of the databases finished, plus the running counts of
/// the one in progress.
pub(crate) struct ProgressTracker {
    sink: Option<ProgressSink>,
    done: CycleProgress,
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
            done: CycleProgress {
                elections_total,
                databases_total,
                ..CycleProgress::default()
            },
        }
    }

    /// Reports the progress so far, with `current` the work of the database in progress.
    pub(crate) fn report(&self, current: &DatabaseWork) {
        if let Some(sink) = &self.sink {
            sink.report(add(self.done, &current.counts, current.writes_planned));
        }
    }

    /// Counts a finished database in and reports.
    pub(crate) fn finish_database(&mut self, counts: &RunCounts, writes_planned: u64) {
        self.done = add(self.done, counts, writes_planned);
        self.done.databases_done += 1;
        if let Some(sink) = &self.sink {
            sink.report(self.done);
        }
    }
}

fn add(mut progress: CycleProgress, counts: &RunCounts, writes_planned: u64) -> CycleProgress {
    progress.pages_read += counts.read;
    progress.elections_planned += counts.planned;
    progress.writes_done += counts.written;
    progress.writes_planned += writes_planned;
    progress
}
