#![doc = include_str!("../README.md")]

mod cadence;
mod error;
mod link;
mod link_check;
mod managed;
mod model;
mod observation;
mod plan;

pub use cadence::{DEFAULT_MIN_INTERVAL, is_due, needs_observation};
pub use error::{
    ErrorClass, PERMANENT_BACKOFF_BASE, PERMANENT_BACKOFF_MAX, SyncError, SyncErrorKind,
    TRANSIENT_RETRY_DELAY, classify_error, next_attempt_after_failure,
};
pub use link::{
    DEFAULT_DESCRIPTION_PROPERTY_NAME, DEFAULT_RESULTS_PROPERTY_NAME, DEFAULT_STATUS_PROPERTY_NAME,
    DEFAULT_STATUS_VALUE_DONE, DEFAULT_STATUS_VALUE_IN_VOTING, DEFAULT_STATUS_VALUE_NOT_STARTED,
    DEFAULT_TITLE_PROPERTY_NAME, FieldMapping, NotionLink, PhaseMapping, PropertyRef, PropertyRole,
    StatusMapping, TextDirection, TextMapping, WindowMapping,
};
pub use link_check::{LinkProblem, LinkWarning, check_link};
pub use managed::{
    BrakeReason, CreatedProperties, DEFAULT_KEY_PROPERTY_NAME, DEFAULT_MAX_DELETES, Duplicate,
    ManagedElection, ManagedPlan, NotManagedReason, OnElectionDeleted, Orphan, PassKind,
    PassOptions, PlannedTrash, SeenPage, Sweep, creation_writes, next_delta_cursor, plan_pass,
};
pub use model::{
    Election, ElectionId, MAX_ELECTION_ID_LEN, Phase, SyncState, ValidationError,
    validate_description, validate_text, validate_title, validate_window,
};
pub use observation::{
    DatabaseSchema, DateValue, ObservedValue, PageObservation, PropertyKind, SchemaProperty,
};
pub use plan::{
    ElectionUpdate, PageWrite, PlanNote, PropertyWrite, PulledField, SyncInput, SyncOutcome,
    SyncPlan, TextChange, Trigger, Verdict, WriteValue, desired_status, plan, record_failure,
    results_url,
};
