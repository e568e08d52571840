//! Prometheus metrics: HTTP requests and latency by route template and status, Notion requests and
//! rate limits (from the Notion client's counters), and syncs run through the API.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use metrics::{Key, Label, Level, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};
use notion_client::ClientStats;

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

    /// Records one served HTTP request.
    pub fn record_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = || {
            vec![
                Label::new("method", method.to_owned()),
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

/// Middleware: counts and times every request by its route template (`/admin/elections/{id}`),
/// so ids do not explode the label set; unmatched paths are labelled `unmatched`.
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
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        metrics.record_request(&method, &route, status, started.elapsed());
    }
    result
}
