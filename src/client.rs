//! The client: sites, configuration, TLS. The calls themselves go through the
//! executor ([`crate::exec`]); each operation's builder is in [`crate::ops`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::credentials::Clock;
use crate::credentials::{Credentials, CredentialsProvider, ProvideCredentials};
use crate::error::{Error, ErrorKind};
use crate::exec::{self, Prepared};
use crate::retry::RetryPolicy;
use crate::rules::{Location, OperationRules};
use crate::validation;

/// A Huawei Cloud site, each with its own OSM endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Site {
    /// The China site, `osm.cn-south-1.myhuaweicloud.com`, as the vendor's endpoint page
    /// gives it. The vendor's SDK region table says `osm.cn-south-1.myhuaweicloud.cn`
    /// instead (spec/README.md records both); if your account reaches the service only
    /// there, use `.endpoint("https://osm.cn-south-1.myhuaweicloud.cn")`.
    China,
    /// The International site, `osm.ap-southeast-3.myhuaweicloud.com`.
    International,
    /// The Europe site, `osm.eu-west-101.myhuaweicloud.eu`.
    Europe,
}

impl Site {
    /// The site's endpoint.
    pub fn endpoint(self) -> &'static str {
        match self {
            Site::China => "https://osm.cn-south-1.myhuaweicloud.com",
            Site::International => "https://osm.ap-southeast-3.myhuaweicloud.com",
            Site::Europe => "https://osm.eu-west-101.myhuaweicloud.eu",
        }
    }

    /// The `X-Site` header value the vendor's SDKs send for the site (0 China,
    /// 1 International); none for Europe, which the header does not know.
    pub fn x_site(self) -> Option<i32> {
        match self {
            Site::China => Some(0),
            Site::International => Some(1),
            Site::Europe => None,
        }
    }
}

/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt, from sending to the end of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The `User-Agent` sent by default.
pub const DEFAULT_USER_AGENT: &str = concat!("huaweicloud-osm-rust/", env!("CARGO_PKG_VERSION"));

/// How many of the ticket ids it returned a client keeps, for exactly-once creates.
const RETURNED_KEPT: usize = 1024;

