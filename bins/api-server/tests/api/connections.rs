//! Notion connections over real HTTP against the emulator: the OAuth flow (state minted by the
//! admin API, consent at the emulator, the callback), forged, replayed and expired states, denied
//! consent, reconnecting a workspace, allowing a database of the second workspace, linking and
//! syncing through the connection, and disconnecting (revoked at Notion, the link says so).

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use notion_client::{NotionClient, OAuthCredentials, SecretString};
use notion_emulator::{AutoConsent, EmulatorConfig, demo};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store::{ConnectionId, SqliteStore};
use token_seal::TokenKey;

use crate::support::{TestServer, assert_error};

/// The key the test servers seal tokens with (the test reads the store with it).
fn key() -> TokenKey {
    TokenKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").expect("a valid key")
}

/// A server with OAuth on: the emulator's demo OAuth app, redirected to its registered URI (the
/// test follows the redirect itself and calls the server's callback with what it carries).
async fn oauth_server() -> TestServer {
    let key = key();
    let key = secrecy::ExposeSecret::expose_secret(&key.to_base64()).to_owned();
    TestServer::start_with(
        EmulatorConfig::default().without_rate_limit(),
        &[
            "--notion-oauth-client-id",
            demo::OAUTH_CLIENT_ID,
            "--notion-oauth-client-secret",
            demo::OAUTH_CLIENT_SECRET,
            "--notion-oauth-redirect-uri",
            demo::OAUTH_REDIRECT_URI,
            "--token-encryption-key",
            &key,
        ],
    )
    .await
}

/// Consent to the second demo workspace, sharing its "Board Elections" database.
fn consent_to_second_workspace(t: &TestServer) {
    t.emulator.set_oauth_auto_consent(Some(AutoConsent {
        workspace_id: Some(demo::SECOND_WORKSPACE_ID),
        share: vec![demo::BOARD_ELECTIONS_DB],
    }));
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Starts connecting through the admin API; returns the authorize URL.
async fn start_connecting(t: &TestServer) -> String {
    let (status, body) = t
        .call(Method::POST, "/admin/notion/connections", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true, "{body}");
    body["authorize_url"]
        .as_str()
        .expect("authorize_url")
        .to_owned()
}

/// Follows the authorize URL (auto-consent on) to the redirect; returns its URL.
async fn consent(authorize_url: &str) -> String {
    let response = no_redirects()
        .get(authorize_url)
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(response.status(), StatusCode::FOUND);
    response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

/// Calls the server's callback with `query` (no bearer token); returns the status and the page.
async fn callback(t: &TestServer, query: &[(&str, &str)]) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .get(t.url("/oauth/notion/callback"))
        .query(query)
        .send()
        .await
        .expect("callback answers");
    let status = response.status();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "an HTML page"
    );
    (status, response.text().await.expect("page"))
}

/// The whole flow: mint, consent, callback. Returns the callback's status and page.
async fn connect(t: &TestServer) -> (StatusCode, String) {
    let authorize = start_connecting(t).await;
    let back = consent(&authorize).await;
    let code = query_param(&back, "code").expect("a code");
    let state = query_param(&back, "state").expect("the state back");
    callback(t, &[("code", &code), ("state", &state)]).await
}

async fn connections(t: &TestServer) -> Vec<Value> {
    let (status, body) = t.get("/admin/notion/connections").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["connections"].as_array().expect("connections").clone()
}

async fn oauth_connection(t: &TestServer) -> Value {
    let all = connections(t).await;
    let oauth: Vec<&Value> = all.iter().filter(|c| c["kind"] == "oauth").collect();
    assert_eq!(oauth.len(), 1, "{all:?}");
    oauth[0].clone()
}

