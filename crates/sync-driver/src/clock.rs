//! Time for the daemon: the system clock in production, a manual one in tests.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

/// A boxed future, as returned by [`Clock::sleep_until`].
pub type SleepFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Where the daemon gets `now` from and how it waits. Everything else in the driver takes `now`
/// as a parameter.
pub trait Clock: Send + Sync {
    /// The current instant (UTC).
    fn now(&self) -> Timestamp;

    /// Resolves once [`Clock::now`] has reached `deadline` (immediately if it already has).
    fn sleep_until(&self, deadline: Timestamp) -> SleepFuture<'_>;
}

/// The real clock: `Timestamp::now()` and tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn sleep_until(&self, deadline: Timestamp) -> SleepFuture<'_> {
        Box::pin(async move {
            loop {
                let left = deadline.duration_since(Timestamp::now());
                if left <= SignedDuration::ZERO {
                    return;
                }
                // Re-check after waking: the wall clock may have been adjusted meanwhile.
                let wait = std::time::Duration::try_from(left).unwrap_or_default();
                tokio::time::sleep(wait.min(std::time::Duration::from_secs(60))).await;
            }
        })
    }
}

/// A clock that moves only when told: tests advance it, and sleepers wake once it passes their
/// deadline. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

#[derive(Debug)]
struct ManualInner {
    now: Mutex<Timestamp>,
    changed: watch::Sender<Timestamp>,
}

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: Timestamp) -> Self {
        let (changed, _) = watch::channel(at);
        Self {
            inner: Arc::new(ManualInner {
                now: Mutex::new(at),
                changed,
            }),
        }
    }

    /// Moves the clock to `at` (backwards too) and wakes sleepers whose deadline passed.
    pub fn set(&self, at: Timestamp) {
        *self
            .inner
            .now
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = at;
        self.inner.changed.send_replace(at);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: SignedDuration) {
        let at = {
            let mut now = self
                .inner
                .now
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *now = now.checked_add(by).unwrap_or(*now);
            *now
        };
        self.inner.changed.send_replace(at);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .inner
            .now
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn sleep_until(&self, deadline: Timestamp) -> SleepFuture<'_> {
        let mut changes = self.inner.changed.subscribe();
        Box::pin(async move {
            while self.now() < deadline {
                if changes.changed().await.is_err() {
                    // The sender lives as long as `self`; unreachable in practice.
                    return;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_sleepers_wake_when_the_deadline_passes() {
        let t0: Timestamp = "2026-03-01T09:00:00Z".parse().unwrap();
        let clock = ManualClock::new(t0);
        let deadline = t0 + SignedDuration::from_secs(60);
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(deadline).await })
        };
        tokio::task::yield_now().await;
        clock.advance(SignedDuration::from_secs(30));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(SignedDuration::from_secs(30));
        sleeper.await.unwrap();
        assert_eq!(clock.now(), deadline);
        // A past deadline resolves at once.
        clock.sleep_until(t0).await;
    }
}
