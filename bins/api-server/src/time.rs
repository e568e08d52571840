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

/// Checks that an instant written in a request ends with an RFC 3339 offset: `Z` or `±HH:MM` with
/// hours 00–23 and minutes 00–59. The parser alone would take `+25:00`, `+0100`, `+01` or a
/// `[Europe/Paris]` annotation (its grammar is wider than RFC 3339's), so an instant off by more
/// than a day, or one another RFC 3339 reader refuses, would be stored without a word.
pub(crate) fn check_offset(text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.ends_with(['Z', 'z']) {
        return Ok(());
    }
    let bytes = text.as_bytes();
    let offset = bytes.len().checked_sub(6).map(|start| &bytes[start..]);
    let valid = match offset {
        Some([sign, h1, h2, b':', m1, m2])
            if matches!(sign, b'+' | b'-')
                && [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()) =>
        {
            let hours = (h1 - b'0') * 10 + (h2 - b'0');
            let minutes = (m1 - b'0') * 10 + (m2 - b'0');
            hours < 24 && minutes < 60
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{text:?} does not end with a valid RFC 3339 offset: write Z (UTC) or ±HH:MM with \
             hours 00 to 23 and minutes 00 to 59, e.g. 2026-03-01T09:00:00Z or \
             2026-03-01T10:00:00+01:00"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_z_or_hours_and_minutes_within_a_day() {
        for ok in [
            "2026-03-01T09:00:00Z",
            "x+00:00",
            "x-23:59",
            " x+01:00 ",
            "xz",
        ] {
            assert_eq!(check_offset(ok), Ok(()), "{ok}");
        }
        for bad in [
            "x+25:00",
            "x+24:00",
            "x-99:00",
            "x+01:60",
            "x+0100",
            "x+01",
            "x",
            "",
            "x+01:00:00",
            "xZ[UTC]",
            "x+1:000",
            "x+a1:00",
        ] {
            assert!(check_offset(bad).is_err(), "{bad}");
        }
    }

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
