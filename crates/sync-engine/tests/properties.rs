//! Property tests of the planner: idempotence, status follows phase, no erasing, sane wake-ups,
//! monotone cadence.

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use sync_engine::*;

const BASE: i64 = 1_780_000_000; // 2026-05-28

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(BASE + secs).unwrap()
}

fn any_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        Just(Some("  ".to_owned())),
        Just(Some("Board election".to_owned())),
        "[a-zA-Z ]{0,12}".prop_map(Some),
    ]
}

fn any_kind() -> impl Strategy<Value = Option<PropertyKind>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(PropertyKind::Title)),
        1 => Just(Some(PropertyKind::RichText)),
        1 => Just(Some(PropertyKind::Status)),
        1 => Just(Some(PropertyKind::Select)),
        4 => Just(Some(PropertyKind::Url)),
        1 => Just(Some(PropertyKind::Other("number".into()))),
    ]
}

fn any_status() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("Not started".to_owned())),
        Just(Some("In Voting".to_owned())),
        Just(Some("Done".to_owned())),
        Just(Some("Active".to_owned())),
        Just(Some("Completed".to_owned())),
        Just(Some("Blocked".to_owned())),
    ]
}

/// A fixture with arbitrary times, link values, page values and schema, plus an instant `now`.
fn any_case() -> impl Strategy<Value = (Fixture, Timestamp)> {
    let times = (-10_000i64..10_000, 1i64..20_000, -15_000i64..40_000);
    let link = (any::<bool>(), any::<bool>());
    let page = (
        any_status(),
        any_text(),
        any_text(),
        any_text(),
        any::<bool>(),
    );
    let schema = (
        prop_oneof![4 => Just(Some(PropertyKind::Status)), 1 => any_kind()],
        proptest::sample::subsequence(
            vec!["Not started", "In Voting", "Done", "Active", "Completed"],
            0..=5,
        ),
        any_kind(),
        prop_oneof![Just(Some(PropertyKind::Title)), any_kind()],
        prop_oneof![Just(Some(PropertyKind::RichText)), any_kind()],
    );
    let description = any_text();
    (times, link, page, schema, description).prop_map(
        |((open, length, now), (custom, trailing_slash), page, schema, description)| {
            let mut f = Fixture::new();
            f.election.open_at = ts(open);
            f.election.close_at = ts(open + length);
            f.election.description = description.unwrap_or_default();
            if custom {
                f.link.mapping.status.in_voting = "Active".into();
                f.link.mapping.status.done = "Completed".into();
            }
            if trailing_slash {
                f.base_url.push('/');
            }
            let (status, results, title, desc, correct_url) = page;
            let obs = f.obs();
            obs.set_status(status);
            obs.set_results_url(if correct_url {
                Some(expected_results_url())
            } else {
                results.map(|r| format!("https://x.example/{r}"))
            });
            obs.set_title(title);
            obs.set_description(desc);
            obs.observed_at = ts(-20_000);
            let (status_type, options, results_type, title_type, description_type) = schema;
            obs.set_kind(STATUS_ID, status_type);
            obs.set_options(STATUS_ID, options.into_iter().map(str::to_owned).collect());
            obs.set_kind(RESULTS_ID, results_type);
            obs.set_kind(TITLE_ID, title_type);
            obs.set_kind(DESCRIPTION_ID, description_type);
            (f, ts(now))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Applying a plan to its own observation and election leaves nothing more to do.
    #[test]
    fn a_plan_applied_plans_no_further_write((fixture, now) in any_case()) {
        let first = fixture.plan(now);
        prop_assume!(first.outcome.is_success());
        let mut next = fixture.clone();
        let mut observation = fixture.observation.clone().unwrap();
        if let Some(write) = &first.page_write {
            observation = observation.with_write_applied(write, now);
        }
        if let Some(update) = &first.election_update {
            next.election.apply_update(update, now);
        }
        next.observation = Some(observation);
        next.state = first.outcome.state.clone();
        let second = next.plan(now);
        prop_assert_eq!(second.page_write, None);
        prop_assert_eq!(second.election_update, None);
        prop_assert_eq!(second.outcome.state.notion_done_set_at, first.outcome.state.notion_done_set_at);

        // The stored observation alone (no read) gives the same answer.
        next.observation = None;
        let from_stored = next.plan(now);
        prop_assert_eq!(from_stored.page_write, None);
    }

    /// Any status written is the link's value for the phase at `now`.
    #[test]
    fn planned_status_matches_phase((fixture, now) in any_case()) {
        let plan = fixture.plan(now);
        let phase = fixture.election.phase(now);
        prop_assert_eq!(plan.phase, phase);
        if let Some(status) = plan.page_write.as_ref().and_then(PageWrite::status) {
            prop_assert_eq!(status.to.to_string(), fixture.link.status_value_for(phase));
            prop_assert_eq!(&status.property, &fixture.link.mapping.status.property.name);
        }
        if let Some(url) = plan.page_write.as_ref().and_then(PageWrite::results_link) {
            prop_assert_ne!(phase, Phase::Upcoming);
            prop_assert_eq!(url.to.to_string(), expected_results_url());
        }
    }

    /// An empty Notion value never replaces a stored one; pulled values are never empty.
    #[test]
    fn empty_notion_value_never_erases((fixture, now) in any_case()) {
        let plan = fixture.plan(now);
        let obs = fixture.observation.as_ref().unwrap();
        let blank = |id: &str| {
            obs.values.get(id).and_then(ObservedValue::as_text).is_none_or(|s| s.trim().is_empty())
        };
        if let Some(update) = &plan.election_update {
            if blank(TITLE_ID) {
                prop_assert!(update.title.is_none());
            }
            if blank(DESCRIPTION_ID) {
                prop_assert!(update.description.is_none());
            }
            for change in [&update.title, &update.description].into_iter().flatten() {
                prop_assert!(!change.to.trim().is_empty());
                prop_assert_ne!(&change.to, &change.from);
            }
        }
    }

    /// The next phase change (the daemon's wake-up) is in the future, the phase changes at it and
    /// not before it; there is none once the election closed.
    #[test]
    fn next_phase_change_is_the_first_instant_the_phase_differs((fixture, now) in any_case()) {
        let election = &fixture.election;
        match election.next_phase_change(now) {
            Some(at) => {
                prop_assert!(at > now);
                prop_assert_ne!(election.phase(at), election.phase(now));
                let just_before = at - jiff::SignedDuration::from_nanos(1);
                prop_assert_eq!(election.phase(just_before), election.phase(now));
            }
            None => prop_assert_eq!(election.phase(now), Phase::Closed),
        }
    }

    /// Once due, an election stays due as time passes (for a fixed state).
    #[test]
    fn is_due_is_monotone_in_time(
        (fixture, _) in any_case(),
        last_sync in proptest::option::of(-20_000i64..30_000),
        failure in proptest::option::of((any::<bool>(), 1u32..12, -20_000i64..30_000)),
        interval in 1i64..4_000,
        t1 in -20_000i64..50_000,
        step in 0i64..20_000,
    ) {
        let mut state = SyncState {
            notion_last_sync_at: last_sync.map(ts),
            last_attempt_at: last_sync.map(ts),
            ..SyncState::default()
        };
        if let Some((permanent, count, at)) = failure {
            let error = SyncError::new(
                if permanent { SyncErrorKind::PropertyMissing } else { SyncErrorKind::Server },
                "x",
            );
            state = record_failure(ts(at), &state, error).state;
            state.consecutive_failures = count;
        }
        let interval = SignedDuration::from_secs(interval);
        let (early, late) = (ts(t1), ts(t1 + step));
        if is_due(early, &fixture.election, &state, interval, Trigger::Scheduled) {
            prop_assert!(is_due(late, &fixture.election, &state, interval, Trigger::Scheduled));
        }
        prop_assert!(is_due(early, &fixture.election, &state, interval, Trigger::Manual));
    }
}
