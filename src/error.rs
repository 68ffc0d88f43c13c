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

/// The message of a connect failure (its cause is the source).
pub(crate) const CONNECT: &str = "could not connect to the service; nothing was sent";
/// The message of a timeout after sending.
pub(crate) const TIMEOUT: &str = "no answer in time after the request was sent";
/// The message of a connection lost after sending.
pub(crate) const TRANSPORT: &str = "the connection failed after the request was sent";

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
    /// The tickets an exactly-once create found that may be its own.
    pub(crate) candidates: Vec<String>,
    /// The answer's headers named in [`KEPT_HEADERS`], values bounded.
    pub(crate) headers: Vec<(&'static str, String)>,
    /// The start of the answer's body ([`MAX_SNIPPET_CHARS`] at most).
    pub(crate) body: Option<String>,
}

/// The response headers an [`Error`] keeps from the answer that caused it (lower case),
/// for diagnosis: [`Error::header`]. Headers that may carry secrets (`Set-Cookie`) are
/// not kept; each value is cut at [`MAX_HEADER_CHARS`] characters.
pub const KEPT_HEADERS: &[&str] = &[
    "content-length",
    "content-type",
    "date",
    "retry-after",
    "server",
    "www-authenticate",
    "x-request-id",
];

/// The most characters of a header value an [`Error`] keeps.
pub const MAX_HEADER_CHARS: usize = 256;

