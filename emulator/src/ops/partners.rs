//! The partner associated with the caller: a made-up partner, fixed, that serves on
//! weekdays in office hours, and the privilege of handling its customers' tickets, which
//! the emulator's caller holds. No operation of the API changes either.

use http::StatusCode;
use serde_json::json;

use crate::Shared;
use crate::http::{Reply, json_response};
use crate::router::Call;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    (
        "show_partners_cases_privilege",
        super::Handler::Sync(handle),
    ),
    ("show_partners_service_info", super::Handler::Sync(handle)),
];

fn handle(_shared: &Shared, call: &Call) -> Reply {
    let body = match call.op.id {
        "show_partners_cases_privilege" => json!({ "has_privilege": true }),
        "show_partners_service_info" => {
            let name = if call.language() == "en-us" {
                "Emulator Partner Services"
            } else {
                "模拟器伙伴服务"
            };
            json!({ "partners_service_info": {
                "customer_id": "emulator-partner",
                "customer_name": name,
                "service_time_zone": "GMT+08:00",
                "service_time_day": "1-5",
                "service_time_hour": "09:00-18:00",
            }})
        }
        _ => return super::not_implemented(call),
    };
    json_response(StatusCode::OK, &body, &call.request_id).into()
}
