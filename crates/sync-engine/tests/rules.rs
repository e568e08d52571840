//! Table tests: one row per rule of SPEC §4 and per default of SPEC §3.

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use sync_engine::*;

/// What a case expects of the plan.
#[derive(Debug, Default)]
struct Expect {
    status_to: Option<&'static str>,
    results_to: Option<String>,
    title_to: Option<&'static str>,
    description_to: Option<&'static str>,
    failure: Option<SyncErrorKind>,
    /// A note the plan must carry.
    note: Option<fn(&PlanNote) -> bool>,
}

struct Case {
    name: &'static str,
    now: Timestamp,
    setup: fn(&mut Fixture),
    expect: Expect,
}

fn no_setup(_: &mut Fixture) {}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "upcoming, empty status: write Not started, no results link",
            now: before(),
            setup: no_setup,
            expect: Expect {
                status_to: Some("Not started"),
                ..Expect::default()
            },
        },
        Case {
            name: "upcoming, page already Not started: no write",
            now: before(),
            setup: |f| f.obs().status = Some("Not started".into()),
            expect: Expect::default(),
        },
        Case {
            name: "upcoming, no Not started option: no status write, warning",
            now: before(),
            setup: |f| f.obs().schema.status_options = vec!["In Voting".into(), "Done".into()],
            expect: Expect {
                note: Some(
                    |n| matches!(n, PlanNote::UpcomingStatusOptionMissing { option, .. } if option == "Not started"),
                ),
                ..Expect::default()
            },
        },
        Case {
            name: "upcoming election gets no results link even with a results property",
            now: before(),
            setup: |f| f.obs().status = Some("Not started".into()),
            expect: Expect::default(),
        },
        Case {
            name: "open: In Voting and results link in one write",
            now: during(),
            setup: |f| f.obs().status = Some("Not started".into()),
            expect: Expect {
                status_to: Some("In Voting"),
                results_to: Some(expected_results_url()),
                ..Expect::default()
            },
        },
        Case {
            name: "closed: Done",
            now: after(),
            setup: |f| {
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
            },
            expect: Expect {
                status_to: Some("Done"),
                ..Expect::default()
            },
        },
        Case {
            name: "manual edit in Notion is overwritten",
            now: during(),
            setup: |f| {
                f.obs().status = Some("Done".into());
                f.obs().results_url = Some("https://elsewhere.example/x".into());
            },
            expect: Expect {
                status_to: Some("In Voting"),
                results_to: Some(expected_results_url()),
                ..Expect::default()
            },
        },
        Case {
            name: "page already matches: no write",
            now: during(),
            setup: |f| {
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
            },
            expect: Expect::default(),
        },
        Case {
            name: "custom status values are honoured",
            now: during(),
            setup: |f| {
                f.link.notion_status_property_name = "Stage".into();
                f.link.notion_status_value_in_voting = "Active".into();
                f.link.notion_status_value_done = "Completed".into();
                f.obs().schema.status_options = vec!["Active".into(), "Completed".into()];
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
            },
            expect: Expect {
                status_to: Some("Active"),
                ..Expect::default()
            },
        },
        Case {
            name: "custom done value when closed",
            now: after(),
            setup: |f| {
                f.link.notion_status_value_done = "Completed".into();
                f.obs().schema.status_options = vec!["In Voting".into(), "Completed".into()];
                f.obs().results_url = Some(expected_results_url());
            },
            expect: Expect {
                status_to: Some("Completed"),
                ..Expect::default()
            },
        },
        Case {
            name: "missing results property: status only, warning",
            now: during(),
            setup: |f| f.obs().schema.results_property_type = None,
            expect: Expect {
                status_to: Some("In Voting"),
                note: Some(
                    |n| matches!(n, PlanNote::NoResultsProperty { property } if property == "Results Link"),
                ),
                ..Expect::default()
            },
        },
        Case {
            name: "results property of the wrong type: no results link, warning",
            now: during(),
            setup: |f| f.obs().schema.results_property_type = Some(PropertyKind::RichText),
            expect: Expect {
                status_to: Some("In Voting"),
                note: Some(|n| matches!(n, PlanNote::ResultsPropertyNotUrl { .. })),
                ..Expect::default()
            },
        },
        Case {
            name: "base URL trailing slash is trimmed",
            now: during(),
            setup: |f| {
                f.base_url = format!("{BASE_URL}/");
                f.obs().status = Some("In Voting".into());
            },
            expect: Expect {
                results_to: Some(expected_results_url()),
                ..Expect::default()
            },
        },
        Case {
            name: "title changed in Notion is pulled",
            now: during(),
            setup: |f| {
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
                f.obs().title = Some("Board election 2026".into());
            },
            expect: Expect {
                title_to: Some("Board election 2026"),
                ..Expect::default()
            },
        },
        Case {
            name: "title from a rich_text property is pulled, trimmed",
            now: during(),
            setup: |f| {
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
                f.obs().schema.title_property_type = Some(PropertyKind::RichText);
                f.obs().title = Some("  Joined segments title ".into());
            },
            expect: Expect {
                title_to: Some("Joined segments title"),
                ..Expect::default()
            },
        },
        Case {
            name: "title differing only by surrounding whitespace is not a change",
            now: during(),
            setup: |f| {
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
                f.obs().title = Some(" Board election\n".into());
            },
            expect: Expect::default(),
        },
        Case {
            name: "empty Notion title never erases ours",
            now: during(),
            setup: |f| {
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
                f.obs().title = Some("   ".into());
            },
            expect: Expect {
                note: Some(|n| {
                    matches!(
                        n,
                        PlanNote::EmptyInNotion {
                            field: PulledField::Title,
                            ..
                        }
                    )
                }),
                ..Expect::default()
            },
        },
        Case {
            name: "a Notion title of a space and a NUL is empty: ours is kept",
            now: during(),
            setup: |f| {
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
                f.obs().title = Some(" \u{0}".into());
            },
            expect: Expect {
                note: Some(|n| {
                    matches!(
                        n,
                        PlanNote::EmptyInNotion {
                            field: PulledField::Title,
                            ..
                        }
                    )
                }),
                ..Expect::default()
            },
        },
        Case {
            name: "control characters are dropped from a pulled title",
            now: during(),
            setup: |f| {
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
                f.obs().title = Some("Board\u{0} vote\u{1b}\u{85}".into());
            },
            expect: Expect {
                title_to: Some("Board vote"),
                ..Expect::default()
            },
        },
        Case {
            name: "a pulled description keeps its lines and tabs but loses other controls",
            now: before(),
            setup: |f| {
                f.obs().status = Some("Not started".into());
                f.obs().description = Some("Line one\n\tLine two\u{0}\u{7}".into());
            },
            expect: Expect {
                description_to: Some("Line one\n\tLine two"),
                ..Expect::default()
            },
        },
        Case {
            name: "absent Notion description never erases ours",
            now: during(),
            setup: |f| {
                f.obs().status = Some("In Voting".into());
                f.obs().results_url = Some(expected_results_url());
                f.obs().description = None;
            },
            expect: Expect {
                note: Some(|n| {
                    matches!(
                        n,
                        PlanNote::EmptyInNotion {
                            field: PulledField::Description,
                            ..
                        }
                    )
                }),
                ..Expect::default()
            },
        },
        Case {
            name: "description changed in Notion is pulled",
            now: before(),
            setup: |f| {
                f.obs().status = Some("Not started".into());
                f.obs().description = Some("New text".into());
            },
            expect: Expect {
                description_to: Some("New text"),
                ..Expect::default()
            },
        },
        Case {
            name: "description property of the wrong type is not pulled",
            now: before(),
            setup: |f| {
                f.obs().status = Some("Not started".into());
                f.obs().schema.description_property_type = Some(PropertyKind::Title);
                f.obs().description = Some("New text".into());
            },
            expect: Expect {
                note: Some(|n| {
                    matches!(
                        n,
                        PlanNote::PulledPropertyUnreadable {
                            field: PulledField::Description,
                            ..
                        }
                    )
                }),
                ..Expect::default()
            },
        },
        Case {
            name: "title property of an unreadable type is not pulled",
            now: before(),
            setup: |f| {
                f.obs().status = Some("Not started".into());
                f.obs().schema.title_property_type = Some(PropertyKind::Other("number".into()));
                f.obs().title = Some("42".into());
            },
            expect: Expect {
                note: Some(
                    |n| matches!(n, PlanNote::PulledPropertyUnreadable { field: PulledField::Title, kind: PropertyKind::Other(k), .. } if k == "number"),
                ),
                ..Expect::default()
            },
        },
        Case {
            name: "trashed page: permanent failure, no write, no pull",
            now: during(),
            setup: |f| {
                f.obs().in_trash = true;
                f.obs().title = Some("Other".into());
            },
            expect: Expect {
                failure: Some(SyncErrorKind::PageTrashed),
                ..Expect::default()
            },
        },
        Case {
            name: "status property missing: permanent failure, no write",
            now: during(),
            setup: |f| f.obs().schema.status_property_type = None,
            expect: Expect {
                failure: Some(SyncErrorKind::PropertyMissing),
                ..Expect::default()
            },
        },
        Case {
            name: "status property of the wrong type: permanent failure",
            now: during(),
            setup: |f| f.obs().schema.status_property_type = Some(PropertyKind::Select),
            expect: Expect {
                failure: Some(SyncErrorKind::PropertyWrongType),
                ..Expect::default()
            },
        },
        Case {
            name: "in-voting option missing: permanent failure",
            now: during(),
            setup: |f| f.obs().schema.status_options = vec!["Not started".into(), "Done".into()],
            expect: Expect {
                failure: Some(SyncErrorKind::StatusOptionMissing),
                ..Expect::default()
            },
        },
        Case {
            name: "done option missing: permanent failure",
            now: after(),
            setup: |f| f.obs().schema.status_options = vec!["In Voting".into()],
            expect: Expect {
                failure: Some(SyncErrorKind::StatusOptionMissing),
                ..Expect::default()
            },
        },
        Case {
            name: "status failure still pulls a changed title",
            now: during(),
            setup: |f| {
                f.obs().schema.status_property_type = None;
                f.obs().title = Some("Renamed".into());
            },
            expect: Expect {
                failure: Some(SyncErrorKind::PropertyMissing),
                title_to: Some("Renamed"),
                ..Expect::default()
            },
        },
        Case {
            name: "no fresh observation: plan from the stored one",
            now: after(),
            setup: |f| {
                let mut stored = f.observation.take().unwrap();
                stored.status = Some("In Voting".into());
                stored.results_url = Some(expected_results_url());
                f.state.last_observation = Some(stored);
            },
            expect: Expect {
                status_to: Some("Done"),
                ..Expect::default()
            },
        },
    ]
}

