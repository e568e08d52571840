//! A link: one Notion page kept in step with one election, and how the election's fields map to
//! the page's properties (SPEC §3, and the field mapping beyond it).
//!
//! Properties are referred to by Notion's property id (stable when someone renames the property
//! in Notion) and by the name last seen (for people, and to find the property before its id is
//! known). The planner resolves each reference against the database's schema, id first.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Phase;
use crate::observation::PropertyKind;

/// Default name of the Status-type property the sync writes.
pub const DEFAULT_STATUS_PROPERTY_NAME: &str = "Voting Status";
/// Default status option for upcoming elections.
pub const DEFAULT_STATUS_VALUE_NOT_STARTED: &str = "Not started";
/// Default status option for open elections.
pub const DEFAULT_STATUS_VALUE_IN_VOTING: &str = "In Voting";
/// Default status option for closed elections.
pub const DEFAULT_STATUS_VALUE_DONE: &str = "Done";
/// Default name of the URL-type property that receives the results link.
pub const DEFAULT_RESULTS_PROPERTY_NAME: &str = "Results Link";
/// Default name of the property the election title is pulled from.
pub const DEFAULT_TITLE_PROPERTY_NAME: &str = "Name";
/// Default name of the property the election description is pulled from.
pub const DEFAULT_DESCRIPTION_PROPERTY_NAME: &str = "Description";

/// A Notion property as a link refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PropertyRef {
    /// Notion's id of the property (e.g. `title`, `v%3Ast`), stable through renames. `None` until
    /// the sync has seen the database's schema (a link typed by name).
    pub id: Option<String>,
    /// The property's name as last seen (or as typed when linking).
    pub name: String,
}

impl PropertyRef {
    /// A reference by name only; the sync fills in the id when it reads the schema.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            id: None,
            name: name.into(),
        }
    }

    /// A reference by id, with the property's current name.
    pub fn with_id(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            name: name.into(),
        }
    }
}

impl fmt::Display for PropertyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.name)
    }
}

/// Which way a text field flows between the election and the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextDirection {
    /// Notion → app: the page's text replaces the election's (the source document's rule).
    #[default]
    Pull,
    /// App → Notion: the election's text is written to the page.
    Push,
}

impl TextDirection {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
        }
    }

    /// The direction named `text` (`pull`, `push`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pull" => Some(Self::Pull),
            "push" => Some(Self::Push),
            _ => None,
        }
    }
}

/// The Status property and the option it shows in each phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMapping {
    /// The Status-type property the sync writes.
    pub property: PropertyRef,
    /// Option for upcoming elections (the option itself is optional in the schema).
    pub not_started: String,
    /// Option for open elections.
    pub in_voting: String,
    /// Option for closed elections.
    pub done: String,
}

impl StatusMapping {
    /// The option this mapping uses for `phase`.
    #[must_use]
    pub fn value_for(&self, phase: Phase) -> &str {
        match phase {
            Phase::Upcoming => &self.not_started,
            Phase::Open => &self.in_voting,
            Phase::Closed => &self.done,
        }
    }
}

impl Default for StatusMapping {
    fn default() -> Self {
        Self {
            property: PropertyRef::named(DEFAULT_STATUS_PROPERTY_NAME),
            not_started: DEFAULT_STATUS_VALUE_NOT_STARTED.to_owned(),
            in_voting: DEFAULT_STATUS_VALUE_IN_VOTING.to_owned(),
            done: DEFAULT_STATUS_VALUE_DONE.to_owned(),
        }
    }
}

/// A text field of the election (title or description) and the property it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextMapping {
    /// The title or rich-text property.
    pub property: PropertyRef,
    /// Which way the text flows.
    #[serde(default)]
    pub direction: TextDirection,
}

impl TextMapping {
    /// A mapping pulling from the property `name`.
    pub fn pulled_from(name: impl Into<String>) -> Self {
        Self {
            property: PropertyRef::named(name),
            direction: TextDirection::Pull,
        }
    }
}

/// Where the voting window (open_at → close_at) is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WindowMapping {
    /// One Date property: start = open_at, end = close_at.
    Range {
        /// The Date property.
        property: PropertyRef,
    },
    /// Two Date properties: one gets open_at, the other close_at.
    Split {
        /// The Date property for open_at.
        opens: PropertyRef,
        /// The Date property for close_at.
        closes: PropertyRef,
    },
}

