//! Request extractors whose failures are JSON 400s naming the field, never 500s.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use jiff::Timestamp;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{PartialSchema, ToSchema};

use crate::error::ApiError;

/// Largest JSON body accepted, in bytes.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// A JSON body decoded with [`serde_path_to_error`], so a wrong type, a missing field or an
/// unknown field is a 400 that names the field. Bodies over [`MAX_JSON_BODY`] are a 413.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json_content_type(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body
                .await
                .map_err(|error| match error.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => too_large(),
                    _ => ApiError::BadRequest {
                        field: None,
                        message: format!("the request body could not be read: {error}"),
                    },
                })?;
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                ));
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(ApiError::BadRequest {
                    field: None,
                    message: "the request body is empty: send a JSON object".into(),
                });
            }
            decode_json(&bytes).map(ApiJson)
        })
    }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the request body is larger than the limit of {} KiB",
        MAX_JSON_BODY / 1024
    ))
}

/// Decodes a JSON object, naming the offending field on failure.
///
/// Only an object is accepted: serde would otherwise read a struct from an array of its fields in
/// order (`[null, null]` as an empty patch), which the OpenAPI document does not allow.
pub(crate) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') && serde_json::from_slice::<de::IgnoredAny>(bytes).is_ok()
    {
        return Err(ApiError::BadRequest {
            field: None,
            message: "the request body must be a JSON object ({\"field\": value, …})".into(),
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        json_error(&path, &inner)
    })?;
    deserializer.end().map_err(|error| ApiError::BadRequest {
        field: None,
        message: format!("the request body is not valid JSON: {error}"),
    })?;
    Ok(value)
}

fn json_error(path: &str, error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::BadRequest {
            field: None,
            message: format!("the request body is not valid JSON: {error}"),
        },
        Category::Data => {
            let text = error.to_string();
            let field = if path.is_empty() || path == "." {
                // Missing and unknown fields are reported at the parent: take the name from the
                // message (`missing field `title``, `unknown field `x`, expected …`).
                text.split('`').nth(1).map(str::to_owned)
            } else {
                Some(path.to_owned())
            };
            let message = match &field {
                Some(field) if !text.contains(&format!("`{field}`")) => {
                    format!("invalid value for field `{field}`: {text}")
                }
                _ => text.clone(),
            };
            ApiError::BadRequest { field, message }
        }
    }
}

/// The error handler of actix's `JsonConfig` (for any `web::Json` extractor).
pub(crate) fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_JSON_BODY)
        .error_handler(|error, _req| {
            match error {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => too_large(),
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                ),
                JsonPayloadError::Deserialize(inner) => json_error("", &inner),
                other => ApiError::BadRequest {
                    field: None,
                    message: format!("the request body could not be read: {other}"),
                },
            }
            .into()
        })
}

/// The error handler of actix's `QueryConfig`.
pub(crate) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _req| {
        let QueryPayloadError::Deserialize(inner) = error else {
            return ApiError::BadRequest {
                field: None,
                message: "the query string is malformed".into(),
            }
            .into();
        };
        let text = inner.to_string();
        ApiError::BadRequest {
            field: text.split('`').nth(1).map(str::to_owned),
            message: format!("invalid query string: {text}"),
        }
        .into()
    })
}

/// The error handler of actix's `PathConfig`.
pub(crate) fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error: PathError, _req| {
        ApiError::BadRequest {
            field: None,
            message: format!("invalid path parameter: {error}"),
        }
        .into()
    })
}

/// The `PayloadConfig` that bounds every raw body (used by [`ApiJson`]).
pub(crate) fn payload_config() -> web::PayloadConfig {
    web::PayloadConfig::new(MAX_JSON_BODY)
}

/// An instant in a request body: an RFC 3339 string with an offset (`2026-03-01T09:00:00Z`) or
/// integer Unix seconds (`1772355600`).
/// Instants run from [`Instant::EARLIEST`] to [`Timestamp::MAX`] (9999-12-30T22:00:00Z).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant(pub Timestamp);

impl Instant {
    /// The earliest instant accepted, 0000-01-01T00:00:00Z: responses write instants in RFC 3339,
    /// whose years run from 0000 to 9999, so an earlier one could be stored but not shown.
    pub const EARLIEST: Timestamp = Timestamp::constant(-62_167_219_200, 0);

