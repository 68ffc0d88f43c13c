//! The one executor every operation goes through:
//! validate → build → authenticate → send → observe → map → retry.
//!
//! - **validate**: the path, query and header parameters and the body against the
//!   operation's rules ([`crate::rules`]), then the body through the generated type;
//!   nothing is sent if anything is wrong.
//! - **build**: the URL from the path template (segments percent-encoded), the query
//!   (arrays as repeated keys), the headers the operation declares (the client's
//!   language, time zone and `X-Site` where the operation takes them), the JSON bytes.
//! - **authenticate**: `X-Auth-Token`, or an SDK-HMAC-SHA256 signature made afresh for
//!   each attempt ([`huaweicloud_signing`]).
//! - **send** and **observe**: one attempt under the client's timeout; the status, the
//!   request id and `Retry-After`; the body read up to [`MAX_RESPONSE_BYTES`].
//! - **map**: a success into the operation's generated response type (a 200 that
//!   carries `error_code` is a refusal where the spec says so), anything else into
//!   [`Error`], with the request id.
//! - **retry**: under the client's [`crate::RetryPolicy`], by the operation's
//!   idempotency: a look-up may be retried after a timeout or a 5xx, creating a ticket
//!   may not.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::client::Client;
use crate::credentials::{Credentials, Kind as CredKind};
use crate::error::{self, Error, ErrorKind};
use crate::rules::{Kind, Location, OperationRules};
use crate::validation::{self, Problem, ValidationError};

