//! Shared fixtures for the planner tests.
#![allow(dead_code, unreachable_pub)]

use jiff::Timestamp;
use sync_engine::*;

pub const BASE_URL: &str = "https://vote.example.org";

pub fn t(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

pub fn open_at() -> Timestamp {
    t("2026-03-01T09:00:00Z")
}
pub fn close_at() -> Timestamp {
    t("2026-03-08T09:00:00Z")
}
pub fn before() -> Timestamp {
    t("2026-02-28T12:00:00Z")
}
pub fn during() -> Timestamp {
    t("2026-03-02T12:00:00Z")
}
pub fn after() -> Timestamp {
    t("2026-03-09T12:00:00Z")
}

pub fn election() -> Election {
    Election {
        id: ElectionId::parse("elec_test").unwrap(),
        title: "Board election".into(),
        description: "Choose the board".into(),
        open_at: open_at(),
        close_at: close_at(),
        created_at: t("2026-02-01T00:00:00Z"),
        updated_at: t("2026-02-01T00:00:00Z"),
    }
}

pub fn link() -> NotionLink {
    NotionLink::new(
        "11111111-1111-4111-8111-111111111111",
        "22222222-2222-4222-8222-222222222222",
    )
}

pub fn schema() -> SchemaObservation {
    SchemaObservation {
        status_property_type: Some(PropertyKind::Status),
        status_options: vec!["Not started".into(), "In Voting".into(), "Done".into()],
        results_property_type: Some(PropertyKind::Url),
        title_property_type: Some(PropertyKind::Title),
        description_property_type: Some(PropertyKind::RichText),
    }
}

pub fn observation() -> PageObservation {
    PageObservation {
        observed_at: t("2026-02-01T00:00:00Z"),
        last_edited_time: Some(t("2026-02-01T00:00:00Z")),
        in_trash: false,
        status: None,
        results_url: None,
        title: Some("Board election".into()),
        description: Some("Choose the board".into()),
        schema: schema(),
    }
}

pub fn expected_results_url() -> String {
    format!("{BASE_URL}/e/elec_test/results")
}

/// Everything a planner call needs, owned.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub election: Election,
    pub link: NotionLink,
    pub state: SyncState,
    pub observation: Option<PageObservation>,
    pub base_url: String,
    pub trigger: Trigger,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            election: election(),
            link: link(),
            state: SyncState::default(),
            observation: Some(observation()),
            base_url: BASE_URL.into(),
            trigger: Trigger::Scheduled,
        }
    }

    pub fn input(&self) -> SyncInput<'_> {
        SyncInput {
            election: &self.election,
            link: &self.link,
            state: &self.state,
            observation: self.observation.as_ref(),
            base_url: &self.base_url,
            trigger: self.trigger,
        }
    }

    pub fn plan(&self, now: Timestamp) -> SyncPlan {
        plan(now, &self.input())
    }

    pub fn obs(&mut self) -> &mut PageObservation {
        self.observation
            .as_mut()
            .expect("fixture has an observation")
    }
}
