//! What the contract cases share: instants, and elections, links and states to store.

use jiff::{SignedDuration, Timestamp};
use store::NewElection;
use sync_engine::{NotionLink, PageObservation, PropertyKind, SchemaObservation, SyncState};

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

pub(crate) fn observation() -> PageObservation {
    PageObservation {
        observed_at: now(),
        last_edited_time: Some(now()),
        in_trash: false,
        status: Some("Not started".into()),
        results_url: None,
        title: Some("T".into()),
        description: None,
        schema: SchemaObservation {
            status_property_type: Some(PropertyKind::Status),
            status_options: vec!["Not started".into(), "In Voting".into(), "Done".into()],
            results_property_type: Some(PropertyKind::Url),
            title_property_type: Some(PropertyKind::Title),
            description_property_type: Some(PropertyKind::RichText),
        },
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
