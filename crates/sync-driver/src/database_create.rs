//! `sync-runner database create` (issue 12): a new Notion database with the schema a managed
//! database needs, so that switching it to managed needs nothing added by hand.

use notion_client::{CreateDatabase, ErrorKind, NotionId, rich_text_from_str};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sync_engine::DEFAULT_KEY_PROPERTY_NAME;

use crate::managed::VOTING_WINDOW_PROPERTY_NAME;
use crate::{DriverError, SyncDriver};

/// The title property of a created database (Notion's own default name, and the link's default).
pub const TITLE_PROPERTY_NAME: &str = "Name";
/// The status property of a created database (the link's default).
pub const STATUS_PROPERTY_NAME: &str = "Voting Status";
/// The results link property of a created database (the link's default).
pub const RESULTS_PROPERTY_NAME: &str = "Results Link";
/// The description property of a created database (the link's default).
pub const DESCRIPTION_PROPERTY_NAME: &str = "Description";
/// The status options a created database asks for, with the colours Notion's defaults use.
pub const STATUS_OPTIONS: [(&str, &str); 3] = [
    ("Not started", "default"),
    ("In Voting", "blue"),
    ("Done", "green"),
];

/// What `create_managed_database` made.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedDatabase {
    /// The new database's id.
    pub database_id: NotionId,
    /// Its Notion URL, when Notion gave one.
    pub url: Option<String>,
    /// Its title.
    pub title: String,
    /// The status options Notion did not create (an API version that ignores them): they must be
    /// added to "Voting Status" in Notion before an election opens.
    pub missing_status_options: Vec<String>,
}

/// The schema of a managed database: title, key, status with its options, results link, voting
/// window, description.
pub fn managed_database_properties() -> Map<String, Value> {
    let options: Vec<Value> = STATUS_OPTIONS
        .iter()
        .map(|(name, color)| json!({"name": name, "color": color}))
        .collect();
    let mut properties = Map::new();
    properties.insert(TITLE_PROPERTY_NAME.into(), json!({"title": {}}));
    properties.insert(DEFAULT_KEY_PROPERTY_NAME.into(), json!({"rich_text": {}}));
    properties.insert(
        STATUS_PROPERTY_NAME.into(),
        json!({"status": {"options": options}}),
    );
    properties.insert(RESULTS_PROPERTY_NAME.into(), json!({"url": {}}));
    properties.insert(VOTING_WINDOW_PROPERTY_NAME.into(), json!({"date": {}}));
    properties.insert(DESCRIPTION_PROPERTY_NAME.into(), json!({"rich_text": {}}));
    properties
}

impl SyncDriver {
    /// Creates a database titled `title` under the page `parent_page` (through the internal
    /// connection: the page must be shared with the integration) with the schema of
    /// [`managed_database_properties`], then reads its schema back to say which status options
    /// Notion did not create. Errors: `InvalidInput` (`title`), `Validation` (the page is not
    /// found or not shared), `Notion`.
    pub async fn create_managed_database(
        &self,
        parent_page: NotionId,
        title: &str,
    ) -> Result<CreatedDatabase, DriverError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(DriverError::InvalidInput {
                field: "title",
                message: "must not be empty: name the database (default \"Elections\")".into(),
            });
        }
        let rich_title = rich_text_from_str(title).map_err(|e| DriverError::InvalidInput {
            field: "title",
            message: e.to_string(),
        })?;
        let request = CreateDatabase::new(parent_page, rich_title, managed_database_properties());
        let database = self.notion().create_database(&request).await.map_err(|e| {
            match e.kind() {
                ErrorKind::NotFound => DriverError::Validation(format!(
                    "The page {parent_page} was not found or is not shared with the integration: \
                     share it with the integration in Notion (••• → Connections), or pass another \
                     page with --parent"
                )),
                _ => e.into(),
            }
        })?;
        let schema = self.database_schema(database.id).await?;
        let present: Vec<&str> = schema
            .properties
            .values()
            .find(|p| p.name == STATUS_PROPERTY_NAME)
            .map(|p| p.option_names())
            .unwrap_or_default();
        let missing_status_options = STATUS_OPTIONS
            .iter()
            .filter(|(name, _)| !present.contains(name))
            .map(|(name, _)| (*name).to_owned())
            .collect();
        tracing::info!(database = %database.id, parent = %parent_page, "database created");
        Ok(CreatedDatabase {
            database_id: database.id,
            url: database.url.clone(),
            title: title.to_owned(),
            missing_status_options,
        })
    }
}
