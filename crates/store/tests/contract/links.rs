//! Several links per election: each its own record with its own sync state, one primary, and one
//! page never shown by two links.

use store::*;
use sync_engine::{SyncError, SyncErrorKind, SyncState, record_failure};

use crate::backend::Fixture;
use crate::support::*;

fn record(election: &ElectionRecord, link: &LinkRecord, state: SyncState) -> SyncRecord {
    SyncRecord {
        election_id: election.election.id.clone(),
        link_id: link.id.clone(),
        page_id: link.link.notion_page_id.clone(),
        state,
        election_update: None,
        mapping_update: None,
    }
}

pub(crate) async fn an_election_has_several_links_each_with_its_own_state(fx: Fixture) {
    let store = &*fx.store;
    let id = store
        .create_election(new_election("A"), now())
        .await
        .unwrap()
        .election
        .id;
    // The first link added is the primary, whatever was asked.
    let first = store
        .add_link(&id, &link("db1", "page-1"), false, now())
        .await
        .unwrap();
    assert!(first.primary);
    let second = store
        .add_link(&id, &link("db2", "page-2"), false, now() + secs(1))
        .await
        .unwrap();
    assert!(!second.primary);
    assert_ne!(first.id, second.id);
    let record_of = async || store.get_election(&id).await.unwrap();
    let both = record_of().await;
    assert_eq!(
        both.links.iter().map(|l| &l.id).collect::<Vec<_>>(),
        [&first.id, &second.id],
        "the primary first, then oldest first"
    );
    assert_eq!(both.primary().unwrap().id, first.id);

    // Each link is listed, planned and recorded on its own: one's failure is not the other's.
    let linked = store.list_linked(&LinkedFilter::default()).await.unwrap();
    assert_eq!(linked.len(), 2);
    assert_eq!(
        linked.iter().map(|l| l.primary).collect::<Vec<_>>(),
        [true, false]
    );
    let failed = record_failure(
        now(),
        &SyncState::default(),
        SyncError::new(SyncErrorKind::StatusOptionMissing, "no Done"),
    )
    .state;
    let report = store
        .commit_batch(
            SyncBatch {
                records: vec![
                    record(&both, &first, synced_state(now())),
                    record(&both, &second, failed.clone()),
                ],
                ..SyncBatch::default()
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(report.recorded.len(), 2);
    let after = record_of().await;
    assert_eq!(after.links[0].state, synced_state(now()));
    assert_eq!(after.links[1].state, failed);
    let only_second = store
        .list_linked(&LinkedFilter {
            link_id: Some(second.id.clone()),
            ..LinkedFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(only_second.len(), 1);
    assert_eq!(only_second[0].link_id, second.id);
    assert_eq!(only_second[0].state, failed);
    // A scope of pages or databases (what webhook events name) narrows to their links.
    let in_scope = |pages: &[&str], databases: &[&str]| {
        let filter = LinkedFilter {
            scope: Some(LinkScope {
                pages: pages.iter().map(|p| (*p).to_owned()).collect(),
                databases: databases.iter().map(|d| (*d).to_owned()).collect(),
            }),
            ..LinkedFilter::default()
        };
        async move {
            store
                .list_linked(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|l| l.link_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        in_scope(&["page-2"], &[]).await,
        std::slice::from_ref(&second.id)
    );
    assert_eq!(
        in_scope(&[], &["db1"]).await,
        std::slice::from_ref(&first.id)
    );
    assert_eq!(in_scope(&["page-2"], &["db1"]).await.len(), 2);
    assert!(in_scope(&["page-9"], &["db9"]).await.is_empty());
    assert!(
        in_scope(&[], &[]).await.is_empty(),
        "an empty scope names nothing"
    );

    // Health counts the election once, its links each.
    let health = store.sync_health().await.unwrap();
    assert_eq!((health.linked, health.links, health.with_error), (1, 2, 1));

    // Marking the second primary: the singular view follows.
    let swapped = store
        .make_primary(&id, &second.id, now() + secs(2))
        .await
        .unwrap();
    assert_eq!(swapped.primary().unwrap().id, second.id);
    assert_eq!(swapped.links[0].id, second.id);
    assert_eq!(
        store.get_linked(&id).await.unwrap().link_id,
        second.id,
        "the singular routes act on the primary"
    );
    assert!(matches!(
        store.make_primary(&id, &link_id(7), now()).await,
        Err(StoreError::NotFound { what: "link", .. })
    ));

    // Removing the primary hands the role to the one left; its state is untouched.
    let left = store
        .remove_link(&id, &second.id, now() + secs(3))
        .await
        .unwrap();
    assert_eq!(left.links.len(), 1);
    assert_eq!(left.links[0].id, first.id);
    assert!(left.links[0].primary);
    assert_eq!(left.links[0].state, synced_state(now()));
    assert!(matches!(
        store.remove_link(&id, &second.id, now()).await,
        Err(StoreError::NotFound { what: "link", .. })
    ));

    // A record for the removed link is skipped, not applied to another.
    let report = store
        .record_sync(record(&both, &second, SyncState::default()), now())
        .await
        .unwrap();
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].link_id, second.id);

    // The singular set_link replaces only the primary; added links stay.
    store
        .add_link(&id, &link("db2", "page-3"), false, now() + secs(4))
        .await
        .unwrap();
    let relinked = store
        .set_link(&id, &link("db1", "page-4"), now() + secs(5))
        .await
        .unwrap();
    assert_eq!(
        relinked
            .links
            .iter()
            .map(|l| (l.primary, l.link.notion_page_id.as_str()))
            .collect::<Vec<_>>(),
        [(true, "page-4"), (false, "page-3")]
    );

    // Deleting the election deletes its links.
    store.delete_election(&id).await.unwrap();
    assert!(
        store
            .list_linked(&LinkedFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.election_linked_to("page-3").await.unwrap(), None);
}

pub(crate) async fn a_page_is_shown_by_one_link_only(fx: Fixture) {
    let store = &*fx.store;
    let a = store
        .create_election(new_election("A"), now())
        .await
        .unwrap()
        .election
        .id;
    let b = store
        .create_election(new_election("B"), now())
        .await
        .unwrap()
        .election
        .id;
    store
        .add_link(&a, &link("db", "page-a"), false, now())
        .await
        .unwrap();
    // Another election: refused, naming the election that has it.
    for attempt in [
        store
            .add_link(&b, &link("db", "page-a"), false, now())
            .await
            .err(),
        store.set_link(&b, &link("db", "page-a"), now()).await.err(),
    ] {
        match attempt {
            Some(StoreError::Conflict { message }) => {
                assert!(message.contains(a.as_str()), "{message}");
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
    // A second link of the same election to the same page: refused too.
    assert!(matches!(
        store
            .add_link(&a, &link("db", "page-a"), false, now())
            .await,
        Err(StoreError::Conflict { .. })
    ));
    // Re-linking the primary to the page it already shows is a re-link, not a conflict.
    store
        .set_link(&a, &link("db", "page-a"), now())
        .await
        .unwrap();
    assert_eq!(store.get_election(&b).await.unwrap().links, []);
    assert_eq!(
        store.election_linked_to("page-a").await.unwrap(),
        Some(a.clone())
    );
    // Unknown elections: not found, nothing written.
    let ghost = sync_engine::ElectionId::parse("ghost").unwrap();
    assert!(matches!(
        store
            .add_link(&ghost, &link("db", "page-g"), false, now())
            .await,
        Err(StoreError::NotFound {
            what: "election",
            ..
        })
    ));
    assert_eq!(store.election_linked_to("page-g").await.unwrap(), None);
}
