//! Attachments: files uploaded before a ticket or a message refers to them by id.

include!(concat!(env!("OUT_DIR"), "/ops_attachments.rs"));
