//! The planner: election + link + state + observation + `now` → writes, pulls and the outcome to record.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{
    ErrorClass, SyncError, SyncErrorKind, classify_error, next_attempt_after_failure,
};
use crate::model::{Election, ElectionId, NotionLink, Phase, SyncState};
use crate::observation::{PageObservation, PropertyKind, SchemaObservation};

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

/// A status property change: absolute value to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The status property's name.
    pub property: String,
    /// The option on the page now (`None`: empty).
    pub from: Option<String>,
    /// The option to write.
    pub to: String,
}

/// A URL property change: absolute value to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlChange {
    /// The URL property's name.
    pub property: String,
    /// The URL on the page now (`None`: empty).
    pub from: Option<String>,
    /// The URL to write.
    pub to: String,
}

/// The one page update of a sync: status and results link together. Absolute values, so a retry is
/// harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageWrite {
    /// The page to update.
    pub page_id: String,
    /// Status to set, if it differs.
    pub status: Option<StatusChange>,
    /// Results link to set, if it differs.
    pub results_url: Option<UrlChange>,
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

    plan.election_update = plan_pull(election, link, observation, &mut plan.notes);

    let status = match plan_status(phase, link, observation, &mut plan.notes) {
        Ok(status) => status,
        Err(error) => {
            return fail(plan, now, input.state, observation, error);
        }
    };
    let results = plan_results(phase, input, observation, &mut plan.notes);

    if status.is_some() || results.is_some() {
        plan.page_write = Some(PageWrite {
            page_id: link.notion_page_id.clone(),
            status,
            results_url: results,
        });
    }

    let after = match &plan.page_write {
        Some(write) => observation.with_write_applied(write, now),
        None => PageObservation {
            observed_at: observation.observed_at.max(now),
            ..observation.clone()
        },
    };
    let done_value = link.status_value_for(Phase::Closed);
    let notion_done_set_at = match phase {
        Phase::Closed if after.status.as_deref() == Some(done_value) => {
            input.state.notion_done_set_at.or(Some(now))
        }
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

fn plan_status(
    phase: Phase,
    link: &NotionLink,
    observation: &PageObservation,
    notes: &mut Vec<PlanNote>,
) -> Result<Option<StatusChange>, SyncError> {
    let property = &link.notion_status_property_name;
    let schema = &observation.schema;
    match &schema.status_property_type {
        None => {
            return Err(SyncError::new(
                SyncErrorKind::PropertyMissing,
                format!("The property '{property}' does not exist in the database"),
            ));
        }
        Some(PropertyKind::Status) => {}
        Some(other) => {
            return Err(SyncError::new(
                SyncErrorKind::PropertyWrongType,
                format!("The property '{property}' is not a Status property (it is {other})"),
            ));
        }
    }
    let Some(desired) = status_for_phase(phase, link, Some(schema)) else {
        let missing = link.status_value_for(phase);
        notes.push(PlanNote::UpcomingStatusOptionMissing {
            property: property.clone(),
            option: missing.to_owned(),
        });
        return Ok(None);
    };
    if !schema.has_status_option(desired) {
        return Err(SyncError::new(
            SyncErrorKind::StatusOptionMissing,
            format!("The property '{property}' has no option '{desired}'"),
        ));
    }
    if observation.status.as_deref() == Some(desired) {
        return Ok(None);
    }
    Ok(Some(StatusChange {
        property: property.clone(),
        from: observation.status.clone(),
        to: desired.to_owned(),
    }))
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
    status_for_phase(election.phase(now), link, observation.map(|o| &o.schema))
}

/// The one rule behind [`desired_status`] and the planner's status write.
fn status_for_phase<'a>(
    phase: Phase,
    link: &'a NotionLink,
    schema: Option<&SchemaObservation>,
) -> Option<&'a str> {
    let value = link.status_value_for(phase);
    let option_missing = schema.is_some_and(|s| !s.has_status_option(value));
    (phase != Phase::Upcoming || !option_missing).then_some(value)
}

