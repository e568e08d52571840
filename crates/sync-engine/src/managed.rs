//! Managed databases: every election has exactly one page in the database, found by its key or
//! created, and pages whose key names no election are swept after a clean full pass.
//!
//! [`plan_pass`] decides a pass as a pure function of the elections, the pages seen (with their
//! keys), the database's options and whether the pass read every page, so a `--preview` and a
//! real pass plan the same thing. The safety brake is inside it: a sweep that would trash more
//! than half of the managed pages, or more than `max_deletes`, is withheld with its reason.
//! [`creation_writes`] says what a new page is created with, by the same rules as the sync.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::link::{NotionLink, PropertyRole};
use crate::model::{Election, ElectionId, SyncState};
use crate::observation::{DatabaseSchema, PageObservation, PropertyKind, SchemaProperty};
use crate::plan::{PropertyWrite, SyncInput, Trigger, WriteValue, plan};

/// The key property's default name (a rich-text property holding the election's id).
pub const DEFAULT_KEY_PROPERTY_NAME: &str = "Election ID";

/// The most pages one pass may trash unless told otherwise (`--max-deletes`).
pub const DEFAULT_MAX_DELETES: usize = 100;

/// What becomes of the page of an election that was deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnElectionDeleted {
    /// The page stays as it is (its link went with the election).
    #[default]
    Keep,
    /// The page is trashed by the next clean full pass (a backfill).
    Trash,
}

impl OnElectionDeleted {
    /// Stable snake_case name, as stored and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keep => "keep",
            Self::Trash => "trash",
        }
    }

    /// The option named `text` (`keep` or `trash`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "keep" => Some(Self::Keep),
            "trash" => Some(Self::Trash),
            _ => None,
        }
    }
}

impl fmt::Display for OnElectionDeleted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of the election's fields a page is created with (the key always is). Status covers
/// what the sync pushes (the status and the results link), so a new page needs no second write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedProperties {
    /// The title property gets the election's title.
    pub title: bool,
    /// The description property gets the election's description.
    pub description: bool,
    /// A date property for the voting window, where the mapping has one.
    pub voting_window: bool,
    /// The status and the results link, as the sync would set them.
    pub status: bool,
}

impl Default for CreatedProperties {
    fn default() -> Self {
        Self {
            title: true,
            description: true,
            voting_window: true,
            status: true,
        }
    }
}

/// One election as a pass sees it.
#[derive(Debug, Clone, Copy)]
pub struct ManagedElection<'a> {
    /// The election.
    pub election: &'a Election,
    /// The page it is linked to in this database, if it is.
    pub linked_page: Option<&'a str>,
}

/// One page of the database as the pass read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenPage {
    /// Notion's page id.
    pub page_id: String,
    /// The text of the key property (trimmed by the planner); empty: a page the sync does not
    /// manage, never touched.
    pub key: String,
    /// When the page was created (the oldest of duplicates is kept).
    pub created_time: Timestamp,
}

/// What kind of pass this is, and how much of the database it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PassKind {
    /// Between full passes: elections changed since the cursor, pages found by their keys. Never
    /// sweeps.
    Delta,
    /// The replace pass (backfill): every page of the database. `complete` when the final page
    /// of the read came back without an error; only then may it sweep.
    Full {
        /// Every page was read.
        complete: bool,
    },
}

/// The options of a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassOptions {
    /// Elections that existed before the database became managed get pages too.
    pub include_existing: bool,
    /// When the database became managed.
    pub managed_since: Timestamp,
    /// What happens to the page of a deleted election.
    pub on_election_deleted: OnElectionDeleted,
    /// The most pages this pass may trash.
    pub max_deletes: usize,
    /// Lifts the brake for this pass.
    pub allow_mass_delete: bool,
}

/// Why an election is not given a page by this pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotManagedReason {
    /// It existed before the database became managed and `include_existing` is off.
    CreatedBeforeManaged,
}

/// An election whose key is on more than one page: the kept page, and the others (reported,
/// never trashed by the sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The key.
    pub key: String,
    /// The page kept: the one linked when it is among them, else the oldest.
    pub kept: String,
    /// The other pages with that key.
    pub others: Vec<String>,
}

/// A page whose key names no election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orphan {
    /// The page.
    pub page_id: String,
    /// Its key.
    pub key: String,
}

/// Why the brake held a sweep back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BrakeReason {
    /// The sweep would trash more than half of the managed pages.
    MoreThanHalf {
        /// Pages it would trash.
        trash: usize,
        /// Managed pages (pages with a key) seen.
        managed: usize,
    },
    /// The sweep would trash more than the pass's limit.
    MoreThanMaxDeletes {
        /// Pages it would trash.
        trash: usize,
        /// The limit.
        max_deletes: usize,
    },
}

