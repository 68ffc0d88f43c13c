//! Routing by the spec's operations, and the steps every request goes through before
//! its operation's handler sees it.
//!
//! 1. the route: the path against every operation's template (a literal segment wins
//!    over a parameter) → else 404 `APIGW.0101`; the method → else 405 `APIGW.0101`
//!    with `Allow` listing the spec's methods for that path;
//! 2. body size: a declared or actual body over the limit → 413 `APIGW.0201` (before
//!    authentication: a signature cannot be checked without the body);
//! 3. authentication ([`crate::auth`]) → 401 `APIGW.0301` or `OSM.0002`;
//! 4. `Content-Type: application/json` where the operation takes a JSON body;
//! 5. the path, query and header parameters the operation declares, against its rules
//!    (the library's own validation) → else 400 `OSM.0001`;
//! 6. the JSON body against the operation's rules and generated type → else 400
//!    `OSM.0001`;
//! 7. the fault that applies to the request, if any ([`crate::inject`]), and the
//!    operation's handler ([`crate::ops`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderMap};
use huaweicloud_osm::rules::{self, Kind, Location, OperationRules};
use huaweicloud_osm::validation;
use hyper::Request;
use hyper::body::Incoming;
use serde_json::{Map, Value};

use crate::auth::authenticate;
use crate::http::{BodyError, Reply, declared_length, drain, new_request_id, read_body, shorten};
use crate::journal::RecordId;
use crate::store::AuthScheme;
use crate::vendor::{
    bad_request, gateway_error, method_not_allowed, not_found, service_error, too_large,
};
use crate::{ADMIN_PREFIX, Shared, admin, inject};

/// A request that passed every generic check, for its operation's handler.
pub(crate) struct Call {
    /// The operation.
    pub(crate) op: &'static OperationRules,
    /// The value of each of `op.params`, if given.
    pub(crate) params: Vec<Option<Value>>,
    /// The JSON body, checked (empty for operations without one).
    pub(crate) body: Map<String, Value>,
    /// The raw body bytes (for bodies that are not JSON: multipart uploads).
    pub(crate) raw_body: Bytes,
    /// How the caller authenticated.
    pub(crate) auth: AuthScheme,
    /// The request headers.
    pub(crate) headers: HeaderMap,
    /// The request id of the answer.
    pub(crate) request_id: String,
    /// The request's entry in the request record.
    pub(crate) record: RecordId,
    /// The path, as sent.
    pub(crate) path: String,
    /// The query string, if any.
    pub(crate) query: Option<String>,
}

impl Call {
    /// The value of the parameter `name`.
    pub(crate) fn param(&self, name: &str) -> Option<&Value> {
        self.op
            .params
            .iter()
            .position(|r| r.name.eq_ignore_ascii_case(name))
            .and_then(|i| self.params[i].as_ref())
    }

    /// The text of the parameter `name` (a string, or a number printed).
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.param(name).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// The integer value of the parameter `name`.
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        self.param(name).and_then(Value::as_i64)
    }

    /// The answer language: `en-us` or `zh-cn` (the service's default).
    pub(crate) fn language(&self) -> &'static str {
        match self.text("X-Language") {
            Some(l) if l.to_ascii_lowercase().starts_with("en") => "en-us",
            _ => "zh-cn",
        }
    }
}

