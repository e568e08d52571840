//! The field mapping: properties followed by id through renames, the optional mapped fields
//! (voting window, election id, phase select), and the direction switch of title and description.

mod common;

use common::*;
use jiff::Timestamp;
use sync_engine::*;

const WINDOW_ID: &str = "win";
const OPENS_ID: &str = "opens";
const CLOSES_ID: &str = "closes";
const ELECTION_ID: &str = "eid";
const PHASE_ID: &str = "phase";

/// The fixture with the optional properties added to its database (empty on the page).
fn with_optional_properties() -> Fixture {
    let mut f = Fixture::new();
    // The page already shows the status and results link an open election needs, so a plan's
    // writes are the mapped fields under test only.
    f.obs().set_status(Some("In Voting".into()));
    f.obs().set_results_url(Some(expected_results_url()));
    let obs = f.obs();
    for (id, name, kind) in [
        (WINDOW_ID, "Voting window", PropertyKind::Date),
        (OPENS_ID, "Opens", PropertyKind::Date),
        (CLOSES_ID, "Closes", PropertyKind::Date),
        (ELECTION_ID, "Election ID", PropertyKind::RichText),
        (PHASE_ID, "Phase", PropertyKind::Select),
    ] {
        std::sync::Arc::make_mut(&mut obs.schema)
            .properties
            .push(SchemaProperty {
                id: id.into(),
                name: name.into(),
                kind,
                options: Vec::new(),
            });
    }
    f
}

fn writes(plan: &SyncPlan) -> Vec<(PropertyRole, WriteValue)> {
    plan.page_write
        .iter()
        .flat_map(|w| &w.properties)
        .map(|w| (w.role, w.to.clone()))
        .collect()
}

fn date(start: Timestamp, end: Option<Timestamp>) -> WriteValue {
    WriteValue::Date(DateValue { start, end })
}

