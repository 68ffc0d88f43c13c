//! Tickets: creating one (with the fault queue), and following it.

use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderName, HeaderValue};
use hyper::Response;
use serde_json::{Value, json};

use crate::Shared;
use crate::body::ResBody;
use crate::fault::Fault;
use crate::http::{JSON, REQUEST_ID, Reply, response};
use crate::router::{Call, recorded_headers};
use crate::store::PendingTicket;
use crate::vendor::{bad_request, internal_error, service_error};

/// Handles an operation of the `cases` family.
pub(crate) async fn handle(shared: &Shared, call: Call) -> Reply {
    match call.op.id {
        "create_case" => create(shared, call).await,
        _ => super::not_implemented(&call),
    }
}

/// Records a ticket, or suffers the next queued fault.
async fn create(shared: &Shared, call: Call) -> Reply {
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
    let body = Value::Object(call.body.clone());
    let ticket = PendingTicket {
        request_id: call.request_id.clone(),
        received_at: (shared.clock)(),
        auth: call.auth.clone(),
        headers: recorded_headers(call.op, &call.headers),
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
