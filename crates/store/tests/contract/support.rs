//! What the contract cases share: instants, and elections, links and states to store.

use jiff::{SignedDuration, Timestamp};
use store::{LinkId, NewElection, Store};
use sync_engine::{
    DatabaseSchema, ElectionId, NotionLink, ObservedValue, PageObservation, PropertyKind,
    SchemaProperty, SyncState,
};

pub(crate) fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}
pub(crate) fn now() -> Timestamp {
    t("2026-02-01T10:00:00Z")
}
pub(crate) fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

pub(crate) fn new_election(title: &str) -> NewElection {
    NewElection {
        id: None,
        title: title.into(),
        description: "desc".into(),
        open_at: t("2026-03-01T09:00:00Z"),
        close_at: t("2026-03-08T09:00:00Z"),
    }
}

pub(crate) fn link(db: &str, page: &str) -> NotionLink {
    NotionLink::new(db, page)
}

/// The id of election `id`'s primary link.
pub(crate) async fn primary_link(store: &dyn Store, id: &ElectionId) -> LinkId {
    store.get_linked(id).await.unwrap().link_id
}

pub(crate) fn observation() -> PageObservation {
    let property = |id: &str, name: &str, kind, options: &[&str]| SchemaProperty {
        id: id.into(),
        name: name.into(),
        kind,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
    };
    PageObservation {
        observed_at: now(),
        last_edited_time: Some(now()),
        in_trash: false,
        values: [
            ("st", ObservedValue::Status(Some("Not started".into()))),
            ("url", ObservedValue::Url(None)),
            ("title", ObservedValue::Text("T".into())),
        ]
        .into_iter()
        .map(|(id, value)| (id.to_owned(), value))
        .collect(),
        schema: std::sync::Arc::new(DatabaseSchema {
            properties: vec![
                property("title", "Name", PropertyKind::Title, &[]),
                property("desc", "Description", PropertyKind::RichText, &[]),
                property(
                    "st",
                    "Voting Status",
                    PropertyKind::Status,
                    &["Not started", "In Voting", "Done"],
                ),
                property("url", "Results Link", PropertyKind::Url, &[]),
            ],
        }),
    }
}

pub(crate) fn synced_state(at: Timestamp) -> SyncState {
    SyncState {
        notion_last_sync_at: Some(at),
        last_attempt_at: Some(at),
        last_observation: Some(observation()),
        ..SyncState::default()
    }
}

/// A well-formed link id made from `n` (for leases that need no stored link).
pub(crate) fn link_id(n: u128) -> LinkId {
    LinkId::parse(format!("{}{n:032x}", LinkId::PREFIX)).unwrap()
}
