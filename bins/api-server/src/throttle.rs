//! Throttling of wrong admin tokens per client address, in bounded memory.
//!
//! Without it a client could try thousands of tokens a second. Each client address (an IPv4
//! address, or the /64 network of an IPv6 one, since one host commonly holds a whole /64) may send
//! [`MAX_FAILURES`] wrong tokens per [`WINDOW`]; after that every `/admin` request from it that
//! carries a token is answered `429 too_many_failed_logins` with `Retry-After` until its window
//! ends, without the token being checked (else a right guess would still stand out). Other addresses are not affected, and a
//! right token never clears a count (on a shared address, one person signing in must not give
//! another fresh guesses). At most [`CAPACITY`] addresses are remembered: when full, expired
//! entries go first, then the one whose window started longest ago.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong tokens one client address may send per window.
pub(crate) const MAX_FAILURES: u32 = 20;
/// The window the failures are counted in, from the first one.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// The most client addresses remembered at once (about 40 bytes each).
pub(crate) const CAPACITY: usize = 4096;

/// What the throttle says about a client, before its token is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It may try.
    Allowed,
    /// It sent too many wrong tokens: refuse for this long.
    Blocked(Duration),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start: Instant,
    failures: u32,
}

/// The failed sign-ins of recent client addresses. Shared by all workers.
#[derive(Debug)]
pub(crate) struct SignInThrottle {
    clients: Mutex<HashMap<IpAddr, Entry>>,
    max_failures: u32,
    window: Duration,
    capacity: usize,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self::new(MAX_FAILURES, WINDOW, CAPACITY)
    }
}

/// The address a client is counted under: IPv6 addresses by their /64 network.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

impl SignInThrottle {
    /// A throttle allowing `max_failures` per `window`, remembering at most `capacity` clients.
    pub(crate) fn new(max_failures: u32, window: Duration, capacity: usize) -> Self {
        Self {
            clients: Mutex::new(HashMap::new()),
            max_failures,
            window,
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Entry>> {
        // A panic while holding the lock leaves a consistent map: keep using it.
        self.clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `ip` may try a token at `now`.
    pub(crate) fn check(&self, ip: IpAddr, now: Instant) -> Verdict {
        let clients = self.lock();
        match clients.get(&client_key(ip)) {
            Some(entry) if entry.failures >= self.max_failures => {
                let ends = entry.window_start + self.window;
                if ends > now {
                    Verdict::Blocked(ends - now)
                } else {
                    Verdict::Allowed
                }
            }
            _ => Verdict::Allowed,
        }
    }

    /// Counts a wrong token from `ip` at `now`.
    pub(crate) fn record_failure(&self, ip: IpAddr, now: Instant) {
        let key = client_key(ip);
        let window = self.window;
        let mut clients = self.lock();
        if let Some(entry) = clients.get_mut(&key) {
            if now.saturating_duration_since(entry.window_start) >= window {
                *entry = Entry {
                    window_start: now,
                    failures: 1,
                };
            } else {
                entry.failures = entry.failures.saturating_add(1);
            }
            return;
        }
        if clients.len() >= self.capacity {
            clients.retain(|_, entry| now.saturating_duration_since(entry.window_start) < window);
        }
        if clients.len() >= self.capacity {
            let oldest = clients
                .iter()
                .min_by_key(|(_, entry)| entry.window_start)
                .map(|(ip, _)| *ip);
            if let Some(oldest) = oldest {
                clients.remove(&oldest);
            }
        }
        clients.insert(
            key,
            Entry {
                window_start: now,
                failures: 1,
            },
        );
    }

    /// How many client addresses are remembered now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n))
    }

    #[test]
    fn blocks_after_the_limit_until_the_window_ends_and_only_that_client() {
        let throttle = SignInThrottle::new(3, Duration::from_secs(60), 16);
        let start = Instant::now();
        for i in 0..3 {
            assert_eq!(throttle.check(ip(1), start), Verdict::Allowed, "{i}");
            throttle.record_failure(ip(1), start + Duration::from_secs(i));
        }
        let later = start + Duration::from_secs(10);
        assert_eq!(
            throttle.check(ip(1), later),
            Verdict::Blocked(Duration::from_secs(50))
        );
        assert_eq!(throttle.check(ip(2), later), Verdict::Allowed);
        let after = start + Duration::from_secs(60);
        assert_eq!(throttle.check(ip(1), after), Verdict::Allowed);
        throttle.record_failure(ip(1), after);
        assert_eq!(
            throttle.check(ip(1), after),
            Verdict::Allowed,
            "a new window"
        );
    }

    #[test]
    fn ipv6_clients_count_by_their_64_network() {
        let throttle = SignInThrottle::new(2, Duration::from_secs(60), 16);
        let now = Instant::now();
        throttle.record_failure("2001:db8:1:2::1".parse().unwrap(), now);
        throttle.record_failure("2001:db8:1:2:ffff::9".parse().unwrap(), now);
        assert!(matches!(
            throttle.check("2001:db8:1:2::77".parse().unwrap(), now),
            Verdict::Blocked(_)
        ));
        assert_eq!(
            throttle.check("2001:db8:1:3::1".parse().unwrap(), now),
            Verdict::Allowed
        );
        assert_eq!(throttle.len(), 1);
    }

    #[test]
    fn memory_stays_bounded_and_the_oldest_client_goes_first() {
        let throttle = SignInThrottle::new(1, Duration::from_secs(60), 100);
        let start = Instant::now();
        throttle.record_failure(ip(0), start);
        assert!(matches!(throttle.check(ip(0), start), Verdict::Blocked(_)));
        for n in 1..10_000 {
            throttle.record_failure(ip(n), start + Duration::from_millis(u64::from(n)));
            assert!(throttle.len() <= 100);
        }
        assert_eq!(throttle.len(), 100);
        let now = start + Duration::from_secs(11);
        assert_eq!(throttle.check(ip(0), now), Verdict::Allowed, "evicted");
        assert!(matches!(
            throttle.check(ip(9_999), now),
            Verdict::Blocked(_)
        ));
        // Expired entries are dropped before anyone still blocked.
        let much_later = start + Duration::from_secs(600);
        throttle.record_failure(ip(20_000), much_later);
        assert_eq!(throttle.len(), 1);
    }
}
