#![doc = include_str!("../README.md")]
//!
//! # Crate organisation
//!
//! - [`Client`], [`ClientBuilder`], [`Site`] (module `client`): configuration and the
//!   create-case call, with retries and error mapping.
//! - [`NewCase`], [`CreatedCase`] (module [`case`]): the ticket to open, and the answer.
//! - [`Credentials`], [`CredentialsProvider`] (module [`credentials`]): token or AK/SK, the
//!   sources they come from (environment, profile file, ECS metadata, IAM password) and the
//!   cache that refreshes them before they expire.
//! - Signing (SDK-HMAC-SHA256) lives in its own crate, `huaweicloud-signing`.
//! - [`validation`] and [`rules`]: the spec's constraints, checked before sending.
//! - [`Error`], [`ErrorKind`] (module `error`): the one error type.
//! - [`RetryPolicy`] (module [`retry`]): what is retried, and when.
//! - [`generated`]: the progenitor client and types, generated from `spec/osm.yaml`.
#![warn(missing_docs)]

pub mod case;
mod client;
pub mod credentials;
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

pub use case::{CreatedCase, NewCase};
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, Site,
};
pub use credentials::{Credentials, CredentialsError, CredentialsProvider, ProvideCredentials};
pub use error::{Error, ErrorKind};
pub use exec::{Answer, REQUEST_ID_HEADER};
pub use retry::RetryPolicy;
pub use validation::ValidationError;
