//! Webhook events (issue 17): the inbox the api-server's receiver fills is drained here. A batch
//! is planned by `notion-webhooks` (which pages to read again, which links break, which schemas
//! to re-read), then the ordinary cycle runs restricted to those links ([`WebhookScope`]): each
//! named page read on its own instead of the database's change query, the change cursor left
//! where it was, so the next poll still sees every edit since the last one (polling is the net
//! for what webhooks miss).

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use notion_webhooks::{Disposition, Envelope, Incoming, parse_body, plan_batch};
use store::{LinkedFilter, WebhookOutcome};
use uuid::Uuid;

use crate::cycle::{CycleRun, LeaseAfter};
use crate::{Clock, CycleOptions, CycleReport, DriverError, SyncDriver, WebhookScope};

/// Events claimed per pass: a burst larger than this is drained over the next passes.
pub const WEBHOOK_BATCH: u32 = 500;

/// How long a pass holds its claim on events: past it, another runner may process them (a
/// runner that died mid-pass loses nothing).
const CLAIM_TTL: SignedDuration = SignedDuration::from_mins(5);

/// What one pass over the webhook inbox did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookPass {
    /// Events claimed and marked processed.
    pub events: usize,
    /// Pages read again (one request each, when linked).
    pub pages: usize,
    /// Pages last seen deleted (their links are marked broken).
    pub deleted_pages: usize,
    /// Databases or data sources whose schema changed.
    pub schema_changes: usize,
    /// Events that asked for nothing (our own writes, types the sync does not use, bodies
    /// that do not parse).
    pub ignored: usize,
    /// The cycle restricted to the links the events named, when any link was named.
    pub cycle: Option<CycleReport>,
}

impl SyncDriver {
    /// Processes the webhook events waiting in the inbox at `now`, once, as a one-off (the global
    /// lease is taken and released, as [`SyncDriver::run_cycle`] does). `Ok(None)` when there
    /// were none. Events are marked processed, each with its outcome, only after what they
    /// caused is committed; a pass that fails leaves them to be claimed again.
    pub async fn process_webhook_events(
        &self,
        now: Timestamp,
    ) -> Result<Option<WebhookPass>, DriverError> {
        let run = CycleRun {
            reconcile_every: self.inner.config.reconcile_every,
            lease_after: LeaseAfter::Release,
            clock: None,
        };
        self.webhook_pass(now, run).await
    }

    /// Whether webhooks are healthy at `now`: a connection has an active verification token and
    /// an event arrived within the configured `webhook_healthy_window`. The daemon then polls
    /// every `poll_interval_with_webhooks` instead of every poll interval.
    pub async fn webhooks_healthy(&self, now: Timestamp) -> Result<bool, DriverError> {
        let store = &self.inner.store;
        if store.active_webhook_tokens().await?.is_empty() {
            return Ok(false);
        }
        let window = self.inner.config.webhook_healthy_window;
        let health = store.webhook_health(now).await?;
        Ok(health
            .last_received_at
            .is_some_and(|at| now.duration_since(at) < window))
    }

    /// One pass as the daemon runs it between cycles (keeping the global lease).
    pub(crate) async fn daemon_webhook_pass(
        &self,
        now: Timestamp,
        reconcile_every: SignedDuration,
        clock: &Arc<dyn Clock>,
    ) -> Result<Option<WebhookPass>, DriverError> {
        let run = CycleRun {
            reconcile_every,
            lease_after: LeaseAfter::Keep,
            clock: Some(Arc::clone(clock)),
        };
        self.webhook_pass(now, run).await
    }

    async fn webhook_pass(
        &self,
        now: Timestamp,
        run: CycleRun,
    ) -> Result<Option<WebhookPass>, DriverError> {
        let release = run.lease_after == LeaseAfter::Release;
        let outcome = self.webhook_pass_leased(now, run).await;
        if release {
            self.release_global_lease().await;
        }
        outcome
    }

