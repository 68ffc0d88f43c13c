//! What the hand-written layer plugs into the generated client (progenitor's
//! `ClientHooks`), for callers who use its raw builders ([`crate::Client::generated`]):
//! authentication, and removal of progenitor's `api-version` header.
//!
//! Authentication runs in `pre`, after the generated code has built the final headers
//! and JSON body, so a signature covers exactly the bytes that are sent. The client's
//! own calls do not go through here but through [`crate::exec`].

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::credentials::CredentialsProvider;
use crate::generated;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

/// A source of the current time, injectable for signing tests.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The state the generated client carries for the hooks.
#[derive(Clone)]
pub struct Inner {
    pub(crate) credentials: CredentialsProvider,
    pub(crate) clock: Clock,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl ClientHooks<Inner> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        request.headers_mut().remove("api-version");
        let inner = self.inner();
        let credentials = inner
            .credentials
            .current()
            .await
            .map_err(|e| progenitor_client::Error::Custom(e.to_string()))?;
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .map(bytes::Bytes::copy_from_slice)
            .unwrap_or_default();
        crate::exec::authenticate(&credentials, request, &body, (inner.clock)())
            .map_err(|e| progenitor_client::Error::Custom(e.to_string()))?;
        Ok(())
    }
}
