#![doc = include_str!("../README.md")]

mod cadence;
mod error;
mod link_check;
mod model;
mod observation;
mod plan;

pub use cadence::{DEFAULT_MIN_INTERVAL, is_due, needs_observation};
pub use error::{
    ErrorClass, PERMANENT_BACKOFF_BASE, PERMANENT_BACKOFF_MAX, SyncError, SyncErrorKind,
    TRANSIENT_RETRY_DELAY, classify_error, next_attempt_after_failure,
};
pub use link_check::{DatabaseSchema, LinkProblem, LinkWarning, SchemaProperty, check_link};
pub use model::{
    DEFAULT_DESCRIPTION_PROPERTY_NAME, DEFAULT_RESULTS_PROPERTY_NAME, DEFAULT_STATUS_PROPERTY_NAME,
    DEFAULT_STATUS_VALUE_DONE, DEFAULT_STATUS_VALUE_IN_VOTING, DEFAULT_STATUS_VALUE_NOT_STARTED,
    DEFAULT_TITLE_PROPERTY_NAME, Election, ElectionId, MAX_ELECTION_ID_LEN, NotionLink, Phase,
    SyncState, ValidationError, validate_description, validate_text, validate_title,
    validate_window,
};
pub use observation::{PageObservation, PropertyKind, SchemaObservation};
pub use plan::{
    ElectionUpdate, PageWrite, PlanNote, PulledField, StatusChange, SyncInput, SyncOutcome,
    SyncPlan, TextChange, Trigger, UrlChange, Verdict, desired_status, plan, record_failure,
    results_url,
};
