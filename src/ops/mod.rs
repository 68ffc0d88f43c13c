//! One module per family of operations, each a thin layer over the executor
//! ([`crate::exec`]): the request builders are generated from the spec (one per
//! operation, with a setter per parameter and body field), and the module adds what the
//! family needs beyond that.
//!
//! - [`cases`]: open a ticket ([`crate::Client::create_case`]) and follow it.
//! - [`lookups`]: the lists a ticket is filled in from (problem types, categories,
//!   severities, regions, area codes, extension parameters, templates, limits, quotas).
//! - [`attachments`]: files attached to a ticket or a message.
//! - [`exactly_once`]: the look-ups that make a create exactly-once, and their settings.
//! - [`verification`]: verifying a contact that is not registered with the account.

pub mod attachments;
pub mod cases;
pub mod exactly_once;
pub mod lookups;
mod multipart;
pub mod verification;

// The families without a hand-written module above, generated from the spec's tags.
include!("../generated/ops_modules.rs");
