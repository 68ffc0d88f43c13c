//! Contact verification: whether a contact needs it, sending and checking codes, the
//! verified contacts, and the check of a ticket's notification contacts.
//!
//! A refused check, and a ticket that would notify a contact neither registered nor
//! verified, get the vendor's documented "verification failed", `OSM.01010010`, with
//! HTTP 200.

use http::StatusCode;
use serde_json::{Value, json};

use crate::Shared;
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::vendor::{bad_request, business_error, service_error};
use crate::verification::{CheckFailure, vendor_time};

/// The vendor's code for a failed verification.
pub(crate) const VERIFICATION_FAILED: &str = "OSM.01010010";

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("check_need_verify", super::Handler::Sync(handle)),
    ("send_verify_code", super::Handler::Sync(handle)),
    ("check_verify_code", super::Handler::Sync(handle)),
    ("list_verified_contacts", super::Handler::Sync(handle)),
];

fn handle(shared: &Shared, call: &Call) -> Reply {
    match call.op.id {
        "check_need_verify" => need_verify(shared, call),
        "send_verify_code" => send(shared, call),
        "check_verify_code" => check(shared, call),
        "list_verified_contacts" => list(shared, call),
        _ => super::not_implemented(call),
    }
}

fn body_text<'a>(call: &'a Call, key: &str) -> &'a str {
    call.body
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn body_way(call: &Call) -> i64 {
    call.body
        .get("contact_way")
        .and_then(Value::as_i64)
        .unwrap_or(-1)
}

/// Why a contact value cannot receive a code, if it cannot.
fn unusable(way: i64, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return Some("contact_value is empty".into());
    }
    match way {
        1 if !value.contains('@') => {
            Some(format!("contact_value {value:?} is not an e-mail address"))
        }
        0 if !value.chars().all(|c| c.is_ascii_digit()) => Some(format!(
            "contact_value {value:?} is not a phone number (digits only; the calling code goes in area_code)"
        )),
        _ => None,
    }
}

fn need_verify(shared: &Shared, call: &Call) -> Reply {
    let way = call.int("contact_way").unwrap_or(-1);
    let value = call.text("contact_value").unwrap_or_default();
    let area = call.text("area_code").unwrap_or_default();
    let v = &shared.verification;
    let known = v.is_registered(way, &value, &area) || v.verified(way, &value, &area).is_some();
    let mut answer = json!({ "need_verify_code": if known { 0 } else { 1 } });
    if !known && let Some(expiry) = v.pending_expiry(way, &value, &area, (shared.clock)()) {
        answer["expire_time"] = Value::String(vendor_time(expiry));
    }
    json_response(StatusCode::OK, &answer, &call.request_id).into()
}

fn send(shared: &Shared, call: &Call) -> Reply {
    let (way, value, area) = (
        body_way(call),
        body_text(call, "contact_value"),
        body_text(call, "area_code"),
    );
    if let Some(why) = unusable(way, value) {
        return bad_request(&why, &call.request_id).into();
    }
    // The code itself is never logged: only the admin route shows it, like the SMS.
    if let Err(failure) = shared.verification.send(way, value, area, (shared.clock)()) {
        return refused(failure, &call.request_id);
    }
    tracing::info!(contact_way = way, "verification code sent");
    json_response(StatusCode::OK, &json!({}), &call.request_id).into()
}

fn check(shared: &Shared, call: &Call) -> Reply {
    let (way, value, area) = (
        body_way(call),
        body_text(call, "contact_value"),
        body_text(call, "area_code"),
    );
    let code = body_text(call, "verify_code");
    match shared
        .verification
        .check(way, value, area, code, (shared.clock)())
    {
        Ok(_) => json_response(StatusCode::OK, &json!({}), &call.request_id).into(),
        Err(failure) => refused(failure, &call.request_id),
    }
}