#[test]
fn every_rule_row() {
    for case in cases() {
        let mut fixture = Fixture::new();
        (case.setup)(&mut fixture);
        let plan = fixture.plan(case.now);
        let name = case.name;
        let write = plan.page_write.as_ref();
        assert_eq!(
            write.and_then(|w| w.status.as_ref()).map(|s| s.to.as_str()),
            case.expect.status_to,
            "{name}: status"
        );
        assert_eq!(
            write
                .and_then(|w| w.results_url.as_ref())
                .map(|u| u.to.clone()),
            case.expect.results_to,
            "{name}: results link"
        );
        if let Some(w) = write {
            assert!(
                w.status.is_some() || w.results_url.is_some(),
                "{name}: empty page write"
            );
            assert_eq!(w.page_id, fixture.link.notion_page_id, "{name}: page id");
        }
        let update = plan.election_update.as_ref();
        assert_eq!(
            update.and_then(|u| u.title.as_ref()).map(|c| c.to.as_str()),
            case.expect.title_to,
            "{name}: title"
        );
        assert_eq!(
            update
                .and_then(|u| u.description.as_ref())
                .map(|c| c.to.as_str()),
            case.expect.description_to,
            "{name}: description"
        );
        match (&plan.outcome.verdict, case.expect.failure) {
            (Verdict::Synced, None) => {
                assert_eq!(plan.outcome.state.notion_last_sync_at, Some(case.now));
                assert_eq!(plan.outcome.state.notion_last_sync_error, None, "{name}");
            }
            (Verdict::Failed { error, class }, Some(kind)) => {
                assert_eq!(error.kind, kind, "{name}: failure kind");
                assert_eq!(*class, ErrorClass::Permanent, "{name}: class");
                assert!(plan.page_write.is_none(), "{name}: failure must not write");
                assert!(
                    plan.outcome.state.notion_last_sync_error.is_some(),
                    "{name}: error recorded"
                );
            }
            (other, expected) => panic!("{name}: outcome {other:?}, expected failure {expected:?}"),
        }
        if let Some(expected) = case.expect.note {
            assert!(
                plan.notes.iter().any(expected),
                "{name}: notes {:?} lack the expected one",
                plan.notes
            );
        }
    }
}

