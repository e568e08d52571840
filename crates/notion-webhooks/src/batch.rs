//! What a batch of events asks the sync to do. Events are signals, not content: the answer is
//! which pages to read again, which links to mark broken and which data sources to re-validate,
//! each at most once however many events named it.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use jiff::Timestamp;
use uuid::Uuid;

use crate::envelope::{Envelope, EventType};

/// One page to read again (one `GET /v1/pages/{id}`), standing for all its events in the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRead {
    /// The page.
    pub page_id: Uuid,
    /// The data source the events named as its parent, if they did (the latest one).
    pub data_source_id: Option<Uuid>,
    /// The union of the property ids the page's `page.properties_updated` events named.
    pub updated_properties: BTreeSet<String>,
    /// The latest `timestamp` among its events (lag is measured from it).
    pub last_event_at: Timestamp,
}

/// Why an event asks for nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoreReason {
    /// Every author is our own bot: our write coming back.
    OwnWrite,
    /// A type the sync has no use for (`page.content_updated`, comments, locks, …).
    NotRelevant,
    /// A type this crate does not know.
    UnknownType,
}

/// What one event came to, for the inbox's `outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Disposition {
    /// Its page is read again (in [`BatchPlan::page_reads`]).
    ReadPage,
    /// Its page was last seen deleted: the links to it are broken (in [`BatchPlan::deleted_pages`]).
    LinkBroken,
    /// Its data source or database is re-validated.
    Revalidate,
    /// Nothing to do.
    Ignored(IgnoreReason),
}

impl Disposition {
    /// A short stable name (`read_page`, `link_broken`, `revalidate`, `ignored_own_write`,
    /// `ignored_not_relevant`, `ignored_unknown_type`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadPage => "read_page",
            Self::LinkBroken => "link_broken",
            Self::Revalidate => "revalidate",
            Self::Ignored(IgnoreReason::OwnWrite) => "ignored_own_write",
            Self::Ignored(IgnoreReason::NotRelevant) => "ignored_not_relevant",
            Self::Ignored(IgnoreReason::UnknownType) => "ignored_unknown_type",
        }
    }
}

/// What a batch asks for. Every list is sorted by id and names each object once, so the plan does
/// not depend on the order the events arrived in, nor on how often one was delivered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchPlan {
    /// Pages to read again, one read each.
    pub page_reads: Vec<PageRead>,
    /// Pages whose last event is `page.deleted`: their links are broken (no read: a later
    /// `page.undeleted` in the same batch makes it a read instead).
    pub deleted_pages: Vec<Uuid>,
    /// Data sources whose schema changed: re-validate the links on them.
    pub revalidate_data_sources: Vec<Uuid>,
    /// Databases whose schema changed (`database.schema_updated`, API versions before 2025-09-03).
    pub revalidate_databases: Vec<Uuid>,
    /// Each distinct event (by id), in `timestamp` order, with what it came to.
    pub dispositions: Vec<(Uuid, Disposition)>,
}

/// The events deduplicated by id (the first of each id is kept: retries carry the same event) and
/// ordered by `timestamp`, then id (delivery order means nothing).
pub fn order_events(events: &[Envelope]) -> Vec<&Envelope> {
    let mut seen = HashSet::new();
    let mut out: Vec<&Envelope> = events.iter().filter(|e| seen.insert(e.id)).collect();
    out.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then(a.id.cmp(&b.id)));
    out
}

enum PageState {
    Read,
    Deleted,
}

struct PageFold {
    state: PageState,
    data_source_id: Option<Uuid>,
    updated_properties: BTreeSet<String>,
    last_event_at: Timestamp,
}

