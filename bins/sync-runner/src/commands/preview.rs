//! The preview table: a cycle's plans as the rows an operator reads (`once --preview`, `backfill`),
//! and the plans' notes in words. The planner returns typed data; wording it is this edge's job.

use std::collections::{BTreeMap, BTreeSet};

use store::{LinkId, LinkedElection};
use sync_engine::{PlanNote, SyncPlan, Verdict};

use crate::output::{Table, or_empty, short_link};

/// Which link each plan of a cycle is for. A plan names its election and page; a page shows at
/// most one link, so the pair finds the link (the store refuses a page used twice).
#[derive(Debug, Default)]
pub(crate) struct PlanLinks {
    links: BTreeMap<(String, String), (LinkId, bool)>,
}

impl PlanLinks {
    /// The links of `linked` (as `Store::list_linked` returns them, one entry per link).
    pub(crate) fn new(linked: &[LinkedElection]) -> Self {
        linked.iter().fold(Self::default(), |links, e| {
            links.with(
                e.election.id.as_str(),
                &e.link.notion_page_id,
                e.link_id.clone(),
                e.primary,
            )
        })
    }

    /// These links and `link`, of `election`, on `page`.
    fn with(mut self, election: &str, page: &str, link: LinkId, primary: bool) -> Self {
        self.links
            .insert((election.to_owned(), page.to_owned()), (link, primary));
        self
    }

    /// The link a plan is for and whether it is its election's primary; `None` for a link
    /// removed since the cycle planned it.
    pub(crate) fn of(&self, plan: &SyncPlan) -> Option<(&LinkId, bool)> {
        self.links
            .get(&(plan.election_id.to_string(), plan.page_id.clone()))
            .map(|(id, primary)| (id, *primary))
    }

    /// The LINK cell of a plan's rows: the short link id, `(primary)` after the primary one.
    fn cell(&self, plan: &SyncPlan) -> String {
        match self.of(plan) {
            Some((id, true)) => format!("{} (primary)", short_link(id.as_str())),
            Some((id, false)) => short_link(id.as_str()),
            None => "-".to_owned(),
        }
    }
}

/// Which way a preview row's value moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Written to the Notion page.
    ToNotion,
    /// Pulled from Notion into the election.
    FromNotion,
    /// The plan failed: the row carries the error.
    Error,
}

impl Direction {
    fn label(self) -> &'static str {
        match self {
            Self::ToNotion => "→ notion",
            Self::FromNotion => "← notion",
            Self::Error => "error",
        }
    }
}

/// One line of the preview table: a value about to change, or a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PreviewRow {
    election_id: String,
    /// The link's cell (short id, primary marker).
    link: String,
    page_id: String,
    direction: Direction,
    /// The Notion property written, or the election field pulled, or the error's kind.
    property: String,
    /// Value now (`None` when empty).
    current: Option<String>,
    /// Value after the sync, or the error's message.
    desired: String,
}

/// The changes of one plan as preview rows (empty when nothing changes and nothing failed).
fn preview_rows(plan: &SyncPlan, links: &PlanLinks) -> Vec<PreviewRow> {
    let link = links.cell(plan);
    let row = |direction, property: &str, current: Option<&str>, desired: &str| PreviewRow {
        election_id: plan.election_id.to_string(),
        link: link.clone(),
        page_id: plan.page_id.clone(),
        direction,
        property: property.to_owned(),
        current: current.map(str::to_owned),
        desired: desired.to_owned(),
    };
    let mut rows = Vec::new();
    if let Some(write) = &plan.page_write {
        for property in &write.properties {
            let from = property.from.as_ref().map(ToString::to_string);
            rows.push(row(
                Direction::ToNotion,
                &property.property,
                from.as_deref(),
                &property.to.to_string(),
            ));
        }
    }
    if let Some(update) = &plan.election_update {
        if let Some(t) = &update.title {
            rows.push(row(Direction::FromNotion, "title", Some(&t.from), &t.to));
        }
        if let Some(d) = &update.description {
            rows.push(row(
                Direction::FromNotion,
                "description",
                Some(&d.from),
                &d.to,
            ));
        }
    }
    if let Verdict::Failed { error, .. } = &plan.outcome.verdict {
        rows.push(row(
            Direction::Error,
            error.kind.as_str(),
            None,
            &error.describe(),
        ));
    }
    rows
}