#[test]
fn link_defaults_are_the_specs() {
    let link = NotionLink::new("db", "page");
    assert_eq!(link.notion_status_property_name, "Voting Status");
    assert_eq!(link.notion_status_value_not_started, "Not started");
    assert_eq!(link.notion_status_value_in_voting, "In Voting");
    assert_eq!(link.notion_status_value_done, "Done");
    assert_eq!(link.notion_results_property_name, "Results Link");
    assert_eq!(link.notion_title_property_name, "Name");
    assert_eq!(link.notion_description_property_name, "Description");
    assert_eq!(link.notion_page_url, None);
    let state = SyncState::default();
    assert_eq!(state.notion_last_sync_at, None);
    assert_eq!(state.notion_last_sync_error, None);
    assert_eq!(state.notion_done_set_at, None);
}

#[test]
fn phase_boundaries() {
    let e = election();
    let second = SignedDuration::from_secs(1);
    assert_eq!(e.phase(open_at() - second), Phase::Upcoming);
    assert_eq!(e.phase(open_at()), Phase::Open);
    assert_eq!(e.phase(close_at() - second), Phase::Open);
    assert_eq!(e.phase(close_at()), Phase::Closed);
    assert_eq!(e.next_phase_change(before()), Some(open_at()));
    assert_eq!(e.next_phase_change(open_at()), Some(close_at()));
    assert_eq!(e.next_phase_change(close_at()), None);
}

