//! The handle the client holds: cached credentials, refreshed before they expire.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use super::error::{CredentialsError, CredentialsErrorKind};
use super::http::format_time;
use super::{ChainProvider, Credentials, ProvideCredentials};

/// The wall clock a [`CredentialsProvider`] compares expiry times with (injectable for
/// tests).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// How long before `expires_at` credentials are refreshed, by default. For credentials
/// that live shorter than twice this, refreshing starts halfway through their life.
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

/// After a refresh failed while the credentials held are still valid, the next try waits
/// this long (the credentials held are used meanwhile).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// A cheap-to-clone handle on a credentials source, with a cache in front of it.
///
/// [`CredentialsProvider::current`] answers the credentials held while they are fresh.
/// Credentials with an [expiry](Credentials::expires_at) are refreshed on the first call
/// inside the refresh window before it (by default [`DEFAULT_REFRESH_WINDOW`]), so a
/// request never goes out with credentials about to lapse, and never waits for a failure
/// to notice. Concurrent callers that find the credentials stale share one refresh: the
/// source is asked once, and all of them get its answer. If a refresh fails while the
/// credentials held are still valid, those are answered (and the failure logged) until
/// they expire, with a new try every few seconds.
///
/// Credentials without an expiry are asked for once and kept; errors are not kept, so the
/// next call asks again.
#[derive(Clone)]
pub struct CredentialsProvider {
    inner: Arc<Inner>,
}

struct Inner {
    source: Box<dyn ProvideCredentials>,
    clock: Clock,
    window: Duration,
    state: RwLock<State>,
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    held: Option<Held>,
    /// Counts the source's answers, so that a caller that waited for a refresh can tell
    /// whether one happened meanwhile.
    attempts: u64,
    last_error: Option<CredentialsError>,
}

struct Held {
    credentials: Credentials,
    /// From then on, the next call refreshes (unless `not_before` says to wait).
    refresh_at: Option<SystemTime>,
    /// After a failed refresh: no new try before then.
    not_before: Option<SystemTime>,
}

impl Held {
    fn fresh(&self, now: SystemTime) -> bool {
        let Some(refresh_at) = self.refresh_at else {
            return true;
        };
        if now < refresh_at {
            return true;
        }
        let valid = self.credentials.expires_at.is_none_or(|at| now < at);
        valid && self.not_before.is_some_and(|t| now < t)
    }
}

/// Builds a [`CredentialsProvider`] with another clock or refresh window.
pub struct CredentialsProviderBuilder {
    source: Box<dyn ProvideCredentials>,
    clock: Option<Clock>,
    window: Duration,
}

impl CredentialsProviderBuilder {
    /// The clock expiry times are compared with (default [`SystemTime::now`]).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How long before `expires_at` to refresh (default [`DEFAULT_REFRESH_WINDOW`]).
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The provider.
    pub fn build(self) -> CredentialsProvider {
        CredentialsProvider {
            inner: Arc::new(Inner {
                source: self.source,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
                window: self.window,
                state: RwLock::new(State::default()),
                refresh: tokio::sync::Mutex::new(()),
            }),
        }
    }
}

impl CredentialsProvider {
    /// A provider over `source`, with the system clock and [`DEFAULT_REFRESH_WINDOW`].
    pub fn new(source: impl ProvideCredentials + 'static) -> Self {
        Self::builder(source).build()
    }

    /// A builder over `source`, to set the clock or the refresh window.
    pub fn builder(source: impl ProvideCredentials + 'static) -> CredentialsProviderBuilder {
        CredentialsProviderBuilder {
            source: Box::new(source),
            clock: None,
            window: DEFAULT_REFRESH_WINDOW,
        }
    }

    /// A provider over [`ChainProvider::default_chain`]: environment, IAM password,
    /// profile file, then (when enabled) ECS metadata.
    pub fn default_chain() -> Self {
        Self::new(ChainProvider::default_chain())
    }

    /// The credentials to sign the next request with: the ones held while fresh, else new
    /// ones from the source (one request for all concurrent callers).
    pub async fn current(&self) -> Result<Credentials, CredentialsError> {
        let inner = &*self.inner;
        let seen = {
            let state = inner.state.read().expect("not poisoned");
            if let Some(held) = &state.held
                && held.fresh((inner.clock)())
            {
                return Ok(held.credentials.clone());
            }
            state.attempts
        };
        let _refreshing = inner.refresh.lock().await;
        let now = (inner.clock)();
        let previous = {
            let state = inner.state.read().expect("not poisoned");
            if let Some(held) = &state.held
                && held.fresh(now)
            {
                return Ok(held.credentials.clone());
            }
            if state.attempts != seen
                && let Some(e) = &state.last_error
            {
                // Another caller asked the source while this one waited, and failed:
                // share its answer rather than ask again at once.
                return Err(e.clone());
            }
            state
                .held
                .as_ref()
                .filter(|h| h.credentials.expires_at.is_none_or(|at| now < at))
                .map(|h| h.credentials.clone())
        };
        let answer = inner.source.provide().await;
        let now = (inner.clock)();
        let answer = answer.and_then(|c| self.check_expiry(c, now));
        let mut state = inner.state.write().expect("not poisoned");
        state.attempts += 1;
        match answer {
            Ok(credentials) => {
                let refresh_at = credentials.expires_at.map(|at| {
                    let life = at.duration_since(now).unwrap_or_default();
                    at - inner.window.min(life / 2)
                });
                state.last_error = None;
                state.held = Some(Held {
                    credentials: credentials.clone(),
                    refresh_at,
                    not_before: None,
                });
                Ok(credentials)
            }
            Err(e) => {
                state.last_error = Some(e.clone());
                match (previous, state.held.as_mut()) {
                    (Some(still_valid), Some(held)) => {
                        tracing::warn!(
                            error = %e,
                            "refreshing credentials failed; using the current ones until they expire"
                        );
                        held.not_before = Some(now + RETRY_AFTER_FAILURE);
                        Ok(still_valid)
                    }
                    _ => Err(e),
                }
            }
        }
    }

    /// Refuses credentials that have expired already (a clock far off, or a source that
    /// answers stale ones): they would only earn a 401.
    fn check_expiry(
        &self,
        c: Credentials,
        now: SystemTime,
    ) -> Result<Credentials, CredentialsError> {
        match c.expires_at {
            Some(at) if at <= now => Err(CredentialsError::new(
                CredentialsErrorKind::InvalidResponse,
                "credentials",
                format!(
                    "the source answered credentials that expired at {}, before the current time \
                     {} (is the clock right?)",
                    format_time(at),
                    format_time(now)
                ),
            )),
            _ => Ok(c),
        }
    }
}

impl From<Credentials> for CredentialsProvider {
    /// Fixed credentials, answered as they are.
    fn from(credentials: Credentials) -> Self {
        Self::new(credentials)
    }
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self
            .inner
            .state
            .read()
            .ok()
            .and_then(|s| s.held.as_ref().map(|h| h.credentials.clone()));
        f.debug_struct("CredentialsProvider")
            .field("source", &self.inner.source)
            .field("refresh_window", &self.inner.window)
            .field("held", &held)
            .finish()
    }
}
