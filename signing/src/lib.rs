//! SDK-HMAC-SHA256, the request signing of Huawei Cloud's API gateway, and its verifier.
//!
//! Pure functions, no I/O: the client's hook calls [`sign`] on each attempt, and the
//! emulator calls [`verify`]. Each step is public so that the golden vectors in
//! `tests/data/` (produced by the vendor's own Python signer) can check them one
//! by one.
//!
//! 1. `X-Sdk-Date` is set to the signing time (`YYYYMMDDTHHMMSSZ`, UTC) unless present,
//!    and `Host` is added. A `Content-Type` other than `application/json…` or
//!    `application/bson…` adds `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`, as the vendor's
//!    Python signer does.
//! 2. The signed headers are every header name, lower-cased and sorted, except names
//!    containing `_`.
//! 3. The canonical request is method, canonical URI (always ending in `/`), canonical
//!    query, canonical headers, signed headers and the payload hash, joined by
//!    newlines. The payload hash is the hex SHA-256 of the body; for a non-empty body
//!    an `X-Sdk-Content-Sha256` header's value is used instead.
//! 4. The string to sign is `SDK-HMAC-SHA256`, the date and the hex SHA-256 of the
//!    canonical request; the signature is its hex HMAC-SHA256 under the secret key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Header carrying the signing time.
pub const HEADER_DATE: &str = "x-sdk-date";
/// Header that replaces the body hash for bodies that are not signed.
pub const HEADER_CONTENT_SHA256: &str = "x-sdk-content-sha256";
/// Value of [`HEADER_CONTENT_SHA256`] for an unsigned payload.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Header carrying the security token of temporary credentials.
pub const HEADER_SECURITY_TOKEN: &str = "x-security-token";
/// Header carrying the account (domain) id.
pub const HEADER_DOMAIN_ID: &str = "x-domain-id";
// The same names, parsed at compile time for lookups and inserts.
const DATE: HeaderName = HeaderName::from_static(HEADER_DATE);
const CONTENT_SHA256: HeaderName = HeaderName::from_static(HEADER_CONTENT_SHA256);
const SECURITY_TOKEN: HeaderName = HeaderName::from_static(HEADER_SECURITY_TOKEN);
const DOMAIN_ID: HeaderName = HeaderName::from_static(HEADER_DOMAIN_ID);
/// How far the signing time may be from the verifier's clock.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// Characters kept as they are in URIs and queries: `A-Za-z0-9-_.~`.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Lower-case hex SHA-256.
pub fn hex_sha256(data: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    push_hex(&mut out, &Sha256::digest(data));
    out
}

/// Appends `bytes` as lower-case hex.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// Formats a time as `YYYYMMDDTHHMMSSZ` (UTC).
pub fn format_sdk_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses `YYYYMMDDTHHMMSSZ`, as strictly as the vendor's `strptime("%Y%m%dT%H%M%SZ")`:
/// digits only, a day that exists in its month, no leap second.
pub fn parse_sdk_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !digits(0..8) || !digits(9..15) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59
    {
        return None;
    }
    let days = days_from_civil(y as i64, mo, d);
    let secs = days.checked_mul(86_400)? + i64::from(h * 3600 + mi * 60 + se);
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-date algorithms.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The canonical URI: the path decoded, split on `/`, each segment encoded, and always a
/// trailing `/`. As in the vendor's signer the whole path is decoded before it is split,
/// so an encoded `%2F` counts as a separator.
pub fn canonical_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    push_canonical_uri(&mut out, path);
    out
}

/// Appends [`canonical_uri`] of `path`.
fn push_canonical_uri(out: &mut String, path: &str) {
    let start = out.len();
    // Fast path: a path of unreserved characters and `/` decodes and encodes to itself.
    if path
        .bytes()
        .all(|b| b == b'/' || b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    {
        out.push_str(path);
    } else {
        for (i, segment) in decode(path).split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            out.extend(utf8_percent_encode(segment, ENCODE));
        }
    }
    if !out[start..].ends_with('/') {
        out.push('/');
    }
}

