//! The emulator as a test double: resetting its state, and the admin routes of the
//! request record and of expectations.
//!
//! Routes (under `/__emulator/`):
//!
//! - `POST reset` (and `DELETE tickets`, the same): clears every part of the state,
//!   answers `{"cleared": {"tickets": 2, "faults": 0, …}}`;
//! - `GET requests`: `{"count": n, "requests": [...]}`, oldest first;
//! - `POST expectations` `{"name"?, "match"?, "times" | "at_least" | "at_most"}`:
//!   registers one, answers `{"id": n, "expectation": "..."}`; `GET expectations`: the
//!   verification, `{"ok": bool, "report": "..." | null, "expectations": [...]}`;
//!   `DELETE expectations`: forgets those registered over HTTP.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use http::{Method, StatusCode};
use hyper::Response;
use serde_json::{Value, json};

use crate::Shared;
use crate::body::ResBody;
use crate::expect::{ExpectationSpec, add_http, verification_json};
use crate::http::json_response;
use crate::vendor::{method_not_allowed, service_error};

/// What a reset cleared: how many of each part of the state (`tickets`,
/// `ticket_states`, `records` (the generic store's), `faults`, `requests`, `expectations`, and whatever later parts add).
pub type ResetReport = BTreeMap<&'static str, usize>;

/// Clears the state of the emulator, every part of it, and says how much of each.
///
/// Each part clears itself here in one line, named as its JSON key; a part added
/// later adds its own line.
///
/// Refused, clearing nothing, for an emulator with a state file: the state file is the
/// durable record of what was opened, and the ids it gave must not be given again.
/// Ticket ids are not reused after a reset either: numbering goes on.
///
/// Expectations registered from Rust are not touched: their guards scope them. Those
/// registered over HTTP are forgotten.
pub(crate) fn reset(shared: &Shared) -> Result<ResetReport, String> {
    if shared.store.is_durable() {
        return Err(
            "an emulator with a state file cannot be reset: the file is the durable record \
             of the tickets it opened; start a memory-only emulator for tests"
                .into(),
        );
    }
    let mut cleared = ResetReport::new();
    cleared.insert("tickets", shared.store.clear()?);
    cleared.insert("ticket_states", shared.cases.clear()?);
    cleared.insert("records", shared.collections.clear()?);
    cleared.insert("attachments", shared.files.clear());
    cleared.insert("verifications", shared.verification.clear());
    cleared.insert("faults", shared.faults.clear());
    cleared.insert("requests", shared.journal.clear());
    cleared.insert("expectations", shared.journal.expectations.clear_http());
    shared.requests_seen.store(0, Ordering::Relaxed);
    Ok(cleared)
}

/// Whether `route` (after the prefix) is one of this module's.
pub(crate) fn owns(route: &str, method: &Method) -> bool {
    matches!(
        (route, method),
        ("reset" | "requests" | "expectations", _) | ("tickets", &Method::DELETE)
    )
}

/// Handles one of this module's routes; `body` is the request body, read and bounded.
pub(crate) fn handle(
    shared: &Shared,
    route: &str,
    method: &Method,
    path: &str,
    body: &[u8],
    rid: &str,
) -> Response<ResBody> {
    let bad = |msg: &str| service_error(StatusCode::BAD_REQUEST, "EMULATOR.0001", msg, rid);
    match (route, method) {
        ("reset", &Method::POST) | ("tickets", &Method::DELETE) => match reset(shared) {
            Ok(cleared) => json_response(StatusCode::OK, &json!({ "cleared": cleared }), rid),
            Err(msg) => service_error(StatusCode::CONFLICT, "EMULATOR.0001", &msg, rid),
        },
        ("requests", &Method::GET) => {
            let requests = shared.journal.requests();
            json_response(
                StatusCode::OK,
                &json!({ "count": requests.len(), "requests": requests }),
                rid,
            )
        }
        ("expectations", &Method::GET) => {
            json_response(StatusCode::OK, &verification_json(shared), rid)
        }
        ("expectations", &Method::DELETE) => {
            let cleared = shared.journal.expectations.clear_http();
            json_response(StatusCode::OK, &json!({ "cleared": cleared }), rid)
        }
        ("expectations", &Method::POST) => {
            let value: Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => return bad(&format!("the body is not JSON: {e}")),
            };
            match serde_json::from_value::<ExpectationSpec>(value)
                .map_err(|e| e.to_string())
                .and_then(ExpectationSpec::into_expectation)
            {
                Ok(e) => {
                    let (id, title) = add_http(shared, e);
                    json_response(
                        StatusCode::OK,
                        &json!({ "id": id, "expectation": title }),
                        rid,
                    )
                }
                Err(msg) => bad(&msg),
            }
        }
        ("reset", _) => method_not_allowed(method, path, "POST", rid),
        ("requests", _) => method_not_allowed(method, path, "GET", rid),
        _ => method_not_allowed(method, path, "GET, POST, DELETE", rid),
    }
}
