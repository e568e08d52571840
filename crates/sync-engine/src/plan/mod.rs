//! The planner: election + link + state + observation + `now` → writes, pulls and the outcome to record.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{
    ErrorClass, SyncError, SyncErrorKind, classify_error, next_attempt_after_failure,
};
use crate::link::{FieldMapping, NotionLink, PropertyRole, StatusMapping};
use crate::model::{Election, ElectionId, Phase, SyncState};
use crate::observation::{DateValue, ObservedValue, PageObservation, PropertyKind, SchemaProperty};

mod pulls;
mod references;
mod resolved;
mod writes;

/// Why a sync runs. Recorded with runs; decides cadence in [`crate::is_due`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The runner's periodic cycle or a phase-change wake-up.
    Scheduled,
    /// An admin asked for it (API button, `once --election`): ignores interval and backoff.
    Manual,
    /// A full reconcile (hourly or `backfill`): every linked page is read.
    Reconcile,
}

impl Trigger {
    /// Stable snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Manual => "manual",
            Self::Reconcile => "reconcile",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the planner looks at for one linked election. Borrowed, so building it is free.
#[derive(Debug, Clone, Copy)]
pub struct SyncInput<'a> {
    /// The election as stored.
    pub election: &'a Election,
    /// Its Notion link.
    pub link: &'a NotionLink,
    /// Its sync state as stored.
    pub state: &'a SyncState,
    /// A fresh observation of the page, or `None` to plan from `state.last_observation`
    /// (see [`crate::needs_observation`]).
    pub observation: Option<&'a PageObservation>,
    /// The app's public base URL, for the results link; a trailing slash is ignored.
    pub base_url: &'a str,
    /// Why this sync runs.
    pub trigger: Trigger,
}

/// A value the sync sets a property to. Absolute, so sending it twice is harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum WriteValue {
    /// A status option.
    Status(String),
    /// A select option (Notion creates it if the select lacks it).
    Select(String),
    /// A URL.
    Url(String),
    /// The text of a title property.
    Title(String),
    /// The text of a rich-text property.
    RichText(String),
    /// A date, or a range of dates.
    Date(DateValue),
}

impl fmt::Display for WriteValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(text)
            | Self::Select(text)
            | Self::Url(text)
            | Self::Title(text)
            | Self::RichText(text) => f.write_str(text),
            Self::Date(DateValue { start, end: None }) => write!(f, "{start}"),
            Self::Date(DateValue {
                start,
                end: Some(end),
            }) => write!(f, "{start} → {end}"),
        }
    }
}

impl WriteValue {
    /// The value as an observation of the page shows it once written.
    #[must_use]
    pub fn observed(&self) -> ObservedValue {
        match self {
            Self::Status(option) => ObservedValue::Status(Some(option.clone())),
            Self::Select(option) => ObservedValue::Select(Some(option.clone())),
            Self::Url(url) => ObservedValue::Url(Some(url.clone())),
            Self::Title(text) | Self::RichText(text) => ObservedValue::Text(text.clone()),
            Self::Date(date) => ObservedValue::Date(Some(*date)),
        }
    }
}

/// One property the page write sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyWrite {
    /// The part the property plays in the link.
    pub role: PropertyRole,
    /// The property's current name.
    pub property: String,
    /// Its Notion id.
    pub property_id: String,
    /// The value on the page now, in the form written (`None`: empty).
    pub from: Option<WriteValue>,
    /// The value to write.
    pub to: WriteValue,
}

/// The one page update of a sync: every mapped property that differs, together. Absolute values,
/// so a retry is harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageWrite {
    /// The page to update.
    pub page_id: String,
    /// The properties to set, in the mapping's order (status first).
    pub properties: Vec<PropertyWrite>,
}

impl PageWrite {
    /// The write of the property playing `role`, if it is part of this update.
    #[must_use]
    pub fn get(&self, role: PropertyRole) -> Option<&PropertyWrite> {
        self.properties.iter().find(|w| w.role == role)
    }

