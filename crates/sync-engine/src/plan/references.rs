//! Keeping a link's property references current: the id of a property first found by name is
//! learnt, and a property renamed in Notion is followed by its id.

use crate::link::{FieldMapping, PropertyRole};
use crate::observation::DatabaseSchema;

use super::PlanNote;
use super::resolved::Resolved;

/// `mapping` as `schema` teaches it ([`follow_schema`]), or `None` when every reference already
/// has its property's id and current name (the common case: nothing is copied).
pub(super) fn learnt(
    mapping: &FieldMapping,
    found: &Resolved<'_>,
    schema: &DatabaseSchema,
    notes: &mut Vec<PlanNote>,
) -> Option<FieldMapping> {
    // Checked on the plan's lookups, without copying: this runs for every election every poll.
    let current =
        PropertyRole::ALL
            .iter()
            .all(|role| match (mapping.property(*role), found.get(*role)) {
                (Some(reference), Some((p, _))) => {
                    reference.id.as_deref() == Some(p.id.as_str()) && reference.name == p.name
                }
                _ => true,
            });
    if current {
        return None;
    }
    let mut updated = mapping.clone();
    follow_schema(&mut updated, schema, notes);
    Some(updated)
}

/// Updates every reference of `mapping` that `schema` resolves: fills in its id, and takes the
/// property's current name (noting a rename when the reference already had the id).
pub(super) fn follow_schema(
    mapping: &mut FieldMapping,
    schema: &DatabaseSchema,
    notes: &mut Vec<PlanNote>,
) {
    let roles: Vec<_> = mapping.properties().into_iter().map(|(r, _)| r).collect();
    for role in roles {
        let Some(reference) = mapping.property_mut(role) else {
            continue;
        };
        let Some(property) = schema.resolve(reference) else {
            continue;
        };
        if reference.name != property.name {
            if reference.id.as_deref() == Some(property.id.as_str()) {
                notes.push(PlanNote::PropertyRenamed {
                    role,
                    from: reference.name.clone(),
                    to: property.name.clone(),
                });
            }
            reference.name.clone_from(&property.name);
        }
        if reference.id.as_deref() != Some(property.id.as_str()) {
            reference.id = Some(property.id.clone());
        }
    }
}

impl FieldMapping {
    /// This mapping with every reference `schema` resolves taking that property's id and current
    /// name (e.g. when a link is made, so that a rename right after is already followed).
    #[must_use]
    pub fn resolved_against(&self, schema: &DatabaseSchema) -> Self {
        let mut mapping = self.clone();
        follow_schema(&mut mapping, schema, &mut Vec::new());
        mapping
    }
}
