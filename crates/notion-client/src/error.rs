//! The one error type of the client: what Notion said, and what kind of failure it is.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// A Notion error body (`{"object":"error","status","code","message","request_id","additional_data"}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ApiErrorBody {
    /// The HTTP status Notion answered with.
    pub status: u16,
    /// Notion's error code, e.g. `object_not_found`, `validation_error`, `rate_limited`.
    pub code: String,
    /// Notion's human-readable message.
    pub message: String,
    /// Notion's request id (from the body or the `x-notion-request-id` header), for support tickets.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Extra data Notion attaches, e.g. `retry_after`, `rate_limit_reason`, `integration_id`.
    #[serde(default)]
    pub additional_data: Option<serde_json::Value>,
}

impl ApiErrorBody {
    /// A string field of `additional_data`, if present.
    pub fn additional_str(&self, key: &str) -> Option<&str> {
        self.additional_data.as_ref()?.get(key)?.as_str()
    }
}

/// What kind of failure an error is: the thing callers branch on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 401: the token is invalid or revoked.
    Unauthorized,
    /// 404: the object does not exist, or (usually) is not shared with the integration.
    NotFound,
    /// 403: the token lacks a capability or access to this resource.
    Restricted,
    /// 400 (and other request errors): Notion rejected the request's content.
    Validation,
    /// 429 or 529: slow down; `retry_after` is how long Notion asked us to wait, when known.
    RateLimited {
        /// The wait Notion asked for.
        retry_after: Option<Duration>,
    },
    /// 429, 529 or 403 with `additional_data.rate_limit_reason` = `public_api_request_blocked`:
    /// Notion has blocked this integration's API requests. Unlike a rate limit, waiting a few
    /// seconds does not help, so the client never retries it; someone must look at the
    /// integration in Notion (its settings, the workspace's plan, Notion support).
    RequestBlocked,
    /// 409: a conflicting save; repeating later usually works.
    Conflict,
    /// 5xx: Notion failed.
    Server,
    /// The request never got an HTTP answer (DNS, connect, TLS, timeout, broken connection).
    Transport,
    /// Notion answered 2xx but the body did not match the expected shape at `path`.
    Decode {
        /// The JSON path of the offending value, e.g. `results[3].properties.Status.status`.
        path: String,
    },
    /// The request was not sent because it is invalid (bad id, missing token, unsupported
    /// combination of options).
    InvalidRequest,
    /// An HTTP status this client does not classify (e.g. a redirect).
    Unexpected,
}

/// Every failure of the client.
///
/// Keeps Notion's HTTP status, `code`, `message`, `request_id` and `additional_data` when Notion
/// answered; [`NotionError::kind`] says what kind of failure it is.
#[derive(Debug)]
pub struct NotionError(Box<ErrorInner>);

impl std::error::Error for NotionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[derive(Debug)]
struct ErrorInner {
    kind: ErrorKind,
    api: Option<ApiErrorBody>,
    /// `METHOD /v1/path/{template}` of the failing request, when there was one.
    operation: Option<String>,
    detail: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The client's result type.
pub type Result<T, E = NotionError> = std::result::Result<T, E>;

impl NotionError {
    /// What kind of failure this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Notion's error body, when Notion answered with one.
    pub fn api(&self) -> Option<&ApiErrorBody> {
        self.0.api.as_ref()
    }

    /// The HTTP status, when Notion answered.
    pub fn status(&self) -> Option<u16> {
        self.0.api.as_ref().map(|a| a.status)
    }

    /// Notion's error `code`, when Notion answered with one.
    pub fn code(&self) -> Option<&str> {
        self.0
            .api
            .as_ref()
            .map(|a| a.code.as_str())
            .filter(|code| !code.is_empty())
    }

    /// Notion's message, when Notion answered with one.
    pub fn message(&self) -> Option<&str> {
        self.0.api.as_ref().map(|a| a.message.as_str())
    }

    /// Notion's request id, when known.
    pub fn request_id(&self) -> Option<&str> {
        self.0.api.as_ref().and_then(|a| a.request_id.as_deref())
    }

    /// Notion's `additional_data`, when present.
    pub fn additional_data(&self) -> Option<&serde_json::Value> {
        self.0.api.as_ref().and_then(|a| a.additional_data.as_ref())
    }

