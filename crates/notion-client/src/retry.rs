//! Retry policy: a pure decision function, and the loop that applies it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use crate::error::{ErrorKind, NotionError, REQUEST_BLOCKED};
use crate::pacer::Pacer;
use crate::stats::StatsInner;

/// What a request does, which decides whether repeating it is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// Reads: GET, and the POST query/search endpoints.
    Read,
    /// Writes of absolute values that are safe to repeat (page property updates, trash/restore,
    /// schema updates).
    IdempotentWrite,
    /// Writes that may duplicate if repeated (creates, appends, comments, OAuth token exchange).
    NonIdempotentWrite,
}

impl OperationKind {
    /// True when a 5xx, 409 or network failure may be retried.
    pub fn is_repeatable(self) -> bool {
        !matches!(self, Self::NonIdempotentWrite)
    }
}

/// What went wrong with one attempt, as far as the retry decision cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptFailure<'a> {
    /// HTTP status, or `None` when no answer came (network error, timeout).
    pub status: Option<u16>,
    /// Notion's error code.
    pub code: Option<&'a str>,
    /// The wait Notion asked for (`Retry-After`, else `additional_data.retry_after`).
    pub retry_after: Option<Duration>,
    /// `additional_data.rate_limit_reason`.
    pub rate_limit_reason: Option<&'a str>,
    /// The answer was a 503 whose `additional_data` says the write may have been saved
    /// ([`NotionError::saved_guidance`]).
    pub saved: bool,
}

impl<'a> AttemptFailure<'a> {
    /// The failure described by an error, or `None` when the error is not about the attempt
    /// (decode errors, invalid requests).
    pub fn from_error(err: &'a NotionError) -> Option<Self> {
        match err.kind() {
            ErrorKind::Transport => Some(Self {
                status: None,
                code: None,
                retry_after: None,
                rate_limit_reason: None,
                saved: false,
            }),
            ErrorKind::Decode { .. } | ErrorKind::InvalidRequest => None,
            _ => Some(Self {
                status: err.status(),
                code: err.code(),
                retry_after: err.retry_after(),
                rate_limit_reason: err
                    .api()
                    .and_then(|a| a.additional_str("rate_limit_reason")),
                saved: err.saved_guidance().is_some(),
            }),
        }
    }
}

/// The outcome of [`RetryPolicy::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then try again.
    Retry {
        /// The wait.
        after: Duration,
    },
    /// Return the error to the caller.
    GiveUp,
}

/// How many times and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first included (default 4). 1 disables retries.
    pub max_attempts: u32,
    /// The longest rate-limit wait we accept (default 60 s). A longer `Retry-After` is returned
    /// to the caller at once as a `RateLimited` error carrying the wait.
    pub max_retry_wait: Duration,
    /// First backoff for 5xx/409/network failures (default 1 s), doubled per attempt.
    pub base_backoff: Duration,
    /// Cap of the exponential backoff (default 30 s).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            max_retry_wait: Duration::from_secs(60),
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Decides what to do after attempt number `attempt` (1-based) failed.
    ///
    /// - 429 and 529, any operation: wait `Retry-After` (or the backoff when absent), unless the
    ///   reason is `public_api_request_blocked` or the wait exceeds `max_retry_wait`.
    /// - `public_api_request_blocked` (on 403 too): give up at once, whatever the attempt.
    /// - 500, 502, 503, 504, 409 `conflict_error` and network failures: exponential backoff with
    ///   jitter, for reads and idempotent writes only. Our page updates count as idempotent: they
    ///   set absolute values (a status, a URL), so sending one twice leaves the page as once.
    /// - A write answered 503 whose body says it may have been saved (`retry_guidance`,
    ///   `committed_resource_id`): give up, even when idempotent. Notion asks to read the object
    ///   again instead; the caller does (the sync reads the page and records the write if its
    ///   values are there), and no second write is sent.
    /// - Anything else, or attempts exhausted: give up.
    ///
    /// `jitter` in `[0, 1)` scales the backoff to `[0.5, 1.5)` of its base (injectable so tests
    /// are deterministic).
    pub fn decide(
        &self,
        kind: OperationKind,
        failure: &AttemptFailure<'_>,
        attempt: u32,
        jitter: f64,
    ) -> RetryDecision {
        if attempt >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        match failure.status {
            Some(429 | 529) => {
                if failure.rate_limit_reason == Some(REQUEST_BLOCKED) {
                    return RetryDecision::GiveUp;
                }
                let after = failure
                    .retry_after
                    .unwrap_or_else(|| self.backoff(attempt, jitter));
                if after > self.max_retry_wait {
                    RetryDecision::GiveUp
                } else {
                    RetryDecision::Retry { after }
                }
            }
            Some(503) if failure.saved && kind != OperationKind::Read => RetryDecision::GiveUp,
            Some(500 | 502 | 503 | 504) | None if kind.is_repeatable() => {
                let backoff = self.backoff(attempt, jitter);
                let after = match failure.retry_after {
                    Some(ra) if ra <= self.max_retry_wait => ra.max(backoff),
                    _ => backoff,
                };
                RetryDecision::Retry { after }
            }
            Some(409) if kind.is_repeatable() && failure.code == Some("conflict_error") => {
                RetryDecision::Retry {
                    after: self.backoff(attempt, jitter),
                }
            }
            _ => RetryDecision::GiveUp,
        }
    }

    /// The backoff after attempt `attempt` (1-based): `base · 2^(attempt-1)`, scaled by
    /// `0.5 + jitter`, capped at `max_backoff`.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let base = self
            .base_backoff
            .saturating_mul(1 << exp)
            .min(self.max_backoff);
        let factor = 0.5 + jitter.clamp(0.0, 1.0);
        base.mul_f64(factor).min(self.max_backoff)
    }
}

