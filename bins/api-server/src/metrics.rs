//! Prometheus metrics: HTTP requests and latency by route template and status, Notion requests and
//! rate limits (from the Notion client's counters), syncs run through the API, and the health of
//! the sync as a whole (read from the store at scrape time, so it covers the sync-runner, a
//! separate process sharing the store).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use jiff::Timestamp;
use metrics::{Key, Label, Level, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};
use notion_client::ClientStats;
use store::{SyncHealth, SyncRun};

use crate::state::AppState;

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

const HTTP_REQUESTS: &str = "http_requests_total";
const HTTP_DURATION: &str = "http_request_duration_seconds";
const NOTION_REQUESTS: &str = "notion_requests_total";
const NOTION_RATE_LIMITED: &str = "notion_rate_limited_total";
const NOTION_RETRIES: &str = "notion_retries_total";
const SYNCS: &str = "syncs_total";
const SYNC_FAILURES: &str = "sync_failures_total";
const WEBHOOK_REQUESTS: &str = "notion_webhook_requests_total";
const WEBHOOK_REJECTED: &str = "notion_webhook_rejected_signatures_total";

/// The methods that get a label value of their own; any other is `OTHER` (method names are the
/// client's choice: each would otherwise be a new series, an unbounded memory cost).
pub(crate) const KNOWN_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

/// The `route` label of requests no route matched, whatever their path.
const UNMATCHED_ROUTE: &str = "unmatched";

/// `method` if it is one of [`KNOWN_METHODS`] (case-sensitive, as HTTP methods are), else `OTHER`.
fn method_label(method: &str) -> &'static str {
    KNOWN_METHODS
        .iter()
        .find(|known| **known == method)
        .copied()
        .unwrap_or("OTHER")
}

/// Latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The server's own metrics registry (not the process-global recorder, so several servers can run
/// in one process, as the tests do). Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty registry with every metric described.
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let describe = |name: &'static str, unit: Option<Unit>, text: &'static str| {
            recorder.describe_counter(name.into(), unit, SharedString::const_str(text));
        };
        describe(
            HTTP_REQUESTS,
            None,
            "HTTP requests served, by method, route template and status",
        );
        describe(
            NOTION_REQUESTS,
            None,
            "Requests sent to Notion (retries included), by method, path template and status",
        );
        describe(
            NOTION_RATE_LIMITED,
            None,
            "Notion answers of 429 or 529 (rate limited or overloaded)",
        );
        describe(NOTION_RETRIES, None, "Requests to Notion that were retries");
        describe(
            SYNCS,
            None,
            "Syncs of one election started through the API, by outcome",
        );
        describe(
            SYNC_FAILURES,
            None,
            "Syncs of one election through the API that failed",
        );
        describe(
            WEBHOOK_REQUESTS,
            None,
            "POSTs to /webhooks/notion, by result: verification, event, duplicate, \
             rejected (signature), malformed, too_large",
        );
        describe(
            WEBHOOK_REJECTED,
            None,
            "Webhook events refused for their signature, by reason: missing, malformed, \
             mismatch, no_active_token",
        );
        recorder.describe_histogram(
            HTTP_DURATION.into(),
            Some(Unit::Seconds),
            SharedString::const_str("HTTP request latency, by method, route template and status"),
        );
        Self {
            recorder: Arc::new(recorder),
        }
    }

    fn key(name: &'static str, labels: Vec<Label>) -> Key {
        Key::from_parts(name, labels)
    }

    /// Records one served HTTP request. A method outside [`KNOWN_METHODS`] is counted as
    /// `OTHER`, so invented methods cannot add series.
    pub fn record_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        let labels = || {
            vec![
                Label::new("method", method),
                Label::new("route", route.to_owned()),
                Label::new("status", status.to_string()),
            ]
        };
        self.recorder
            .register_counter(&Self::key(HTTP_REQUESTS, labels()), &METADATA)
            .increment(1);
        self.recorder
            .register_histogram(&Self::key(HTTP_DURATION, labels()), &METADATA)
            .record(elapsed.as_secs_f64());
    }

    /// Records one sync started through the API.
    pub fn record_sync(&self, ok: bool) {
        let outcome = if ok { "success" } else { "failure" };
        self.recorder
            .register_counter(
                &Self::key(SYNCS, vec![Label::new("outcome", outcome)]),
                &METADATA,
            )
            .increment(1);
        if !ok {
            self.recorder
                .register_counter(&Self::key(SYNC_FAILURES, Vec::new()), &METADATA)
                .increment(1);
        }
    }

    /// Counts one POST to the webhook receiver by its result.
    pub fn record_webhook(&self, result: &'static str) {
        self.recorder
            .register_counter(
                &Self::key(WEBHOOK_REQUESTS, vec![Label::new("result", result)]),
                &METADATA,
            )
            .increment(1);
    }

    /// Counts one webhook event refused for its signature (also a `rejected` request).
    pub fn record_webhook_rejection(&self, reason: &'static str) {
        self.record_webhook("rejected");
        self.recorder
            .register_counter(
                &Self::key(WEBHOOK_REJECTED, vec![Label::new("reason", reason)]),
                &METADATA,
            )
            .increment(1);
    }

    /// The Prometheus text exposition, with the Notion client's counters as of now.
    pub fn render(&self, notion: Option<&ClientStats>) -> String {
        if let Some(stats) = notion {
            let mut rate_limited = 0;
            for (endpoint, count) in &stats.by_endpoint {
                let labels = vec![
                    Label::new("method", endpoint.method),
                    Label::new("path", endpoint.path),
                    Label::new("status", endpoint.status.to_string()),
                ];
                self.recorder
                    .register_counter(&Self::key(NOTION_REQUESTS, labels), &METADATA)
                    .absolute(*count);
                if matches!(endpoint.status, 429 | 529) {
                    rate_limited += count;
                }
            }
            self.recorder
                .register_counter(&Self::key(NOTION_RATE_LIMITED, Vec::new()), &METADATA)
                .absolute(rate_limited);
            self.recorder
                .register_counter(&Self::key(NOTION_RETRIES, Vec::new()), &METADATA)
                .absolute(stats.retries);
        }
        self.recorder.handle().render()
    }
}