    /// What Notion said about a write it answered 503 for although it may have saved it
    /// (`additional_data.retry_guidance`, `committed_resource_id`, `committed_child_ids`), or
    /// `None` for any other error. The client never repeats such a write; the caller reads the
    /// object again to learn whether the write is there.
    pub fn saved_guidance(&self) -> Option<SavedGuidance> {
        let api = self.0.api.as_ref()?;
        if api.status != 503 {
            return None;
        }
        let data = api.additional_data.as_ref()?;
        let retry_guidance = data
            .get("retry_guidance")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let committed_resource_id = data
            .get("committed_resource_id")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let committed_child_ids: Vec<String> = data
            .get("committed_child_ids")
            .and_then(serde_json::Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        // Notion does not document the guidance values: anything but an explicit "safe to
        // retry" is taken as "it may be saved", the safe side for a write.
        let safe = retry_guidance
            .as_deref()
            .is_none_or(|g| SAFE_TO_RETRY.contains(&g.to_ascii_lowercase().as_str()));
        let committed = committed_resource_id.is_some() || !committed_child_ids.is_empty();
        (committed || !safe).then_some(SavedGuidance {
            retry_guidance,
            committed_resource_id,
            committed_child_ids,
        })
    }

    /// The wait Notion asked for, for rate-limit errors.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.0.kind {
            ErrorKind::RateLimited { retry_after } => retry_after,
            _ => None,
        }
    }

    /// The request this error belongs to, as `METHOD /v1/path/{template}`.
    pub fn operation(&self) -> Option<&str> {
        self.0.operation.as_deref()
    }

    /// True for failures that may succeed if tried again later (rate limits, conflicts, server
    /// and transport errors); false for permanent ones (auth, not found, validation, decode).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::RateLimited { .. }
                | ErrorKind::Conflict
                | ErrorKind::Server
                | ErrorKind::Transport
        )
    }

    /// Builds the error for an HTTP error response.
    ///
    /// `body` is Notion's JSON error body; a body that is not one (an HTML page from a proxy) is
    /// kept as the message. `header_request_id` and `header_retry_after` come from the response
    /// headers and fill in what the body lacks.
    pub fn from_response(
        status: u16,
        body: &[u8],
        header_request_id: Option<&str>,
        header_retry_after: Option<Duration>,
    ) -> Self {
        let mut api = match serde_json::from_slice::<ApiErrorBody>(body) {
            Ok(api) => api,
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                let text: String = text.trim().chars().take(300).collect();
                ApiErrorBody {
                    status,
                    code: String::new(),
                    message: if text.is_empty() {
                        "(empty body)".to_owned()
                    } else {
                        text
                    },
                    request_id: None,
                    additional_data: None,
                }
            }
        };
        api.status = status;
        if api.request_id.is_none() {
            api.request_id = header_request_id.map(str::to_owned);
        }
        let kind = kind_for(status, &api, header_retry_after);
        Self(Box::new(ErrorInner {
            kind,
            api: Some(api),
            operation: None,
            detail: None,
            source: None,
        }))
    }

    /// A transport failure (no HTTP answer).
    pub fn transport(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(ErrorInner {
            kind: ErrorKind::Transport,
            api: None,
            operation: None,
            detail: None,
            source: Some(Box::new(source)),
        }))
    }

    /// A response body that did not decode, naming the JSON path.
    pub fn decode(path: impl Into<String>, source: serde_json::Error) -> Self {
        Self(Box::new(ErrorInner {
            kind: ErrorKind::Decode { path: path.into() },
            api: None,
            operation: None,
            detail: None,
            source: Some(Box::new(source)),
        }))
    }

    /// A request not sent because Notion's rate-limit penalty (an earlier 429/529's
    /// `Retry-After`) still runs for `retry_after`, longer than the client waits.
    pub fn rate_limit_pending(retry_after: Duration) -> Self {
        Self(Box::new(ErrorInner {
            kind: ErrorKind::RateLimited {
                retry_after: Some(retry_after),
            },
            api: None,
            operation: None,
            detail: None,
            source: None,
        }))
    }

    /// A request that was refused before sending, with a message saying what to fix.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self(Box::new(ErrorInner {
            kind: ErrorKind::InvalidRequest,
            api: None,
            operation: None,
            detail: Some(message.into()),
            source: None,
        }))
    }

    /// Attaches the `METHOD /path/{template}` of the failing request.
    pub fn with_operation(mut self, operation: impl Into<String>) -> Self {
        self.0.operation = Some(operation.into());
        self
    }
}

