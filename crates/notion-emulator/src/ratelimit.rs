//! Per-token request budget per fixed window, on the emulator's clock.

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// A request budget per window (Notion: 180 per 60 s for most plans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed per window and token.
    pub requests: u32,
    /// Window length in seconds.
    pub window_secs: u64,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests: 180,
            window_secs: 60,
        }
    }
}

impl RateLimit {
    /// Parses `180/60s`, `180` (per 60 s) or `off` (→ `None`).
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("off") || raw.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        let (n, w) = raw.split_once('/').unwrap_or((raw, "60s"));
        let requests = n
            .trim()
            .parse()
            .map_err(|_| format!("rate limit {raw:?}: expected N/60s or off"))?;
        let w = w.trim().trim_end_matches('s');
        let window_secs = if w.is_empty() {
            1
        } else {
            w.parse()
                .map_err(|_| format!("rate limit {raw:?}: window must be seconds, e.g. 60s"))?
        };
        if window_secs == 0 || requests == 0 {
            return Err(format!(
                "rate limit {raw:?}: requests and window must be positive"
            ));
        }
        Ok(Some(Self {
            requests,
            window_secs,
        }))
    }

    /// The window as a duration.
    pub fn window(self) -> Duration {
        Duration::from_secs(self.window_secs)
    }
}

/// Window state per token.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    windows: HashMap<String, (Timestamp, u32)>,
}

impl Limiter {
    /// Counts a request; returns `Some(retry_after_secs)` when over budget.
    pub(crate) fn check(&mut self, limit: RateLimit, token: &str, now: Timestamp) -> Option<u64> {
        let window = SignedDuration::from_secs(limit.window_secs as i64);
        let entry = self.windows.entry(token.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window || now < entry.0 {
            *entry = (now, 0);
        }
        if entry.1 >= limit.requests {
            let left = window - now.duration_since(entry.0);
            let secs = left.as_secs() + i64::from(left.subsec_nanos() > 0);
            return Some(secs.max(1) as u64);
        }
        entry.1 += 1;
        None
    }

    pub(crate) fn reset(&mut self) {
        self.windows.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!(RateLimit::parse("off").unwrap(), None);
        assert_eq!(
            RateLimit::parse("180/60s").unwrap(),
            Some(RateLimit {
                requests: 180,
                window_secs: 60
            })
        );
        assert_eq!(
            RateLimit::parse("5").unwrap(),
            Some(RateLimit {
                requests: 5,
                window_secs: 60
            })
        );
        assert!(RateLimit::parse("x").is_err());
    }

    #[test]
    fn window_resets() {
        let mut l = Limiter::default();
        let limit = RateLimit {
            requests: 2,
            window_secs: 60,
        };
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(l.check(limit, "t", t0), None);
        assert_eq!(l.check(limit, "t", t0), None);
        assert_eq!(
            l.check(limit, "t", t0 + SignedDuration::from_secs(10)),
            Some(50)
        );
        assert_eq!(
            l.check(limit, "t", t0 + SignedDuration::from_secs(60)),
            None
        );
    }
}
