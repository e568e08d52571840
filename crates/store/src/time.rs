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
