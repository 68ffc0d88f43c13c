//! The emulator's own routes under `/__emulator/` (they do not exist on the real
//! service): recorded tickets, status counters, the fault queue, the attachments
//! stored and the verification codes sent; reset, the request record and expectations
//! are in [`crate::double`].

use std::sync::atomic::Ordering;

use http::{Method, StatusCode};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::body::ResBody;
use crate::fault::{AimedSpec, FaultSpec};
use crate::http::{BodyError, json_response, read_body};
use crate::vendor::{method_not_allowed, not_found, service_error, too_large};

fn admin_error(status: StatusCode, msg: &str, request_id: &str) -> Response<ResBody> {
    service_error(status, "EMULATOR.0001", msg, request_id)
}

/// Handles a request to the admin route `route` (the path after the prefix).
/// The body of an admin request, within the emulator's body bounds; else the answer
/// that refuses it (413 over the size, 400 when it cannot be read).
async fn admin_body(
    shared: &Shared,
    req: Request<Incoming>,
    rid: &str,
) -> Result<bytes::Bytes, Response<ResBody>> {
    read_body(
        req.into_body(),
        shared.max_body_bytes,
        shared.body_read_timeout,
    )
    .await
    .map_err(|e| match e {
        BodyError::TooLarge { seen, complete } => {
            too_large(seen, complete, shared.max_body_bytes, rid)
        }
        BodyError::Read(e) => admin_error(StatusCode::BAD_REQUEST, &e, rid),
    })
}

pub(crate) async fn handle(
    shared: &Shared,
    route: &str,
    req: Request<Incoming>,
    rid: &str,
) -> Response<ResBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if crate::double::owns(route, &method) {
        let body = match admin_body(shared, req, rid).await {
            Ok(body) => body,
            Err(refusal) => return refusal,
        };
        return crate::double::handle(shared, route, &method, &path, &body, rid);
    }
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
            let body = match admin_body(shared, req, rid).await {
                Ok(body) => body,
                Err(refusal) => return refusal,
            };
            match parse_faults(&body) {
                Ok(faults) => {
                    for aimed in faults {
                        aimed.queue(&shared.faults);
                    }
                    json_response(StatusCode::OK, &pending(shared), rid)
                }
                Err(msg) => admin_error(StatusCode::BAD_REQUEST, &msg, rid),
            }
        }
        (r, &Method::POST) if r == "authorizations" || r.starts_with("authorizations/") => {
            // A test plays support: asks for an authorization, or records a session.
            let body = match admin_body(shared, req, rid).await {
                Ok(body) => body,
                Err(refusal) => return refusal,
            };
            crate::ops::authorizations::admin(shared, r, &body, rid)
        }
        (r, &Method::POST) if r.starts_with("tickets/") => {
            let body = match admin_body(shared, req, rid).await {
                Ok(body) => body,
                Err(refusal) => return refusal,
            };
            engineer(shared, r, &body, rid)
        }
        ("attachments", &Method::GET) => json_response(
            StatusCode::OK,
            &serde_json::to_value(shared.files.list()).unwrap_or_default(),
            rid,
        ),
        ("verification-codes", &Method::GET) => json_response(
            StatusCode::OK,
            &serde_json::to_value(shared.verification.codes()).unwrap_or_default(),
            rid,
        ),
        (r, &Method::GET) if r.starts_with("attachments/") => {
            let id = &r["attachments/".len()..];
            // Blocking with a state file: a read of one file of a few MiB.
            match shared.files.bytes(id) {
                Some(bytes) => {
                    let mut resp = crate::http::response(
                        StatusCode::OK,
                        "application/octet-stream",
                        bytes,
                        rid,
                    );
                    resp.headers_mut().insert(
                        http::header::CACHE_CONTROL,
                        http::HeaderValue::from_static("no-store"),
                    );
                    resp
                }
                None => admin_error(
                    StatusCode::NOT_FOUND,
                    &format!("no attachment {:?}", crate::http::shorten(id, 64)),
                    rid,
                ),
            }
        }
        (r, &Method::GET) if r.starts_with("tickets/") && r.ends_with("/extends-param") => {
            // What create_case_extends_param stored: the service's show_case_extends_param
            // answers no values, so a test reads them here.
            let id = &r["tickets/".len()..r.len() - "/extends-param".len()];
            match crate::ops::life::submitted_extends(shared, id) {
                Some(stored) => json_response(StatusCode::OK, &stored, rid),
                None => admin_error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "no extra fields were submitted for ticket {:?}",
                        crate::http::shorten(id, 64)
                    ),
                    rid,
                ),
            }
        }
        ("tickets", _) => method_not_allowed(&method, &path, "DELETE, GET", rid),
        ("status" | "attachments" | "verification-codes", _) => {
            method_not_allowed(&method, &path, "GET", rid)
        }
        (r, _) if r.starts_with("attachments/") => method_not_allowed(&method, &path, "GET", rid),
        ("faults", _) => method_not_allowed(&method, &path, "GET, POST, DELETE", rid),
        (r, _) if r == "authorizations" || r.starts_with("authorizations/") => {
            method_not_allowed(&method, &path, "POST", rid)
        }
        _ => not_found(&path, rid),
    }
}

