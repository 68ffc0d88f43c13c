//! The one error type of the crate.
//!
//! [`Error`] is opaque: ask it questions instead of matching on dependency types.
//! The question that matters most for a call that opens a ticket is
//! [`Error::outcome_unknown`]: *may the ticket exist anyway?* It is true when the
//! request may have reached the service and no definite answer came back (a timeout
//! after sending, a lost connection, a 5xx, an unreadable 200). Such an error must not
//! be retried blindly: look the ticket up first, or accept a possible duplicate.

use std::fmt;
use std::time::Duration;

use crate::validation::ValidationError;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request breaks a rule of the spec; nothing was sent.
    Validation,
    /// No usable credentials; nothing was sent.
    Credentials,
    /// The client is misconfigured (bad endpoint, bad header value); nothing was sent.
    Configuration,
    /// No connection could be made; nothing was sent.
    Connect,
    /// No answer in time after the request went out; the ticket may exist.
    Timeout,
    /// The connection failed while sending or receiving; the ticket may exist.
    Transport,
    /// The gateway or the service answered with an error: an HTTP error status, or an
    /// HTTP 200 that carries `error_code` instead of `incident_id`.
    Service,
    /// The service answered HTTP 200 with a body that holds no ticket id and no error,
    /// or that could not be read whole; the ticket may exist.
    InvalidResponse,
}

/// An error from the OSM client.
pub struct Error {
    inner: Box<Inner>,
}

pub(crate) struct Inner {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    pub(crate) status: Option<u16>,
    pub(crate) error_code: Option<String>,
    pub(crate) error_msg: Option<String>,
    pub(crate) request_id: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) attempts: u32,
    pub(crate) validation: Option<ValidationError>,
    pub(crate) source: Option<Box<dyn std::error::Error + Send + Sync>>,
    pub(crate) operation: Option<&'static str>,
    pub(crate) idempotent: bool,
    /// What an exactly-once create found out after this failure.
    pub(crate) reconciliation: Option<String>,
    /// An exactly-once create proved that the ticket was not created.
    pub(crate) not_created: bool,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                error_code: None,
                error_msg: None,
                request_id: None,
                retry_after: None,
                attempts: 0,
                validation: None,
                source: None,
                operation: None,
                idempotent: false,
                reconciliation: None,
                not_created: false,
            }),
        }
    }

    pub(crate) fn with(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        f(&mut self.inner);
        self
    }

    pub(crate) fn with_source(
        self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.with(|i| i.source = Some(Box::new(source)))
    }

    /// Marks the error as one of a call to `op`.
    pub(crate) fn for_operation(self, op: &crate::rules::OperationRules) -> Self {
        self.with(|i| {
            i.operation = Some(op.id);
            i.idempotent = op.idempotent;
        })
    }

    /// The `operationId` of the call that failed, such as `create_case`.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// Whether the call that failed is idempotent (safe to send again).
    pub fn is_idempotent(&self) -> bool {
        self.inner.idempotent
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// `true` when the ticket may have been created although this call failed: the
    /// request may have reached the service and no definite refusal came back.
    /// Retrying such a call can open a second ticket.
    pub fn outcome_unknown(&self) -> bool {
        if self.inner.idempotent || self.inner.not_created {
            // Sending it again is harmless: there is nothing to be unsure about.
            return false;
        }
        self.may_have_taken_effect()
    }

    /// `true` when the request may have reached the service and no definite answer came
    /// back (for any operation, idempotent or not).
    pub(crate) fn may_have_taken_effect(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::InvalidResponse => true,
            ErrorKind::Service => self.inner.status.is_some_and(|s| s >= 500),
            _ => false,
        }
    }

    /// `true` when bytes of the request may have left this process. `false` means the
    /// service certainly saw nothing (invalid input, no credentials, no connection).
    pub fn may_have_been_sent(&self) -> bool {
        !matches!(
            self.inner.kind,
            ErrorKind::Validation
                | ErrorKind::Credentials
                | ErrorKind::Configuration
                | ErrorKind::Connect
        )
    }

    /// The HTTP status of the answer, if one came.
    pub fn http_status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The vendor's error code (`OSM.0001`, `APIGW.0301`, `OSM.01010003`, ...), if the
    /// answer carried one.
    pub fn error_code(&self) -> Option<&str> {
        self.inner.error_code.as_deref()
    }

    /// The vendor's error message, if the answer carried one.
    pub fn error_msg(&self) -> Option<&str> {
        self.inner.error_msg.as_deref()
    }

    /// The request id, from the `X-Request-Id` response header or the error body. Quote
    /// it to Huawei Cloud support.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// How many attempts were made (0 when nothing was attempted).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The delay the service asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// What an exactly-once create found when it looked the ticket up after this
    /// failure, when it could not settle the outcome (or proved that nothing was created).
    pub fn reconciliation(&self) -> Option<&str> {
        self.inner.reconciliation.as_deref()
    }

    /// `true` when the gateway or the service refused the credentials: HTTP 401 or 403,
    /// or the codes `APIGW.0301` (signature), `OSM.0002` (unauthorised or expired token),
    /// `OSM.0003` (forbidden).
    pub fn is_auth(&self) -> bool {
        self.inner.kind == ErrorKind::Service
            && (matches!(self.inner.status, Some(401 | 403))
                || matches!(
                    self.inner.error_code.as_deref(),
                    Some("APIGW.0301" | "OSM.0002" | "OSM.0003")
                ))
    }

    /// `true` when trying the same call again later is safe and may succeed: throttling
    /// (429), no connection (nothing was sent), and for idempotent calls timeouts, lost
    /// connections and 5xx.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Connect => true,
            ErrorKind::Service if self.inner.status == Some(429) => true,
            _ => self.inner.idempotent && self.may_have_taken_effect(),
        }
    }

    /// `true` for a timeout.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// `true` when the request was refused before sending because it breaks the spec.
    pub fn is_validation(&self) -> bool {
        self.inner.kind == ErrorKind::Validation
    }

    /// The validation failure (field, rule, limit, size), for [`ErrorKind::Validation`].
    pub fn validation(&self) -> Option<&ValidationError> {
        self.inner.validation.as_ref()
    }
}