fn plan_results(
    phase: Phase,
    input: &SyncInput<'_>,
    observation: &PageObservation,
    notes: &mut Vec<PlanNote>,
) -> Option<UrlChange> {
    if phase == Phase::Upcoming {
        return None;
    }
    let property = &input.link.notion_results_property_name;
    match &observation.schema.results_property_type {
        None => {
            notes.push(PlanNote::NoResultsProperty {
                property: property.clone(),
            });
            None
        }
        Some(PropertyKind::Url) if input.base_url.trim().is_empty() => {
            notes.push(PlanNote::NoBaseUrl);
            None
        }
        Some(PropertyKind::Url) => {
            let desired = results_url(input.base_url, &input.election.id);
            if observation.results_url.as_deref() == Some(desired.as_str()) {
                None
            } else {
                Some(UrlChange {
                    property: property.clone(),
                    from: observation.results_url.clone(),
                    to: desired,
                })
            }
        }
        Some(other) => {
            notes.push(PlanNote::ResultsPropertyNotUrl {
                property: property.clone(),
                kind: other.clone(),
            });
            None
        }
    }
}

fn plan_pull(
    election: &Election,
    link: &NotionLink,
    observation: &PageObservation,
    notes: &mut Vec<PlanNote>,
) -> Option<ElectionUpdate> {
    let schema = &observation.schema;
    let title = pull_text(
        PulledField::Title,
        &link.notion_title_property_name,
        schema.title_property_type.as_ref(),
        &[PropertyKind::Title, PropertyKind::RichText],
        pulled_text(observation.title.as_deref(), false).as_deref(),
        &election.title,
        notes,
    );
    let description = pull_text(
        PulledField::Description,
        &link.notion_description_property_name,
        schema.description_property_type.as_ref(),
        &[PropertyKind::RichText],
        pulled_text(observation.description.as_deref(), true).as_deref(),
        &election.description,
        notes,
    );
    (title.is_some() || description.is_some()).then_some(ElectionUpdate { title, description })
}

/// Text pulled from Notion without control characters (a NUL in a title), trimmed: what is left
/// empty counts as an empty value.
fn pulled_text(text: Option<&str>, multiline: bool) -> Option<String> {
    text.map(|t| crate::observation::pulled_text(t, multiline))
}

fn pull_text(
    field: PulledField,
    property: &str,
    kind: Option<&PropertyKind>,
    readable: &[PropertyKind],
    notion: Option<&str>,
    ours: &str,
    notes: &mut Vec<PlanNote>,
) -> Option<TextChange> {
    match kind {
        Some(kind) if readable.contains(kind) => {}
        None => {
            notes.push(PlanNote::PulledPropertyMissing {
                field,
                property: property.to_owned(),
            });
            return None;
        }
        Some(kind) => {
            notes.push(PlanNote::PulledPropertyUnreadable {
                field,
                property: property.to_owned(),
                kind: kind.clone(),
            });
            return None;
        }
    }
    let notion = notion.unwrap_or_default();
    if notion.is_empty() {
        if !ours.is_empty() {
            notes.push(PlanNote::EmptyInNotion {
                field,
                property: property.to_owned(),
            });
        }
        return None;
    }
    (notion != ours).then(|| TextChange {
        from: ours.to_owned(),
        to: notion.to_owned(),
    })
}

impl PageObservation {
    /// This observation as it will be once `write` succeeded at `at`.
    #[must_use]
    pub fn with_write_applied(&self, write: &PageWrite, at: Timestamp) -> Self {
        let mut after = self.clone();
        if let Some(status) = &write.status {
            after.status = Some(status.to.clone());
        }
        if let Some(url) = &write.results_url {
            after.results_url = Some(url.to.clone());
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
            status: None,
            results_url: None,
            title: None,
            description: None,
            schema: SchemaObservation {
                status_property_type: Some(PropertyKind::Status),
                status_options: options.iter().map(|o| (*o).to_owned()).collect(),
                ..SchemaObservation::default()
            },
        }
    }

    #[test]
    fn desired_status_follows_the_phase_and_the_planner() {
        let election = election();
        let mut link = NotionLink::new("db", "page");
        link.notion_status_value_in_voting = "Voting".into();
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
            if let Some(write) = planned.page_write.and_then(|w| w.status) {
                assert_eq!(Some(write.to.as_str()), expected, "{now}");
            }
        }
    }
}