/// A source of jitter in `[0, 1)`; replace it in tests for deterministic waits.
pub type JitterSource = Arc<dyn Fn() -> f64 + Send + Sync>;

/// The default jitter: uniformly random.
pub fn random_jitter() -> JitterSource {
    Arc::new(rand::random::<f64>)
}

/// Runs attempts through the pacer and the retry policy, counting and tracing them.
#[derive(Clone)]
pub(crate) struct Executor {
    pub(crate) policy: RetryPolicy,
    pub(crate) pacer: Pacer,
    pub(crate) jitter: JitterSource,
    pub(crate) stats: Arc<StatsInner>,
}

impl Executor {
    /// Runs `attempt(n)` until it succeeds or the policy gives up. A success carries the HTTP
    /// status for the counters; a failure is a `NotionError` (its status, or 0 for transport).
    #[cfg(test)]
    pub(crate) async fn run<T, F, Fut>(
        &self,
        method: &'static str,
        path: &'static str,
        kind: OperationKind,
        attempt: F,
    ) -> Result<T, NotionError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<(u16, T), NotionError>>,
    {
        self.run_counted(&self.stats, method, path, kind, attempt)
            .await
    }

    /// [`Executor::run`], counting into `stats` (a stats scope, which also counts into the
    /// shared counters) instead of the shared counters alone.
    pub(crate) async fn run_counted<T, F, Fut>(
        &self,
        stats: &StatsInner,
        method: &'static str,
        path: &'static str,
        kind: OperationKind,
        mut attempt: F,
    ) -> Result<T, NotionError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<(u16, T), NotionError>>,
    {
        let span = tracing::debug_span!(
            "notion_request",
            method,
            path,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            wait_ms = tracing::field::Empty,
        );
        async move {
            let mut total_wait = Duration::ZERO;
            let mut n = 1;
            loop {
                // Notion's penalty holds every request of the pacer; one beyond what we wait
                // out is answered at once, without a request that would only prolong it.
                let blocked = self.pacer.blocked_for();
                if blocked > self.policy.max_retry_wait {
                    return Err(NotionError::rate_limit_pending(blocked)
                        .with_operation(format!("{method} {path}")));
                }
                let paced = self.pacer.acquire().await;
                stats.record_pacer_wait(paced);
                total_wait += paced;
                let span = tracing::Span::current();
                span.record("attempt", n);
                let outcome = attempt(n).await;
                let status = match &outcome {
                    Ok((status, _)) => *status,
                    Err(err) => err.status().unwrap_or(0),
                };
                stats.record_attempt(method, path, status);
                span.record("status", status);
                span.record(
                    "wait_ms",
                    u64::try_from(total_wait.as_millis()).unwrap_or(u64::MAX),
                );
                let err = match outcome {
                    Ok((_, value)) => return Ok(value),
                    Err(err) => err,
                };
                let decision = match AttemptFailure::from_error(&err) {
                    Some(failure) => self.policy.decide(kind, &failure, n, (self.jitter)()),
                    None => RetryDecision::GiveUp,
                };
                match decision {
                    RetryDecision::GiveUp => {
                        if let Some(wait) = err.retry_after() {
                            self.pacer.block_for(wait);
                        }
                        tracing::debug!(status, attempt = n, error = %err, "giving up");
                        return Err(err.with_operation(format!("{method} {path}")));
                    }
                    RetryDecision::Retry { after } => {
                        let rate_limited = matches!(err.kind(), ErrorKind::RateLimited { .. });
                        if rate_limited {
                            // Every request through the pacer waits, not only this retry.
                            self.pacer.block_for(after);
                        }
                        stats.record_retry(rate_limited, after);
                        tracing::info!(
                            status,
                            attempt = n,
                            wait_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                            "retrying Notion request"
                        );
                        tokio::time::sleep(after).await;
                        total_wait += after;
                        n += 1;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::time::Instant;

    use OperationKind::{IdempotentWrite as Idem, NonIdempotentWrite as Create, Read};

    fn failure(
        status: Option<u16>,
        code: Option<&'static str>,
        retry_after: Option<u64>,
        reason: Option<&'static str>,
    ) -> AttemptFailure<'static> {
        AttemptFailure {
            status,
            code,
            retry_after: retry_after.map(Duration::from_secs),
            rate_limit_reason: reason,
            saved: false,
        }
    }

    fn retry(secs: f64) -> RetryDecision {
        RetryDecision::Retry {
            after: Duration::from_secs_f64(secs),
        }
    }

    #[test]
    fn decision_table() {
        let p = RetryPolicy::default();
        // (kind, status, code, retry-after, reason, attempt, expected); jitter 0.5 → factor 1.
        let rl = Some("rate_limited");
        let cases = [
            (Read, Some(429), rl, Some(3), None, 1, retry(3.0)),
            (Create, Some(429), rl, Some(3), None, 1, retry(3.0)),
            (
                Create,
                Some(529),
                Some("service_overload"),
                Some(2),
                None,
                2,
                retry(2.0),
            ),
            (Read, Some(429), rl, None, None, 2, retry(2.0)),
            (
                Read,
                Some(429),
                rl,
                Some(61),
                None,
                1,
                RetryDecision::GiveUp,
            ),
            (Read, Some(429), rl, Some(60), None, 1, retry(60.0)),
            (
                Read,
                Some(429),
                rl,
                Some(1),
                Some("public_api_request_blocked"),
                1,
                RetryDecision::GiveUp,
            ),
            (
                Read,
                Some(429),
                rl,
                Some(1),
                Some("public_api_space_request_rate_limit"),
                1,
                retry(1.0),
            ),
            (Read, Some(429), rl, Some(1), None, 4, RetryDecision::GiveUp),
            (Read, Some(500), None, None, None, 1, retry(1.0)),
            (Read, Some(502), None, None, None, 2, retry(2.0)),
            (Read, Some(503), None, None, None, 3, retry(4.0)),
            (Read, Some(503), None, Some(10), None, 1, retry(10.0)),
            (Idem, Some(504), None, None, None, 1, retry(1.0)),
            (
                Create,
                Some(500),
                None,
                None,
                None,
                1,
                RetryDecision::GiveUp,
            ),
            (
                Create,
                Some(503),
                None,
                None,
                None,
                1,
                RetryDecision::GiveUp,
            ),
            (Read, None, None, None, None, 1, retry(1.0)),
            (Idem, None, None, None, None, 3, retry(4.0)),
            (Create, None, None, None, None, 1, RetryDecision::GiveUp),
            (
                Read,
                Some(409),
                Some("conflict_error"),
                None,
                None,
                1,
                retry(1.0),
            ),
            (
                Idem,
                Some(409),
                Some("conflict_error"),
                None,
                None,
                1,
                retry(1.0),
            ),
            (
                Create,
                Some(409),
                Some("conflict_error"),
                None,
                None,
                1,
                RetryDecision::GiveUp,
            ),
            (
                Read,
                Some(400),
                Some("validation_error"),
                None,
                None,
                1,
                RetryDecision::GiveUp,
            ),
            (
                Read,
                Some(401),
                Some("unauthorized"),
                None,
                None,
                1,
                RetryDecision::GiveUp,
            ),
            (
                Read,
                Some(404),
                Some("object_not_found"),
                None,
                None,
                1,
                RetryDecision::GiveUp,
            ),
            (Read, Some(501), None, None, None, 1, RetryDecision::GiveUp),
            (Read, Some(500), None, None, None, 4, RetryDecision::GiveUp),
        ];
        for (kind, status, code, ra, reason, attempt, expected) in cases {
            let f = failure(status, code, ra, reason);
            assert_eq!(
                p.decide(kind, &f, attempt, 0.5),
                expected,
                "{kind:?} {status:?} {code:?} ra={ra:?} reason={reason:?} attempt={attempt}"
            );
        }
    }

    #[test]
    fn a_503_saying_saved_is_not_repeated_for_writes() {
        let p = RetryPolicy::default();
        let saved = AttemptFailure {
            saved: true,
            ..failure(Some(503), Some("service_unavailable"), None, None)
        };
        assert_eq!(p.decide(Idem, &saved, 1, 0.5), RetryDecision::GiveUp);
        assert_eq!(p.decide(Create, &saved, 1, 0.5), RetryDecision::GiveUp);
        // A read repeats nothing: it is retried as any 503.
        assert_eq!(p.decide(Read, &saved, 1, 0.5), retry(1.0));
        let plain = failure(Some(503), Some("service_unavailable"), None, None);
        assert_eq!(p.decide(Idem, &plain, 1, 0.5), retry(1.0));
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(1, 0.999), Duration::from_secs_f64(1.499));
        assert_eq!(p.backoff(3, 0.5), Duration::from_secs(4));
        assert_eq!(p.backoff(10, 0.5), Duration::from_secs(30));
        assert_eq!(p.backoff(100, 0.9), Duration::from_secs(30));
    }

    fn executor(policy: RetryPolicy, rate: f64, burst: u32) -> Executor {
        Executor {
            policy,
            pacer: Pacer::new(rate, burst).unwrap(),
            jitter: Arc::new(|| 0.5),
            stats: Arc::new(StatsInner::default()),
        }
    }

    fn rate_limited(secs: u64) -> NotionError {
        NotionError::from_response(
            429,
            br#"{"object":"error","status":429,"code":"rate_limited","message":"slow down"}"#,
            None,
            Some(Duration::from_secs(secs)),
        )
    }

    /// A 429 shaped like Notion's, with the reason that means the integration is blocked.
    fn request_blocked(status: u16) -> NotionError {
        let body = format!(
            r#"{{"object":"error","status":{status},"code":"rate_limited","message":"This integration's requests are blocked.","request_id":"8e5b1c1e-0f0a-4b7e-9d41-2f4c7a3b9c10","additional_data":{{"retry_after":"30","rate_limit_reason":"public_api_request_blocked"}}}}"#
        );
        NotionError::from_response(status, body.as_bytes(), None, Some(Duration::from_secs(30)))
    }

    #[tokio::test(start_paused = true)]
    async fn a_blocked_integration_is_never_retried_and_says_what_to_do() {
        for status in [429, 403, 529] {
            let exec = executor(RetryPolicy::default(), 1000.0, 3);
            let start = Instant::now();
            let err = exec
                .run("GET", "/v1/users", Read, move |_| async move {
                    Err::<(u16, ()), _>(request_blocked(status))
                })
                .await
                .unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::RequestBlocked, "{status}");
            assert!(!err.is_transient());
            assert_eq!(err.retry_after(), None);
            assert_eq!(
                exec.stats.snapshot().requests,
                1,
                "one attempt for {status}"
            );
            assert_eq!(Instant::now() - start, Duration::ZERO, "no wait");
            assert_eq!(exec.pacer.blocked_for(), Duration::ZERO);
            let text = err.to_string();
            assert!(text.contains("blocked this integration"), "{text}");
            assert!(text.contains("retrying will not help"), "{text}");
            assert!(text.contains("integration settings"), "{text}");
        }
        // A plain rate limit with another reason is still waited out.
        let reason = failure(
            Some(429),
            Some("rate_limited"),
            Some(2),
            Some("public_api_request_rate_limit"),
        );
        assert_eq!(
            RetryPolicy::default().decide(Read, &reason, 1, 0.5),
            retry(2.0)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waits_retry_after_under_paused_clock() {
        let exec = executor(RetryPolicy::default(), 1000.0, 3);
        let calls = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let c = calls.clone();
        let out = exec
            .run("GET", "/v1/users", Read, move |n| {
                c.lock().unwrap().push(Instant::now());
                async move {
                    if n < 3 {
                        Err(rate_limited(5))
                    } else {
                        Ok((200, "ok"))
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!(out, "ok");
        let calls = calls.lock().unwrap();
        assert_eq!(calls.len(), 3);
        assert!(calls[1] - calls[0] >= Duration::from_secs(5));
        assert!(calls[2] - calls[1] >= Duration::from_secs(5));
        assert!(Instant::now() - start >= Duration::from_secs(10));
        let stats = exec.stats.snapshot();
        assert_eq!(stats.requests, 3);
        assert_eq!(stats.retries, 2);
        assert_eq!(stats.rate_limit_waits, 2);
        assert_eq!(stats.rate_limit_wait_total, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_beyond_cap_returns_at_once() {
        let exec = executor(RetryPolicy::default(), 1000.0, 3);
        let start = Instant::now();
        let err = exec
            .run("GET", "/v1/users", Read, |_| async {
                Err::<(u16, ()), _>(rate_limited(120))
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::RateLimited {
                retry_after: Some(Duration::from_secs(120))
            }
        );
        assert_eq!(Instant::now() - start, Duration::ZERO);
        assert_eq!(err.operation(), Some("GET /v1/users"));
        assert_eq!(exec.stats.snapshot().requests, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_holds_every_other_request_of_the_pacer() {
        let exec = executor(RetryPolicy::default(), 1000.0, 3);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let s = sent.clone();
        let limited = exec.run("GET", "/v1/users", Read, move |n| {
            s.lock().unwrap().push(("limited", Instant::now()));
            async move {
                if n == 1 {
                    Err(rate_limited(10))
                } else {
                    Ok((200, ()))
                }
            }
        });
        let other_exec = exec.clone();
        let s = sent.clone();
        let other = async move {
            // Starts just after the 429 came back.
            tokio::time::sleep(Duration::from_millis(8)).await;
            other_exec
                .run("GET", "/v1/users/me", Read, move |_| {
                    s.lock().unwrap().push(("other", Instant::now()));
                    async { Ok((200, ())) }
                })
                .await
        };
        let (a, b) = tokio::join!(limited, other);
        a.unwrap();
        b.unwrap();
        let sent = sent.lock().unwrap();
        assert_eq!(sent.len(), 3);
        let inside_penalty = sent
            .iter()
            .filter(|(_, at)| *at > start && *at - start < Duration::from_secs(10))
            .count();
        assert_eq!(inside_penalty, 0, "{sent:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_penalty_longer_than_the_cap_answers_later_requests_without_sending() {
        let exec = executor(RetryPolicy::default(), 1000.0, 3);
        let sent = Arc::new(Mutex::new(0u32));
        let s = sent.clone();
        let attempt = move |_| {
            *s.lock().unwrap() += 1;
            async { Err::<(u16, ()), _>(rate_limited(120)) }
        };
        let first = exec.run("GET", "/v1/users", Read, attempt).await;
        assert!(first.is_err());
        tokio::time::sleep(Duration::from_secs(30)).await;
        let s = sent.clone();
        let err = exec
            .run("GET", "/v1/users", Read, move |_| {
                *s.lock().unwrap() += 1;
                async { Ok((200, ())) }
            })
            .await
            .unwrap_err();
        assert_eq!(*sent.lock().unwrap(), 1, "nothing sent inside the penalty");
        assert_eq!(
            err.retry_after(),
            Some(Duration::from_secs(90)),
            "the rest of the penalty"
        );
        assert!(err.to_string().contains("not sent"), "{err}");
        tokio::time::sleep(Duration::from_secs(90)).await;
        exec.run("GET", "/v1/users", Read, |_| async { Ok((200, ())) })
            .await
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_retry_reads_with_backoff_but_not_creates() {
        let exec = executor(RetryPolicy::default(), 1000.0, 3);
        let server_error = || {
            NotionError::from_response(
                503,
                br#"{"object":"error","status":503,"code":"service_unavailable","message":"later"}"#,
                None,
                None,
            )
        };
        let start = Instant::now();
        let err = exec
            .run(
                "POST",
                "/v1/data_sources/{data_source_id}/query",
                Read,
                |_| {
                    let e = server_error();
                    async move { Err::<(u16, ()), _>(e) }
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Server);
        // 4 attempts: waits 1 + 2 + 4 s (jitter 0.5 → factor 1).
        assert_eq!(Instant::now() - start, Duration::from_secs(7));
        assert_eq!(exec.stats.snapshot().requests, 4);

        let exec = executor(RetryPolicy::default(), 1000.0, 3);
        let err = exec
            .run("POST", "/v1/pages", Create, |_| {
                let e = server_error();
                async move { Err::<(u16, ()), _>(e) }
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Server);
        assert_eq!(exec.stats.snapshot().requests, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn every_attempt_waits_on_the_pacer() {
        let exec = executor(RetryPolicy::default(), 2.0, 1);
        let start = Instant::now();
        for _ in 0..5 {
            exec.run("GET", "/v1/users/me", Read, |_| async { Ok((200, ())) })
                .await
                .unwrap();
        }
        // 5 requests at 2/s with burst 1: at least (5 - 1) / 2 = 2 s.
        assert!(Instant::now() - start >= Duration::from_secs(2));
        assert_eq!(
            exec.stats.snapshot().pacer_wait_total,
            Duration::from_secs(2)
        );
    }
}
