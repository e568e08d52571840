//! How the API writes instants: RFC 3339 in UTC with exactly millisecond precision
//! (`2026-11-21T10:29:21.250Z`), whatever precision the store or Notion gave them. Every
//! `Timestamp` field of a response serializes through [`serialize`] or [`serialize_option`], so two
//! fields never read differently for the same instant (their schema stays `date-time`).

use jiff::Timestamp;
use jiff::fmt::temporal::DateTimePrinter;
use serde::Serializer;

/// Millisecond precision; sub-millisecond digits are truncated.
const PRINTER: DateTimePrinter = DateTimePrinter::new().precision(Some(3));

/// `at` as the API writes it, e.g. `2026-11-21T10:29:21.250Z`.
pub(crate) fn format(at: Timestamp) -> String {
    PRINTER.timestamp_to_string(&at)
}

/// `#[serde(serialize_with = "crate::time::serialize")]` for a `Timestamp` field.
pub(crate) fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*at))
}

/// `#[serde(serialize_with = "crate::time::serialize_option")]` for an `Option<Timestamp>` field
/// (`null` when `None`).
pub(crate) fn serialize_option<S: Serializer>(
    at: &Option<Timestamp>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_three_fraction_digits_in_utc() {
        for (input, expected) in [
            ("2026-11-21T10:29:21Z", "2026-11-21T10:29:21.000Z"),
            ("2026-11-21T10:29:21.25Z", "2026-11-21T10:29:21.250Z"),
            ("2026-11-21T10:29:21.250694981Z", "2026-11-21T10:29:21.250Z"),
            (
                "2026-11-21T11:29:21.999999+01:00",
                "2026-11-21T10:29:21.999Z",
            ),
        ] {
            let at: Timestamp = input.parse().unwrap();
            assert_eq!(format(at), expected, "{input}");
        }
    }

    #[test]
    fn absent_instants_are_null() {
        #[derive(serde::Serialize)]
        struct Body {
            #[serde(serialize_with = "serialize_option")]
            at: Option<Timestamp>,
        }
        let json = |at| serde_json::to_string(&Body { at }).unwrap();
        assert_eq!(json(None), r#"{"at":null}"#);
        assert_eq!(
            json(Some(Timestamp::UNIX_EPOCH)),
            r#"{"at":"1970-01-01T00:00:00.000Z"}"#
        );
    }
}