#[test]
fn validation_errors_name_the_field() {
    assert_eq!(validate_title("  \n"), Err(ValidationError::EmptyTitle));
    assert_eq!(ValidationError::EmptyTitle.field(), "title");
    let err = validate_window(close_at(), open_at()).unwrap_err();
    assert_eq!(err.field(), "close_at");
    assert!(validate_window(open_at(), open_at()).is_err());
    assert!(validate_window(open_at(), close_at()).is_ok());
    let mut e = election();
    e.title = String::new();
    assert_eq!(e.validate(), Err(ValidationError::EmptyTitle));
    for bad in ["", "has space", "slash/", &"x".repeat(101)] {
        assert_eq!(ElectionId::parse(bad).unwrap_err().field(), "id", "{bad:?}");
    }
    assert!(ElectionId::parse("elec_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e").is_ok());
    assert!(serde_json::from_str::<ElectionId>("\"a b\"").is_err());
}

#[test]
fn done_set_at_is_set_once_kept_and_cleared_on_reopen() {
    let mut f = Fixture::new();
    f.obs().status = Some("In Voting".into());
    let first = f.plan(after());
    assert_eq!(first.outcome.state.notion_done_set_at, Some(after()));

    // Already Done with an earlier value: keep it.
    let earlier = t("2026-03-08T09:00:30Z");
    f.obs().status = Some("Done".into());
    f.state.notion_done_set_at = Some(earlier);
    let again = f.plan(after());
    assert_eq!(again.outcome.state.notion_done_set_at, Some(earlier));

    // Reopened (close_at moved later): In Voting again and done_set_at cleared.
    f.election.close_at = t("2026-04-01T00:00:00Z");
    let reopened = f.plan(after());
    assert_eq!(reopened.page_write.unwrap().status.unwrap().to, "In Voting");
    assert_eq!(reopened.outcome.state.notion_done_set_at, None);

    // Closed early (close_at moved earlier): Done now.
    f.election.close_at = t("2026-03-02T00:00:00Z");
    f.obs().status = Some("In Voting".into());
    f.state.notion_done_set_at = None;
    let early = f.plan(during());
    assert_eq!(early.page_write.unwrap().status.unwrap().to, "Done");
    assert_eq!(early.outcome.state.notion_done_set_at, Some(during()));
}

