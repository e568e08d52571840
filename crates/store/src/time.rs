//! Instants as stored: INTEGER milliseconds since the Unix epoch, UTC.

use jiff::Timestamp;
use rusqlite::types::Type;

/// Millisecond value stored for `ts` (finer digits are truncated).
pub(crate) fn to_ms(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

/// The instant stored as `ms`.
pub(crate) fn from_ms(ms: i64) -> Result<Timestamp, jiff::Error> {
    Timestamp::from_millisecond(ms)
}

/// Reads a non-null instant column.
pub(crate) fn col(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Timestamp> {
    let ms: i64 = row.get(idx)?;
    from_ms(ms).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Integer, e.into()))
}

/// Reads a nullable instant column.
pub(crate) fn opt_col(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    let ms: Option<i64> = row.get(idx)?;
    ms.map(|ms| {
        from_ms(ms)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Integer, e.into()))
    })
    .transpose()
}

/// Truncates `ts` to the stored precision, so values read back compare equal.
pub fn stored_precision(ts: Timestamp) -> Timestamp {
    from_ms(to_ms(ts)).unwrap_or(ts)
}

/// A UUID v7 whose time is `now` (its random bits from the OS; no clock read): the ids the store
/// mints (elections, links, connections, runs) sort by creation time.
pub(crate) fn uuid_v7(now: Timestamp) -> uuid::Uuid {
    let secs = u64::try_from(now.as_second()).unwrap_or(0);
    let nanos = u32::try_from(now.subsec_nanosecond()).unwrap_or(0);
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, secs, nanos))
}

/// Whether `text` is 32 lowercase hex digits (a UUID's simple form, as the store mints them).
pub(crate) fn is_simple_uuid(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