/// The most bytes of an answer's body the client reads; a longer answer is an error
/// (for a ticket create: the outcome is unknown). Look-up lists of the largest documented
/// size fit well within it.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The longest `Retry-After` the client waits for before a retry. A longer one ends the
/// call with the error, which carries the delay ([`Error::retry_after`]).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// The header the gateway puts its request id in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Characters kept as they are in a path segment or a query key or value:
/// `A-Za-z0-9-_.~` (what the signer's canonical form keeps, so both agree).
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A request to one operation, before it is validated and sent: the values of its
/// parameters and the members of its body. Made by each operation's builder; also the
/// way to call an operation generically ([`Client::send_json`]).
#[derive(Clone)]
pub struct Input {
    op: &'static OperationRules,
    params: Vec<Option<Value>>,
    body: Map<String, Value>,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parameter and body values can hold personal data (phone numbers, addresses,
        // verification codes): show which fields are set, not their values.
        let params: Vec<&str> = self
            .op
            .params
            .iter()
            .zip(&self.params)
            .filter(|(_, v)| v.is_some())
            .map(|(r, _)| r.name)
            .collect();
        f.debug_struct("Input")
            .field("operation", &self.op.id)
            .field("params", &params)
            .field("body", &self.body.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Input {
    /// An empty request to `op`, with the spec's defaults for fixed body members.
    pub fn new(op: &'static OperationRules) -> Self {
        let mut body = Map::new();
        for rule in op.body {
            if let Some(fixed) = rule.fixed().filter(|_| rule.required) {
                body.insert(rule.name.to_owned(), Value::String(fixed.to_owned()));
            }
        }
        Self {
            op,
            params: vec![None; op.params.len()],
            body,
        }
    }

    /// The operation's rules.
    pub fn operation(&self) -> &'static OperationRules {
        self.op
    }

    /// Sets parameter `index` of [`OperationRules::params`]; `Value::Null` unsets it.
    pub fn set_param(&mut self, index: usize, value: Value) {
        if let Some(slot) = self.params.get_mut(index) {
            *slot = Some(value).filter(|v| !v.is_null());
        }
    }

    /// Sets a body member; `Value::Null` removes it.
    pub fn set_body(&mut self, name: &str, value: Value) {
        if value.is_null() {
            self.body.remove(name);
        } else {
            self.body.insert(name.to_owned(), value);
        }
    }

    /// Sets a field by its wire name: a parameter (path, query or header) if the
    /// operation has one of that name, else a body member. A name the operation does
    /// not know is refused.
    pub fn set(&mut self, name: &str, value: Value) -> Result<(), ValidationError> {
        for loc in [Location::Path, Location::Query, Location::Header] {
            if let Some(i) = self.op.param_index(loc, name) {
                self.set_param(i, value);
                return Ok(());
            }
        }
        if self.op.body_field(name).is_some() {
            self.set_body(name, value);
            return Ok(());
        }
        Err(ValidationError::new(name, Location::Body, Problem::Unknown))
    }

    /// Replaces the whole body.
    pub fn set_body_map(&mut self, body: Map<String, Value>) {
        self.body = body;
    }

    /// The value of the parameter `name` (any location), if set.
    pub fn param(&self, name: &str) -> Option<&Value> {
        self.op
            .params
            .iter()
            .position(|r| r.name.eq_ignore_ascii_case(name))
            .and_then(|i| self.params[i].as_ref())
    }

    /// The body as it stands.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    /// Checks the request against the spec, as sending it would, without sending it.
    pub fn check(&self) -> Result<(), ValidationError> {
        validation::check_params(self.op, &self.params)?;
        self.body_bytes().map(|_| ())
    }

    fn body_bytes(&self) -> Result<Option<Bytes>, ValidationError> {
        let op = self.op;
        Ok(match op.content_type {
            Some(ct) if ct.starts_with("application/json") => {
                if self.body.is_empty() && !op.body_required {
                    None
                } else {
                    validation::check_body_of(op, &self.body)?;
                    match op.typed_body {
                        Some(typed) => Some(Bytes::from(typed(&self.body)?)),
                        None => Some(Bytes::from(serde_json::to_vec(&self.body).map_err(
                            |e| {
                                ValidationError::new(
                                    "body",
                                    Location::Body,
                                    Problem::Malformed(e.to_string()),
                                )
                            },
                        )?)),
                    }
                }
            }
            _ => None,
        })
    }

    /// Checks everything against the spec and prepares the bytes to send.
    pub(crate) fn prepare(&self, client: &Client) -> Result<Prepared, Error> {
        let op = self.op;
        validation::check_params(op, &self.params)?;
        let body = self.body_bytes()?;
        client.prepare(op, &self.params, body, "application/json")
    }
}

/// A request ready to be sent: validated, with its URL, headers and body.
#[derive(Clone)]
pub(crate) struct Prepared {
    pub(crate) op: &'static OperationRules,
    pub(crate) method: reqwest::Method,
    pub(crate) url: reqwest::Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Builds the URL of an operation from the endpoint, its path template and its query
/// parameters.
pub(crate) fn build_url(
    endpoint: &reqwest::Url,
    op: &OperationRules,
    params: &[Option<Value>],
) -> Result<reqwest::Url, Error> {
    let mut path = endpoint.path().trim_end_matches('/').to_owned();
    for segment in op.path.split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let i = op.param_index(Location::Path, name).ok_or_else(|| {
                    Error::new(ErrorKind::Configuration, "a path parameter has no rule")
                })?;
                let v = params[i].as_ref().ok_or_else(|| {
                    Error::from(ValidationError::new(name, Location::Path, Problem::Missing))
                })?;
                let text = value_text(v);
                if text.is_empty() || text == "." || text == ".." {
                    return Err(ValidationError::new(
                        name,
                        Location::Path,
                        Problem::Malformed("a path segment cannot be empty, `.` or `..`".into()),
                    )
                    .into());
                }
                path.extend(utf8_percent_encode(&text, ENCODE));
            }
            None => path.push_str(segment),
        }
    }
    let mut query = String::new();
    let mut push = |k: &str, v: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.extend(utf8_percent_encode(k, ENCODE));
        query.push('=');
        query.extend(utf8_percent_encode(v, ENCODE));
    };
    for (rule, v) in op.params.iter().zip(params) {
        if rule.location != Location::Query {
            continue;
        }
        match v {
            Some(Value::Array(items)) if rule.kind == Kind::Array => {
                for item in items {
                    push(rule.name, &value_text(item));
                }
            }
            Some(v) => push(rule.name, &value_text(v)),
            None => {}
        }
    }
    let mut url = endpoint.clone();
    url.set_path(&path);
    url.set_query(if query.is_empty() { None } else { Some(&query) });
    url.set_fragment(None);
    Ok(url)
}

/// Adds the operation's header parameters that are set.
pub(crate) fn put_headers(
    headers: &mut HeaderMap,
    op: &OperationRules,
    params: &[Option<Value>],
) -> Result<(), Error> {
    for (rule, v) in op.params.iter().zip(params) {
        if rule.location != Location::Header {
            continue;
        }
        let Some(v) = v else { continue };
        let name = HeaderName::from_bytes(rule.name.as_bytes()).map_err(|_| {
            Error::new(
                ErrorKind::Configuration,
                "a header name of the spec is not valid",
            )
        })?;
        let value = HeaderValue::from_str(&value_text(v)).map_err(|_| {
            Error::from(ValidationError::new(
                rule.name,
                Location::Header,
                Problem::Malformed("it holds a character that cannot be sent in a header".into()),
            ))
        })?;
        headers.insert(name, value);
    }
    Ok(())
}

