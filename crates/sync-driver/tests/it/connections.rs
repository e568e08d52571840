//! The driver reaches Notion through its connections: each connection's client (and pacer) and
//! allowlist, found by id.

use notion_emulator::demo;
use sync_driver::{
    Allowlist, Connection, ConnectionId, Connections, DriverConfig, DriverError, SyncDriver,
};

use crate::common::{BASE_URL, World, allowlist, client, id};

#[tokio::test]
async fn a_driver_built_with_one_client_uses_it_as_the_default_connection() {
    let w = World::new().await;
    let notion = client(&w.emu);
    let driver = SyncDriver::new(
        w.store.clone(),
        notion.clone(),
        DriverConfig::new(BASE_URL, allowlist()),
    );
    let default = driver.connection(&ConnectionId::internal()).unwrap();
    assert!(default.client.pacer().same_as(notion.pacer()), "one pacer");
    assert_eq!(default.allowlist, allowlist());
    assert!(
        driver
            .connection(&ConnectionId::parse("conn_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e").unwrap())
            .is_none()
    );

    // The caller's requests and the driver's go through the same connection: one counter.
    driver
        .search_pages(&id(demo::ELECTIONS_DB), "", None)
        .await
        .unwrap();
    assert!(notion.stats().requests > 0);
    assert_eq!(notion.stats().requests, w.emu.request_counts().total());
}

#[tokio::test]
async fn the_allowlist_comes_from_the_connection() {
    let w = World::new().await;
    let only_legacy = Allowlist::parse(&format!("{}:Legacy Elections", demo::LEGACY_DB)).unwrap();
    let connections = Connections::new(Connection::new(client(&w.emu), only_legacy.clone()));
    // The configuration's allowlist names the Elections database too; the connection's does not.
    let driver = SyncDriver::with_connections(
        w.store.clone(),
        connections,
        DriverConfig::new(BASE_URL, allowlist()),
    );
    assert_eq!(driver.allowlist(), &only_legacy);
    let refused = driver
        .search_pages(&id(demo::ELECTIONS_DB), "", None)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, DriverError::NotAllowlisted { .. }),
        "{refused:?}"
    );
    assert_eq!(w.emu.request_counts().total(), 0, "refused before Notion");
    driver
        .search_pages(&id(demo::LEGACY_DB), "", None)
        .await
        .unwrap();
}
