//! Request handling: routing, the create-case operation, the admin routes, and the
//! vendor's error shapes.
//!
//! A create request goes through these steps, and the first failure answers:
//!
//! 1. body size: a declared or actual body over the limit → 413 `APIGW.0201`
//!    (before authentication: a signature cannot be checked without the body);
//! 2. authentication: `Authorization: SDK-HMAC-SHA256 …` → signature check (401
//!    `APIGW.0301`), else `X-Auth-Token` → accepted token (401 `OSM.0002`), else 401
//!    `OSM.0002`;
//! 3. `Content-Type` is `application/json` (parameters allowed) → else 400 `OSM.0001`;
//! 4. each header the spec declares, against its rule → else 400 `OSM.0001`;
//! 5. the body, against the spec → else 400 `OSM.0001`;
//! 6. the next queued fault, if any;
//! 7. record, then 200 `{"incident_id": …}` (500 `OSM.0004` if it cannot be stored).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use huaweicloud_osm::{rules, validation};
use huaweicloud_signing as signing;
use hyper::body::Incoming;
use hyper::{Request, Response};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::fault::{Fault, FaultSpec};
use crate::server::ResBody;
use crate::store::{AuthScheme, PendingTicket};
use crate::{ADMIN_PREFIX, CASES_PATH, Shared};

/// The response header carrying the request id.
pub(crate) const REQUEST_ID: &str = "x-request-id";

const JSON: &str = "application/json;charset=UTF-8";

/// The most bytes read (and thrown away) from an oversized body before answering 413,
/// so that the client is not reset while still sending.
const DRAIN_MAX: u64 = 16 * 1024 * 1024;
/// The longest time spent on that.
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// What the connection should do with a request.
pub(crate) enum Reply {
    /// Send this response.
    Response(Response<ResBody>),
    /// Close the connection without an answer.
    Drop,
}

impl From<Response<ResBody>> for Reply {
    fn from(r: Response<ResBody>) -> Self {
        Reply::Response(r)
    }
}

/// A fresh request id: 32 lower-case hex digits, like the gateway's.
pub(crate) fn new_request_id() -> String {
    format!("{:032x}", fastrand::u128(..))
}

fn response(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
    request_id: &str,
) -> Response<ResBody> {
    let mut r = Response::new(ResBody::full(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID, v);
    }
    r
}

fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response<ResBody> {
    response(status, JSON, body.to_string(), request_id)
}

/// An error of the service (`OSM.*`): `error_code` and `error_msg`.
fn service_error(status: StatusCode, code: &str, msg: &str, request_id: &str) -> Response<ResBody> {
    json_response(
        status,
        &json!({ "error_code": code, "error_msg": msg }),
        request_id,
    )
}

/// An error of the gateway (`APIGW.*`): `error_code`, `error_msg` and `request_id`.
fn gateway_error(status: StatusCode, code: &str, msg: &str, request_id: &str) -> Response<ResBody> {
    json_response(
        status,
        &json!({ "error_code": code, "error_msg": msg, "request_id": request_id }),
        request_id,
    )
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

fn not_found(path: &str, request_id: &str) -> Response<ResBody> {
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

fn method_not_allowed(
    method: &Method,
    path: &str,
    allow: &str,
    request_id: &str,
) -> Response<ResBody> {
    let mut r = gateway_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "APIGW.0101",
        &format!(
            "The API does not exist or has not been published: {method} {path} (allowed: {allow})"
        ),
        request_id,
    );
    if let Ok(v) = HeaderValue::from_str(allow) {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r
}

fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Handles one request.
pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Reply {
    let request_id = new_request_id();
    let path = req.uri().path().to_owned();
    if let Some(route) = path.strip_prefix(ADMIN_PREFIX) {
        return admin(&shared, route, req, &request_id).await.into();
    }
    shared.requests_seen.fetch_add(1, Ordering::Relaxed);
    if path != CASES_PATH {
        return not_found(&path, &request_id).into();
    }
    if req.method() != Method::POST {
        return method_not_allowed(req.method(), &path, "POST", &request_id).into();
    }
    create(&shared, req, request_id).await
}

enum BodyError {
    TooLarge { seen: u64, complete: bool },
    Read(String),
}

/// Reads a body of at most `limit` bytes, which must arrive whole within `timeout`.
async fn read_body(
    mut body: Incoming,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(frame)) => frame.map_err(|e| BodyError::Read(e.to_string()))?,
            Ok(None) => break,
            Err(_) => {
                return Err(BodyError::Read(format!(
                    "it did not arrive whole within {} ms ({} bytes came)",
                    timeout.as_millis(),
                    buf.len()
                )));
            }
        };
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                let seen = (buf.len() + data.len()) as u64;
                let (seen, complete) = drain(body, seen).await;
                return Err(BodyError::TooLarge { seen, complete });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Reads and discards the rest of a body, within bounds; returns the bytes seen and
/// whether the end was reached.
async fn drain(mut body: Incoming, mut seen: u64) -> (u64, bool) {
    let deadline = tokio::time::Instant::now() + DRAIN_TIME;
    while seen <= DRAIN_MAX {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    seen += data.len() as u64;
                }
            }
            Ok(None) => return (seen, true),
            Ok(Some(Err(_))) | Err(_) => return (seen, false),
        }
    }
    (seen, false)
}

