//! Notion connections: the internal one, OAuth ones keyed by workspace and bot with their sealed
//! token pair and state, their allowlists, the links they carry, and single-use OAuth states.

use secrecy::{ExposeSecret, SecretString};
use store::*;
use token_seal::TokenKey;

use crate::backend::Fixture;
use crate::support::*;

fn token(text: &str) -> SecretString {
    text.to_owned().into()
}

fn authorization(
    key: &TokenKey,
    id: &ConnectionId,
    workspace: &str,
    access: &str,
) -> NewOAuthConnection {
    NewOAuthConnection {
        id: id.clone(),
        workspace_id: workspace.into(),
        workspace_name: Some(format!("Workspace {workspace}")),
        workspace_icon: None,
        bot_id: "bot-1".into(),
        owner: Some(serde_json::json!({"type": "user", "user": {"id": "u1"}})),
        created_by: Some("admin".into()),
        access_token: key.seal(&token(access), &id.access_token_context()),
        refresh_token: Some(key.seal(&token("nrt_1"), &id.refresh_token_context())),
        access_expires_at: Some(now() + secs(3600)),
    }
}

fn opened(key: &TokenKey, record: &ConnectionRecord) -> String {
    key.open(
        record.access_token.as_ref().unwrap(),
        &record.id.access_token_context(),
    )
    .unwrap()
    .expose_secret()
    .to_owned()
}

pub(crate) async fn connections_are_keyed_by_workspace_and_bot_with_sealed_tokens(fx: Fixture) {
    let store = &*fx.store;
    let key = TokenKey::generate();
    let internal = store.ensure_internal_connection(now()).await.unwrap();
    assert_eq!(internal.kind, ConnectionKind::Internal);
    assert!(
        internal.access_token.is_none(),
        "NOTION_API_KEY is never stored"
    );
    let again = store
        .ensure_internal_connection(now() + secs(60))
        .await
        .unwrap();
    assert_eq!(again.created_at, internal.created_at, "made once");
    store
        .describe_internal_connection(Some("Acme"), Some("bot-internal"), now())
        .await
        .unwrap();

    let first_id = ConnectionId::mint(now());
    let (first, replaced) = store
        .save_oauth_connection(authorization(&key, &first_id, "ws-1", "ntn_a"), now())
        .await
        .unwrap();
    assert!(!replaced);
    assert_eq!(first.id, first_id);
    assert_eq!(first.state, ConnectionState::Active);
    assert_eq!(opened(&key, &first), "ntn_a");

    // The same workspace and bot again: same id, new token pair, no duplicate.
    let (second, replaced) = store
        .save_oauth_connection(
            authorization(&key, &first_id, "ws-1", "ntn_b"),
            now() + secs(1),
        )
        .await
        .unwrap();
    assert!(replaced);
    assert_eq!(second.id, first_id);
    assert_eq!(opened(&key, &second), "ntn_b");
    // Sealed for another id: not stored (it would not open under this id); the caller reseals.
    let other_id = ConnectionId::mint(now() + secs(2));
    let (kept, replaced) = store
        .save_oauth_connection(
            authorization(&key, &other_id, "ws-1", "ntn_c"),
            now() + secs(2),
        )
        .await
        .unwrap();
    assert!(replaced);
    assert_eq!(kept.id, first_id);
    assert_eq!(opened(&key, &kept), "ntn_b");
    let listed = store.list_connections().await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["internal", first_id.as_str()]
    );
    assert_eq!(listed[0].workspace_name.as_deref(), Some("Acme"));

    // Refresh refused: needs re-authorization, with why; a new pair makes it active again.
    let needs = store
        .set_connection_state(
            &first_id,
            ConnectionState::NeedsReauthorization,
            Some("Notion refused the refresh token"),
            now() + secs(3),
        )
        .await
        .unwrap();
    assert_eq!(needs.state, ConnectionState::NeedsReauthorization);
    assert!(needs.access_token.is_some(), "kept until revoked");
    let refreshed = store
        .store_tokens(
            &first_id,
            &key.seal(&token("ntn_d"), &first_id.access_token_context()),
            None,
            None,
            now() + secs(4),
        )
        .await
        .unwrap();
    assert_eq!(refreshed.state, ConnectionState::Active);
    assert_eq!(refreshed.state_reason, None);
    assert_eq!(opened(&key, &refreshed), "ntn_d");
    assert!(
        refreshed.refresh_token.is_some(),
        "kept when Notion sent none"
    );

    // Budgets: positive numbers only.
    assert!(matches!(
        store
            .set_connection_budget(&first_id, Some(0.0), now())
            .await,
        Err(StoreError::Invalid {
            field: "max_requests_per_second",
            ..
        })
    ));
    let budget = store
        .set_connection_budget(&first_id, Some(10.0), now())
        .await
        .unwrap();
    assert_eq!(budget.max_requests_per_second, Some(10.0));

    // Revoked: the tokens are forgotten.
    let revoked = store
        .set_connection_state(
            &first_id,
            ConnectionState::Revoked,
            Some("disconnected"),
            now(),
        )
        .await
        .unwrap();
    assert_eq!((revoked.access_token, revoked.refresh_token), (None, None));

    // The internal connection cannot be given tokens or deleted; OAuth ones can go.
    assert!(matches!(
        store
            .store_tokens(
                &ConnectionId::internal(),
                &key.seal(&token("x"), "x"),
                None,
                None,
                now()
            )
            .await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store.delete_connection(&ConnectionId::internal()).await,
        Err(StoreError::Invalid { .. })
    ));
    store.delete_connection(&first_id).await.unwrap();
    assert!(matches!(
        store.get_connection(&first_id).await,
        Err(StoreError::NotFound {
            what: "connection",
            ..
        })
    ));
}