    /// The status write, if any.
    #[must_use]
    pub fn status(&self) -> Option<&PropertyWrite> {
        self.get(PropertyRole::Status)
    }

    /// The results link write, if any.
    #[must_use]
    pub fn results_link(&self) -> Option<&PropertyWrite> {
        self.get(PropertyRole::ResultsLink)
    }
}

/// A text field pulled from Notion into the election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextChange {
    /// The election's value now.
    pub from: String,
    /// Notion's value (never empty).
    pub to: String,
}

/// Election fields to update from Notion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionUpdate {
    /// New title, from the title property.
    pub title: Option<TextChange>,
    /// New description, from the description property.
    pub description: Option<TextChange>,
}

/// What the planner concluded about one election's sync: ready to record (once its write, if any,
/// is answered), failed, or unable to plan before the page is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// The plan is complete: once its page write (if any) succeeds, record `state`.
    Synced,
    /// The sync failed; `state` records the error and the backoff.
    Failed {
        /// What failed.
        error: SyncError,
        /// Transient or permanent.
        class: ErrorClass,
    },
    /// Nothing is known about the page yet: read it and plan again. Record nothing.
    NeedsObservation,
}

/// What to record for the election after the sync: the complete next [`SyncState`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOutcome {
    /// Success, failure or "read first". Serialised as `result`, the name the run logs and the
    /// preview's JSON have always used.
    #[serde(rename = "result")]
    pub verdict: Verdict,
    /// The state to store. For `Synced` with a page write, it holds once the write succeeded:
    /// record what [`SyncPlan::on_write_result`] says instead of this when a write was sent.
    pub state: SyncState,
}

impl SyncOutcome {
    /// Whether the sync succeeded.
    #[must_use]
    pub fn is_success(&self) -> bool {
        matches!(self.verdict, Verdict::Synced)
    }
}

/// The plan for one linked election: what to write to Notion, what to pull into the election, what to
/// record. Serialises to JSON; the CLI prints it as its preview table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPlan {
    /// The election.
    pub election_id: ElectionId,
    /// Its linked page.
    pub page_id: String,
    /// The phase at `now`.
    pub phase: Phase,
    /// Why this sync ran.
    pub trigger: Trigger,
    /// The page update, `None` when the page already matches.
    pub page_write: Option<PageWrite>,
    /// Fields pulled from Notion, `None` when nothing changed.
    pub election_update: Option<ElectionUpdate>,
    /// The link's mapping with what reading the schema taught: property ids filled in, names
    /// following renames made in Notion. `None` when the stored mapping is current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping_update: Option<FieldMapping>,
    /// What to record.
    pub outcome: SyncOutcome,
    /// Warnings for people, e.g. a missing optional status option; the edge words them.
    pub notes: Vec<PlanNote>,
}

impl SyncPlan {
    /// What to record once this plan's page write has been answered: the planned outcome when
    /// the write succeeded; when it failed, the failure recorded on the state the sync started
    /// from (`prior`: the planned state assumed the write), keeping `seen` (the observation the
    /// plan was made against, when the page was read) as the last observation so the next sync
    /// plans against what the page really holds.
    #[must_use]
    pub fn on_write_result(
        &self,
        now: Timestamp,
        prior: &SyncState,
        seen: Option<&PageObservation>,
        result: Result<(), SyncError>,
    ) -> SyncOutcome {
        match result {
            Ok(()) => self.outcome.clone(),
            Err(error) => {
                let mut base = prior.clone();
                if let Some(seen) = seen {
                    base.last_observation = Some(seen.clone());
                }
                record_failure(now, &base, error)
            }
        }
    }
}

/// A field of the election that the sync pulls from Notion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PulledField {
    /// The election's title.
    Title,
    /// The election's description.
    Description,
}

impl PulledField {
    /// Stable snake_case name, as in the API's field names.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Description => "description",
        }
    }
}

