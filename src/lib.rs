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
//! # Follow a ticket up
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
//! let id = client.create_case(&NewCase::new("1", "disk full")).await?.incident_id;
//! client
//!     .create_message()
//!     .case_id(&id)
//!     .message(serde_json::json!({"content": "the disk is full again"}))
//!     .send()
//!     .await?;
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
//! let err = client.create_case(&NewCase::new("1", "x".repeat(1201))).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Validation);
//! assert!(!err.may_have_been_sent());
//! assert_eq!(
//!     err.validation().unwrap().to_string(),
//!     "simple_description is 1201 characters long; the maximum length is 1200"
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
mod hooks;
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
