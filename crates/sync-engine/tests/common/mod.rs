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

/// The fixture database's property ids.
pub const TITLE_ID: &str = "title";
pub const DESCRIPTION_ID: &str = "desc";
pub const STATUS_ID: &str = "st%3A";
pub const RESULTS_ID: &str = "url";

fn property(id: &str, name: &str, kind: PropertyKind, options: &[&str]) -> SchemaProperty {
    SchemaProperty {
        id: id.into(),
        name: name.into(),
        kind,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
    }
}

pub fn schema() -> DatabaseSchema {
    DatabaseSchema {
        properties: vec![
            property(TITLE_ID, "Name", PropertyKind::Title, &[]),
            property(DESCRIPTION_ID, "Description", PropertyKind::RichText, &[]),
            property(
                STATUS_ID,
                "Voting Status",
                PropertyKind::Status,
                &["Not started", "In Voting", "Done"],
            ),
            property(RESULTS_ID, "Results Link", PropertyKind::Url, &[]),
        ],
    }
}

pub fn observation() -> PageObservation {
    let mut observation = PageObservation {
        observed_at: t("2026-02-01T00:00:00Z"),
        last_edited_time: Some(t("2026-02-01T00:00:00Z")),
        in_trash: false,
        values: Default::default(),
        schema: std::sync::Arc::new(schema()),
    };
    observation.set_status(None);
    observation.set_results_url(None);
    observation.set_title(Some("Board election".into()));
    observation.set_description(Some("Choose the board".into()));
    observation
}

/// Reading and changing the fixture page's values and schema by role, as the old fixed slots did.
pub trait ObservationExt {
    fn set_status(&mut self, value: Option<String>);
    fn set_results_url(&mut self, value: Option<String>);
    fn set_title(&mut self, value: Option<String>);
    fn set_description(&mut self, value: Option<String>);
    fn set_value(&mut self, id: &str, value: ObservedValue);
    /// Changes the type of property `id`, or removes it from the schema with `None`.
    fn set_kind(&mut self, id: &str, kind: Option<PropertyKind>);
    fn set_options(&mut self, id: &str, options: Vec<String>);
    fn rename(&mut self, id: &str, name: &str);
    fn status(&self) -> Option<&str>;
    fn results_url(&self) -> Option<&str>;
}

impl ObservationExt for PageObservation {
    fn set_status(&mut self, value: Option<String>) {
        self.set_value(STATUS_ID, ObservedValue::Status(value));
    }
    fn set_results_url(&mut self, value: Option<String>) {
        self.set_value(RESULTS_ID, ObservedValue::Url(value));
    }
    fn set_title(&mut self, value: Option<String>) {
        self.set_value(TITLE_ID, ObservedValue::Text(value.unwrap_or_default()));
    }
    fn set_description(&mut self, value: Option<String>) {
        self.set_value(
            DESCRIPTION_ID,
            ObservedValue::Text(value.unwrap_or_default()),
        );
    }
    fn set_value(&mut self, id: &str, value: ObservedValue) {
        self.values.insert(id.into(), value);
    }
    fn set_kind(&mut self, id: &str, kind: Option<PropertyKind>) {
        match kind {
            None => std::sync::Arc::make_mut(&mut self.schema)
                .properties
                .retain(|p| p.id != id),
            Some(kind) => {
                if let Some(p) = std::sync::Arc::make_mut(&mut self.schema)
                    .properties
                    .iter_mut()
                    .find(|p| p.id == id)
                {
                    p.kind = kind;
                }
            }
        }
    }
    fn set_options(&mut self, id: &str, options: Vec<String>) {
        if let Some(p) = std::sync::Arc::make_mut(&mut self.schema)
            .properties
            .iter_mut()
            .find(|p| p.id == id)
        {
            p.options = options;
        }
    }
    fn rename(&mut self, id: &str, name: &str) {
        if let Some(p) = std::sync::Arc::make_mut(&mut self.schema)
            .properties
            .iter_mut()
            .find(|p| p.id == id)
        {
            p.name = name.into();
        }
    }
    fn status(&self) -> Option<&str> {
        self.values
            .get(STATUS_ID)
            .and_then(ObservedValue::as_option)
    }
    fn results_url(&self) -> Option<&str> {
        self.values.get(RESULTS_ID).and_then(ObservedValue::as_url)
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