/// The sync-health gauges, in the Prometheus text format. They are computed at each scrape from the
/// store and kept nowhere, so a series disappears when its value does (e.g. no run has finished yet)
/// instead of going stale. `health` is `None` when the store could not be read: then only
/// `election_sync_health_up 0` is written.
pub(crate) fn sync_health_exposition(health: Option<&SyncHealth>, now: Timestamp) -> String {
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    gauge(
        "election_sync_health_up",
        "1 when the sync health below could be read from the store, 0 when it could not",
        &[("", if health.is_some() { 1.0 } else { 0.0 })],
    );
    let Some(health) = health else {
        return out;
    };
    let count = |n: u64| n as f64;
    gauge(
        "election_sync_elections",
        "Elections linked to a Notion page (state=\"linked\"), and of those: whose last sync failed \
         (error), whose page is trashed, deleted or unshared (link_broken), not synced because \
         paused (paused)",
        &[
            (r#"{state="linked"}"#, count(health.linked)),
            (r#"{state="error"}"#, count(health.with_error)),
            (r#"{state="link_broken"}"#, count(health.link_broken)),
            (r#"{state="paused"}"#, count(health.paused)),
        ],
    );
    gauge(
        "election_sync_globally_paused",
        "1 when syncing is paused for every election (sync-runner pause), else 0",
        &[("", if health.globally_paused { 1.0 } else { 0.0 })],
    );
    let seconds = |at: Timestamp| at.as_millisecond() as f64 / 1000.0;
    let age = |at: Timestamp| (now.as_millisecond() - at.as_millisecond()).max(0) as f64 / 1000.0;
    if let Some(at) = health.last_successful_sync_at {
        gauge(
            "election_sync_last_success_timestamp_seconds",
            "When an election last synced successfully (the newest notion_last_sync_at), Unix \
             seconds; absent until one has",
            &[("", seconds(at))],
        );
        gauge(
            "election_sync_last_success_age_seconds",
            "Seconds since an election last synced successfully",
            &[("", age(at))],
        );
    }
    if let Some(run) = &health.last_run {
        gauge(
            "election_sync_last_run_started_timestamp_seconds",
            "When the newest sync run (any trigger: scheduled, reconcile or manual) started, Unix \
             seconds; absent until one has",
            &[("", seconds(run.started_at))],
        );
    }
    if let Some(run) = &health.last_finished_run {
        last_finished_run(&mut gauge, run, seconds, age);
    }
    out
}

/// The gauges of the newest finished run: when, how long ago, and its counters.
fn last_finished_run(
    gauge: &mut impl FnMut(&str, &str, &[(&str, f64)]),
    run: &SyncRun,
    seconds: impl Fn(Timestamp) -> f64,
    age: impl Fn(Timestamp) -> f64,
) {
    let Some(finished_at) = run.finished_at else {
        return;
    };
    gauge(
        "election_sync_last_run_finished_timestamp_seconds",
        "When the newest finished sync run finished, Unix seconds; absent until one has",
        &[("", seconds(finished_at))],
    );
    gauge(
        "election_sync_last_run_finished_age_seconds",
        "Seconds since the newest finished sync run finished (alert when the sync-runner stops)",
        &[("", age(finished_at))],
    );
    let counters = [
        (
            "election_sync_last_run_pages_read",
            "Notion pages the newest finished run read",
            run.counts.read,
        ),
        (
            "election_sync_last_run_pages_written",
            "Page writes the newest finished run sent to Notion",
            run.counts.written,
        ),
        (
            "election_sync_last_run_elections_pulled",
            "Elections the newest finished run updated from Notion (title, description)",
            run.counts.pulled,
        ),
        (
            "election_sync_last_run_elections_failed",
            "Elections whose sync failed in the newest finished run",
            run.counts.failed,
        ),
        (
            "election_sync_last_run_notion_requests",
            "Requests the newest finished run sent to Notion",
            run.counts.notion_requests,
        ),
    ];
    for (name, help, value) in counters {
        gauge(name, help, &[("", value as f64)]);
    }
    gauge(
        "election_sync_last_run_error",
        "1 when the newest finished run failed as a whole (see its error in /admin/sync/runs), else 0",
        &[("", if run.error.is_some() { 1.0 } else { 0.0 })],
    );
}

/// Middleware: counts and times every request by its route template (`/admin/elections/{id}`),
/// so ids do not explode the label set; unmatched paths are labelled `unmatched` and unknown
/// methods `OTHER`. Route templates are the app's own, so every label has a bounded set of values.
pub(crate) async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let method = req.method().as_str().to_owned();
    let result = next.call(req).await;
    if let Some(metrics) = metrics {
        let (route, status) = match &result {
            Ok(response) => (
                response.request().match_pattern(),
                response.status().as_u16(),
            ),
            Err(error) => (None, error.as_response_error().status_code().as_u16()),
        };
        let route = route.unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
        metrics.record_request(&method, &route, status, started.elapsed());
    }
    result
}
