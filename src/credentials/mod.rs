//! Who the client authenticates as, and where that comes from.
//!
//! [`Credentials`] is the value: an IAM token, or an access key / secret key pair (perhaps
//! temporary, with a security token), perhaps with the time it expires. Secrets are held in
//! [`secrecy::SecretString`] and never appear in `Debug` or `Display` output, logs or error
//! messages; only the access key id (which travels in clear in every signed request anyway),
//! the domain id and the expiry are shown.
//!
//! A [source](ProvideCredentials) produces credentials: fixed ones ([`Credentials`] itself),
//! the [environment](EnvironmentProvider), the vendor's [profile file](ProfileProvider), the
//! [ECS instance metadata service](EcsMetadataProvider), or an
//! [IAM password login](IamPasswordProvider). A [`ChainProvider`] asks several in turn.
//! A [`CredentialsProvider`] is the handle the client holds: it caches what its source gave,
//! refreshes credentials that expire *before* they expire, and lets concurrent callers share
//! one refresh.
//!
//! # The default chain
//!
//! [`CredentialsProvider::default_chain`] asks, in this order (the vendor SDKs' order, with the
//! IAM password login, which they lack, between the environment and the file):
//!
//! 1. **environment**: `HUAWEICLOUD_SDK_AK` + `HUAWEICLOUD_SDK_SK` (with the optional
//!    `HUAWEICLOUD_SDK_SECURITY_TOKEN` and `HUAWEICLOUD_SDK_DOMAIN_ID`), otherwise
//!    `HUAWEICLOUD_AUTH_TOKEN`. When both a key pair and a token are set, **the key pair
//!    wins**: it is what the vendor's SDKs use, and it does not expire after 24 hours as a
//!    token does.
//! 2. **IAM password**: `HUAWEICLOUD_IAM_USER`, `HUAWEICLOUD_IAM_PASSWORD` and
//!    `HUAWEICLOUD_IAM_DOMAIN` (the account name), with `HUAWEICLOUD_IAM_ENDPOINT` to reach
//!    another IAM than [`DEFAULT_IAM_ENDPOINT`]; the token obtained is renewed before it
//!    expires.
//! 3. **profile**: the `[global]` section of the INI file named by
//!    `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials` (keys `ak`, `sk`,
//!    `security_token`, `domain_id`, `iam_endpoint`).
//! 4. **ECS metadata**: temporary credentials of the agency bound to the ECS instance,
//!    refreshed before they expire. Asked **only when `HUAWEICLOUD_ECS_METADATA=true`**
//!    (`HUAWEICLOUD_ECS_METADATA_ENDPOINT` overrides `http://169.254.169.254`): off an ECS
//!    instance that address belongs to nobody, and probing it from every laptop would cost a
//!    timeout and send requests to whatever answers there.
//!
//! Credentials given to the client explicitly come before all of these
//! ([`ChainProvider::with_explicit`], or `CredentialsProvider::from(credentials)`).
//!
//! A source that is not set up at all is skipped; a source that is set up but broken (half a
//! key pair, a profile without `sk`, a metadata service that refuses) ends the search with its
//! error, so that a mistake is not hidden by credentials found further down. When no source
//! yields credentials, one [`CredentialsError`] names every source and why it was skipped.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use secrecy::{ExposeSecret, SecretString};

mod cache;
mod chain;
mod env;
mod error;
mod http;
mod iam;
mod ini;
mod metadata;
mod profile;

pub use cache::{Clock, CredentialsProvider, CredentialsProviderBuilder, DEFAULT_REFRESH_WINDOW};
pub use chain::{ChainProvider, ENV_ECS_METADATA, ENV_ECS_METADATA_ENDPOINT};
pub use env::EnvironmentProvider;
pub use error::{CredentialsError, CredentialsErrorKind};
pub use iam::{
    DEFAULT_IAM_ENDPOINT, DEFAULT_IAM_TIMEOUT, ENV_IAM_DOMAIN, ENV_IAM_ENDPOINT, ENV_IAM_PASSWORD,
    ENV_IAM_USER, IamPasswordProvider, MAX_IAM_BODY,
};
pub use metadata::{
    DEFAULT_METADATA_ENDPOINT, DEFAULT_METADATA_TIMEOUT, EcsMetadataProvider, MAX_METADATA_BODY,
    METADATA_TOKEN_TTL_SECONDS,
};
pub use profile::{
    ENV_CREDENTIALS_FILE, MAX_PROFILE_SIZE, Profile, ProfileProvider, edit_profile_text,
    parse_profile_text, read_profile_text,
};

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

/// The future a [`ProvideCredentials`] source returns.
pub type ProvideFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials: asked by a [`CredentialsProvider`] when it has none, or when the
/// ones it has are about to expire.
///
/// A source that is not set up answers an error of kind
/// [`CredentialsErrorKind::NotConfigured`], so that a [`ChainProvider`] goes on to the next.
/// Sources do not cache; the [`CredentialsProvider`] around them does.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Obtains credentials, with [`Credentials::expires_at`] set when they expire.
    fn provide(&self) -> ProvideFuture<'_>;
}

/// Fixed credentials are a source that always answers them.
impl ProvideCredentials for Credentials {
    fn provide(&self) -> ProvideFuture<'_> {
        let c = self.clone();
        Box::pin(async move { Ok(c) })
    }
}

/// How requests are authenticated.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) kind: Kind,
    pub(crate) expires_at: Option<SystemTime>,
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
            expires_at: None,
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
            expires_at: None,
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

    /// Records when these credentials stop working; a [`CredentialsProvider`] obtains new
    /// ones shortly before.
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// When these credentials stop working, if they do.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
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
        env::resolve(&lookup).map_err(|e| match e {
            env::EnvFailure::NotSet => MissingCredentials(format!(
                "no credentials: set {ENV_AK} and {ENV_SK} (optionally {ENV_SECURITY_TOKEN} and \
                 {ENV_DOMAIN_ID}), or {ENV_TOKEN}"
            )),
            env::EnvFailure::HalfPair(message) => MissingCredentials(message),
        })
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

    /// The account (domain) id, for key-pair credentials that have one.
    pub fn domain_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::AkSk(k) => k.domain_id.as_deref(),
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
        let mut s = match &self.kind {
            Kind::Token(_) => {
                let mut s = f.debug_struct("Credentials::Token");
                s.field("token", &"[REDACTED]");
                s
            }
            Kind::AkSk(k) => {
                let mut s = f.debug_struct("Credentials::AkSk");
                s.field("access_key", &k.ak)
                    .field("secret_key", &"[REDACTED]")
                    .field(
                        "security_token",
                        &k.security_token.as_ref().map(|_| "[REDACTED]"),
                    )
                    .field("domain_id", &k.domain_id);
                s
            }
        };
        if let Some(at) = self.expires_at {
            s.field("expires_at", &http::format_time(at));
        }
        s.finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Token(_) => f.write_str("IAM token [REDACTED]")?,
            Kind::AkSk(k) if k.security_token.is_some() => {
                write!(
                    f,
                    "temporary access key {} [secret key and security token REDACTED]",
                    k.ak
                )?;
            }
            Kind::AkSk(k) => write!(f, "access key {} [secret key REDACTED]", k.ak)?,
        }
        if let Some(at) = self.expires_at {
            write!(f, ", expires {}", http::format_time(at))?;
        }
        Ok(())
    }
}