fn pending(shared: &Shared) -> Value {
    let pending: Vec<Value> = shared
        .faults
        .pending_aimed()
        .iter()
        .map(|(matcher, fault, times)| FaultSpec::json_of(matcher.as_ref(), fault, *times))
        .collect();
    json!({ "pending": pending })
}

/// One fault object, or an array of them (a sequence, when aimed alike); all checked
/// before any is queued. A fault object may carry `"match"` to aim it.
fn parse_faults(body: &[u8]) -> Result<Vec<AimedSpec>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let items = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| AimedSpec::parse(item).map_err(|e| format!("fault {i}: {e}")))
        .collect()
}

/// `POST /__emulator/tickets/{id}/status` `{"status": N}` and
/// `POST /__emulator/tickets/{id}/reply` `{"content": "...", "status": N}`: a test plays
/// the support engineer.
fn engineer(shared: &Shared, route: &str, body: &[u8], rid: &str) -> Response<ResBody> {
    let parts: Vec<&str> = route.split('/').collect();
    let [_, id, what] = parts.as_slice() else {
        return not_found(route, rid);
    };
    let value: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return admin_error(
                StatusCode::BAD_REQUEST,
                "the body must be a JSON object",
                rid,
            );
        }
    };
    let status = value.get("status").and_then(Value::as_i64);
    let now = (shared.clock)();
    let known = shared.store.contains(id);
    if !known {
        return admin_error(
            StatusCode::NOT_FOUND,
            &format!("there is no ticket {id:?}"),
            rid,
        );
    }
    if let Some(s) = status.filter(|s| !crate::cases::STATUSES.contains(s)) {
        return admin_error(
            StatusCode::BAD_REQUEST,
            &format!("{s} is not one of the vendor's statuses"),
            rid,
        );
    }
    let result = match *what {
        "status" => match status {
            Some(s) => shared.cases.set_status(id, s, now),
            None => return admin_error(StatusCode::BAD_REQUEST, "give {\"status\": N}", rid),
        },
        "reply" => {
            let Some(content) = value.get("content").and_then(Value::as_str) else {
                return admin_error(StatusCode::BAD_REQUEST, "give {\"content\": \"...\"}", rid);
            };
            let m = crate::cases::CaseMessage {
                kind: 1,
                replier: "huawei-support".into(),
                content: content.to_owned(),
                at: now,
                accessory_ids: Vec::new(),
            };
            shared.cases.add_message(id, m, status)
        }
        _ => return not_found(route, rid),
    };
    match result {
        Ok(state) => json_response(
            StatusCode::OK,
            &json!({ "incident_id": id, "status": state.status, "messages": state.messages.len() }),
            rid,
        ),
        Err(msg) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, &msg, rid),
    }
}
