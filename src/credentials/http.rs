//! What the HTTP sources share: their client, bounded bodies, endpoints and times.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::error::{CredentialsError, CredentialsErrorKind};

/// Builds a client for one source. TLS uses the process's default rustls crypto provider
/// when the application installed one, else ring, without installing anything globally;
/// plain-HTTP endpoints get no root certificates (they need none and loading them costs).
pub(crate) fn client(
    source: &'static str,
    endpoint: &reqwest::Url,
    connect_timeout: Duration,
    timeout: Duration,
    use_proxy: bool,
) -> Result<reqwest::Client, CredentialsError> {
    let fail = |what: &str| {
        CredentialsError::new(
            CredentialsErrorKind::InvalidConfiguration,
            source,
            format!("cannot build the HTTP client: {what}"),
        )
    };
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| fail("TLS versions").with_cause(e))?;
    let mut tls = if endpoint.scheme() == "https" {
        let verifier = rustls_platform_verifier::Verifier::new(provider)
            .map_err(|e| fail("the platform's certificate verifier").with_cause(e))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    };
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut http = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .user_agent(crate::DEFAULT_USER_AGENT)
        .redirect(reqwest::redirect::Policy::none());
    if !use_proxy {
        http = http.no_proxy();
    }
    http.build().map_err(|e| fail("reqwest").with_cause(e))
}

/// Checks an endpoint given by the user: an http or https URL with a host, no user
/// name or password, no query. Answers it without a trailing slash.
pub(crate) fn endpoint(
    source: &'static str,
    what: &str,
    value: &str,
) -> Result<reqwest::Url, CredentialsError> {
    let invalid = |why: String| {
        CredentialsError::new(CredentialsErrorKind::InvalidConfiguration, source, why)
    };
    let trimmed = value.trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|e| {
        // Not echoed whole: a mistyped URL may carry a password.
        invalid(format!("{what} is not a URL ({e})"))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(format!(
            "{what} must not hold a user name or password"
        )));
    }
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(format!(
            "{what} {trimmed:?} must be an http or https URL with a host"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "{what} {trimmed:?} must not have a query or fragment"
        )));
    }
    Ok(url)
}

/// Joins a path to an endpoint checked by [`endpoint`].
pub(crate) fn join(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    let joined = format!("{}{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url
}

/// Why a body could not be read whole.
pub(crate) enum ReadError {
    TooLarge(usize),
    Transport(reqwest::Error),
}

/// Reads a response body, refusing one larger than `limit` bytes.
pub(crate) async fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    if let Some(len) = response.content_length()
        && len > limit as u64
    {
        return Err(ReadError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl ReadError {
    pub(crate) fn into_error(self, source: &'static str, what: &str) -> CredentialsError {
        match self {
            ReadError::TooLarge(limit) => CredentialsError::new(
                CredentialsErrorKind::InvalidResponse,
                source,
                format!("{what}: the answer is larger than the limit of {limit} bytes"),
            ),
            ReadError::Transport(e) => CredentialsError::new(
                CredentialsErrorKind::Unavailable,
                source,
                format!("{what}: the answer could not be read whole"),
            )
            .with_cause(e),
        }
    }
}

/// A transport failure (connect, timeout) of `what`.
pub(crate) fn send_error(source: &'static str, what: &str, e: reqwest::Error) -> CredentialsError {
    let how = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    CredentialsError::new(
        CredentialsErrorKind::Unavailable,
        source,
        format!("{what} {how}"),
    )
    .with_cause(e.without_url())
}

/// At most 200 printable characters of an error body, for messages; every secret in
/// `scrub` is replaced first.
pub(crate) fn snippet(body: &[u8], scrub: &[&str]) -> String {
    let mut text = String::from_utf8_lossy(body).into_owned();
    for s in scrub {
        if !s.is_empty() {
            text = text.replace(s, "[REDACTED]");
        }
    }
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out.trim().to_owned()
}

/// Parses an RFC 3339 time in UTC, as IAM and the metadata service write them
/// (`2026-12-01T10:00:00.000000Z`).
pub(crate) fn parse_time(s: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339(s)
        .or_else(|_| humantime::parse_rfc3339_weak(s))
        .ok()
}

/// Formats a time as RFC 3339 in UTC, to the second; a time outside years 1970 to 9999
/// (which the formatter cannot write) as seconds from the Unix epoch.
pub(crate) fn format_time(t: SystemTime) -> String {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) if d.as_secs() < 253_402_300_800 => humantime::format_rfc3339_seconds(t).to_string(),
        Ok(d) => format!("{} s after the Unix epoch", d.as_secs()),
        Err(e) => format!("{} s before the Unix epoch", e.duration().as_secs()),
    }
}

/// Looks up `names` in turn in a JSON object, for fields the vendor spells several ways.
pub(crate) fn field<'a>(
    object: &'a serde_json::Map<String, serde_json::Value>,
    names: &[&str],
) -> Option<&'a serde_json::Value> {
    names.iter().find_map(|n| object.get(*n))
}