/// The answer to a code not sent, checked or used: the vendor's "verification failed",
/// or 500 `OSM.0004` when the change could not be saved to the state file.
fn refused(failure: CheckFailure, request_id: &str) -> Reply {
    match failure {
        CheckFailure::Refused(why) => business_error(
            VERIFICATION_FAILED,
            &format!("Verification failed: {why}"),
            request_id,
        )
        .into(),
        CheckFailure::Unsaved(why) => service_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "OSM.0004",
            &why,
            request_id,
        )
        .into(),
    }
}

fn list(shared: &Shared, call: &Call) -> Reply {
    let way = call.int("contact_way");
    let value = call.text("contact_value");
    let area = call.text("area_code");
    let id = call.text("verified_id");
    let matching: Vec<_> = shared
        .verification
        .verified_list()
        .into_iter()
        .filter(|v| way.is_none_or(|w| v.contact_way == w))
        .filter(|v| {
            value.as_deref().is_none_or(|x| {
                crate::verification::same(
                    v.contact_way,
                    &v.contact_value,
                    &v.area_code,
                    v.contact_way,
                    x,
                    area.as_deref().unwrap_or_default(),
                )
            })
        })
        .filter(|v| {
            area.as_deref().is_none_or(|a| {
                a.is_empty() || v.area_code.trim_start_matches('+') == a.trim_start_matches('+')
            })
        })
        .filter(|v| {
            id.as_deref()
                .is_none_or(|i| i.is_empty() || v.verified_id == i)
        })
        .collect();
    // offset counts from 1, as the pages' default suggests; 0 is taken as 1.
    let offset = call.int("offset").unwrap_or(1).max(1) as usize;
    let limit = call.int("limit").unwrap_or(10).max(0) as usize;
    let page: Vec<Value> = matching
        .iter()
        .skip(offset - 1)
        .take(limit)
        .map(|v| {
            json!({
                "contact_way": v.contact_way,
                "contact_value": v.contact_value,
                "area_code": v.area_code,
                "verified_id": v.verified_id,
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({ "count": matching.len(), "contact_list": page }),
        &call.request_id,
    )
    .into()
}

/// The refusal of a ticket that would notify a contact that is neither registered with
/// the account nor verified: `remind_mail` needs `x-email-verifiedid` naming a
/// verification of that address, `remind_mobile` needs `x-phone-verifiedid` naming one
/// of that number (with the body's `area_code`). A body `verify_code` valid for the
/// contact is accepted instead, and used up.
pub(crate) fn refuse_unverified(shared: &Shared, call: &Call) -> Option<Reply> {
    let area = body_text(call, "area_code");
    let now = (shared.clock)();
    for (field, way, header) in [
        ("remind_mail", 1, "x-email-verifiedid"),
        ("remind_mobile", 0, "x-phone-verifiedid"),
    ] {
        let value = body_text(call, field).trim();
        if value.is_empty() {
            continue;
        }
        let v = &shared.verification;
        if v.is_registered(way, value, area) {
            continue;
        }
        let verified = v.verified(way, value, area);
        let given = call.text(header);
        let why = match (&given, &verified) {
            (Some(id), Some(record)) if *id == record.verified_id => continue,
            (Some(id), _) => format!("{header} {id:?} is not a verification of {field} {value:?}"),
            (None, _) => {
                let code = body_text(call, "verify_code");
                if !code.is_empty() {
                    match v.use_code(way, value, area, code, now) {
                        Ok(()) => continue,
                        Err(CheckFailure::Refused(_)) => {}
                        Err(unsaved) => return Some(refused(unsaved, &call.request_id)),
                    }
                }
                format!(
                    "{field} {value:?} is neither registered with the account nor verified; \
                     verify it (send_verify_code, check_verify_code) and give its verified id \
                     (list_verified_contacts) in {header}"
                )
            }
        };
        return Some(
            business_error(
                VERIFICATION_FAILED,
                &format!("Verification failed: {why}"),
                &call.request_id,
            )
            .into(),
        );
    }
    None
}
