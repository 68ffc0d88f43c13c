//! show_configuration (tag `agreements`): the service's configuration items, by key. No
//! page of the vendor's lists the keys, so the emulator answers a few made-up ones
//! ([`ITEMS`]); any other key is not found (404 `OSM.0001`).

use http::StatusCode;
use serde_json::json;

use crate::Shared;
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::vendor::service_error;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] =
    &[("show_configuration", super::Handler::Sync(handle))];

/// The configuration items the emulator knows: key and value.
pub(crate) const ITEMS: [(&str, &str); 3] = [
    ("case_agreement_required", "true"),
    ("case_cc_email_max_count", "10"),
    ("instant_message_poll_interval_seconds", "5"),
];

fn handle(_shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let key = call.text("config_key").unwrap_or_default();
    match ITEMS.iter().find(|(k, _)| *k == key) {
        Some((k, v)) => json_response(
            StatusCode::OK,
            &json!({ "config_key": k, "config_value": v }),
            rid,
        )
        .into(),
        None => service_error(
            StatusCode::NOT_FOUND,
            "OSM.0001",
            &format!("there is no configuration item {key:?}"),
            rid,
        )
        .into(),
    }
}