/// Builds a [`Client`]. See [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    endpoint: Option<String>,
    site: Site,
    x_site: Option<Option<i32>>,
    credentials: Option<CredentialsProvider>,
    language: Option<String>,
    time_zone: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    clock: Option<Clock>,
    http: Option<reqwest::Client>,
    exactly_once: bool,
    reconcile_window: Duration,
    reconcile_first_look: Duration,
    check_lookups: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("site", &self.site)
            .field("credentials", &self.credentials)
            .field("language", &self.language)
            .field("time_zone", &self.time_zone)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("exactly_once", &self.exactly_once)
            .field("reconcile_window", &self.reconcile_window)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The site to talk to (International by default). Also sets `X-Site`.
    pub fn site(mut self, site: Site) -> Self {
        self.site = site;
        self
    }

    /// An explicit endpoint such as `http://127.0.0.1:8080`, overriding the site's.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Overrides the `X-Site` header (0 China, 1 International); `None` sends none.
    pub fn x_site(mut self, x_site: Option<i32>) -> Self {
        self.x_site = Some(x_site);
        self
    }

    /// Fixed credentials. Without this call (or [`ClientBuilder::credentials_provider`]),
    /// the default chain is used ([`CredentialsProvider::default_chain`]: environment,
    /// IAM password, profile file, ECS metadata when enabled), asked on the first call.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(CredentialsProvider::from(credentials));
        self
    }

    /// Where credentials come from: a [`CredentialsProvider`] (which caches and refreshes
    /// them before they expire), or any source ([`ProvideCredentials`]) wrapped in one.
    pub fn credentials_provider(mut self, provider: impl Into<CredentialsProvider>) -> Self {
        self.credentials = Some(provider.into());
        self
    }

    /// Credentials from any source, cached and refreshed by a [`CredentialsProvider`].
    pub fn credentials_source(self, source: impl ProvideCredentials + 'static) -> Self {
        self.credentials_provider(CredentialsProvider::new(source))
    }

    /// `X-Language` for every request, such as `en-us`. The service defaults to `zh-cn`:
    /// without it, the names in look-ups (problem types, severities, categories,
    /// regions) come back in Chinese, and matching them against English text finds
    /// nothing. Match on what does not depend on the language where you can (a problem
    /// type's [`crate::CaseType`], an id kept in configuration).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// `X-Time-Zone` for every ticket, such as `GMT+1` (the service defaults to `GMT+8`).
    pub fn time_zone(mut self, time_zone: impl Into<String>) -> Self {
        self.time_zone = Some(time_zone.into());
        self
    }

    /// Time allowed to open a connection (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]: safe failures only).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Exactly-once creates (off by default; the `osm` CLI turns it on). A create then
    /// never opens a second ticket, never returns another call's ticket, and says "not
    /// created" only when that is proven:
    ///
    /// - before sending, [`Client::create_case`] lists the tickets with the same
    ///   description opened in the last 15 minutes (one ListCases call);
    /// - the create is sent again only after a failure that certainly did not reach the
    ///   service (a refused connection, a connect timeout, the gateway's throttling 429);
    /// - after any other failure (a timeout, a lost connection, a 5xx, an unreadable
    ///   answer) it is never sent again; the ticket list is looked at with growing waits
    ///   ([`ClientBuilder::reconcile_first_look`], then doubling up to
    ///   [`crate::ops::exactly_once::MAX_LOOK_INTERVAL`]) for up to the reconcile window
    ///   ([`ClientBuilder::reconcile_window`]);
    /// - a listed ticket is this call's only when it has the same description and problem
    ///   type, was opened no earlier than the first send (less
    ///   [`crate::ops::exactly_once::CLOCK_SKEW_ALLOWANCE`]), was not listed before
    ///   sending, was not returned by this client already, and no other create of this
    ///   client with the same description and problem type ran at the same time. It is
    ///   returned with [`crate::CreatedCase::found_after`] saying what failed;
    /// - anything less certain (two such tickets, a ticket whose id, problem type or time
    ///   cannot be read) ends at once with the outcome unknown, naming the candidates
    ///   ([`Error::candidates`], [`Error::reconciliation`]);
    /// - no such ticket by the end of the window, or a list that cannot be read (an
    ///   answer without a list, an error body, a 5xx, a timeout), is also an unknown
    ///   outcome, never "not created": a slow service may still record the ticket.
    ///
    /// Two identical tickets opened one after the other stay two tickets: the first exists
    /// before the second is sent. For a handler that may run twice for one event, see
    /// [`Client::create_case_unless_open`]. The price is one look-up per create.
    pub fn exactly_once(mut self, yes: bool) -> Self {
        self.exactly_once = yes;
        self
    }

    /// How long an exactly-once create keeps looking for its ticket after an ambiguous
    /// failure (default [`crate::ops::exactly_once::DEFAULT_RECONCILE_WINDOW`], 120 s,
    /// where the reason for that value is given).
    pub fn reconcile_window(mut self, window: Duration) -> Self {
        self.reconcile_window = window;
        self
    }

    /// How long an exactly-once create waits after an ambiguous failure before its first
    /// look at the ticket list (default
    /// [`crate::ops::exactly_once::DEFAULT_FIRST_LOOK`], 1 s); later waits double.
    pub fn reconcile_first_look(mut self, wait: Duration) -> Self {
        self.reconcile_first_look = wait;
        self
    }

    /// Checks, before a create is sent, the requirements of the spec that depend on a
    /// look-up (`x-required-when` with a `lookup`): `region_id` is required when the
    /// problem type `business_type_id` names is a fault report (its
    /// [`crate::CaseType::FaultReport`] in `list_problem_types`). Off by default: it
    /// costs one `list_problem_types` call, made on the first create of the client and
    /// cached for its lifetime (one call, however many creates run at once). A problem
    /// type the answer does not list is left for the service to judge.
    pub fn check_fault_report_region(mut self, yes: bool) -> Self {
        self.check_lookups = yes;
        self
    }

    /// The clock that dates signatures (the system clock by default).
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Uses this `reqwest::Client` (its own timeouts and user agent apply) instead of
    /// building one.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client, reading credentials from the environment if none were given.
    pub fn build(self) -> Result<Client, Error> {
        let credentials = match self.credentials {
            Some(c) => c,
            None => CredentialsProvider::default_chain(),
        };
        let endpoint = self
            .endpoint
            .unwrap_or_else(|| self.site.endpoint().to_owned());
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&endpoint).map_err(|e| {
            Error::new(
                ErrorKind::Configuration,
                format!("the endpoint {endpoint:?} is not a URL"),
            )
            .with_source(e)
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!("the endpoint {endpoint:?} must be an http or https URL with a host"),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!("the endpoint {endpoint:?} must not have a query or a fragment"),
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::new(
                ErrorKind::Configuration,
                "the endpoint must not hold a user name or password: credentials go through Credentials",
            ));
        }
        for (name, value) in [
            ("X-Language", &self.language),
            ("X-Time-Zone", &self.time_zone),
        ] {
            if let Some(v) = value {
                validation::check_header(name, v)?;
            }
        }
        let x_site = self.x_site.unwrap_or(self.site.x_site());
        if let Some(v) = x_site {
            validation::check_header("X-Site", &v.to_string())?;
        }
        let http = match self.http {
            Some(http) => http,
            None => {
                let tls = tls_config(url.scheme() == "https")?;
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .timeout(self.timeout)
                    .user_agent(self.user_agent)
                    // A redirect would replay a non-idempotent POST elsewhere: report
                    // it as an answer instead of following it.
                    .redirect(reqwest::redirect::Policy::none())
                    // The client reads bodies as sent; a compressed answer is refused
                    // with a clear error rather than printed as bytes.
                    .tls_backend_preconfigured(tls)
                    .build()
                    .map_err(|e| {
                        Error::new(ErrorKind::Configuration, "cannot build the HTTP client")
                            .with_source(e)
                    })?
            }
        };
        Ok(Client {
            shared: Arc::new(Shared {
                credentials,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
                http,
                endpoint,
                endpoint_url: url,
                language: self.language,
                time_zone: self.time_zone,
                x_site,
                retry: self.retry,
                exactly_once: self.exactly_once,
                reconcile_window: self.reconcile_window,
                reconcile_first_look: self.reconcile_first_look,
                check_lookups: self.check_lookups,
                lookups: tokio::sync::Mutex::new(std::collections::HashMap::new()),
                returned: std::sync::Mutex::new(std::collections::VecDeque::new()),
                in_flight: crate::ops::exactly_once::InFlight::default(),
            }),
        })
    }
}

