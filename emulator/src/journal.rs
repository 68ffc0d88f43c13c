//! The request record: every request to the service's paths, refused ones included,
//! the last [`DEFAULT_RECORD_LIMIT`] of them (configurable with
//! [`EmulatorBuilder::record_limit`](crate::EmulatorBuilder::record_limit)).
//!
//! An entry is opened by the server when a request arrives (method, path, query,
//! headers), completed by the router as it learns more (the operation, the body) and
//! closed by the server with the answer (status and error code), at the one place every
//! answer passes. Credentials never enter it: `Authorization`, `X-Auth-Token` and
//! `X-Security-Token` are recorded as `[REDACTED]`, and so is every `password` member of
//! a JSON body (a host's password).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use http::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::expect::Registry;
use crate::http::shorten;

/// The default number of requests the record keeps (the oldest are forgotten first).
pub const DEFAULT_RECORD_LIMIT: usize = 10_000;

/// The default number of bytes of each request body the record keeps.
pub const DEFAULT_RECORD_BODY_BYTES: usize = 16 * 1024;

/// What a header carrying a credential is recorded as.
pub const REDACTED: &str = "[REDACTED]";

/// The headers whose values are never recorded.
const SECRET_HEADERS: [&str; 3] = ["authorization", "x-auth-token", "x-security-token"];

/// A JSON body with every member named `password` (a host's password: check_hosts,
/// confirm_authorizations), at any depth, replaced by [`REDACTED`], re-serialised; `None`
/// for a body that holds none (or is not JSON), which is recorded as it came.
fn redact_passwords(body: &[u8]) -> Option<Vec<u8>> {
    const KEY: &[u8] = b"\"password\"";
    if !body.windows(KEY.len()).any(|w| w == KEY) {
        return None;
    }
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, m) in map.iter_mut() {
                    if k == "password" {
                        *m = Value::String(REDACTED.to_owned());
                    } else {
                        walk(m);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    // serde_json's default nesting limit (128) bounds the walk.
    let mut value: Value = serde_json::from_slice(body).ok()?;
    walk(&mut value);
    serde_json::to_vec(&value).ok()
}

/// The longest path, query or header value kept, in characters.
const MAX_TEXT: usize = 2048;

/// The most headers kept of one request (hyper refuses more than 100 anyway).
const MAX_HEADERS: usize = 100;

/// One request the emulator received, as a test can inspect it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// Position in the order of arrival, from 1 (admin requests not counted).
    pub seq: u64,
    /// When it arrived, by the emulator's clock (RFC 3339 in JSON).
    #[serde(with = "crate::store::rfc3339")]
    pub received_at: SystemTime,
    /// The operation id of the spec it was routed to (`create_case`,
    /// `list_problem_types`, …); `None` when no operation has its path (a 404).
    pub operation: Option<String>,
    /// The method, upper case.
    pub method: String,
    /// The path, as sent (percent-encoded), at most 2,048 characters.
    pub path: String,
    /// The query string without `?`, if any, at most 2,048 characters.
    pub query: Option<String>,
    /// The headers in the order sent, names in lower case, values shortened to 2,048
    /// characters; `Authorization`, `X-Auth-Token` and `X-Security-Token` are
    /// `[REDACTED]`.
    pub headers: Vec<(String, String)>,
    /// The first bytes of the body (see
    /// [`EmulatorBuilder::record_body_bytes`](crate::EmulatorBuilder::record_body_bytes)),
    /// as text (invalid UTF-8 replaced). Empty when the body was not read: a 404, a
    /// 405, a body over the size limit.
    pub body: String,
    /// The size of the whole body in bytes, when it was read.
    pub body_len: Option<usize>,
    /// Whether [`body`](Self::body) holds less than the whole body.
    pub body_truncated: bool,
    /// The HTTP status answered; `None` while the request is being handled, and when
    /// the connection was closed without an answer (a fault).
    pub status: Option<u16>,
    /// The `error_code` of the answer's JSON body, if it has one (the business errors
    /// of an HTTP 200 included).
    pub error_code: Option<String>,
    /// The `X-Request-Id` of the answer.
    pub request_id: Option<String>,
    /// The fault the request suffered, by its admin name (`respond`, `business_error`,
    /// `drop_before_record`, …).
    pub fault: Option<String>,
    /// Whether the request was answered (or dropped): `false` while it is handled.
    pub finished: bool,
}