/// The connection's access token, read from the store and opened with the key (as the driver
/// does), so the test can ask the emulator about it.
fn access_token(t: &TestServer, id: &str) -> SecretString {
    let store = SqliteStore::open(t.db_path()).expect("store opens");
    let id = ConnectionId::parse(id).expect("an id");
    let record = store.get_connection(&id).expect("stored");
    key()
        .open(
            record.access_token.as_ref().expect("a token"),
            &id.access_token_context(),
        )
        .expect("opens")
}

fn credentials() -> OAuthCredentials {
    OAuthCredentials {
        client_id: demo::OAUTH_CLIENT_ID.into(),
        client_secret: SecretString::from(demo::OAUTH_CLIENT_SECRET),
    }
}

async fn token_is_active(t: &TestServer, token: &SecretString) -> bool {
    NotionClient::builder()
        .base_url(t.emulator.base_url())
        .build()
        .expect("client")
        .introspect_oauth_token(&credentials(), token)
        .await
        .expect("introspect")
        .active
}

#[tokio::test]
async fn a_workspace_is_connected_through_oauth_and_listed_without_its_token() {
    let t = oauth_server().await;
    let before = connections(&t).await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["id"], "internal");
    assert_eq!(before[0]["kind"], "internal");
    assert_eq!(
        before[0]["databases_allowed"].as_array().unwrap().len(),
        2,
        "NOTION_DATABASE_ALLOWLIST"
    );

    consent_to_second_workspace(&t);
    let authorize = start_connecting(&t).await;
    assert!(
        authorize.starts_with(&format!("{}/v1/oauth/authorize?", t.emulator.base_url())),
        "{authorize}"
    );
    assert_eq!(
        query_param(&authorize, "client_id").as_deref(),
        Some(demo::OAUTH_CLIENT_ID)
    );
    assert_eq!(
        query_param(&authorize, "response_type").as_deref(),
        Some("code")
    );
    assert_eq!(query_param(&authorize, "owner").as_deref(), Some("user"));
    assert_eq!(
        query_param(&authorize, "redirect_uri").as_deref(),
        Some(demo::OAUTH_REDIRECT_URI)
    );
    let state = query_param(&authorize, "state").expect("a state");
    assert_eq!(state.len(), 64, "{state}");
    // Two starts mint two states.
    let again = start_connecting(&t).await;
    assert_ne!(query_param(&again, "state"), Some(state.clone()));

    let back = consent(&authorize).await;
    let code = query_param(&back, "code").expect("a code");
    let (status, page) = callback(&t, &[("code", &code), ("state", &state)]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(demo::SECOND_WORKSPACE_NAME), "{page}");
    assert!(page.contains("href=\"/ui/connections\""), "{page}");

    let (status, body) = t.get("/admin/notion/connections").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["oauth_enabled"], true, "{body}");
    let connection = oauth_connection(&t).await;
    let id = connection["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("conn_"), "{connection}");
    assert_eq!(connection["workspace_name"], demo::SECOND_WORKSPACE_NAME);
    assert_eq!(
        connection["workspace_id"],
        demo::SECOND_WORKSPACE_ID.to_string()
    );
    assert_eq!(connection["bot_id"], demo::SECOND_OAUTH_BOT_ID.to_string());
    assert_eq!(connection["state"], "active");
    assert_eq!(connection["created_by"], "admin");
    assert_eq!(connection["links"], 0);
    assert_eq!(connection["databases_allowed"], json!([]));
    assert!(page.contains(&id), "{page}");

    // No token anywhere: not in the JSON, not in plain text in the store file.
    let token = access_token(&t, &id);
    let text = body.to_string();
    for field in ["access_token", "refresh_token", "token\""] {
        assert!(!text.contains(field), "{field} in {text}");
    }
    assert!(!text.contains(secrecy::ExposeSecret::expose_secret(&token)));
    let mut file = std::fs::read(t.db_path()).unwrap();
    // With the write-ahead log, which may hold pages not yet in the file.
    let mut wal = t.db_path().into_os_string();
    wal.push("-wal");
    file.extend(std::fs::read(wal).unwrap_or_default());
    let needle = secrecy::ExposeSecret::expose_secret(&token).as_bytes();
    assert!(
        !file.windows(needle.len()).any(|w| w == needle),
        "the store holds the token in plain text"
    );
    assert!(token_is_active(&t, &token).await);
}

