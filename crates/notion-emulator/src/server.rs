//! The HTTP server (hyper 1 on a dedicated tokio runtime) and the request pipeline:
//! route → faults → auth → rate limit → version → body → handler → counters.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use notion_workspace::{ACCEPTED_VERSIONS, ApiError, ApiVersion, Workspace, fidelity};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

use crate::api::{self, OAuthOutcome, Req};
use crate::clock::Clock;
use crate::counters::Counters;
use crate::faults::{Fault, FaultRule, FaultSet};
use crate::ratelimit::{Limiter, RateLimit};
use crate::spaces::Spaces;

/// Request bodies above this size are refused (Notion: 500 KB).
pub(crate) const MAX_BODY: usize = 500 * 1024;

/// Faults, rate limiting and counters: the knobs tests turn.
#[derive(Debug)]
pub(crate) struct Knobs {
    pub(crate) faults: FaultSet,
    pub(crate) limiter: Limiter,
    pub(crate) rate_limit: Option<RateLimit>,
    /// Each workspace's budget, shared by every integration and token of that workspace (Notion's
    /// per-workspace limit); one window per workspace id.
    pub(crate) workspace_limiter: Limiter,
    pub(crate) workspace_rate_limit: Option<RateLimit>,
    pub(crate) counters: Counters,
}

/// Everything the server threads share with the [`crate::Emulator`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Every served workspace, and the OAuth apps and grants spanning them.
    pub(crate) spaces: Mutex<Spaces>,
    pub(crate) knobs: Mutex<Knobs>,
    pub(crate) clock: Clock,
    pub(crate) initial: Mutex<Workspace>,
    pub(crate) seed: u64,
    pub(crate) query_result_cap: Mutex<usize>,
    /// Webhook subscriptions and their pending deliveries.
    pub(crate) webhooks: Mutex<crate::webhooks::Webhooks>,
    /// Wakes the webhook emitter (after every request, a new subscription, a sent batch).
    pub(crate) webhook_wake: Notify,
}

impl Shared {
    pub(crate) fn spaces(&self) -> MutexGuard<'_, Spaces> {
        self.spaces.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn knobs(&self) -> MutexGuard<'_, Knobs> {
        self.knobs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A response before it becomes HTTP.
pub(crate) struct Outcome {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
    pub(crate) content_type: &'static str,
    pub(crate) retry_after: Option<u64>,
    pub(crate) location: Option<String>,
    pub(crate) request_id: String,
}

impl Outcome {
    pub(crate) fn json(status: u16, mut body: Value, request_id: String) -> Self {
        if let Some(obj) = body.as_object_mut() {
            obj.insert("request_id".to_owned(), Value::String(request_id.clone()));
        }
        Self {
            status,
            body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
            content_type: "application/json; charset=utf-8",
            retry_after: None,
            location: None,
            request_id,
        }
    }

    pub(crate) fn error(e: &ApiError, request_id: String) -> Self {
        let mut out = Self::json(e.status, e.body(&request_id), request_id);
        out.retry_after = e.retry_after;
        out
    }

    pub(crate) fn html(body: String) -> Self {
        Self::html_status(200, body)
    }

    pub(crate) fn html_status(status: u16, body: String) -> Self {
        Self {
            status,
            body: Bytes::from(body),
            content_type: "text/html; charset=utf-8",
            retry_after: None,
            location: None,
            request_id: uuid::Uuid::new_v4().to_string(),
        }
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let mut resp = Response::new(Full::new(self.body));
        *resp.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let h = resp.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Ok(v) = HeaderValue::from_str(&self.request_id) {
            h.insert("x-notion-request-id", v);
        }
        if let Some(secs) = self.retry_after {
            h.insert("retry-after", HeaderValue::from(secs));
        }
        if let Some(loc) = self.location
            && let Ok(v) = HeaderValue::from_str(&loc)
        {
            h.insert(http::header::LOCATION, v);
        }
        resp
    }
}

/// Accepts connections until `shutdown` fires.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    tokio::spawn(crate::webhooks::run(Arc::clone(&shared)));
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                tokio::spawn(connection(stream, shared));
            }
        }
    }
}

