//! The pacer: one request scheduler per Notion connection, shared by every client of that
//! connection. It spends the connection's budget the way Notion counts it and serves waiting
//! requests most urgent first.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::priority::{self, Priority};

/// A connection's request budget, as a pacer is configured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RequestBudget {
    /// Notion's own unit: at most this many requests in any 60-second window (180 on most
    /// plans, 600 on Business and Enterprise). Bursts are allowed inside the window.
    PerMinute(u32),
    /// The older setting: requests spaced `1 / rate` seconds apart after a burst of `burst`.
    PerSecond {
        /// Average requests per second.
        rate: f64,
        /// Requests that may go back to back.
        burst: u32,
    },
}

impl Default for RequestBudget {
    /// 180 per minute: Notion's budget on every plan but Business and Enterprise, so it is
    /// safe on any workspace.
    fn default() -> Self {
        Self::PerMinute(Pacer::DEFAULT_REQUESTS_PER_MINUTE)
    }
}

/// A request scheduler over tokio's clock (so it follows tokio's paused clock in tests).
///
/// Two ways of spending a budget:
/// - **Per window** ([`Pacer::per_minute`], [`Pacer::per_window`]): no more than `limit`
///   requests start in any window of `window` (a sliding log of start times, so whatever way
///   Notion aligns its 60-second windows, none of them sees more). A burst goes out at once as
///   far as the window allows; a long queue drains at the full budget. [`Pacer::per_minute`]
///   counts 61 s rather than 60, because a request we start at the end of a window may reach
///   Notion sooner than one we started at its beginning did.
///   `limit / 60` of the window (at least one) is kept for [`Priority::Interactive`] requests:
///   other work may not fill the last slots, so an admin rarely waits on a window at all.
/// - **Spaced** ([`Pacer::new`]): a leaky bucket (GCRA), `1/rate` apart after a burst.
///
/// Waiting requests are served most urgent first ([`Priority`]), in arrival order within a
/// priority: a request marked interactive goes ahead of a queue of background reads instead of
/// waiting behind it. The priority comes from the client ([`crate::NotionClient::with_priority`])
/// or from [`Pacer::acquire_as`].
///
/// A pacer belongs to one Notion connection (one authorization of one workspace), not to a
/// token: Notion budgets per connection, and a connection keeps its budget, and any penalty,
/// when its OAuth token is refreshed. Every client of a connection must therefore wait on the
/// same pacer: clone the client, or hand the builder `.pacer(pacer.clone())`. Cloning a pacer
/// shares its schedule. Nothing here is process-global, so two connections (or two test servers
/// in one process) never slow each other.
#[derive(Clone)]
pub struct Pacer {
    inner: Arc<PacerInner>,
}

struct PacerInner {
    budget: Budget,
    state: Mutex<State>,
}

/// The fixed part of the configuration.
#[derive(Debug, Clone, Copy)]
enum Budget {
    Spaced {
        interval: Duration,
        tolerance: Duration,
        rate: f64,
        burst: u32,
    },
    Window {
        limit: u32,
        /// Slots of the window only interactive requests may use.
        reserve: u32,
        window: Duration,
        /// The budget as configured, per minute (the window may be padded beyond it).
        per_minute: f64,
    },
}

#[derive(Default)]
struct State {
    /// Spaced: the theoretical arrival time of the next request.
    tat: Option<Instant>,
    /// Window: start times of the requests of the last window, oldest first.
    starts: VecDeque<Instant>,
    /// No request may start before this instant: set by a 429/529's `Retry-After`, so that
    /// every request through this pacer waits out Notion's penalty, not only the one retrying.
    blocked_until: Option<Instant>,
    /// The waiting requests, most urgent first, each with the bell that tells it it may be
    /// next. Only the first one watches the clock; the others wait for their bell.
    queue: BTreeMap<(Priority, u64), Arc<Notify>>,
    /// Arrival counter: orders requests of one priority.
    arrivals: u64,
}

