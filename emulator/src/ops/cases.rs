//! Tickets: creating one, and following it. (Faults apply around every handler: see
//! `crate::inject`.)

use http::StatusCode;
use serde_json::{Value, json};

use std::sync::Arc;

use super::{BoxReply, Handler};
use crate::Shared;
use crate::http::{JSON, Reply, response};
use crate::router::{Call, recorded_headers};
use crate::store::PendingTicket;
use crate::vendor::{bad_request, service_error};

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, Handler)] = &[("create_case", Handler::Async(create_boxed))];

fn create_boxed(shared: &Arc<Shared>, call: Call) -> BoxReply<'_> {
    Box::pin(create(shared, call))
}

/// Records a ticket.
async fn create(shared: &Shared, mut call: Call) -> Reply {
    let rid = call.request_id.as_str();
    // A fault report (a problem type of case_type "5") needs the region it is about, as
    // the vendor documents for business_type_id "5".
    if let Some(Value::String(id)) = call.body.get("business_type_id")
        && shared.catalogue.is_fault_report(id)
        && call
            .body
            .get("region_id")
            .is_none_or(|r| r.as_str().is_none_or(str::is_empty))
    {
        return bad_request(
            &format!(
                "region_id is required: problem type {id} is a fault report (case_type 5), \
                 which must name the region the problem is in (see list_regions)"
            ),
            rid,
        )
        .into();
    }
    // The attachments and contacts it names must exist and be verified.
    if shared.check_references
        && let Some(refusal) = super::attachments::refuse_unknown_ids(shared, &call)
            .or_else(|| super::verification::refuse_unverified(shared, &call))
    {
        return refusal;
    }
    let body = Value::Object(std::mem::take(&mut call.body));
    let ticket = PendingTicket {
        request_id: call.request_id.clone(),
        received_at: (shared.clock)(),
        auth: call.auth.clone(),
        headers: recorded_headers(call.op, &call.headers),
        body,
    };

    let ticket = match shared.store.record(ticket).await {
        Ok(ticket) => ticket,
        Err(msg) => {
            return service_error(StatusCode::INTERNAL_SERVER_ERROR, "OSM.0004", &msg, rid).into();
        }
    };
    let answer = json!({ "incident_id": ticket.incident_id }).to_string();
    response(StatusCode::OK, JSON, answer, rid).into()
}
