#![doc = include_str!("../README.md")]

mod allowlist;
mod clock;
mod connection;
mod cycle;
mod daemon;
mod database_create;
mod driver;
mod error;
mod managed;
mod manual;
mod oauth;
mod observe;
mod operations;
mod types;
mod webhooks;

pub use allowlist::{Allowlist, AllowlistEntry, AllowlistError};
pub use clock::{Clock, ManualClock, SleepFuture, SystemClock};
pub use connection::{Connection, ConnectionId, Connections};
pub use cycle::QUERY_PAGE_SIZE;
pub use database_create::{
    CreatedDatabase, DESCRIPTION_PROPERTY_NAME, RESULTS_PROPERTY_NAME, STATUS_OPTIONS,
    STATUS_PROPERTY_NAME, TITLE_PROPERTY_NAME, managed_database_properties,
};
pub use driver::{SEARCH_PAGE_SIZE, SyncDriver};
pub use error::DriverError;
pub use managed::{ManagedPassOptions, ManagedPassReport, VOTING_WINDOW_PROPERTY_NAME};
pub use oauth::OAuthSettings;
pub use observe::{database_schema, page_observation, schema_observation, sync_error_from_notion};
pub use operations::NotionOperations;
pub use tokio_util::sync::CancellationToken;
pub use types::{
    CycleOptions, CycleProgress, CycleReport, DEFAULT_CHANGE_OVERLAP, DEFAULT_LEASE_TTL,
    DEFAULT_MAX_CONCURRENT_CONNECTIONS, DEFAULT_MIN_INTERVAL, DEFAULT_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL_WITH_WEBHOOKS, DEFAULT_RECONCILE_EVERY, DEFAULT_RUN_RETENTION,
    DEFAULT_WEBHOOK_CHECK_EVERY, DEFAULT_WEBHOOK_HEALTHY_WINDOW, DaemonOptions, DatabaseProperty,
    DatabaseReport, DriverConfig, LinkOutcome, LinkRequest, ManualSync, PRUNE_EVERY, PageSearch,
    PageSummary, PageValidation, ProgressSink, SyncedFields, VisibleDatabase, WebhookScope,
    WrittenFields,
};
pub use webhooks::{WEBHOOK_BATCH, WebhookPass};
