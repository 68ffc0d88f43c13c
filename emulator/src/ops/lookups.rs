//! The look-ups, answered from the catalogue ([`crate::catalogue`]).

use crate::Shared;
use crate::http::Reply;
use crate::router::Call;

/// Answers a look-up.
pub(crate) fn handle(_shared: &Shared, call: &Call) -> Reply {
    super::not_implemented(call)
}
