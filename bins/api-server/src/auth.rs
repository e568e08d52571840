//! Bearer-token authentication of the `/admin` API.

use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;
use crate::throttle::{MAX_FAILURES, SignInThrottle, Verdict, WINDOW};

/// Whether `headers` carry `Authorization: Bearer <expected>`.
///
/// The token is compared in constant time (`subtle`), so the time taken does not reveal how many
/// leading characters were right; only its length can be inferred. The token is never logged.
pub fn is_authorized(headers: &HeaderMap, expected: &SecretString) -> bool {
    let Some(given) = bearer_token(headers) else {
        return false;
    };
    let expected = expected.expose_secret().as_bytes();
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected))
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Middleware of the `/admin` scope: 401 unless the request carries the admin bearer token; 429
/// while its client address is throttled for sending too many wrong tokens (src/throttle.rs).
pub(crate) async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let now = Instant::now();
    let throttle = req.app_data::<web::Data<SignInThrottle>>().cloned();
    let client = req.peer_addr().map(|addr| addr.ip());
    // Only requests that carry a token are held: one without any is no guess, and its 401 says
    // nothing a guesser could use.
    let has_token = req.headers().contains_key(AUTHORIZATION);
    if let (Some(throttle), Some(client), true) = (&throttle, client, has_token)
        && let Verdict::Blocked(wait) = throttle.check(client, now)
    {
        let wait = Duration::from_secs(wait.as_secs_f64().ceil().max(1.0) as u64);
        let response = ApiError::TooManyFailedLogins {
            message: format!(
                "too many wrong admin tokens from this address ({MAX_FAILURES} within {} s): \
                 try again in {} s with the right token (ADMIN_TOKEN)",
                WINDOW.as_secs(),
                wait.as_secs()
            ),
            retry_after: wait,
        }
        .error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    let authorized = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| is_authorized(req.headers(), &state.admin_token));
    if authorized {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let message = if req.headers().contains_key(AUTHORIZATION) {
        // A guess (a request without any token is not one: the page asks before signing in).
        if let (Some(throttle), Some(client)) = (&throttle, client) {
            throttle.record_failure(client, now);
        }
        tracing::info!(client = ?client, "a wrong admin token was sent");
        "the admin token is wrong: send Authorization: Bearer <ADMIN_TOKEN>"
    } else {
        "authentication required: send Authorization: Bearer <ADMIN_TOKEN>"
    };
    let response = ApiError::Unauthorized(message.to_owned()).error_response();
    Ok(req.into_response(response).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let token = SecretString::from("s3cret-token");
        assert!(is_authorized(&headers("Bearer s3cret-token"), &token));
        assert!(is_authorized(&headers("bearer  s3cret-token "), &token));
        for wrong in [
            "Bearer s3cret-toke",
            "Bearer s3cret-token2",
            "Basic s3cret-token",
            "s3cret-token",
            "Bearer ",
        ] {
            assert!(!is_authorized(&headers(wrong), &token), "{wrong}");
        }
        assert!(!is_authorized(&HeaderMap::new(), &token));
        assert!(!is_authorized(
            &headers("Bearer "),
            &SecretString::from(String::new())
        ));
    }
}
