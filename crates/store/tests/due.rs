//! The "due" rule is written twice: as a query in each backend's `list_linked` (to narrow the
//! candidates without loading every linked election) and as `sync_engine::is_due` (the exact
//! rule). This property test holds them together, through the [`Store`] interface so that every
//! backend runs it: the query never leaves out an election that `is_due` would sync.

use std::future::Future;

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use store::{DueFilter, LinkedFilter, NewElection, Store, SyncRecord};
use sync_engine::{ElectionId, ErrorClass, NotionLink, SyncState, Trigger, is_due};

// The contract's backend factories; this file uses only `fresh`.
#[allow(dead_code)]
#[path = "contract/backend.rs"]
mod backend;

const DATABASE: &str = "d0000000-0000-4000-8000-000000000001";

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + minutes * 60).unwrap()
}

/// One election as the property generates it: its window and its recorded sync state, in minutes
/// around a common origin (whole minutes, so the store's millisecond precision loses nothing).
#[derive(Debug, Clone)]
struct Case {
    open: i64,
    length: i64,
    last_sync: Option<i64>,
    last_attempt: Option<i64>,
    class: Option<ErrorClass>,
    next_attempt: Option<i64>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        -60i64..60,
        1i64..60,
        proptest::option::of(-90i64..90),
        proptest::option::of(-90i64..90),
        proptest::option::of(prop_oneof![
            Just(ErrorClass::Transient),
            Just(ErrorClass::Permanent)
        ]),
        proptest::option::of(-90i64..90),
    )
        .prop_map(
            |(open, length, last_sync, last_attempt, class, next_attempt)| Case {
                open,
                length,
                last_sync,
                last_attempt,
                class,
                next_attempt,
            },
        )
}

fn trigger() -> impl Strategy<Value = Trigger> {
    prop_oneof![
        4 => Just(Trigger::Scheduled),
        1 => Just(Trigger::Manual),
        1 => Just(Trigger::Reconcile),
    ]
}

/// Stores `cases` in a fresh store from `fresh`, then lists the due elections twice: by the
/// store's due filter, and by `is_due` over every linked election.
fn due_both_ways(
    fresh: impl Future<Output = backend::Fixture>,
    cases: &[Case],
    due: DueFilter,
) -> (Vec<ElectionId>, Vec<ElectionId>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let fx = fresh.await;
        let store: &dyn Store = &*fx.store;
        for (i, c) in cases.iter().enumerate() {
            let election = store
                .create_election(
                    NewElection {
                        id: None,
                        title: format!("Election {i}"),
                        description: String::new(),
                        open_at: at(c.open),
                        close_at: at(c.open + c.length),
                    },
                    at(-100),
                )
                .await
                .unwrap()
                .election;
            let page = format!("e0000000-0000-4000-8000-{i:012}");
            let link_id = store
                .set_link(
                    &election.id,
                    &NotionLink::new(DATABASE, page.as_str()),
                    at(-100),
                )
                .await
                .unwrap()
                .links[0]
                .id
                .clone();
            let state = SyncState {
                notion_last_sync_at: c.last_sync.map(at),
                last_attempt_at: c.last_attempt.map(at),
                error_class: c.class,
                next_attempt_at: c.next_attempt.map(at),
                consecutive_failures: u32::from(c.class.is_some()),
                ..SyncState::default()
            };
            let record = SyncRecord {
                election_id: election.id.clone(),
                link_id,
                page_id: page,
                state,
                election_update: None,
                mapping_update: None,
            };
            store.record_sync(record, at(-100)).await.unwrap();
        }
        let by_sql: Vec<_> = store
            .list_linked(&LinkedFilter {
                due: Some(due),
                ..LinkedFilter::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.election.id)
            .collect();
        let by_rule: Vec<_> = store
            .list_linked(&LinkedFilter::default())
            .await
            .unwrap()
            .into_iter()
            .filter(|e| {
                is_due(
                    due.now,
                    &e.election,
                    &e.state,
                    due.min_interval,
                    due.trigger,
                )
            })
            .map(|e| e.election.id)
            .collect();
        (by_sql, by_rule)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Against SQLite (a backend added later gets a test like this one with its factory).
    #[test]
    fn the_sql_due_filter_keeps_every_election_is_due_accepts(
        cases in proptest::collection::vec(case(), 1..12),
        now in -90i64..90,
        min_interval in 0i64..30,
        trigger in trigger(),
    ) {
        let due = DueFilter {
            now: at(now),
            min_interval: SignedDuration::from_mins(min_interval),
            trigger,
        };
        let (by_sql, by_rule) = due_both_ways(backend::sqlite::fresh(), &cases, due);
        prop_assert_eq!(by_sql, by_rule);
    }
}