/// Why a plan leaves something undone without failing: the page lacks an optional part. Typed so
/// that each edge (CLI preview, API, logs) words it for its readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PlanNote {
    /// No observation of the page yet: the plan waits for a read.
    NotReadYet,
    /// The status property lacks the option for an upcoming election: no status is written.
    UpcomingStatusOptionMissing {
        /// The status property's name.
        property: String,
        /// The option the link names for upcoming elections.
        option: String,
    },
    /// The database has no results property: no results link is written.
    NoResultsProperty {
        /// The results property the link names.
        property: String,
    },
    /// The results property is not of type URL: no results link is written.
    ResultsPropertyNotUrl {
        /// The results property's name.
        property: String,
        /// Its type.
        kind: PropertyKind,
    },
    /// No base URL is configured, so there is no results link to write.
    NoBaseUrl,
    /// The property a field is pulled from is missing: the field is not pulled.
    PulledPropertyMissing {
        /// The election field.
        field: PulledField,
        /// The property the link names for it.
        property: String,
    },
    /// The property a field is pulled from has a type the field cannot be read from.
    PulledPropertyUnreadable {
        /// The election field.
        field: PulledField,
        /// The property's name.
        property: String,
        /// Its type.
        kind: PropertyKind,
    },
    /// The property is empty in Notion: the election keeps its own value.
    EmptyInNotion {
        /// The election field.
        field: PulledField,
        /// The property's name.
        property: String,
    },
    /// A mapped property was renamed in Notion; the link follows it by id.
    PropertyRenamed {
        /// The part it plays.
        role: PropertyRole,
        /// The name the link knew.
        from: String,
        /// Its name now.
        to: String,
    },
    /// An optional mapped property (voting window, election id, phase) is not in the database:
    /// that field is not written.
    MappedPropertyMissing {
        /// The part it plays.
        role: PropertyRole,
        /// The name the link gives.
        property: String,
    },
    /// An optional mapped property has a type that cannot hold its field: it is not written.
    MappedPropertyWrongType {
        /// The part it plays.
        role: PropertyRole,
        /// Its name.
        property: String,
        /// Its type.
        kind: PropertyKind,
    },
}

/// The results page URL: `{base_url}/e/{election_id}/results`, without a doubled slash.
#[must_use]
pub fn results_url(base_url: &str, election_id: &ElectionId) -> String {
    format!(
        "{}/e/{}/results",
        base_url.trim_end_matches('/'),
        election_id
    )
}