impl fmt::Display for BrakeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MoreThanHalf { trash, managed } => write!(
                f,
                "the pass would trash {trash} of {managed} managed pages, more than half: \
                 nothing was trashed; check the elections, then run it again with \
                 --allow-mass-delete if that is meant"
            ),
            Self::MoreThanMaxDeletes { trash, max_deletes } => write!(
                f,
                "the pass would trash {trash} pages, more than --max-deletes {max_deletes}: \
                 nothing was trashed; raise --max-deletes or run it with --allow-mass-delete \
                 if that is meant"
            ),
        }
    }
}

/// Whether the pass sweeps, and if not, why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sweep", rename_all = "snake_case")]
pub enum Sweep {
    /// A clean full pass: the planned trashes go out.
    Swept,
    /// A delta pass never sweeps.
    DeltaPass,
    /// The read stopped before its final page: nothing may be trashed.
    IncompletePass,
    /// The brake held it back.
    Halted(BrakeReason),
}

/// A page the pass trashes, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedTrash {
    /// The page.
    pub page_id: String,
    /// Its key, which names no election.
    pub key: String,
}

/// What one pass does to a managed database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPlan {
    /// Elections to create a page for (no page has their key and they have no link here).
    pub creates: Vec<ElectionId>,
    /// Elections to link to the page found with their key (the update of an existing page:
    /// the usual sync then writes it).
    pub links: Vec<(ElectionId, String)>,
    /// Pages trashed by the sweep: empty unless [`Sweep::Swept`].
    pub trashes: Vec<PlannedTrash>,
    /// Pages the sweep would have trashed when it is halted (the brake shows what it stopped).
    pub withheld: Vec<PlannedTrash>,
    /// Keys found on more than one page.
    pub duplicates: Vec<Duplicate>,
    /// Pages whose key names no election (trashed or withheld ones included).
    pub orphans: Vec<Orphan>,
    /// Elections this pass leaves without a page, and why.
    pub not_managed: Vec<(ElectionId, NotManagedReason)>,
    /// Pages with a key seen by the pass.
    pub managed_pages: usize,
    /// Whether the sweep ran.
    pub sweep: Sweep,
}