/// A success, with what came with it.
#[derive(Clone, Debug)]
pub struct Answer<T> {
    value: T,
    status: u16,
    request_id: Option<String>,
    attempts: u32,
    raw: Bytes,
}

impl<T> Answer<T> {
    /// The answer's body, read into the operation's type.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The answer's body, read into the operation's type.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The HTTP status (200).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The request id from the `X-Request-Id` response header, if there was one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// How many attempts it took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The body exactly as the service sent it, for callers that pass it on (the CLI's
    /// JSON output).
    pub fn raw_json(&self) -> &[u8] {
        &self.raw
    }
}

impl<T> std::ops::Deref for Answer<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// What one attempt brought back, before it is mapped.
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) request_id: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) content_encoding: Option<String>,
    /// The answer's headers, taken from the response as they are: the few an error
    /// keeps are copied out only when there is an error ([`kept_headers`]).
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    httpdate::parse_http_date(v)
        .ok()?
        .duration_since(std::time::SystemTime::now())
        .ok()
}

/// At most 200 characters of a body, control characters replaced, for messages.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    snippet_of(bytes, 200)
}

/// At most `max` characters of a body (read from its first `4 * max` bytes), trimmed,
/// control characters replaced by spaces, `…` where it was cut.
pub(crate) fn snippet_of(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max.saturating_mul(4))]);
    let text: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// The headers of an answer an [`Error`] keeps ([`error::KEPT_HEADERS`]).
fn kept_headers(headers: &HeaderMap) -> Vec<(&'static str, String)> {
    error::KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let v = headers.get(*name)?.to_str().ok()?;
            Some((*name, v.chars().take(error::MAX_HEADER_CHARS).collect()))
        })
        .collect()
}

/// Whether a body may hold one of the code members [`error_fields`] reads (`code`,
/// `error_code`, `errorCode`, each ending in `ode"`): false only when it surely holds
/// none, so that a success answer is not parsed twice. A body with an escape (`\u0064`)
/// may spell a name differently, so it always may.
fn may_hold_error_code(body: &[u8]) -> bool {
    body.contains(&b'\\') || body.windows(4).any(|w| w == b"ode\"")
}

/// Reads `error_code`/`error_msg` out of an error body in any of the shapes the vendor's
/// SDKs accept: `error_code`/`error_msg`, `errorCode`/`errorMsg`, `code`/`message`, and
/// each of those nested in an `error` object. Also the gateway's `request_id`.
pub(crate) fn error_fields(body: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return (None, None, None);
    };
    fn pick(map: &Map<String, Value>, keys: &[&str]) -> Option<String> {
        keys.iter()
            .find_map(|k| map.get(*k))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
    }
    let code_keys = ["error_code", "errorCode", "code"];
    let msg_keys = ["error_msg", "errorMsg", "message", "error_message"];
    let mut code = pick(&map, &code_keys);
    let mut msg = pick(&map, &msg_keys);
    if code.is_none()
        && let Some(Value::Object(inner)) = map.get("error")
    {
        code = pick(inner, &code_keys);
        msg = msg.or_else(|| pick(inner, &msg_keys));
    }
    let request_id = pick(&map, &["request_id", "requestId"]);
    (code, msg, request_id)
}

impl Client {
    /// Sends a prepared request once: authenticates it, sends it, reads the answer
    /// (bounded).
    pub(crate) async fn attempt(&self, p: &Prepared) -> Result<Raw, Error> {
        read_answer(self.send_request(p).await?).await
    }

    /// Authenticates a prepared request and sends it; the answer's head, body unread.
    pub(crate) async fn send_request(&self, p: &Prepared) -> Result<reqwest::Response, Error> {
        let mut request = reqwest::Request::new(p.method.clone(), p.url.clone());
        *request.headers_mut() = p.headers.clone();
        let credentials = self.credentials().await?;
        authenticate(&credentials, &mut request, &p.body, self.now())?;
        if !p.body.is_empty() {
            *request.body_mut() = Some(reqwest::Body::from(p.body.clone()));
        }
        self.http().execute(request).await.map_err(send_error)
    }
}