impl State {
    /// When a request of `priority` may start, at the earliest, given the budget.
    fn earliest(&mut self, budget: Budget, priority: Priority, now: Instant) -> Instant {
        let slot = match budget {
            Budget::Spaced { tolerance, .. } => {
                let tat = self.tat.map_or(now, |t| t.max(now));
                tat.checked_sub(tolerance).map_or(now, |s| s.max(now))
            }
            Budget::Window {
                limit,
                reserve,
                window,
                ..
            } => {
                while self.starts.front().is_some_and(|s| *s + window <= now) {
                    self.starts.pop_front();
                }
                let allowed = if priority == Priority::Interactive {
                    limit
                } else {
                    limit - reserve
                } as usize;
                let used = self.starts.len();
                if used < allowed {
                    now
                } else {
                    // The start that must leave the window before one more fits.
                    self.starts[used - allowed] + window
                }
            }
        };
        self.blocked_until.map_or(slot, |b| b.max(slot))
    }

    /// Records a request starting now.
    fn start(&mut self, budget: Budget, now: Instant) {
        match budget {
            Budget::Spaced { interval, .. } => {
                self.tat = Some(self.tat.map_or(now, |t| t.max(now)) + interval);
            }
            Budget::Window { .. } => self.starts.push_back(now),
        }
    }

    /// Rings the bell of the request now first in line.
    fn wake_first(&self) {
        if let Some((_, bell)) = self.queue.first_key_value() {
            bell.notify_one();
        }
    }
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.inner.budget {
            Budget::Spaced { rate, burst, .. } => f
                .debug_struct("Pacer")
                .field("requests_per_second", &rate)
                .field("burst", &burst)
                .finish(),
            Budget::Window {
                limit,
                reserve,
                window,
                ..
            } => f
                .debug_struct("Pacer")
                .field("requests", &limit)
                .field("window", &window)
                .field("interactive_reserve", &reserve)
                .finish(),
        }
    }
}

/// Why a pacer cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "invalid pacer settings: {0} (use a budget of at least 1 request per minute, e.g. 180, or a rate above 0 requests per second, e.g. 2.5, with a burst of at least 1)"
)]
pub struct PacerConfigError(String);

/// Takes a waiting request out of the line when its wait ends or is abandoned (its future
/// dropped, e.g. by a timeout), so a cancelled request never blocks the ones behind it.
struct Place<'a> {
    pacer: &'a PacerInner,
    key: (Priority, u64),
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut state = self.pacer.lock();
        let was_first = state.queue.first_key_value().map(|(k, _)| *k) == Some(self.key);
        state.queue.remove(&self.key);
        if was_first {
            state.wake_first();
        }
    }
}

impl PacerInner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Pacer {
    /// Notion's documented average budget is 3 requests/second; the spaced default stays below.
    pub const DEFAULT_RATE: f64 = 2.5;
    /// Default burst of a spaced pacer: a couple of requests may go out back to back.
    pub const DEFAULT_BURST: u32 = 2;
    /// Default budget per minute: 180, Notion's budget on most plans.
    pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 180;
    /// The window [`Pacer::per_minute`] counts: Notion's 60 s plus 1 s for the difference in
    /// network delay between the first and the last request of a window.
    pub const MINUTE_WINDOW: Duration = Duration::from_secs(61);

