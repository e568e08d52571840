//! Request counters, shared by every clone of a client, so callers can report Notion cost; and
//! stats scopes, which count one user's requests on top (see `NotionClient::with_stats_scope`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One row of the per-endpoint counters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndpointStatus {
    /// HTTP method.
    pub method: &'static str,
    /// Path template, e.g. `/v1/pages/{page_id}`.
    pub path: &'static str,
    /// HTTP status, or 0 when no answer came (transport error).
    pub status: u16,
}

/// A snapshot of a client's counters (see `NotionClient::stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// HTTP attempts sent (retries included).
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// Retries caused by 429/529 (waits for `Retry-After`).
    pub rate_limit_waits: u64,
    /// Total time spent waiting for rate limits (429/529).
    pub rate_limit_wait_total: Duration,
    /// Total time spent waiting for the pacer.
    pub pacer_wait_total: Duration,
    /// Attempts by method, path template and status.
    pub by_endpoint: BTreeMap<EndpointStatus, u64>,
}

impl ClientStats {
    /// Attempts to one path template, whatever the method and status.
    pub fn requests_to(&self, path: &str) -> u64 {
        self.by_endpoint
            .iter()
            .filter(|(k, _)| k.path == path)
            .map(|(_, n)| n)
            .sum()
    }
}

#[derive(Default)]
pub(crate) struct StatsInner {
    /// The counters this scope also counts into (the client's shared ones, or an outer scope).
    parent: Option<Arc<Self>>,
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limit_waits: AtomicU64,
    rate_limit_wait_nanos: AtomicU64,
    pacer_wait_nanos: AtomicU64,
    by_endpoint: Mutex<HashMap<EndpointStatus, u64>>,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl StatsInner {
    /// Counters of a new scope that also counts into `parent`.
    pub(crate) fn scope_of(parent: Arc<Self>) -> Self {
        Self {
            parent: Some(parent),
            ..Self::default()
        }
    }

    pub(crate) fn record_attempt(&self, method: &'static str, path: &'static str, status: u16) {
        if let Some(parent) = &self.parent {
            parent.record_attempt(method, path, status);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut map = self.by_endpoint.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(EndpointStatus {
            method,
            path,
            status,
        })
        .or_default() += 1;
    }

    pub(crate) fn record_retry(&self, rate_limited: bool, wait: Duration) {
        if let Some(parent) = &self.parent {
            parent.record_retry(rate_limited, wait);
        }
        self.retries.fetch_add(1, Ordering::Relaxed);
        if rate_limited {
            self.rate_limit_waits.fetch_add(1, Ordering::Relaxed);
            self.rate_limit_wait_nanos
                .fetch_add(nanos(wait), Ordering::Relaxed);
        }
    }

    pub(crate) fn record_pacer_wait(&self, wait: Duration) {
        if let Some(parent) = &self.parent {
            parent.record_pacer_wait(wait);
        }
        self.pacer_wait_nanos
            .fetch_add(nanos(wait), Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> ClientStats {
        let map = self.by_endpoint.lock().unwrap_or_else(|e| e.into_inner());
        ClientStats {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            rate_limit_waits: self.rate_limit_waits.load(Ordering::Relaxed),
            rate_limit_wait_total: Duration::from_nanos(
                self.rate_limit_wait_nanos.load(Ordering::Relaxed),
            ),
            pacer_wait_total: Duration::from_nanos(self.pacer_wait_nanos.load(Ordering::Relaxed)),
            by_endpoint: map.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }
}