impl RecordedRequest {
    /// The value of header `name` (case-insensitive), the first if repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON and was kept whole.
    pub fn json(&self) -> Option<Value> {
        if self.body_truncated {
            return None;
        }
        serde_json::from_str(&self.body).ok()
    }

    /// The body as `T`, such as the generated
    /// `huaweicloud_osm::generated::types::CreateCaseRequest`; an error when the body
    /// is not `T` or was not kept whole.
    pub fn body_as<T: DeserializeOwned>(&self) -> Result<T, String> {
        if self.body_truncated {
            return Err(format!(
                "the record kept {} of the body's {} bytes",
                self.body.len(),
                self.body_len.unwrap_or_default()
            ));
        }
        serde_json::from_str(&self.body).map_err(|e| e.to_string())
    }

    /// The value of query parameter `name` (decoded), the first if repeated.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_deref()?.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// A one-line description: `#3 GET /v2/... (list_problem_types) → 503 OSM.0004`.
    pub fn summary(&self) -> String {
        let mut s = format!("#{} {} {}", self.seq, self.method, self.path);
        if let Some(q) = &self.query {
            s.push('?');
            s.push_str(&shorten(q, 80));
        }
        match &self.operation {
            Some(op) => s.push_str(&format!(" ({op})")),
            None => s.push_str(" (no operation)"),
        }
        match (self.finished, self.status) {
            (false, _) => s.push_str(" → in progress"),
            (true, Some(status)) => s.push_str(&format!(" → {status}")),
            (true, None) => s.push_str(" → no answer"),
        }
        if let Some(code) = &self.error_code {
            s.push(' ');
            s.push_str(code);
        }
        if let Some(f) = &self.fault {
            s.push_str(&format!(" [fault {f}]"));
        }
        s
    }
}

/// The headers of a request as an entry of the record shows them (for a fault's matcher,
/// before the request is answered): the one conversion, through [`hold_headers`].
pub(crate) fn recorded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut held = Vec::new();
    hold_headers(&mut held, headers);
    headers_of(&held)
}

/// Appends the headers of a request as the record holds them: `name NUL value NUL`
/// pairs in one buffer (a request's headers cannot hold NUL), at most [`MAX_HEADERS`]
/// of them, each value cut to enough bytes for [`MAX_TEXT`] + 1 characters (so that
/// `shorten` still marks a cut value), credentials replaced by [`REDACTED`].
fn hold_headers(out: &mut Vec<u8>, headers: &HeaderMap) {
    const MAX_BYTES: usize = 4 * MAX_TEXT + 4;
    for (name, value) in headers.iter().take(MAX_HEADERS) {
        out.extend_from_slice(name.as_str().as_bytes());
        out.push(0);
        if SECRET_HEADERS.contains(&name.as_str()) {
            out.extend_from_slice(REDACTED.as_bytes());
        } else {
            out.extend_from_slice(&value.as_bytes()[..value.len().min(MAX_BYTES)]);
        }
        out.push(0);
    }
}

/// The pairs of [`hold_headers`], as [`RecordedRequest::headers`] shows them.
fn headers_of(held: &[u8]) -> Vec<(String, String)> {
    let mut parts = held.split(|b| *b == 0);
    let mut out = Vec::new();
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        out.push((
            String::from_utf8_lossy(name).into_owned(),
            shorten(&String::from_utf8_lossy(value), MAX_TEXT),
        ));
    }
    out
}

/// Replaces the text in `out` by `s` cut to `max` characters (with `…` when cut),
/// keeping `out`'s buffer.
fn put_short(out: &mut String, s: &str, max: usize) {
    out.clear();
    match s.char_indices().nth(max) {
        Some((i, _)) => {
            out.push_str(&s[..i]);
            out.push('…');
        }
        None => out.push_str(s),
    }
}