#[tokio::test]
async fn forged_replayed_and_expired_states_are_refused_and_store_nothing() {
    let t = oauth_server().await;
    consent_to_second_workspace(&t);

    // Forged: a code from a real consent, with a state this server never minted.
    let back = consent(&start_connecting(&t).await).await;
    let code = query_param(&back, "code").unwrap();
    let (status, page) = callback(&t, &[("code", &code), ("state", "forged")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("not valid"), "{page}");
    let (status, page) = callback(&t, &[("code", &code)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert_eq!(connections(&t).await.len(), 1, "nothing stored");

    // Replayed: the first use connects, the second is refused.
    let back = consent(&start_connecting(&t).await).await;
    let query = [
        ("code", query_param(&back, "code").unwrap()),
        ("state", query_param(&back, "state").unwrap()),
    ];
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = callback(&t, &query).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let connected = oauth_connection(&t).await;
    let (status, page) = callback(&t, &query).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("used already"), "{page}");
    assert_eq!(
        oauth_connection(&t).await["updated_at"],
        connected["updated_at"]
    );

    // Expired: minted, then past its 10 minutes (the store's clock is the request's).
    let back = consent(&start_connecting(&t).await).await;
    let state = query_param(&back, "state").unwrap();
    let db = rusqlite::Connection::open(t.db_path()).unwrap();
    let changed = db
        .execute(
            "UPDATE oauth_states SET expires_at = ?1",
            [(Timestamp::now() - SignedDuration::from_secs(1)).as_millisecond()],
        )
        .unwrap();
    assert!(changed >= 1);
    let code = query_param(&back, "code").unwrap();
    let (status, page) = callback(&t, &[("code", &code), ("state", &state)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("expired"), "{page}");
    assert_eq!(
        oauth_connection(&t).await["updated_at"],
        connected["updated_at"]
    );
}

#[tokio::test]
async fn a_denied_consent_or_a_refused_code_stores_nothing() {
    let t = oauth_server().await;
    // The consent page's Cancel, as the browser would post it.
    let authorize = start_connecting(&t).await;
    let state = query_param(&authorize, "state").unwrap();
    let response = no_redirects()
        .post(format!("{}/v1/oauth/authorize", t.emulator.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("client_id", demo::OAUTH_CLIENT_ID),
                    ("redirect_uri", demo::OAUTH_REDIRECT_URI),
                    ("state", &state),
                    ("workspace_id", &demo::SECOND_WORKSPACE_ID.to_string()),
                    ("action", "cancel"),
                ])
                .finish(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    let (status, page) = callback(
        &t,
        &[
            ("error", "access_denied"),
            ("state", &query_param(&back, "state").unwrap()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("access was denied"), "{page}");
    assert!(page.contains("href=\"/ui/connections\""), "{page}");

    // A code Notion refuses (made up), with a good state.
    let state = query_param(&start_connecting(&t).await, "state").unwrap();
    let (status, page) = callback(&t, &[("code", "not-a-code"), ("state", &state)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("could not be exchanged"), "{page}");
    assert_eq!(connections(&t).await.len(), 1, "nothing stored");
}

#[tokio::test]
async fn without_oauth_settings_connecting_says_what_to_set() {
    let t = TestServer::start().await;
    let (status, body) = t
        .call(Method::POST, "/admin/notion/connections", None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let error = assert_error(&body, "oauth_not_configured");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("NOTION_OAUTH_CLIENT_ID")
            && message.contains("NOTION_OAUTH_CLIENT_SECRET"),
        "{message}"
    );
    let (status, body) = t.get("/admin/notion/connections").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["oauth_enabled"], false);
    let (status, page) = callback(&t, &[("code", "c"), ("state", "s")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    // The connection routes need the admin token; the callback does not.
    let (status, _) =
        crate::support::send(reqwest::Client::new().get(t.url("/admin/notion/connections"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn connecting_the_same_workspace_twice_keeps_one_connection() {
    let t = oauth_server().await;
    consent_to_second_workspace(&t);
    let (status, page) = connect(&t).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let first = oauth_connection(&t).await;
    let old_token = access_token(&t, first["id"].as_str().unwrap());

    let (status, page) = connect(&t).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("connected again"), "{page}");
    let second = oauth_connection(&t).await;
    assert_eq!(second["id"], first["id"], "one connection");
    // The new tokens were sealed for the kept id: the connection works with them.
    let new_token = access_token(&t, second["id"].as_str().unwrap());
    assert_ne!(
        secrecy::ExposeSecret::expose_secret(&new_token),
        secrecy::ExposeSecret::expose_secret(&old_token)
    );
    let (status, body) = t
        .get(&format!(
            "/admin/notion/connections/{}/databases",
            second["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_database_of_the_second_workspace_is_allowed_linked_synced_and_disconnected() {
    let t = oauth_server().await;
    consent_to_second_workspace(&t);
    let (status, page) = connect(&t).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let id = oauth_connection(&t).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let board = demo::BOARD_ELECTIONS_DB.to_string();

    // What it sees: the database shared at consent, not yet allowed.
    let (status, body) = t
        .get(&format!("/admin/notion/connections/{id}/databases"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let databases = body["databases"].as_array().unwrap();
    let entry = databases
        .iter()
        .find(|d| d["id"] == board)
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(entry["name"], "Board Elections");
    assert_eq!(entry["allowed"], false);
    assert_eq!(entry["visible"], true);
    assert!(
        !databases
            .iter()
            .any(|d| d["id"] == demo::ELECTIONS_DB.to_string()),
        "another workspace's database: {body}"
    );

    // Searching it is refused until it is allowed.
    let (status, body) = t
        .get(&format!("/admin/notion/databases/{board}/pages"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Allowing: the internal connection's and invisible databases are refused.
    let (status, body) = t
        .call(
            Method::PUT,
            &format!(
                "/admin/notion/connections/{id}/databases/{}",
                demo::ELECTIONS_DB
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = t
        .call(
            Method::PUT,
            &format!(
                "/admin/notion/connections/{id}/databases/{}",
                demo::PRIVATE_DB
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = t
        .call(
            Method::PUT,
            &format!("/admin/notion/connections/internal/databases/{board}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = t
        .call(
            Method::PUT,
            &format!("/admin/notion/connections/{id}/databases/{board}"),
            Some(json!({"nope": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "nope", "{body}");
    let (status, body) = t
        .call(
            Method::PUT,
            &format!("/admin/notion/connections/{id}/databases/{board}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"]["allowed"], true, "{body}");
    assert_eq!(body["database"]["name"], "Board Elections");
    assert_eq!(body["database"]["allowed_by"], "admin");

    // The dropdown lists it after the allowlist, with its workspace.
    let (_, body) = t.get("/admin/notion/databases").await;
    let listed = body["databases"].as_array().unwrap();
    assert_eq!(listed.len(), 3, "{body}");
    assert_eq!(listed[2]["id"], board);
    assert_eq!(listed[2]["connection_id"], id.as_str());
    assert_eq!(listed[2]["workspace_name"], demo::SECOND_WORKSPACE_NAME);
    assert!(listed[0].get("connection_id").is_none(), "{body}");

    // Link an election to a page there and sync it: written through the connection.
    let (status, body) = t
        .get(&format!(
            "/admin/notion/databases/{board}/pages?query=chair"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["pages"][0]["id"],
        demo::BOARD_CHAIR.to_string(),
        "{body}"
    );
    let election = t
        .create_election(
            "Board chair",
            "2020-01-01T00:00:00Z",
            "2099-01-01T00:00:00Z",
        )
        .await;
    let election = election["id"].as_str().unwrap().to_owned();
    let (status, body) = t
        .post(
            &format!("/admin/elections/{election}/notion/link"),
            json!({"database_id": board, "page_id": demo::BOARD_CHAIR.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .post(
            &format!("/admin/elections/{election}/notion/sync"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        t.emulator
            .page_property(demo::BOARD_CHAIR, "Voting Status")
            .unwrap()["status"]["name"],
        "In Voting"
    );
    let page = t.emulator.page(demo::BOARD_CHAIR).unwrap();
    assert_eq!(
        page["last_edited_by"]["id"],
        demo::SECOND_OAUTH_BOT_ID.to_string(),
        "written by the connection's bot: {page}"
    );
    assert_eq!(oauth_connection(&t).await["links"], 1);

    // The internal connection keeps working beside it.
    let other = t
        .create_election("Budget", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
        .await;
    let other = other["id"].as_str().unwrap().to_owned();
    let (status, body) = t
        .post(
            &format!("/admin/elections/{other}/notion/link"),
            json!({"database_id": demo::ELECTIONS_DB.to_string(), "page_id": demo::BUDGET_REFERENDUM.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .post(&format!("/admin/elections/{other}/notion/sync"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Disallow, and again: 404.
    let path = format!("/admin/notion/connections/{id}/databases/{board}");
    let (status, body) = t.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"]["allowed"], false);
    let (status, body) = t.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = t.call(Method::PUT, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Disconnect: revoked at Notion, forgotten here; the internal connection cannot go.
    let token = access_token(&t, &id);
    assert!(token_is_active(&t, &token).await);
    let (status, body) = t
        .call(Method::DELETE, "/admin/notion/connections/internal", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = t
        .call(
            Method::DELETE,
            &format!("/admin/notion/connections/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], true, "{body}");
    assert_eq!(body["links"], 1, "{body}");
    assert!(!token_is_active(&t, &token).await, "revoked at Notion");
    assert_eq!(connections(&t).await.len(), 1);
    let (status, body) = t
        .call(
            Method::DELETE,
            &format!("/admin/notion/connections/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // The link keeps its fields; a manual sync says the connection was removed, and so does
    // the link's sync error after the runner's cycle.
    let (status, body) = t
        .post(
            &format!("/admin/elections/{election}/notion/sync"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "connection_unavailable");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("removed"),
        "{body}"
    );
    let report = runner(&t)
        .run_cycle(
            Timestamp::now() + SignedDuration::from_mins(5),
            sync_driver::CycleOptions::reconcile(),
        )
        .await
        .expect("cycle");
    assert_eq!(report.counts.failed, 1, "{report:?}");
    let (status, body) = t.get(&format!("/admin/elections/{election}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["election"]["notion_page_id"],
        demo::BOARD_CHAIR.to_string(),
        "{body}"
    );
    let error = body["election"]["notion_last_sync_error"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(error.contains("removed"), "{error}");
}

/// A sync-runner on the server's store, with the server's OAuth settings.
fn runner(t: &TestServer) -> sync_driver::SyncDriver {
    let store = Arc::new(SqliteStore::open(t.db_path()).expect("store opens"));
    let notion = NotionClient::builder()
        .token(SecretString::from(demo::TOKEN))
        .base_url(t.emulator.base_url())
        .max_requests_per_second(500.0)
        .build()
        .expect("client");
    let allowlist = sync_driver::Allowlist::parse(&crate::support::allowlist()).expect("allowlist");
    sync_driver::SyncDriver::new(
        store,
        notion,
        sync_driver::DriverConfig::new("http://localhost:8080", allowlist),
    )
    .with_oauth(sync_driver::OAuthSettings {
        credentials: credentials(),
        token_key: Arc::new(key()),
        client_template: NotionClient::builder().base_url(t.emulator.base_url()),
    })
}

#[tokio::test]
async fn the_demo_connects_the_second_workspace_through_its_own_callback() {
    use secrecy::ExposeSecret;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let cli = <api_server::Cli as clap::Parser>::try_parse_from([
        "api-server",
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db.to_str().unwrap(),
        "--workers",
        "1",
    ])
    .unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = api_server::start(cli.settings().unwrap(), shutdown.clone())
        .await
        .unwrap();
    // The key file beside the demo store, readable by its owner only.
    let key_file = dir.path().join("token.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let token = server.admin_token().expose_secret().to_owned();
    let http = reqwest::Client::new();
    let body: Value = http
        .post(format!("{}/admin/notion/connections", server.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let authorize = body["authorize_url"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    let callback = format!("{}/oauth/notion/callback", server.base_url());
    assert_eq!(
        query_param(authorize, "redirect_uri").as_deref(),
        Some(callback.as_str())
    );
    let emulator = server.emulator().expect("the built-in emulator");
    emulator.set_oauth_auto_consent(Some(AutoConsent {
        workspace_id: Some(demo::SECOND_WORKSPACE_ID),
        share: vec![],
    }));
    // The emulator accepts the demo's own callback and sends the browser there.
    let back = consent(authorize).await;
    assert!(back.starts_with(&callback), "{back}");
    let page = reqwest::get(&back).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(demo::SECOND_WORKSPACE_NAME)
    );
    shutdown.cancel();
    server.wait().await.unwrap();
}

#[tokio::test]
async fn a_connections_budget_is_set_shown_and_reset_and_bad_budgets_are_refused() {
    let t = oauth_server().await;
    consent_to_second_workspace(&t);
    let (status, page) = connect(&t).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let id = oauth_connection(&t).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/admin/notion/connections/{id}");

    let (status, body) = t
        .call(
            Method::PATCH,
            &path,
            Some(json!({"max_requests_per_second": 2.5})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["connection"]["max_requests_per_second"], 2.5, "{body}");
    assert_eq!(oauth_connection(&t).await["max_requests_per_second"], 2.5);
    let store = SqliteStore::open(t.db_path()).expect("store opens");
    let record = store
        .get_connection(&ConnectionId::parse(&id).unwrap())
        .unwrap();
    assert_eq!(record.max_requests_per_second, Some(2.5));

    for (body, field) in [
        (
            json!({"max_requests_per_second": 0}),
            "max_requests_per_second",
        ),
        (
            json!({"max_requests_per_second": -1}),
            "max_requests_per_second",
        ),
        (
            json!({"max_requests_per_second": 1000}),
            "max_requests_per_second",
        ),
        (
            json!({"max_requests_per_second": "fast"}),
            "max_requests_per_second",
        ),
    ] {
        let (status, answer) = t.call(Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        let error = assert_error(&answer, "invalid_input");
        assert_eq!(error["field"], field, "{answer}");
    }
    let (status, answer) = t
        .call(Method::PATCH, &path, Some(json!({"budget": 3})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = t
        .call(
            Method::PATCH,
            "/admin/notion/connections/internal",
            Some(json!({"max_requests_per_second": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("NOTION_MAX_RPM"),
        "{answer}"
    );
    let (status, answer) = t
        .call(
            Method::PATCH,
            "/admin/notion/connections/conn_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e",
            Some(json!({"max_requests_per_second": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    // Unchanged by the refusals; then back to the default.
    assert_eq!(oauth_connection(&t).await["max_requests_per_second"], 2.5);
    let (status, body) = t
        .call(
            Method::PATCH,
            &path,
            Some(json!({"max_requests_per_second": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["connection"]["max_requests_per_second"], Value::Null);
}
