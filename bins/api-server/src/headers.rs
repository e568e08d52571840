//! Response headers every answer carries (browser hardening), and `HEAD` answered like `GET`.
//!
//! The docs page (`/docs/`) is where admins paste the admin token, and the admin pages keep it in
//! `sessionStorage`: no other site may frame them (clickjacking), the browser must not guess
//! content types (a JSON error read as HTML), no URL of ours leaks in a `Referer`, and the pages
//! may load nothing from another origin (a script from elsewhere could read the token).

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{
    CONTENT_SECURITY_POLICY, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;

use crate::app::DOCS_PATH;

/// The policy of the Swagger UI page (vendored in the binary): its own scripts, styles and images
/// only. Swagger UI sets inline styles from script, hence `'unsafe-inline'` for styles only (never
/// for scripts); `connect-src 'self'` lets "Try it out" call this server and nothing else.
pub(crate) const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The policy of every other answer that sets none itself (JSON, redirects, metrics): nothing may
/// run or load, and nothing may frame it. The admin pages set their own, stricter-than-docs policy.
pub(crate) const DEFAULT_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'";

/// Middleware: adds `Content-Security-Policy`, `X-Frame-Options: DENY`,
/// `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` to every response that
/// does not set them itself.
pub(crate) async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with(DOCS_PATH);
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let policy = if docs {
        DOCS_CONTENT_SECURITY_POLICY
    } else {
        DEFAULT_CONTENT_SECURITY_POLICY
    };
    for (name, value) in [
        (CONTENT_SECURITY_POLICY, policy),
        (X_FRAME_OPTIONS, "DENY"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(response)
}

/// Marks a request that came as `HEAD` and is routed as `GET`, so that errors name the method the
/// client sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoutedAsGet;

/// The method the client sent: `HEAD` for a request routed as `GET`.
pub(crate) fn sent_method(req: &actix_web::HttpRequest) -> Method {
    if req.extensions().contains::<RoutedAsGet>() {
        Method::HEAD
    } else {
        req.method().clone()
    }
}

/// Middleware: routes a `HEAD` request as the `GET` of the same URL (HTTP requires `HEAD` wherever
/// `GET` is served, and monitors probe pages with it). The connection still knows the request was
/// `HEAD`, so actix sends the status and headers of the `GET` answer (with its `Content-Length`)
/// and no body. Registered innermost, so logs and metrics still record `HEAD`.
pub(crate) async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
        req.extensions_mut().insert(RoutedAsGet);
    }
    next.call(req).await
}
