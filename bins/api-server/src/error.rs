//! The API's one error type and its JSON shape: `{"success": false, "error": {"code", "message"}}`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use store::StoreError;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    /// Always `false`.
    pub success: bool,
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for people and for programs.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code: `invalid_input`, `unauthorized`, `not_allowlisted`,
    /// `not_found`, `conflict`, `not_linked`, `page_invalid`, `payload_too_large`,
    /// `unsupported_media_type`, `uri_too_long`, `request_headers_too_large`,
    /// `too_many_failed_logins`, `store_unavailable`, `internal_error`, or Notion's own code (`rate_limited`,
    /// `object_not_found`, `service_unavailable`, …) when Notion failed.
    #[schema(example = "invalid_input")]
    pub code: String,
    /// What is wrong and how to fix it.
    #[schema(
        example = "close_at (2026-03-01T09:00:00Z) must be after open_at (2026-03-08T09:00:00Z)"
    )]
    pub message: String,
    /// The request field the error is about, when there is one (`title`, `close_at`, `id`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<String>,
    /// Notion's HTTP status, when the error comes from Notion.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub notion_status: Option<u16>,
    /// Seconds to wait before trying again (also sent as `Retry-After`): when Notion rate-limited
    /// the request, the store is unavailable, or too many wrong admin tokens came from this client.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub retry_after: Option<u64>,
}

/// Every way a request can fail. Each variant maps to one honest HTTP status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 400: the request is malformed or breaks a rule; `field` names the culprit.
    #[error("{message}")]
    BadRequest {
        /// The field, when known.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// 401: no or wrong bearer token.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the Notion database is not in `NOTION_DATABASE_ALLOWLIST`.
    #[error("{0}")]
    NotAllowlisted(String),
    /// 404: no such election, run, page or route.
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: the request clashes with the current state.
    #[error("{message}")]
    Conflict {
        /// `conflict` or a more precise code such as `not_linked`.
        code: &'static str,
        /// What clashed and what to do.
        message: String,
    },
    /// 413: the body is larger than the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: the Notion page fails validation.
    #[error("{0}")]
    PageInvalid(String),
    /// 502/503: Notion failed or is unreachable.
    #[error("{message}")]
    Notion {
        /// The status we answer with (502 or 503).
        status: StatusCode,
        /// Notion's code, or `notion_unreachable` when there was no answer.
        code: String,
        /// What failed and what to do.
        message: String,
        /// Notion's HTTP status, when Notion answered.
        notion_status: Option<u16>,
        /// How long Notion asked us to wait.
        retry_after: Option<Duration>,
    },
    /// 503: a dependency of the server (the store) is not ready.
    #[error("{0}")]
    Unavailable(String),
    /// 503 `store_unavailable`: the store is busy (another connection holds the write lock), full,
    /// deleted or replaced; `Retry-After` says when to try again.
    #[error("{message}")]
    StoreUnavailable {
        /// What is wrong with the store and what to do.
        message: String,
        /// When trying again may help.
        retry_after: Duration,
    },
    /// 414 `uri_too_long`: the URL (path and query) is longer than the server takes.
    #[error("{0}")]
    UriTooLong(String),
    /// 431 `request_headers_too_large`: the request headers are too many or too large.
    #[error("{0}")]
    HeadersTooLarge(String),
    /// 429 `too_many_failed_logins`: this client sent too many wrong admin tokens lately;
    /// `Retry-After` says when it may try again.
    #[error("{message}")]
    TooManyFailedLogins {
        /// What happened and when to try again.
        message: String,
        /// How long until the client may try again.
        retry_after: Duration,
    },
    /// 500: a bug or an environment failure. The cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 about `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A 500 for an unexpected failure (logged when rendered).
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The JSON detail of this error.
    pub fn detail(&self) -> ErrorDetail {
        let (code, field, notion_status, retry_after) = match self {
            Self::BadRequest { field, .. } => {
                ("invalid_input".to_owned(), field.clone(), None, None)
            }
            Self::Unauthorized(_) => ("unauthorized".to_owned(), None, None, None),
            Self::NotAllowlisted(_) => ("not_allowlisted".to_owned(), None, None, None),
            Self::NotFound(_) => ("not_found".to_owned(), None, None, None),
            Self::MethodNotAllowed(_) => ("method_not_allowed".to_owned(), None, None, None),
            Self::Conflict { code, .. } => ((*code).to_owned(), None, None, None),
            Self::PayloadTooLarge(_) => ("payload_too_large".to_owned(), None, None, None),
            Self::UnsupportedMediaType(_) => {
                ("unsupported_media_type".to_owned(), None, None, None)
            }
            Self::PageInvalid(_) => ("page_invalid".to_owned(), None, None, None),
            Self::Notion {
                code,
                notion_status,
                retry_after,
                ..
            } => (
                code.clone(),
                None,
                *notion_status,
                retry_after.map(whole_seconds),
            ),
            Self::Unavailable(_) => ("unavailable".to_owned(), None, None, None),
            Self::StoreUnavailable { retry_after, .. } => (
                "store_unavailable".to_owned(),
                None,
                None,
                Some(whole_seconds(*retry_after)),
            ),
            Self::UriTooLong(_) => ("uri_too_long".to_owned(), None, None, None),
            Self::HeadersTooLarge(_) => ("request_headers_too_large".to_owned(), None, None, None),
            Self::TooManyFailedLogins { retry_after, .. } => (
                "too_many_failed_logins".to_owned(),
                None,
                None,
                Some(whole_seconds(*retry_after)),
            ),
            Self::Internal(_) => ("internal_error".to_owned(), None, None, None),
        };
        let message = match self {
            Self::Internal(_) => {
                "internal error: the server failed unexpectedly; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        ErrorDetail {
            code,
            message,
            field,
            notion_status,
            retry_after,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotAllowlisted(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PageInvalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Notion { status, .. } => *status,
            Self::Unavailable(_) | Self::StoreUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::TooManyFailedLogins { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(error) = self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        let detail = self.detail();
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = detail.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.insert_header((header::RETRY_AFTER, value));
        }
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"admin\""),
            ));
        }
        response.json(ErrorResponse {
            success: false,
            error: detail,
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { what, id } => Self::NotFound(format!("{what} '{id}' not found")),
            StoreError::Invalid { field, message } => Self::invalid(field, message),
            StoreError::Conflict { message } => Self::Conflict {
                code: "conflict",
                message,
            },
            other if other.kind().is_unavailable() => store_unavailable(&other),
            other => Self::internal(other),
        }
    }
}

