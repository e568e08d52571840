//! Error responses that read the same on every route, as reusable OpenAPI response components
//! (`#/components/responses/…`), so their headers are documented once.

use utoipa::ToResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

/// An `ErrorResponse` body with `description` and no headers.
fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorResponse")))
            .build(),
    )
}

/// 401 of every `/admin` route, with its `WWW-Authenticate` challenge.
pub(crate) struct Unauthorized;

impl<'r> ToResponse<'r> for Unauthorized {
    fn response() -> (&'r str, RefOr<Response>) {
        let challenge = HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .description(Some("Always `Bearer realm=\"admin\"`"))
            .build();
        (
            "Unauthorized",
            error_response("Missing or wrong admin token (`unauthorized`)")
                .header("WWW-Authenticate", challenge)
                .build()
                .into(),
        )
    }
}

/// 429 of every `/admin` route: the client address sent too many wrong admin tokens.
pub(crate) struct TooManyFailedLogins;

impl<'r> ToResponse<'r> for TooManyFailedLogins {
    fn response() -> (&'r str, RefOr<Response>) {
        let retry_after = HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
            .description(Some("Seconds until this address may try again"))
            .build();
        (
            "TooManyFailedLogins",
            error_response(
                "This address sent too many wrong admin tokens (`too_many_failed_logins`): every \
                 request with a token is refused until `retry_after` seconds have passed",
            )
            .header("Retry-After", retry_after)
            .build()
            .into(),
        )
    }
}

/// 413 of the routes that take a JSON body.
pub(crate) struct PayloadTooLarge;

impl<'r> ToResponse<'r> for PayloadTooLarge {
    fn response() -> (&'r str, RefOr<Response>) {
        (
            "PayloadTooLarge",
            error_response("Body over 64 KiB (`payload_too_large`)")
                .build()
                .into(),
        )
    }
}

/// 415 of the routes that take a JSON body.
pub(crate) struct UnsupportedMediaType;

impl<'r> ToResponse<'r> for UnsupportedMediaType {
    fn response() -> (&'r str, RefOr<Response>) {
        (
            "UnsupportedMediaType",
            error_response(
                "Body sent with a Content-Type other than `application/json` or `*+json` \
                 (`unsupported_media_type`)",
            )
            .build()
            .into(),
        )
    }
}

/// 502 of the routes that call Notion.
pub(crate) struct NotionFailed;

impl<'r> ToResponse<'r> for NotionFailed {
    fn response() -> (&'r str, RefOr<Response>) {
        (
            "NotionFailed",
            error_response(
                "Notion refused or failed, or could not be reached: `code` is Notion's own (or \
                 `notion_unreachable`), `notion_status` Notion's HTTP status",
            )
            .build()
            .into(),
        )
    }
}

/// 503 of the routes that call Notion, with `Retry-After` when Notion asked to wait.
pub(crate) struct NotionUnavailable;

impl<'r> ToResponse<'r> for NotionUnavailable {
    fn response() -> (&'r str, RefOr<Response>) {
        let retry_after = HeaderBuilder::new()
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            ))
            .description(Some(
                "Seconds to wait before trying again (the same as `error.retry_after`): sent when \
                 Notion rate-limited the request or said how long to wait",
            ))
            .build();
        (
            "NotionUnavailable",
            error_response(
                "Notion is rate limiting the integration (`rate_limited`), overloaded or \
                 unavailable: try again after `Retry-After` seconds",
            )
            .header("Retry-After", retry_after)
            .build()
            .into(),
        )
    }
}
