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

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use crate::credentials::{CredentialsProvider, Kind};
use crate::generated;

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
        match &credentials.kind {
            Kind::Token(token) => {
                let mut v = HeaderValue::from_str(token.expose_secret()).map_err(|_| {
                    progenitor_client::Error::Custom(
                        "the token holds a character that cannot be sent".into(),
                    )
                })?;
                v.set_sensitive(true);
                request
                    .headers_mut()
                    .insert(HeaderName::from_static("x-auth-token"), v);
            }
            Kind::AkSk(k) => {
                let key = huaweicloud_signing::SigningKey {
                    access_key: &k.ak,
                    secret_key: &k.sk,
                    security_token: k.security_token.as_ref(),
                    domain_id: k.domain_id.as_deref(),
                };
                let mut headers = std::mem::take(request.headers_mut());
                let signed = huaweicloud_signing::sign(
                    &key,
                    request.method().as_str(),
                    request.url(),
                    &mut headers,
                    request
                        .body()
                        .and_then(|b| b.as_bytes())
                        .unwrap_or_default(),
                    (inner.clock)(),
                );
                *request.headers_mut() = headers;
                signed.map_err(|e| progenitor_client::Error::Custom(e.to_string()))?;
            }
        }
        Ok(())
    }
}
