//! Notion webhooks: a connection's verification tokens (pending until confirmed), the event inbox
//! (once per event id, claimed in timestamp order, marked processed), refused signatures, health.

use secrecy::ExposeSecret;
use store::*;

use crate::backend::Fixture;
use crate::support::*;

fn conn() -> ConnectionId {
    ConnectionId::internal()
}

fn event(id: &str, event_type: &str, at: jiff::Timestamp) -> NewWebhookEvent {
    NewWebhookEvent {
        event_id: id.into(),
        connection_id: conn(),
        event_type: event_type.into(),
        entity_id: Some(format!("page-{id}")),
        entity_type: Some("page".into()),
        event_at: at,
        attempt_number: 1,
        body: format!("{{\"id\":\"{id}\"}}").into_bytes(),
    }
}

pub(crate) async fn a_verification_token_is_pending_until_confirmed(fx: Fixture) {
    let store = &*fx.store;
    let none = store.webhook_tokens(&conn()).await.unwrap();
    assert!(none.pending.is_none() && none.active.is_none());
    assert_eq!(
        store
            .confirm_webhook_token(&conn(), now())
            .await
            .unwrap_err()
            .kind(),
        StoreErrorKind::NotFound,
        "nothing to confirm"
    );
    assert_eq!(
        store
            .save_pending_webhook_token(&conn(), " ", None, now())
            .await
            .unwrap_err()
            .kind(),
        StoreErrorKind::Invalid
    );

    let pending = store
        .save_pending_webhook_token(&conn(), "secret_one", Some("203.0.113.9"), now())
        .await
        .unwrap();
    assert_eq!(pending.state, WebhookTokenState::Pending);
    assert!(
        !format!("{pending:?}").contains("secret_one"),
        "Debug hides it"
    );
    // A second verification POST replaces the pending token.
    store
        .save_pending_webhook_token(&conn(), "secret_two", Some("203.0.113.10"), now() + secs(5))
        .await
        .unwrap();
    let tokens = store.webhook_tokens(&conn()).await.unwrap();
    let pending = tokens.pending.unwrap();
    assert_eq!(pending.token.expose_secret(), "secret_two");
    assert_eq!(pending.source.as_deref(), Some("203.0.113.10"));
    assert_eq!(pending.received_at, now() + secs(5));
    assert!(tokens.active.is_none(), "never trusted on its own");
    assert!(store.active_webhook_tokens().await.unwrap().is_empty());

    let active = store
        .confirm_webhook_token(&conn(), now() + secs(60))
        .await
        .unwrap();
    assert_eq!(active.state, WebhookTokenState::Active);
    assert_eq!(active.token.expose_secret(), "secret_two");
    assert_eq!(active.received_at, now() + secs(5));
    assert_eq!(active.activated_at, Some(now() + secs(60)));
    let tokens = store.webhook_tokens(&conn()).await.unwrap();
    assert!(tokens.pending.is_none(), "confirmed: no longer pending");

    // Another verification POST later does not touch the active token.
    store
        .save_pending_webhook_token(&conn(), "secret_three", None, now() + secs(90))
        .await
        .unwrap();
    let actives = store.active_webhook_tokens().await.unwrap();
    assert_eq!(actives.len(), 1);
    assert_eq!(actives[0].token.expose_secret(), "secret_two");

    // Tokens are per connection.
    let other = ConnectionId::parse("conn_0123456789abcdef0123456789abcdef").unwrap();
    assert!(
        store
            .webhook_tokens(&other)
            .await
            .unwrap()
            .pending
            .is_none()
    );
}

pub(crate) async fn an_operator_token_is_active_at_once_and_setting_it_again_changes_nothing(
    fx: Fixture,
) {
    let store = &*fx.store;
    let first = store
        .set_active_webhook_token(&conn(), "secret_env", Some("environment"), now())
        .await
        .unwrap();
    assert_eq!(first.activated_at, Some(now()));
    let again = store
        .set_active_webhook_token(&conn(), "secret_env", Some("environment"), now() + secs(60))
        .await
        .unwrap();
    assert_eq!(
        again.activated_at,
        Some(now()),
        "the same token keeps its times"
    );
    let changed = store
        .set_active_webhook_token(&conn(), "secret_new", Some("environment"), now() + secs(60))
        .await
        .unwrap();
    assert_eq!(changed.token.expose_secret(), "secret_new");
    assert_eq!(changed.activated_at, Some(now() + secs(60)));
}