async fn connection(stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    let drop_signal = Arc::new(Notify::new());
    let signal = Arc::clone(&drop_signal);
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        let signal = Arc::clone(&signal);
        async move { Ok::<_, Infallible>(handle(shared, req, signal).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    // A "drop" fault ends the connection future, which closes the socket without a response.
    tokio::select! {
        _ = conn => {}
        () = drop_signal.notified() => {}
    }
}

fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    drop_signal: Arc<Notify>,
) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = parse_query(req.uri().query());
    let headers = req.headers().clone();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => Some(b.to_bytes()),
        Err(_) => None,
    };
    let response = handle_request(&shared, method, path, query, headers, body, drop_signal).await;
    // The request may have changed the workspace: the emulator's webhooks look at once.
    shared.webhook_wake.notify_one();
    response
}

async fn handle_request(
    shared: &Arc<Shared>,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Option<Bytes>,
    drop_signal: Arc<Notify>,
) -> Response<Full<Bytes>> {
    if path == "/__emulator" || path.starts_with("/__emulator/") {
        return crate::control::handle(
            shared,
            &method,
            &path,
            &query,
            body.as_deref().unwrap_or_default(),
        )
        .into_response();
    }
    let matched = api::route(&method, &path);
    let template = matched.as_ref().map_or("unknown", |m| m.1);
    let triggered = shared.knobs().faults.trigger(&method, template, &path);
    if !triggered.latency.is_zero() {
        tokio::time::sleep(triggered.latency).await;
    }
    let request_id = uuid::Uuid::new_v4().to_string();
    let outcome = match triggered.terminal {
        Some(FaultRule {
            kind: Fault::Drop, ..
        }) => {
            shared.knobs().counters.record(&method, template, 0);
            drop_signal.notify_one();
            return std::future::pending().await;
        }
        Some(FaultRule {
            kind: Fault::Status(status),
            retry_after_secs,
            retry_guidance,
            ..
        }) => Outcome::error(
            &ApiError::for_status(status, retry_after_secs, retry_guidance.as_deref()),
            request_id,
        ),
        Some(FaultRule {
            kind: Fault::RateLimited(reason),
            retry_after_secs,
            ..
        }) => Outcome::error(
            &ApiError::rate_limited(retry_after_secs.unwrap_or(1), &reason),
            request_id,
        ),
        // Served (a write is applied), then answered 503 as if the answer had been lost.
        Some(FaultRule {
            kind: Fault::SavedThen503,
            retry_guidance,
            ..
        }) => {
            let served = dispatch(
                shared,
                &method,
                matched,
                &query,
                &headers,
                body.as_deref(),
                request_id.clone(),
            );
            if (200..300).contains(&served.status) {
                let value: serde_json::Value =
                    serde_json::from_slice(&served.body).unwrap_or_default();
                let data = crate::faults::saved_additional_data(retry_guidance.as_deref(), &value);
                Outcome::error(
                    &ApiError::for_status(503, None, None).with_data(data),
                    request_id,
                )
            } else {
                served
            }
        }
        // Latency faults were served by the sleep above; the request then runs normally.
        Some(FaultRule {
            kind: Fault::LatencyMs(_),
            ..
        })
        | None => dispatch(
            shared,
            &method,
            matched,
            &query,
            &headers,
            body.as_deref(),
            request_id,
        ),
    };
    shared
        .knobs()
        .counters
        .record(&method, template, outcome.status);
    outcome.into_response()
}