/// Plans one pass over a managed database. Pure: the same input gives the same plan.
///
/// Every election in scope ends with one page: linked already (nothing to do), linked to the
/// page with its key (the oldest when there are several), or created. A full pass that read
/// every page also sweeps the pages whose key names no election, when deleted elections' pages
/// are trashed, unless the brake halts it.
#[must_use]
pub fn plan_pass(
    elections: &[ManagedElection<'_>],
    pages: &[SeenPage],
    options: &PassOptions,
    pass: PassKind,
) -> ManagedPlan {
    let mut by_key: BTreeMap<&str, Vec<&SeenPage>> = BTreeMap::new();
    for page in pages {
        let key = page.key.trim();
        if !key.is_empty() {
            by_key.entry(key).or_default().push(page);
        }
    }
    for group in by_key.values_mut() {
        group.sort_by(|a, b| (a.created_time, &a.page_id).cmp(&(b.created_time, &b.page_id)));
        group.dedup_by(|a, b| a.page_id == b.page_id);
    }
    let managed_pages = by_key.values().map(Vec::len).sum();
    let mut plan = ManagedPlan {
        creates: Vec::new(),
        links: Vec::new(),
        trashes: Vec::new(),
        withheld: Vec::new(),
        duplicates: Vec::new(),
        orphans: Vec::new(),
        not_managed: Vec::new(),
        managed_pages,
        sweep: Sweep::DeltaPass,
    };
    let mut known: BTreeSet<&str> = BTreeSet::new();
    let mut planned: BTreeSet<&str> = BTreeSet::new();
    for managed in elections {
        let id = managed.election.id.as_str();
        known.insert(id);
        if !planned.insert(id) {
            // The same election twice in the input: one decision for it.
            continue;
        }
        let found = by_key.get(id).map(Vec::as_slice).unwrap_or_default();
        if found.len() > 1 {
            let kept = managed
                .linked_page
                .and_then(|linked| found.iter().find(|p| p.page_id == linked))
                .unwrap_or(&found[0]);
            plan.duplicates.push(Duplicate {
                key: id.to_owned(),
                kept: kept.page_id.clone(),
                others: found
                    .iter()
                    .filter(|p| p.page_id != kept.page_id)
                    .map(|p| p.page_id.clone())
                    .collect(),
            });
        }
        if managed.linked_page.is_some() {
            continue;
        }
        let in_scope =
            options.include_existing || managed.election.created_at >= options.managed_since;
        if !in_scope {
            plan.not_managed.push((
                managed.election.id.clone(),
                NotManagedReason::CreatedBeforeManaged,
            ));
            continue;
        }
        match found.first() {
            Some(oldest) => plan
                .links
                .push((managed.election.id.clone(), oldest.page_id.clone())),
            None => plan.creates.push(managed.election.id.clone()),
        }
    }
    let PassKind::Full { complete } = pass else {
        return plan;
    };
    for (key, group) in &by_key {
        if known.contains(key) {
            continue;
        }
        for page in group {
            plan.orphans.push(Orphan {
                page_id: page.page_id.clone(),
                key: (*key).to_owned(),
            });
        }
    }
    if !complete {
        plan.sweep = Sweep::IncompletePass;
        return plan;
    }
    let candidates: Vec<PlannedTrash> = match options.on_election_deleted {
        OnElectionDeleted::Keep => Vec::new(),
        OnElectionDeleted::Trash => plan
            .orphans
            .iter()
            .map(|o| PlannedTrash {
                page_id: o.page_id.clone(),
                key: o.key.clone(),
            })
            .collect(),
    };
    match brake(candidates.len(), managed_pages, options) {
        Some(reason) => {
            plan.sweep = Sweep::Halted(reason);
            plan.withheld = candidates;
        }
        None => {
            plan.sweep = Sweep::Swept;
            plan.trashes = candidates;
        }
    }
    plan
}

/// The brake's rule: `None` when trashing `trash` of `managed` pages may go ahead.
fn brake(trash: usize, managed: usize, options: &PassOptions) -> Option<BrakeReason> {
    if options.allow_mass_delete || trash == 0 {
        return None;
    }
    if trash > options.max_deletes {
        return Some(BrakeReason::MoreThanMaxDeletes {
            trash,
            max_deletes: options.max_deletes,
        });
    }
    (trash * 2 > managed).then_some(BrakeReason::MoreThanHalf { trash, managed })
}

/// The property values a new page for `election` is created with: the key, then what `created`
/// asks for, each by the sync's own rules (`link` is the link the page will have, its mapping
/// resolved against `schema`), so that the first sync of the new page has nothing to write.
/// `key` is the key property of the schema.
#[must_use]
pub fn creation_writes(
    now: Timestamp,
    election: &Election,
    link: &NotionLink,
    schema: &Arc<DatabaseSchema>,
    key: &SchemaProperty,
    base_url: &str,
    created: &CreatedProperties,
) -> Vec<PropertyWrite> {
    let mut writes = vec![PropertyWrite {
        role: PropertyRole::ElectionId,
        property: key.name.clone(),
        property_id: key.id.clone(),
        from: None,
        to: WriteValue::RichText(election.id.as_str().to_owned()),
    }];
    let text = |role: PropertyRole, value: &str| {
        let property = schema.resolve(link.mapping.property(role)?)?;
        let to = match property.kind {
            PropertyKind::Title => WriteValue::Title(value.to_owned()),
            PropertyKind::RichText => WriteValue::RichText(value.to_owned()),
            _ => return None,
        };
        (!value.is_empty() && property.id != key.id).then(|| PropertyWrite {
            role,
            property: property.name.clone(),
            property_id: property.id.clone(),
            from: None,
            to,
        })
    };
    if created.title {
        writes.extend(text(PropertyRole::Title, &election.title));
    }
    if created.description {
        writes.extend(text(PropertyRole::Description, &election.description));
    }
    let empty = PageObservation {
        observed_at: now,
        last_edited_time: None,
        in_trash: false,
        values: BTreeMap::new(),
        schema: Arc::clone(schema),
    };
    let synced = plan(
        now,
        &SyncInput {
            election,
            link,
            state: &SyncState::default(),
            observation: Some(&empty),
            base_url,
            trigger: Trigger::Scheduled,
        },
    );
    let pushed = synced.page_write.map(|w| w.properties).unwrap_or_default();
    writes.extend(pushed.into_iter().filter(|w| {
        let wanted = match w.role {
            PropertyRole::Status | PropertyRole::ResultsLink | PropertyRole::Phase => {
                created.status
            }
            PropertyRole::VotingWindow | PropertyRole::VotingOpens | PropertyRole::VotingCloses => {
                created.voting_window
            }
            PropertyRole::ElectionId | PropertyRole::Title | PropertyRole::Description => false,
        };
        wanted && w.property_id != key.id
    }));
    writes
}

/// Where a managed database's delta cursor goes after a pass looked at `looked_at` (each
/// election's `updated_at`, and whether the pass finished with it): up to the first election
/// it did not finish (the next delta starts there, at-or-after, so it is looked at again),
/// else to the newest looked at. `None`: leave the cursor where it is.
#[must_use]
pub fn next_delta_cursor(looked_at: &[(Timestamp, bool)]) -> Option<Timestamp> {
    let first_unfinished = looked_at
        .iter()
        .filter(|(_, done)| !done)
        .map(|(at, _)| *at)
        .min();
    first_unfinished.or_else(|| looked_at.iter().map(|(at, _)| *at).max())
}