#[test]
fn each_mapped_field_is_written_once_and_then_left_alone() {
    let election = election();
    let (open, close) = (election.open_at, election.close_at);
    type Setup = fn(&mut FieldMapping);
    type Row = (&'static str, Setup, Vec<(PropertyRole, WriteValue)>);
    let rows: [Row; 5] = [
        (
            "voting window as one range",
            |m| {
                m.voting_window = Some(WindowMapping::Range {
                    property: PropertyRef::named("Voting window"),
                });
            },
            vec![(PropertyRole::VotingWindow, date(open, Some(close)))],
        ),
        (
            "voting window as two dates",
            |m| {
                m.voting_window = Some(WindowMapping::Split {
                    opens: PropertyRef::named("Opens"),
                    closes: PropertyRef::named("Closes"),
                });
            },
            vec![
                (PropertyRole::VotingOpens, date(open, None)),
                (PropertyRole::VotingCloses, date(close, None)),
            ],
        ),
        (
            "election id as text",
            |m| m.election_id = Some(PropertyRef::named("Election ID")),
            vec![(
                PropertyRole::ElectionId,
                WriteValue::RichText("elec_test".into()),
            )],
        ),
        (
            "phase as a select",
            |m| m.phase = Some(PhaseMapping::named("Phase")),
            vec![(PropertyRole::Phase, WriteValue::Select("In Voting".into()))],
        ),
        (
            "title and description pushed",
            |m| {
                m.title.direction = TextDirection::Push;
                m.description.direction = TextDirection::Push;
            },
            vec![
                (
                    PropertyRole::Title,
                    WriteValue::Title("Board election".into()),
                ),
                (
                    PropertyRole::Description,
                    WriteValue::RichText("Choose the board".into()),
                ),
            ],
        ),
    ];
    for (name, setup, expected) in rows {
        let mut f = with_optional_properties();
        if name.starts_with("title") {
            // Different text in Notion, so that a push has something to do.
            f.obs().set_title(Some("Old title".into()));
            f.obs().set_description(Some("Old text".into()));
        }
        setup(&mut f.link.mapping);
        let first = f.plan(during());
        assert!(first.outcome.is_success(), "{name}: {:?}", first.outcome);
        assert_eq!(writes(&first), expected, "{name}");
        assert_eq!(
            first.election_update, None,
            "{name}: a pushed field is not pulled"
        );

        // Applied, nothing is left to do (and the stored observation agrees).
        let write = first.page_write.as_ref().unwrap();
        f.observation = Some(f.observation.unwrap().with_write_applied(write, during()));
        f.state = first.outcome.state.clone();
        if let Some(mapping) = first.mapping_update {
            f.link.mapping = mapping;
        }
        let second = f.plan(during());
        assert_eq!(second.page_write, None, "{name}: second plan");
        f.observation = None;
        assert_eq!(
            f.plan(during()).page_write,
            None,
            "{name}: from the stored one"
        );
    }
}

#[test]
fn the_phase_select_and_the_window_follow_the_election() {
    let mut f = with_optional_properties();
    f.link.mapping.phase = Some(PhaseMapping {
        property: PropertyRef::named("Phase"),
        upcoming: "Soon".into(),
        open: "Open".into(),
        closed: "Closed".into(),
    });
    f.link.mapping.voting_window = Some(WindowMapping::Range {
        property: PropertyRef::named("Voting window"),
    });
    f.obs()
        .set_value(PHASE_ID, ObservedValue::Select(Some("Open".into())));
    f.obs().set_value(
        WINDOW_ID,
        ObservedValue::Date(Some(DateValue {
            start: open_at(),
            end: Some(close_at()),
        })),
    );
    assert_eq!(f.plan(during()).page_write, None);

    // The admin moves the close: the window follows, at once.
    let later = close_at() + jiff::SignedDuration::from_hours(24);
    f.election.close_at = later;
    assert_eq!(
        writes(&f.plan(during())),
        [(PropertyRole::VotingWindow, date(open_at(), Some(later)))]
    );
    // Closed: the select says so, with the link's option.
    let plan = f.plan(later + jiff::SignedDuration::from_secs(1));
    assert!(writes(&plan).contains(&(PropertyRole::Phase, WriteValue::Select("Closed".into()))));
}

#[test]
fn dates_compare_to_the_minute_so_seconds_dropped_by_notion_cause_no_rewrite() {
    let mut f = with_optional_properties();
    f.election.open_at = t("2026-03-01T09:00:30Z");
    f.link.mapping.voting_window = Some(WindowMapping::Split {
        opens: PropertyRef::named("Opens"),
        closes: PropertyRef::named("Closes"),
    });
    let shown = |at: &str| {
        ObservedValue::Date(Some(DateValue {
            start: t(at),
            end: None,
        }))
    };
    f.obs().set_value(OPENS_ID, shown("2026-03-01T09:00:00Z"));
    f.obs().set_value(CLOSES_ID, shown("2026-03-08T09:00:00Z"));
    assert_eq!(f.plan(during()).page_write, None);
    // A different minute is a different value.
    f.obs().set_value(OPENS_ID, shown("2026-03-01T09:01:00Z"));
    assert_eq!(
        writes(&f.plan(during())),
        [(
            PropertyRole::VotingOpens,
            date(t("2026-03-01T09:00:30Z"), None)
        )]
    );
}

#[test]
fn a_renamed_property_is_followed_by_id_and_the_link_learns_the_new_name() {
    let mut f = Fixture::new();
    // The first sync learns the ids of the properties the link names.
    let first = f.plan(during());
    let learnt = first.mapping_update.clone().expect("ids learnt");
    assert_eq!(learnt.status.property.id.as_deref(), Some(STATUS_ID));
    assert_eq!(learnt.results_link.id.as_deref(), Some(RESULTS_ID));
    assert_eq!(learnt.title.property.id.as_deref(), Some(TITLE_ID));
    assert!(
        !first
            .notes
            .iter()
            .any(|n| matches!(n, PlanNote::PropertyRenamed { .. })),
        "learning an id is not a rename"
    );
    f.link.mapping = learnt;
    assert_eq!(
        f.plan(during()).mapping_update,
        None,
        "nothing more to learn"
    );

    // Someone renames the status property in Notion.
    f.obs().rename(STATUS_ID, "Election state");
    let plan = f.plan(during());
    assert!(plan.outcome.is_success(), "{:?}", plan.outcome);
    let write = plan.page_write.as_ref().unwrap().status().unwrap();
    assert_eq!(write.property, "Election state");
    assert_eq!(write.property_id, STATUS_ID);
    let renamed = plan.mapping_update.expect("the new name is kept");
    assert_eq!(renamed.status.property.name, "Election state");
    assert!(plan.notes.contains(&PlanNote::PropertyRenamed {
        role: PropertyRole::Status,
        from: "Voting Status".into(),
        to: "Election state".into(),
    }));
}

#[test]
fn a_property_deleted_and_made_again_under_its_name_is_found_by_name() {
    let mut f = Fixture::new();
    f.link.mapping.status.property = PropertyRef::with_id("gone", "Voting Status");
    let plan = f.plan(during());
    assert!(plan.outcome.is_success(), "{:?}", plan.outcome);
    let mapping = plan.mapping_update.expect("the new id is learnt");
    assert_eq!(mapping.status.property.id.as_deref(), Some(STATUS_ID));
}

#[test]
fn a_removed_status_property_names_it_and_a_removed_optional_one_only_skips_its_field() {
    let mut f = with_optional_properties();
    f.link.mapping.election_id = Some(PropertyRef::with_id("removed", "Election number"));
    let plan = f.plan(during());
    assert!(plan.outcome.is_success(), "the status is still kept");
    assert!(plan.notes.contains(&PlanNote::MappedPropertyMissing {
        role: PropertyRole::ElectionId,
        property: "Election number".into(),
    }));

    f.link.mapping.phase = Some(PhaseMapping::named("Election ID"));
    let plan = f.plan(during());
    assert!(plan.notes.contains(&PlanNote::MappedPropertyWrongType {
        role: PropertyRole::Phase,
        property: "Election ID".into(),
        kind: PropertyKind::RichText,
    }));

    f.obs().set_kind(STATUS_ID, None);
    let Verdict::Failed { error, .. } = f.plan(during()).outcome.verdict else {
        panic!("a link without its status property fails");
    };
    assert_eq!(error.kind, SyncErrorKind::PropertyMissing);
    assert!(
        error.describe().contains("'Voting Status'"),
        "{}",
        error.describe()
    );
}

#[test]
fn a_pulled_field_is_not_pushed_and_an_empty_pushed_description_clears_the_page() {
    let mut f = with_optional_properties();
    f.obs().set_description(Some("Notion's text".into()));
    // Pulled (the default): Notion's text comes in, nothing goes out.
    let plan = f.plan(during());
    assert_eq!(writes(&plan), []);
    assert_eq!(
        plan.election_update.unwrap().description.unwrap().to,
        "Notion's text"
    );
    // Pushed: ours goes out, even when empty (the app is the source).
    f.link.mapping.description.direction = TextDirection::Push;
    f.election.description = String::new();
    let plan = f.plan(during());
    assert_eq!(plan.election_update, None);
    assert_eq!(
        writes(&plan),
        [(
            PropertyRole::Description,
            WriteValue::RichText(String::new())
        )]
    );
}

#[test]
fn mapping_lists_each_property_once_with_its_role() {
    let mapping = FieldMapping {
        voting_window: Some(WindowMapping::Split {
            opens: PropertyRef::named("Opens"),
            closes: PropertyRef::named("Closes"),
        }),
        phase: Some(PhaseMapping::named("Phase")),
        ..FieldMapping::default()
    };
    let roles: Vec<_> = mapping.properties().into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        roles,
        [
            PropertyRole::Status,
            PropertyRole::ResultsLink,
            PropertyRole::Title,
            PropertyRole::Description,
            PropertyRole::VotingOpens,
            PropertyRole::VotingCloses,
            PropertyRole::Phase,
        ]
    );
    assert_eq!(
        mapping.property_names(),
        [
            "Voting Status",
            "Results Link",
            "Name",
            "Description",
            "Opens",
            "Closes",
            "Phase"
        ]
    );
    // Serialised, the defaults round-trip and absent optional fields stay absent.
    let json = serde_json::to_value(FieldMapping::default()).unwrap();
    assert!(json.get("phase").is_none(), "{json}");
    let back: FieldMapping = serde_json::from_value(json).unwrap();
    assert_eq!(back, FieldMapping::default());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_mapping() -> impl Strategy<Value = FieldMapping> {
        (
            0..3u8,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(window, id, phase, push_title, push_description)| {
                let voting_window = match window {
                    0 => None,
                    1 => Some(WindowMapping::Range {
                        property: PropertyRef::named("Voting window"),
                    }),
                    _ => Some(WindowMapping::Split {
                        opens: PropertyRef::named("Opens"),
                        closes: PropertyRef::named("Closes"),
                    }),
                };
                let direction = |push: bool| {
                    if push {
                        TextDirection::Push
                    } else {
                        TextDirection::Pull
                    }
                };
                let defaults = FieldMapping::default();
                FieldMapping {
                    voting_window,
                    election_id: id.then(|| PropertyRef::named("Election ID")),
                    phase: phase.then(|| PhaseMapping::named("Phase")),
                    title: TextMapping {
                        direction: direction(push_title),
                        ..defaults.title.clone()
                    },
                    description: TextMapping {
                        direction: direction(push_description),
                        ..defaults.description.clone()
                    },
                    ..defaults
                }
            })
    }

    fn any_date() -> impl Strategy<Value = Option<DateValue>> {
        proptest::option::of(
            (0..2_000_000i64, proptest::option::of(0..2_000_000i64)).prop_map(|(start, end)| {
                DateValue {
                    start: Timestamp::from_second(1_772_000_000 + start).unwrap(),
                    end: end.map(|e| Timestamp::from_second(1_772_000_000 + e).unwrap()),
                }
            }),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the mapping and whatever the page holds, a plan applied leaves nothing more
        /// to write or pull, and every write goes to a property of the type its role accepts.
        #[test]
        fn a_mapped_plan_applied_plans_nothing_more(
            mapping in any_mapping(),
            at in prop_oneof![Just(before()), Just(during()), Just(after())],
            window in any_date(),
            opens in any_date(),
            text in proptest::option::of("[a-z ]{0,12}"),
            select in proptest::option::of("[A-Za-z ]{1,8}"),
        ) {
            let mut f = with_optional_properties();
            f.link.mapping = mapping;
            f.obs().set_value(WINDOW_ID, ObservedValue::Date(window));
            f.obs().set_value(OPENS_ID, ObservedValue::Date(opens));
            f.obs().set_value(ELECTION_ID, ObservedValue::Text(text.clone().unwrap_or_default()));
            f.obs().set_value(PHASE_ID, ObservedValue::Select(select));
            f.obs().set_title(text.clone());
            f.obs().set_description(text);
            let first = f.plan(at);
            prop_assume!(first.outcome.is_success());
            let observation = f.observation.clone().unwrap();
            for write in first.page_write.iter().flat_map(|w| &w.properties) {
                let property = observation.schema.properties.iter().find(|p| p.id == write.property_id).unwrap();
                prop_assert!(write.role.accepts(&property.kind), "{:?} to {:?}", write.role, property.kind);
            }
            let mut next = f.clone();
            if let Some(write) = &first.page_write {
                next.observation = Some(observation.with_write_applied(write, at));
            }
            if let Some(update) = &first.election_update {
                next.election.apply_update(update, at);
            }
            if let Some(mapping) = &first.mapping_update {
                next.link.mapping = mapping.clone();
            }
            next.state = first.outcome.state.clone();
            let second = next.plan(at);
            prop_assert_eq!(second.page_write, None);
            prop_assert_eq!(second.election_update, None);
            prop_assert_eq!(second.mapping_update, None);
        }
    }
}
