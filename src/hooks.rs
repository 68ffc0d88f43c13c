//! What the hand-written layer plugs into the generated client (progenitor's
//! `ClientHooks`): authentication, removal of progenitor's `api-version` header, and a
//! per-call record of what happened on the wire.
//!
//! Authentication runs in `pre`, after the generated code has built the final headers
//! and JSON body, so a signature covers exactly the bytes that are sent; a retry goes
//! through `pre` again and is signed afresh.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use crate::credentials::{Credentials, Kind};
use crate::generated;
use huaweicloud_signing::{self as signing, SigningKey};

/// A source of the current time, injectable for signing tests.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The state the generated client carries for the hooks.
#[derive(Clone)]
pub struct Inner {
    pub(crate) credentials: Credentials,
    pub(crate) clock: Clock,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// What one attempt saw on the wire, filled in by the hooks.
#[derive(Debug, Default, Clone)]
pub(crate) struct Observation {
    /// The request reached `exec`, i.e. bytes may have left the process.
    pub(crate) sent: bool,
    pub(crate) status: Option<u16>,
    pub(crate) request_id: Option<String>,
    pub(crate) retry_after: Option<std::time::Duration>,
}

tokio::task_local! {
    pub(crate) static OBSERVED: RefCell<Observation>;
}

fn observe(f: impl FnOnce(&mut Observation)) {
    let _ = OBSERVED.try_with(|o| f(&mut o.borrow_mut()));
}

/// The header the gateway puts its request id in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<std::time::Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(std::time::Duration::from_secs(secs));
    }
    httpdate::parse_http_date(v)
        .ok()?
        .duration_since(SystemTime::now())
        .ok()
}

impl ClientHooks<Inner> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        request.headers_mut().remove("api-version");
        let inner = self.inner();
        match &inner.credentials.kind {
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
                let key = SigningKey {
                    access_key: &k.ak,
                    secret_key: &k.sk,
                    security_token: k.security_token.as_ref(),
                    domain_id: k.domain_id.as_deref(),
                };
                // Take the headers out for the signer to edit, so that the body and the
                // URL can be read in place rather than copied.
                let mut headers = std::mem::take(request.headers_mut());
                let signed = signing::sign(
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

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        observe(|o| o.sent = true);
        let result = self.client().execute(request).await;
        if let Ok(response) = &result {
            let headers = response.headers();
            let request_id = headers
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let retry_after = retry_after(headers);
            let status = response.status().as_u16();
            observe(|o| {
                o.status = Some(status);
                o.request_id = request_id;
                o.retry_after = retry_after;
            });
        }
        result
    }
}
