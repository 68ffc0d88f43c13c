//! IAM tokens obtained with a user name and password.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use super::env::{Lookup, process_env};
use super::error::{CredentialsError, CredentialsErrorKind};
use super::http;
use super::{Credentials, ProvideCredentials, ProvideFuture};

const SOURCE: &str = "IAM";
/// The name the default chain gives this source while it is not set up.
pub(crate) const CHAIN_SOURCE: &str = "IAM password";

/// The global IAM endpoint.
pub const DEFAULT_IAM_ENDPOINT: &str = "https://iam.myhuaweicloud.com";
/// The total timeout of a token request (the connect timeout is a third of it).
pub const DEFAULT_IAM_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest token answer read, in bytes (the request asks for no catalog, which keeps
/// the answer near one kilobyte; a server that sends the catalog anyway stays far below).
pub const MAX_IAM_BODY: usize = 1024 * 1024;

/// Environment variable holding the IAM user name.
pub const ENV_IAM_USER: &str = "HUAWEICLOUD_IAM_USER";
/// Environment variable holding the IAM user's password.
pub const ENV_IAM_PASSWORD: &str = "HUAWEICLOUD_IAM_PASSWORD";
/// Environment variable holding the account (domain) name the user belongs to.
pub const ENV_IAM_DOMAIN: &str = "HUAWEICLOUD_IAM_DOMAIN";
/// Environment variable overriding [`DEFAULT_IAM_ENDPOINT`].
pub const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_IAM_ENDPOINT";

const TOKENS_PATH: &str = "/v3/auth/tokens";

/// IAM tokens for a user name and password, scoped to the user's account (domain), as
/// global services such as OSM need.
///
/// Each fetch sends `POST {endpoint}/v3/auth/tokens?nocatalog=true` with a password identity
/// and a domain scope; the token is the `X-Subject-Token` header of the 201 answer and
/// expires at the body's `token.expires_at` (24 hours later). A
/// [`CredentialsProvider`](super::CredentialsProvider) fetches a new one before then.
/// A 401 or 403 is [`CredentialsErrorKind::Rejected`]; the password is never part of a
/// message, even when the server echoes it.
pub struct IamPasswordProvider {
    endpoint: reqwest::Url,
    user_name: String,
    password: SecretString,
    domain_name: String,
    timeout: Duration,
    http: OnceLock<reqwest::Client>,
}

impl IamPasswordProvider {
    /// Logs in as `user_name` of the account `domain_name` at [`DEFAULT_IAM_ENDPOINT`].
    pub fn new(
        user_name: impl Into<String>,
        password: impl Into<String>,
        domain_name: impl Into<String>,
    ) -> Self {
        Self {
            endpoint: reqwest::Url::parse(DEFAULT_IAM_ENDPOINT).expect("a valid URL"),
            user_name: user_name.into(),
            password: SecretString::from(password.into()),
            domain_name: domain_name.into(),
            timeout: DEFAULT_IAM_TIMEOUT,
            http: OnceLock::new(),
        }
    }

    /// From `HUAWEICLOUD_IAM_USER`, `HUAWEICLOUD_IAM_PASSWORD`, `HUAWEICLOUD_IAM_DOMAIN` and
    /// the optional `HUAWEICLOUD_IAM_ENDPOINT`. None of the three set is
    /// [`CredentialsErrorKind::NotConfigured`]; some of them is
    /// [`CredentialsErrorKind::InvalidConfiguration`], naming the missing ones.
    pub fn from_env() -> Result<Self, CredentialsError> {
        Self::from_lookup_arc(&process_env())
    }

    /// Like [`IamPasswordProvider::from_env`], with the variables read through `lookup`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Self, CredentialsError> {
        Self::from_lookup_arc(&(Arc::new(lookup) as Lookup))
    }

    pub(crate) fn from_lookup_arc(lookup: &Lookup) -> Result<Self, CredentialsError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let names = [ENV_IAM_USER, ENV_IAM_PASSWORD, ENV_IAM_DOMAIN];
        let values = names.map(get);
        let missing: Vec<&str> = names
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        if missing.len() == names.len() {
            return Err(CredentialsError::new(
                CredentialsErrorKind::NotConfigured,
                CHAIN_SOURCE,
                format!("{ENV_IAM_USER}, {ENV_IAM_PASSWORD} and {ENV_IAM_DOMAIN} not set"),
            ));
        }
        if !missing.is_empty() {
            return Err(CredentialsError::new(
                CredentialsErrorKind::InvalidConfiguration,
                CHAIN_SOURCE,
                format!(
                    "{} not set: a password login needs {ENV_IAM_USER}, {ENV_IAM_PASSWORD} and \
                     {ENV_IAM_DOMAIN}",
                    missing.join(", ")
                ),
            ));
        }
        let [Some(user), Some(password), Some(domain)] = values else {
            unreachable!("all three are set")
        };
        let provider = Self::new(user, password, domain);
        match get(ENV_IAM_ENDPOINT) {
            Some(endpoint) => provider.with_endpoint(&endpoint).map_err(|e| {
                CredentialsError::new(
                    e.kind(),
                    CHAIN_SOURCE,
                    format!("{ENV_IAM_ENDPOINT}: {}", e.message()),
                )
            }),
            None => Ok(provider),
        }
    }

    /// Asks the IAM at `endpoint` instead (an http or https URL, such as a region's IAM).
    pub fn with_endpoint(mut self, endpoint: &str) -> Result<Self, CredentialsError> {
        self.endpoint = http::endpoint(SOURCE, "the IAM endpoint", endpoint)?;
        self.http = OnceLock::new();
        Ok(self)
    }

    /// The total timeout of a token request (default [`DEFAULT_IAM_TIMEOUT`]); zero is
    /// refused when the source is asked.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.http = OnceLock::new();
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
        let c = http::client(SOURCE, &self.endpoint, self.timeout / 3, self.timeout, true)?;
        Ok(self.http.get_or_init(|| c).clone())
    }

    /// Obtains a new token now.
    pub async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        const WHAT: &str = "POST /v3/auth/tokens";
        let http = self.client()?;
        let body = serde_json::json!({
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.user_name,
                            "password": self.password.expose_secret(),
                            "domain": { "name": self.domain_name },
                        }
                    }
                },
                "scope": { "domain": { "name": self.domain_name } }
            }
        });
        let body = serde_json::to_vec(&body).expect("a JSON value serialises");
        let mut url = http::join(&self.endpoint, TOKENS_PATH);
        url.set_query(Some("nocatalog=true"));
        let response = http
            .post(url)
            .header("Content-Type", "application/json;charset=utf8")
            .body(body)
            .send()
            .await
            .map_err(|e| http::send_error(SOURCE, WHAT, e))?;
        let status = response.status();
        let token = response
            .headers()
            .get("X-Subject-Token")
            .and_then(|v| v.to_str().ok())
            .map(|v| SecretString::from(v.trim().to_owned()));
        let body = http::read_bounded(response, MAX_IAM_BODY)
            .await
            .map_err(|e| e.into_error(SOURCE, WHAT))?;
        if !status.is_success() {
            return Err(self.refusal(status, &body));
        }
        let token = token
            .filter(|t| !t.expose_secret().is_empty())
            .ok_or_else(|| {
                CredentialsError::new(
                    CredentialsErrorKind::InvalidResponse,
                    SOURCE,
                    format!(
                        "{WHAT} answered HTTP {} without an X-Subject-Token header",
                        status.as_u16()
                    ),
                )
            })?;
        let expires_at = parse_expiry(&body)?;
        Ok(Credentials::token(token.expose_secret()).with_expiry(expires_at))
    }

    fn refusal(&self, status: StatusCode, body: &[u8]) -> CredentialsError {
        let password = self.password.expose_secret();
        // IAM's error object: {"error": {"code", "message", "title"}}, or the gateway's
        // {"error_code", "error_msg"}.
        let said = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                let message = v
                    .pointer("/error/message")
                    .or_else(|| v.get("error_msg"))?
                    .as_str()?
                    .to_owned();
                Some(message)
            })
            .map(|m| http::snippet(m.as_bytes(), &[password]))
            .unwrap_or_else(|| http::snippet(body, &[password]));
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        };
        let code = status.as_u16();
        if matches!(code, 401 | 403) {
            CredentialsError::new(
                CredentialsErrorKind::Rejected,
                SOURCE,
                format!(
                    "{} refused the password of user {:?} in account {:?} (HTTP {code}){said}",
                    self.endpoint(),
                    self.user_name,
                    self.domain_name
                ),
            )
        } else {
            CredentialsError::new(
                CredentialsErrorKind::Unavailable,
                SOURCE,
                format!("{} answered HTTP {code}{said}", self.endpoint()),
            )
        }
    }
}

fn parse_expiry(body: &[u8]) -> Result<std::time::SystemTime, CredentialsError> {
    let bad =
        |why: String| CredentialsError::new(CredentialsErrorKind::InvalidResponse, SOURCE, why);
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        bad(format!(
            "the token answer is not JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let expires = value
        .pointer("/token/expires_at")
        .and_then(|v| v.as_str())
        .ok_or_else(|| bad("the token answer has no `token.expires_at` string".into()))?;
    http::parse_time(expires).ok_or_else(|| {
        let shown: String = expires.chars().take(64).collect();
        bad(format!(
            "`token.expires_at` {shown:?} is not an RFC 3339 time"
        ))
    })
}

impl fmt::Debug for IamPasswordProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamPasswordProvider")
            .field("endpoint", &self.endpoint())
            .field("user_name", &self.user_name)
            .field("password", &"[REDACTED]")
            .field("domain_name", &self.domain_name)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ProvideCredentials for IamPasswordProvider {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}
