//! OAuth connections end to end against the emulator: a link through a connection is synced with
//! that connection's token; an expiring token is refreshed once and stored before use; a refused
//! refresh marks the connection for re-authorization and the link's error says so.

use std::sync::Arc;

use notion_client::{NotionClient, OAuthCredentials};
use secrecy::SecretString;
use store::{ConnectionId, ConnectionState, NewOAuthConnection};
use sync_driver::{OAuthSettings, SyncDriver};
use token_seal::TokenKey;

use crate::common::*;
use notion_emulator::demo;

const CLIENT_ID: &str = "demo-oauth-client";
const CLIENT_SECRET: &str = "demo-oauth-secret";
const REDIRECT: &str = "http://127.0.0.1:8080/oauth/callback";
const OAUTH_APP: &str = "b0000000-0000-4000-8000-000000000004";

fn credentials() -> OAuthCredentials {
    OAuthCredentials {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
    }
}

/// An authorization code from the emulator's authorize endpoint (as the browser would follow).
async fn authorization_code(w: &World) -> String {
    // The admin's consent, given at once (the consent page itself has its own tests).
    w.emu
        .set_oauth_auto_consent(Some(notion_emulator::AutoConsent::default()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http
        .get(format!("{}/v1/oauth/authorize", w.emu.base_url()))
        .query(&[
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("owner", "user"),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let url = url::Url::parse(&location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

/// Connects the demo OAuth app (shared with the Elections database), allows that database on
/// the connection, and gives the world's driver OAuth settings.
async fn connect(w: &World, key: &Arc<TokenKey>) -> (SyncDriver, ConnectionId) {
    w.emu.share(OAUTH_APP, demo::ELECTIONS_DB).unwrap();
    let code = authorization_code(w).await;
    let token = client(&w.emu)
        .exchange_oauth_code(&credentials(), &code, Some(REDIRECT))
        .await
        .unwrap();
    let id = ConnectionId::mint(w.now());
    let new = NewOAuthConnection {
        id: id.clone(),
        workspace_id: token.workspace_id.clone().unwrap(),
        workspace_name: token.workspace_name.clone(),
        workspace_icon: None,
        bot_id: token.bot_id.clone().unwrap(),
        owner: token.owner.clone(),
        created_by: Some("admin".into()),
        access_token: key.seal(&token.access_token, &id.access_token_context()),
        refresh_token: token
            .refresh_token
            .as_ref()
            .map(|t| key.seal(t, &id.refresh_token_context())),
        access_expires_at: None,
    };
    w.store.save_oauth_connection(&new, w.now()).unwrap();
    w.store
        .allow_database(
            &id,
            &demo::ELECTIONS_DB.to_string(),
            Some("Elections"),
            Some("admin"),
            w.now(),
        )
        .unwrap();
    let template = NotionClient::builder()
        .base_url(w.emu.base_url())
        .max_requests_per_second(1000.0)
        .burst(50);
    let driver = w.driver.clone().with_oauth(OAuthSettings {
        credentials: credentials(),
        token_key: Arc::clone(key),
        client_template: template,
    });
    (driver, id)
}

#[tokio::test]
async fn a_link_through_an_oauth_connection_is_synced_with_that_connections_token() {
    let w = World::new().await;
    let key = Arc::new(TokenKey::generate());
    let (driver, connection) = connect(&w, &key).await;
    let election = w.create_election("Board", 60, 3600);
    let linked = driver
        .link(
            &election,
            World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT),
            w.now(),
        )
        .await
        .unwrap();
    assert_eq!(linked.record.links[0].connection_id, connection);

    w.advance(secs(60));
    let report = driver
        .run_cycle(w.now(), sync_driver::CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    assert!(report.counts.notion_requests >= 2, "{report:?}");
    // The write was made by the OAuth app's bot, not the internal integration.
    let page = w.emu.page(demo::BOARD_PRESIDENT).unwrap();
    assert_eq!(page["last_edited_by"]["id"], OAUTH_APP, "{page}");

    // A driver without OAuth settings cannot use the link, and says what to set.
    w.emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            serde_json::json!({"Voting Status": {"status": {"name": "Not started"}}}),
        )
        .unwrap();
    w.advance(secs(120));
    let report = w
        .driver
        .run_cycle(w.now(), sync_driver::CycleOptions::reconcile())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 1, "{report:?}");
    let error = w
        .election(&election)
        .state()
        .notion_last_sync_error
        .unwrap();
    assert!(error.contains("NOTION_OAUTH_CLIENT_ID"), "{error}");
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_once_and_a_refused_refresh_asks_for_reauthorization() {
    let w = World::new().await;
    let key = Arc::new(TokenKey::generate());
    let (driver, connection) = connect(&w, &key).await;
    let election = w.create_election("Board", 60, 3600);
    driver
        .link(
            &election,
            World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT),
            w.now(),
        )
        .await
        .unwrap();
    let before = w.store.get_connection(&connection).unwrap();

    // The token is about to expire: the cycle refreshes it first, stores the rotated pair, and
    // syncs with the new token.
    w.store
        .store_tokens(
            &connection,
            before.access_token.as_ref().unwrap(),
            None,
            Some(w.now() + secs(30)),
            w.now(),
        )
        .unwrap();
    let stale = w.store.get_connection(&connection).unwrap();
    let old_refresh = key
        .open(
            stale.refresh_token.as_ref().unwrap(),
            &connection.refresh_token_context(),
        )
        .unwrap();
    w.advance(secs(60));
    let report = driver
        .run_cycle(w.now(), sync_driver::CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 0, "{report:?}");
    let after = w.store.get_connection(&connection).unwrap();
    assert_ne!(
        after.refresh_token, stale.refresh_token,
        "rotated and stored"
    );
    assert_eq!(after.state, ConnectionState::Active);
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );

    // The old refresh token is dead: a refresh with it (another process that lost the race)
    // is refused, and the connection is marked once for re-authorization.
    let refused = client(&w.emu)
        .refresh_oauth_token(&credentials(), &old_refresh)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("invalid_grant"));
    w.store
        .store_tokens(
            &connection,
            after.access_token.as_ref().unwrap(),
            Some(&key.seal(&old_refresh, &connection.refresh_token_context())),
            Some(w.now()),
            w.now(),
        )
        .unwrap();
    w.advance(secs(3600));
    let report = driver
        .run_cycle(w.now(), sync_driver::CycleOptions::reconcile())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 1, "{report:?}");
    let marked = w.store.get_connection(&connection).unwrap();
    assert_eq!(marked.state, ConnectionState::NeedsReauthorization);
    let error = w
        .election(&election)
        .state()
        .notion_last_sync_error
        .unwrap();
    assert!(error.contains("re-authorization"), "{error}");
    assert!(error.contains("Connections page"), "{error}");
}

#[tokio::test]
async fn a_blocked_oauth_connection_is_not_retried_and_never_holds_up_the_internal_one() {
    let w = World::new().await;
    complete_legacy_options(&w);
    let key = Arc::new(TokenKey::generate());
    let (driver, connection) = connect(&w, &key).await;
    let through_oauth = w.create_election("Board", 60, 3600);
    driver
        .link(
            &through_oauth,
            World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT),
            w.now(),
        )
        .await
        .unwrap();
    let internal = w.create_election("Treasurer", 60, 3600);
    driver
        .link(
            &internal,
            World::request(demo::LEGACY_DB, demo::LEGACY_PAGE),
            w.now(),
        )
        .await
        .unwrap();
    let record = w.store.get_connection(&connection).unwrap();
    let token = key
        .open(
            record.access_token.as_ref().unwrap(),
            &connection.access_token_context(),
        )
        .unwrap();
    w.emu.set_blocked(notion_emulator::Blocked {
        tokens: vec![secrecy::ExposeSecret::expose_secret(&token).to_owned()],
        workspace_ids: Vec::new(),
    });

    w.advance(secs(60));
    w.emu.reset_counts();
    let report = driver
        .run_cycle(w.now(), sync_driver::CycleOptions::scheduled())
        .await
        .unwrap();
    // The internal connection's page moved on; the blocked one failed once, without retries.
    assert_eq!(w.status(demo::LEGACY_PAGE).as_deref(), Some("In Voting"));
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("Not started")
    );
    assert_eq!(report.counts.failed, 1, "{report:?}");
    let counts = w.emu.request_counts();
    assert_eq!(
        counts.with_status(429),
        1,
        "the blocked connection's first request, not repeated: {counts:?}"
    );
    assert_eq!(
        counts.get(QUERY, 200),
        1,
        "the internal database's query: {counts:?}"
    );
    let error = w
        .election(&through_oauth)
        .state()
        .notion_last_sync_error
        .unwrap();
    assert!(error.to_lowercase().contains("block"), "{error}");
}

