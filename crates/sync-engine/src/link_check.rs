//! Whether a database's schema can carry a link (SPEC §3): the rule behind "validate" and "link",
//! next to the planner that relies on it. Pure: the shell reads the schema, this decides.

use std::fmt;

use crate::link::{NotionLink, PropertyRole, TextDirection};
use crate::observation::{DatabaseSchema, PropertyKind};

/// Why a page cannot be linked: the sync could never write its status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkProblem {
    /// The status property the link names does not exist.
    StatusPropertyMissing {
        /// The name the link gives.
        property: String,
        /// The database's property names, sorted.
        available: Vec<String>,
    },
    /// The status property is not of type status.
    StatusPropertyNotStatus {
        /// Its name.
        property: String,
        /// Its type.
        kind: PropertyKind,
    },
    /// The status property lacks the in-voting or done option (the API cannot create options).
    StatusOptionsMissing {
        /// Its name.
        property: String,
        /// The options the link needs and the property lacks.
        missing: Vec<String>,
        /// The options it has.
        available: Vec<String>,
    },
    /// The results property exists but is not a URL property.
    ResultsPropertyNotUrl {
        /// Its name.
        property: String,
        /// Its type.
        kind: PropertyKind,
    },
    /// A property the link writes (voting window, election id, phase, or a pushed title or
    /// description) does not exist.
    MappedPropertyMissing {
        /// The part it would play.
        role: PropertyRole,
        /// The name the link gives.
        property: String,
        /// The database's property names, sorted.
        available: Vec<String>,
    },
    /// A property the link writes has a type that cannot hold its field.
    MappedPropertyWrongType {
        /// The part it would play.
        role: PropertyRole,
        /// Its name.
        property: String,
        /// Its type.
        kind: PropertyKind,
    },
}

/// Something a link works without, said so that the admin can add it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkWarning {
    /// No not-started option: upcoming elections get no status until voting opens.
    NotStartedOptionMissing {
        /// The status property.
        property: String,
        /// The option the link names for upcoming elections.
        option: String,
    },
    /// No results property: no results link is written.
    ResultsPropertyMissing {
        /// The name the link gives.
        property: String,
    },
    /// The title property is missing or not text: the title is not pulled.
    TitleNotPulled {
        /// The name the link gives.
        property: String,
        /// Its type, `None` when it does not exist.
        kind: Option<PropertyKind>,
    },
    /// The description property is missing or not rich text: the description is not pulled.
    DescriptionNotPulled {
        /// The name the link gives.
        property: String,
        /// Its type, `None` when it does not exist.
        kind: Option<PropertyKind>,
    },
}

/// Checks `link` against `schema`: `Ok(warnings)` when the sync can keep the page's status, else
/// the first problem. The order of the checks is the order an admin fixes them in: the status
/// property, its options, then the results property.
#[must_use = "a link check's problem must reach the admin"]
pub fn check_link(
    schema: &DatabaseSchema,
    link: &NotionLink,
) -> Result<Vec<LinkWarning>, LinkProblem> {
    let mapping = &link.mapping;
    let status_mapping = &mapping.status;
    let Some(status) = schema.resolve(&status_mapping.property) else {
        return Err(LinkProblem::StatusPropertyMissing {
            property: status_mapping.property.name.clone(),
            available: schema.names(),
        });
    };
    let status_name = &status.name;
    if status.kind != PropertyKind::Status {
        return Err(LinkProblem::StatusPropertyNotStatus {
            property: status_name.clone(),
            kind: status.kind.clone(),
        });
    }
    let missing: Vec<String> = [&status_mapping.in_voting, &status_mapping.done]
        .into_iter()
        .filter(|option| !status.has_option(option))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(LinkProblem::StatusOptionsMissing {
            property: status_name.clone(),
            missing,
            available: status.options.clone(),
        });
    }
    let mut warnings = Vec::new();
    if !status.has_option(&status_mapping.not_started) {
        warnings.push(LinkWarning::NotStartedOptionMissing {
            property: status_name.clone(),
            option: status_mapping.not_started.clone(),
        });
    }
    match schema.resolve(&mapping.results_link) {
        None => warnings.push(LinkWarning::ResultsPropertyMissing {
            property: mapping.results_link.name.clone(),
        }),
        Some(p) if p.kind == PropertyKind::Url => {}
        Some(p) => {
            return Err(LinkProblem::ResultsPropertyNotUrl {
                property: p.name.clone(),
                kind: p.kind.clone(),
            });
        }
    }
    for (role, text) in [
        (PropertyRole::Title, &mapping.title),
        (PropertyRole::Description, &mapping.description),
    ] {
        let found = schema.resolve(&text.property);
        let readable = found.is_some_and(|p| role.accepts(&p.kind));
        if readable {
            continue;
        }
        if text.direction == TextDirection::Push {
            return Err(mapped_problem(schema, role, &text.property.name));
        }
        let property = found.map_or_else(|| text.property.name.clone(), |p| p.name.clone());
        let kind = found.map(|p| p.kind.clone());
        warnings.push(match role {
            PropertyRole::Title => LinkWarning::TitleNotPulled { property, kind },
            _ => LinkWarning::DescriptionNotPulled { property, kind },
        });
    }
    let optional = mapping.properties().into_iter().filter(|(role, _)| {
        !matches!(
            role,
            PropertyRole::Status
                | PropertyRole::ResultsLink
                | PropertyRole::Title
                | PropertyRole::Description
        )
    });
    for (role, reference) in optional {
        match schema.resolve(reference) {
            Some(p) if role.accepts(&p.kind) => {}
            _ => return Err(mapped_problem(schema, role, &reference.name)),
        }
    }
    Ok(warnings)
}

