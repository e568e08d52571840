//! The managed-database planner: table tests for each rule, property tests for "never two pages
//! per key", "no sweep after an incomplete pass" and the brake.

mod common;

use std::sync::Arc;

use common::*;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use sync_engine::*;

fn election_n(n: usize, created_at: Timestamp) -> Election {
    Election {
        id: ElectionId::parse(format!("elec_{n}")).unwrap(),
        created_at,
        updated_at: created_at,
        ..election()
    }
}

fn page(id: &str, key: &str, minute: i64) -> SeenPage {
    SeenPage {
        page_id: id.into(),
        key: key.into(),
        created_time: t("2026-01-01T00:00:00Z") + SignedDuration::from_mins(minute),
    }
}

fn since() -> Timestamp {
    t("2026-02-01T00:00:00Z")
}

fn options() -> PassOptions {
    PassOptions {
        include_existing: true,
        managed_since: since(),
        on_election_deleted: OnElectionDeleted::Trash,
        max_deletes: DEFAULT_MAX_DELETES,
        allow_mass_delete: false,
    }
}

fn full() -> PassKind {
    PassKind::Full { complete: true }
}

fn managed<'a>(elections: &'a [Election], linked: &[(usize, &'a str)]) -> Vec<ManagedElection<'a>> {
    elections
        .iter()
        .enumerate()
        .map(|(i, election)| ManagedElection {
            election,
            linked_page: linked.iter().find(|(j, _)| *j == i).map(|(_, p)| *p),
        })
        .collect()
}

fn id(n: usize) -> ElectionId {
    ElectionId::parse(format!("elec_{n}")).unwrap()
}

#[test]
fn an_election_without_a_page_or_link_gets_one_created() {
    let elections = [election_n(1, since())];
    let plan = plan_pass(&managed(&elections, &[]), &[], &options(), PassKind::Delta);
    assert_eq!(plan.creates, vec![id(1)]);
    assert!(plan.links.is_empty());
    assert_eq!(plan.sweep, Sweep::DeltaPass);
}

#[test]
fn a_page_with_the_key_is_linked_not_created_again() {
    let elections = [election_n(1, since())];
    let pages = [page("p1", " elec_1 ", 0)];
    let plan = plan_pass(
        &managed(&elections, &[]),
        &pages,
        &options(),
        PassKind::Delta,
    );
    assert!(plan.creates.is_empty());
    assert_eq!(plan.links, vec![(id(1), "p1".to_owned())]);
}

#[test]
fn a_linked_election_needs_nothing() {
    let elections = [election_n(1, since())];
    let plan = plan_pass(&managed(&elections, &[(0, "p9")]), &[], &options(), full());
    assert!(plan.creates.is_empty() && plan.links.is_empty() && plan.trashes.is_empty());
    assert_eq!(plan.sweep, Sweep::Swept);
}

#[test]
fn duplicates_keep_the_oldest_and_report_the_others() {
    let elections = [election_n(1, since())];
    let pages = [page("p_new", "elec_1", 5), page("p_old", "elec_1", 1)];
    let plan = plan_pass(&managed(&elections, &[]), &pages, &options(), full());
    assert_eq!(plan.links, vec![(id(1), "p_old".to_owned())]);
    assert_eq!(
        plan.duplicates,
        vec![Duplicate {
            key: "elec_1".into(),
            kept: "p_old".into(),
            others: vec!["p_new".into()],
        }]
    );
    assert!(
        plan.trashes.is_empty(),
        "a duplicate is reported, never trashed"
    );
}

#[test]
fn a_duplicate_of_a_linked_page_keeps_the_linked_one() {
    let elections = [election_n(1, since())];
    let pages = [page("p_new", "elec_1", 5), page("p_old", "elec_1", 1)];
    let plan = plan_pass(
        &managed(&elections, &[(0, "p_new")]),
        &pages,
        &options(),
        full(),
    );
    assert_eq!(plan.duplicates[0].kept, "p_new");
    assert_eq!(plan.duplicates[0].others, vec!["p_old".to_owned()]);
}

#[test]
fn existing_elections_are_left_out_unless_included() {
    let elections = [
        election_n(1, t("2026-01-15T00:00:00Z")),
        election_n(2, since()),
    ];
    let excluded = PassOptions {
        include_existing: false,
        ..options()
    };
    let plan = plan_pass(&managed(&elections, &[]), &[], &excluded, PassKind::Delta);
    assert_eq!(plan.creates, vec![id(2)]);
    assert_eq!(
        plan.not_managed,
        vec![(id(1), NotManagedReason::CreatedBeforeManaged)]
    );
    let plan = plan_pass(&managed(&elections, &[]), &[], &options(), PassKind::Delta);
    assert_eq!(plan.creates, vec![id(1), id(2)]);
}

#[test]
fn a_clean_full_pass_trashes_the_page_of_a_deleted_election() {
    let elections = [election_n(1, since()), election_n(2, since())];
    let pages = [
        page("p1", "elec_1", 0),
        page("p2", "elec_2", 0),
        page("p3", "elec_3", 0),
    ];
    let linked = [(0, "p1"), (1, "p2")];
    let plan = plan_pass(&managed(&elections, &linked), &pages, &options(), full());
    assert_eq!(plan.sweep, Sweep::Swept);
    assert_eq!(
        plan.trashes,
        vec![PlannedTrash {
            page_id: "p3".into(),
            key: "elec_3".into()
        }]
    );
    assert_eq!(plan.managed_pages, 3);
}

#[test]
fn keep_reports_the_orphan_and_trashes_nothing() {
    let elections = [election_n(1, since())];
    let pages = [page("p1", "elec_1", 0), page("p3", "elec_3", 0)];
    let keep = PassOptions {
        on_election_deleted: OnElectionDeleted::Keep,
        ..options()
    };
    let plan = plan_pass(&managed(&elections, &[(0, "p1")]), &pages, &keep, full());
    assert_eq!(plan.sweep, Sweep::Swept);
    assert!(plan.trashes.is_empty());
    assert_eq!(plan.orphans.len(), 1);
}

#[test]
fn pages_without_a_key_are_never_touched() {
    let pages = [page("hand_made", "", 0), page("blank", "   ", 0)];
    let plan = plan_pass(&[], &pages, &options(), full());
    assert!(plan.trashes.is_empty() && plan.orphans.is_empty());
    assert_eq!(plan.managed_pages, 0);
}

#[test]
fn an_incomplete_pass_sweeps_nothing() {
    let pages = [page("p3", "elec_3", 0), page("p4", "elec_4", 0)];
    let plan = plan_pass(&[], &pages, &options(), PassKind::Full { complete: false });
    assert_eq!(plan.sweep, Sweep::IncompletePass);
    assert!(plan.trashes.is_empty());
    assert_eq!(plan.orphans.len(), 2, "the orphans are still reported");
}

#[test]
fn a_delta_pass_never_sweeps() {
    let pages = [page("p3", "elec_3", 0)];
    let plan = plan_pass(&[], &pages, &options(), PassKind::Delta);
    assert_eq!(plan.sweep, Sweep::DeltaPass);
    assert!(plan.trashes.is_empty() && plan.orphans.is_empty());
}

#[test]
fn the_brake_halts_a_pass_trashing_sixty_percent_and_allow_lifts_it() {
    let elections = [election_n(1, since()), election_n(2, since())];
    let mut pages = vec![page("p1", "elec_1", 0), page("p2", "elec_2", 0)];
    for n in 3..=5 {
        pages.push(page(&format!("p{n}"), &format!("elec_{n}"), 0));
    }
    let linked = [(0, "p1"), (1, "p2")];
    let plan = plan_pass(&managed(&elections, &linked), &pages, &options(), full());
    assert_eq!(
        plan.sweep,
        Sweep::Halted(BrakeReason::MoreThanHalf {
            trash: 3,
            managed: 5
        })
    );
    assert!(plan.trashes.is_empty());
    assert_eq!(plan.withheld.len(), 3);
    let allowed = PassOptions {
        allow_mass_delete: true,
        ..options()
    };
    let plan = plan_pass(&managed(&elections, &linked), &pages, &allowed, full());
    assert_eq!(plan.sweep, Sweep::Swept);
    assert_eq!(plan.trashes.len(), 3);
}

#[test]
fn half_exactly_is_not_more_than_half() {
    let elections = [election_n(1, since())];
    let pages = [page("p1", "elec_1", 0), page("p2", "elec_2", 0)];
    let plan = plan_pass(
        &managed(&elections, &[(0, "p1")]),
        &pages,
        &options(),
        full(),
    );
    assert_eq!(plan.sweep, Sweep::Swept);
    assert_eq!(plan.trashes.len(), 1);
}

#[test]
fn the_brake_holds_more_than_max_deletes() {
    let elections: Vec<Election> = (0..10).map(|n| election_n(n, since())).collect();
    let linked: Vec<(usize, String)> = (0..10).map(|n| (n, format!("p{n}"))).collect();
    let linked: Vec<(usize, &str)> = linked.iter().map(|(n, p)| (*n, p.as_str())).collect();
    let mut pages: Vec<SeenPage> = (0..10)
        .map(|n| page(&format!("p{n}"), &format!("elec_{n}"), 0))
        .collect();
    pages.extend((10..13).map(|n| page(&format!("p{n}"), &format!("elec_{n}"), 0)));
    let strict = PassOptions {
        max_deletes: 2,
        ..options()
    };
    let plan = plan_pass(&managed(&elections, &linked), &pages, &strict, full());
    assert_eq!(
        plan.sweep,
        Sweep::Halted(BrakeReason::MoreThanMaxDeletes {
            trash: 3,
            max_deletes: 2
        })
    );
    let message = BrakeReason::MoreThanMaxDeletes {
        trash: 3,
        max_deletes: 2,
    }
    .to_string();
    assert!(message.contains("--max-deletes 2") && message.contains("--allow-mass-delete"));
}

#[test]
fn a_new_page_is_created_with_what_the_sync_would_write() {
    let mut schema = schema();
    schema.properties.push(SchemaProperty {
        id: "key".into(),
        name: DEFAULT_KEY_PROPERTY_NAME.into(),
        kind: PropertyKind::RichText,
        options: Vec::new(),
    });
    let schema = Arc::new(schema);
    let key = schema.named(DEFAULT_KEY_PROPERTY_NAME).unwrap().clone();
    let mut link = link();
    link.mapping.election_id = Some(PropertyRef::with_id("key", DEFAULT_KEY_PROPERTY_NAME));
    let link = NotionLink {
        mapping: link.mapping.resolved_against(&schema),
        ..link
    };
    let writes = creation_writes(
        during(),
        &election(),
        &link,
        &schema,
        &key,
        BASE_URL,
        &CreatedProperties::default(),
    );
    let roles: Vec<PropertyRole> = writes.iter().map(|w| w.role).collect();
    assert_eq!(
        roles,
        vec![
            PropertyRole::ElectionId,
            PropertyRole::Title,
            PropertyRole::Description,
            PropertyRole::Status,
            PropertyRole::ResultsLink
        ]
    );
    assert_eq!(writes[0].to, WriteValue::RichText("elec_test".into()));
    assert_eq!(writes[3].to, WriteValue::Status("In Voting".into()));
    let only_key = CreatedProperties {
        title: false,
        description: false,
        voting_window: false,
        status: false,
    };
    let writes = creation_writes(
        during(),
        &election(),
        &link,
        &schema,
        &key,
        BASE_URL,
        &only_key,
    );
    assert_eq!(writes.len(), 1);
}

/// A database's pages after a plan's creates went out (each a new page with the key) and its
/// trashes were applied.
fn apply(pages: &mut Vec<SeenPage>, plan: &ManagedPlan, minute: &mut i64) {
    for created in &plan.creates {
        *minute += 1;
        pages.push(page(&format!("new{minute}"), created.as_str(), *minute));
    }
    pages.retain(|p| !plan.trashes.iter().any(|t| t.page_id == p.page_id));
}

/// Election numbers, pre-existing pages (key number, minute), passes (full or delta), include.
type Scenario = (Vec<usize>, Vec<(usize, usize)>, Vec<bool>, bool);

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        proptest::collection::vec(0usize..12, 0..12),
        proptest::collection::vec((0usize..16, 0usize..30), 0..20),
        proptest::collection::vec(any::<bool>(), 1..4),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever pages a database starts with and however passes go (delta or full, complete or
    /// not), no pass creates a page for a key that already has one, and after the first pass
    /// every election has a page: never two created for one key.
    #[test]
    fn never_two_pages_per_key((ids, pages, passes, include) in scenario()) {
        let elections: Vec<Election> = ids.iter().map(|n| election_n(*n, since())).collect();
        let mut seen: Vec<SeenPage> = pages
            .iter()
            .map(|(n, m)| page(&format!("pre{n}_{m}"), &format!("elec_{n}"), *m as i64))
            .collect();
        let before: std::collections::BTreeMap<String, usize> =
            seen.iter().fold(Default::default(), |mut m, p| { *m.entry(p.key.clone()).or_default() += 1; m });
        let opts = PassOptions { include_existing: include, ..options() };
        let mut minute = 1_000;
        for (i, full_pass) in passes.iter().enumerate() {
            let kind = if *full_pass { PassKind::Full { complete: i % 2 == 0 } } else { PassKind::Delta };
            let plan = plan_pass(&managed(&elections, &[]), &seen, &opts, kind);
            let mut created = std::collections::BTreeSet::new();
            for c in &plan.creates {
                prop_assert!(created.insert(c.clone()), "created twice in one pass: {c}");
                prop_assert!(!seen.iter().any(|p| p.key == c.as_str()), "created over an existing page: {c}");
            }
            apply(&mut seen, &plan, &mut minute);
        }
        for election in &elections {
            let key = election.id.as_str();
            let now = seen.iter().filter(|p| p.key == key).count();
            let had = before.get(key).copied().unwrap_or(0);
            prop_assert!(now == had.max(1) || (had == 0 && now == 1), "{key}: {had} pages before, {now} after");
        }
    }

    /// A full pass that did not read its final page, and any delta pass, trashes nothing.
    #[test]
    fn no_sweep_after_an_incomplete_pass((ids, pages, _, _) in scenario()) {
        let elections: Vec<Election> = ids.iter().map(|n| election_n(*n, since())).collect();
        let seen: Vec<SeenPage> = pages
            .iter()
            .map(|(n, m)| page(&format!("pre{n}_{m}"), &format!("elec_{n}"), *m as i64))
            .collect();
        let opts = PassOptions { allow_mass_delete: true, ..options() };
        for kind in [PassKind::Full { complete: false }, PassKind::Delta] {
            let plan = plan_pass(&managed(&elections, &[]), &seen, &opts, kind);
            prop_assert!(plan.trashes.is_empty());
            prop_assert!(plan.sweep != Sweep::Swept);
        }
    }

    /// A pass that trashes pages trashes at most half of the managed pages and at most
    /// `max_deletes`, unless the mass delete is allowed; only keys naming no election are
    /// trashed.
    #[test]
    fn the_brake_holds((ids, pages, _, _) in scenario(), max_deletes in 0usize..10, allow in any::<bool>()) {
        let elections: Vec<Election> = ids.iter().map(|n| election_n(*n, since())).collect();
        let seen: Vec<SeenPage> = pages
            .iter()
            .map(|(n, m)| page(&format!("pre{n}_{m}"), &format!("elec_{n}"), *m as i64))
            .collect();
        let opts = PassOptions { max_deletes, allow_mass_delete: allow, ..options() };
        let plan = plan_pass(&managed(&elections, &[]), &seen, &opts, full());
        if !allow {
            prop_assert!(plan.trashes.len() <= max_deletes);
            prop_assert!(plan.trashes.len() * 2 <= plan.managed_pages);
        }
        for trash in &plan.trashes {
            prop_assert!(!elections.iter().any(|e| e.id.as_str() == trash.key));
        }
        prop_assert_eq!(plan.trashes.len() + plan.withheld.len(), plan.orphans.len());
    }
}

#[test]
fn the_delta_cursor_stops_at_the_first_unfinished_election() {
    let at = |m: i64| since() + SignedDuration::from_mins(m);
    assert_eq!(next_delta_cursor(&[]), None);
    assert_eq!(
        next_delta_cursor(&[(at(1), true), (at(5), true)]),
        Some(at(5))
    );
    assert_eq!(
        next_delta_cursor(&[(at(1), true), (at(3), false), (at(5), true)]),
        Some(at(3))
    );
}