/// The canonical query: pairs decoded, sorted by key then value, re-encoded, joined by `&`.
pub fn canonical_query(query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let plus = |s: &str| decode(&s.replace('+', " "));
            (plus(k), plus(v))
        })
        .collect();
    // The vendor's signer sorts the decoded pairs, then encodes them.
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signed-header list: every name lower-cased and sorted, skipping names with `_`.
pub fn signed_headers(headers: &HeaderMap) -> Vec<String> {
    signed_names(headers)
        .into_iter()
        .map(|n| n.as_str().to_owned())
        .collect()
}

/// [`signed_headers`] without copying the names (a `HeaderName` is lower case already).
fn signed_names(headers: &HeaderMap) -> Vec<&HeaderName> {
    let mut names: Vec<&HeaderName> = headers
        .keys()
        .filter(|k| !k.as_str().contains('_'))
        .collect();
    names.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    names.dedup();
    names
}

/// A name in a signed-header list, and how to find its values.
trait SignedName {
    fn name(&self) -> &str;
    fn values<'h>(&self, headers: &'h HeaderMap) -> http::header::GetAll<'h, HeaderValue>;
}

/// A name as a request lists it (looked up case-insensitively).
impl SignedName for String {
    fn name(&self) -> &str {
        self
    }
    fn values<'h>(&self, headers: &'h HeaderMap) -> http::header::GetAll<'h, HeaderValue> {
        headers.get_all(self.as_str())
    }
}

/// A name taken from the headers themselves (no parsing to look it up).
impl SignedName for &HeaderName {
    fn name(&self) -> &str {
        self.as_str()
    }
    fn values<'h>(&self, headers: &'h HeaderMap) -> http::header::GetAll<'h, HeaderValue> {
        headers.get_all(*self)
    }
}

/// The parts of a request that the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// The path as it appears on the wire (percent-encoded).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// The body bytes.
    pub body: &'a [u8],
}

/// The value of a non-empty `X-Sdk-Content-Sha256` header, trimmed.
fn declared_payload_hash(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(CONTENT_SHA256)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Appends the lower-case hex SHA-256 of `data`.
fn push_hex_sha256(out: &mut String, data: &[u8]) {
    push_hex(out, &Sha256::digest(data));
}

/// Builds the canonical request over `signed` header names.
pub fn canonical_request(req: &RequestParts<'_>, signed: &[String]) -> Option<String> {
    let mut out = String::with_capacity(512);
    write_canonical_request(&mut out, req, signed)?;
    Some(out)
}

/// Writes the canonical request into `out`, in one buffer. `None` when a signed header
/// is absent or not text (repeated headers are joined by `,`, each value trimmed).
fn write_canonical_request<S: SignedName>(
    out: &mut String,
    req: &RequestParts<'_>,
    signed: &[S],
) -> Option<()> {
    out.extend(req.method.chars().map(|c| c.to_ascii_uppercase()));
    out.push('\n');
    push_canonical_uri(out, req.path);
    out.push('\n');
    if req.query.is_some_and(|q| !q.is_empty()) {
        out.push_str(&canonical_query(req.query));
    }
    out.push('\n');
    for name in signed {
        out.push_str(name.name());
        out.push(':');
        let mut values = name.values(req.headers).iter();
        let first = values.next()?;
        out.push_str(first.to_str().ok()?.trim());
        for v in values {
            out.push(',');
            out.push_str(v.to_str().ok()?.trim());
        }
        out.push('\n');
    }
    out.push('\n');
    for (i, name) in signed.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name.name());
    }
    out.push('\n');
    // The vendor's rule: an empty body always hashes to the SHA-256 of nothing; otherwise
    // an `X-Sdk-Content-Sha256` header's value (`UNSIGNED-PAYLOAD` or a hex digest) is
    // used as it is; otherwise the body's SHA-256.
    match declared_payload_hash(req.headers) {
        Some(declared) if !req.body.is_empty() => out.push_str(declared),
        _ => push_hex_sha256(out, req.body),
    }
    Some(())
}

/// The string to sign for a canonical request made at `sdk_date`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    let mut out = String::with_capacity(ALGORITHM.len() + sdk_date.len() + 66);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(sdk_date);
    out.push('\n');
    push_hex_sha256(&mut out, canonical_request.as_bytes());
    out
}

fn hmac(key: &[u8], data: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac
}