impl From<ValidationError> for Error {
    fn from(v: ValidationError) -> Self {
        Error::new(ErrorKind::Validation, v.to_string()).with(|i| i.validation = Some(v))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        match i.kind {
            ErrorKind::Validation => write!(f, "invalid request, nothing was sent: {}", i.message)?,
            ErrorKind::Service => {
                f.write_str("the service refused the request")?;
                match (&i.error_code, i.status) {
                    (Some(code), Some(status)) => write!(f, ": {code} (HTTP {status})")?,
                    (Some(code), None) => write!(f, ": {code}")?,
                    (None, Some(status)) => write!(f, ": HTTP {status}")?,
                    (None, None) => {}
                }
                if let Some(msg) = i
                    .error_msg
                    .as_deref()
                    .or(Some(i.message.as_str()).filter(|m| !m.is_empty()))
                {
                    write!(f, ": {msg}")?;
                }
            }
            _ => f.write_str(&i.message)?,
        }
        if let Some(r) = &i.reconciliation {
            write!(f, "; {r}")?;
        }
        if self.outcome_unknown() {
            match i.operation {
                Some("create_case") | None => {
                    f.write_str("; the ticket may or may not have been created")?
                }
                Some(_) => f.write_str("; the request may or may not have taken effect")?,
            }
        }
        if let Some(id) = &i.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Error")
            .field("kind", &i.kind)
            .field("message", &i.message)
            .field("status", &i.status)
            .field("error_code", &i.error_code)
            .field("error_msg", &i.error_msg)
            .field("request_id", &i.request_id)
            .field("attempts", &i.attempts)
            .field("outcome_unknown", &self.outcome_unknown())
            .field("source", &i.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if let Some(v) = &self.inner.validation {
            return Some(v);
        }
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