/// A plan's note in words for the operator.
pub(crate) fn note_text(note: &PlanNote) -> String {
    match note {
        PlanNote::NotReadYet => "the page has not been read yet: read it, then plan again".into(),
        PlanNote::UpcomingStatusOptionMissing { property, option } => format!(
            "'{property}' has no '{option}' option: the upcoming election gets no status write"
        ),
        PlanNote::NoResultsProperty { property } => {
            format!("no results property '{property}': no results link written")
        }
        PlanNote::ResultsPropertyNotUrl { property, kind } => {
            format!("the property '{property}' is {kind}, not url: no results link written")
        }
        PlanNote::NoBaseUrl => "no base URL configured: no results link written".into(),
        PlanNote::PulledPropertyMissing { field, property } => format!(
            "no property '{property}': the {} is not pulled from Notion",
            field.as_str()
        ),
        PlanNote::PulledPropertyUnreadable {
            field,
            property,
            kind,
        } => format!(
            "the property '{property}' is {kind}: the {} is not pulled from Notion",
            field.as_str()
        ),
        PlanNote::EmptyInNotion { field, property } => format!(
            "'{property}' is empty in Notion: the election keeps its {}",
            field.as_str()
        ),
        // The planner may learn new reasons; a preview still says something useful.
        other => format!("{other:?}"),
    }
}

/// How many plans there are, in words: `2 election(s)` (`2 more election(s)` with `more`)
/// while every election has one link, `3 link(s) of 2 election(s)` once one has several.
fn counted(plans: &[&SyncPlan], more: bool) -> String {
    let elections: BTreeSet<&str> = plans.iter().map(|p| p.election_id.as_str()).collect();
    let more = if more { " more" } else { "" };
    if elections.len() == plans.len() {
        format!("{}{more} election(s)", plans.len())
    } else {
        format!(
            "{}{more} link(s) of {} election(s)",
            plans.len(),
            elections.len()
        )
    }
}

/// The planned (or done) changes as the preview table, one group of rows per link (the plans
/// are per link), or a line saying nothing changes. Empty values read `(empty)`; a failure's
/// row carries its message alone. `links` names each plan's link.
pub(crate) fn plan_table(plans: &[SyncPlan], links: &PlanLinks) -> String {
    let changing: Vec<&SyncPlan> = plans
        .iter()
        .filter(|p| !preview_rows(p, links).is_empty())
        .collect();
    let unchanged: Vec<&SyncPlan> = plans
        .iter()
        .filter(|p| preview_rows(p, links).is_empty())
        .collect();
    if changing.is_empty() {
        let all: Vec<&SyncPlan> = plans.iter().collect();
        let mut text = format!(
            "No change: {} planned, every page already matches.\n",
            counted(&all, false)
        );
        text.push_str(&notes(plans, links));
        return text;
    }
    let mut table = Table::new(&[
        "ELECTION",
        "LINK",
        "PAGE",
        "DIR",
        "PROPERTY",
        "CURRENT → DESIRED",
    ]);
    for row in changing.iter().flat_map(|plan| preview_rows(plan, links)) {
        let change = if row.direction == Direction::Error {
            row.desired.clone()
        } else {
            let current = row.current.as_deref().unwrap_or_default();
            format!("{} → {}", or_empty(current), or_empty(&row.desired))
        };
        table.row(vec![
            row.election_id,
            row.link,
            row.page_id,
            row.direction.label().to_owned(),
            row.property,
            change,
        ]);
    }
    let mut text = table.render();
    if !unchanged.is_empty() {
        text.push_str(&format!("({} with no change)\n", counted(&unchanged, true)));
    }
    text.push_str(&notes(plans, links));
    text
}

