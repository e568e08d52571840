//! The emulator's clock: follows the system clock by default; tests can freeze, set and advance it.

use std::sync::{Arc, Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// `now = system time + offset`.
    Running { offset: SignedDuration },
    /// `now` is fixed until moved.
    Frozen { at: Timestamp },
}

/// A shared, cloneable handle on the emulator's clock.
///
/// It drives pages' `created_time`/`last_edited_time` and the rate-limit window. By default it follows
/// the system clock. [`Clock::freeze`] stops it; [`Clock::set`] and [`Clock::advance`] move it (a running
/// clock keeps running from the new instant, a frozen one stays frozen there).
#[derive(Debug, Clone)]
pub struct Clock {
    mode: Arc<Mutex<Mode>>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// A clock that follows the system clock.
    pub fn system() -> Self {
        Self {
            mode: Arc::new(Mutex::new(Mode::Running {
                offset: SignedDuration::ZERO,
            })),
        }
    }

    /// A clock frozen at `at`.
    pub fn frozen_at(at: Timestamp) -> Self {
        Self {
            mode: Arc::new(Mutex::new(Mode::Frozen { at })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        self.mode.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The emulator's current instant.
    pub fn now(&self) -> Timestamp {
        match *self.lock() {
            Mode::Running { offset } => Timestamp::now()
                .checked_add(offset)
                .unwrap_or_else(|_| Timestamp::now()),
            Mode::Frozen { at } => at,
        }
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        matches!(*self.lock(), Mode::Frozen { .. })
    }

    /// Moves the clock to `at` (a frozen clock stays frozen, a running one runs on from `at`).
    pub fn set(&self, at: Timestamp) {
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Frozen { .. } => Mode::Frozen { at },
            Mode::Running { .. } => Mode::Running {
                offset: at.duration_since(Timestamp::now()),
            },
        };
    }

    /// Moves the clock forward (or back, for a negative duration) by `by`.
    pub fn advance(&self, by: impl TryInto<SignedDuration>) {
        let Ok(by) = by.try_into() else { return };
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Frozen { at } => Mode::Frozen {
                at: at.checked_add(by).unwrap_or(at),
            },
            Mode::Running { offset } => Mode::Running {
                offset: offset.checked_add(by).unwrap_or(offset),
            },
        };
    }

    /// Stops the clock at its current instant.
    pub fn freeze(&self) {
        let now = self.now();
        *self.lock() = Mode::Frozen { at: now };
    }

    /// Lets a frozen clock run again from where it stands.
    pub fn resume(&self) {
        let now = self.now();
        *self.lock() = Mode::Running {
            offset: now.duration_since(Timestamp::now()),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let at: Timestamp = "2026-05-01T10:00:30Z".parse().unwrap();
        let clock = Clock::frozen_at(at);
        assert_eq!(clock.now(), at);
        clock.advance(SignedDuration::from_secs(90));
        assert_eq!(clock.now().to_string(), "2026-05-01T10:02:00Z");
        clock.set(at);
        assert_eq!(clock.now(), at);
        assert!(clock.is_frozen());
    }

    #[test]
    fn running_clock_can_be_set() {
        let clock = Clock::system();
        let at: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        clock.set(at);
        let now = clock.now();
        assert!(now >= at && now.duration_since(at) < SignedDuration::from_secs(5));
    }
}