fn too_large(seen: u64, complete: bool, limit: usize, request_id: &str) -> Response<ResBody> {
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

/// Why authentication failed (always HTTP 401).
struct AuthFailure {
    code: &'static str,
    msg: String,
    /// A gateway error (`APIGW.*`, with `request_id` in the body) or the service's.
    gateway: bool,
}

fn authenticate(
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

fn check_content_type(headers: &HeaderMap) -> Result<(), String> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err("The request has no Content-Type header; it must be application/json".into());
    };
    let value = value
        .to_str()
        .map_err(|_| "The Content-Type header is not valid text".to_owned())?;
    let media_type = value.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(format!(
            "Content-Type must be application/json, not {:?}",
            shorten(value, 100)
        ))
    }
}

/// Checks every header the spec declares (the token is checked by authentication).
fn check_headers(headers: &HeaderMap) -> Result<(), String> {
    for (name, value) in headers {
        if name.as_str() == "x-auth-token" || rules::header(name.as_str()).is_none() {
            continue;
        }
        let value = value
            .to_str()
            .map_err(|_| format!("header {name} is not valid text"))?;
        validation::check_header(name.as_str(), value).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The request headers a ticket records. Never credentials.
fn recorded_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let wanted = |name: &str| {
        matches!(name, "content-type" | "user-agent" | "x-domain-id")
            || (name != "x-auth-token" && rules::header(name).is_some())
    };
    headers
        .iter()
        .filter(|(name, _)| wanted(name.as_str()))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

fn bad_request(msg: &str, request_id: &str) -> Reply {
    service_error(StatusCode::BAD_REQUEST, "OSM.0001", msg, request_id).into()
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

async fn create(shared: &Shared, req: Request<Incoming>, request_id: String) -> Reply {
    let rid = request_id.as_str();
    let (parts, body) = req.into_parts();
    let limit = shared.max_body_bytes;
    if let Some(len) = declared_length(&parts.headers).filter(|len| *len > limit as u64) {
        let (seen, complete) = drain(body, 0).await;
        let shown = if complete { seen } else { len };
        return too_large(shown, true, limit, rid).into();
    }
    let body = match read_body(body, limit, shared.body_read_timeout).await {
        Ok(body) => body,
        Err(BodyError::TooLarge { seen, complete }) => {
            return too_large(seen, complete, limit, rid).into();
        }
        Err(BodyError::Read(e)) => {
            return bad_request(&format!("The request body could not be read: {e}"), rid);
        }
    };

    let auth = match authenticate(shared, &parts, &body) {
        Ok(auth) => auth,
        Err(f) if f.gateway => {
            return gateway_error(StatusCode::UNAUTHORIZED, f.code, &f.msg, rid).into();
        }
        Err(f) => return service_error(StatusCode::UNAUTHORIZED, f.code, &f.msg, rid).into(),
    };
    if let Err(msg) = check_content_type(&parts.headers) {
        return bad_request(&msg, rid);
    }
    if let Err(msg) = check_headers(&parts.headers) {
        return bad_request(&msg, rid);
    }
    let case = match validation::parse_body_bytes(&body) {
        Ok(case) => case,
        Err(e) => return bad_request(&e.to_string(), rid),
    };
    let body = match serde_json::to_value(&case) {
        Ok(body) => body,
        Err(e) => {
            return internal_error(&format!("the ticket could not be serialised: {e}")).into();
        }
    };
    let ticket = PendingTicket {
        request_id: request_id.clone(),
        received_at: (shared.clock)(),
        auth,
        headers: recorded_headers(&parts.headers),
        body,
    };

    let fault = shared.faults.take();
    match fault {
        Some(Fault::Respond {
            status,
            headers,
            body,
        }) => return canned(status, &headers, body, rid).into(),
        Some(Fault::DropBeforeRecord) => return Reply::Drop,
        _ => {}
    }
    let ticket = match shared.store.record(ticket).await {
        Ok(ticket) => ticket,
        Err(msg) => {
            return service_error(StatusCode::INTERNAL_SERVER_ERROR, "OSM.0004", &msg, rid).into();
        }
    };
    let answer = json!({ "incident_id": ticket.incident_id }).to_string();
    match fault {
        Some(Fault::DropAfterRecord) => Reply::Drop,
        Some(Fault::TruncatedBody) => {
            let half = answer.len() / 2;
            let mut r = Response::new(ResBody::truncated(Bytes::from(answer[..half].to_owned())));
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(answer.len()));
            if let Ok(v) = HeaderValue::from_str(rid) {
                h.insert(REQUEST_ID, v);
            }
            r.into()
        }
        Some(Fault::DelayAfterRecord(delay)) => {
            let mut shutdown = shared.shutdown.clone();
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
            response(StatusCode::OK, JSON, answer, rid).into()
        }
        _ => response(StatusCode::OK, JSON, answer, rid).into(),
    }
}

/// The response of a [`Fault::Respond`].
fn canned(status: u16, headers: &[(String, String)], body: String, rid: &str) -> Response<ResBody> {
    let Some(status) = StatusCode::from_u16(status)
        .ok()
        .filter(|s| (200..=599).contains(&s.as_u16()))
    else {
        return internal_error(&format!(
            "the injected fault has status {status}, which is not between 200 and 599"
        ));
    };
    let content_type = if body.trim_start().starts_with('<') {
        "text/html; charset=utf-8"
    } else {
        JSON
    };
    let mut r = response(status, content_type, body, rid);
    for (name, value) in headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING {
                    tracing::warn!(%name, "ignoring a framing header of an injected response");
                    continue;
                }
                r.headers_mut().insert(name, value);
            }
            _ => tracing::warn!(name, "ignoring an invalid header of an injected response"),
        }
    }
    r
}