/// Plans the sync of one linked election at `now` (SPEC §4). Pure: same input, same plan.
#[must_use]
pub fn plan(now: Timestamp, input: &SyncInput<'_>) -> SyncPlan {
    let election = input.election;
    let link = input.link;
    let phase = election.phase(now);
    let mut plan = SyncPlan {
        election_id: election.id.clone(),
        page_id: link.notion_page_id.clone(),
        phase,
        trigger: input.trigger,
        page_write: None,
        election_update: None,
        mapping_update: None,
        outcome: SyncOutcome {
            verdict: Verdict::NeedsObservation,
            state: input.state.clone(),
        },
        notes: Vec::new(),
    };

    let Some(observation) = input.observation.or(input.state.last_observation.as_ref()) else {
        plan.notes.push(PlanNote::NotReadYet);
        return plan;
    };

    if observation.in_trash {
        let error = SyncError::new(
            SyncErrorKind::PageTrashed,
            format!("page '{}'", link.notion_page_id),
        );
        return fail(plan, now, input.state, observation, error);
    }

    // Ids learnt and renames followed before anything else, so every later step (and the
    // stored link) names each property as Notion does now.
    let found = resolved::Resolved::new(&link.mapping, observation);
    let mapping_update =
        references::learnt(&link.mapping, &found, &observation.schema, &mut plan.notes);
    let mapping = mapping_update.as_ref().unwrap_or(&link.mapping);

    let election_update = pulls::plan_pulls(election, mapping, &found, &mut plan.notes);

    let context = writes::WriteContext {
        phase,
        election,
        mapping,
        base_url: input.base_url,
        found: &found,
    };
    let properties = match writes::plan_writes(&context, &mut plan.notes) {
        Ok(properties) => properties,
        Err(error) => {
            plan.election_update = election_update;
            plan.mapping_update = mapping_update;
            return fail(plan, now, input.state, observation, error);
        }
    };
    if !properties.is_empty() {
        plan.page_write = Some(PageWrite {
            page_id: link.notion_page_id.clone(),
            properties,
        });
    }

    let after = match &plan.page_write {
        Some(write) => observation.with_write_applied(write, now),
        None => PageObservation {
            observed_at: observation.observed_at.max(now),
            ..observation.clone()
        },
    };
    let done_value = mapping.status.value_for(Phase::Closed);
    // The status the page shows once the write (if any) is done.
    let done_shown = found
        .get(PropertyRole::Status)
        .and_then(|(property, _)| after.values.get(&property.id))
        .and_then(ObservedValue::as_option)
        == Some(done_value);
    let notion_done_set_at = match phase {
        Phase::Closed if done_shown => input.state.notion_done_set_at.or(Some(now)),
        Phase::Closed => input.state.notion_done_set_at,
        Phase::Upcoming | Phase::Open => None,
    };
    plan.outcome = SyncOutcome {
        verdict: Verdict::Synced,
        state: SyncState {
            notion_last_sync_at: Some(now),
            notion_last_sync_error: None,
            notion_done_set_at,
            last_attempt_at: Some(now),
            consecutive_failures: 0,
            error_class: None,
            next_attempt_at: None,
            link_broken: false,
            last_observation: Some(after),
        },
    };
    plan.election_update = election_update;
    plan.mapping_update = mapping_update;
    plan
}

/// Records a failed sync: the human-readable error, its class, the failure count and the next attempt.
/// Keeps the last successful sync time, `notion_done_set_at` and the last observation. A trashed,
/// moved, deleted or unshared page marks the link broken (the election itself is never touched).
#[must_use]
pub fn record_failure(now: Timestamp, state: &SyncState, error: SyncError) -> SyncOutcome {
    let class = classify_error(&error);
    let consecutive_failures = state.consecutive_failures.saturating_add(1);
    let link_broken = state.link_broken
        || matches!(
            error.kind,
            SyncErrorKind::PageTrashed
                | SyncErrorKind::PageMoved
                | SyncErrorKind::NotFoundOrUnshared
        );
    SyncOutcome {
        state: SyncState {
            notion_last_sync_error: Some(error.describe()),
            last_attempt_at: Some(now),
            consecutive_failures,
            error_class: Some(class),
            next_attempt_at: Some(next_attempt_after_failure(now, class, consecutive_failures)),
            link_broken,
            ..state.clone()
        },
        verdict: Verdict::Failed { error, class },
    }
}

fn fail(
    mut plan: SyncPlan,
    now: Timestamp,
    state: &SyncState,
    observation: &PageObservation,
    error: SyncError,
) -> SyncPlan {
    let mut outcome = record_failure(now, state, error);
    outcome.state.last_observation = Some(observation.clone());
    plan.outcome = outcome;
    plan
}

/// The status option the sync keeps the page at for the election's phase at `now` (SPEC §4): the
/// link's option for that phase, or `None` when the election is upcoming and the status property,
/// as last observed, has no such option (an upcoming election then gets no status write). Without
/// an observation the schema is unknown and the link's option is returned: it is what the next
/// sync tries to write.
///
/// The admin API shows it next to the status last observed on the page.
#[must_use]
pub fn desired_status<'a>(
    election: &Election,
    link: &'a NotionLink,
    observation: Option<&PageObservation>,
    now: Timestamp,
) -> Option<&'a str> {
    let status = &link.mapping.status;
    let known = observation.map(|o| o.schema.resolve(&status.property));
    status_for_phase(election.phase(now), status, known)
}