/// A Select property showing the election's phase, and its option for each phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseMapping {
    /// The Select-type property.
    pub property: PropertyRef,
    /// Option for upcoming elections.
    pub upcoming: String,
    /// Option for open elections.
    pub open: String,
    /// Option for closed elections.
    pub closed: String,
}

impl PhaseMapping {
    /// A mapping to the select `name` with the status defaults as its options.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            property: PropertyRef::named(name),
            upcoming: DEFAULT_STATUS_VALUE_NOT_STARTED.to_owned(),
            open: DEFAULT_STATUS_VALUE_IN_VOTING.to_owned(),
            closed: DEFAULT_STATUS_VALUE_DONE.to_owned(),
        }
    }

    /// The option this mapping uses for `phase`.
    #[must_use]
    pub fn value_for(&self, phase: Phase) -> &str {
        match phase {
            Phase::Upcoming => &self.upcoming,
            Phase::Open => &self.open,
            Phase::Closed => &self.closed,
        }
    }
}

/// How one link maps the election to its page. The default is the source document's: status to
/// "Voting Status", results link to "Results Link", title pulled from "Name", description pulled
/// from "Description", nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    /// App → Notion: the phase as a status.
    pub status: StatusMapping,
    /// App → Notion: the results link, once voting opens (URL property).
    pub results_link: PropertyRef,
    /// The election's title (title or rich-text property).
    pub title: TextMapping,
    /// The election's description (rich-text property).
    pub description: TextMapping,
    /// App → Notion, optional: the voting window as dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voting_window: Option<WindowMapping>,
    /// App → Notion, optional: the election's id (rich-text property).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_id: Option<PropertyRef>,
    /// App → Notion, optional: the phase as a select.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<PhaseMapping>,
}

impl Default for FieldMapping {
    fn default() -> Self {
        Self {
            status: StatusMapping::default(),
            results_link: PropertyRef::named(DEFAULT_RESULTS_PROPERTY_NAME),
            title: TextMapping::pulled_from(DEFAULT_TITLE_PROPERTY_NAME),
            description: TextMapping::pulled_from(DEFAULT_DESCRIPTION_PROPERTY_NAME),
            voting_window: None,
            election_id: None,
            phase: None,
        }
    }
}

/// The part a property plays in a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyRole {
    /// The Status property.
    Status,
    /// The results link's URL property.
    ResultsLink,
    /// The election title's property.
    Title,
    /// The election description's property.
    Description,
    /// The voting window's Date property (start and end).
    VotingWindow,
    /// The Date property for open_at.
    VotingOpens,
    /// The Date property for close_at.
    VotingCloses,
    /// The election id's rich-text property.
    ElectionId,
    /// The phase's Select property.
    Phase,
}

impl PropertyRole {
    /// Every role, in the mapping's order (status first).
    pub const ALL: [Self; 9] = [
        Self::Status,
        Self::ResultsLink,
        Self::Title,
        Self::Description,
        Self::VotingWindow,
        Self::VotingOpens,
        Self::VotingCloses,
        Self::ElectionId,
        Self::Phase,
    ];

    /// Stable snake_case name, as in the API's mapping fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::ResultsLink => "results_link",
            Self::Title => "title",
            Self::Description => "description",
            Self::VotingWindow => "voting_window",
            Self::VotingOpens => "voting_opens",
            Self::VotingCloses => "voting_closes",
            Self::ElectionId => "election_id",
            Self::Phase => "phase",
        }
    }

    /// What the role is for people, e.g. "the results link".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Status => "the status",
            Self::ResultsLink => "the results link",
            Self::Title => "the title",
            Self::Description => "the description",
            Self::VotingWindow => "the voting window",
            Self::VotingOpens => "the opening time",
            Self::VotingCloses => "the closing time",
            Self::ElectionId => "the election id",
            Self::Phase => "the phase",
        }
    }

    /// The property types that can play this role.
    pub fn accepted_kinds(self) -> &'static [PropertyKind] {
        match self {
            Self::Status => &[PropertyKind::Status],
            Self::ResultsLink => &[PropertyKind::Url],
            Self::Title => &[PropertyKind::Title, PropertyKind::RichText],
            Self::Description | Self::ElectionId => &[PropertyKind::RichText],
            Self::VotingWindow | Self::VotingOpens | Self::VotingCloses => &[PropertyKind::Date],
            Self::Phase => &[PropertyKind::Select],
        }
    }

    /// Whether a property of `kind` can play this role.
    #[must_use]
    pub fn accepts(self, kind: &PropertyKind) -> bool {
        self.accepted_kinds().contains(kind)
    }
}