/// `retry_guidance` values that say nothing was saved (the emulator's default among them).
const SAFE_TO_RETRY: [&str; 3] = ["safe_to_retry", "retry", "retryable"];

/// Notion's word on a write answered 503 that may have been saved (see
/// [`NotionError::saved_guidance`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SavedGuidance {
    /// `additional_data.retry_guidance`, as Notion sent it.
    pub retry_guidance: Option<String>,
    /// `additional_data.committed_resource_id`: the object the write created or changed.
    pub committed_resource_id: Option<String>,
    /// `additional_data.committed_child_ids`: blocks an append saved.
    pub committed_child_ids: Vec<String>,
}

/// Notion's `rate_limit_reason` for an integration whose requests are blocked (never retry).
pub(crate) const REQUEST_BLOCKED: &str = "public_api_request_blocked";

fn kind_for(status: u16, api: &ApiErrorBody, header_retry_after: Option<Duration>) -> ErrorKind {
    let blocked = api.additional_str("rate_limit_reason") == Some(REQUEST_BLOCKED);
    match status {
        403 | 429 | 529 if blocked => ErrorKind::RequestBlocked,
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Restricted,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        429 | 529 => ErrorKind::RateLimited {
            retry_after: header_retry_after.or_else(|| body_retry_after(api)),
        },
        400..=499 => ErrorKind::Validation,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Unexpected,
    }
}

/// `additional_data.retry_after` (a string or number of whole seconds).
pub(crate) fn body_retry_after(api: &ApiErrorBody) -> Option<Duration> {
    let value = api.additional_data.as_ref()?.get("retry_after")?;
    let secs = match value {
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok()?,
        serde_json::Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

impl fmt::Display for NotionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self
            .0
            .operation
            .as_deref()
            .map(|op| format!(" ({op})"))
            .unwrap_or_default();
        match (&self.0.kind, &self.0.api) {
            (ErrorKind::Transport, _) => {
                write!(f, "could not reach Notion{op}")?;
                if let Some(source) = &self.0.source {
                    write!(f, ": {source}")?;
                }
                Ok(())
            }
            (ErrorKind::Decode { path }, _) => write!(
                f,
                "Notion's response{op} did not have the expected shape at `{path}`; the API may have changed"
            ),
            (ErrorKind::InvalidRequest, _) => write!(
                f,
                "invalid Notion request{op}: {}",
                self.0.detail.as_deref().unwrap_or("refused before sending")
            ),
            (kind, Some(api)) => {
                let code = if api.code.is_empty() {
                    String::new()
                } else {
                    format!(" {}", api.code)
                };
                write!(
                    f,
                    "Notion answered {}{code}{op}: {}",
                    api.status, api.message
                )?;
                match kind {
                    ErrorKind::NotFound => write!(
                        f,
                        " (Notion says 'not found' when the page or database is not shared with the integration: open it in Notion, then ••• → Connections, and add the integration)"
                    )?,
                    ErrorKind::Unauthorized => write!(
                        f,
                        " (check that the Notion token is correct and not revoked)"
                    )?,
                    ErrorKind::Restricted => write!(
                        f,
                        " (give the integration the needed capabilities, or share the object with it)"
                    )?,
                    ErrorKind::RateLimited {
                        retry_after: Some(wait),
                    } => write!(f, " (retry after {} s)", wait.as_secs_f64())?,
                    ErrorKind::RequestBlocked => write!(
                        f,
                        " (Notion has blocked this integration's API requests ({REQUEST_BLOCKED}); retrying will not help: check the integration in Notion's integration settings and the workspace's plan, or contact Notion support, then sync again)"
                    )?,
                    _ => {}
                }
                if let Some(saved) = self.saved_guidance() {
                    write!(f, " (Notion says the write may have been saved")?;
                    if let Some(guidance) = &saved.retry_guidance {
                        write!(f, "; retry_guidance {guidance}")?;
                    }
                    if let Some(id) = &saved.committed_resource_id {
                        write!(f, "; committed_resource_id {id}")?;
                    }
                    write!(f, ": it was not repeated; read the object again to see)")?;
                }
                if let Some(id) = &api.request_id {
                    write!(f, " [request_id {id}]")?;
                }
                Ok(())
            }
            (
                ErrorKind::RateLimited {
                    retry_after: Some(wait),
                },
                None,
            ) => write!(
                f,
                "Notion is rate limiting this integration{op}: the request was not sent; retry after {} s",
                wait.as_secs_f64().ceil()
            ),
            (kind, None) => write!(f, "Notion request failed{op}: {kind:?}"),
        }
    }
}