/// Replaces the text of an optional member, keeping its buffer.
fn put_opt(out: &mut Option<String>, s: Option<&str>) {
    match (out.as_mut(), s) {
        (Some(o), Some(s)) => {
            o.clear();
            o.push_str(s);
        }
        (None, Some(s)) => *out = Some(s.to_owned()),
        // The buffer stays for the next entry; the caller's flag says it holds
        // nothing.
        (_, None) => {}
    }
}

/// Which entry of the record a request is; travels in the request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordId(pub(crate) u64);

/// One entry as the record holds it: a few buffers, filled while the request is
/// served and turned into a [`RecordedRequest`] only when someone looks. Once the
/// record is full, the oldest entry's buffers are refilled for the newest request, so
/// that a busy emulator neither allocates nor frees for its record.
#[derive(Default)]
struct Entry {
    seq: u64,
    received_at: Option<SystemTime>,
    operation: Option<&'static str>,
    method: http::Method,
    path: String,
    query: String,
    has_query: bool,
    headers: Vec<u8>,
    body: Vec<u8>,
    body_len: Option<usize>,
    status: Option<u16>,
    error_code: Option<String>,
    has_error_code: bool,
    request_id: Option<String>,
    has_request_id: bool,
    fault: Option<String>,
    finished: bool,
}

impl Entry {
    /// Refills the entry for a request that just arrived.
    fn reset(
        &mut self,
        seq: u64,
        at: SystemTime,
        method: &http::Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) {
        self.seq = seq;
        self.received_at = Some(crate::store::rfc3339::truncate(at));
        self.operation = None;
        self.method = method.clone();
        put_short(&mut self.path, path, MAX_TEXT);
        put_short(&mut self.query, query.unwrap_or_default(), MAX_TEXT);
        self.has_query = query.is_some();
        self.headers.clear();
        hold_headers(&mut self.headers, headers);
        self.body.clear();
        self.body_len = None;
        self.status = None;
        self.has_error_code = false;
        self.has_request_id = false;
        self.fault = None;
        self.finished = false;
    }

    fn view(&self) -> RecordedRequest {
        let given = |v: &Option<String>, set: bool| v.as_ref().filter(|_| set).cloned();
        RecordedRequest {
            seq: self.seq,
            received_at: self.received_at.unwrap_or(std::time::UNIX_EPOCH),
            operation: self.operation.map(str::to_owned),
            method: self.method.as_str().to_owned(),
            path: self.path.clone(),
            query: self.has_query.then(|| self.query.clone()),
            headers: headers_of(&self.headers),
            body: String::from_utf8_lossy(&self.body).into_owned(),
            body_len: self.body_len,
            body_truncated: self.body_len.is_some_and(|n| n > self.body.len()),
            status: self.status,
            error_code: given(&self.error_code, self.has_error_code),
            request_id: given(&self.request_id, self.has_request_id),
            fault: self.fault.clone(),
            finished: self.finished,
        }
    }
}

struct Inner {
    entries: VecDeque<Entry>,
    next_seq: u64,
}

/// The record of one emulator.
pub(crate) struct Journal {
    inner: Mutex<Inner>,
    limit: usize,
    body_bytes: usize,
    /// The expectations, counted as requests finish.
    pub(crate) expectations: Registry,
}

