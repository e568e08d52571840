//! A test world: emulator (demo workspace, frozen clock, no rate limit), store file, driver.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use notion_client::{NotionClient, NotionId, NotionVersion, SecretString};
use notion_emulator::{Clock as EmuClock, Emulator, EmulatorConfig, demo};
use serde_json::{Value, json};
use store::{ElectionRecord, NewElection, SqliteStore};
use sync_driver::{Allowlist, DriverConfig, LinkRequest, ManualClock, SyncDriver};
use sync_engine::ElectionId;
use uuid::Uuid;

/// Where every test's clocks start (a whole minute plus 30 s, like a real cycle).
pub(crate) const T0: &str = "2026-03-01T09:00:30Z";
pub(crate) const BASE_URL: &str = "https://vote.example.org";

pub(crate) fn t0() -> Timestamp {
    T0.parse().unwrap()
}

pub(crate) fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

pub(crate) fn id(uuid: Uuid) -> NotionId {
    NotionId::from(uuid)
}

pub(crate) struct World {
    pub(crate) emu: Emulator,
    pub(crate) store: Arc<SqliteStore>,
    pub(crate) driver: SyncDriver,
    pub(crate) clock: ManualClock,
    _dir: tempfile::TempDir,
}

pub(crate) fn allowlist() -> Allowlist {
    Allowlist::parse(&format!(
        "{}:Elections,{}:Legacy Elections",
        demo::ELECTIONS_DB,
        demo::LEGACY_DB
    ))
    .unwrap()
}

pub(crate) fn client(emu: &Emulator) -> NotionClient {
    client_for(emu, NotionVersion::default())
}

/// The test client, speaking Notion API `version`.
pub(crate) fn client_for(emu: &Emulator, version: NotionVersion) -> NotionClient {
    NotionClient::builder()
        .notion_version(version)
        .token(SecretString::from(demo::TOKEN))
        .base_url(emu.base_url())
        .max_requests_per_second(1000.0)
        .burst(50)
        .base_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
        .max_attempts(8)
        .build()
        .unwrap()
}

impl World {
    pub(crate) async fn new() -> Self {
        Self::with(EmulatorConfig::default()).await
    }

    pub(crate) async fn with(config: EmulatorConfig) -> Self {
        Self::with_version(config, NotionVersion::default()).await
    }

    /// A world whose driver speaks Notion API `version` (the emulator answers each as Notion).
    pub(crate) async fn with_version(config: EmulatorConfig, version: NotionVersion) -> Self {
        let emu = Emulator::start(
            config
                .without_rate_limit()
                .with_clock(EmuClock::frozen_at(t0())),
        )
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path().join("sync.sqlite3")).unwrap());
        let mut driver_config = DriverConfig::new(BASE_URL, allowlist());
        driver_config.holder = "driver-a".to_owned();
        let driver = SyncDriver::new(store.clone(), client_for(&emu, version), driver_config);
        Self {
            emu,
            store,
            driver,
            clock: ManualClock::new(t0()),
            _dir: dir,
        }
    }

    /// Another driver (another runner process) on the same store and Notion.
    pub(crate) fn driver_for(emu: &Emulator, store: &Arc<SqliteStore>, holder: &str) -> SyncDriver {
        let mut config = DriverConfig::new(BASE_URL, allowlist());
        config.holder = holder.to_owned();
        SyncDriver::new(store.clone(), client(emu), config)
    }

    /// The store's SQLite file.
    pub(crate) fn db_path(&self) -> std::path::PathBuf {
        self._dir.path().join("sync.sqlite3")
    }

    pub(crate) fn now(&self) -> Timestamp {
        use sync_driver::Clock;
        self.clock.now()
    }

    /// Moves both clocks (ours and Notion's) forward.
    pub(crate) fn advance(&self, by: SignedDuration) {
        self.clock.advance(by);
        self.emu.clock().advance(by);
    }

    pub(crate) fn create_election(&self, title: &str, open_in: i64, close_in: i64) -> ElectionId {
        let now = self.now();
        self.store
            .create_election(
                NewElection {
                    id: None,
                    title: title.into(),
                    description: String::new(),
                    open_at: now + secs(open_in),
                    close_at: now + secs(close_in),
                },
                now,
            )
            .unwrap()
            .election
            .id
    }

    pub(crate) fn request(db: Uuid, page: Uuid) -> LinkRequest {
        LinkRequest {
            database_id: db.to_string(),
            page_id: page.to_string(),
            ..LinkRequest::default()
        }
    }

    pub(crate) async fn link(&self, election: &ElectionId, page: Uuid) -> ElectionRecord {
        self.driver
            .link(
                election,
                Self::request(demo::ELECTIONS_DB, page),
                self.now(),
            )
            .await
            .unwrap()
            .record
    }

    /// A new row in the demo Elections data source, as a person would add it.
    pub(crate) fn add_page(&self, title: &str) -> Uuid {
        self.emu
            .create_page_as_user(
                demo::ELECTIONS_DS,
                json!({
                    "Name": {"title": [{"text": {"content": title}}]},
                    "Voting Status": {"status": {"name": "Not started"}},
                }),
            )
            .unwrap()
    }

    pub(crate) fn prop(&self, page: Uuid, name: &str) -> Value {
        self.emu.page_property(page, name).unwrap_or(Value::Null)
    }

    pub(crate) fn status(&self, page: Uuid) -> Option<String> {
        self.prop(page, "Voting Status")["status"]["name"]
            .as_str()
            .map(str::to_owned)
    }

    pub(crate) fn results_link(&self, page: Uuid) -> Option<String> {
        self.prop(page, "Results Link")["url"]
            .as_str()
            .map(str::to_owned)
    }

    pub(crate) fn election(&self, id: &ElectionId) -> ElectionRecord {
        self.store.get_election(id).unwrap()
    }

    /// Requests served by the emulator to `"METHOD /route"` since the last reset.
    pub(crate) fn served(&self, route: &str) -> u64 {
        self.emu.request_counts().route(route)
    }
}

pub(crate) const QUERY: &str = "POST /v1/data_sources/{data_source_id}/query";
pub(crate) const PATCH_PAGE: &str = "PATCH /v1/pages/{page_id}";
pub(crate) const GET_PAGE: &str = "GET /v1/pages/{page_id}";

/// One scheduled cycle of the world's driver at its clock's now.
pub(crate) async fn cycle(w: &World) -> sync_driver::CycleReport {
    w.driver
        .run_cycle(w.now(), sync_driver::CycleOptions::scheduled())
        .await
        .unwrap()
}

/// Gives the Legacy Elections data source the options the sync needs ("In Voting" is missing
/// from the demo), as a person would in Notion.
pub(crate) fn complete_legacy_options(w: &World) {
    w.emu
        .update_data_source_as_user(
            demo::LEGACY_DS,
            json!({"properties": {"Voting Status": {"status": {"options": [
                {"name": "Not started"}, {"name": "In Voting"}, {"name": "Done"}
            ]}}}}),
        )
        .unwrap();
}
