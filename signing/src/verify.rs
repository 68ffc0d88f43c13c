//! Verification of SDK-HMAC-SHA256 signatures, as the API gateway does it (feature
//! `verify`; the emulator enables it).

use std::time::SystemTime;

use crate::*;

/// Why [`verify`] refused a request, with the gateway's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct VerifyError {
    /// The gateway's error code (`APIGW.0301` for every signature problem).
    pub code: &'static str,
    /// What was wrong.
    pub message: String,
}

fn refuse(message: impl Into<String>) -> VerifyError {
    VerifyError {
        code: "APIGW.0301",
        message: message.into(),
    }
}

/// The parsed `Authorization` header of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Access key id.
    pub access_key: String,
    /// Signed header names, as listed.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

/// Parses `SDK-HMAC-SHA256 Access=.., SignedHeaders=..;.., Signature=..`.
pub fn parse_authorization(value: &str) -> Result<Authorization, VerifyError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| {
            refuse(format!(
                "the Authorization header does not start with {ALGORITHM}"
            ))
        })?;
    let (mut access, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| refuse("the Authorization header is malformed"))?;
        let slot = match k {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut sig,
            _ => {
                return Err(refuse(format!(
                    "the Authorization header has an unknown part {k:?}"
                )));
            }
        };
        *slot = Some(v.to_owned());
    }
    let missing = |what: &str| refuse(format!("the Authorization header has no {what}"));
    let signed: String = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let signed_headers: Vec<String> = signed.split(';').map(str::to_owned).collect();
    if signed.is_empty() || signed_headers.iter().any(|h| h.is_empty()) {
        return Err(missing("SignedHeaders"));
    }
    Ok(Authorization {
        access_key: access
            .filter(|a| !a.is_empty())
            .ok_or_else(|| missing("Access"))?,
        signed_headers,
        signature: sig
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("Signature"))?,
    })
}

/// Verifies a signed request. `secret_for` maps an access key id to its secret key.
/// Returns the access key id on success.
///
/// The canonical request is rebuilt from the header list the request names (never a
/// list of our own, since the vendor's SDKs differ in what they sign), the date must be
/// signed and within [`MAX_CLOCK_SKEW`] of `now`, and signatures are compared in
/// constant time. A non-empty body whose `X-Sdk-Content-Sha256` header declares a digest
/// (rather than `UNSIGNED-PAYLOAD`) must match that digest.
pub fn verify(
    req: &RequestParts<'_>,
    secret_for: impl Fn(&str) -> Option<SecretString>,
    now: SystemTime,
) -> Result<String, VerifyError> {
    let auth_value = req
        .headers
        .get(http::header::AUTHORIZATION)
        .ok_or_else(|| refuse("the request is not signed"))?
        .to_str()
        .map_err(|_| refuse("the Authorization header is not text"))?;
    let auth = parse_authorization(auth_value)?;
    if !auth.signed_headers.iter().any(|h| h == HEADER_DATE) {
        return Err(refuse("X-Sdk-Date is not among the signed headers"));
    }
    let date = req
        .headers
        .get(&DATE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refuse("the request has no X-Sdk-Date header"))?;
    let signed_at = parse_sdk_date(date)
        .ok_or_else(|| refuse("X-Sdk-Date is not of the form YYYYMMDDTHHMMSSZ"))?;
    let skew = now
        .duration_since(signed_at)
        .unwrap_or_else(|e| e.duration());
    if skew > MAX_CLOCK_SKEW {
        return Err(refuse(format!(
            "X-Sdk-Date {date} is {} s away from the gateway's clock; at most {} s are allowed",
            skew.as_secs(),
            MAX_CLOCK_SKEW.as_secs()
        )));
    }
    let sk = secret_for(&auth.access_key).ok_or_else(|| refuse("the access key is not known"))?;
    let canonical = canonical_request(req, &auth.signed_headers)
        .ok_or_else(|| refuse("a signed header is missing from the request"))?;
    let expected = signature(sk.expose_secret(), &string_to_sign(date, &canonical));
    use subtle::ConstantTimeEq;
    if !bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
        return Err(refuse("the signature does not match"));
    }
    // A declared digest replaces the body in the signature, so check it against the body.
    if let Some(declared) = declared_payload_hash(req.headers).filter(|_| !req.body.is_empty())
        && !declared.eq_ignore_ascii_case(UNSIGNED_PAYLOAD)
        && !declared.eq_ignore_ascii_case(&hex_sha256(req.body))
    {
        return Err(refuse("the body does not match X-Sdk-Content-Sha256"));
    }
    Ok(auth.access_key)
}
