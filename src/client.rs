//! The client: configuration, the create-case call, retries and error mapping.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tracing::Instrument;

use crate::case::{CreatedCase, NewCase};
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind};
use crate::generated::{self, types};
use crate::hooks::{Clock, Inner, OBSERVED, Observation};
use crate::retry::RetryPolicy;
use crate::validation;

/// A Huawei Cloud site, each with its own OSM endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Site {
    /// The China site, `osm.cn-south-1.myhuaweicloud.com`.
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

/// Builds a [`Client`]. See [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    endpoint: Option<String>,
    site: Site,
    x_site: Option<Option<i32>>,
    credentials: Option<Credentials>,
    language: Option<String>,
    time_zone: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    clock: Option<Clock>,
    http: Option<reqwest::Client>,
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

    /// The credentials. Without this call, [`Credentials::from_env`] is used.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// `X-Language` for every ticket, such as `en-us` (the service defaults to `zh-cn`).
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
            None => Credentials::from_env()
                .map_err(|e| Error::new(ErrorKind::Credentials, e.to_string()))?,
        };
        let endpoint = self
            .endpoint
            .unwrap_or_else(|| self.site.endpoint().to_owned());
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&endpoint).map_err(|e| {
            Error::new(
                ErrorKind::Configuration,
                format!("the endpoint {endpoint:?} is not a URL: {e}"),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!("the endpoint {endpoint:?} must be an http or https URL with a host"),
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
                // reqwest is built without a bundled crypto provider; use ring unless the
                // application installed another one. Failure means one is installed.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut http = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .timeout(self.timeout)
                    .user_agent(self.user_agent)
                    // A redirect would replay a non-idempotent POST elsewhere: report
                    // it as an answer instead of following it.
                    .redirect(reqwest::redirect::Policy::none());
                if url.scheme() == "http" {
                    // Plain HTTP (the emulator, a local proxy) never needs the platform's
                    // root certificates, which take milliseconds to load.
                    http = http.tls_certs_only([]);
                }
                http.build().map_err(|e| {
                    Error::new(ErrorKind::Configuration, "cannot build the HTTP client")
                        .with_source(e)
                })?
            }
        };
        let inner = Inner {
            credentials,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
        };
        Ok(Client {
            api: generated::Client::new_with_client(&endpoint, http, inner),
            shared: Arc::new(Shared {
                endpoint,
                language: self.language,
                time_zone: self.time_zone,
                x_site,
                retry: self.retry,
            }),
        })
    }
}

struct Shared {
    endpoint: String,
    language: Option<String>,
    time_zone: Option<String>,
    x_site: Option<i32>,
    retry: RetryPolicy,
}

/// A client of the OSM service. Cheap to clone; clones share one connection pool.
///
/// Build one per process and reuse it: connections are kept alive between calls.
#[derive(Clone)]
pub struct Client {
    api: generated::Client,
    shared: Arc<Shared>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.shared.endpoint)
            .field("credentials", &self.api.inner.credentials)
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
        }
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        &self.shared.endpoint
    }

    /// The generated client underneath, for its raw operation builders. Requests made
    /// through it are still authenticated by the hooks, but not validated or retried.
    pub fn generated(&self) -> &generated::Client {
        &self.api
    }

    /// Opens a service ticket.
    ///
    /// The case is checked against the spec first; an invalid case is refused with
    /// [`ErrorKind::Validation`] before anything is sent. Failures that certainly did not
    /// reach the service are retried under the client's [`RetryPolicy`]; see
    /// [`Error::outcome_unknown`] for the others.
    pub async fn create_case(&self, case: &NewCase) -> Result<CreatedCase, Error> {
        let body = case.validate()?;
        let started = Instant::now();
        let retry = &self.shared.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                "osm.create_case",
                operation = "create_case",
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let t0 = Instant::now();
            let result = self
                .attempt(case, body.clone())
                .instrument(span.clone())
                .await;
            let result = result.map(|mut c| {
                c.attempts = attempt;
                c
            });
            let result = result.map_err(|e| e.with(|i| i.attempts = attempt));
            span.record("elapsed_ms", t0.elapsed().as_millis() as u64);
            let err = match result {
                Ok(created) => {
                    span.record("status", 200u16);
                    if let Some(id) = &created.request_id {
                        span.record("request_id", id.as_str());
                    }
                    tracing::debug!(parent: &span, incident_id = %created.incident_id, "ticket created");
                    return Ok(created);
                }
                Err(err) => err,
            };
            if let Some(status) = err.http_status() {
                span.record("status", status);
            }
            if let Some(id) = err.request_id() {
                span.record("request_id", id);
            }
            let wait = retry.backoff(attempt + 1, err.retry_after());
            let in_time = retry
                .deadline()
                .is_none_or(|d| started.elapsed() + wait < d);
            if attempt >= retry.max_attempts() || !retry.allows(&err) || !in_time {
                tracing::debug!(parent: &span, error = %err, "attempt failed, giving up");
                return Err(err);
            }
            tracing::debug!(parent: &span, error = %err, wait_ms = wait.as_millis() as u64, "attempt failed, retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        case: &NewCase,
        body: types::CreateCaseRequest,
    ) -> Result<CreatedCase, Error> {
        let shared = &*self.shared;
        let mut call = self.api.create_case().body(body);
        if let Some(v) = &shared.language {
            call = call.x_language(v.as_str());
        }
        if let Some(v) = &shared.time_zone {
            call = call.x_time_zone(v.as_str());
        }
        if let Some(v) = shared.x_site {
            call = call.x_site(v);
        }
        for (name, value) in case.headers() {
            call = match name {
                "X-Language" => call.x_language(value),
                "X-Time-Zone" => call.x_time_zone(value),
                "x-phone-verifiedid" => call.x_phone_verifiedid(value),
                _ => call.x_email_verifiedid(value),
            };
        }
        let cell = RefCell::new(Observation::default());
        let (result, observed) = OBSERVED
            .scope(cell, async {
                let r = call.send().await;
                (r, OBSERVED.with(|o| std::mem::take(&mut *o.borrow_mut())))
            })
            .await;
        map_result(result, observed)
    }
}

