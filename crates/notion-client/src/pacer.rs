//! The pacer: one request scheduler per Notion connection, shared by every client of that
//! connection.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// A leaky-bucket (GCRA) request scheduler over tokio's clock.
///
/// Each [`Pacer::acquire`] reserves the next free slot and sleeps until it: requests are spaced
/// `1/rate` apart, after an initial burst of `burst` requests. Cloning shares the schedule.
/// Because it uses `tokio::time`, it follows tokio's paused clock in tests.
///
/// A pacer belongs to one Notion connection (one authorization of one workspace), not to a
/// token: Notion budgets per connection, and a connection keeps its budget, and any penalty,
/// when its OAuth token is refreshed. Every client of a connection must therefore wait on the
/// same pacer: clone the client, or hand the builder `.pacer(pacer.clone())`. Nothing here is
/// process-global, so two connections (or two test servers in one process) never slow each other.
#[derive(Clone)]
pub struct Pacer {
    inner: Arc<PacerInner>,
}

struct PacerInner {
    interval: Duration,
    tolerance: Duration,
    rate: f64,
    burst: u32,
    /// The theoretical arrival time of the next request.
    next: Mutex<Option<Instant>>,
    /// No request may start before this instant: set by a 429/529's `Retry-After`, so that
    /// every request through this pacer waits out Notion's penalty, not only the one retrying.
    blocked_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer")
            .field("requests_per_second", &self.inner.rate)
            .field("burst", &self.inner.burst)
            .finish()
    }
}

/// Why a pacer cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "invalid pacer settings: {0} (use a rate above 0 requests per second, e.g. 2.5, and a burst of at least 1)"
)]
pub struct PacerConfigError(String);

impl Pacer {
    /// Notion's documented average budget is 3 requests/second; we default below it.
    pub const DEFAULT_RATE: f64 = 2.5;
    /// Default burst: a couple of requests may go out back to back.
    pub const DEFAULT_BURST: u32 = 2;

    /// A pacer allowing `requests_per_second` on average with bursts of `burst` requests.
    pub fn new(requests_per_second: f64, burst: u32) -> Result<Self, PacerConfigError> {
        if !requests_per_second.is_finite() || requests_per_second <= 0.0 {
            return Err(PacerConfigError(format!(
                "rate {requests_per_second} is not a positive number"
            )));
        }
        if burst == 0 {
            return Err(PacerConfigError("burst is 0".into()));
        }
        let interval = Duration::from_secs_f64(1.0 / requests_per_second);
        Ok(Self {
            inner: Arc::new(PacerInner {
                interval,
                tolerance: interval * (burst - 1),
                rate: requests_per_second,
                burst,
                next: Mutex::new(None),
                blocked_until: Mutex::new(None),
            }),
        })
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.inner.rate
    }

    /// Burst size.
    pub fn burst(&self) -> u32 {
        self.inner.burst
    }

    /// True when both handles share one schedule.
    pub fn same_as(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Holds every request through this pacer until `wait` from now (a 429/529's
    /// `Retry-After`). A shorter block than one already set never shortens it.
    pub fn block_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut blocked = self
            .inner
            .blocked_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *blocked = Some(blocked.map_or(until, |b| b.max(until)));
    }

    /// How long from now requests are still held by a rate-limit block (zero when none).
    pub fn blocked_for(&self) -> Duration {
        let blocked = *self
            .inner
            .blocked_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        blocked.map_or(Duration::ZERO, |b| {
            b.saturating_duration_since(Instant::now())
        })
    }

    /// Reserves the next slot and returns how long the caller must wait for it (after any
    /// rate-limit block).
    pub fn reserve(&self) -> Duration {
        let now = Instant::now();
        let blocked = self.blocked_for();
        let now = now + blocked;
        let mut next = self.inner.next.lock().unwrap_or_else(|e| e.into_inner());
        let tat = next.map_or(now, |t| t.max(now));
        let start = tat
            .checked_sub(self.inner.tolerance)
            .map_or(now, |s| s.max(now));
        *next = Some(tat + self.inner.interval);
        start - now + blocked
    }

    /// Waits for the next slot. Returns the time waited.
    pub async fn acquire(&self) -> Duration {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_after_the_burst() {
        let pacer = Pacer::new(2.5, 3).unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            pacer.acquire().await;
        }
        assert_eq!(Instant::now() - start, Duration::ZERO, "burst goes at once");
        for _ in 0..10 {
            pacer.acquire().await;
        }
        // 13 requests, burst 3: at least (13 - 3) / 2.5 = 4 s of virtual time.
        assert!(Instant::now() - start >= Duration::from_secs(4));
        assert!(Instant::now() - start < Duration::from_millis(4100));
    }

    #[tokio::test(start_paused = true)]
    async fn clones_and_concurrent_tasks_share_the_schedule() {
        let pacer = Pacer::new(10.0, 1).unwrap();
        let start = Instant::now();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let p = pacer.clone();
                tokio::spawn(async move { p.acquire().await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(Instant::now() - start >= Duration::from_millis(1900));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_refills_the_burst_but_not_beyond() {
        let pacer = Pacer::new(1.0, 2).unwrap();
        pacer.acquire().await;
        pacer.acquire().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(pacer.reserve(), Duration::ZERO);
        assert_eq!(pacer.reserve(), Duration::ZERO);
        assert_eq!(pacer.reserve(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_block_holds_every_request_of_every_clone_until_it_ends() {
        let pacer = Pacer::new(1000.0, 5).unwrap();
        let other = pacer.clone();
        let start = Instant::now();
        pacer.block_for(Duration::from_secs(10));
        other.block_for(Duration::from_secs(2));
        assert_eq!(
            other.blocked_for(),
            Duration::from_secs(10),
            "never shortened"
        );
        other.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(10));
        assert_eq!(pacer.blocked_for(), Duration::ZERO);
        assert_eq!(pacer.reserve(), Duration::ZERO);
    }

    #[test]
    fn settings_are_checked_and_debug_shows_no_secret() {
        assert!(Pacer::new(0.0, 1).is_err());
        assert!(Pacer::new(f64::NAN, 1).is_err());
        assert!(Pacer::new(1.0, 0).is_err());
        let a = Pacer::new(2.5, 2).unwrap();
        assert!(a.same_as(&a.clone()));
        assert!(
            !a.same_as(&Pacer::new(2.5, 2).unwrap()),
            "no hidden sharing"
        );
        assert_eq!(
            format!("{a:?}"),
            "Pacer { requests_per_second: 2.5, burst: 2 }"
        );
    }
}