#[tokio::test]
async fn a_token_notion_refuses_is_refreshed_and_the_database_synced_again_in_the_same_cycle() {
    let w = World::new().await;
    // Tokens live 5 min at this Notion, but the connection was stored without an expiry (as when
    // Notion announces none): the first the sync hears of it is a 401.
    w.emu
        .set_oauth_token_lifetime(Some(std::time::Duration::from_secs(300)));
    let key = Arc::new(TokenKey::generate());
    let (driver, connection) = connect(&w, &key).await;
    let election = w.create_election("Board", 60, 3600);
    driver
        .link(
            &election,
            World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT),
            w.now(),
        )
        .await
        .unwrap();
    let record = w.store.get_connection(&connection).unwrap();

    w.advance(secs(400));
    w.emu.reset_counts();
    let report = driver
        .run_cycle(w.now(), sync_driver::CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    let counts = w.emu.request_counts();
    assert_eq!(
        counts.with_status(401),
        1,
        "one refusal, then the new token: {counts:?}"
    );
    assert_eq!(
        counts.route("POST /v1/oauth/token"),
        1,
        "one refresh: {counts:?}"
    );
    let after = w.store.get_connection(&connection).unwrap();
    assert_ne!(
        after.access_token, record.access_token,
        "the new token is stored"
    );
    assert_eq!(after.state, ConnectionState::Active);
}

