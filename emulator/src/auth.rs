//! Authentication, as the gateway and the service do it: an SDK-HMAC-SHA256 signature
//! (checked with the signer crate's verifier; 401 `APIGW.0301`) or an IAM token in
//! `X-Auth-Token` (401 `OSM.0002`).

use http::header;
use huaweicloud_osm::validation;
use huaweicloud_signing as signing;
use secrecy::SecretString;

use crate::Shared;
use crate::store::AuthScheme;

/// Why authentication failed (always HTTP 401).
pub(crate) struct AuthFailure {
    pub(crate) code: &'static str,
    pub(crate) msg: String,
    /// A gateway error (`APIGW.*`, with `request_id` in the body) or the service's.
    pub(crate) gateway: bool,
}

/// Authenticates a request whose body has been read.
pub(crate) fn authenticate(
    shared: &Shared,
    parts: &http::request::Parts,
    body: &[u8],
) -> Result<AuthScheme, AuthFailure> {
    let headers = &parts.headers;
    let authorization = headers.get(header::AUTHORIZATION);
    let token = headers.get("x-auth-token");
    let signed =
        authorization.is_some_and(|v| v.as_bytes().starts_with(signing::ALGORITHM.as_bytes()));
    if signed || (authorization.is_some() && token.is_none()) {
        let req = signing::RequestParts {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers,
            body,
        };
        let secret_for = |ak: &str| shared.keys.get(ak).map(|sk| SecretString::from(sk.clone()));
        return match signing::verify(&req, secret_for, (shared.clock)()) {
            Ok(access_key) => Ok(AuthScheme::AkSk {
                access_key,
                temporary: headers.contains_key(signing::HEADER_SECURITY_TOKEN),
            }),
            Err(e) => Err(AuthFailure {
                code: e.code,
                msg: e.message,
                gateway: true,
            }),
        };
    }
    let refuse = |msg: String| AuthFailure {
        code: "OSM.0002",
        msg,
        gateway: false,
    };
    let Some(token) = token else {
        return Err(refuse(
            "The request carries no credentials: send an X-Auth-Token header, or sign the request with SDK-HMAC-SHA256"
                .into(),
        ));
    };
    let token = token
        .to_str()
        .map_err(|_| refuse("The X-Auth-Token header is not valid text".into()))?;
    validation::check_header("X-Auth-Token", token).map_err(|e| refuse(e.to_string()))?;
    if shared.tokens.contains(token) || shared.accept_any_token {
        Ok(AuthScheme::Token)
    } else {
        Err(refuse(
            "The token in X-Auth-Token is not valid or has expired".into(),
        ))
    }
}
