//! When a linked election is due for a sync, and whether its page must be read first.

use jiff::{SignedDuration, Timestamp};

use crate::error::ErrorClass;
use crate::model::{Election, SyncState};
use crate::plan::{SyncInput, Trigger};

/// Default minimum interval between two scheduled syncs of one election (SPEC §4).
pub const DEFAULT_MIN_INTERVAL: SignedDuration = SignedDuration::from_secs(60);

/// Whether `election` should be synced at `now` (SPEC §4 cadence).
///
/// - `Manual` and `Reconcile` are always due (manual ignores interval and backoff).
/// - `Scheduled` after a permanent error: due once `next_attempt_at` has come, or when a phase change
///   (`open_at`/`close_at`) passed since the last attempt.
/// - `Scheduled` otherwise: due when never synced, when the last sync is at least `min_interval` ago,
///   or when a phase change passed since the last sync (never held back by the interval).
///
/// For a fixed state the answer is monotone in `now`: once due, due at every later instant.
#[must_use]
pub fn is_due(
    now: Timestamp,
    election: &Election,
    state: &SyncState,
    min_interval: SignedDuration,
    trigger: Trigger,
) -> bool {
    if trigger != Trigger::Scheduled {
        return true;
    }
    let passed_since = |since: Timestamp| {
        [election.open_at, election.close_at]
            .into_iter()
            .any(|t| since < t && t <= now)
    };
    if state.error_class == Some(ErrorClass::Permanent) {
        let backoff_over = state.next_attempt_at.is_none_or(|at| now >= at);
        let phase_changed = state.last_attempt_at.is_some_and(passed_since);
        return backoff_over || phase_changed;
    }
    match state.notion_last_sync_at {
        None => true,
        Some(last) => now.duration_since(last) >= min_interval || passed_since(last),
    }
}

/// Whether the shell must read the page before planning, or may plan from the stored observation.
///
/// `notion_changed_since_observation` is the shell's knowledge from the database change query (the
/// page's `last_edited_time` moved past the stored observation). A phase change of an unchanged page
/// is then written without a read, however old the observation (the periodic reconcile bounds how long
/// a change missed by the cursor can stay unseen). Manual and reconcile syncs always read; so does a
/// sync with no stored observation, one whose observation is later than `now` (the clock went back),
/// or one of a link in error (an admin may have fixed the page).
#[must_use]
pub fn needs_observation(
    now: Timestamp,
    input: &SyncInput<'_>,
    notion_changed_since_observation: bool,
) -> bool {
    if input.observation.is_some() {
        return false;
    }
    if input.trigger != Trigger::Scheduled || notion_changed_since_observation {
        return true;
    }
    let state = input.state;
    if state.link_broken || state.error_class.is_some() {
        return true;
    }
    match &state.last_observation {
        None => true,
        Some(observation) => observation.observed_at > now,
    }
}
