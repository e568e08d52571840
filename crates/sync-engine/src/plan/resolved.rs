//! Each mapped property looked up once per plan: the schema's property a role's reference points
//! at (id first, then name) and the page's value for it. Every later step reads this table.

use crate::link::{FieldMapping, PropertyRole};
use crate::observation::{ObservedValue, PageObservation, SchemaProperty};

/// A role's property in the schema and its value on the page (`None`: the page has none).
pub(super) type Found<'a> = (&'a SchemaProperty, Option<&'a ObservedValue>);

/// The mapped properties of one plan, by role.
pub(super) struct Resolved<'a> {
    slots: [Option<Found<'a>>; PropertyRole::ALL.len()],
}

impl<'a> Resolved<'a> {
    /// Looks up every property `mapping` refers to in `observation`.
    pub(super) fn new(mapping: &FieldMapping, observation: &'a PageObservation) -> Self {
        Self {
            slots: PropertyRole::ALL.map(|role| {
                mapping
                    .property(role)
                    .and_then(|reference| observation.lookup(reference))
            }),
        }
    }

    /// The property playing `role`, when the mapping has one and the schema has it.
    pub(super) fn get(&self, role: PropertyRole) -> Option<Found<'a>> {
        self.slots[role as usize]
    }
}
