//! Whether a database's schema can carry a link (SPEC §3): the rule behind "validate" and "link",
//! next to the planner that relies on it. Pure: the shell reads the schema, this decides.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::NotionLink;
use crate::observation::PropertyKind;

/// A database's properties as the link check needs them: by name, each with its type and (for a
/// status property) its options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseSchema {
    /// Every property of the database, by name.
    pub properties: BTreeMap<String, SchemaProperty>,
}

/// One property of a [`DatabaseSchema`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProperty {
    /// Its type.
    pub kind: PropertyKind,
    /// The option names of a status or select property, in Notion's order; empty otherwise.
    pub options: Vec<String>,
}

impl SchemaProperty {
    fn has_option(&self, name: &str) -> bool {
        self.options.iter().any(|o| o == name)
    }
}

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
    let status_name = &link.notion_status_property_name;
    let Some(status) = schema.properties.get(status_name) else {
        return Err(LinkProblem::StatusPropertyMissing {
            property: status_name.clone(),
            available: schema.properties.keys().cloned().collect(),
        });
    };
    if status.kind != PropertyKind::Status {
        return Err(LinkProblem::StatusPropertyNotStatus {
            property: status_name.clone(),
            kind: status.kind.clone(),
        });
    }
    let missing: Vec<String> = [
        &link.notion_status_value_in_voting,
        &link.notion_status_value_done,
    ]
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
    if !status.has_option(&link.notion_status_value_not_started) {
        warnings.push(LinkWarning::NotStartedOptionMissing {
            property: status_name.clone(),
            option: link.notion_status_value_not_started.clone(),
        });
    }
    let results_name = &link.notion_results_property_name;
    match schema.properties.get(results_name).map(|p| &p.kind) {
        None => warnings.push(LinkWarning::ResultsPropertyMissing {
            property: results_name.clone(),
        }),
        Some(PropertyKind::Url) => {}
        Some(other) => {
            return Err(LinkProblem::ResultsPropertyNotUrl {
                property: results_name.clone(),
                kind: other.clone(),
            });
        }
    }
    let kind_of = |name: &str| schema.properties.get(name).map(|p| p.kind.clone());
    let title_name = &link.notion_title_property_name;
    let title = kind_of(title_name);
    if !matches!(title, Some(PropertyKind::Title | PropertyKind::RichText)) {
        warnings.push(LinkWarning::TitleNotPulled {
            property: title_name.clone(),
            kind: title,
        });
    }
    let description_name = &link.notion_description_property_name;
    let description = kind_of(description_name);
    if description != Some(PropertyKind::RichText) {
        warnings.push(LinkWarning::DescriptionNotPulled {
            property: description_name.clone(),
            kind: description,
        });
    }
    Ok(warnings)
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
