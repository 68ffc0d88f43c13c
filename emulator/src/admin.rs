//! The emulator's own routes under `/__emulator/` (they do not exist on the real
//! service): recorded tickets, status counters, the fault queue, the attachments
//! stored and the verification codes sent.

use std::sync::atomic::Ordering;

use http::{Method, StatusCode};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::body::ResBody;
use crate::fault::{Fault, FaultSpec};
use crate::http::{BodyError, json_response, read_body};
use crate::vendor::{method_not_allowed, not_found, service_error, too_large};

fn admin_error(status: StatusCode, msg: &str, request_id: &str) -> Response<ResBody> {
    service_error(status, "EMULATOR.0001", msg, request_id)
}

/// Handles a request to the admin route `route` (the path after the prefix).
pub(crate) async fn handle(
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
        (r, &Method::POST) if r.starts_with("tickets/") => {
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
                Err(BodyError::Read(e)) => return admin_error(StatusCode::BAD_REQUEST, &e, rid),
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
        ("tickets" | "status" | "attachments" | "verification-codes", _) => {
            method_not_allowed(&method, &path, "GET", rid)
        }
        (r, _) if r.starts_with("attachments/") => method_not_allowed(&method, &path, "GET", rid),
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
    let known = shared.store.tickets().iter().any(|t| t.incident_id == *id);
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