pub(crate) async fn a_database_belongs_to_the_connection_that_allows_it(fx: Fixture) {
    let store = &*fx.store;
    let key = TokenKey::generate();
    store.ensure_internal_connection(now()).await.unwrap();
    let a = ConnectionId::mint(now());
    let b = ConnectionId::mint(now() + secs(1));
    store
        .save_oauth_connection(authorization(&key, &a, "ws-a", "ntn_a"), now())
        .await
        .unwrap();
    store
        .save_oauth_connection(authorization(&key, &b, "ws-b", "ntn_b"), now())
        .await
        .unwrap();
    let allowed = store
        .allow_database(&a, "db-a", Some("Board Elections"), Some("admin"), now())
        .await
        .unwrap();
    assert_eq!(allowed.name.as_deref(), Some("Board Elections"));
    assert_eq!(store.allowed_databases(&a).await.unwrap(), [allowed]);
    assert!(matches!(
        store.allow_database(&b, "db-a", None, None, now()).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store
            .allow_database(&ConnectionId::internal(), "db-x", None, None, now())
            .await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(store.connection_for_database("db-a").await.unwrap(), a);
    assert_eq!(
        store.connection_for_database("db-env").await.unwrap(),
        ConnectionId::internal()
    );

    // A link takes its database's connection.
    let id = store
        .create_election(new_election("E"), now())
        .await
        .unwrap()
        .election
        .id;
    let through_a = store
        .add_link(&id, &link("db-a", "page-a"), false, now())
        .await
        .unwrap();
    assert_eq!(through_a.connection_id, a);
    let internal = store
        .add_link(&id, &link("db-env", "page-e"), false, now())
        .await
        .unwrap();
    assert_eq!(internal.connection_id, ConnectionId::internal());
    let linked = store.list_linked(&LinkedFilter::default()).await.unwrap();
    assert!(linked.iter().any(|l| l.connection_id == a));

    // Disallowing and deleting leave the link as it was: it says which connection it needs.
    assert!(store.disallow_database(&a, "db-a").await.unwrap());
    assert!(!store.disallow_database(&a, "db-a").await.unwrap());
    store.delete_connection(&a).await.unwrap();
    let record = store.get_election(&id).await.unwrap();
    assert_eq!(record.find_link(&through_a.id).unwrap().connection_id, a);
}

pub(crate) async fn an_oauth_state_is_used_once_and_lapses(fx: Fixture) {
    let store = &*fx.store;
    let later = now() + secs(600);
    store
        .mint_oauth_state("hash-1", "admin", now(), later)
        .await
        .unwrap();
    assert!(matches!(
        store
            .mint_oauth_state("hash-1", "admin", now(), later)
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let used = store
        .consume_oauth_state("hash-1", now() + secs(5))
        .await
        .unwrap();
    assert_eq!(used.created_by, "admin");
    assert!(matches!(
        store.consume_oauth_state("hash-1", now() + secs(6)).await,
        Err(StoreError::NotFound { .. })
    ));
    store
        .mint_oauth_state("hash-2", "admin", now(), later)
        .await
        .unwrap();
    assert!(matches!(
        store.consume_oauth_state("hash-2", later).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.consume_oauth_state("never-minted", now()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.mint_oauth_state(" ", "admin", now(), later).await,
        Err(StoreError::Invalid {
            field: "state_hash",
            ..
        })
    ));
    assert_eq!(
        LeaseKey::ConnectionRefresh(ConnectionId::internal()).name(),
        "connection:refresh:internal"
    );
    assert_eq!(
        LeaseKey::from_name("connection:refresh:internal"),
        Some(LeaseKey::ConnectionRefresh(ConnectionId::internal()))
    );
}

pub(crate) async fn a_connection_penalty_is_shared_and_keeps_the_later_end(fx: Fixture) {
    let store = &*fx.store;
    let internal = ConnectionId::internal();
    assert_eq!(
        store.connection_penalty(&internal, now()).await.unwrap(),
        None
    );
    store
        .note_connection_penalty(&internal, now() + secs(120), now())
        .await
        .unwrap();
    // An earlier end noted later does not shorten it.
    store
        .note_connection_penalty(&internal, now() + secs(30), now() + secs(1))
        .await
        .unwrap();
    let other = fx.another().await;
    assert_eq!(
        other
            .connection_penalty(&internal, now() + secs(2))
            .await
            .unwrap(),
        Some(now() + secs(120)),
        "another process sees it"
    );
    assert_eq!(
        store
            .connection_penalty(&internal, now() + secs(120))
            .await
            .unwrap(),
        None,
        "over at its end"
    );
    let oauth = ConnectionId::mint(now());
    assert_eq!(
        store.connection_penalty(&oauth, now()).await.unwrap(),
        None,
        "per connection"
    );
}
