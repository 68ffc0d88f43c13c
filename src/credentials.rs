//! Who the client authenticates as: an IAM token, or an access key / secret key pair.
//!
//! Secrets are held in [`secrecy::SecretString`] and never appear in `Debug` output,
//! logs or error messages; only the access key id (which travels in clear in every
//! signed request anyway) and the domain id are shown.
//!
//! # Resolution order
//!
//! 1. Credentials given to [`crate::ClientBuilder::credentials`].
//! 2. The environment, read by [`Credentials::from_env`]:
//!    `HUAWEICLOUD_SDK_AK` + `HUAWEICLOUD_SDK_SK` (with the optional
//!    `HUAWEICLOUD_SDK_SECURITY_TOKEN` and `HUAWEICLOUD_SDK_DOMAIN_ID`), the variables
//!    of the vendor's own SDKs; otherwise `HUAWEICLOUD_AUTH_TOKEN`.
//!
//! When both a key pair and a token are in the environment, **the key pair wins**: it is
//! what the vendor's SDKs use, and it does not expire after 24 hours as a token does.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Environment variable holding the access key id.
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// Environment variable holding the secret access key.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// Environment variable holding the security token of temporary credentials.
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Environment variable holding the account (domain) id.
pub const ENV_DOMAIN_ID: &str = "HUAWEICLOUD_SDK_DOMAIN_ID";
/// Environment variable holding an IAM token.
pub const ENV_TOKEN: &str = "HUAWEICLOUD_AUTH_TOKEN";

/// How requests are authenticated.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) kind: Kind,
}

#[derive(Clone)]
pub(crate) enum Kind {
    Token(SecretString),
    AkSk(AkSk),
}

/// An access key pair, perhaps temporary.
#[derive(Clone)]
pub(crate) struct AkSk {
    pub(crate) ak: String,
    pub(crate) sk: SecretString,
    pub(crate) security_token: Option<SecretString>,
    pub(crate) domain_id: Option<String>,
}

/// The environment held no usable credentials.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MissingCredentials(pub(crate) String);

impl Credentials {
    /// Authenticate with an IAM token, sent as `X-Auth-Token`.
    pub fn token(token: impl Into<String>) -> Self {
        Self {
            kind: Kind::Token(SecretString::from(token.into())),
        }
    }

    /// Authenticate by signing each request with an access key pair (SDK-HMAC-SHA256).
    pub fn ak_sk(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            kind: Kind::AkSk(AkSk {
                ak: access_key.into(),
                sk: SecretString::from(secret_key.into()),
                security_token: None,
                domain_id: None,
            }),
        }
    }

    /// Adds the security token of temporary credentials (sent as `X-Security-Token`).
    /// Has no effect on token credentials.
    pub fn with_security_token(mut self, security_token: impl Into<String>) -> Self {
        if let Kind::AkSk(k) = &mut self.kind {
            k.security_token = Some(SecretString::from(security_token.into()));
        }
        self
    }

    /// Adds the account (domain) id, sent as `X-Domain-Id` as the vendor's SDKs do.
    /// Has no effect on token credentials.
    pub fn with_domain_id(mut self, domain_id: impl Into<String>) -> Self {
        if let Kind::AkSk(k) = &mut self.kind {
            k.domain_id = Some(domain_id.into());
        }
        self
    }

    /// Reads credentials from the process environment; see the [module docs](self) for
    /// the variables and their precedence.
    pub fn from_env() -> Result<Self, MissingCredentials> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Credentials::from_env`], with the variables read through `lookup`
    /// (handy in tests, and for configuration stores other than the environment).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, MissingCredentials> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        match (get(ENV_AK), get(ENV_SK)) {
            (Some(ak), Some(sk)) => {
                let mut c = Self::ak_sk(ak, sk);
                if let Some(st) = get(ENV_SECURITY_TOKEN) {
                    c = c.with_security_token(st);
                }
                if let Some(domain) = get(ENV_DOMAIN_ID) {
                    c = c.with_domain_id(domain);
                }
                Ok(c)
            }
            (Some(_), None) => Err(MissingCredentials(format!(
                "{ENV_AK} is set but {ENV_SK} is not: set both to sign requests with an access key pair"
            ))),
            (None, Some(_)) => Err(MissingCredentials(format!(
                "{ENV_SK} is set but {ENV_AK} is not: set both to sign requests with an access key pair"
            ))),
            (None, None) => match get(ENV_TOKEN) {
                Some(token) => Ok(Self::token(token)),
                None => Err(MissingCredentials(format!(
                    "no credentials: set {ENV_AK} and {ENV_SK} (optionally {ENV_SECURITY_TOKEN} and \
                     {ENV_DOMAIN_ID}), or {ENV_TOKEN}"
                ))),
            },
        }
    }

    /// `"token"` or `"ak/sk"`: which scheme these credentials use.
    pub fn scheme(&self) -> &'static str {
        match self.kind {
            Kind::Token(_) => "token",
            Kind::AkSk(_) => "ak/sk",
        }
    }

    /// The access key id, for key-pair credentials.
    pub fn access_key(&self) -> Option<&str> {
        match &self.kind {
            Kind::AkSk(k) => Some(&k.ak),
            Kind::Token(_) => None,
        }
    }

    /// Every secret these credentials hold, for redaction in logs and CLI output.
    pub fn secrets(&self) -> Vec<&str> {
        match &self.kind {
            Kind::Token(t) => vec![t.expose_secret()],
            Kind::AkSk(k) => {
                let mut v = vec![k.sk.expose_secret()];
                if let Some(st) = &k.security_token {
                    v.push(st.expose_secret());
                }
                v
            }
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Token(_) => f
                .debug_struct("Credentials::Token")
                .field("token", &"[REDACTED]")
                .finish(),
            Kind::AkSk(k) => f
                .debug_struct("Credentials::AkSk")
                .field("access_key", &k.ak)
                .field("secret_key", &"[REDACTED]")
                .field(
                    "security_token",
                    &k.security_token.as_ref().map(|_| "[REDACTED]"),
                )
                .field("domain_id", &k.domain_id)
                .finish(),
        }
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Token(_) => f.write_str("IAM token [REDACTED]"),
            Kind::AkSk(k) if k.security_token.is_some() => {
                write!(
                    f,
                    "temporary access key {} [secret key and security token REDACTED]",
                    k.ak
                )
            }
            Kind::AkSk(k) => write!(f, "access key {} [secret key REDACTED]", k.ak),
        }
    }
}
