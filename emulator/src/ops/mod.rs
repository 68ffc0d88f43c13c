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

// Every module of this folder, and FAMILY_HANDLERS, their HANDLERS tables (build.rs):
// a new family's handlers need their file and nothing else.
include!(concat!(env!("OUT_DIR"), "/ops_modules.rs"));

/// How an operation's handler runs.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    /// In place, on the connection's task, answering at once.
    Sync(fn(&Shared, &Call) -> Reply),
    /// In place, awaited (it may wait, and is dropped with its connection).
    Async(for<'a> fn(&'a Arc<Shared>, Call) -> BoxReply<'a>),
    /// On a task of its own, which a closed connection does not cancel: it writes state
    /// (files, then notes of them) that a client going away in between must not leave
    /// apart.
    Detached(fn(Arc<Shared>, Call) -> BoxReply<'static>),
}

/// A handler's future.
pub(crate) type BoxReply<'a> = std::pin::Pin<Box<dyn Future<Output = Reply> + Send + 'a>>;

/// The handler of every operation the emulator serves, by operation id: each module of
/// this folder lists its own in `HANDLERS` ([`cases::HANDLERS`], …). `tests/handlers.rs`
/// checks that every operation of the spec has one.
pub(crate) fn handlers() -> impl Iterator<Item = &'static (&'static str, Handler)> {
    FAMILY_HANDLERS.iter().copied().flatten()
}

/// The handler of operation `id`, if the emulator serves it.
pub(crate) fn handler(id: &str) -> Option<Handler> {
    handlers().find(|(op, _)| *op == id).map(|(_, h)| *h)
}

/// The ids of the operations the emulator serves, in the order of its handler table.
pub fn served() -> Vec<&'static str> {
    handlers().map(|(id, _)| *id).collect()
}

/// Runs the handler of `call.op`.
pub(crate) async fn dispatch(shared: &Arc<Shared>, call: Call) -> Reply {
    match handler(call.op.id) {
        Some(Handler::Sync(f)) => f(shared, &call),
        Some(Handler::Async(f)) => f(shared, call).await,
        Some(Handler::Detached(f)) => {
            let shared = Arc::clone(shared);
            detached(f(shared, call)).await
        }
        None => not_implemented(&call),
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