impl fmt::Display for PropertyRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FieldMapping {
    /// Every property the mapping refers to, with its role, in a fixed order (status first).
    #[must_use]
    pub fn properties(&self) -> Vec<(PropertyRole, &PropertyRef)> {
        PropertyRole::ALL
            .iter()
            .filter_map(|role| self.property(*role).map(|property| (*role, property)))
            .collect()
    }

    /// The property playing `role`, if the mapping has one.
    #[must_use]
    pub fn property(&self, role: PropertyRole) -> Option<&PropertyRef> {
        match role {
            PropertyRole::Status => Some(&self.status.property),
            PropertyRole::ResultsLink => Some(&self.results_link),
            PropertyRole::Title => Some(&self.title.property),
            PropertyRole::Description => Some(&self.description.property),
            PropertyRole::VotingWindow => match &self.voting_window {
                Some(WindowMapping::Range { property }) => Some(property),
                _ => None,
            },
            PropertyRole::VotingOpens => match &self.voting_window {
                Some(WindowMapping::Split { opens, .. }) => Some(opens),
                _ => None,
            },
            PropertyRole::VotingCloses => match &self.voting_window {
                Some(WindowMapping::Split { closes, .. }) => Some(closes),
                _ => None,
            },
            PropertyRole::ElectionId => self.election_id.as_ref(),
            PropertyRole::Phase => self.phase.as_ref().map(|p| &p.property),
        }
    }

    /// The property playing `role`, to update its id or name.
    pub fn property_mut(&mut self, role: PropertyRole) -> Option<&mut PropertyRef> {
        match role {
            PropertyRole::Status => Some(&mut self.status.property),
            PropertyRole::ResultsLink => Some(&mut self.results_link),
            PropertyRole::Title => Some(&mut self.title.property),
            PropertyRole::Description => Some(&mut self.description.property),
            PropertyRole::VotingWindow => match &mut self.voting_window {
                Some(WindowMapping::Range { property }) => Some(property),
                _ => None,
            },
            PropertyRole::VotingOpens => match &mut self.voting_window {
                Some(WindowMapping::Split { opens, .. }) => Some(opens),
                _ => None,
            },
            PropertyRole::VotingCloses => match &mut self.voting_window {
                Some(WindowMapping::Split { closes, .. }) => Some(closes),
                _ => None,
            },
            PropertyRole::ElectionId => self.election_id.as_mut(),
            PropertyRole::Phase => self.phase.as_mut().map(|p| &mut p.property),
        }
    }

    /// The names of the properties the sync reads from a page (for a query's
    /// `filter_properties`), each once, in the mapping's order.
    #[must_use]
    pub fn property_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (_, property) in self.properties() {
            if !names.contains(&property.name) {
                names.push(property.name.clone());
            }
        }
        names
    }
}

/// The Notion page an election is linked to, and how its fields map to the page's properties.
///
/// Ids are canonical lowercase dashed UUIDs; callers canonicalise them (notion-client's `NotionId`)
/// before building a link, this crate only compares strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotionLink {
    /// Allowlisted database the page lives in.
    pub notion_database_id: String,
    /// The linked page.
    pub notion_page_id: String,
    /// Page URL, for display.
    pub notion_page_url: Option<String>,
    /// Which property each field of the election maps to.
    pub mapping: FieldMapping,
}

impl NotionLink {
    /// A link to `page_id` in `database_id` with the default mapping.
    pub fn new(database_id: impl Into<String>, page_id: impl Into<String>) -> Self {
        Self {
            notion_database_id: database_id.into(),
            notion_page_id: page_id.into(),
            notion_page_url: None,
            mapping: FieldMapping::default(),
        }
    }

    /// The status option this link uses for `phase`.
    #[must_use]
    pub fn status_value_for(&self, phase: Phase) -> &str {
        self.mapping.status.value_for(phase)
    }
}