/// The TLS configuration of a client, with ring as its crypto provider, set for this
/// client only: no process-wide provider is installed, so an application may install its
/// own. Plain-HTTP endpoints (the emulator, a local proxy) get a configuration without
/// root certificates, which are then never loaded.
fn tls_config(https: bool) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls_error =
        |e: rustls::Error| Error::new(ErrorKind::Configuration, "cannot set up TLS").with_source(e);
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let mut config = if https {
        let verifier = rustls_platform_verifier::Verifier::new(provider).map_err(tls_error)?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

struct Shared {
    credentials: crate::credentials::CredentialsProvider,
    clock: Clock,
    http: reqwest::Client,
    endpoint: String,
    endpoint_url: reqwest::Url,
    language: Option<String>,
    time_zone: Option<String>,
    x_site: Option<i32>,
    retry: RetryPolicy,
    exactly_once: bool,
    reconcile_window: Duration,
    reconcile_first_look: Duration,
    /// Whether creates check the requirements decided by a look-up.
    check_lookups: bool,
    /// The answers of those look-ups, by operation id (one per operation the spec
    /// names in a look-up: bounded by the spec).
    lookups: tokio::sync::Mutex<
        std::collections::HashMap<&'static str, Arc<serde_json::Map<String, serde_json::Value>>>,
    >,
    /// The last ticket ids this client returned from creates, newest last.
    returned: std::sync::Mutex<std::collections::VecDeque<String>>,
    /// The exactly-once creates in flight.
    in_flight: crate::ops::exactly_once::InFlight,
}

/// A client of the OSM service. Cheap to clone; clones share one connection pool.
///
/// Build one per process and reuse it: connections are kept alive between calls.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.shared.endpoint)
            .field("credentials", &self.shared.credentials)
            .field("language", &self.shared.language)
            .field("time_zone", &self.shared.time_zone)
            .field("x_site", &self.shared.x_site)
            .field("retry", &self.shared.retry)
            .finish()
    }
}