impl Journal {
    pub(crate) fn new(limit: usize, body_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: VecDeque::new(),
                next_seq: 1,
            }),
            limit: limit.max(1),
            body_bytes,
            expectations: Registry::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves the record consistent, even if it panics.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens the entry of a request that just arrived.
    pub(crate) fn open(
        &self,
        at: SystemTime,
        method: &http::Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> RecordId {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let mut entry = if inner.entries.len() >= self.limit {
            inner.entries.pop_front().unwrap_or_default()
        } else {
            Entry::default()
        };
        entry.reset(seq, at, method, path, query, headers);
        inner.entries.push_back(entry);
        RecordId(seq)
    }

    /// Changes the entry `id`, if the record still holds it.
    fn update<T>(&self, id: RecordId, f: impl FnOnce(&mut Entry) -> T) -> Option<T> {
        let mut inner = self.lock();
        // Entries are in seq order with no gaps, so the position is arithmetic.
        let first = inner.entries.front().map(|e| e.seq)?;
        let i = id.0.checked_sub(first)?;
        let entry = inner.entries.get_mut(i as usize)?;
        debug_assert_eq!(entry.seq, id.0);
        Some(f(entry))
    }

    /// Notes the operation a request was routed to.
    pub(crate) fn note_operation(&self, id: RecordId, op: &'static str) {
        self.update(id, |e| e.operation = Some(op));
    }

    /// Notes the body of a request (its first bytes, copied: the record keeps nothing
    /// of the buffer the request was read into).
    pub(crate) fn note_body(&self, id: RecordId, body: &[u8]) {
        let redacted = redact_passwords(body);
        let body = redacted.as_deref().unwrap_or(body);
        let kept = &body[..body.len().min(self.body_bytes)];
        self.update(id, |e| {
            e.body.clear();
            e.body.extend_from_slice(kept);
            e.body_len = Some(body.len());
        });
    }

    /// The first bytes of a body, as text, and whether that is less than all of it.
    pub(crate) fn bounded_body(&self, body: &[u8]) -> (String, bool) {
        let cut = body.len().min(self.body_bytes);
        (
            String::from_utf8_lossy(&body[..cut]).into_owned(),
            cut < body.len(),
        )
    }

    /// Notes the fault a request suffers.
    pub(crate) fn note_fault(&self, id: RecordId, fault: &str) {
        self.update(id, |e| e.fault = Some(fault.to_owned()));
    }

    /// Closes the entry with the answer (`None`: no answer) and counts it against the
    /// expectations (the request is looked at only when some are registered).
    pub(crate) fn finish(
        &self,
        id: RecordId,
        status: Option<u16>,
        error_code: Option<&str>,
        request_id: Option<&str>,
    ) {
        let counted = !self.expectations.is_empty();
        let finished = self.update(id, |e| {
            e.status = status;
            put_opt(&mut e.error_code, error_code);
            e.has_error_code = error_code.is_some();
            put_opt(&mut e.request_id, request_id);
            e.has_request_id = request_id.is_some();
            e.finished = true;
            counted.then(|| e.view())
        });
        if let Some(Some(request)) = finished {
            self.expectations.count(&request);
        }
    }

    /// The entries held, oldest first.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().entries.iter().map(Entry::view).collect()
    }

    /// Forgets every entry; returns how many there were. Numbering goes on.
    pub(crate) fn clear(&self) -> usize {
        let forgotten = std::mem::take(&mut self.lock().entries);
        forgotten.len()
    }
}

