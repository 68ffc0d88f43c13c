//! Temporary credentials from the ECS instance metadata service.

use std::fmt;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::error::{CredentialsError, CredentialsErrorKind};
use super::http::{self, ReadError};
use super::{Credentials, ProvideCredentials, ProvideFuture};

const SOURCE: &str = "ECS metadata";

/// Where the metadata service answers on an ECS instance.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";

/// The connect and total timeout of each request to the metadata service (it is local to
/// the instance, so it answers fast or not at all).
pub const DEFAULT_METADATA_TIMEOUT: Duration = Duration::from_secs(3);

/// The lifetime asked for each metadata session token, in seconds (6 hours).
pub const METADATA_TOKEN_TTL_SECONDS: u64 = 21_600;

/// The largest answer read from the metadata service, in bytes.
pub const MAX_METADATA_BODY: usize = 64 * 1024;

const TOKEN_PATH: &str = "/meta-data/latest/api/token";
const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";
/// What the service says on an instance without an agency: retrying cannot help.
const NO_AGENCY: &str = "Please configure Cloud Service Agency first";
/// A session token is renewed this long before its TTL runs out.
const SESSION_MARGIN: Duration = Duration::from_secs(300);

/// Temporary credentials of the agency bound to an ECS instance, from its metadata service.
///
/// Each fetch obtains a session token (`PUT /meta-data/latest/api/token` with
/// `X-Metadata-Token-Ttl-Seconds: 21600`), kept until shortly before its TTL, then reads
/// `GET /openstack/latest/securitykey` with `X-Metadata-Token`. A 401 that is not the
/// service's "Please configure Cloud Service Agency first" gets a new session token and one
/// more try. The answer's `credential` (or `credentials`) object gives `access`, `secret`,
/// `securitytoken` and `expires_at` (also spelled `accessKeyId`, `secretAccessKey`,
/// `securityToken`, `expiration`); a [`CredentialsProvider`](super::CredentialsProvider)
/// fetches new ones before `expires_at`.
pub struct EcsMetadataProvider {
    endpoint: reqwest::Url,
    timeout: Duration,
    domain_id: Option<String>,
    http: OnceLock<reqwest::Client>,
    session: Mutex<Option<Session>>,
}

struct Session {
    token: SecretString,
    obtained: Instant,
}

impl EcsMetadataProvider {
    /// The metadata service at [`DEFAULT_METADATA_ENDPOINT`].
    pub fn new() -> Self {
        Self {
            endpoint: reqwest::Url::parse(DEFAULT_METADATA_ENDPOINT).expect("a valid URL"),
            timeout: DEFAULT_METADATA_TIMEOUT,
            domain_id: None,
            http: OnceLock::new(),
            session: Mutex::new(None),
        }
    }

    /// Asks the metadata service at `endpoint` instead (an http or https URL).
    pub fn with_endpoint(mut self, endpoint: &str) -> Result<Self, CredentialsError> {
        self.endpoint = http::endpoint(SOURCE, "the metadata endpoint", endpoint)?;
        self.http = OnceLock::new();
        Ok(self)
    }

