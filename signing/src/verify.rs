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

/// The most names a `SignedHeaders` list may hold: more than any request the gateway
/// (or the emulator, whose HTTP layer parses at most 100 header fields) takes.
pub const MAX_SIGNED_HEADERS: usize = 100;

/// The length of a signature: a hex HMAC-SHA256.
const SIGNATURE_LEN: usize = 64;

/// Text for a message: at most 40 characters of `s`, quoted.
fn quoted(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{:?}…", &s[..i]),
        None => format!("{s:?}"),
    }
}

/// Whether `b` may appear in a header name (an HTTP token), in lower case.
fn lower_token_byte(b: u8) -> bool {
    b.is_ascii_lowercase()
        || b.is_ascii_digit()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Parses `SDK-HMAC-SHA256 Access=.., SignedHeaders=..;.., Signature=..`, strictly: a
/// header that could be read in two ways is refused rather than read in one.
///
/// After the algorithm and one space come exactly the three parameters, in any order,
/// separated by commas with optional spaces or tabs around them. Refused: a repeated
/// parameter, an unknown one (names are case-sensitive), an empty part, a part without
/// `=`; an access key id that is empty or holds anything but visible ASCII other than
/// `,`, `=` and `"`; a signature that is not 64 lower-case hex digits; a header list
/// that is empty, has an empty name, a name that is not a lower-case HTTP token, a
/// name twice, or more than [`MAX_SIGNED_HEADERS`] names.
pub fn parse_authorization(value: &str) -> Result<Authorization, VerifyError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| {
            refuse(format!(
                "the Authorization header does not start with {ALGORITHM} and a space"
            ))
        })?;
    let (mut access, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim_matches([' ', '\t']);
        if part.is_empty() {
            return Err(refuse(
                "the Authorization header has an empty parameter (a stray comma)",
            ));
        }
        let (k, v) = part.split_once('=').ok_or_else(|| {
            refuse(format!(
                "the Authorization header has a parameter without a value: {}",
                quoted(part)
            ))
        })?;
        let slot = match k {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut sig,
            _ => {
                return Err(refuse(format!(
                    "the Authorization header has an unknown parameter {} (only Access, \
                     SignedHeaders and Signature)",
                    quoted(k)
                )));
            }
        };
        if slot.is_some() {
            return Err(refuse(format!("the Authorization header repeats {k}")));
        }
        *slot = Some(v);
    }
    let missing = |what: &str| refuse(format!("the Authorization header has no {what}"));

    let access = access
        .filter(|a| !a.is_empty())
        .ok_or_else(|| missing("Access"))?;
    if !access
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b',' | b'=' | b'"'))
    {
        return Err(refuse(format!(
            "the Access parameter {} is not an access key id",
            quoted(access)
        )));
    }

    let signature = sig
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("Signature"))?;
    if signature.len() != SIGNATURE_LEN
        || !signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(refuse(format!(
            "the Signature parameter must be {SIGNATURE_LEN} lower-case hex digits, not {}",
            quoted(signature)
        )));
    }

    let signed = signed
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("SignedHeaders"))?;
    let names: Vec<&str> = signed.split(';').collect();
    if names.len() > MAX_SIGNED_HEADERS {
        return Err(refuse(format!(
            "the SignedHeaders parameter lists {} names; at most {MAX_SIGNED_HEADERS} are allowed",
            names.len()
        )));
    }
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(refuse("the SignedHeaders parameter has an empty name"));
        }
        if !name.bytes().all(lower_token_byte) {
            return Err(refuse(format!(
                "the SignedHeaders parameter lists {}, which is not a lower-case header name",
                quoted(name)
            )));
        }
        if names[..i].contains(name) {
            return Err(refuse(format!(
                "the SignedHeaders parameter repeats {name}"
            )));
        }
    }

    Ok(Authorization {
        access_key: access.to_owned(),
        signed_headers: names.into_iter().map(str::to_owned).collect(),
        signature: signature.to_owned(),
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