pub(crate) async fn events_are_stored_once_per_id_and_claimed_in_timestamp_order(fx: Fixture) {
    let store = &*fx.store;
    // Delivered out of order; "b" twice (a retry).
    for (id, offset) in [("c", 30), ("a", 10), ("b", 20)] {
        let receipt = store
            .record_webhook_event(
                event(id, "page.properties_updated", now() + secs(offset)),
                now(),
            )
            .await
            .unwrap();
        assert_eq!(receipt, EventReceipt::New);
    }
    let mut retry = event("b", "page.properties_updated", now() + secs(20));
    retry.attempt_number = 2;
    retry.body = b"changed".to_vec();
    assert_eq!(
        store
            .record_webhook_event(retry, now() + secs(1))
            .await
            .unwrap(),
        EventReceipt::Duplicate
    );
    let b = store.get_webhook_event("b").await.unwrap();
    assert_eq!(b.deliveries, 2);
    assert_eq!(b.attempt_number, 1, "the first stored delivery is kept");
    assert_eq!(b.body, br#"{"id":"b"}"#);
    assert_eq!(b.received_at, now());

    let mut bad = event("", "page.created", now());
    assert_eq!(
        store
            .record_webhook_event(bad.clone(), now())
            .await
            .unwrap_err()
            .kind(),
        StoreErrorKind::Invalid
    );
    bad.event_id = "x".into();
    bad.event_type = String::new();
    assert_eq!(
        store
            .record_webhook_event(bad, now())
            .await
            .unwrap_err()
            .kind(),
        StoreErrorKind::Invalid
    );

    // Waiting events are seen without a claim (the daemon's look every second).
    assert!(
        store
            .webhook_events_waiting("runner-1", now())
            .await
            .unwrap()
    );

    // One processor claims in timestamp order; another sees nothing until the claim lapses.
    let claimed = store
        .claim_webhook_events("runner-1", 2, secs(30), now())
        .await
        .unwrap();
    let ids: Vec<&str> = claimed.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    let other = fx.another().await;
    let theirs = other
        .claim_webhook_events("runner-2", 10, secs(30), now())
        .await
        .unwrap();
    assert_eq!(
        theirs
            .iter()
            .map(|e| e.event_id.as_str())
            .collect::<Vec<_>>(),
        ["c"]
    );
    assert!(
        !other
            .webhook_events_waiting("runner-3", now() + secs(1))
            .await
            .unwrap(),
        "every event is under a live claim of another runner"
    );
    assert!(
        other
            .webhook_events_waiting("runner-1", now() + secs(1))
            .await
            .unwrap(),
        "a runner sees its own claimed events"
    );
    assert!(
        other
            .claim_webhook_events("runner-2", 10, secs(30), now() + secs(1))
            .await
            .unwrap()
            .iter()
            .all(|e| e.event_id == "c"),
        "runner-1's live claims are skipped"
    );

    let marked = store
        .mark_webhook_events_processed(
            vec![
                WebhookOutcome {
                    event_id: "a".into(),
                    outcome: "read_page".into(),
                },
                WebhookOutcome {
                    event_id: "b".into(),
                    outcome: "ignored_own_write".into(),
                },
            ],
            now() + secs(40),
        )
        .await
        .unwrap();
    assert_eq!(marked, 2);
    // Processed twice: the first outcome stays.
    let again = store
        .mark_webhook_events_processed(
            vec![WebhookOutcome {
                event_id: "a".into(),
                outcome: "other".into(),
            }],
            now() + secs(50),
        )
        .await
        .unwrap();
    assert_eq!(again, 0);
    let a = store.get_webhook_event("a").await.unwrap();
    assert_eq!(a.outcome.as_deref(), Some("read_page"));
    assert_eq!(a.processed_at, Some(now() + secs(40)));

    // runner-2 died holding "c": after its claim lapses, runner-1 gets it.
    let late = store
        .claim_webhook_events("runner-1", 10, secs(30), now() + secs(31))
        .await
        .unwrap();
    assert_eq!(
        late.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(),
        ["c"]
    );

    for (limit, ttl, holder) in [(0, 30, "h"), (1001, 30, "h"), (1, 0, "h"), (1, 30, "")] {
        assert_eq!(
            store
                .claim_webhook_events(holder, limit, secs(ttl), now())
                .await
                .unwrap_err()
                .kind(),
            StoreErrorKind::Invalid
        );
    }
    assert_eq!(
        store.get_webhook_event("nope").await.unwrap_err().kind(),
        StoreErrorKind::NotFound
    );
}

pub(crate) async fn webhook_health_counts_events_rejections_backlog_and_lag(fx: Fixture) {
    let store = &*fx.store;
    let empty = store.webhook_health(now()).await.unwrap();
    assert_eq!(empty, WebhookHealth::default());

    store
        .record_webhook_event(
            event("a", "page.properties_updated", now()),
            now() + secs(2),
        )
        .await
        .unwrap();
    store
        .record_webhook_event(
            event("b", "page.properties_updated", now() + secs(10)),
            now() + secs(12),
        )
        .await
        .unwrap();
    store
        .record_webhook_event(
            event("c", "page.deleted", now() + secs(20)),
            now() + secs(21),
        )
        .await
        .unwrap();
    store
        .record_webhook_event(
            event("c", "page.deleted", now() + secs(20)),
            now() + secs(25),
        )
        .await
        .unwrap();
    for reason in ["mismatch", "mismatch", "missing"] {
        store
            .count_webhook_rejection(&conn(), reason, now() + secs(30))
            .await
            .unwrap();
    }
    store
        .mark_webhook_events_processed(
            vec![WebhookOutcome {
                event_id: "a".into(),
                outcome: "read_page".into(),
            }],
            now() + secs(3),
        )
        .await
        .unwrap();
    store
        .mark_webhook_events_processed(
            vec![WebhookOutcome {
                event_id: "b".into(),
                outcome: "read_page".into(),
            }],
            now() + secs(11),
        )
        .await
        .unwrap();

    let h = store.webhook_health(now() + secs(40)).await.unwrap();
    assert_eq!(h.last_received_at, Some(now() + secs(21)));
    assert_eq!(h.last_event_at, Some(now() + secs(20)));
    assert_eq!(h.events_total, 3);
    assert_eq!(h.duplicates, 1);
    assert_eq!(
        h.events_by_type,
        [
            EventTypeCount {
                event_type: "page.properties_updated".into(),
                count: 2
            },
            EventTypeCount {
                event_type: "page.deleted".into(),
                count: 1
            },
        ]
    );
    assert_eq!(h.unprocessed, 1);
    assert_eq!(h.oldest_unprocessed_at, Some(now() + secs(20)));
    assert_eq!(h.rejected_total, 3);
    assert_eq!(h.rejected[0].reason, "mismatch");
    assert_eq!(h.rejected[0].count, 2);
    assert_eq!(h.rejected[0].last_at, now() + secs(30));
    assert_eq!(
        h.last_lag,
        Some(secs(1)),
        "b: timestamp +10 s, processed +11 s"
    );
    assert_eq!(
        h.max_lag_last_hour,
        Some(secs(3)),
        "a: processed 3 s after its timestamp"
    );
    let later = store.webhook_health(now() + secs(7200)).await.unwrap();
    assert_eq!(
        later.max_lag_last_hour, None,
        "nothing processed in the last hour"
    );

    // Pruning keeps the unprocessed.
    assert_eq!(
        store
            .prune_webhook_events(secs(60), now() + secs(7200))
            .await
            .unwrap(),
        2
    );
    let after = store.webhook_health(now() + secs(7200)).await.unwrap();
    assert_eq!(after.events_total, 1);
    assert_eq!(after.unprocessed, 1);
    assert_eq!(
        store
            .prune_webhook_events(secs(-1), now())
            .await
            .unwrap_err()
            .kind(),
        StoreErrorKind::Invalid
    );
}