    /// The connect and total timeout of each request (default
    /// [`DEFAULT_METADATA_TIMEOUT`]); zero is refused when the source is asked.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.http = OnceLock::new();
        self
    }

    /// The account (domain) id to attach to the credentials (sent as `X-Domain-Id`).
    pub fn with_domain_id(mut self, domain_id: impl Into<String>) -> Self {
        self.domain_id = Some(domain_id.into()).filter(|d| !d.is_empty());
        self
    }

    /// The endpoint asked.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str().trim_end_matches('/')
    }

    fn client(&self) -> Result<reqwest::Client, CredentialsError> {
        if self.timeout.is_zero() {
            return Err(CredentialsError::new(
                CredentialsErrorKind::InvalidConfiguration,
                SOURCE,
                "the timeout is 0 s; it must be longer",
            ));
        }
        if let Some(c) = self.http.get() {
            return Ok(c.clone());
        }
        // The service is link-local: never through a proxy.
        let c = http::client(SOURCE, &self.endpoint, self.timeout, self.timeout, false)?;
        Ok(self.http.get_or_init(|| c).clone())
    }

    /// A session token: the one kept, unless `renew` or it is near its TTL.
    async fn session_token(
        &self,
        http: &reqwest::Client,
        renew: bool,
    ) -> Result<SecretString, CredentialsError> {
        if !renew {
            let kept = self.session.lock().expect("not poisoned");
            if let Some(s) = kept.as_ref() {
                let ttl = Duration::from_secs(METADATA_TOKEN_TTL_SECONDS);
                if s.obtained.elapsed() + SESSION_MARGIN < ttl {
                    return Ok(s.token.clone());
                }
            }
        }
        const WHAT: &str = "PUT /meta-data/latest/api/token";
        let response = http
            .put(http::join(&self.endpoint, TOKEN_PATH))
            .header(
                "X-Metadata-Token-Ttl-Seconds",
                METADATA_TOKEN_TTL_SECONDS.to_string(),
            )
            .send()
            .await
            .map_err(|e| http::send_error(SOURCE, WHAT, e))?;
        let status = response.status();
        let body = http::read_bounded(response, MAX_METADATA_BODY)
            .await
            .map_err(|e| e.into_error(SOURCE, WHAT))?;
        if !status.is_success() {
            return Err(status_error(WHAT, status, &body));
        }
        let token = String::from_utf8(body)
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty() && HeaderValue::from_str(t).is_ok())
            .ok_or_else(|| {
                CredentialsError::new(
                    CredentialsErrorKind::InvalidResponse,
                    SOURCE,
                    format!("{WHAT}: the session token is empty or not a header value"),
                )
            })?;
        let token = SecretString::from(token);
        *self.session.lock().expect("not poisoned") = Some(Session {
            token: token.clone(),
            obtained: Instant::now(),
        });
        Ok(token)
    }

    /// Fetches the instance's temporary credentials now.
    pub async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        const WHAT: &str = "GET /openstack/latest/securitykey";
        let http = self.client()?;
        let mut token = self.session_token(&http, false).await?;
        let mut renewed = false;
        loop {
            let mut value = HeaderValue::from_str(token.expose_secret()).map_err(|_| {
                CredentialsError::new(
                    CredentialsErrorKind::InvalidResponse,
                    SOURCE,
                    "the session token is not a header value",
                )
            })?;
            value.set_sensitive(true);
            let response = http
                .get(http::join(&self.endpoint, SECURITY_KEY_PATH))
                .header("X-Metadata-Token", value)
                .send()
                .await
                .map_err(|e| http::send_error(SOURCE, WHAT, e))?;
            let status = response.status();
            let body = http::read_bounded(response, MAX_METADATA_BODY)
                .await
                .map_err(|e: ReadError| e.into_error(SOURCE, WHAT))?;
            if status == StatusCode::UNAUTHORIZED {
                if String::from_utf8_lossy(&body).contains(NO_AGENCY) {
                    return Err(CredentialsError::new(
                        CredentialsErrorKind::Rejected,
                        SOURCE,
                        format!(
                            "no agency is bound to this ECS instance (the service says \
                             \"{NO_AGENCY}\"): bind one in the ECS console"
                        ),
                    ));
                }
                if !renewed {
                    // The session token expired or was revoked: one more try with a new one.
                    renewed = true;
                    token = self.session_token(&http, true).await?;
                    continue;
                }
                *self.session.lock().expect("not poisoned") = None;
                return Err(CredentialsError::new(
                    CredentialsErrorKind::Rejected,
                    SOURCE,
                    format!(
                        "{WHAT} answered HTTP 401 twice, the second time to a new session token"
                    ),
                ));
            }
            if !status.is_success() {
                return Err(status_error(WHAT, status, &body));
            }
            return parse_security_key(&body, self.domain_id.as_deref());
        }
    }
}

fn status_error(what: &str, status: StatusCode, body: &[u8]) -> CredentialsError {
    let snippet = http::snippet(body, &[]);
    let mut message = format!("{what} answered HTTP {}", status.as_u16());
    if !snippet.is_empty() {
        message.push_str(&format!(": {snippet}"));
    }
    let kind = if status == StatusCode::FORBIDDEN {
        CredentialsErrorKind::Rejected
    } else {
        CredentialsErrorKind::Unavailable
    };
    CredentialsError::new(kind, SOURCE, message)
}

/// Reads the security key answer. Messages name fields, never their values (but for
/// the expiry, which is no secret).
fn parse_security_key(
    body: &[u8],
    domain_id: Option<&str>,
) -> Result<Credentials, CredentialsError> {
    let bad =
        |why: String| CredentialsError::new(CredentialsErrorKind::InvalidResponse, SOURCE, why);
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        bad(format!(
            "the security key answer is not JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let (name, credential) = ["credential", "credentials"]
        .iter()
        .find_map(|n| value.get(*n).map(|v| (*n, v)))
        .ok_or_else(|| bad("the security key answer has no `credential` object".into()))?;
    let credential = credential
        .as_object()
        .ok_or_else(|| bad(format!("`{name}` is not an object")))?;
    let text = |names: &[&str]| -> Result<String, CredentialsError> {
        let v = http::field(credential, names)
            .ok_or_else(|| bad(format!("`{name}` has no `{}`", names.join("` or `"))))?;
        v.as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| bad(format!("`{name}.{}` is not a non-empty string", names[0])))
    };
    let access = text(&["access", "accessKeyId"])?;
    let secret = text(&["secret", "secretAccessKey"])?;
    let security_token = text(&["securitytoken", "securityToken"])?;
    let expires = text(&["expires_at", "expiration"])?;
    let expires_at = http::parse_time(&expires).ok_or_else(|| {
        let shown: String = expires.chars().take(64).collect();
        bad(format!(
            "`{name}.expires_at` {shown:?} is not an RFC 3339 time"
        ))
    })?;
    let mut c = Credentials::ak_sk(access, secret)
        .with_security_token(security_token)
        .with_expiry(expires_at);
    if let Some(d) = domain_id {
        c = c.with_domain_id(d);
    }
    Ok(c)
}

impl Default for EcsMetadataProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for EcsMetadataProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let has_session = self.session.lock().map(|s| s.is_some()).unwrap_or(false);
        f.debug_struct("EcsMetadataProvider")
            .field("endpoint", &self.endpoint())
            .field("timeout", &self.timeout)
            .field("domain_id", &self.domain_id)
            .field("session_token", &has_session.then_some("[REDACTED]"))
            .finish()
    }
}

impl ProvideCredentials for EcsMetadataProvider {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}