/// The most characters of an answer's body an [`Error`] keeps ([`Error::body_snippet`]).
pub const MAX_SNIPPET_CHARS: usize = 512;

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
                candidates: Vec::new(),
                headers: Vec::new(),
                body: None,
            }),
        }
    }

    pub(crate) fn with(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        f(&mut self.inner);
        self
    }

    /// Sets the underlying error, returned by [`std::error::Error::source`]. Its text
    /// is not part of this error's `Display` (print the chain, as `anyhow`'s `{:#}`
    /// does, to see it).
    pub fn with_source(self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.with(|i| i.source = Some(Box::new(source)))
    }

    // ---- Constructors, for the tests of applications -------------------------------
    //
    // The client builds its errors from what it sees on the wire; an application that
    // wants to test how it handles them builds the same errors with these, no server
    // needed. Every question (`outcome_unknown`, `is_retryable`, `is_auth`, ...) answers
    // them as it answers the client's own.

    /// The gateway or the service refused the request with HTTP `status`, error code
    /// `code` and message `msg` (an empty `code` or `msg` means the answer carried none).
    ///
    /// ```
    /// use huaweicloud_osm::{Error, ErrorKind};
    ///
    /// let e = Error::service(401, "APIGW.0301", "Incorrect IAM authentication information");
    /// assert_eq!(e.kind(), ErrorKind::Service);
    /// assert!(e.is_auth());
    /// assert_eq!(e.error_code(), Some("APIGW.0301"));
    /// ```
    pub fn service(status: u16, code: impl Into<String>, msg: impl Into<String>) -> Self {
        let code = code.into();
        let msg = msg.into();
        Error::new(ErrorKind::Service, String::new()).with(|i| {
            i.status = Some(status);
            i.error_code = Some(code).filter(|c| !c.is_empty());
            i.error_msg = Some(msg).filter(|m| !m.is_empty());
        })
    }

    /// No answer came in time after the request was sent ([`ErrorKind::Timeout`]).
    pub fn timeout() -> Self {
        Error::new(ErrorKind::Timeout, TIMEOUT)
    }

    /// No connection could be made; nothing was sent ([`ErrorKind::Connect`]).
    pub fn connect() -> Self {
        Error::new(ErrorKind::Connect, CONNECT)
    }

    /// The connection failed after the request was sent ([`ErrorKind::Transport`]).
    pub fn transport() -> Self {
        Error::new(ErrorKind::Transport, TRANSPORT)
    }

    /// The service answered success with a body the client cannot read: `what` says
    /// how ([`ErrorKind::InvalidResponse`]).
    pub fn invalid_response(what: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidResponse, what)
    }

    /// No usable credentials: `why` says why; nothing was sent ([`ErrorKind::Credentials`]).
    pub fn credentials(why: impl Into<String>) -> Self {
        Error::new(ErrorKind::Credentials, why)
    }

    /// The client is misconfigured: `why` says how; nothing was sent
    /// ([`ErrorKind::Configuration`]).
    pub fn configuration(why: impl Into<String>) -> Self {
        Error::new(ErrorKind::Configuration, why)
    }

    /// Marks the error as one of a call to the operation `op`, such as
    /// [`crate::rules::CREATE_CASE`]: its id and whether it is idempotent, which
    /// [`Error::outcome_unknown`] and [`Error::is_retryable`] depend on.
    pub fn with_operation(self, op: &'static crate::rules::OperationRules) -> Self {
        self.for_operation(op)
    }

    /// Sets the request id ([`Error::request_id`]).
    pub fn with_request_id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.with(|i| i.request_id = Some(id))
    }

    /// Sets the delay the service asked for ([`Error::retry_after`]).
    pub fn with_retry_after(self, delay: Duration) -> Self {
        self.with(|i| i.retry_after = Some(delay))
    }

    /// Sets the number of attempts made ([`Error::attempts`]).
    pub fn with_attempts(self, attempts: u32) -> Self {
        self.with(|i| i.attempts = attempts)
    }

    /// Keeps a response header, if it is one of [`KEPT_HEADERS`] (any case); its value
    /// is cut at [`MAX_HEADER_CHARS`] characters.
    pub fn with_header(self, name: &str, value: &str) -> Self {
        let Some(kept) = KEPT_HEADERS.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
            return self;
        };
        let value: String = value.chars().take(MAX_HEADER_CHARS).collect();
        self.with(|i| {
            i.headers.retain(|(n, _)| n != kept);
            i.headers.push((kept, value));
        })
    }

    /// Keeps the start of the answer's body ([`Error::body_snippet`]): at most
    /// [`MAX_SNIPPET_CHARS`] characters, control characters replaced by spaces.
    pub fn with_body(self, body: &[u8]) -> Self {
        let snippet = crate::exec::snippet_of(body, MAX_SNIPPET_CHARS);
        self.with(|i| i.body = Some(snippet).filter(|s| !s.is_empty()))
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
        if self.inner.idempotent {
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

    /// A header of the answer, if one came with it and it is one of [`KEPT_HEADERS`]
    /// (`name` in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The headers of the answer this error keeps ([`KEPT_HEADERS`]), lower-case names.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.inner.headers.iter().map(|(n, v)| (*n, v.as_str()))
    }

    /// The start of the answer's body, if one came with a body: at most
    /// [`MAX_SNIPPET_CHARS`] characters, control characters replaced by spaces. The
    /// body may echo what was sent, personal data included: it is not part of
    /// `Display` or `Debug`.
    pub fn body_snippet(&self) -> Option<&str> {
        self.inner.body.as_deref()
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
    /// failure and could not settle the outcome. The outcome stays unknown
    /// ([`Error::outcome_unknown`]): after a failure that may have reached the service, no
    /// look-up proves that the ticket was not created, since a service may record it late.
    pub fn reconciliation(&self) -> Option<&str> {
        self.inner.reconciliation.as_deref()
    }

    /// The tickets an exactly-once create found that may be its own but could not be told
    /// to be (empty when it found none): look at them before opening another.
    pub fn candidates(&self) -> &[String] {
        &self.inner.candidates
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
            .field("headers", &i.headers)
            .field("source", &i.source.as_ref().map(|s| s.to_string()))
            .finish_non_exhaustive()
    }
}

impl std::error::Error for Error {
    /// The underlying error: the HTTP client's for connect, timeout and transport
    /// failures, the credentials provider's for credentials failures, the JSON reader's
    /// for an unreadable answer. Its text is not repeated in `Display`. A validation
    /// failure is the error's own message (its details through [`Error::validation`]),
    /// so it is not a source.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
