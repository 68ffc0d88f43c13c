//! Applies the fault queue ([`crate::fault`]) around the handler of every operation:
//! a request that passed the generic checks takes the first queued fault that applies
//! to it, and suffers it before (`respond`, `drop_before_record`,
//! `delay_before_record`) or after (`delay_after_record`, `drop_after_record`,
//! `truncated_body`, `slow_body`) its handler runs.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderName, HeaderValue};
use hyper::Response;

use crate::body::ResBody;
use crate::fault::Fault;
use crate::http::{JSON, Reply, response};
use crate::journal::{RecordedRequest, recorded_headers};
use crate::router::Call;
use crate::vendor::internal_error;
use crate::{Shared, ops};

/// Runs the handler of `call.op`, with the fault that applies to it, if any.
pub(crate) async fn dispatch(shared: &Arc<Shared>, call: Call) -> Reply {
    let fault = if shared.faults.any_for_requests() {
        shared.faults.take_for(&view(shared, &call))
    } else {
        None
    };
    let Some(fault) = fault else {
        return ops::dispatch(shared, call).await;
    };
    shared
        .journal
        .note_fault(call.record, fault.recorded_name());
    let rid = call.request_id.clone();
    match fault {
        Fault::Respond {
            status,
            headers,
            body,
        } => return canned(status, &headers, body, &rid).into(),
        Fault::DropBeforeRecord => return Reply::Drop,
        Fault::DelayBeforeRecord(delay) => {
            // The ticket appears after a client that gave up has gone: the wait and the
            // handler run on a task of their own, which a closed connection does not
            // cancel (requests are otherwise handled in place).
            let shared = Arc::clone(shared);
            return ops::detached(async move {
                wait(&shared, delay).await;
                ops::dispatch(&shared, call).await
            })
            .await;
        }
        Fault::Pass | Fault::ResetOnAccept => return ops::dispatch(shared, call).await,
        _ => {}
    }
    let Reply::Response(answer) = ops::dispatch(shared, call).await else {
        return Reply::Drop;
    };
    match fault {
        Fault::DropAfterRecord => Reply::Drop,
        Fault::DelayAfterRecord(delay) => {
            wait(shared, delay).await;
            answer.into()
        }
        Fault::TruncatedBody => truncated(answer).into(),
        Fault::SlowBody { bytes_per_second } => {
            let (parts, body) = answer.into_parts();
            let data = body.peek().cloned().unwrap_or_default();
            Response::from_parts(parts, ResBody::slow(data, bytes_per_second)).into()
        }
        _ => answer.into(),
    }
}

/// The request as a fault's matcher sees it (no answer yet).
fn view(shared: &Shared, call: &Call) -> RecordedRequest {
    let (body, body_truncated) = shared.journal.bounded_body(&call.raw_body);
    RecordedRequest {
        seq: call.record.0,
        received_at: (shared.clock)(),
        operation: Some(call.op.id.to_owned()),
        method: call.op.method.to_owned(),
        path: call.path.clone(),
        query: call.query.clone(),
        headers: recorded_headers(&call.headers),
        body,
        body_len: Some(call.raw_body.len()),
        body_truncated,
        status: None,
        error_code: None,
        request_id: None,
        fault: None,
        finished: false,
    }
}

/// Waits, cut short by shutdown.
async fn wait(shared: &Shared, delay: Duration) {
    let mut shutdown = shared.shutdown.clone();
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
}

/// The answer with half of its body sent under the whole body's `Content-Length`.
fn truncated(answer: Response<ResBody>) -> Response<ResBody> {
    let (mut parts, body) = answer.into_parts();
    let whole = body.peek().cloned().unwrap_or_default();
    let half = Bytes::copy_from_slice(&whole[..whole.len() / 2]);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(whole.len()));
    Response::from_parts(parts, ResBody::truncated(half))
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
