//! Credentials from environment variables.

use std::fmt;
use std::sync::Arc;

use super::error::{CredentialsError, CredentialsErrorKind};
use super::{
    Credentials, ENV_AK, ENV_DOMAIN_ID, ENV_SECURITY_TOKEN, ENV_SK, ENV_TOKEN, ProvideCredentials,
    ProvideFuture,
};

const SOURCE: &str = "environment";

/// A variable lookup: the process environment, or any other store.
pub(crate) type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub(crate) fn process_env() -> Lookup {
    Arc::new(|name| std::env::var(name).ok())
}

pub(crate) enum EnvFailure {
    NotSet,
    HalfPair(String),
}

/// The variables' credentials: a key pair wins over a token; empty variables count as unset.
pub(crate) fn resolve(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Credentials, EnvFailure> {
    let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
    match (get(ENV_AK), get(ENV_SK)) {
        (Some(ak), Some(sk)) => {
            let mut c = Credentials::ak_sk(ak, sk);
            if let Some(st) = get(ENV_SECURITY_TOKEN) {
                c = c.with_security_token(st);
            }
            if let Some(domain) = get(ENV_DOMAIN_ID) {
                c = c.with_domain_id(domain);
            }
            Ok(c)
        }
        (Some(_), None) => Err(EnvFailure::HalfPair(format!(
            "{ENV_AK} is set but {ENV_SK} is not: set both to sign requests with an access key pair"
        ))),
        (None, Some(_)) => Err(EnvFailure::HalfPair(format!(
            "{ENV_SK} is set but {ENV_AK} is not: set both to sign requests with an access key pair"
        ))),
        (None, None) => match get(ENV_TOKEN) {
            Some(token) => Ok(Credentials::token(token)),
            None => Err(EnvFailure::NotSet),
        },
    }
}

/// Credentials from `HUAWEICLOUD_SDK_AK` + `HUAWEICLOUD_SDK_SK` (with the optional
/// `HUAWEICLOUD_SDK_SECURITY_TOKEN` and `HUAWEICLOUD_SDK_DOMAIN_ID`), else
/// `HUAWEICLOUD_AUTH_TOKEN`; read anew each time the source is asked.
///
/// Nothing set is [`CredentialsErrorKind::NotConfigured`]; half a key pair is
/// [`CredentialsErrorKind::InvalidConfiguration`].
#[derive(Clone)]
pub struct EnvironmentProvider {
    lookup: Lookup,
}

impl EnvironmentProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self {
            lookup: process_env(),
        }
    }

    /// Reads the variables through `lookup` instead (tests, other configuration stores).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self {
            lookup: Arc::new(lookup),
        }
    }

    pub(crate) fn with_lookup(lookup: Lookup) -> Self {
        Self { lookup }
    }

    /// The credentials the variables hold now.
    pub fn load(&self) -> Result<Credentials, CredentialsError> {
        resolve(&*self.lookup).map_err(|e| match e {
            EnvFailure::NotSet => CredentialsError::new(
                CredentialsErrorKind::NotConfigured,
                SOURCE,
                format!("{ENV_AK}/{ENV_SK} and {ENV_TOKEN} not set"),
            ),
            EnvFailure::HalfPair(message) => {
                CredentialsError::new(CredentialsErrorKind::InvalidConfiguration, SOURCE, message)
            }
        })
    }
}

impl Default for EnvironmentProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for EnvironmentProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvironmentProvider")
    }
}

impl ProvideCredentials for EnvironmentProvider {
    fn provide(&self) -> ProvideFuture<'_> {
        let result = self.load();
        Box::pin(async move { result })
    }
}