    fn checked(timestamp: Timestamp, input: &dyn std::fmt::Display) -> Result<Self, String> {
        if timestamp < Self::EARLIEST {
            Err(format!(
                "{input} is before 0000-01-01T00:00:00Z, the earliest instant accepted"
            ))
        } else {
            Ok(Self(timestamp))
        }
    }
}

/// The schema says what the deserializer below accepts: a `date-time` string or whole seconds
/// within the range of [`Timestamp`] (fractional numbers are refused).
impl PartialSchema for Instant {
    fn schema() -> RefOr<Schema> {
        let text = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some(
                "RFC 3339 with an offset, from 0000-01-01T00:00:00Z to 9999-12-30T22:00:00Z",
            ));
        let seconds = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(Self::EARLIEST.as_second()))
            .maximum(Some(Timestamp::MAX.as_second()))
            .description(Some(
                "Unix seconds: a whole number (`1772355600` or `1772355600.0`, not `1.5`)",
            ));
        OneOfBuilder::new()
            .item(text)
            .item(seconds)
            .description(Some(
                "An instant: an RFC 3339 string with an offset, or integer Unix seconds.",
            ))
            .into()
    }
}

impl ToSchema for Instant {}

impl<'de> de::Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InstantVisitor;
        const EXPECTED: &str = "an RFC 3339 instant with an offset (e.g. 2026-03-01T09:00:00Z) or integer Unix seconds";

        impl Visitor<'_> for InstantVisitor {
            type Value = Instant;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(EXPECTED)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Instant, E> {
                crate::time::check_offset(text).map_err(E::custom)?;
                let timestamp = text
                    .trim()
                    .parse::<Timestamp>()
                    .map_err(|error| E::custom(format!("{text:?} is not {EXPECTED}: {error}")))?;
                Instant::checked(timestamp, &format_args!("{text:?}")).map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Instant, E> {
                let timestamp = Timestamp::from_second(seconds).map_err(|_| {
                    E::custom(format!(
                        "{seconds} is outside the supported range of Unix seconds"
                    ))
                })?;
                Instant::checked(timestamp, &seconds).map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Instant, E> {
                let seconds = i64::try_from(seconds).map_err(|_| {
                    E::custom(format!(
                        "{seconds} is outside the supported range of Unix seconds"
                    ))
                })?;
                self.visit_i64(seconds)
            }

            // JSON has one number type: `1772355600.0` is the integer JSON Schema calls it.
            fn visit_f64<E: de::Error>(self, seconds: f64) -> Result<Instant, E> {
                // Beyond ±2^63 the cast saturates; those are out of range for `Timestamp` anyway.
                if seconds.fract() == 0.0 && seconds.abs() < 9.2e18 {
                    return self.visit_i64(seconds as i64);
                }
                Err(E::custom(format!(
                    "{seconds} is not {EXPECTED}: Unix seconds must be a whole number"
                )))
            }
        }

        deserializer.deserialize_any(InstantVisitor)
    }
}

/// Parses a `limit` query value: `default` when omitted, else an integer from 1 to `max` (an
/// empty `limit=` is refused like any other non-integer, as the OpenAPI document says).
pub(crate) fn parse_limit(raw: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    let Some(raw) = raw.map(str::trim) else {
        return Ok(default);
    };
    match raw.parse::<u32>() {
        Ok(limit) if (1..=max).contains(&limit) => Ok(limit),
        _ => Err(ApiError::invalid(
            "limit",
            format!("limit must be an integer between 1 and {max}, got {raw:?}"),
        )),
    }
}

/// Parses an election id from the path, naming the parameter on failure.
pub(crate) fn parse_election_id(raw: &str) -> Result<sync_engine::ElectionId, ApiError> {
    sync_engine::ElectionId::parse(raw).map_err(|error| ApiError::invalid("id", error.to_string()))
}

/// Whether a request's body is declared JSON (`application/json` or a `+json` type, with any
/// parameters); a request without a `Content-Type` is read as JSON too, as everywhere in this API.
pub(crate) fn is_json_content_type(req: &HttpRequest) -> bool {
    match req.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => value.to_str().is_ok_and(|v| {
            let essence = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        }),
    }
}