/// One line per note of every plan, naming its election, and its link when the election has
/// several plans (several links) in this cycle.
fn notes(plans: &[SyncPlan], links: &PlanLinks) -> String {
    let mut per_election: BTreeMap<&str, usize> = BTreeMap::new();
    for plan in plans {
        *per_election.entry(plan.election_id.as_str()).or_default() += 1;
    }
    plans
        .iter()
        .flat_map(|plan| {
            let whose = match links.of(plan) {
                Some((link, _)) if per_election[plan.election_id.as_str()] > 1 => {
                    format!("{} ({link})", plan.election_id)
                }
                _ => plan.election_id.to_string(),
            };
            plan.notes
                .iter()
                .map(move |note| format!("Note: {whose}: {}\n", note_text(note)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_engine::{ElectionUpdate, TextChange};

    fn plan(json: serde_json::Value) -> SyncPlan {
        serde_json::from_value(json).expect("a plan")
    }

    /// A plan of `election` for `page` pulling `title` (nothing pulled when `None`).
    fn pulling(election: &str, page: &str, title: Option<&str>) -> SyncPlan {
        let mut plan = plan(serde_json::json!({
            "election_id": election, "page_id": page, "phase": "open", "trigger": "scheduled",
            "page_write": null, "election_update": null, "notes": [],
            "outcome": {"result": {"kind": "synced"},
                        "state": serde_json::to_value(sync_engine::SyncState::default()).unwrap()}
        }));
        plan.election_update = title.map(|to| ElectionUpdate {
            title: Some(TextChange {
                from: "Old".into(),
                to: to.into(),
            }),
            description: None,
        });
        plan
    }

    #[test]
    fn two_links_of_one_election_show_as_rows_naming_each_link() {
        let (a, b) = (
            LinkId::parse(format!("lnk_{}", "a".repeat(24) + "11111111")).unwrap(),
            LinkId::parse(format!("lnk_{}", "a".repeat(24) + "22222222")).unwrap(),
        );
        let links = PlanLinks::default()
            .with("elec_a", "p1", a.clone(), true)
            .with("elec_a", "p2", b.clone(), false)
            .with("elec_b", "p3", a.clone(), true);
        let mut second = pulling("elec_a", "p2", Some("New"));
        second.notes.push(PlanNote::NoBaseUrl);
        let plans = [
            pulling("elec_a", "p1", Some("New")),
            second,
            pulling("elec_b", "p3", None),
        ];
        let text = plan_table(&plans, &links);
        let rows: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows[0][..3], ["ELECTION", "LINK", "PAGE"], "{text}");
        assert_eq!(
            rows[1][..4],
            ["elec_a", "lnk_…11111111", "(primary)", "p1"],
            "{text}"
        );
        assert_eq!(rows[2][..3], ["elec_a", "lnk_…22222222", "p2"], "{text}");
        assert!(
            text.contains("(1 more election(s) with no change)\n"),
            "{text}"
        );
        assert!(
            text.ends_with(&format!(
                "Note: elec_a ({b}): no base URL configured: no results link written\n"
            )),
            "{text}"
        );

        // Nothing changing: counted as links of elections once an election has several.
        let quiet = [pulling("elec_a", "p1", None), pulling("elec_a", "p2", None)];
        assert_eq!(
            plan_table(&quiet, &links),
            "No change: 2 link(s) of 1 election(s) planned, every page already matches.\n"
        );
        // A plan whose link is gone since shows `-`.
        let gone = plan_table(&[pulling("elec_c", "p9", Some("New"))], &links);
        assert_eq!(
            gone.lines().nth(1).unwrap().split_whitespace().nth(1),
            Some("-")
        );
    }

    #[test]
    fn the_plan_table_shows_empty_values_and_aligns_wide_titles() {
        let mut pulled = plan(serde_json::json!({
            "election_id": "elec_a", "page_id": "p1", "phase": "open", "trigger": "scheduled",
            "page_write": null, "election_update": null, "notes": [],
            "outcome": {"result": {"kind": "synced"},
                        "state": serde_json::to_value(sync_engine::SyncState::default()).unwrap()}
        }));
        pulled.election_update = Some(ElectionUpdate {
            title: Some(TextChange {
                from: "日本語の選挙".into(),
                to: "Budget".into(),
            }),
            description: Some(TextChange {
                from: String::new(),
                to: "Approve it".into(),
            }),
        });
        pulled.notes.push(PlanNote::NoBaseUrl);
        let text = plan_table(&[pulled], &PlanLinks::default());
        assert!(
            text.ends_with("Note: elec_a: no base URL configured: no results link written\n"),
            "{text}"
        );
        assert!(text.contains("description  (empty) → Approve it"), "{text}");
        assert!(
            text.contains("title        日本語の選挙 → Budget"),
            "{text}"
        );
        let header = text.lines().next().unwrap();
        let at = crate::output::width(&header[..header.find("PROPERTY").unwrap()]);
        for line in text.lines().skip(1).filter(|l| !l.starts_with("Note:")) {
            let cut = line
                .find("title")
                .or_else(|| line.find("description"))
                .unwrap();
            assert_eq!(crate::output::width(&line[..cut]), at, "{text}");
        }
    }
}
