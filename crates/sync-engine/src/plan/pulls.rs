//! Notion → app: the title and description the link pulls from the page.

use crate::link::{FieldMapping, PropertyRole, TextDirection, TextMapping};
use crate::model::Election;
use crate::observation::ObservedValue;

use super::resolved::Resolved;
use super::{ElectionUpdate, PlanNote, PulledField, TextChange};

/// The election fields to update from the page: each text field whose direction is `pull`, when
/// the page has a value that differs from ours (an empty value never erases ours).
pub(super) fn plan_pulls(
    election: &Election,
    mapping: &FieldMapping,
    found: &Resolved<'_>,
    notes: &mut Vec<PlanNote>,
) -> Option<ElectionUpdate> {
    let title = pull_text(
        PulledField::Title,
        &mapping.title,
        found,
        false,
        &election.title,
        notes,
    );
    let description = pull_text(
        PulledField::Description,
        &mapping.description,
        found,
        true,
        &election.description,
        notes,
    );
    (title.is_some() || description.is_some()).then_some(ElectionUpdate { title, description })
}

fn pull_text(
    field: PulledField,
    text: &TextMapping,
    found: &Resolved<'_>,
    multiline: bool,
    ours: &str,
    notes: &mut Vec<PlanNote>,
) -> Option<TextChange> {
    if text.direction != TextDirection::Pull {
        return None;
    }
    let role = match field {
        PulledField::Title => PropertyRole::Title,
        PulledField::Description => PropertyRole::Description,
    };
    let name = &text.property.name;
    let Some((property, value)) = found.get(role) else {
        notes.push(PlanNote::PulledPropertyMissing {
            field,
            property: name.clone(),
        });
        return None;
    };
    if !role.accepts(&property.kind) {
        notes.push(PlanNote::PulledPropertyUnreadable {
            field,
            property: property.name.clone(),
            kind: property.kind.clone(),
        });
        return None;
    }
    // Without control characters (a NUL in a title), trimmed: what is left empty counts as empty.
    let notion = value
        .and_then(ObservedValue::as_text)
        .map(|t| crate::observation::pulled_text(t, multiline))
        .unwrap_or_default();
    if notion.is_empty() {
        if !ours.is_empty() {
            notes.push(PlanNote::EmptyInNotion {
                field,
                property: property.name.clone(),
            });
        }
        return None;
    }
    (notion != ours).then(|| TextChange {
        from: ours.to_owned(),
        to: notion,
    })
}