/// An election linked through the OAuth connection (the Elections database) and one through the
/// internal connection (the Legacy database), both open.
async fn one_election_per_connection(w: &World, driver: &SyncDriver) {
    complete_legacy_options(w);
    for (title, database, page) in [
        ("Board", demo::ELECTIONS_DB, demo::BOARD_PRESIDENT),
        ("Treasurer", demo::LEGACY_DB, demo::LEGACY_PAGE),
    ] {
        let election = w.create_election(title, 60, 3600);
        driver
            .link(&election, World::request(database, page), w.now())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_rate_limit_on_the_internal_connection_stops_only_its_databases() {
    let w = World::new().await;
    let key = Arc::new(TokenKey::generate());
    let (driver, _) = connect(&w, &key).await;
    one_election_per_connection(&w, &driver).await;
    // Notion asks the internal connection to wait 120 s (longer than the client waits out).
    w.emu.set_fault(notion_emulator::FaultRule {
        path_contains: Some(demo::LEGACY_DS.to_string()),
        retry_after_secs: Some(120),
        ..notion_emulator::FaultRule::next(QUERY, notion_emulator::Fault::Status(429), 1)
    });

    w.advance(secs(60));
    let report = driver
        .run_cycle(w.now(), sync_driver::CycleOptions::scheduled())
        .await
        .unwrap();
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting"),
        "the OAuth connection's page moved on"
    );
    assert_eq!(w.status(demo::LEGACY_PAGE).as_deref(), Some("Not started"));
    assert_eq!(
        report.rate_limited_until, None,
        "the cycle did not stop: another connection had budget"
    );
    let error = report.error.unwrap();
    assert!(
        error.starts_with("connection 'internal': rate limited by Notion until"),
        "{error}"
    );

    // The next cycle, inside the penalty: the internal connection makes no request at all, the
    // OAuth one goes on.
    w.advance(secs(60));
    w.emu.reset_counts();
    w.emu
        .update_page_as_user(
            demo::BOARD_PRESIDENT,
            serde_json::json!({"Voting Status": {"status": {"name": "Done"}}}),
        )
        .unwrap();
    let report = driver
        .run_cycle(w.now(), sync_driver::CycleOptions::scheduled())
        .await
        .unwrap();
    let counts = w.emu.request_counts();
    assert_eq!(
        counts.get(QUERY, 200),
        1,
        "the OAuth database only: {counts:?}"
    );
    assert_eq!(counts.with_status(429), 0, "{counts:?}");
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting"),
        "the OAuth connection corrected the edit"
    );
    assert!(report.error.unwrap().contains("connection 'internal'"));
}