/// The problem of a written property `name` playing `role` that is missing or of the wrong type.
fn mapped_problem(schema: &DatabaseSchema, role: PropertyRole, name: &str) -> LinkProblem {
    let reference = crate::link::PropertyRef::named(name);
    match schema.resolve(&reference) {
        Some(p) => LinkProblem::MappedPropertyWrongType {
            role,
            property: p.name.clone(),
            kind: p.kind.clone(),
        },
        None => LinkProblem::MappedPropertyMissing {
            role,
            property: name.to_owned(),
            available: schema.names(),
        },
    }
}

/// The types a role accepts, for people: "Date", "Title or Text".
fn kind_names(role: PropertyRole) -> String {
    role.accepted_kinds()
        .iter()
        .map(|kind| match kind {
            PropertyKind::Title => "Title",
            PropertyKind::RichText => "Text",
            PropertyKind::Status => "Status",
            PropertyKind::Select => "Select",
            PropertyKind::Url => "URL",
            PropertyKind::Date => "Date",
            PropertyKind::Other(name) => name.as_str(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn quoted_list(names: &[String], none: &str) -> String {
    if names.is_empty() {
        return none.to_owned();
    }
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for LinkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StatusPropertyMissing {
                property,
                available,
            } => write!(
                f,
                "The property '{property}' does not exist on this page: add a Status property named '{property}' to the database, or give the name of an existing one (the database has: {})",
                available.join(", ")
            ),
            Self::StatusPropertyNotStatus { property, .. } => {
                write!(f, "The property '{property}' is not a Status property")
            }
            Self::StatusOptionsMissing {
                property,
                missing,
                available,
            } => {
                let list = missing
                    .iter()
                    .map(|o| format!("'{o}'"))
                    .collect::<Vec<_>>()
                    .join(" and ");
                let plural = if missing.len() > 1 { "s" } else { "" };
                write!(
                    f,
                    "The property '{property}' has no {list} option{plural} (it has: {}). Create the option{plural} in Notion: the API cannot create status options",
                    quoted_list(available, "no options")
                )
            }
            Self::ResultsPropertyNotUrl { property, kind } => write!(
                f,
                "The property '{property}' is not a URL property (it is {kind}): change its type to URL in Notion, or name another property for the results link"
            ),
            Self::MappedPropertyMissing {
                role,
                property,
                available,
            } => write!(
                f,
                "The property '{property}' for {} does not exist in the database: add a {} property named '{property}', or choose an existing one (the database has: {})",
                role.describe(),
                kind_names(*role),
                available.join(", ")
            ),
            Self::MappedPropertyWrongType {
                role,
                property,
                kind,
            } => write!(
                f,
                "The property '{property}' cannot hold {} (it is {kind}, it must be {}): choose another property or change its type in Notion",
                role.describe(),
                kind_names(*role)
            ),
        }
    }
}

impl fmt::Display for LinkWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotStartedOptionMissing { property, option } => write!(
                f,
                "The property '{property}' has no '{option}' option: upcoming elections get no status until voting opens (create the option in Notion to show it)"
            ),
            Self::ResultsPropertyMissing { property } => write!(
                f,
                "The database has no '{property}' property: no results link will be written (add a URL property named '{property}' to get one)"
            ),
            Self::TitleNotPulled {
                property,
                kind: Some(kind),
            } => write!(
                f,
                "The property '{property}' is {kind}, not a title or text property: the election title will not be pulled from Notion"
            ),
            Self::TitleNotPulled {
                property,
                kind: None,
            } => write!(
                f,
                "The database has no '{property}' property: the election title will not be pulled from Notion"
            ),
            Self::DescriptionNotPulled {
                property,
                kind: Some(kind),
            } => write!(
                f,
                "The property '{property}' is {kind}, not a text property: the description will not be pulled from Notion"
            ),
            Self::DescriptionNotPulled {
                property,
                kind: None,
            } => write!(
                f,
                "The database has no '{property}' property: the description will not be pulled from Notion"
            ),
        }
    }
}