    async fn webhook_pass_leased(
        &self,
        now: Timestamp,
        run: CycleRun,
    ) -> Result<Option<WebhookPass>, DriverError> {
        let store = &self.inner.store;
        // Peek before taking the lease: an empty inbox (nearly every second) costs one read.
        if !store
            .webhook_events_waiting(&self.inner.config.holder, now)
            .await?
        {
            return Ok(None);
        }
        // Only the runner that holds the sync lease claims events: a standby's claim would
        // hold them back until it lapsed.
        self.take_global_lease(now).await?;
        let claimed = store
            .claim_webhook_events(&self.inner.config.holder, WEBHOOK_BATCH, CLAIM_TTL, now)
            .await?;
        if claimed.is_empty() {
            return Ok(None);
        }
        let mut outcomes = Vec::with_capacity(claimed.len());
        let mut envelopes: Vec<Envelope> = Vec::with_capacity(claimed.len());
        for event in &claimed {
            match parse_body(&event.body) {
                Ok(Incoming::Event(envelope)) => envelopes.push(*envelope),
                // The receiver stores only parsed events: a body that no longer parses (or
                // a verification body) asks for nothing.
                Ok(Incoming::Verification { .. }) | Err(_) => outcomes.push(WebhookOutcome {
                    event_id: event.event_id.clone(),
                    outcome: "ignored_unparseable".to_owned(),
                }),
            }
        }
        let bots = self.our_bot_ids().await;
        let plan = plan_batch(&envelopes, &bots);
        let mut scope = WebhookScope {
            pages: plan.page_reads.iter().map(|p| p.page_id).collect(),
            deleted: plan.deleted_pages.iter().copied().collect(),
            databases: plan
                .revalidate_data_sources
                .iter()
                .chain(&plan.revalidate_databases)
                .copied()
                .collect(),
        };
        // A data source's schema event names its database as the parent: links hold the
        // database's id.
        for envelope in &envelopes {
            if scope.databases.contains(&envelope.entity.id)
                && let Some(parent) = envelope
                    .data
                    .pointer("/parent/id")
                    .and_then(|v| v.as_str())
                    .and_then(|id| notion_client::NotionId::parse(id).ok())
            {
                scope.databases.insert(Uuid::from(parent));
            }
        }
        let mut pass = WebhookPass {
            events: claimed.len(),
            pages: scope.pages.len(),
            deleted_pages: scope.deleted.len(),
            schema_changes: plan.revalidate_data_sources.len() + plan.revalidate_databases.len(),
            ignored: outcomes.len()
                + plan
                    .dispositions
                    .iter()
                    .filter(|(_, d)| matches!(d, Disposition::Ignored(_)))
                    .count(),
            cycle: None,
        };
        if self.scope_has_links(&scope).await? {
            let options = CycleOptions {
                webhook: Some(scope),
                poll: false,
                ..CycleOptions::scheduled()
            };
            // Committed per database before it returns: only then are the events done.
            let report = self.cycle(now, &options, run).await?;
            pass.cycle = Some(report);
        }
        outcomes.extend(plan.dispositions.iter().map(|(id, d)| WebhookOutcome {
            event_id: id.to_string(),
            outcome: d.as_str().to_owned(),
        }));
        // An event id the envelope spells differently from the stored one (hyphens, case)
        // still gets its outcome: match the stored ids by value.
        let outcomes = stored_ids(&claimed, outcomes);
        let processed_at = self.inner.clock.as_ref().map_or(now, |c| c.now().max(now));
        store
            .mark_webhook_events_processed(outcomes, processed_at)
            .await?;
        tracing::info!(
            events = pass.events,
            pages = pass.pages,
            deleted_pages = pass.deleted_pages,
            schema_changes = pass.schema_changes,
            ignored = pass.ignored,
            notion_requests = pass.cycle.as_ref().map_or(0, |c| c.counts.notion_requests),
            "webhook events processed"
        );
        Ok(Some(pass))
    }

    /// Whether any linked election is on a page or database `scope` names: edits of pages no
    /// election is linked to (most of a workspace) then cost no cycle and no run record.
    async fn scope_has_links(&self, scope: &WebhookScope) -> Result<bool, DriverError> {
        if scope.pages.is_empty() && scope.deleted.is_empty() && scope.databases.is_empty() {
            return Ok(false);
        }
        let filter = LinkedFilter {
            scope: Some(scope.link_scope()),
            ..LinkedFilter::default()
        };
        Ok(!self.inner.store.list_linked(&filter).await?.is_empty())
    }

    /// Our own bots: the internal integration's (read once with `GET /v1/users/me`) and each
    /// OAuth connection's. Events only they authored are our writes coming back. A bot id that
    /// cannot be had only costs reads of our own edits.
    async fn our_bot_ids(&self) -> Vec<Uuid> {
        let mut bots = Vec::new();
        let internal = self
            .inner
            .bot_id
            .get_or_try_init(|| async { self.notion().me().await.map(|u| Uuid::from(u.id)) })
            .await;
        match internal {
            Ok(id) => bots.push(*id),
            Err(error) => {
                tracing::warn!(%error, "could not read the integration's bot id (GET /v1/users/me): its own writes will be read back");
            }
        }
        match self.inner.store.list_connections().await {
            Ok(connections) => bots.extend(connections.iter().filter_map(|c| {
                c.bot_id
                    .as_deref()
                    .and_then(|id| notion_client::NotionId::parse(id).ok())
                    .map(Uuid::from)
            })),
            Err(error) => tracing::warn!(%error, "could not list the connections' bot ids"),
        }
        bots
    }
}

/// `outcomes` with each event id spelled as stored.
fn stored_ids(
    claimed: &[store::StoredWebhookEvent],
    outcomes: Vec<WebhookOutcome>,
) -> Vec<WebhookOutcome> {
    outcomes
        .into_iter()
        .map(|mut outcome| {
            if let Ok(id) = Uuid::parse_str(&outcome.event_id)
                && let Some(stored) = claimed
                    .iter()
                    .find(|e| Uuid::parse_str(&e.event_id).is_ok_and(|s| s == id))
            {
                outcome.event_id = stored.event_id.clone();
            }
            outcome
        })
        .collect()
}