/// The `error_code` of a JSON answer body, if any.
pub(crate) fn error_code_of(body: &[u8]) -> Option<String> {
    // Most answers hold no error: look for the member before parsing the body (a body
    // with an escape may spell its name differently, so it is parsed).
    if !body.contains(&b'\\') && !body.windows(12).any(|w| w == b"\"error_code\"") {
        return None;
    }
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(map) => map.get("error_code")?.as_str().map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderValue;

    #[test]
    fn secrets_are_redacted_and_the_record_is_bounded() {
        let journal = Journal::new(2, 4);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-auth-token",
            HeaderValue::from_static("tok-secret-marker"),
        );
        headers.insert("authorization", HeaderValue::from_static("SDK-HMAC marker"));
        headers.insert(
            "x-security-token",
            HeaderValue::from_static("sts-secret-marker"),
        );
        headers.insert("x-language", HeaderValue::from_static("en-us"));
        let now = SystemTime::now();
        let a = journal.open(now, &http::Method::POST, "/a", None, &headers);
        journal.note_body(a, &Bytes::from_static(b"0123456789"));
        let b = journal.open(now, &http::Method::GET, "/b", Some("x=1"), &headers);
        let c = journal.open(now, &http::Method::GET, "/c", None, &headers);
        journal.note_body(a, &Bytes::from_static(b"ignored: a is forgotten"));
        journal.finish(c, Some(200), None, None);
        let all = journal.requests();
        assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(all[0].query_param("x").as_deref(), Some("1"));
        assert!(all[1].finished && !all[0].finished);
        let debug = format!("{all:?}");
        assert!(!debug.contains("marker"), "{debug}");
        assert_eq!(all[0].header("X-Auth-Token"), Some(REDACTED));
        assert_eq!(all[0].header("x-language"), Some("en-us"));
        let _ = b;

        let journal = Journal::new(5, 4);
        let a = journal.open(now, &http::Method::POST, "/a", None, &headers);
        journal.note_body(a, &Bytes::from_static(b"0123456789"));
        let r = &journal.requests()[0];
        assert_eq!(
            (r.body.as_str(), r.body_len, r.body_truncated),
            ("0123", Some(10), true)
        );
        assert!(r.json().is_none());
        assert!(
            r.body_as::<Value>()
                .unwrap_err()
                .contains("4 of the body's 10")
        );
    }

    #[test]
    fn long_or_many_headers_are_bounded_and_repeated_secrets_all_redacted() {
        let journal = Journal::new(5, 64);
        let mut headers = HeaderMap::new();
        headers.append("authorization", HeaderValue::from_static("first-marker"));
        headers.append("authorization", HeaderValue::from_static("second-marker"));
        let long = "é".repeat(MAX_TEXT + 10);
        headers.insert("x-long", HeaderValue::from_bytes(long.as_bytes()).unwrap());
        for i in 0..MAX_HEADERS + 5 {
            headers.insert(
                http::HeaderName::from_bytes(format!("x-h{i}").as_bytes()).unwrap(),
                HeaderValue::from_static("v"),
            );
        }
        journal.open(SystemTime::now(), &http::Method::GET, "/", None, &headers);
        let r = &journal.requests()[0];
        assert_eq!(r.headers.len(), MAX_HEADERS);
        let auth: Vec<_> = r
            .headers
            .iter()
            .filter(|(n, _)| n == "authorization")
            .collect();
        assert_eq!(auth.len(), 2);
        assert!(auth.iter().all(|(_, v)| v == REDACTED));
        let kept = r.header("x-long").unwrap();
        assert_eq!(kept.chars().count(), MAX_TEXT + 1, "cut and marked with …");
        assert!(kept.ends_with('…'));
        assert!(!format!("{r:?}").contains("marker"));
    }

    #[test]
    fn the_error_code_of_an_answer() {
        assert_eq!(
            error_code_of(br#"{"error_code":"OSM.0001","error_msg":"x"}"#).as_deref(),
            Some("OSM.0001")
        );
        assert_eq!(
            error_code_of(br#"{"error\u005fcode":"OSM.0002"}"#).as_deref(),
            Some("OSM.0002")
        );
        assert_eq!(error_code_of(br#"{"incident_id":"CS1"}"#), None);
        assert_eq!(error_code_of(br#"{"note":"error_code"}"#), None);
    }

    #[test]
    fn a_reused_entry_keeps_nothing_of_the_request_it_held() {
        let journal = Journal::new(1, 64);
        let mut headers = HeaderMap::new();
        headers.insert("x-first", HeaderValue::from_static("one"));
        let now = SystemTime::now();
        let a = journal.open(now, &http::Method::POST, "/first", Some("q=1"), &headers);
        journal.note_operation(a, "create_case");
        journal.note_body(a, b"{\"a\":1}");
        journal.note_fault(a, "respond");
        journal.finish(a, Some(400), Some("OSM.0001"), Some("rid-1"));
        let b = journal.open(now, &http::Method::GET, "/second", None, &HeaderMap::new());
        let all = journal.requests();
        assert_eq!(all.len(), 1);
        let r = &all[0];
        assert_eq!(
            (r.seq, r.method.as_str(), r.path.as_str()),
            (b.0, "GET", "/second")
        );
        assert_eq!(r.query, None);
        assert!(r.headers.is_empty());
        assert_eq!(
            (r.body.as_str(), r.body_len, r.body_truncated),
            ("", None, false)
        );
        assert_eq!((r.operation.as_deref(), r.fault.as_deref()), (None, None));
        assert_eq!(
            (r.status, r.error_code.as_deref(), r.request_id.as_deref()),
            (None, None, None)
        );
        assert!(!r.finished);
        journal.finish(b, Some(200), None, Some("rid-2"));
        let r = &journal.requests()[0];
        assert_eq!(
            (r.error_code.as_deref(), r.request_id.as_deref()),
            (None, Some("rid-2"))
        );
    }
}
