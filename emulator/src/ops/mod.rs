//! One handler module per family of operations, dispatched by operation id. An
//! operation of the spec that has no handler yet answers 501 in the vendor's shape, so
//! the gap is visible rather than a 404.

use http::StatusCode;

use crate::Shared;
use crate::http::Reply;
use crate::router::Call;
use crate::vendor::service_error;

pub(crate) mod attachments;
pub(crate) mod cases;
pub(crate) mod followup;
pub(crate) mod lookups;
pub(crate) mod verification;

/// Runs the handler of `call.op`.
pub(crate) async fn dispatch(shared: &Shared, call: Call) -> Reply {
    match call.op.family {
        "cases" if call.op.id == "create_case" => cases::handle(shared, call).await,
        "cases" => followup::handle(shared, &call),
        "lookups" => lookups::handle(shared, &call),
        "attachments" => attachments::handle(shared, call).await,
        "verification" => verification::handle(shared, &call),
        _ => not_implemented(&call),
    }
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