#[test]
fn success_clears_error_and_backoff() {
    let mut f = Fixture::new();
    f.state = record_failure(
        before(),
        &SyncState::default(),
        SyncError::new(SyncErrorKind::PropertyMissing, "gone"),
    )
    .state;
    assert!(f.state.notion_last_sync_error.is_some());
    let plan = f.plan(during());
    let state = plan.outcome.state;
    assert_eq!(state.notion_last_sync_error, None);
    assert_eq!(state.error_class, None);
    assert_eq!(state.consecutive_failures, 0);
    assert_eq!(state.next_attempt_at, None);
    assert!(!state.link_broken);
}

#[test]
fn no_observation_at_all_asks_for_a_read() {
    let mut f = Fixture::new();
    f.observation = None;
    let plan = f.plan(during());
    assert_eq!(plan.outcome.verdict, Verdict::NeedsObservation);
    assert_eq!(plan.outcome.state, f.state);
    assert!(plan.page_write.is_none());
    assert_eq!(plan.notes, [PlanNote::NotReadYet]);
}

#[test]
fn trashed_page_breaks_the_link_and_says_so() {
    let mut f = Fixture::new();
    f.obs().in_trash = true;
    let plan = f.plan(during());
    assert!(plan.outcome.state.link_broken);
    let text = plan.outcome.state.notion_last_sync_error.unwrap();
    assert!(text.contains("is in trash"), "{text}");
    assert!(text.contains("Restore"), "{text}");
    assert!(plan.election_update.is_none());
}

#[test]
fn wrong_type_message_matches_the_source_document() {
    let mut f = Fixture::new();
    f.obs().schema.status_property_type = Some(PropertyKind::Select);
    let plan = f.plan(during());
    let Verdict::Failed { error, .. } = plan.outcome.verdict else {
        panic!("expected a failure");
    };
    assert!(
        error
            .message
            .starts_with("The property 'Voting Status' is not a Status property"),
        "{}",
        error.message
    );
}

#[test]
fn the_next_phase_change_and_a_failures_retry_are_what_the_daemon_wakes_for() {
    let f = Fixture::new();
    assert_eq!(f.election.next_phase_change(before()), Some(open_at()));
    assert_eq!(f.election.next_phase_change(during()), Some(close_at()));
    assert_eq!(f.election.next_phase_change(after()), None);

    let mut broken = Fixture::new();
    broken.obs().schema.status_property_type = None;
    let plan = broken.plan(after());
    let retry = plan
        .outcome
        .state
        .next_attempt_at
        .expect("a failure schedules a retry");
    assert!(retry > after(), "the retry is after the failure");
}

