//! The one error of every credential source.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// What went wrong while obtaining credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialsErrorKind {
    /// The source is not set up (no variable, no file, not enabled): a chain goes on to the
    /// next source.
    NotConfigured,
    /// The source is set up wrongly: half a key pair, a profile without `sk`, an endpoint
    /// that is not a URL. A chain stops here.
    InvalidConfiguration,
    /// The source refused: IAM rejected the password, the metadata service has no agency.
    Rejected,
    /// The source could not be reached, or answered an error status.
    Unavailable,
    /// The source answered something that is not credentials.
    InvalidResponse,
    /// No source of a chain yielded credentials; [`CredentialsError::tried`] says why each
    /// was skipped.
    NoneFound,
}

/// Why no credentials could be obtained.
///
/// The message names the source (`"environment"`, `"profile"`, `"ECS metadata"`, `"IAM"`,
/// …), and, for a chain, every source tried. It never holds a secret.
#[derive(Clone, Debug)]
pub struct CredentialsError {
    kind: CredentialsErrorKind,
    source_name: Cow<'static, str>,
    message: String,
    tried: Vec<CredentialsError>,
    cause: Option<Arc<dyn StdError + Send + Sync>>,
}

impl CredentialsError {
    /// An error of `source_name` (shown before the message), for sources written outside
    /// this crate. The message must not hold a secret.
    pub fn new(
        kind: CredentialsErrorKind,
        source_name: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            source_name: source_name.into(),
            message: message.into(),
            tried: Vec::new(),
            cause: None,
        }
    }

    /// Attaches the lower-level error, returned by [`std::error::Error::source`]. Its
    /// `Display` must not hold a secret either.
    pub fn with_cause(mut self, cause: impl StdError + Send + Sync + 'static) -> Self {
        self.cause = Some(Arc::new(cause));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> CredentialsErrorKind {
        self.kind
    }

    /// Whether the source was simply not set up, so that the next one may be asked.
    pub fn is_not_configured(&self) -> bool {
        self.kind == CredentialsErrorKind::NotConfigured
    }

    /// The source that failed: `"environment"`, `"IAM password"`, `"profile"`,
    /// `"ECS metadata"`, `"IAM"`, … or `"credentials"` for a chain that found nothing.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The message, without the source's name.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For a chain: the sources skipped before this error, each with its reason.
    pub fn tried(&self) -> &[CredentialsError] {
        &self.tried
    }

    pub(crate) fn none_found(tried: Vec<CredentialsError>) -> Self {
        let mut e = Self::new(
            CredentialsErrorKind::NoneFound,
            "credentials",
            "no source yielded credentials",
        );
        e.tried = tried;
        e
    }

    pub(crate) fn after(mut self, skipped: Vec<CredentialsError>) -> Self {
        self.tried = skipped;
        self
    }
}

fn write_tried(f: &mut fmt::Formatter<'_>, tried: &[CredentialsError]) -> fmt::Result {
    for (i, e) in tried.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        write!(f, "{}: {}", e.source_name, e.message)?;
    }
    Ok(())
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == CredentialsErrorKind::NoneFound {
            f.write_str("no credentials found; tried ")?;
            return write_tried(f, &self.tried);
        }
        write!(f, "{}: {}", self.source_name, self.message)?;
        if !self.tried.is_empty() {
            f.write_str(" (skipped before it: ")?;
            write_tried(f, &self.tried)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl StdError for CredentialsError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        if let Some(c) = &self.cause {
            return Some(&**c as &(dyn StdError + 'static));
        }
        // A chain that found nothing: the last source tried, the one most worth a look
        // (its own cause follows from there).
        self.tried.last().map(|e| e as &(dyn StdError + 'static))
    }
}