/// Handles one request.
pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Reply {
    let request_id = new_request_id();
    let path = req.uri().path().to_owned();
    if let Some(route) = path.strip_prefix(ADMIN_PREFIX) {
        return admin::handle(&shared, route, req, &request_id).await.into();
    }
    shared.requests_seen.fetch_add(1, Ordering::Relaxed);
    let routes: Vec<(&'static OperationRules, Vec<(&'static str, &str)>)> = rules::OPERATIONS
        .iter()
        .filter_map(|op| op.match_path(&path).map(|values| (op, values)))
        .collect();
    if routes.is_empty() {
        return not_found(&path, &request_id).into();
    }
    // A literal segment wins over a parameter (`accessorys/limits` over
    // `accessorys/{accessory_id}`).
    let fewest = routes.iter().map(|(_, v)| v.len()).min().unwrap_or(0);
    let routes: Vec<_> = routes
        .into_iter()
        .filter(|(_, v)| v.len() == fewest)
        .collect();
    let Some((op, path_values)) = routes
        .iter()
        .find(|(op, _)| op.method == req.method().as_str())
    else {
        let mut allow: Vec<&str> = routes.iter().map(|(op, _)| op.method).collect();
        allow.sort();
        allow.dedup();
        return method_not_allowed(req.method(), &path, &allow.join(", "), &request_id).into();
    };
    let op: &'static OperationRules = op;
    let record = req
        .extensions()
        .get::<RecordId>()
        .copied()
        .unwrap_or(RecordId(0));
    shared.journal.note_operation(record, op.id);
    let path_values: Vec<(&'static str, String)> = path_values
        .iter()
        .map(|(n, v)| {
            (
                *n,
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect();
    prepare(&shared, op, path_values, req, request_id, record).await
}

async fn prepare(
    shared: &Arc<Shared>,
    op: &'static OperationRules,
    path_values: Vec<(&'static str, String)>,
    req: Request<Incoming>,
    request_id: String,
    record: RecordId,
) -> Reply {
    let rid = request_id.as_str();
    let (parts, body) = req.into_parts();
    // An upload's body holds a whole file: its own bound, from the attachment limit.
    let limit = if op.carries_file {
        shared.upload_body_limit()
    } else {
        shared.max_body_bytes
    };
    if let Some(len) = declared_length(&parts.headers).filter(|len| *len > limit as u64) {
        let (seen, complete) = drain(body, 0).await;
        let shown = if complete { seen } else { len };
        return too_large(shown, true, limit, rid).into();
    }
    let raw_body = match read_body(body, limit, shared.body_read_timeout).await {
        Ok(body) => body,
        Err(BodyError::TooLarge { seen, complete }) => {
            return too_large(seen, complete, limit, rid).into();
        }
        Err(BodyError::Read(e)) => {
            return bad_request(&format!("The request body could not be read: {e}"), rid).into();
        }
    };
    shared.journal.note_body(record, &raw_body);
    let auth = match authenticate(shared, &parts, &raw_body) {
        Ok(auth) => auth,
        Err(f) if f.gateway => {
            return gateway_error(StatusCode::UNAUTHORIZED, f.code, &f.msg, rid).into();
        }
        Err(f) => return service_error(StatusCode::UNAUTHORIZED, f.code, &f.msg, rid).into(),
    };
    let json_body = op
        .content_type
        .is_some_and(|ct| ct.starts_with("application/json"));
    if json_body
        && (op.body_required || !raw_body.is_empty())
        && let Err(msg) = check_content_type(&parts.headers)
    {
        return bad_request(&msg, rid).into();
    }
    let params = match params(op, &path_values, parts.uri.query(), &parts.headers) {
        Ok(p) => p,
        Err(msg) => return bad_request(&msg, rid).into(),
    };
    if let Err(e) = validation::check_params(op, &params) {
        return bad_request(&e.to_string(), rid).into();
    }
    let body = if json_body && (op.body_required || !raw_body.is_empty()) {
        match json_object(&raw_body).and_then(|b| check_body(op, b)) {
            Ok(b) => b,
            Err(msg) => return bad_request(&msg, rid).into(),
        }
    } else {
        Map::new()
    };
    let call = Call {
        op,
        params,
        body,
        raw_body,
        auth,
        headers: parts.headers,
        request_id,
        record,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
    };
    inject::dispatch(shared, call).await
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

/// The values of the operation's parameters, from the path, the query and the headers.
fn params(
    op: &OperationRules,
    path_values: &[(&'static str, String)],
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Vec<Option<Value>>, String> {
    let pairs: Vec<(String, String)> = query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::with_capacity(op.params.len());
    for rule in op.params {
        let value = match rule.location {
            // Read by the rule's type, as a query value is (an integer id is a number).
            Location::Path => match path_values.iter().find(|(n, _)| *n == rule.name) {
                Some((_, v)) => Some(validation::param_value(rule, v).map_err(|e| e.to_string())?),
                None => None,
            },
            Location::Query => {
                let texts: Vec<&str> = pairs
                    .iter()
                    .filter(|(k, _)| k == rule.name)
                    .map(|(_, v)| v.as_str())
                    .collect();
                if texts.is_empty() {
                    None
                } else if rule.kind == Kind::Array {
                    let item = rule.items.unwrap_or(rule);
                    let items: Result<Vec<Value>, String> = texts
                        .iter()
                        .map(|t| validation::param_value(item, t).map_err(|e| e.to_string()))
                        .collect();
                    Some(Value::Array(items?))
                } else if texts.len() > 1 {
                    return Err(format!(
                        "query parameter {} is given {} times; it takes one value",
                        rule.name,
                        texts.len()
                    ));
                } else {
                    Some(validation::param_value(rule, texts[0]).map_err(|e| e.to_string())?)
                }
            }
            Location::Header => match headers.get(rule.name.to_ascii_lowercase().as_str()) {
                Some(_)
                    if headers
                        .get_all(rule.name.to_ascii_lowercase().as_str())
                        .iter()
                        .count()
                        > 1 =>
                {
                    return Err(format!(
                        "header {} is given more than once; it takes one value",
                        rule.name
                    ));
                }
                Some(v) => {
                    let text = v
                        .to_str()
                        .map_err(|_| format!("header {} is not valid text", rule.name))?;
                    Some(validation::param_value(rule, text).map_err(|e| e.to_string())?)
                }
                None => None,
            },
            _ => None,
        };
        out.push(value);
    }
    Ok(out)
}

fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("body must be a JSON object".into()),
        Err(e) => Err(format!("body is malformed: {e}")),
    }
}

/// The body against the operation's rules and generated type; `null` members dropped,
/// as the service treats them as absent. Returns the body as the generated type
/// serialises it.
fn check_body(op: &OperationRules, body: Map<String, Value>) -> Result<Map<String, Value>, String> {
    // Checked before the nulls go: a member the spec does not declare is refused even when
    // it is null (`{"": null}` to a body whose members are all optional).
    validation::check_body_of(op, &body).map_err(|e| e.to_string())?;
    let body: Map<String, Value> = body.into_iter().filter(|(_, v)| !v.is_null()).collect();
    match op.typed_body {
        Some(typed) => {
            let bytes = typed(&body).map_err(|e| e.to_string())?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err("body could not be read back".into()),
            }
        }
        None => Ok(body),
    }
}

/// The request headers a record keeps: the operation's declared headers and
/// `x-domain-id`, `user-agent`, `content-type`. Never credentials.
pub(crate) fn recorded_headers(
    op: &OperationRules,
    headers: &HeaderMap,
) -> BTreeMap<String, String> {
    let wanted = |name: &str| {
        matches!(name, "content-type" | "user-agent" | "x-domain-id")
            || op.param(Location::Header, name).is_some()
    };
    headers
        .iter()
        .filter(|(name, _)| wanted(name.as_str()))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}