type GenResult = Result<
    progenitor_client::ResponseValue<types::CreateCaseResponse>,
    progenitor_client::Error<types::ErrorBody>,
>;

/// The innermost message of an error chain, such as "Connection refused (os error 111)".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

fn map_result(result: GenResult, obs: Observation) -> Result<CreatedCase, Error> {
    use progenitor_client::Error as G;
    let request_id = obs.request_id.clone();
    let with_wire = |e: Error| {
        e.with(|i| {
            i.status = i.status.or(obs.status);
            i.request_id = i.request_id.take().or_else(|| obs.request_id.clone());
            i.retry_after = obs.retry_after;
        })
    };
    let response = match result {
        Ok(rv) => rv.into_inner(),
        Err(G::ErrorResponse(rv)) => {
            let status = rv.status().as_u16();
            let body = rv.into_inner();
            let err = Error::new(ErrorKind::Service, String::new()).with(|i| {
                i.status = Some(status);
                i.error_code = Some(body.error_code);
                i.error_msg = Some(body.error_msg);
                i.request_id = body.request_id;
            });
            return Err(with_wire(err));
        }
        Err(G::CommunicationError(e)) | Err(G::InvalidUpgrade(e)) => {
            let cause = root_cause(&e);
            let (kind, message) = if !obs.sent || e.is_builder() {
                (
                    ErrorKind::Configuration,
                    format!("the request could not be built ({cause}); nothing was sent"),
                )
            } else if e.is_connect() {
                (
                    ErrorKind::Connect,
                    format!("could not connect to the service ({cause}); nothing was sent"),
                )
            } else if e.is_timeout() {
                (
                    ErrorKind::Timeout,
                    "no answer in time after the request was sent".to_owned(),
                )
            } else {
                (
                    ErrorKind::Transport,
                    format!("the connection failed after the request was sent ({cause})"),
                )
            };
            return Err(with_wire(Error::new(kind, message).with_source(e)));
        }
        Err(G::ResponseBodyError(e)) => {
            let kind = if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::InvalidResponse
            };
            let err = Error::new(kind, "the answer's body could not be read whole").with_source(e);
            return Err(with_wire(err));
        }
        Err(G::InvalidResponsePayload(bytes, e)) => {
            let success = obs.status.is_some_and(|s| (200..300).contains(&s));
            let err = if success {
                Error::new(
                    ErrorKind::InvalidResponse,
                    format!(
                        "the service answered success with a body that is not a ticket: {}",
                        snippet(&bytes)
                    ),
                )
            } else {
                Error::new(ErrorKind::Service, snippet(&bytes))
            };
            return Err(with_wire(err.with_source(e)));
        }
        Err(G::UnexpectedResponse(r)) => {
            let err = Error::new(
                ErrorKind::Service,
                format!("unexpected HTTP status {}", r.status()),
            );
            return Err(with_wire(err));
        }
        Err(G::InvalidRequest(msg)) => {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!("{msg}; nothing was sent"),
            ));
        }
        Err(G::Custom(msg)) => {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!("{msg}; nothing was sent"),
            ));
        }
    };
    match (response.incident_id, response.error_code) {
        (Some(id), _) => Ok(CreatedCase {
            incident_id: id.to_string(),
            request_id,
            attempts: 0,
        }),
        (None, Some(code)) => Err(with_wire(
            Error::new(ErrorKind::Service, String::new()).with(|i| {
                i.error_code = Some(code);
                i.error_msg = response.error_msg;
            }),
        )),
        (None, None) => Err(with_wire(Error::new(
            ErrorKind::InvalidResponse,
            "the service answered success without a ticket id",
        ))),
    }
}
