//! The look-ups: the lists a ticket is filled in from.
//!
//! Each is a GET, idempotent, so the client retries it after timeouts, lost
//! connections, 5xx and 429 under its [`crate::RetryPolicy`]. Every query parameter is
//! checked against the spec before anything is sent.

include!("../generated/ops_lookups.rs");
