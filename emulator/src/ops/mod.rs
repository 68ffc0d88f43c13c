//! One handler module per family of operations, dispatched by operation id. An
//! operation of the spec that has no handler yet answers 501 in the vendor's shape, so
//! the gap is visible rather than a 404.

use std::future::Future;
use std::sync::Arc;

use http::StatusCode;

use crate::Shared;
use crate::http::Reply;
use crate::router::Call;
use crate::vendor::{internal_error, service_error};

pub(crate) mod attachments;
pub(crate) mod cases;
pub(crate) mod followup;
pub(crate) mod lookups;
pub(crate) mod verification;

/// Runs the handler of `call.op`, in place (on the connection's task) unless it must
/// finish once started.
pub(crate) async fn dispatch(shared: &Arc<Shared>, call: Call) -> Reply {
    match call.op.family {
        "cases" if call.op.id == "create_case" => cases::handle(shared, call).await,
        "cases" => followup::handle(shared, &call),
        "lookups" => lookups::handle(shared, &call),
        // An upload or a deletion writes files, then notes them: a client that goes
        // away in between must not leave the two apart.
        "attachments" => {
            let shared = Arc::clone(shared);
            detached(async move { attachments::handle(&shared, call).await }).await
        }
        "verification" => verification::handle(shared, &call),
        _ => not_implemented(&call),
    }
}

/// Runs `handler` on a task of its own, which a closed connection does not cancel (a
/// handler run in place is dropped with its connection); a panic in it answers 500.
pub(crate) async fn detached(handler: impl Future<Output = Reply> + Send + 'static) -> Reply {
    tokio::spawn(handler)
        .await
        .unwrap_or_else(|_| internal_error("the emulator failed while handling the request").into())
}

/// 501 for an operation the emulator does not serve yet.
pub(crate) fn not_implemented(call: &Call) -> Reply {
    service_error(
        StatusCode::NOT_IMPLEMENTED,
        "EMULATOR.0501",
        &format!("the emulator does not serve {} yet", call.op.id),
        &call.request_id,
    )
    .into()
}