impl From<crate::id::IdParseError> for NotionError {
    fn from(err: crate::id::IdParseError) -> Self {
        Self(Box::new(ErrorInner {
            kind: ErrorKind::InvalidRequest,
            api: None,
            operation: None,
            detail: Some(err.to_string()),
            source: Some(Box::new(err)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, body: &str) -> NotionError {
        NotionError::from_response(status, body.as_bytes(), None, None)
    }

    #[test]
    fn kinds_follow_status() {
        let cases = [
            (400, ErrorKind::Validation),
            (401, ErrorKind::Unauthorized),
            (403, ErrorKind::Restricted),
            (404, ErrorKind::NotFound),
            (409, ErrorKind::Conflict),
            (413, ErrorKind::Validation),
            (500, ErrorKind::Server),
            (502, ErrorKind::Server),
            (503, ErrorKind::Server),
            (504, ErrorKind::Server),
            (302, ErrorKind::Unexpected),
        ];
        for (status, kind) in cases {
            let e = err(
                status,
                &format!(r#"{{"object":"error","status":{status},"code":"x","message":"m"}}"#),
            );
            assert_eq!(e.kind(), &kind, "{status}");
        }
    }

    #[test]
    fn rate_limit_wait_comes_from_header_then_body() {
        let body = r#"{"object":"error","status":429,"code":"rate_limited","message":"slow down","additional_data":{"retry_after":"7","rate_limit_reason":"public_api_request_rate_limit"}}"#;
        let from_body = err(429, body);
        assert_eq!(from_body.retry_after(), Some(Duration::from_secs(7)));
        let from_header =
            NotionError::from_response(429, body.as_bytes(), None, Some(Duration::from_secs(3)));
        assert_eq!(from_header.retry_after(), Some(Duration::from_secs(3)));
        assert!(from_header.is_transient());
        assert!(from_header.to_string().contains("retry after 3 s"));
        let overload = err(
            529,
            r#"{"code":"service_overload","message":"busy","status":529}"#,
        );
        assert_eq!(
            overload.kind(),
            &ErrorKind::RateLimited { retry_after: None }
        );
    }

    #[test]
    fn a_503_saying_saved_carries_the_guidance() {
        let saved = err(
            503,
            r#"{"object":"error","status":503,"code":"service_unavailable","message":"Notion is unavailable","additional_data":{"retry_guidance":"do_not_retry_read_again","committed_resource_id":"p1"}}"#,
        );
        let guidance = saved.saved_guidance().unwrap();
        assert_eq!(
            guidance.retry_guidance.as_deref(),
            Some("do_not_retry_read_again")
        );
        assert_eq!(guidance.committed_resource_id.as_deref(), Some("p1"));
        let text = saved.to_string();
        assert!(text.contains("may have been saved"), "{text}");
        assert!(text.contains("committed_resource_id p1"), "{text}");
        let safe = err(
            503,
            r#"{"object":"error","status":503,"code":"service_unavailable","message":"x","additional_data":{"retry_guidance":"safe_to_retry"}}"#,
        );
        assert_eq!(safe.saved_guidance(), None);
        let plain = err(
            503,
            r#"{"object":"error","status":503,"code":"service_unavailable","message":"x"}"#,
        );
        assert_eq!(plain.saved_guidance(), None);
    }

    #[test]
    fn not_found_message_reminds_about_sharing() {
        let e = err(
            404,
            r#"{"object":"error","status":404,"code":"object_not_found","message":"Could not find page","request_id":"r-1"}"#,
        )
        .with_operation("GET /v1/pages/{page_id}");
        let text = e.to_string();
        assert!(text.contains("not shared with the integration"), "{text}");
        assert!(text.contains("GET /v1/pages/{page_id}"), "{text}");
        assert!(text.contains("r-1"), "{text}");
        assert_eq!(e.request_id(), Some("r-1"));
        assert!(!e.is_transient());
    }

    #[test]
    fn non_json_bodies_are_kept_as_message() {
        let e = NotionError::from_response(502, b"<html>Bad Gateway</html>", Some("hdr-id"), None);
        assert_eq!(e.kind(), &ErrorKind::Server);
        assert_eq!(e.message(), Some("<html>Bad Gateway</html>"));
        assert_eq!(e.request_id(), Some("hdr-id"));
        assert_eq!(e.code(), None);
    }
}