/// The answer's head as an error keeps it: status, request id, `Retry-After`, the kept
/// headers.
pub(crate) fn wire_of(status: u16, headers: &HeaderMap) -> impl Fn(Error) -> Error + '_ {
    let request_id = headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let retry_after = retry_after(headers);
    move |e: Error| {
        e.with(|i| {
            i.status = Some(status);
            i.request_id = request_id.clone();
            i.retry_after = retry_after;
            i.headers = kept_headers(headers);
        })
    }
}

/// Reads an answer whole, up to [`MAX_RESPONSE_BYTES`].
pub(crate) async fn read_answer(response: reqwest::Response) -> Result<Raw, Error> {
    {
        let mut response = response;
        let status = response.status().as_u16();
        // Taken, not copied: the body is read from the response without its headers.
        let headers = std::mem::take(response.headers_mut());
        let request_id = headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = retry_after(&headers);
        let content_encoding = headers
            .get(reqwest::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .filter(|e| !e.eq_ignore_ascii_case("identity"));
        let wire = |e: Error| {
            e.with(|i| {
                i.status = Some(status);
                i.request_id = request_id.clone();
                i.retry_after = retry_after;
                i.headers = kept_headers(&headers);
            })
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Err(wire(Error::new(
                ErrorKind::InvalidResponse,
                format!(
                    "the answer declares a body of {} bytes, more than the {} bytes the client reads",
                    response.content_length().unwrap_or_default(),
                    MAX_RESPONSE_BYTES
                ),
            )));
        }
        // An answer that arrives in one chunk (most do) is kept as that chunk, uncopied.
        let mut first: Option<Bytes> = None;
        let mut body = bytes::BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let held = first.as_ref().map_or(0, Bytes::len);
                    if held + body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(wire(Error::new(
                            ErrorKind::InvalidResponse,
                            format!(
                                "the answer's body is longer than the {MAX_RESPONSE_BYTES} bytes the client reads"
                            ),
                        )));
                    }
                    match first.take() {
                        None if body.is_empty() => first = Some(chunk),
                        earlier => {
                            if let Some(earlier) = earlier {
                                body.extend_from_slice(&earlier);
                            }
                            body.extend_from_slice(&chunk);
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let kind = if e.is_timeout() {
                        ErrorKind::Timeout
                    } else {
                        ErrorKind::InvalidResponse
                    };
                    let message = if e.is_timeout() {
                        "no answer in time after the request was sent (the body did not arrive whole)"
                    } else {
                        "the answer's body could not be read whole"
                    };
                    return Err(wire(Error::new(kind, message).with_source(e)));
                }
            }
        }
        let body = match first {
            Some(only) => only,
            None => body.freeze(),
        };
        Ok(Raw {
            status,
            request_id,
            retry_after,
            content_encoding,
            headers,
            body,
        })
    }
}

