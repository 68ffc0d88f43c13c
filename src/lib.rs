//! Open and follow Huawei Cloud service tickets (OSM) from Rust.
//!
//! A typed client for the OSM API, generated from an OpenAPI document of the service:
//! every limit of the service is checked before a request is sent, requests are signed
//! with AK/SK (or carry an IAM token), and a ticket is never opened twice by a retry.
//!
//! # Getting started
//!
//! ```toml
//! [dependencies]
//! huaweicloud-osm = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! ```no_run
//! use huaweicloud_osm::{Client, NewCase, Site};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), huaweicloud_osm::Error> {
//!     // Credentials from HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK or HUAWEICLOUD_AUTH_TOKEN.
//!     let client = Client::builder().site(Site::International).language("en-us").build()?;
//!     let created = client.create_case(&NewCase::new("1", "disk full on ecs-01")).await?;
//!     println!("ticket {}", created.incident_id);
//!     Ok(())
//! }
//! ```
//!
//! The examples below run against `osm-emulator`, a local stand-in for the service
//! (a dev-dependency of your tests, as of these docs), so they run as they are.
//!
//! # Key concepts
//!
//! - [`Client`] and [`ClientBuilder`]: one per application; cheap to clone. [`Site`]
//!   picks the vendor's endpoint, [`ClientBuilder::endpoint`] overrides it.
//! - [`Credentials`]: an AK/SK pair (signed SDK-HMAC-SHA256) or an IAM token; without
//!   explicit ones, the [`CredentialsProvider::default_chain`] (environment, IAM password,
//!   profile file, ECS metadata). Secrets never show in `Debug`, `Display` or logs.
//! - [`NewCase`]: the ticket to open, a setter per body field of the spec;
//!   [`NewCase::validate`] names the field, the rule and the size of what is wrong.
//! - One request builder per other operation ([`ops`]), started from the client
//!   (`client.list_problem_types()`, `client.show_case_detail()`, …), each with a setter
//!   per parameter and `send()`, which answers an [`Answer`].
//! - [`Error`]: one type that answers questions, above all [`Error::outcome_unknown`]:
//!   *may the ticket exist although the call failed?*
//! - [`RetryPolicy`]: what is retried; by default nothing that might open a second
//!   ticket.
//! - [`schema`]: the JSON Schema of every request body, for files an editor can check.
//!
//! # Look up what a ticket is filled in from
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = osm_emulator::Emulator::builder().token("t").start().await?;
//! use huaweicloud_osm::{Client, Credentials};
//!
//! let client = Client::builder()
//!     .endpoint(emulator.base_url())
//!     .credentials(Credentials::token("t"))
//!     .build()?;
//! let types = client.list_problem_types().send().await?;
//! assert!(!types.incident_business_type_list.is_empty());
//! # emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Open a ticket
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = osm_emulator::Emulator::builder().token("t").start().await?;
//! use huaweicloud_osm::{Client, Credentials, NewCase};
//!
//! let client = Client::builder()
//!     .endpoint(emulator.base_url())
//!     .credentials(Credentials::token("t"))
//!     .build()?;
//! let case = NewCase::new("5", "ECS instance ecs-01 does not boot")
//!     .region_id("ap-southeast-3")
//!     .severity_id("2");
//! let created = client.create_case(&case).await?;
//! assert!(!created.incident_id.is_empty());
//! # emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Open a ticket exactly once
//!
//! With [`ClientBuilder::exactly_once`], a failure after which the ticket may exist (a
//! timeout, a lost connection, a 5xx) is never answered by sending the create again: the
//! ticket list is read until the reconcile window ends, and the create returns the
//! ticket when one is certainly this call's ([`CreatedCase::found_after`] says it was
//! found that way), or an error whose outcome stays unknown, naming the candidates
//! ([`Error::candidates`]). "Not created" comes only from a definite refusal. For a
//! handler that may run twice for one event, [`Client::create_case_unless_open`] returns
//! the open ticket instead of opening another. The guarantees and their limits are in
//! [`ops::exactly_once`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = osm_emulator::Emulator::builder().token("t").start().await?;
//! use huaweicloud_osm::{Client, Credentials, NewCase};
//!
//! let client = Client::builder()
//!     .endpoint(emulator.base_url())
//!     .credentials(Credentials::token("t"))
//!     .exactly_once(true)
//!     .build()?;
//! let created = client.create_case(&NewCase::new("1", "disk full on ecs-01")).await?;
//! assert_eq!(emulator.tickets().len(), 1);
//! assert_eq!(created.found_after, None); // the answer came back: nothing to settle
//! # emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # An alert handler
//!
//! Look up a problem type and a severity, attach a log, open the ticket exactly once
//! (a second run for the same alert finds the first run's ticket), post a follow-up,
//! close it. Where the spec enumerates values, the code uses the generated enums
//! ([`CaseType`], [`CaseStatus`], `UpdateCaseActionId`); answers carry them with an
//! `Unknown` variant, so a value the service adds later still reads.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = osm_emulator::Emulator::builder().ak_sk("AKEXAMPLE", "secret").start().await?;
//! use std::time::Duration;
//! use huaweicloud_osm::{Attachment, CaseStatus, CaseType, Client, Credentials, NewCase};
//!
//! let client = Client::builder()
//!     .endpoint(emulator.base_url())
//!     .credentials(Credentials::ak_sk("AKEXAMPLE", "secret"))
//!     // Names in look-ups come back in Chinese unless a language is set.
//!     .language("en-us")
//!     // A fault report without a region is refused before it is sent (one cached look-up).
//!     .check_fault_report_region(true)
//!     .build()?;
//! // A problem type that opens a fault report: its case type, not its display name.
//! let problems = client.list_problem_types().send().await?;
//! let problem = problems
//!     .incident_business_type_list
//!     .iter()
//!     .find(|p| p.case_type == Some(CaseType::FaultReport))
//!     .and_then(|p| p.business_type_id.clone())
//!     .expect("a fault-report problem type");
//! // The product category by its acronym, and a severity (named in the client's language).
//! let categories = client.list_product_categories().send().await?;
//! let ecs = categories
//!     .incident_product_category_list
//!     .iter()
//!     .find(|c| c.incident_product_category_acronym.as_deref() == Some("ECS"))
//!     .and_then(|c| c.incident_product_category_id.clone())
//!     .expect("the ECS category");
//! let severities = client
//!     .list_severities()
//!     .product_category_id(&ecs)
//!     .business_type_id(&problem)
//!     .send()
//!     .await?;
//! let major = severities
//!     .severity_list
//!     .iter()
//!     .find(|s| s.severity_name.as_deref() == Some("Major"))
//!     .and_then(|s| s.severity_id.clone())
//!     .expect("a Major severity");
//! // Attach a log, then open the ticket unless this alert's ticket is open already.
//! let log = Attachment::new("dmesg.log", "EXT4-fs error (device vda1)\n");
//! let log_id = client.upload_attachment(log.name(), log.data().clone()).await?;
//! let case = NewCase::new(problem, "[alert 7f3a9c] ecs-01: disk full")
//!     .product_category_id(ecs)
//!     .severity_id(major)
//!     .region_id("ap-southeast-3")
//!     .accessory_ids([log_id]);
//! let ticket = client.create_case_unless_open(&case, Duration::from_secs(24 * 3600)).await?;
//! // Follow it up, read its state (an enum, with a label for display), close it.
//! client.reply(&ticket.incident_id, "The disk filled up again at 09:12.").await?;
//! let status = client.show_case_status().case_id(&ticket.incident_id).send().await?;
//! assert_eq!(status.status, Some(CaseStatus::WaitingToBeAccepted));
//! println!("{}: {}", ticket.incident_id, status.status.as_ref().unwrap());
//! client.close_case(&ticket.incident_id).await?;
//! assert_eq!(emulator.case_status(&ticket.incident_id), Some(CaseStatus::Completed.value()));
//! # emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Follow a ticket up
//!
//! Helpers act on a ticket id: [`Client::reply`], [`Client::reply_with_attachments`],
//! [`Client::close_case`], [`Client::cancel_case`], [`Client::urge_case`]. The request
//! builders take the spec's enums where it has them, or text, checked before sending.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = osm_emulator::Emulator::builder().token("t").start().await?;
//! # use huaweicloud_osm::{Client, Credentials, NewCase};
//! # let client = Client::builder()
//! #     .endpoint(emulator.base_url())
//! #     .credentials(Credentials::token("t"))
//! #     .build()?;
//! use huaweicloud_osm::generated::types::{NewMessage, UpdateCaseActionId};
//!
//! let id = client.create_case(&NewCase::new("1", "disk full")).await?.incident_id;
//! client
//!     .create_message()
//!     .case_id(&id)
//!     .message(NewMessage::text("the disk is full again")?)
//!     .send()
//!     .await?;
//! client.update_case().case_id(&id).action_id(UpdateCaseActionId::Press).send().await?;
//! let detail = client.show_case_detail().case_id(&id).send().await?;
//! let info = detail.incident_detail_info.as_ref().unwrap();
//! assert_eq!(info.incident_id.as_deref(), Some(id.as_str()));
//! # emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Handle errors
//!
//! `Display` says what failed and what it means for the ticket; the cause (such as
//! "Connection refused") is the [`std::error::Error::source`], so print the chain (as
//! `anyhow`'s `{:#}` does) to see it. Ask the error what to do rather than matching
//! texts; build errors with [`Error::service`], [`Error::timeout`], … to test your own
//! handling without a server (`examples/handle_errors.rs`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use huaweicloud_osm::{Client, Credentials, ErrorKind, NewCase};
//!
//! let client = Client::builder()
//!     .endpoint("http://127.0.0.1:9")
//!     .credentials(Credentials::token("t"))
//!     .build()?;
//! // Refused before sending: the error names the field, the limit and the size.
//! // (The limit is the spec's, as the rules table holds it.)
//! let max = huaweicloud_osm::rules::CREATE_CASE
//!     .body_field("simple_description")
//!     .and_then(|r| r.max_length)
//!     .unwrap();
//! let err = client.create_case(&NewCase::new("1", "x".repeat(max + 1))).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Validation);
//! assert!(!err.may_have_been_sent());
//! assert_eq!(
//!     err.validation().unwrap().to_string(),
//!     format!("simple_description is {} characters long; the maximum length is {max}", max + 1)
//! );
//! if err.outcome_unknown() {
//!     // Look the ticket up (or use exactly_once) before sending it again.
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Crate organisation
//!
//! - [`client`](Client): configuration, [`Site`], the create call.
//! - [`case`]: [`NewCase`] and [`CreatedCase`].
//! - [`ops`]: one module per family of operations; [`Attachment`], [`AttachmentLimits`]
//!   ([`ops::attachments`]) and [`Contact`], [`VerifiedContact`] ([`ops::verification`]).
//! - [`credentials`]: where credentials come from, and their cache.
//! - [`error`]: [`Error`] and [`ErrorKind`], the one error type.
//! - [`RetryPolicy`], in [`retry`]: what is retried, and when.
//! - [`validation`] and [`rules`]: the spec's constraints, checked before sending.
//! - [`schema`]: JSON Schemas of the request bodies.
//! - [`exec`]: the executor every operation goes through, and [`Answer`].
//! - [`generated`]: the types and client generated from `spec/osm.yaml`; [`lenient`]: the
//!   types that read what the vendor actually sends; [`values`]: the open value sets of
//!   the spec ([`CaseStatus`], [`CaseType`]) and [`OneOf`], what a setter of an enumerated
//!   field takes.
//! - Signing (SDK-HMAC-SHA256) lives in its own crate, `huaweicloud-signing`.
#![warn(missing_docs)]

pub mod case;
mod client;
pub mod credentials;
pub mod download;
pub mod error;
pub mod exec;
pub mod generated;
pub mod lenient;
pub mod ops;
pub mod retry;
pub mod rules;
pub mod schema;
pub mod validation;
pub mod values;

pub use case::{CreatedCase, NewCase};
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, Site,
};
pub use credentials::{Credentials, CredentialsError, CredentialsProvider, ProvideCredentials};
pub use download::Download;
pub use error::{Error, ErrorKind};
pub use exec::{Answer, REQUEST_ID_HEADER};
pub use ops::attachments::{AttachOptions, Attachment, AttachmentLimits};
pub use ops::verification::{Contact, VerifiedContact};
pub use retry::RetryPolicy;
pub use validation::ValidationError;
pub use values::{CaseStatus, CaseType, OneOf, Typed};

// The README's examples compile as doctests too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
