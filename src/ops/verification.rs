//! Verifying a contact (a phone number or an e-mail address) that is not registered with
//! the account, so that a ticket may send notifications to it.

include!(concat!(env!("OUT_DIR"), "/ops_verification.rs"));
