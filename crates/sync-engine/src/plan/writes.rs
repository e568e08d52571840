//! App → Notion: the value each mapped property should hold, and the writes where it does not.

use jiff::Timestamp;

use crate::error::{SyncError, SyncErrorKind};
use crate::link::{FieldMapping, PropertyRole, TextDirection, WindowMapping};
use crate::model::{Election, Phase};
use crate::observation::{DateValue, ObservedValue, PropertyKind, SchemaProperty};

use super::resolved::Resolved;
use super::{PlanNote, PropertyWrite, WriteValue, results_url, status_for_phase};

/// What the write planning looks at.
pub(super) struct WriteContext<'a> {
    /// The election's phase at `now`.
    pub(super) phase: Phase,
    /// The election.
    pub(super) election: &'a Election,
    /// The link's mapping, references already following the schema.
    pub(super) mapping: &'a FieldMapping,
    /// The app's public base URL.
    pub(super) base_url: &'a str,
    /// The mapped properties as observed on the page.
    pub(super) found: &'a Resolved<'a>,
}

/// Every property write the page needs, status first. Fails only on the status property: the
/// one thing a link exists for; the other properties leave a note when they cannot be written.
pub(super) fn plan_writes(
    cx: &WriteContext<'_>,
    notes: &mut Vec<PlanNote>,
) -> Result<Vec<PropertyWrite>, SyncError> {
    let mut writes = Vec::new();
    writes.extend(status(cx, notes)?);
    writes.extend(results_link(cx, notes));
    writes.extend(pushed_text(cx, PropertyRole::Title, notes));
    writes.extend(pushed_text(cx, PropertyRole::Description, notes));
    writes.extend(voting_window(cx, notes));
    if cx.mapping.election_id.is_some() {
        let id = WriteValue::RichText(cx.election.id.to_string());
        writes.extend(optional(cx, PropertyRole::ElectionId, notes, |_| Some(id)));
    }
    if let Some(phase) = &cx.mapping.phase {
        let option = WriteValue::Select(phase.value_for(cx.phase).to_owned());
        writes.extend(optional(cx, PropertyRole::Phase, notes, |_| Some(option)));
    }
    Ok(writes)
}

fn status(
    cx: &WriteContext<'_>,
    notes: &mut Vec<PlanNote>,
) -> Result<Option<PropertyWrite>, SyncError> {
    let mapping = &cx.mapping.status;
    let Some((property, current)) = cx.found.get(PropertyRole::Status) else {
        return Err(SyncError::new(
            SyncErrorKind::PropertyMissing,
            format!(
                "The property '{}' does not exist in the database",
                mapping.property.name
            ),
        ));
    };
    let name = &property.name;
    if property.kind != PropertyKind::Status {
        return Err(SyncError::new(
            SyncErrorKind::PropertyWrongType,
            format!(
                "The property '{name}' is not a Status property (it is {})",
                property.kind
            ),
        ));
    }
    let Some(desired) = status_for_phase(cx.phase, mapping, Some(Some(property))) else {
        notes.push(PlanNote::UpcomingStatusOptionMissing {
            property: name.clone(),
            option: mapping.value_for(cx.phase).to_owned(),
        });
        return Ok(None);
    };
    if !property.has_option(desired) {
        return Err(SyncError::new(
            SyncErrorKind::StatusOptionMissing,
            format!("The property '{name}' has no option '{desired}'"),
        ));
    }
    Ok(write_if_differs(
        PropertyRole::Status,
        property,
        current,
        WriteValue::Status(desired.to_owned()),
    ))
}

fn results_link(cx: &WriteContext<'_>, notes: &mut Vec<PlanNote>) -> Option<PropertyWrite> {
    if cx.phase == Phase::Upcoming {
        return None;
    }
    let reference = &cx.mapping.results_link;
    let Some((property, current)) = cx.found.get(PropertyRole::ResultsLink) else {
        notes.push(PlanNote::NoResultsProperty {
            property: reference.name.clone(),
        });
        return None;
    };
    if property.kind != PropertyKind::Url {
        notes.push(PlanNote::ResultsPropertyNotUrl {
            property: property.name.clone(),
            kind: property.kind.clone(),
        });
        return None;
    }
    if cx.base_url.trim().is_empty() {
        notes.push(PlanNote::NoBaseUrl);
        return None;
    }
    let desired = results_url(cx.base_url, &cx.election.id);
    write_if_differs(
        PropertyRole::ResultsLink,
        property,
        current,
        WriteValue::Url(desired),
    )
}

