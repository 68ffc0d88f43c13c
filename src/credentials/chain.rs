//! Several sources asked in turn.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::env::{EnvironmentProvider, Lookup, process_env};
use super::error::{CredentialsError, CredentialsErrorKind};
use super::iam::IamPasswordProvider;
use super::metadata::{DEFAULT_METADATA_ENDPOINT, EcsMetadataProvider};
use super::profile::ProfileProvider;
use super::{Credentials, ENV_DOMAIN_ID, ProvideCredentials, ProvideFuture};

/// Environment variable that lets the default chain ask the ECS metadata service:
/// `true`, `1`, `yes` or `on` (any case); `false`, `0`, `no`, `off` or unset leave it out.
pub const ENV_ECS_METADATA: &str = "HUAWEICLOUD_ECS_METADATA";
/// Environment variable overriding the metadata service's address
/// ([`DEFAULT_METADATA_ENDPOINT`](super::DEFAULT_METADATA_ENDPOINT)).
pub const ENV_ECS_METADATA_ENDPOINT: &str = "HUAWEICLOUD_ECS_METADATA_ENDPOINT";

const ECS_SOURCE: &str = "ECS metadata";

/// Sources asked in order until one yields credentials.
///
/// A source answering [`CredentialsErrorKind::NotConfigured`] is skipped; any other error
/// ends the search (with the skipped sources attached, see [`CredentialsError::tried`]), so
/// that a broken configuration is reported rather than hidden by credentials found further
/// down. When every source is skipped, the error is of kind
/// [`CredentialsErrorKind::NoneFound`] and its message names each source and why:
///
/// ```text
/// no credentials found; tried environment: HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK and
/// HUAWEICLOUD_AUTH_TOKEN not set; IAM password: …; profile: …; ECS metadata: …
/// ```
pub struct ChainProvider {
    sources: Vec<Box<dyn ProvideCredentials>>,
}

impl ChainProvider {
    /// A chain without sources (it answers [`CredentialsErrorKind::NoneFound`]); add them
    /// with [`ChainProvider::with`].
    pub fn new() -> Self {
        Self {
            sources: Vec::new(),
        }
    }

    /// Adds a source after the others.
    pub fn with(mut self, source: impl ProvideCredentials + 'static) -> Self {
        self.sources.push(Box::new(source));
        self
    }

    /// Puts fixed credentials before every other source.
    pub fn with_explicit(mut self, credentials: Credentials) -> Self {
        self.sources.insert(0, Box::new(credentials));
        self
    }

    /// The default chain, configured from the process environment and home directory; see
    /// the [module docs](super#the-default-chain).
    pub fn default_chain() -> Self {
        Self::default_with(process_env(), std::env::home_dir())
    }

    /// The default chain with the variables read through `lookup` and `home` as the home
    /// directory (tests, sandboxes).
    pub fn default_chain_from(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
        home: Option<PathBuf>,
    ) -> Self {
        Self::default_with(Arc::new(lookup), home)
    }

    fn default_with(lookup: Lookup, home: Option<PathBuf>) -> Self {
        let iam = match IamPasswordProvider::from_lookup_arc(&lookup) {
            Ok(p) => Box::new(p) as Box<dyn ProvideCredentials>,
            Err(e) => Box::new(Fixed(e)),
        };
        let ecs = match ecs_from(&lookup) {
            Ok(p) => Box::new(p) as Box<dyn ProvideCredentials>,
            Err(e) => Box::new(Fixed(e)),
        };
        Self {
            sources: vec![
                Box::new(EnvironmentProvider::with_lookup(lookup.clone())),
                iam,
                Box::new(ProfileProvider::with_lookup(lookup, home)),
                ecs,
            ],
        }
    }

    async fn run(&self) -> Result<Credentials, CredentialsError> {
        let mut skipped = Vec::new();
        for source in &self.sources {
            match source.provide().await {
                Ok(c) => return Ok(c),
                Err(e) if e.is_not_configured() => skipped.push(e),
                Err(e) => return Err(e.after(skipped)),
            }
        }
        Err(CredentialsError::none_found(skipped))
    }
}

/// The metadata source the variables ask for, or why there is none.
fn ecs_from(lookup: &Lookup) -> Result<EcsMetadataProvider, CredentialsError> {
    let flag = lookup(ENV_ECS_METADATA).unwrap_or_default();
    let enabled = match flag.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => true,
        "" | "false" | "0" | "no" | "off" => false,
        _ => {
            return Err(CredentialsError::new(
                CredentialsErrorKind::InvalidConfiguration,
                ECS_SOURCE,
                format!("{ENV_ECS_METADATA} must be true or false, not {flag:?}"),
            ));
        }
    };
    if !enabled {
        return Err(CredentialsError::new(
            CredentialsErrorKind::NotConfigured,
            ECS_SOURCE,
            format!(
                "not enabled (set {ENV_ECS_METADATA}=true on an ECS instance with an agency to \
                 ask {DEFAULT_METADATA_ENDPOINT})"
            ),
        ));
    }
    let mut p = EcsMetadataProvider::new();
    if let Some(endpoint) = lookup(ENV_ECS_METADATA_ENDPOINT).filter(|v| !v.is_empty()) {
        p = p.with_endpoint(&endpoint).map_err(|e| {
            CredentialsError::new(
                e.kind(),
                ECS_SOURCE,
                format!("{ENV_ECS_METADATA_ENDPOINT}: {}", e.message()),
            )
        })?;
    }
    if let Some(d) = lookup(ENV_DOMAIN_ID).filter(|v| !v.is_empty()) {
        p = p.with_domain_id(d);
    }
    Ok(p)
}

/// A source the configuration left out or got wrong: answers the same error each time.
struct Fixed(CredentialsError);

impl fmt::Debug for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Unavailable")
            .field(&self.0.source_name())
            .finish()
    }
}

impl ProvideCredentials for Fixed {
    fn provide(&self) -> ProvideFuture<'_> {
        let e = self.0.clone();
        Box::pin(async move { Err(e) })
    }
}

impl Default for ChainProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ChainProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainProvider")
            .field("sources", &self.sources)
            .finish()
    }
}

impl ProvideCredentials for ChainProvider {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.run())
    }
}
