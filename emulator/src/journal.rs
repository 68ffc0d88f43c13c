//! The request record: every request to the service's paths, refused ones included,
//! the last [`DEFAULT_RECORD_LIMIT`] of them (configurable with
//! [`EmulatorBuilder::record_limit`](crate::EmulatorBuilder::record_limit)).
//!
//! An entry is opened by the server when a request arrives (method, path, query,
//! headers), completed by the router as it learns more (the operation, the body) and
//! closed by the server with the answer (status and error code), at the one place every
//! answer passes. Credentials never enter it: `Authorization`, `X-Auth-Token` and
//! `X-Security-Token` are recorded as `[REDACTED]`.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use bytes::Bytes;
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
    /// The fault the request suffered, by its admin name (`respond`,
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

/// The headers of a request, as recorded.
pub(crate) fn recorded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .take(MAX_HEADERS)
        .map(|(name, value)| {
            let name = name.as_str().to_owned();
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                REDACTED.to_owned()
            } else {
                shorten(&String::from_utf8_lossy(value.as_bytes()), MAX_TEXT)
            };
            (name, value)
        })
        .collect()
}

/// Which entry of the record a request is; travels in the request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordId(pub(crate) u64);

struct Inner {
    entries: VecDeque<RecordedRequest>,
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
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> RecordId {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        while inner.entries.len() >= self.limit {
            inner.entries.pop_front();
        }
        inner.entries.push_back(RecordedRequest {
            seq,
            received_at: crate::store::rfc3339::truncate(at),
            operation: None,
            method: method.to_owned(),
            path: shorten(path, MAX_TEXT),
            query: query.map(|q| shorten(q, MAX_TEXT)),
            headers: recorded_headers(headers),
            body: String::new(),
            body_len: None,
            body_truncated: false,
            status: None,
            error_code: None,
            request_id: None,
            fault: None,
            finished: false,
        });
        RecordId(seq)
    }

    /// Changes the entry `id`, if the record still holds it.
    fn update(&self, id: RecordId, f: impl FnOnce(&mut RecordedRequest)) {
        let mut inner = self.lock();
        // Entries are in seq order with no gaps, so the position is arithmetic.
        let Some(first) = inner.entries.front().map(|e| e.seq) else {
            return;
        };
        let Some(i) = id.0.checked_sub(first) else {
            return;
        };
        if let Some(entry) = inner.entries.get_mut(i as usize) {
            debug_assert_eq!(entry.seq, id.0);
            f(entry);
        }
    }

    /// Notes the operation a request was routed to.
    pub(crate) fn note_operation(&self, id: RecordId, op: &str) {
        self.update(id, |e| e.operation = Some(op.to_owned()));
    }

    /// Notes the body of a request.
    pub(crate) fn note_body(&self, id: RecordId, body: &Bytes) {
        let (kept, truncated) = self.bounded_body(body);
        self.update(id, |e| {
            e.body = kept;
            e.body_len = Some(body.len());
            e.body_truncated = truncated;
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
    /// expectations.
    pub(crate) fn finish(
        &self,
        id: RecordId,
        status: Option<u16>,
        error_code: Option<String>,
        request_id: Option<String>,
    ) {
        let mut finished = None;
        self.update(id, |e| {
            e.status = status;
            e.error_code = error_code;
            e.request_id = request_id;
            e.finished = true;
            finished = Some(e.clone());
        });
        if let Some(request) = finished {
            self.expectations.count(&request);
        }
    }

    /// The entries held, oldest first.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().entries.iter().cloned().collect()
    }

    /// Forgets every entry; returns how many there were. Numbering goes on.
    pub(crate) fn clear(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.entries.len();
        inner.entries.clear();
        n
    }
}

/// The `error_code` of a JSON answer body, if any.
pub(crate) fn error_code_of(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(map) => map.get("error_code")?.as_str().map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let a = journal.open(now, "POST", "/a", None, &headers);
        journal.note_body(a, &Bytes::from_static(b"0123456789"));
        let b = journal.open(now, "GET", "/b", Some("x=1"), &headers);
        let c = journal.open(now, "GET", "/c", None, &headers);
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
        let a = journal.open(now, "POST", "/a", None, &headers);
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
}