#[test]
fn error_classes_and_backoff() {
    use SyncErrorKind::*;
    let table = [
        (RateLimited, ErrorClass::Transient),
        (Server, ErrorClass::Transient),
        (Network, ErrorClass::Transient),
        (Unauthorized, ErrorClass::Permanent),
        (NotFoundOrUnshared, ErrorClass::Permanent),
        (PageTrashed, ErrorClass::Permanent),
        (PropertyMissing, ErrorClass::Permanent),
        (PropertyWrongType, ErrorClass::Permanent),
        (StatusOptionMissing, ErrorClass::Permanent),
        (Validation, ErrorClass::Permanent),
    ];
    for (kind, class) in table {
        assert_eq!(classify_error(&SyncError::new(kind, "x")), class, "{kind}");
    }
    let now = during();
    let delay = |class, n| next_attempt_after_failure(now, class, n).duration_since(now);
    assert_eq!(
        delay(ErrorClass::Transient, 5),
        SignedDuration::from_secs(60)
    );
    let permanent: Vec<i64> = (1..=9)
        .map(|n| delay(ErrorClass::Permanent, n).as_secs())
        .collect();
    assert_eq!(permanent, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    assert_eq!(delay(ErrorClass::Permanent, u32::MAX).as_secs(), 3600);
}

#[test]
fn failure_text_has_what_status_code_and_advice() {
    let error = SyncError::from_notion(
        SyncErrorKind::NotFoundOrUnshared,
        404,
        "object_not_found",
        "Could not find page with ID: 2222.",
    );
    let outcome = record_failure(during(), &SyncState::default(), error);
    let text = outcome.state.notion_last_sync_error.as_deref().unwrap();
    assert!(text.starts_with("Notion page not found"), "{text}");
    assert!(text.contains("(Notion 404 object_not_found)"), "{text}");
    assert!(text.contains("not shared with the integration"), "{text}");
    assert!(outcome.state.link_broken);
    assert_eq!(outcome.state.consecutive_failures, 1);

    let transient = record_failure(
        during(),
        &outcome.state,
        SyncError::from_notion(SyncErrorKind::RateLimited, 429, "rate_limited", "slow down"),
    );
    assert_eq!(transient.state.consecutive_failures, 2);
    assert_eq!(transient.state.error_class, Some(ErrorClass::Transient));
    assert_eq!(
        transient.state.notion_last_sync_at, outcome.state.notion_last_sync_at,
        "a failure keeps the last success"
    );
}

#[test]
fn cadence() {
    let e = election();
    let min = DEFAULT_MIN_INTERVAL;
    let synced_at = |at| SyncState {
        notion_last_sync_at: Some(at),
        last_attempt_at: Some(at),
        ..SyncState::default()
    };
    let s = SignedDuration::from_secs;
    // Never synced: due.
    assert!(is_due(
        before(),
        &e,
        &SyncState::default(),
        min,
        Trigger::Scheduled
    ));
    // Synced 30 s ago: not due; 60 s ago: due.
    let state = synced_at(during());
    assert!(!is_due(
        during() + s(30),
        &e,
        &state,
        min,
        Trigger::Scheduled
    ));
    assert!(is_due(
        during() + s(60),
        &e,
        &state,
        min,
        Trigger::Scheduled
    ));
    // Manual and reconcile ignore the interval.
    assert!(is_due(during() + s(1), &e, &state, min, Trigger::Manual));
    assert!(is_due(during() + s(1), &e, &state, min, Trigger::Reconcile));
    // A phase change is never held back by the interval, even with a long one.
    let state = synced_at(open_at() - s(5));
    let hour = s(3600);
    assert!(!is_due(
        open_at() - s(1),
        &e,
        &state,
        hour,
        Trigger::Scheduled
    ));
    assert!(is_due(open_at(), &e, &state, hour, Trigger::Scheduled));
    let state = synced_at(close_at() - s(5));
    assert!(is_due(
        close_at() + s(1),
        &e,
        &state,
        hour,
        Trigger::Scheduled
    ));

    // Permanent failure: wait for the backoff, except for manual syncs and phase changes.
    let failed = record_failure(
        during(),
        &synced_at(during() - s(600)),
        SyncError::new(SyncErrorKind::StatusOptionMissing, "no Done"),
    )
    .state;
    let retry = failed.next_attempt_at.unwrap();
    assert!(!is_due(retry - s(1), &e, &failed, min, Trigger::Scheduled));
    assert!(is_due(retry, &e, &failed, min, Trigger::Scheduled));
    assert!(is_due(during() + s(1), &e, &failed, min, Trigger::Manual));
    let mut late = failed.clone();
    late.next_attempt_at = Some(close_at() + hour);
    assert!(is_due(close_at(), &e, &late, min, Trigger::Scheduled));

    // Transient failure: next cycle (the interval from the last success decides).
    let transient = record_failure(
        during(),
        &synced_at(during() - s(60)),
        SyncError::new(SyncErrorKind::Server, "oops"),
    )
    .state;
    assert!(is_due(
        during() + s(1),
        &e,
        &transient,
        min,
        Trigger::Scheduled
    ));
}

#[test]
fn reads_are_skipped_only_when_nothing_changed() {
    let mut f = Fixture::new();
    let mut stored = observation();
    stored.observed_at = during();
    f.observation = None;
    f.state.last_observation = Some(stored);
    let now = during() + SignedDuration::from_secs(120);
    assert!(!needs_observation(now, &f.input(), false));
    assert!(needs_observation(now, &f.input(), true));
    let far = during() + SignedDuration::from_secs(7 * 86400);
    assert!(
        !needs_observation(far, &f.input(), false),
        "old but unchanged"
    );
    let earlier = during() - SignedDuration::from_secs(1);
    assert!(
        needs_observation(earlier, &f.input(), false),
        "clock went back"
    );
    f.trigger = Trigger::Manual;
    assert!(needs_observation(now, &f.input(), false));
    f.trigger = Trigger::Reconcile;
    assert!(needs_observation(now, &f.input(), false));
    f.trigger = Trigger::Scheduled;
    f.state.error_class = Some(ErrorClass::Permanent);
    assert!(needs_observation(now, &f.input(), false), "link in error");
    f.state.error_class = None;
    f.state.last_observation = None;
    assert!(needs_observation(now, &f.input(), false), "never read");
    f.observation = Some(observation());
    assert!(
        !needs_observation(now, &f.input(), true),
        "already have one"
    );
}

#[test]
fn phase_change_without_read_writes_from_stored_observation() {
    // Synced while upcoming; at open_at the runner plans from the stored observation.
    let mut f = Fixture::new();
    let first = f.plan(before());
    f.state = first.outcome.state;
    f.observation = None;
    assert!(!needs_observation(open_at(), &f.input(), false));
    let at_open = f.plan(open_at());
    let write = at_open.page_write.expect("a write at open_at");
    assert_eq!(write.status.unwrap().to, "In Voting");
    assert_eq!(write.results_url.unwrap().to, expected_results_url());
}

#[test]
fn plan_round_trips_json() {
    let mut f = Fixture::new();
    f.obs().status = Some("Not started".into());
    f.obs().title = Some("New name".into());
    let plan = f.plan(during());

    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["page_write"]["status"]["to"], "In Voting");
    assert_eq!(json["outcome"]["result"]["kind"], "synced");
    assert_eq!(json["phase"], "open");
    let back: SyncPlan = serde_json::from_value(json).unwrap();
    assert_eq!(back, plan);

    let mut matching = Fixture::new();
    matching.obs().status = Some("In Voting".into());
    matching.obs().results_url = Some(expected_results_url());
    let unchanged = matching.plan(during());
    assert!(unchanged.page_write.is_none() && unchanged.election_update.is_none());

    let mut failing = Fixture::new();
    failing.obs().in_trash = true;
    let failed = failing.plan(during());
    let json = serde_json::to_value(&failed).unwrap();
    assert_eq!(json["outcome"]["result"]["kind"], "failed");
    assert_eq!(json["outcome"]["result"]["class"], "permanent");
    assert_eq!(json["outcome"]["result"]["error"]["kind"], "page_trashed");
}

