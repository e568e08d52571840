//! Table tests of the link check (SPEC §3): which schemas can carry a link, and what is said.

use sync_engine::*;

/// A property of `kind` (its name and id are set when it is inserted).
fn property(kind: &str, options: &[&str]) -> SchemaProperty {
    SchemaProperty {
        id: String::new(),
        name: String::new(),
        kind: PropertyKind::from(kind),
        options: options.iter().map(|o| (*o).to_owned()).collect(),
    }
}

/// The schema's properties, changed by name as a map would be.
struct Props<'a>(&'a mut DatabaseSchema);

impl Props<'_> {
    fn remove(&mut self, name: &str) {
        self.0.properties.retain(|p| p.name != name);
    }

    /// Adds `property` as `name`, or replaces the property of that name (keeping its id).
    fn insert(&mut self, name: String, mut property: SchemaProperty) {
        property.name.clone_from(&name);
        match self.0.properties.iter_mut().find(|p| p.name == name) {
            Some(existing) => {
                property.id.clone_from(&existing.id);
                *existing = property;
            }
            None => {
                property.id = format!("id-{name}");
                self.0.properties.push(property);
            }
        }
    }
}

/// The schema of SPEC §3's example database: every property the link names, of the right type.
fn full_schema() -> DatabaseSchema {
    let mut schema = DatabaseSchema::default();
    let mut props = Props(&mut schema);
    props.insert("Name".to_owned(), property("title", &[]));
    props.insert("Description".to_owned(), property("rich_text", &[]));
    props.insert(
        "Voting Status".to_owned(),
        property("status", &["Not started", "In Voting", "Done"]),
    );
    props.insert("Results Link".to_owned(), property("url", &[]));
    schema
}

fn link() -> NotionLink {
    NotionLink::new(
        "2c1b3a4d-0000-4000-8000-000000000001",
        "2c1b3a4d-0000-4000-8000-000000000002",
    )
}

struct Case {
    name: &'static str,
    change: fn(&mut DatabaseSchema),
    /// `Ok(n)`: linkable with `n` warnings; `Err(fragment)`: refused with a message holding it.
    expect: Result<usize, &'static str>,
    /// A fragment of the first warning's text.
    warning: Option<&'static str>,
}

fn props(schema: &mut DatabaseSchema) -> Props<'_> {
    Props(schema)
}

#[test]
fn link_check_rules() {
    let cases = [
        Case {
            name: "the full schema links without warnings",
            change: |_| {},
            expect: Ok(0),
            warning: None,
        },
        Case {
            name: "no status property: refused, naming what the database has",
            change: |s| {
                props(s).remove("Voting Status");
            },
            expect: Err(
                "does not exist on this page: add a Status property named 'Voting Status' to the database, or give the name of an existing one (the database has: Description, Name, Results Link)",
            ),
            warning: None,
        },
        Case {
            name: "a select named like the status property: refused",
            change: |s| {
                props(s).insert(
                    "Voting Status".into(),
                    property("select", &["In Voting", "Done"]),
                );
            },
            expect: Err("'Voting Status' is not a Status property"),
            warning: None,
        },
        Case {
            name: "no Done option: refused, listing the options it has",
            change: |s| {
                props(s).insert(
                    "Voting Status".into(),
                    property("status", &["Not started", "In Voting"]),
                );
            },
            expect: Err(
                "has no 'Done' option (it has: 'Not started', 'In Voting'). Create the option in Notion",
            ),
            warning: None,
        },
        Case {
            name: "neither In Voting nor Done: refused, both named, plural",
            change: |s| {
                props(s).insert("Voting Status".into(), property("status", &[]));
            },
            expect: Err(
                "has no 'In Voting' and 'Done' options (it has: no options). Create the options",
            ),
            warning: None,
        },
        Case {
            name: "no Not started option: linkable, with a warning",
            change: |s| {
                props(s).insert(
                    "Voting Status".into(),
                    property("status", &["In Voting", "Done"]),
                );
            },
            expect: Ok(1),
            warning: Some("has no 'Not started' option: upcoming elections get no status"),
        },
        Case {
            name: "no results property: linkable, with a warning",
            change: |s| {
                props(s).remove("Results Link");
            },
            expect: Ok(1),
            warning: Some("no 'Results Link' property: no results link will be written"),
        },
        Case {
            name: "a results property of another type: refused",
            change: |s| {
                props(s).insert("Results Link".into(), property("rich_text", &[]));
            },
            expect: Err("'Results Link' is not a URL property (it is rich_text)"),
            warning: None,
        },
        Case {
            name: "a title held in a text property is pulled",
            change: |s| {
                props(s).insert("Name".into(), property("rich_text", &[]));
            },
            expect: Ok(0),
            warning: None,
        },
        Case {
            name: "a number as the title: warned, not pulled",
            change: |s| {
                props(s).insert("Name".into(), property("number", &[]));
            },
            expect: Ok(1),
            warning: Some("'Name' is number, not a title or text property"),
        },
        Case {
            name: "no description property: warned, not pulled",
            change: |s| {
                props(s).remove("Description");
            },
            expect: Ok(1),
            warning: Some("no 'Description' property: the description will not be pulled"),
        },
        Case {
            name: "a title as the description: warned, not pulled",
            change: |s| {
                props(s).insert("Description".into(), property("title", &[]));
            },
            expect: Ok(1),
            warning: Some("'Description' is title, not a text property"),
        },
    ];
    for case in cases {
        let mut schema = full_schema();
        (case.change)(&mut schema);
        let checked = check_link(&schema, &link());
        match (case.expect, checked) {
            (Ok(n), Ok(warnings)) => {
                assert_eq!(warnings.len(), n, "{}: {warnings:?}", case.name);
                if let Some(fragment) = case.warning {
                    let text = warnings[0].to_string();
                    assert!(text.contains(fragment), "{}: {text}", case.name);
                }
            }
            (Err(fragment), Err(problem)) => {
                let text = problem.to_string();
                assert!(text.contains(fragment), "{}: {text}", case.name);
            }
            (expected, got) => panic!("{}: expected {expected:?}, got {got:?}", case.name),
        }
    }
}