#[tokio::test]
async fn connections_are_synced_side_by_side_not_one_after_another() {
    let w = World::new().await;
    let key = Arc::new(TokenKey::generate());
    let (driver, _) = connect(&w, &key).await;
    one_election_per_connection(&w, &driver).await;
    // The OAuth connection's workspace answers its query after a minute (a slow Notion). Its
    // connection comes first in the cycle's order, so a cycle that walked connections one after
    // another would not reach the internal one before that answer.
    w.emu.set_fault(notion_emulator::FaultRule {
        path_contains: Some(demo::ELECTIONS_DS.to_string()),
        ..notion_emulator::FaultRule::next(QUERY, notion_emulator::Fault::LatencyMs(60_000), 1)
    });

    w.advance(secs(60));
    let now = w.now();
    let cycle = tokio::spawn({
        let driver = driver.clone();
        async move {
            driver
                .run_cycle(now, sync_driver::CycleOptions::scheduled())
                .await
        }
    });
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while w.status(demo::LEGACY_PAGE).as_deref() != Some("In Voting") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the internal connection waited for the slow one"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        !cycle.is_finished(),
        "the slow connection's query is still out"
    );
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("Not started")
    );
    cycle.abort();
}

#[tokio::test]
async fn a_manual_sync_refreshes_a_token_notion_refuses_and_goes_through() {
    let w = World::new().await;
    // As above: Notion's tokens live 5 min, the stored connection says nothing of an expiry.
    w.emu
        .set_oauth_token_lifetime(Some(std::time::Duration::from_secs(300)));
    let key = Arc::new(TokenKey::generate());
    let (driver, _) = connect(&w, &key).await;
    let election = w.create_election("Board", 60, 3600);
    driver
        .link(
            &election,
            World::request(demo::ELECTIONS_DB, demo::BOARD_PRESIDENT),
            w.now(),
        )
        .await
        .unwrap();

    w.advance(secs(400));
    w.emu.reset_counts();
    let synced = driver.sync_now(&election, w.now()).await.unwrap();
    assert_eq!(synced.written.status.as_deref(), Some("In Voting"));
    assert_eq!(
        w.status(demo::BOARD_PRESIDENT).as_deref(),
        Some("In Voting")
    );
    let counts = w.emu.request_counts();
    assert_eq!(counts.with_status(401), 1, "{counts:?}");
    assert_eq!(counts.route("POST /v1/oauth/token"), 1, "{counts:?}");
}

#[tokio::test]
async fn a_search_refreshes_a_token_notion_refuses_and_answers() {
    let w = World::new().await;
    w.emu
        .set_oauth_token_lifetime(Some(std::time::Duration::from_secs(300)));
    let key = Arc::new(TokenKey::generate());
    let (driver, _) = connect(&w, &key).await;

    w.advance(secs(400));
    w.emu.reset_counts();
    let found = driver
        .search_pages(&demo::ELECTIONS_DB.into(), "", None)
        .await
        .unwrap();
    assert!(!found.pages.is_empty());
    let counts = w.emu.request_counts();
    assert_eq!(counts.with_status(401), 1, "{counts:?}");
    assert_eq!(counts.route("POST /v1/oauth/token"), 1, "{counts:?}");
}

#[tokio::test]
async fn a_new_budget_reaches_the_connections_pacer_at_its_next_use() {
    let w = World::new().await;
    let key = Arc::new(TokenKey::generate());
    let (driver, connection) = connect(&w, &key).await;
    let before = driver.open_connection(&connection, w.now()).await.unwrap();
    assert_eq!(before.client.pacer().rate(), 1000.0, "the template's rate");

    // Another process (here: another handle on the same store) changes the budget.
    driver
        .set_connection_budget(&connection, Some(2.5), w.now())
        .await
        .unwrap();
    let after = driver.open_connection(&connection, w.now()).await.unwrap();
    assert_eq!(after.client.pacer().rate(), 2.5);
    assert!(!after.client.pacer().same_as(before.client.pacer()));
    let again = driver.open_connection(&connection, w.now()).await.unwrap();
    assert!(
        again.client.pacer().same_as(after.client.pacer()),
        "the pacer is kept while the budget stays"
    );

    let refused = driver
        .set_connection_budget(&ConnectionId::internal(), Some(2.5), w.now())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("NOTION_MAX_RPM"), "{refused}");
}