fn admin_error(status: StatusCode, msg: &str, request_id: &str) -> Response<ResBody> {
    service_error(status, "EMULATOR.0001", msg, request_id)
}

async fn admin(
    shared: &Shared,
    route: &str,
    req: Request<Incoming>,
    rid: &str,
) -> Response<ResBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    match (route, &method) {
        ("tickets", &Method::GET) => {
            let tickets = shared.store.tickets();
            json_response(
                StatusCode::OK,
                &json!({ "count": tickets.len(), "tickets": tickets }),
                rid,
            )
        }
        ("status", &Method::GET) => json_response(
            StatusCode::OK,
            &json!({
                "requests_seen": shared.requests_seen.load(Ordering::Relaxed),
                "ticket_count": shared.store.count(),
                "pending_faults": shared.faults.remaining(),
            }),
            rid,
        ),
        ("faults", &Method::GET) => json_response(StatusCode::OK, &pending(shared), rid),
        ("faults", &Method::DELETE) => {
            let cleared = shared.faults.clear();
            json_response(StatusCode::OK, &json!({ "cleared": cleared }), rid)
        }
        ("faults", &Method::POST) => {
            let body = match read_body(
                req.into_body(),
                shared.max_body_bytes,
                shared.body_read_timeout,
            )
            .await
            {
                Ok(body) => body,
                Err(BodyError::TooLarge { seen, complete }) => {
                    return too_large(seen, complete, shared.max_body_bytes, rid);
                }
                Err(BodyError::Read(e)) => {
                    return admin_error(StatusCode::BAD_REQUEST, &e.to_string(), rid);
                }
            };
            match parse_faults(&body) {
                Ok(faults) => {
                    for (fault, times) in faults {
                        shared.faults.push_times(fault, times);
                    }
                    json_response(StatusCode::OK, &pending(shared), rid)
                }
                Err(msg) => admin_error(StatusCode::BAD_REQUEST, &msg, rid),
            }
        }
        ("tickets" | "status", _) => method_not_allowed(&method, &path, "GET", rid),
        ("faults", _) => method_not_allowed(&method, &path, "GET, POST, DELETE", rid),
        _ => not_found(&path, rid),
    }
}

fn pending(shared: &Shared) -> Value {
    let pending: Vec<FaultSpec> = shared
        .faults
        .pending()
        .iter()
        .map(|(fault, times)| FaultSpec::from_fault(fault, *times))
        .collect();
    json!({ "pending": pending })
}

/// One fault object, or an array of them; all checked before any is queued.
fn parse_faults(body: &[u8]) -> Result<Vec<(Fault, u32)>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let items = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value::<FaultSpec>(item)
                .map_err(|e| e.to_string())
                .and_then(FaultSpec::into_fault)
                .map_err(|e| format!("fault {i}: {e}"))
        })
        .collect()
}