#[test]
fn notes_serialise_tagged_with_their_fields() {
    let mut f = Fixture::new();
    f.obs().schema.results_property_type = None;
    let plan = f.plan(during());
    let json = serde_json::to_value(&plan.notes).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"note": "no_results_property", "property": "Results Link"}])
    );
    let back: Vec<PlanNote> = serde_json::from_value(json).unwrap();
    assert_eq!(back, plan.notes);
}

#[test]
fn property_kinds_use_notion_names() {
    for name in ["title", "rich_text", "status", "select", "url", "number"] {
        let kind = PropertyKind::from(name);
        assert_eq!(kind.as_str(), name);
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<PropertyKind>(&json).unwrap(), kind);
    }
}

#[test]
fn a_write_answered_ok_records_the_plan_and_a_failed_one_records_the_failure_on_the_prior_state() {
    let mut f = Fixture::new();
    f.state.notion_last_sync_at = Some(before());
    f.state.last_observation = None;
    let plan = f.plan(during());
    assert!(plan.page_write.is_some(), "the phase change needs a write");
    let seen = f.observation.clone();

    let written = plan.on_write_result(during(), &f.state, seen.as_ref(), Ok(()));
    assert_eq!(
        written, plan.outcome,
        "a write that succeeded records the plan"
    );

    let error = SyncError::from_notion(SyncErrorKind::RateLimited, 429, "rate_limited", "slow");
    let failed = plan.on_write_result(during(), &f.state, seen.as_ref(), Err(error.clone()));
    assert!(matches!(failed.verdict, Verdict::Failed { .. }));
    assert_eq!(failed.state.consecutive_failures, 1);
    assert_eq!(failed.state.error_class, Some(ErrorClass::Transient));
    assert_eq!(
        failed.state.notion_last_sync_at,
        Some(before()),
        "the planned success is not recorded"
    );
    assert_eq!(
        failed.state.last_observation, seen,
        "the next sync plans against what the page holds, not what the write meant it to"
    );
    assert_ne!(
        failed.state.last_observation,
        plan.outcome.state.last_observation,
    );

    // Without a fresh read, the observation the sync started from stays.
    f.state.last_observation = Some(observation());
    let unread = plan.on_write_result(during(), &f.state, None, Err(error));
    assert_eq!(unread.state.last_observation, Some(observation()));
}
