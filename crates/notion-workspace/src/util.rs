//! Small helpers: ids, time formatting, a seeded random generator.

use jiff::Timestamp;
use uuid::Uuid;

/// Parses an id given with or without dashes.
pub fn parse_id(raw: &str) -> Option<Uuid> {
    let raw = raw.trim();
    if raw.len() != 32 && raw.len() != 36 {
        return None;
    }
    Uuid::parse_str(raw).ok()
}

/// The dashed lowercase form Notion returns.
pub fn fmt_id(id: Uuid) -> String {
    id.hyphenated().to_string()
}

/// `2026-07-04T09:08:00.000Z`: page and block times, truncated to the minute.
pub fn fmt_minute(ts: Timestamp) -> String {
    let secs = ts.as_second().div_euclid(60) * 60;
    let ts = Timestamp::from_second(secs).unwrap_or(ts);
    ts.strftime("%Y-%m-%dT%H:%M:00.000Z").to_string()
}

/// Truncates to the minute (what pages store).
pub fn truncate_minute(ts: Timestamp) -> Timestamp {
    let secs = ts.as_second().div_euclid(60) * 60;
    Timestamp::from_second(secs).unwrap_or(ts)
}

/// `2026-07-04T09:08:57.778Z`: millisecond precision (comments, databases).
pub(crate) fn fmt_millis(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `2026-07-04T09:13:00.290+00:00`: database times, in the form the recorded database responses
/// show (milliseconds, `+00:00` rather than `Z`).
pub(crate) fn fmt_millis_offset(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

/// A small seeded generator (SplitMix64): reproducible fault probabilities and ids.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator that starts from `seed` (the same seed gives the same sequence).
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random version-4 UUID.
    pub fn uuid(&mut self) -> Uuid {
        let hi = self.next_u64().to_be_bytes();
        let lo = self.next_u64().to_be_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hi);
        bytes[8..].copy_from_slice(&lo);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// A random token of URL-safe characters.
    pub fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len)
            .map(|_| ALPHABET[(self.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// Percent-decodes a string (used for property ids, which Notion returns URL-encoded).
pub fn percent_decode(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_with_and_without_dashes() {
        let a = parse_id("393abc1eedcd81f5ae94ec2d55fe98ed").unwrap();
        let b = parse_id("393abc1e-edcd-81f5-ae94-ec2d55fe98ed").unwrap();
        assert_eq!(a, b);
        assert_eq!(fmt_id(a), "393abc1e-edcd-81f5-ae94-ec2d55fe98ed");
        assert!(parse_id("nope").is_none());
    }

    #[test]
    fn minute_formatting_truncates() {
        let ts: Timestamp = "2026-07-04T09:08:57.778Z".parse().unwrap();
        assert_eq!(fmt_minute(ts), "2026-07-04T09:08:00.000Z");
        assert_eq!(fmt_millis(ts), "2026-07-04T09:08:57.778Z");
    }
}