/// Decides what `events` ask for. `our_bots` are the bot ids of our own connections: events only
/// they authored are our writes coming back and cost nothing.
///
/// Per page, the events are folded in `timestamp` order: `page.deleted` leaves it deleted,
/// `page.created`, `page.undeleted`, `page.moved` and `page.properties_updated` leave it to be
/// read; the last one wins, and the page is read once however many events it had.
pub fn plan_batch(events: &[Envelope], our_bots: &[Uuid]) -> BatchPlan {
    let ordered = order_events(events);
    let mut pages: BTreeMap<Uuid, PageFold> = BTreeMap::new();
    let mut data_sources = BTreeSet::new();
    let mut databases = BTreeSet::new();
    // (event id, page it depends on, or its own disposition)
    let mut per_event: Vec<(Uuid, Result<Uuid, Disposition>)> = Vec::with_capacity(ordered.len());
    for e in ordered {
        let page_state = match &e.event_type {
            EventType::PageCreated
            | EventType::PageUndeleted
            | EventType::PageMoved
            | EventType::PagePropertiesUpdated => Some(PageState::Read),
            EventType::PageDeleted => Some(PageState::Deleted),
            EventType::DataSourceSchemaUpdated | EventType::DatabaseSchemaUpdated => None,
            EventType::Unknown(_) => {
                per_event.push((e.id, Err(Disposition::Ignored(IgnoreReason::UnknownType))));
                continue;
            }
            _ => {
                per_event.push((e.id, Err(Disposition::Ignored(IgnoreReason::NotRelevant))));
                continue;
            }
        };
        if e.only_authored_by(our_bots) {
            per_event.push((e.id, Err(Disposition::Ignored(IgnoreReason::OwnWrite))));
            continue;
        }
        let Some(state) = page_state else {
            if e.event_type == EventType::DataSourceSchemaUpdated {
                data_sources.insert(e.entity.id);
            } else {
                databases.insert(e.entity.id);
            }
            per_event.push((e.id, Err(Disposition::Revalidate)));
            continue;
        };
        let page = pages.entry(e.entity.id).or_insert_with(|| PageFold {
            state: PageState::Read,
            data_source_id: None,
            updated_properties: BTreeSet::new(),
            last_event_at: e.timestamp,
        });
        page.state = state;
        page.last_event_at = e.timestamp;
        if let Some(ds) = e.parent_data_source() {
            page.data_source_id = Some(ds);
        }
        page.updated_properties.extend(e.updated_properties());
        per_event.push((e.id, Ok(e.entity.id)));
    }
    let dispositions = per_event
        .into_iter()
        .map(|(id, d)| {
            let d = match d {
                Ok(page) => match pages.get(&page).map(|p| &p.state) {
                    Some(PageState::Deleted) => Disposition::LinkBroken,
                    _ => Disposition::ReadPage,
                },
                Err(own) => own,
            };
            (id, d)
        })
        .collect();
    let mut plan = BatchPlan {
        revalidate_data_sources: data_sources.into_iter().collect(),
        revalidate_databases: databases.into_iter().collect(),
        dispositions,
        ..BatchPlan::default()
    };
    for (page_id, fold) in pages {
        match fold.state {
            PageState::Deleted => plan.deleted_pages.push(page_id),
            PageState::Read => plan.page_reads.push(PageRead {
                page_id,
                data_source_id: fold.data_source_id,
                updated_properties: fold.updated_properties,
                last_event_at: fold.last_event_at,
            }),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Author, AuthorType, Entity};
    use proptest::prelude::*;
    use serde_json::json;

    const BOT: Uuid = Uuid::from_u128(0xb07);
    const PERSON: Uuid = Uuid::from_u128(0x9e);
    const DS: Uuid = Uuid::from_u128(0xd5);

    fn ev(n: u128, secs: i64, t: &str, entity: u128, author: Uuid) -> Envelope {
        let kind = if t.starts_with("data_source") {
            "data_source"
        } else {
            "page"
        };
        Envelope {
            id: Uuid::from_u128(0xe000 + n),
            timestamp: Timestamp::from_second(1_800_000_000 + secs).unwrap(),
            workspace_id: Uuid::from_u128(1),
            workspace_name: None,
            subscription_id: None,
            integration_id: None,
            event_type: EventType::from(t),
            authors: vec![Author {
                id: author,
                kind: if author == BOT {
                    AuthorType::Bot
                } else {
                    AuthorType::Person
                },
            }],
            accessible_by: None,
            attempt_number: 1,
            api_version: None,
            entity: Entity {
                id: Uuid::from_u128(entity),
                kind: kind.into(),
            },
            data: json!({
                "parent": {"id": Uuid::from_u128(0xdb), "type": "database", "data_source_id": DS},
                "updated_properties": [format!("p{n}")],
            }),
        }
    }

    fn page(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn decisions_per_event_type() {
        struct Case {
            name: &'static str,
            events: Vec<Envelope>,
            reads: Vec<Uuid>,
            deleted: Vec<Uuid>,
            revalidate: Vec<Uuid>,
        }
        let cases = [
            Case {
                name: "a burst of edits on one page costs one read",
                events: (0..5)
                    .map(|i| ev(i, i as i64, "page.properties_updated", 1, PERSON))
                    .collect(),
                reads: vec![page(1)],
                deleted: vec![],
                revalidate: vec![],
            },
            Case {
                name: "created, moved and undeleted are reads",
                events: vec![
                    ev(1, 0, "page.created", 1, PERSON),
                    ev(2, 0, "page.moved", 2, PERSON),
                    ev(3, 0, "page.undeleted", 3, PERSON),
                ],
                reads: vec![page(1), page(2), page(3)],
                deleted: vec![],
                revalidate: vec![],
            },
            Case {
                name: "deleted breaks the link without a read",
                events: vec![
                    ev(1, 0, "page.properties_updated", 1, PERSON),
                    ev(2, 1, "page.deleted", 1, PERSON),
                ],
                reads: vec![],
                deleted: vec![page(1)],
                revalidate: vec![],
            },
            Case {
                name: "deleted then undeleted (delivered the other way round) is a read",
                events: vec![
                    ev(2, 5, "page.undeleted", 1, PERSON),
                    ev(1, 1, "page.deleted", 1, PERSON),
                ],
                reads: vec![page(1)],
                deleted: vec![],
                revalidate: vec![],
            },
            Case {
                name: "our own writes coming back cost nothing",
                events: vec![
                    ev(1, 0, "page.properties_updated", 1, BOT),
                    ev(2, 0, "data_source.schema_updated", 0xd5, BOT),
                ],
                reads: vec![],
                deleted: vec![],
                revalidate: vec![],
            },
            Case {
                name: "schema_updated re-validates the data source once",
                events: vec![
                    ev(1, 0, "data_source.schema_updated", 0xd5, PERSON),
                    ev(2, 3, "data_source.schema_updated", 0xd5, PERSON),
                ],
                reads: vec![],
                deleted: vec![],
                revalidate: vec![DS],
            },
            Case {
                name: "content, comments and unknown types ask for nothing",
                events: vec![
                    ev(1, 0, "page.content_updated", 1, PERSON),
                    ev(2, 0, "comment.created", 1, PERSON),
                    ev(3, 0, "page.teleported", 1, PERSON),
                ],
                reads: vec![],
                deleted: vec![],
                revalidate: vec![],
            },
        ];
        for c in cases {
            let plan = plan_batch(&c.events, &[BOT]);
            let reads: Vec<Uuid> = plan.page_reads.iter().map(|r| r.page_id).collect();
            assert_eq!(reads, c.reads, "{}", c.name);
            assert_eq!(plan.deleted_pages, c.deleted, "{}", c.name);
            assert_eq!(plan.revalidate_data_sources, c.revalidate, "{}", c.name);
            assert_eq!(plan.dispositions.len(), c.events.len(), "{}", c.name);
        }
    }

    #[test]
    fn an_event_by_a_person_and_our_bot_together_is_read() {
        let mut e = ev(1, 0, "page.properties_updated", 1, PERSON);
        e.authors.push(Author {
            id: BOT,
            kind: AuthorType::Bot,
        });
        let plan = plan_batch(&[e], &[BOT]);
        assert_eq!(plan.page_reads.len(), 1);
    }

    #[test]
    fn a_read_carries_the_union_of_properties_and_the_latest_timestamp() {
        let events = [
            ev(2, 9, "page.properties_updated", 1, PERSON),
            ev(1, 2, "page.properties_updated", 1, PERSON),
            ev(2, 9, "page.properties_updated", 1, PERSON),
        ];
        let plan = plan_batch(&events, &[BOT]);
        let read = &plan.page_reads[0];
        assert_eq!(
            read.updated_properties.iter().collect::<Vec<_>>(),
            ["p1", "p2"]
        );
        assert_eq!(read.last_event_at, events[0].timestamp);
        assert_eq!(read.data_source_id, Some(DS));
        // The retry of event 2 is one event.
        let ids: Vec<Uuid> = plan.dispositions.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [events[1].id, events[0].id]);
        assert!(
            plan.dispositions
                .iter()
                .all(|(_, d)| *d == Disposition::ReadPage)
        );
    }

    #[test]
    fn dispositions_name_what_each_event_came_to() {
        let events = [
            ev(1, 0, "page.properties_updated", 1, PERSON),
            ev(2, 1, "page.deleted", 1, PERSON),
            ev(3, 2, "page.properties_updated", 2, BOT),
            ev(4, 3, "page.teleported", 2, PERSON),
        ];
        let plan = plan_batch(&events, &[BOT]);
        let names: Vec<&str> = plan.dispositions.iter().map(|(_, d)| d.as_str()).collect();
        assert_eq!(
            names,
            [
                "link_broken",
                "link_broken",
                "ignored_own_write",
                "ignored_unknown_type"
            ]
        );
    }

    const TYPES: [&str; 8] = [
        "page.properties_updated",
        "page.created",
        "page.deleted",
        "page.undeleted",
        "page.moved",
        "page.content_updated",
        "data_source.schema_updated",
        "page.something_new",
    ];

    fn arb_events() -> impl Strategy<Value = Vec<Envelope>> {
        prop::collection::vec(
            (
                0u128..40,
                0i64..20,
                0usize..TYPES.len(),
                1u128..6,
                any::<bool>(),
            ),
            0..30,
        )
        .prop_map(|raw| {
            let mut seen = HashSet::new();
            raw.into_iter()
                // An id names one event: the same id always carries the same content.
                .filter(|(n, ..)| seen.insert(*n))
                .map(|(n, secs, t, entity, by_bot)| {
                    ev(n, secs, TYPES[t], entity, if by_bot { BOT } else { PERSON })
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_plan_ignores_arrival_order_and_retries(
            events in arb_events(),
            seed in any::<u64>(),
            retries in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
        ) {
            let want = plan_batch(&events, &[BOT]);
            let mut shuffled = events.clone();
            // A deterministic shuffle from the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            if !events.is_empty() {
                for r in &retries {
                    let mut again = r.get(&events).clone();
                    again.attempt_number += 1;
                    shuffled.push(again);
                }
            }
            prop_assert_eq!(plan_batch(&shuffled, &[BOT]), want);
        }

        #[test]
        fn each_page_is_read_or_broken_once_and_only_for_others_edits(events in arb_events()) {
            let plan = plan_batch(&events, &[BOT]);
            let mut pages = HashSet::new();
            for p in plan.page_reads.iter().map(|r| r.page_id).chain(plan.deleted_pages.iter().copied()) {
                prop_assert!(pages.insert(p), "page {} twice", p);
                prop_assert!(events.iter().any(|e| e.entity.id == p && !e.only_authored_by(&[BOT])));
            }
            let distinct: HashSet<Uuid> = events.iter().map(|e| e.id).collect();
            prop_assert_eq!(plan.dispositions.len(), distinct.len());
        }
    }
}