impl Client {
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            endpoint: None,
            site: Site::International,
            x_site: None,
            credentials: None,
            language: None,
            time_zone: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: RetryPolicy::default(),
            clock: None,
            http: None,
            exactly_once: false,
            reconcile_window: crate::ops::exactly_once::DEFAULT_RECONCILE_WINDOW,
            reconcile_first_look: crate::ops::exactly_once::DEFAULT_FIRST_LOOK,
            check_lookups: false,
        }
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        &self.shared.endpoint
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.shared.http
    }

    pub(crate) fn exactly_once_enabled(&self) -> bool {
        self.shared.exactly_once
    }

    pub(crate) fn reconcile_window(&self) -> Duration {
        self.shared.reconcile_window
    }

    pub(crate) fn reconcile_first_look(&self) -> Duration {
        self.shared.reconcile_first_look
    }

    pub(crate) fn check_lookups_enabled(&self) -> bool {
        self.shared.check_lookups
    }

    /// The answer of look-up operation `op`, called once per client and cached.
    pub(crate) async fn lookup_answer(
        &self,
        op: &'static crate::rules::OperationRules,
    ) -> Result<Arc<serde_json::Map<String, serde_json::Value>>, Error> {
        // Held across the call: concurrent creates wait for the one look-up.
        let mut cache = self.shared.lookups.lock().await;
        if let Some(answer) = cache.get(op.id) {
            return Ok(answer.clone());
        }
        let answer = self
            .execute::<serde_json::Map<String, serde_json::Value>>(crate::exec::Input::new(op))
            .await?;
        let answer = Arc::new(answer.into_inner());
        cache.insert(op.id, answer.clone());
        Ok(answer)
    }

    pub(crate) fn in_flight(&self) -> &crate::ops::exactly_once::InFlight {
        &self.shared.in_flight
    }

    /// Notes a ticket id this client returned (the last [`RETURNED_KEPT`]).
    pub(crate) fn remember_ticket(&self, id: &str) {
        let mut r = self
            .shared
            .returned
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if r.len() >= RETURNED_KEPT {
            r.pop_front();
        }
        r.push_back(id.to_owned());
    }

    /// Whether this client returned ticket `id` already.
    pub(crate) fn returned_ticket(&self, id: &str) -> bool {
        self.shared
            .returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|r| r == id)
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.shared.retry
    }

    pub(crate) fn now(&self) -> SystemTime {
        (self.shared.clock)()
    }

    /// The credentials for the next attempt (cached; refreshed before they expire).
    pub(crate) async fn credentials(&self) -> Result<Credentials, Error> {
        self.shared.credentials.current().await.map_err(|e| {
            Error::new(
                ErrorKind::Credentials,
                "no usable credentials; nothing was sent",
            )
            .with_source(e)
        })
    }

    /// Builds the URL and headers of a validated request to `op`.
    pub(crate) fn prepare(
        &self,
        op: &'static OperationRules,
        params: &[Option<Value>],
        body: Option<Bytes>,
        content_type: &str,
    ) -> Result<Prepared, Error> {
        let shared = &*self.shared;
        let url = exec::build_url(&shared.endpoint_url, op, params)?;
        let mut headers = HeaderMap::new();
        // The client's own settings, where the operation takes them; a value set on the
        // request wins.
        let text = |v: &Option<String>| v.as_deref().and_then(|v| HeaderValue::from_str(v).ok());
        for (name, value) in [
            ("X-Language", text(&shared.language)),
            ("X-Time-Zone", text(&shared.time_zone)),
            ("X-Site", shared.x_site.map(HeaderValue::from)),
        ] {
            if let (Some(v), Some(_)) = (value, op.param(Location::Header, name))
                && let Ok(n) = HeaderName::from_bytes(name.as_bytes())
            {
                headers.insert(n, v);
            }
        }
        exec::put_headers(&mut headers, op, params)?;
        let body = match body {
            Some(b) => {
                let value = HeaderValue::from_str(content_type).map_err(|_| {
                    Error::new(
                        ErrorKind::Configuration,
                        "the body's media type is not valid",
                    )
                })?;
                headers.insert(reqwest::header::CONTENT_TYPE, value);
                b
            }
            None => Bytes::new(),
        };
        let method = reqwest::Method::from_bytes(op.method.as_bytes())
            .map_err(|_| Error::new(ErrorKind::Configuration, "the spec has a bad method"))?;
        Ok(Prepared {
            op,
            method,
            url,
            headers,
            body,
        })
    }
}