/// A 503 `store_unavailable` for a busy, full, deleted or replaced store, with `Retry-After`: 1 s
/// when another connection holds the lock (it is usually released within that), 30 s when an
/// operator must act (free space, restore the file).
pub(crate) fn store_unavailable(error: &StoreError) -> ApiError {
    let retry_after = if error.kind().is_retryable() { 1 } else { 30 };
    tracing::warn!(%error, "the store cannot take requests now");
    ApiError::StoreUnavailable {
        message: format!("the store cannot take this request now: {error}"),
        retry_after: Duration::from_secs(retry_after),
    }
}

/// `duration` in whole seconds, rounded up (a `Retry-After` of 0 would invite an immediate retry).
fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs_f64().ceil() as u64
}

/// Maps a Notion failure to 404 (the object is missing or not shared), 502 (Notion refused or
/// failed) or 503 (rate limited or overloaded: try again after `retry_after`), keeping Notion's
/// status, code and message.
pub fn from_notion(error: &notion_client::NotionError) -> ApiError {
    use notion_client::ErrorKind;
    let notion_status = error.status();
    let notion_says = error
        .message()
        .map(|m| format!(" (Notion said: {m})"))
        .unwrap_or_default();
    let (status, default_code, message) = match error.kind() {
        ErrorKind::RateLimited { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "rate_limited",
            "Notion is rate limiting this integration; try again after retry_after seconds"
                .to_owned(),
        ),
        ErrorKind::RequestBlocked => (
            StatusCode::BAD_GATEWAY,
            "request_blocked",
            "Notion has blocked this integration's API requests (public_api_request_blocked); \
             retrying will not help: check the integration in Notion's integration settings and \
             the workspace's plan, or contact Notion support"
                .to_owned(),
        ),
        ErrorKind::Unauthorized => (
            StatusCode::BAD_GATEWAY,
            "unauthorized",
            "Notion rejected the integration token: check NOTION_API_KEY".to_owned(),
        ),
        ErrorKind::Restricted => (
            StatusCode::BAD_GATEWAY,
            "restricted_resource",
            "the Notion integration lacks a capability or access to this object: check its \
             capabilities and the page's Connections"
                .to_owned(),
        ),
        ErrorKind::NotFound => (
            StatusCode::NOT_FOUND,
            "object_not_found",
            "Notion has no such object, or it is not shared with the integration: open it in \
             Notion, ••• → Connections, and add the integration"
                .to_owned(),
        ),
        ErrorKind::Validation => (
            StatusCode::BAD_GATEWAY,
            "validation_error",
            "Notion rejected the request".to_owned(),
        ),
        ErrorKind::Conflict => (
            StatusCode::SERVICE_UNAVAILABLE,
            "conflict_error",
            "Notion reported a conflicting edit; try again".to_owned(),
        ),
        ErrorKind::Server if matches!(notion_status, Some(503 | 529)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Notion is unavailable; try again later".to_owned(),
        ),
        ErrorKind::Server => (
            StatusCode::BAD_GATEWAY,
            "internal_server_error",
            "Notion failed to answer; try again later".to_owned(),
        ),
        ErrorKind::Transport => (
            StatusCode::BAD_GATEWAY,
            "notion_unreachable",
            "Notion could not be reached: check NOTION_API_BASE and the network".to_owned(),
        ),
        _ => (
            StatusCode::BAD_GATEWAY,
            "notion_error",
            "Notion answered in an unexpected way".to_owned(),
        ),
    };
    ApiError::Notion {
        status,
        // Notion's own code for a blocked integration is `rate_limited`, which reads as "retry":
        // ours says it is not.
        code: match error.kind() {
            ErrorKind::RequestBlocked => default_code,
            _ => error.code().unwrap_or(default_code),
        }
        .to_owned(),
        message: format!("{message}{notion_says}"),
        notion_status,
        retry_after: error.retry_after().or(match error.kind() {
            ErrorKind::RateLimited { .. } => Some(Duration::from_secs(1)),
            _ => None,
        }),
    }
}