#[test]
fn custom_names_and_options_are_the_links() {
    let mut schema = full_schema();
    props(&mut schema).insert(
        "Stage".into(),
        property("status", &["Soon", "Live", "Closed"]),
    );
    let mut custom = link();
    custom.mapping.status.property.name = "Stage".into();
    custom.mapping.status.not_started = "Soon".into();
    custom.mapping.status.in_voting = "Live".into();
    custom.mapping.status.done = "Closed".into();
    assert_eq!(check_link(&schema, &custom), Ok(Vec::new()));
    // The default options are not what this link needs.
    assert!(matches!(
        check_link(&full_schema(), &custom),
        Err(LinkProblem::StatusPropertyMissing { .. })
    ));
}

#[test]
fn every_mapped_property_is_checked_for_its_type_and_named_when_wrong() {
    let mut schema = full_schema();
    props(&mut schema).insert("Window".into(), property("date", &[]));
    props(&mut schema).insert("Ref".into(), property("rich_text", &[]));
    props(&mut schema).insert("Stage".into(), property("select", &[]));
    let mut mapped = link();
    mapped.mapping.voting_window = Some(WindowMapping::Range {
        property: PropertyRef::named("Window"),
    });
    mapped.mapping.election_id = Some(PropertyRef::named("Ref"));
    mapped.mapping.phase = Some(PhaseMapping::named("Stage"));
    assert_eq!(check_link(&schema, &mapped), Ok(Vec::new()));

    // A window on a text property: refused, naming the property and what it must be.
    let mut wrong = mapped.clone();
    wrong.mapping.voting_window = Some(WindowMapping::Range {
        property: PropertyRef::named("Ref"),
    });
    let problem = check_link(&schema, &wrong).unwrap_err();
    assert_eq!(
        problem.to_string(),
        "The property 'Ref' cannot hold the voting window (it is rich_text, it must be Date): choose another property or change its type in Notion"
    );

    // A phase select that does not exist: refused, listing what the database has.
    let mut missing = mapped.clone();
    missing.mapping.phase = Some(PhaseMapping::named("Phase"));
    let text = check_link(&schema, &missing).unwrap_err().to_string();
    assert!(
        text.starts_with("The property 'Phase' for the phase does not exist in the database: add a Select property named 'Phase'"),
        "{text}"
    );
    assert!(
        text.contains("Description, Name, Ref, Results Link, Stage, Voting Status, Window"),
        "{text}"
    );

    // A pushed title needs its property; a pulled one only warns.
    let mut pushed = link();
    pushed.mapping.title = TextMapping {
        property: PropertyRef::named("Heading"),
        direction: TextDirection::Push,
    };
    assert!(matches!(
        check_link(&schema, &pushed),
        Err(LinkProblem::MappedPropertyMissing {
            role: PropertyRole::Title,
            ..
        })
    ));
    pushed.mapping.title.direction = TextDirection::Pull;
    assert!(matches!(
        check_link(&schema, &pushed).as_deref(),
        Ok([LinkWarning::TitleNotPulled { .. }])
    ));
}

#[test]
fn a_renamed_status_property_is_found_by_its_id() {
    let mut schema = full_schema();
    let id = schema.named("Voting Status").unwrap().id.clone();
    schema
        .properties
        .iter_mut()
        .find(|p| p.id == id)
        .unwrap()
        .name = "Election state".into();
    let mut renamed = link();
    renamed.mapping.status.property = PropertyRef::with_id(id, "Voting Status");
    assert_eq!(check_link(&schema, &renamed), Ok(Vec::new()));
}
