//! Managed databases: a database's mode and options, its delta cursor, the summary of its passes,
//! and the elections changed since a cursor.

use store::*;
use sync_engine::{CreatedProperties, OnElectionDeleted};

use crate::backend::Fixture;
use crate::support::*;

const DB: &str = "11111111-1111-4111-8111-111111111111";

fn managed() -> ManagedSettings {
    ManagedSettings {
        mode: DatabaseMode::Managed,
        include_existing: true,
        on_election_deleted: OnElectionDeleted::Trash,
        ..ManagedSettings::default()
    }
}

pub(crate) async fn a_database_is_linked_until_switched_and_keeps_its_managed_since(fx: Fixture) {
    let store = &*fx.store;
    assert_eq!(store.get_managed_database(DB).await.unwrap(), None);
    assert!(store.list_managed_databases().await.unwrap().is_empty());

    let db = store
        .set_database_mode(DB, &managed(), now())
        .await
        .unwrap();
    assert_eq!(db.settings.mode, DatabaseMode::Managed);
    assert_eq!(db.settings.key_property, "Election ID");
    assert_eq!(db.settings.created, CreatedProperties::default());
    assert_eq!(db.managed_since, Some(now()));
    assert_eq!(db.delta_cursor, None);
    assert_eq!(db.last_pass, None);

    store.set_managed_cursor(DB, now() + secs(5)).await.unwrap();
    // Changing the options keeps when it became managed and where the delta is.
    let later = now() + secs(60);
    let db = store
        .set_database_mode(
            DB,
            &ManagedSettings {
                key_property: "  Key  ".into(),
                on_election_deleted: OnElectionDeleted::Keep,
                ..managed()
            },
            later,
        )
        .await
        .unwrap();
    assert_eq!(db.managed_since, Some(now()));
    assert_eq!(db.delta_cursor, Some(now() + secs(5)));
    assert_eq!(db.settings.key_property, "Key", "the name is trimmed");
    assert_eq!(db.settings.on_election_deleted, OnElectionDeleted::Keep);
    assert_eq!(db.updated_at, later);
    assert_eq!(store.list_managed_databases().await.unwrap().len(), 1);

    // Back to linked, then managed again: a fresh start.
    let linked = ManagedSettings {
        mode: DatabaseMode::Linked,
        ..managed()
    };
    store.set_database_mode(DB, &linked, later).await.unwrap();
    assert!(store.list_managed_databases().await.unwrap().is_empty());
    let again = later + secs(60);
    let db = store
        .set_database_mode(DB, &managed(), again)
        .await
        .unwrap();
    assert_eq!(db.managed_since, Some(again));
    assert_eq!(db.delta_cursor, None);
}

pub(crate) async fn bad_managed_settings_name_the_field_and_write_nothing(fx: Fixture) {
    let store = &*fx.store;
    for key in ["", "   ", "a\u{7}b", &"k".repeat(MAX_KEY_PROPERTY_LEN + 1)] {
        let settings = ManagedSettings {
            key_property: key.to_owned(),
            ..managed()
        };
        let error = store
            .set_database_mode(DB, &settings, now())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), StoreErrorKind::Invalid, "{key:?}");
        assert!(
            matches!(
                error,
                StoreError::Invalid {
                    field: "key_property",
                    ..
                }
            ),
            "{error}"
        );
    }
    let error = store
        .set_database_mode(" ", &managed(), now())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        StoreError::Invalid {
            field: "database_id",
            ..
        }
    ));
    assert_eq!(store.get_managed_database(DB).await.unwrap(), None);
    let missing = store.set_managed_cursor(DB, now()).await.unwrap_err();
    assert_eq!(missing.kind(), StoreErrorKind::NotFound);
}

pub(crate) async fn a_pass_summary_is_kept_and_the_last_full_pass_survives_deltas(fx: Fixture) {
    let store = &*fx.store;
    store
        .set_database_mode(DB, &managed(), now())
        .await
        .unwrap();
    let full = ManagedPassSummary {
        kind: PassKindStored::Full,
        at: now() + secs(10),
        complete: true,
        managed_pages: 5,
        orphans: 1,
        duplicates: 2,
        created: 3,
        linked: 1,
        trashed: 0,
        halted: Some("the brake".into()),
    };
    store.record_managed_pass(DB, &full).await.unwrap();
    let delta = ManagedPassSummary {
        kind: PassKindStored::Delta,
        at: now() + secs(20),
        complete: true,
        managed_pages: 1,
        orphans: 0,
        duplicates: 0,
        created: 1,
        linked: 0,
        trashed: 0,
        halted: None,
    };
    store.record_managed_pass(DB, &delta).await.unwrap();
    let db = store.get_managed_database(DB).await.unwrap().unwrap();
    assert_eq!(db.last_pass, Some(delta));
    assert_eq!(db.last_full_pass, Some(full));
}

pub(crate) async fn elections_updated_since_a_cursor_come_oldest_first_with_their_links(
    fx: Fixture,
) {
    let store = &*fx.store;
    let a = store
        .create_election(new_election("A"), now())
        .await
        .unwrap();
    let b = store
        .create_election(new_election("B"), now() + secs(10))
        .await
        .unwrap();
    store
        .set_link(
            &a.election.id,
            &link(DB, "22222222-2222-4222-8222-222222222222"),
            now() + secs(20),
        )
        .await
        .unwrap();
    let all = store.elections_updated_since(None).await.unwrap();
    let ids: Vec<_> = all.iter().map(|r| r.election.id.clone()).collect();
    assert_eq!(ids, vec![b.election.id.clone(), a.election.id.clone()]);
    assert_eq!(all[1].links.len(), 1, "with its links");
    let since = store
        .elections_updated_since(Some(now() + secs(10)))
        .await
        .unwrap();
    assert_eq!(since.len(), 2, "at or after the cursor");
    assert!(
        store
            .elections_updated_since(Some(now() + secs(3600)))
            .await
            .unwrap()
            .is_empty()
    );
}