fn header(headers: &HeaderMap, name: impl http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn parse_body(method: &str, body: Option<&[u8]>) -> Result<Value, ApiError> {
    let Some(body) = body else {
        return Err(ApiError::validation(format!(
            "Request body too large: the limit is {} KB.",
            MAX_BODY / 1024
        )));
    };
    if !matches!(method, "POST" | "PATCH") {
        return Ok(Value::Null);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| ApiError::invalid_json())?;
    if !value.is_object() {
        return Err(ApiError::body_validation("body", "an object", &value));
    }
    Ok(value)
}

fn version_error(raw: &str) -> ApiError {
    let list: Vec<String> = ACCEPTED_VERSIONS
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect();
    let (last, rest) = list
        .split_last()
        .map_or((String::new(), &[][..]), |(l, r)| (l.clone(), r));
    ApiError::validation(format!(
        "Notion-Version header failed validation: Notion-Version header should be {}, or {last}, instead was `\"{raw}\"`.",
        rest.join(", ")
    ))
}

/// The `/v1` pipeline after faults: auth, rate limit, version, body, handler.
fn dispatch(
    shared: &Shared,
    method: &str,
    matched: Option<(api::Route, &'static str, Vec<String>)>,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: Option<&[u8]>,
    request_id: String,
) -> Outcome {
    let fail = |e: ApiError, rid: String| Outcome::error(&e, rid);
    let Some((route, _, params)) = matched else {
        return fail(ApiError::invalid_request_url(), request_id);
    };
    let now = shared.clock.now();
    if route.is_oauth() {
        // The consent page posts a form; every other OAuth body is JSON.
        let (body, form) = if route == api::Route::OAuthConsent {
            let Some(raw) = body else {
                return fail(ApiError::validation("Request body too large."), request_id);
            };
            (Value::Null, parse_query(std::str::from_utf8(raw).ok()))
        } else {
            match parse_body(method, body) {
                Ok(b) => (b, Vec::new()),
                Err(e) => return fail(e, request_id),
            }
        };
        let mut spaces = shared.spaces();
        return match api::handle_oauth(
            &mut spaces,
            route,
            header(headers, AUTHORIZATION),
            query,
            &body,
            &form,
            now,
        ) {
            Ok(OAuthOutcome::Json(v)) => Outcome::json(200, v, request_id),
            Ok(OAuthOutcome::Html(status, page)) => Outcome::html_status(status, page),
            Ok(OAuthOutcome::Redirect(url)) => {
                let mut o = Outcome::json(302, json!({}), request_id);
                o.location = Some(url);
                o
            }
            Err(e) => fail(e, request_id),
        };
    }
    let token = header(headers, AUTHORIZATION)
        .and_then(|a| {
            a.strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("bearer "))
        })
        .map(str::trim);
    let mut spaces = shared.spaces();
    let Some((token, workspace, integration)) =
        token.and_then(|t| spaces.by_token(t).map(|(w, i)| (t, w, i)))
    else {
        return fail(ApiError::unauthorized(), request_id);
    };
    // An OAuth access token past its lifetime answers like an unknown one, as Notion's do.
    if api::expired(&spaces, token, now) {
        return fail(ApiError::unauthorized(), request_id);
    }
    let workspace_id = spaces.list[workspace].workspace_id;
    if spaces.blocked.tokens.iter().any(|t| t == token)
        || spaces.blocked.workspace_ids.contains(&workspace_id)
    {
        return fail(
            ApiError::rate_limited(60, "public_api_request_blocked"),
            request_id,
        );
    }
    {
        let connection = api::connection_key(&spaces, token);
        let mut knobs = shared.knobs();
        if let Some(limit) = knobs.rate_limit
            && let Some(secs) = knobs.limiter.check(limit, &connection, now)
        {
            return fail(
                ApiError::rate_limited(secs, "public_api_request_rate_limit"),
                request_id,
            );
        }
        // One bucket per workspace: every integration's requests there count against it.
        if let Some(limit) = knobs.workspace_rate_limit
            && let Some(secs) = knobs
                .workspace_limiter
                .check(limit, &workspace_id.to_string(), now)
        {
            return fail(
                ApiError::rate_limited(secs, "public_api_space_request_rate_limit"),
                request_id,
            );
        }
    }
    let version = match header(headers, "notion-version") {
        None => {
            return fail(
                ApiError::new(
                    400,
                    "missing_version",
                    "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
                ),
                request_id,
            );
        }
        Some(raw) => match ApiVersion::parse(raw.trim()) {
            Some(v) => v,
            None => return fail(version_error(raw), request_id),
        },
    };
    let body = match parse_body(method, body) {
        Ok(b) => b,
        Err(e) => return fail(e, request_id),
    };
    let req = Req {
        version,
        integration,
        query,
        body: &body,
        now,
        host: header(headers, http::header::HOST),
    };
    let state = &mut spaces.list[workspace];
    let mut result = api::handle(state, route, &params, &req);
    if let Ok(body) = result.as_mut() {
        fidelity::finish(state, integration, version, body);
    }
    // Serialize outside the lock so other requests proceed meanwhile.
    drop(spaces);
    match result {
        Ok(v) => Outcome::json(200, v, request_id),
        Err(e) => fail(e, request_id),
    }
}

/// Binds the listener (synchronously, so errors surface to the caller) and starts the server thread.
pub(crate) fn spawn(
    addr: SocketAddr,
    shared: Arc<Shared>,
    worker_threads: usize,
) -> std::io::Result<(SocketAddr, oneshot::Sender<()>, oneshot::Receiver<()>)> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel();
    let (done_tx, done_rx) = oneshot::channel();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .thread_name("notion-emulator")
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("notion-emulator-accept".to_owned())
        .spawn(move || {
            runtime.block_on(serve(listener, shared, stop_rx));
            runtime.shutdown_background();
            let _ = done_tx.send(());
        })?;
    Ok((local, stop_tx, done_rx))
}
