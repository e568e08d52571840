//! The demo's claim on a store, and the store's own health.

use store::*;

use crate::backend::Fixture;
use crate::support::*;

async fn add_election(store: &dyn Store) {
    store
        .create_election(new_election("Board election"), now())
        .await
        .unwrap();
}

pub(crate) async fn an_empty_store_is_marked_then_reset_at_each_claim(fx: Fixture) {
    let store = &*fx.store;
    assert!(!store.is_demo_store().await.unwrap());
    assert_eq!(
        store.claim_for_demo(now()).await.unwrap(),
        DemoClaim::Marked
    );
    assert!(store.is_demo_store().await.unwrap());
    add_election(store).await;
    add_election(store).await;
    assert_eq!(
        store.claim_for_demo(now()).await.unwrap(),
        DemoClaim::Reset { elections: 2 }
    );
    assert_eq!(
        store.claim_for_demo(now()).await.unwrap(),
        DemoClaim::Reset { elections: 0 }
    );
    assert!(store.is_demo_store().await.unwrap());
}

pub(crate) async fn a_store_holding_other_data_is_refused_and_left_as_it_was(fx: Fixture) {
    let store = &*fx.store;
    add_election(store).await;
    assert_eq!(
        store.claim_for_demo(now()).await.unwrap(),
        DemoClaim::Refused {
            elections: 1,
            runs: 0
        }
    );
    // As another process sees it.
    let store = fx.another().await;
    assert!(!store.is_demo_store().await.unwrap());
    assert_eq!(
        store
            .list_elections(&ListRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

pub(crate) async fn a_fresh_store_is_healthy_at_the_latest_schema(fx: Fixture) {
    let health = fx.store.health().await.unwrap();
    assert!(health.is_current(), "{health:?}");
    assert!(health.schema_version > 0);
    // Writes do not change it.
    add_election(&*fx.store).await;
    assert_eq!(fx.store.health().await.unwrap(), health);
}