    /// A spaced pacer: `requests_per_second` on average with bursts of `burst` requests.
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
        Ok(Self::with_budget(Budget::Spaced {
            interval,
            tolerance: interval * (burst - 1),
            rate: requests_per_second,
            burst,
        }))
    }

    /// A pacer for Notion's per-minute budget: at most `requests_per_minute` requests in any
    /// [`Pacer::MINUTE_WINDOW`].
    pub fn per_minute(requests_per_minute: u32) -> Result<Self, PacerConfigError> {
        let mut pacer = Self::per_window(requests_per_minute, Self::MINUTE_WINDOW)?;
        if let Some(PacerInner {
            budget: Budget::Window { per_minute, .. },
            ..
        }) = Arc::get_mut(&mut pacer.inner)
        {
            *per_minute = f64::from(requests_per_minute);
        }
        Ok(pacer)
    }

    /// At most `limit` requests start in any window of length `window` (tests and benchmarks
    /// use short windows; Notion's is a minute: [`Pacer::per_minute`]).
    pub fn per_window(limit: u32, window: Duration) -> Result<Self, PacerConfigError> {
        if limit == 0 {
            return Err(PacerConfigError("the budget is 0 requests".into()));
        }
        if window.is_zero() {
            return Err(PacerConfigError("the window is 0 s long".into()));
        }
        // A budget of one request leaves nothing to keep back.
        let reserve = if limit < 2 { 0 } else { (limit / 60).max(1) };
        Ok(Self::with_budget(Budget::Window {
            limit,
            reserve,
            window,
            per_minute: f64::from(limit) * 60.0 / window.as_secs_f64(),
        }))
    }

    /// A pacer spending `budget`.
    pub fn from_budget(budget: RequestBudget) -> Result<Self, PacerConfigError> {
        match budget {
            RequestBudget::PerMinute(rpm) => Self::per_minute(rpm),
            RequestBudget::PerSecond { rate, burst } => Self::new(rate, burst),
        }
    }

    fn with_budget(budget: Budget) -> Self {
        Self {
            inner: Arc::new(PacerInner {
                budget,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Average requests per second this pacer allows.
    pub fn rate(&self) -> f64 {
        match self.inner.budget {
            Budget::Spaced { rate, .. } => rate,
            Budget::Window { limit, window, .. } => f64::from(limit) / window.as_secs_f64(),
        }
    }

    /// The budget in requests per minute, as configured: `requests_per_minute` of
    /// [`Pacer::per_minute`] (not reduced by its padded window), or 60 × the rate of a spaced
    /// pacer. What a chart of requests per minute draws as the limit.
    pub fn budget_per_minute(&self) -> f64 {
        match self.inner.budget {
            Budget::Spaced { rate, .. } => rate * 60.0,
            Budget::Window { per_minute, .. } => per_minute,
        }
    }

    /// How many requests may go out at once: the burst of a spaced pacer, the whole window's
    /// budget of a windowed one.
    pub fn burst(&self) -> u32 {
        match self.inner.budget {
            Budget::Spaced { burst, .. } => burst,
            Budget::Window { limit, .. } => limit,
        }
    }

    /// The slots of each window only [`Priority::Interactive`] requests may use (0 for a spaced
    /// pacer).
    pub fn interactive_reserve(&self) -> u32 {
        match self.inner.budget {
            Budget::Spaced { .. } => 0,
            Budget::Window { reserve, .. } => reserve,
        }
    }

    /// True when both handles share one schedule.
    pub fn same_as(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// How many requests wait on this pacer now.
    pub fn waiting(&self) -> usize {
        self.inner.lock().queue.len()
    }

    /// Holds every request through this pacer until `wait` from now (a 429/529's
    /// `Retry-After`). A shorter block than one already set never shortens it.
    pub fn block_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut state = self.inner.lock();
        state.blocked_until = Some(state.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// How long from now requests are still held by a rate-limit block (zero when none).
    pub fn blocked_for(&self) -> Duration {
        let blocked = self.inner.lock().blocked_until;
        blocked.map_or(Duration::ZERO, |b| {
            b.saturating_duration_since(Instant::now())
        })
    }

    /// Waits for a slot with the priority of the current client call ([`Priority::Background`]
    /// outside one). Returns the time waited.
    pub async fn acquire(&self) -> Duration {
        self.acquire_as(priority::current()).await
    }

    /// Waits for a slot as a request of `priority`: after every more urgent request waiting,
    /// and after the requests of the same priority that came first. Returns the time waited.
    pub async fn acquire_as(&self, priority: Priority) -> Duration {
        let inner = &*self.inner;
        let arrived = Instant::now();
        let bell = Arc::new(Notify::new());
        let key = {
            let mut state = inner.lock();
            state.arrivals += 1;
            let key = (priority, state.arrivals);
            state.queue.insert(key, Arc::clone(&bell));
            key
        };
        let _place = Place { pacer: inner, key };
        loop {
            // Registered before looking, so a bell rung between the look and the wait is kept.
            let rung = bell.notified();
            tokio::pin!(rung);
            rung.as_mut().enable();
            let until = {
                let mut state = inner.lock();
                if state.queue.first_key_value().map(|(k, _)| *k) == Some(key) {
                    let now = Instant::now();
                    let at = state.earliest(inner.budget, priority, now);
                    if at <= now {
                        state.start(inner.budget, now);
                        drop(state);
                        // `_place` takes it out of the line and rings the next one.
                        return now - arrived;
                    }
                    Some(at)
                } else {
                    None
                }
            };
            match until {
                // First in line: wait for the slot, or for a change (a more urgent request
                // that came in and was served ahead is no reason to wait longer than needed).
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = &mut rung => {}
                    }
                }
                None => rung.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts `n` tasks that each wait on `pacer` as `priority` and log when they got through,
    /// and returns once all of them are in line (or through).
    async fn queue(
        pacer: &Pacer,
        n: usize,
        priority: Priority,
        log: &Arc<Mutex<Vec<(Priority, Instant)>>>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let before = pacer.waiting();
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let p = pacer.clone();
                let log = Arc::clone(log);
                tokio::spawn(async move {
                    p.acquire_as(priority).await;
                    log.lock().unwrap().push((priority, Instant::now()));
                })
            })
            .collect();
        for _ in 0..n * 4 + 10 {
            tokio::task::yield_now().await;
        }
        assert!(pacer.waiting() <= before + n);
        tasks
    }

    async fn join(tasks: Vec<tokio::task::JoinHandle<()>>) {
        for t in tasks {
            t.await.unwrap();
        }
    }

    fn starts(log: &Arc<Mutex<Vec<(Priority, Instant)>>>) -> Vec<Instant> {
        let mut starts: Vec<_> = log.lock().unwrap().iter().map(|(_, t)| *t).collect();
        starts.sort();
        starts
    }

    /// The most requests that started in any window of `window`.
    fn busiest_window(starts: &[Instant], window: Duration) -> usize {
        let mut best = 0;
        let mut first = 0;
        for (i, t) in starts.iter().enumerate() {
            while *t - starts[first] >= window {
                first += 1;
            }
            best = best.max(i + 1 - first);
        }
        best
    }

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
        let log = Arc::new(Mutex::new(Vec::new()));
        join(queue(&pacer, 20, Priority::Background, &log).await).await;
        assert!(Instant::now() - start >= Duration::from_millis(1900));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_refills_the_burst_but_not_beyond() {
        let pacer = Pacer::new(1.0, 2).unwrap();
        pacer.acquire().await;
        pacer.acquire().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(pacer.acquire().await, Duration::ZERO);
        assert_eq!(pacer.acquire().await, Duration::ZERO);
        assert_eq!(pacer.acquire().await, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_block_holds_every_request_of_every_clone_until_it_ends() {
        for pacer in [
            Pacer::new(1000.0, 5).unwrap(),
            Pacer::per_minute(600).unwrap(),
        ] {
            let other = pacer.clone();
            let start = Instant::now();
            pacer.block_for(Duration::from_secs(10));
            other.block_for(Duration::from_secs(2));
            assert_eq!(
                other.blocked_for(),
                Duration::from_secs(10),
                "never shortened"
            );
            other.acquire_as(Priority::Interactive).await;
            assert_eq!(Instant::now() - start, Duration::from_secs(10));
            assert_eq!(pacer.blocked_for(), Duration::ZERO);
            assert_eq!(pacer.acquire().await, Duration::ZERO);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_the_budget() {
        for rpm in [180, 600] {
            let pacer = Pacer::per_minute(rpm).unwrap();
            let log = Arc::new(Mutex::new(Vec::new()));
            // Every priority at once, interactive ones arriving while the queue drains.
            let mut tasks = queue(&pacer, 400, Priority::Background, &log).await;
            tasks.extend(queue(&pacer, 400, Priority::Phase, &log).await);
            tasks.extend(queue(&pacer, 200, Priority::Corrective, &log).await);
            for _ in 0..10 {
                tasks.extend(queue(&pacer, 3, Priority::Interactive, &log).await);
                tokio::time::sleep(Duration::from_secs(13)).await;
            }
            join(tasks).await;
            let starts = starts(&log);
            assert_eq!(starts.len(), 1030);
            let busiest = busiest_window(&starts, Duration::from_secs(60));
            assert!(
                busiest <= rpm as usize,
                "{busiest} requests in one 60 s window, budget {rpm}"
            );
            assert!(
                busiest >= rpm as usize * 95 / 100,
                "the window is used: {busiest} of {rpm}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_a_thousand_drains_at_95_percent_of_the_budget_or_more() {
        for rpm in [180, 600] {
            let pacer = Pacer::per_minute(rpm).unwrap();
            let log = Arc::new(Mutex::new(Vec::new()));
            let start = Instant::now();
            join(queue(&pacer, 1000, Priority::Phase, &log).await).await;
            let drained = *starts(&log).last().unwrap() - start;
            // 1,000 requests at 95 % of `rpm` per minute.
            let bound = Duration::from_secs_f64(1000.0 / (0.95 * f64::from(rpm)) * 60.0);
            assert!(
                drained <= bound,
                "{rpm}/min: drained in {drained:?}, more than {bound:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_interactive_request_goes_ahead_of_500_background_ones() {
        for pacer in [Pacer::per_minute(180).unwrap(), Pacer::new(3.0, 2).unwrap()] {
            let log = Arc::new(Mutex::new(Vec::new()));
            let background = queue(&pacer, 500, Priority::Background, &log).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            let served_before = log.lock().unwrap().len();
            assert!(pacer.waiting() > 300, "the queue is long");
            let arrived = Instant::now();
            let waited = pacer.acquire_as(Priority::Interactive).await;
            let served_after = log.lock().unwrap().len();
            assert!(
                served_after <= served_before + 1,
                "{pacer:?}: {} background requests went first",
                served_after - served_before
            );
            assert!(
                waited <= Duration::from_secs(1),
                "{pacer:?}: waited {waited:?}"
            );
            assert_eq!(Instant::now() - arrived, waited);
            for t in background {
                t.abort();
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_requests_go_most_urgent_first_then_in_arrival_order() {
        let pacer = Pacer::new(1.0, 1).unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = queue(&pacer, 3, Priority::Background, &log).await;
        tasks.extend(queue(&pacer, 3, Priority::Corrective, &log).await);
        tasks.extend(queue(&pacer, 3, Priority::Phase, &log).await);
        tasks.extend(queue(&pacer, 1, Priority::Interactive, &log).await);
        join(tasks).await;
        let order: Vec<_> = log.lock().unwrap().iter().map(|(p, _)| *p).collect();
        use Priority::*;
        assert_eq!(
            order,
            [
                Background,
                Interactive,
                Phase,
                Phase,
                Phase,
                Corrective,
                Corrective,
                Corrective,
                Background,
                Background
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_given_up_while_first_in_line_does_not_hold_the_rest() {
        let pacer = Pacer::new(1.0, 1).unwrap();
        pacer.acquire().await;
        let first = tokio::time::timeout(
            Duration::from_millis(100),
            pacer.acquire_as(Priority::Phase),
        );
        assert!(first.await.is_err(), "timed out");
        assert_eq!(pacer.waiting(), 0);
        let start = Instant::now();
        pacer.acquire().await;
        assert!(Instant::now() - start <= Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn the_reserve_is_kept_for_interactive_requests() {
        let pacer = Pacer::per_window(10, Duration::from_secs(10)).unwrap();
        assert_eq!(pacer.interactive_reserve(), 1);
        for _ in 0..9 {
            assert_eq!(pacer.acquire_as(Priority::Phase).await, Duration::ZERO);
        }
        assert_eq!(
            pacer.acquire_as(Priority::Interactive).await,
            Duration::ZERO
        );
        assert_eq!(
            pacer.acquire_as(Priority::Interactive).await,
            Duration::from_secs(10),
            "the window is full"
        );
    }

    #[test]
    fn settings_are_checked_and_debug_shows_the_budget() {
        assert!(Pacer::new(0.0, 1).is_err());
        assert!(Pacer::new(f64::NAN, 1).is_err());
        assert!(Pacer::new(1.0, 0).is_err());
        assert!(Pacer::per_minute(0).is_err());
        assert!(Pacer::per_window(5, Duration::ZERO).is_err());
        assert_eq!(Pacer::per_minute(1).unwrap().interactive_reserve(), 0);
        assert_eq!(Pacer::per_minute(180).unwrap().interactive_reserve(), 3);
        assert_eq!(Pacer::per_minute(600).unwrap().interactive_reserve(), 10);
        assert_eq!(Pacer::per_minute(180).unwrap().budget_per_minute(), 180.0);
        assert_eq!(Pacer::new(2.5, 2).unwrap().budget_per_minute(), 150.0);
        let short = Pacer::per_window(100, Duration::from_secs(3)).unwrap();
        assert_eq!(short.budget_per_minute(), 2000.0);
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
        assert_eq!(
            format!("{:?}", Pacer::per_minute(180).unwrap()),
            "Pacer { requests: 180, window: 61s, interactive_reserve: 3 }"
        );
    }
}
