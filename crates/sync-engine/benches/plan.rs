//! Planning 100,000 linked elections: the planner's cost per scheduled cycle at scale.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use sync_engine::{
    DatabaseSchema, Election, ElectionId, NotionLink, ObservedValue, PageObservation, PropertyKind,
    SchemaProperty, SyncInput, SyncState, Trigger, plan,
};

const ELECTIONS: usize = 100_000;

/// The demo database's schema: the four properties of the default mapping.
fn schema() -> DatabaseSchema {
    let property = |id: &str, name: &str, kind, options: &[&str]| SchemaProperty {
        id: id.into(),
        name: name.into(),
        kind,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
    };
    DatabaseSchema {
        properties: vec![
            property("title", "Name", PropertyKind::Title, &[]),
            property("desc", "Description", PropertyKind::RichText, &[]),
            property(
                "st",
                "Voting Status",
                PropertyKind::Status,
                &["Not started", "In Voting", "Done"],
            ),
            property("url", "Results Link", PropertyKind::Url, &[]),
        ],
    }
}

struct Linked {
    election: Election,
    link: NotionLink,
    state: SyncState,
    observation: PageObservation,
}

/// A mix of upcoming, open and closed elections whose pages are in assorted states (a third match,
/// the rest need a status and/or results write, some have a renamed title).
fn population(now: Timestamp) -> Vec<Linked> {
    let hour = SignedDuration::from_secs(3600);
    let statuses = [None, Some("Not started"), Some("In Voting"), Some("Done")];
    (0..ELECTIONS)
        .map(|i| {
            let offset = (i as i64 % 97) - 48;
            let open_at = now + hour * offset as i32;
            let election = Election {
                id: ElectionId::parse(format!("elec_{i:032x}")).expect("valid id"),
                title: format!("Election {i}"),
                description: "Annual vote".into(),
                open_at,
                close_at: open_at + hour * 24,
                created_at: now - hour * 1000,
                updated_at: now - hour * 1000,
            };
            // In steady state a link knows its properties' ids (learnt when it was made).
            let mut link = NotionLink::new(
                "11111111-1111-4111-8111-111111111111",
                format!("00000000-0000-4000-8000-{i:012x}"),
            );
            link.mapping = link.mapping.resolved_against(&schema());
            let title = if i % 10 == 0 {
                format!("Election {i} (renamed)")
            } else {
                election.title.clone()
            };
            let results =
                (i % 3 == 0).then(|| format!("https://vote.example.org/e/{}/results", election.id));
            let observation = PageObservation {
                observed_at: now - hour,
                last_edited_time: Some(now - hour),
                in_trash: false,
                values: [
                    ("title", ObservedValue::Text(title)),
                    ("desc", ObservedValue::Text("Annual vote".into())),
                    (
                        "st",
                        ObservedValue::Status(statuses[i % statuses.len()].map(str::to_owned)),
                    ),
                    ("url", ObservedValue::Url(results)),
                ]
                .into_iter()
                .map(|(id, value)| (id.to_owned(), value))
                .collect(),
                schema: std::sync::Arc::new(schema()),
            };
            Linked {
                election,
                link,
                state: SyncState::default(),
                observation,
            }
        })
        .collect()
}

fn bench_plan(c: &mut Criterion) {
    let now: Timestamp = "2026-05-01T12:00:00Z".parse().expect("timestamp");
    let elections = population(now);
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ELECTIONS as u64));
    group.bench_function("100k_elections", |b| {
        b.iter(|| {
            let mut writes = 0usize;
            for linked in &elections {
                let input = SyncInput {
                    election: &linked.election,
                    link: &linked.link,
                    state: &linked.state,
                    observation: Some(&linked.observation),
                    base_url: "https://vote.example.org",
                    trigger: Trigger::Scheduled,
                };
                let plan = plan(black_box(now), &input);
                writes += usize::from(plan.page_write.is_some());
                black_box(&plan);
            }
            writes
        })
    });
    group.finish();
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);