/// Lower-case hex HMAC-SHA256 of the string to sign, keyed with the secret key.
pub fn signature(secret_key: &str, string_to_sign: &str) -> String {
    let mut out = String::with_capacity(64);
    push_hex(
        &mut out,
        &hmac(secret_key.as_bytes(), string_to_sign.as_bytes())
            .finalize()
            .into_bytes(),
    );
    out
}

/// The `Authorization` header value.
pub fn authorization(access_key: &str, signed: &[String], signature: &str) -> String {
    format!(
        "{ALGORITHM} Access={access_key}, SignedHeaders={}, Signature={signature}",
        signed.join(";")
    )
}

/// What signing needs to know about the key.
pub struct SigningKey<'a> {
    /// Access key id.
    pub access_key: &'a str,
    /// Secret access key.
    pub secret_key: &'a SecretString,
    /// Security token of temporary credentials.
    pub security_token: Option<&'a SecretString>,
    /// Account (domain) id.
    pub domain_id: Option<&'a str>,
}

/// A header value that cannot be sent (it holds a control character).
#[derive(Debug, thiserror::Error)]
#[error("{0} holds a character that cannot be sent in an HTTP header")]
pub struct SignError(&'static str);

/// Signs a request in place: adds `X-Sdk-Date` (unless present), `X-Sdk-Content-Sha256:
/// UNSIGNED-PAYLOAD` for a non-JSON `Content-Type` (unless present), `Host`,
/// `X-Security-Token` and `X-Domain-Id` where the key has them, then `Authorization`.
pub fn sign(
    key: &SigningKey<'_>,
    method: &str,
    url: &url::Url,
    headers: &mut HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), SignError> {
    if !headers.contains_key(&DATE) {
        let v =
            HeaderValue::from_str(&format_sdk_date(now)).map_err(|_| SignError("X-Sdk-Date"))?;
        headers.insert(DATE, v);
    }
    // The vendor's signer declares every body that is not JSON (or BSON) unsigned.
    let not_json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            !ct.starts_with("application/json") && !ct.starts_with("application/bson")
        });
    if not_json && !headers.contains_key(&CONTENT_SHA256) {
        headers.insert(CONTENT_SHA256, HeaderValue::from_static(UNSIGNED_PAYLOAD));
    }
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => String::new(),
    };
    headers.insert(
        http::header::HOST,
        HeaderValue::from_str(&host).map_err(|_| SignError("Host"))?,
    );
    if let Some(st) = key.security_token {
        let mut v = HeaderValue::from_str(st.expose_secret())
            .map_err(|_| SignError("the security token"))?;
        v.set_sensitive(true);
        headers.insert(SECURITY_TOKEN, v);
    }
    if let Some(domain) = key.domain_id {
        let v = HeaderValue::from_str(domain).map_err(|_| SignError("the domain id"))?;
        headers.insert(DOMAIN_ID, v);
    }
    headers.remove(http::header::AUTHORIZATION);
    let signed = signed_names(headers);
    let parts = RequestParts {
        method,
        path: url.path(),
        query: url.query(),
        headers,
        body,
    };
    let mut canonical = String::with_capacity(512);
    write_canonical_request(&mut canonical, &parts, &signed).ok_or(SignError("a header"))?;
    let date = headers
        .get(&DATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let sig = signature(
        key.secret_key.expose_secret(),
        &string_to_sign(date, &canonical),
    );
    let mut value = String::with_capacity(192 + key.access_key.len());
    value.push_str(ALGORITHM);
    value.push_str(" Access=");
    value.push_str(key.access_key);
    value.push_str(", SignedHeaders=");
    for (i, name) in signed.iter().enumerate() {
        if i > 0 {
            value.push(';');
        }
        value.push_str(name.as_str());
    }
    value.push_str(", Signature=");
    value.push_str(&sig);
    let mut auth = HeaderValue::from_maybe_shared(bytes::Bytes::from(value))
        .map_err(|_| SignError("the access key"))?;
    auth.set_sensitive(true);
    headers.insert(http::header::AUTHORIZATION, auth);
    Ok(())
}

#[cfg(feature = "verify")]
mod verify;
#[cfg(feature = "verify")]
pub use verify::{Authorization, MAX_SIGNED_HEADERS, VerifyError, parse_authorization, verify};