impl From<sync_driver::DriverError> for ApiError {
    fn from(error: sync_driver::DriverError) -> Self {
        use sync_driver::DriverError;
        match error {
            DriverError::NotFound { what, id } => {
                Self::NotFound(format!("{what} '{id}' not found"))
            }
            error @ DriverError::NotAllowlisted { .. } => Self::NotAllowlisted(error.to_string()),
            DriverError::InvalidInput { field, message } => Self::invalid(field, message),
            DriverError::Validation(message) => Self::PageInvalid(message),
            error @ DriverError::NotLinked(_) => Self::Conflict {
                code: "not_linked",
                message: error.to_string(),
            },
            error @ DriverError::PageTaken { .. } => Self::Conflict {
                code: "page_already_linked",
                message: error.to_string(),
            },
            error @ DriverError::LeaseHeld { .. } => Self::Conflict {
                code: "sync_in_progress",
                message: error.to_string(),
            },
            error @ DriverError::ConnectionUnavailable { .. } => Self::Conflict {
                code: "connection_unavailable",
                message: error.to_string(),
            },
            DriverError::Notion(error) => from_notion(&error),
            DriverError::Store(error) => error.into(),
            other => Self::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_integration_is_a_502_request_blocked_without_a_retry_after() {
        let body = br#"{"object":"error","status":429,"code":"rate_limited","message":"Blocked.","additional_data":{"retry_after":"30","rate_limit_reason":"public_api_request_blocked"}}"#;
        let error = notion_client::NotionError::from_response(429, body, None, None);
        match from_notion(&error) {
            ApiError::Notion {
                status,
                code,
                message,
                notion_status,
                retry_after,
            } => {
                assert_eq!(status, StatusCode::BAD_GATEWAY);
                assert_eq!(code, "request_blocked");
                assert!(message.contains("retrying will not help"), "{message}");
                assert_eq!(notion_status, Some(429));
                assert_eq!(retry_after, None);
            }
            other => panic!("not a Notion error: {other:?}"),
        }
    }
}