impl Client {
    /// Validates and sends `input` under the retry policy, and reads the answer into `T`.
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        input: Input,
    ) -> Result<Answer<T>, Error> {
        let op = input.op;
        let prepared = input.prepare(self).map_err(|e| e.for_operation(op))?;
        self.run(&prepared, |raw| map_answer::<T>(op, raw)).await
    }

    /// Validates the parameters of `input` and sends it with `body` as its body, of
    /// media type `content_type`: for hand-written operations whose body is not JSON
    /// (multipart uploads). A body that is not JSON is signed as `UNSIGNED-PAYLOAD`.
    pub(crate) async fn execute_with_body<T: DeserializeOwned>(
        &self,
        input: Input,
        body: Bytes,
        content_type: &str,
    ) -> Result<Answer<T>, Error> {
        let op = input.op;
        validation::check_params(op, &input.params)
            .map_err(|e| Error::from(e).for_operation(op))?;
        let prepared = self
            .prepare(op, &input.params, Some(body), content_type)
            .map_err(|e| e.for_operation(op))?;
        self.run(&prepared, |raw| map_answer::<T>(op, raw)).await
    }

    /// Sends `input` and returns the answer as JSON, as it came (still checked against
    /// the operation's response type): the generic call the CLI uses.
    pub async fn send_json(&self, input: Input) -> Result<Answer<Value>, Error> {
        let op = input.op;
        let prepared = input.prepare(self).map_err(|e| e.for_operation(op))?;
        self.run(&prepared, |raw| {
            let answer = map_answer::<Value>(op, raw)?;
            if let Some(check) = op.typed_response {
                check(&answer.raw).map_err(|why| {
                    Error::new(
                        ErrorKind::InvalidResponse,
                        format!("the service answered success with a body that does not fit the spec: {why}"),
                    )
                    .with(|i| i.status = Some(answer.status))
                    .with_body(&answer.raw)
                })?;
            }
            Ok(answer)
        })
        .await
    }

    /// Runs attempts of a prepared request until one succeeds or the policy says stop.
    pub(crate) async fn run<T>(
        &self,
        prepared: &Prepared,
        map: impl Fn(Raw) -> Result<Answer<T>, Error>,
    ) -> Result<Answer<T>, Error> {
        let op = prepared.op;
        let started = Instant::now();
        let retry = self.retry_policy();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                "osm.call",
                operation = op.id,
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let t0 = Instant::now();
            let result = async { self.attempt(prepared).await.and_then(&map) }
                .instrument(span.clone())
                .await;
            span.record("elapsed_ms", t0.elapsed().as_millis() as u64);
            let err = match result {
                Ok(mut answer) => {
                    answer.attempts = attempt;
                    span.record("status", answer.status);
                    if let Some(id) = &answer.request_id {
                        span.record("request_id", id.as_str());
                    }
                    tracing::debug!(parent: &span, "answer received");
                    return Ok(answer);
                }
                Err(err) => err.for_operation(op).with(|i| i.attempts = attempt),
            };
            if let Some(status) = err.http_status() {
                span.record("status", status);
            }
            if let Some(id) = err.request_id() {
                span.record("request_id", id);
            }
            let Some(wait) = retry.next_wait(attempt, started, &err) else {
                tracing::debug!(parent: &span, error = %err, "attempt failed, giving up");
                return Err(err);
            };
            tracing::debug!(parent: &span, error = %err, wait_ms = wait.as_millis() as u64, "attempt failed, retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

/// Puts the credentials on a request: the token header, or a fresh signature.
pub(crate) fn authenticate(
    credentials: &Credentials,
    request: &mut reqwest::Request,
    body: &[u8],
    now: std::time::SystemTime,
) -> Result<(), Error> {
    match &credentials.kind {
        CredKind::Token(token) => {
            let secret = token.expose_secret();
            if secret.is_empty() || secret.chars().count() > 5000 {
                return Err(Error::new(
                    ErrorKind::Credentials,
                    "the token must be 1 to 5000 characters long; nothing was sent",
                ));
            }
            let mut v = HeaderValue::from_str(secret).map_err(|_| {
                Error::new(
                    ErrorKind::Credentials,
                    "the token holds a character that cannot be sent; nothing was sent",
                )
            })?;
            v.set_sensitive(true);
            request
                .headers_mut()
                .insert(HeaderName::from_static("x-auth-token"), v);
        }
        CredKind::AkSk(k) => {
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
                body,
                now,
            );
            *request.headers_mut() = headers;
            signed.map_err(|e| {
                Error::new(
                    ErrorKind::Credentials,
                    "the request could not be signed; nothing was sent",
                )
                .with_source(e)
            })?;
        }
    }
    Ok(())
}

/// Maps a failure of the HTTP client. The message says what failed and what it means
/// for the ticket; the cause ("Connection refused", a TLS alert…) is the source, not
/// part of the message.
fn send_error(e: reqwest::Error) -> Error {
    let (kind, message) = if e.is_builder()
        || e.is_request() && !e.is_timeout() && !e.is_connect() && is_before_send(&e)
    {
        (
            ErrorKind::Configuration,
            "the request could not be built; nothing was sent",
        )
    } else if e.is_connect() {
        (ErrorKind::Connect, error::CONNECT)
    } else if e.is_timeout() {
        (ErrorKind::Timeout, error::TIMEOUT)
    } else {
        (ErrorKind::Transport, error::TRANSPORT)
    };
    Error::new(kind, message).with_source(e)
}

fn is_before_send(e: &reqwest::Error) -> bool {
    e.url().is_none()
}

/// Maps an attempt's answer for operation `op`.
pub(crate) fn map_answer<T: DeserializeOwned>(
    op: &OperationRules,
    raw: Raw,
) -> Result<Answer<T>, Error> {
    let wire = |e: Error| {
        e.with(|i| {
            i.status = Some(raw.status);
            i.request_id = i.request_id.take().or_else(|| raw.request_id.clone());
            i.retry_after = raw.retry_after;
            i.headers = kept_headers(&raw.headers);
        })
        .with_body(&raw.body)
    };
    if let Some(enc) = &raw.content_encoding {
        return Err(wire(Error::new(
            ErrorKind::InvalidResponse,
            format!(
                "the answer is encoded with {enc:?}, which the client did not ask for and cannot read"
            ),
        )));
    }
    if !(200..300).contains(&raw.status) {
        let (code, msg, request_id) = error_fields(&raw.body);
        let message = if code.is_some() {
            String::new()
        } else if raw.body.is_empty() || !(400..600).contains(&raw.status) {
            format!("unexpected HTTP status {}", raw.status)
        } else {
            snippet(&raw.body)
        };
        return Err(wire(Error::new(ErrorKind::Service, message).with(|i| {
            i.error_code = code;
            i.error_msg = msg;
            i.request_id = request_id;
        })));
    }
    if raw.status != op.success_status {
        return Err(wire(Error::new(
            ErrorKind::InvalidResponse,
            format!(
                "the service answered HTTP {} where the spec says {}",
                raw.status, op.success_status
            ),
        )));
    }
    if op.business_errors && may_hold_error_code(&raw.body) {
        let (code, msg, _) = error_fields(&raw.body);
        if let Some(code) = code.filter(|c| c != "0" && !c.eq_ignore_ascii_case("success")) {
            // create_case's answer holds the ticket id when it succeeded; its presence wins.
            let has_result = serde_json::from_slice::<Value>(&raw.body)
                .ok()
                .and_then(|v| v.get("incident_id").cloned())
                .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()));
            if !has_result {
                return Err(wire(Error::new(ErrorKind::Service, String::new()).with(
                    |i| {
                        i.error_code = Some(code);
                        i.error_msg = msg;
                    },
                )));
            }
        }
    }
    // An operation whose answer the spec declares empty reads an empty body as `null`
    // (`()` for its builder, `null` for the generic JSON call).
    let body: &[u8] = if op.answer == crate::rules::AnswerKind::Empty
        && raw.body.iter().all(u8::is_ascii_whitespace)
    {
        b"null"
    } else {
        &raw.body
    };
    // The fast reader first; the one that tracks the path only to explain a failure.
    let value: T = match serde_json::from_slice(body).or_else(|_| {
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body))
    }) {
        Ok(v) => v,
        Err(e) => {
            return Err(wire(
                Error::new(
                    ErrorKind::InvalidResponse,
                    format!(
                        "the service answered success with a body that does not fit the spec (at {}): {}",
                        e.path(),
                        snippet(&raw.body)
                    ),
                )
                .with_source(e.into_inner()),
            ));
        }
    };
    Ok(Answer {
        value,
        status: raw.status,
        request_id: raw.request_id,
        attempts: 0,
        raw: raw.body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_answer_reads_as_null_for_an_operation_the_spec_declares_empty() {
        let empty = OperationRules {
            answer: crate::rules::AnswerKind::Empty,
            ..*crate::rules::DELETE_ATTACHMENT
        };
        let raw = |body: &'static [u8]| Raw {
            status: 200,
            request_id: None,
            retry_after: None,
            content_encoding: None,
            headers: HeaderMap::new(),
            body: Bytes::from_static(body),
        };
        assert!(map_answer::<()>(&empty, raw(b"")).is_ok());
        assert_eq!(
            *map_answer::<Value>(&empty, raw(b" \n")).unwrap().value(),
            Value::Null
        );
        // A body that is there must still read; and a JSON operation's empty body does not.
        assert!(map_answer::<()>(&empty, raw(b"{oops")).is_err());
        assert!(map_answer::<Value>(crate::rules::DELETE_ATTACHMENT, raw(b"")).is_err());
    }

    #[test]
    fn a_body_that_may_hold_an_error_code_is_parsed() {
        for body in [
            r#"{"error_code":"OSM.01010003","error_msg":"x"}"#,
            r#"{"errorCode":"OSM.1"}"#,
            r#"{"code":1}"#,
            r#"{"error":{"code":"APIGW.0101"}}"#,
            // An escaped name could spell `code` without the bytes `ode"`.
            r#"{"co\u0064e":"OSM.1"}"#,
        ] {
            assert!(may_hold_error_code(body.as_bytes()), "{body}");
            if !body.contains('\\') {
                assert!(error_fields(body.as_bytes()).0.is_some(), "{body}");
            }
        }
        assert_eq!(
            error_fields(br#"{"co\u0064e":"OSM.1"}"#).0.as_deref(),
            Some("OSM.1")
        );
        for body in [r#"{"incident_id":"CS20261128000001"}"#, "", "[]"] {
            assert!(!may_hold_error_code(body.as_bytes()), "{body}");
            assert_eq!(error_fields(body.as_bytes()).0, None, "{body}");
        }
    }
}