/// The one rule behind [`desired_status`] and the planner's status write. `known` is the status
/// property as last observed (`Some(None)`: the schema has none), `None` when nothing has been
/// observed yet.
pub(crate) fn status_for_phase<'a>(
    phase: Phase,
    status: &'a StatusMapping,
    known: Option<Option<&SchemaProperty>>,
) -> Option<&'a str> {
    let value = status.value_for(phase);
    let option_missing = known.is_some_and(|p| !p.is_some_and(|p| p.has_option(value)));
    (phase != Phase::Upcoming || !option_missing).then_some(value)
}

impl PageObservation {
    /// This observation as it will be once `write` succeeded at `at`.
    #[must_use]
    pub fn with_write_applied(&self, write: &PageWrite, at: Timestamp) -> Self {
        let mut after = self.clone();
        for property in &write.properties {
            after
                .values
                .insert(property.property_id.clone(), property.to.observed());
        }
        after.observed_at = self.observed_at.max(at);
        after
    }
}

impl Election {
    /// Applies fields pulled from Notion, stamping `updated_at` with `at`.
    pub fn apply_update(&mut self, update: &ElectionUpdate, at: Timestamp) {
        if let Some(title) = &update.title {
            self.title.clone_from(&title.to);
        }
        if let Some(description) = &update.description {
            self.description.clone_from(&description.to);
        }
        self.updated_at = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn election() -> Election {
        Election {
            id: ElectionId::parse("elec_desired").expect("id"),
            title: "Board election".into(),
            description: String::new(),
            open_at: t("2026-03-01T09:00:00Z"),
            close_at: t("2026-03-08T09:00:00Z"),
            created_at: t("2026-02-01T00:00:00Z"),
            updated_at: t("2026-02-01T00:00:00Z"),
        }
    }

    fn observation(options: &[&str]) -> PageObservation {
        PageObservation {
            observed_at: t("2026-02-01T00:00:00Z"),
            last_edited_time: None,
            in_trash: false,
            values: std::collections::BTreeMap::new(),
            schema: std::sync::Arc::new(crate::DatabaseSchema {
                properties: vec![crate::observation::SchemaProperty {
                    id: "st".into(),
                    name: "Voting Status".into(),
                    kind: PropertyKind::Status,
                    options: options.iter().map(|o| (*o).to_owned()).collect(),
                }],
            }),
        }
    }

    #[test]
    fn desired_status_follows_the_phase_and_the_planner() {
        let election = election();
        let mut link = NotionLink::new("db", "page");
        link.mapping.status.in_voting = "Voting".into();
        let all = observation(&["Not started", "Voting", "Done"]);
        let no_not_started = observation(&["Voting", "Done"]);
        let (before, during, after) = (
            t("2026-02-15T00:00:00Z"),
            t("2026-03-02T00:00:00Z"),
            t("2026-03-09T00:00:00Z"),
        );
        let rows = [
            (before, None, Some("Not started")),
            (before, Some(&all), Some("Not started")),
            (before, Some(&no_not_started), None),
            (during, Some(&all), Some("Voting")),
            (during, Some(&no_not_started), Some("Voting")),
            (after, Some(&no_not_started), Some("Done")),
            (after, None, Some("Done")),
        ];
        for (now, observation, expected) in rows {
            assert_eq!(
                desired_status(&election, &link, observation, now),
                expected,
                "{now} {observation:?}"
            );
            // Wherever the planner writes a status, it writes the desired one.
            let state = SyncState::default();
            let planned = plan(
                now,
                &SyncInput {
                    election: &election,
                    link: &link,
                    state: &state,
                    observation,
                    base_url: "https://vote.example.org",
                    trigger: Trigger::Manual,
                },
            );
            if let Some(write) = planned.page_write.as_ref().and_then(PageWrite::status) {
                assert_eq!(Some(write.to.to_string().as_str()), expected, "{now}");
            }
        }
    }
}
