//! The vendor's answer shapes: the service's errors (`OSM.*`: `error_code`,
//! `error_msg`), the gateway's (`APIGW.*`: the same plus `request_id`), and its 404/405.

use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use hyper::Response;
use serde_json::json;

use crate::body::ResBody;
use crate::http::{json_response, new_request_id, shorten};

/// An error of the service (`OSM.*`): `error_code` and `error_msg`.
pub(crate) fn service_error(
    status: StatusCode,
    code: &str,
    msg: &str,
    request_id: &str,
) -> Response<ResBody> {
    json_response(
        status,
        &json!({ "error_code": code, "error_msg": msg }),
        request_id,
    )
}

/// A business error the service answers with HTTP 200 (`OSM.0101xxxx`).
pub(crate) fn business_error(code: &str, msg: &str, request_id: &str) -> Response<ResBody> {
    service_error(StatusCode::OK, code, msg, request_id)
}

/// An error of the gateway (`APIGW.*`): `error_code`, `error_msg` and `request_id`.
pub(crate) fn gateway_error(
    status: StatusCode,
    code: &str,
    msg: &str,
    request_id: &str,
) -> Response<ResBody> {
    json_response(
        status,
        &json!({ "error_code": code, "error_msg": msg, "request_id": request_id }),
        request_id,
    )
}

/// 400 `OSM.0001`: a parameter failed the service's checks.
pub(crate) fn bad_request(msg: &str, request_id: &str) -> Response<ResBody> {
    service_error(StatusCode::BAD_REQUEST, "OSM.0001", msg, request_id)
}

/// 500 `OSM.0004`, with a fresh request id.
pub(crate) fn internal_error(msg: &str) -> Response<ResBody> {
    service_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "OSM.0004",
        msg,
        &new_request_id(),
    )
}

/// 404 `APIGW.0101`: no such API.
pub(crate) fn not_found(path: &str, request_id: &str) -> Response<ResBody> {
    gateway_error(
        StatusCode::NOT_FOUND,
        "APIGW.0101",
        &format!(
            "The API does not exist or has not been published: {}",
            shorten(path, 200)
        ),
        request_id,
    )
}

/// 405 `APIGW.0101` with `Allow`.
pub(crate) fn method_not_allowed(
    method: &Method,
    path: &str,
    allow: &str,
    request_id: &str,
) -> Response<ResBody> {
    let mut r = gateway_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "APIGW.0101",
        &format!(
            "The API does not exist or has not been published: {method} {} (allowed: {allow})",
            shorten(path, 200)
        ),
        request_id,
    );
    if let Ok(v) = HeaderValue::from_str(allow) {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r
}

/// 413 `APIGW.0201`.
pub(crate) fn too_large(
    seen: u64,
    complete: bool,
    limit: usize,
    request_id: &str,
) -> Response<ResBody> {
    let size = if complete {
        format!("{seen} bytes")
    } else {
        format!("more than {limit} bytes")
    };
    gateway_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "APIGW.0201",
        &format!("Request entity too large: the body is {size}; at most {limit} bytes are allowed"),
        request_id,
    )
}

/// Why a handler of `ops/` refuses a request, as the service answers each: one type for
/// every stateful family.
pub(crate) enum Refusal {
    /// 400 `OSM.0001`.
    Invalid(String),
    /// 404 `OSM.0001`: what the request names does not exist (for the caller's account).
    NotFound(String),
    /// HTTP 200 with `OSM.01010001`: the state does not allow it.
    Business(String),
    /// 500 `OSM.0004`: the store is full or the change could not be saved.
    Store(crate::collections::StoreError),
}

impl From<crate::collections::StoreError> for Refusal {
    fn from(e: crate::collections::StoreError) -> Self {
        Self::Store(e)
    }
}

impl Refusal {
    /// Its message, as the answer's `error_msg` says it.
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Invalid(m) | Self::NotFound(m) | Self::Business(m) => m.clone(),
            Self::Store(e) => e.to_string(),
        }
    }

    /// The answer to the request `request_id` that is refused.
    pub(crate) fn reply(self, request_id: &str) -> crate::http::Reply {
        match self {
            Refusal::Invalid(msg) => bad_request(&msg, request_id),
            Refusal::NotFound(msg) => {
                service_error(StatusCode::NOT_FOUND, "OSM.0001", &msg, request_id)
            }
            Refusal::Business(msg) => business_error("OSM.01010001", &msg, request_id),
            Refusal::Store(e) => service_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "OSM.0004",
                &e.to_string(),
                request_id,
            ),
        }
        .into()
    }
}