/// The title or description written to the page, when the link pushes it.
fn pushed_text(
    cx: &WriteContext<'_>,
    role: PropertyRole,
    notes: &mut Vec<PlanNote>,
) -> Option<PropertyWrite> {
    let (text, ours) = match role {
        PropertyRole::Title => (&cx.mapping.title, &cx.election.title),
        _ => (&cx.mapping.description, &cx.election.description),
    };
    if text.direction != TextDirection::Push {
        return None;
    }
    optional(cx, role, notes, |property| {
        Some(match property.kind {
            PropertyKind::Title => WriteValue::Title(ours.clone()),
            _ => WriteValue::RichText(ours.clone()),
        })
    })
}

fn voting_window(cx: &WriteContext<'_>, notes: &mut Vec<PlanNote>) -> Vec<PropertyWrite> {
    let (open_at, close_at) = (cx.election.open_at, cx.election.close_at);
    let date = |start: Timestamp, end: Option<Timestamp>| {
        move |_: &SchemaProperty| Some(WriteValue::Date(DateValue { start, end }))
    };
    match &cx.mapping.voting_window {
        None => Vec::new(),
        Some(WindowMapping::Range { .. }) => optional(
            cx,
            PropertyRole::VotingWindow,
            notes,
            date(open_at, Some(close_at)),
        )
        .into_iter()
        .collect(),
        Some(WindowMapping::Split { .. }) => {
            let opens = optional(cx, PropertyRole::VotingOpens, notes, date(open_at, None));
            let closes = optional(cx, PropertyRole::VotingCloses, notes, date(close_at, None));
            opens.into_iter().chain(closes).collect()
        }
    }
}

/// The write of an optional mapped property: `value` decides what it should hold; a property
/// that is missing or of the wrong type leaves a note instead.
fn optional(
    cx: &WriteContext<'_>,
    role: PropertyRole,
    notes: &mut Vec<PlanNote>,
    value: impl FnOnce(&SchemaProperty) -> Option<WriteValue>,
) -> Option<PropertyWrite> {
    let reference = cx.mapping.property(role)?;
    let Some((property, current)) = cx.found.get(role) else {
        notes.push(PlanNote::MappedPropertyMissing {
            role,
            property: reference.name.clone(),
        });
        return None;
    };
    if !role.accepts(&property.kind) {
        notes.push(PlanNote::MappedPropertyWrongType {
            role,
            property: property.name.clone(),
            kind: property.kind.clone(),
        });
        return None;
    }
    let to = value(property)?;
    write_if_differs(role, property, current, to)
}

/// A write of `to` to `property`, unless the page already holds it.
fn write_if_differs(
    role: PropertyRole,
    property: &SchemaProperty,
    current: Option<&ObservedValue>,
    to: WriteValue,
) -> Option<PropertyWrite> {
    let from = current.and_then(|value| as_written(value, &to));
    if from.as_ref().is_some_and(|from| holds(from, &to)) {
        return None;
    }
    Some(PropertyWrite {
        role,
        property: property.name.clone(),
        property_id: property.id.clone(),
        from,
        to,
    })
}

/// An observed value in the form of `like` (the same kind of write), `None` when empty or of
/// another kind.
fn as_written(value: &ObservedValue, like: &WriteValue) -> Option<WriteValue> {
    match (value, like) {
        (ObservedValue::Status(Some(option)), WriteValue::Status(_)) => {
            Some(WriteValue::Status(option.clone()))
        }
        (ObservedValue::Select(Some(option)), WriteValue::Select(_)) => {
            Some(WriteValue::Select(option.clone()))
        }
        (ObservedValue::Url(Some(url)), WriteValue::Url(_)) => Some(WriteValue::Url(url.clone())),
        (ObservedValue::Text(text), WriteValue::Title(_)) if !text.is_empty() => {
            Some(WriteValue::Title(text.clone()))
        }
        (ObservedValue::Text(text), WriteValue::RichText(_)) if !text.is_empty() => {
            Some(WriteValue::RichText(text.clone()))
        }
        (ObservedValue::Date(Some(date)), WriteValue::Date(_)) => Some(WriteValue::Date(*date)),
        _ => None,
    }
}

/// Whether a page holding `current` already shows `desired`. Instants compare to the minute:
/// Notion's date properties are edited to the minute, so a value written with seconds and read
/// back without them is the same value, not a write to repeat every poll.
fn holds(current: &WriteValue, desired: &WriteValue) -> bool {
    match (current, desired) {
        (WriteValue::Date(a), WriteValue::Date(b)) => {
            same_minute(a.start, b.start)
                && match (a.end, b.end) {
                    (None, None) => true,
                    (Some(x), Some(y)) => same_minute(x, y),
                    _ => false,
                }
        }
        _ => current == desired,
    }
}

fn same_minute(a: Timestamp, b: Timestamp) -> bool {
    a.as_second().div_euclid(60) == b.as_second().div_euclid(60)
}
