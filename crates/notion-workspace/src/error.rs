//! Notion's error body and the constructors for the errors the emulator returns.

use serde_json::{Value, json};

/// An error response in Notion's shape: `{object:"error", status, code, message, request_id}`.
/// Every workspace operation fails with one, so the HTTP layer answers it as it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// The HTTP status (400, 404, 429...).
    pub status: u16,
    /// Notion's error `code` (`validation_error`, `object_not_found`...).
    pub code: String,
    /// Notion's human-readable `message`.
    pub message: String,
    /// `additional_data`, when Notion sends one (the integration id of a 404, `retry_guidance`...).
    pub additional_data: Option<Value>,
    /// Seconds for the `Retry-After` header (429 and 529).
    pub retry_after: Option<u64>,
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            additional_data: None,
            retry_after: None,
        }
    }

    /// Adds `additional_data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.additional_data = Some(data);
        self
    }

    /// 400 `validation_error` with this message.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "validation_error", message)
    }

    /// ``body failed validation: <path> should be <expected>, instead was `<actual>`.``
    pub fn body_validation(path: &str, expected: &str, actual: &Value) -> Self {
        let actual = match actual {
            Value::Null => "null".to_owned(),
            other => serde_json::to_string(other).unwrap_or_default(),
        };
        Self::validation(format!(
            "body failed validation: {path} should be {expected}, instead was `{actual}`."
        ))
    }

    /// 400 `invalid_request_url`: no such route (or not in this Notion-Version).
    pub fn invalid_request_url() -> Self {
        Self::new(400, "invalid_request_url", "Invalid request URL.")
    }

    /// 400 `invalid_json`: the body does not parse.
    pub fn invalid_json() -> Self {
        Self::new(400, "invalid_json", "Error parsing JSON body.")
    }

    /// 401 `unauthorized`: a missing or unknown token.
    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "API token is invalid.")
    }

    /// 403 `restricted_resource`: the integration lacks the capability.
    pub fn restricted() -> Self {
        Self::new(
            403,
            "restricted_resource",
            "API token does not have access to this resource.",
        )
    }

    /// The 404 Notion returns for missing *and* unshared objects alike.
    pub fn not_found(kind: &str, id: &str, integration_name: &str, integration_id: &str) -> Self {
        Self::new(
            404,
            "object_not_found",
            format!(
                "Could not find {kind} with ID: {id}. Make sure the relevant pages and databases are shared with your integration \"{integration_name}\"."
            ),
        )
        .with_data(json!({ "integration_id": integration_id }))
    }

    /// 429 `rate_limited` with `Retry-After` and Notion's `rate_limit_reason`.
    pub fn rate_limited(retry_after: u64, reason: &str) -> Self {
        let mut e = Self::new(
            429,
            "rate_limited",
            "You have been rate limited. Please try again in a few minutes.",
        )
        .with_data(json!({ "rate_limit_reason": reason, "retry_after": retry_after.to_string() }));
        e.retry_after = Some(retry_after);
        e
    }

    /// The body for an injected status fault.
    pub fn for_status(status: u16, retry_after: Option<u64>, retry_guidance: Option<&str>) -> Self {
        let mut e = match status {
            400 => Self::new(400, "invalid_request", "Unsupported request."),
            401 => Self::unauthorized(),
            403 => Self::restricted(),
            404 => Self::new(404, "object_not_found", "Could not find object."),
            409 => Self::new(
                409,
                "conflict_error",
                "Conflict occurred while saving. Please try again.",
            ),
            429 => {
                return Self::rate_limited(
                    retry_after.unwrap_or(1),
                    "public_api_request_rate_limit",
                );
            }
            500 => Self::new(500, "internal_server_error", "Unexpected error occurred."),
            502 => Self::new(502, "bad_gateway", "Bad Gateway"),
            503 => Self::new(
                503,
                "service_unavailable",
                "Notion is unavailable, please try again later.",
            )
            .with_data(json!({ "retry_guidance": retry_guidance.unwrap_or("safe_to_retry") })),
            504 => Self::new(504, "gateway_timeout", "Gateway Timeout"),
            529 => {
                let secs = retry_after.unwrap_or(1);
                let mut e = Self::new(
                    529,
                    "service_overload",
                    "Notion is overloaded, please try again later.",
                )
                .with_data(json!({ "retry_after": secs.to_string() }));
                e.retry_after = Some(secs);
                return e;
            }
            other => Self::new(other, "internal_server_error", "Unexpected error occurred."),
        };
        if let Some(secs) = retry_after {
            e.retry_after = Some(secs);
            let data = e.additional_data.get_or_insert_with(|| json!({}));
            data["retry_after"] = Value::String(secs.to_string());
        }
        e
    }

    /// The JSON body, with the request id.
    pub fn body(&self, request_id: &str) -> Value {
        let mut body = json!({
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": request_id,
        });
        if let Some(data) = &self.additional_data {
            body["additional_data"] = data.clone();
        }
        body
    }
}
