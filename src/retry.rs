//! When the client tries again.
//!
//! Opening a ticket is not idempotent, so the default policy retries **only what
//! certainly did not reach the service**:
//!
//! | failure | retried by default | why |
//! |---|---|---|
//! | connection refused, DNS failure, connect timeout | yes | nothing was sent |
//! | HTTP 429 (throttled) | yes, after `Retry-After` | the gateway refused before the service ran |
//! | HTTP 4xx other than 429, 200 with `error_code` | no | a definite refusal: retrying cannot help |
//! | timeout after sending, connection lost after sending | no | the ticket may exist |
//! | HTTP 5xx, unreadable 200 | no | the ticket may exist |
//!
//! Waits grow exponentially from [`RetryPolicy::with_backoff`]'s initial delay, capped
//! at its maximum, with full jitter; a `Retry-After` header is honoured as a minimum.
//! No attempt starts after the total deadline. Each attempt is signed afresh.
//!
//! Idempotent operations (the look-ups, and every GET) are also retried after the
//! ambiguous failures (timeouts, lost connections, 5xx, unreadable answers): sending them
//! twice does no harm. A `Retry-After` longer than [`crate::exec::MAX_RETRY_AFTER`] ends
//! the call with the error instead of waiting.
//!
//! [`RetryPolicy::retry_when_outcome_unknown`] opts in to retrying the ambiguous cases
//! too, for callers who deduplicate tickets themselves.

use std::time::Duration;

use crate::error::{Error, ErrorKind};

/// How many times, and after which failures, a call is attempted again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    deadline: Option<Duration>,
    when_outcome_unknown: bool,
}

impl Default for RetryPolicy {
    /// Three attempts, 200 ms doubling up to 5 s, a 60 s deadline, safe failures only.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            deadline: Some(Duration::from_secs(60)),
            when_outcome_unknown: false,
        }
    }
}

impl RetryPolicy {
    /// A single attempt, no retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// At most `n` attempts in all (at least 1).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The first wait, and the cap on any wait.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// No attempt starts later than `deadline` after the call began; `None` for no limit.
    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Also retry failures after which the ticket may exist (timeouts after sending,
    /// lost connections, 5xx). **This can open duplicate tickets**; use it only if you
    /// deduplicate them yourself.
    pub fn retry_when_outcome_unknown(mut self, yes: bool) -> Self {
        self.when_outcome_unknown = yes;
        self
    }

    /// The maximum number of attempts.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The total deadline.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// Whether `err` may be retried under this policy (ignoring attempts and deadline).
    pub fn allows(&self, err: &Error) -> bool {
        match err.kind() {
            ErrorKind::Connect => true,
            ErrorKind::Service if err.http_status() == Some(429) => true,
            // An idempotent call (a look-up) may be sent again after any ambiguous
            // failure: a timeout, a lost connection, a 5xx, an unreadable answer.
            _ if err.is_idempotent() => err.may_have_taken_effect(),
            _ => self.when_outcome_unknown && err.outcome_unknown(),
        }
    }

    /// After attempt `attempt` (1 for the first) of a call that began at `started`
    /// failed with `err`: how long to wait before the next, or `None` to give up (no
    /// attempts left, a failure this policy does not retry, a `Retry-After` longer than
    /// [`crate::exec::MAX_RETRY_AFTER`], or a next attempt that would start after the
    /// deadline).
    pub fn next_wait(
        &self,
        attempt: u32,
        started: std::time::Instant,
        err: &Error,
    ) -> Option<Duration> {
        let max_retry_after = crate::exec::MAX_RETRY_AFTER;
        let wait = self.backoff(
            attempt + 1,
            err.retry_after().filter(|ra| *ra <= max_retry_after),
        );
        let too_long = err.retry_after().is_some_and(|ra| ra > max_retry_after);
        let in_time = self
            .deadline
            .is_none_or(|d| started.elapsed().saturating_add(wait) < d);
        (attempt < self.max_attempts && self.allows(err) && in_time && !too_long).then_some(wait)
    }

    /// How long to wait before attempt `next` (2 for the first retry).
    pub fn backoff(&self, next: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1 << next.saturating_sub(2).min(16));
        let cap = exp.min(self.max_backoff);
        let jittered = cap.mul_f64(fastrand::f64());
        match retry_after {
            Some(ra) => ra.max(jittered),
            None => jittered,
        }
    }
}
