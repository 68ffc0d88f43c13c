//! HTTP plumbing shared by every handler: request ids, responses, bounded body reads.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use http::header::{self, HeaderMap, HeaderValue};
use http_body_util::BodyExt;
use hyper::Response;
use hyper::body::Incoming;
use serde_json::Value;

use crate::body::ResBody;

/// The response header carrying the request id.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// The media type of every JSON answer, as the gateway writes it.
pub(crate) const JSON: &str = "application/json;charset=UTF-8";

/// The most bytes read (and thrown away) from an oversized body before answering 413,
/// so that the client is not reset while still sending.
const DRAIN_MAX: u64 = 16 * 1024 * 1024;
/// The longest time spent on that.
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// What the connection should do with a request.
pub(crate) enum Reply {
    /// Send this response.
    Response(Response<ResBody>),
    /// Close the connection without an answer.
    Drop,
}

impl From<Response<ResBody>> for Reply {
    fn from(r: Response<ResBody>) -> Self {
        Reply::Response(r)
    }
}

/// A fresh request id: 32 lower-case hex digits, like the gateway's.
pub(crate) fn new_request_id() -> String {
    format!("{:032x}", fastrand::u128(..))
}

/// A response with a body, its content type and the request id.
pub(crate) fn response(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
    request_id: &str,
) -> Response<ResBody> {
    let mut r = Response::new(ResBody::full(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID, v);
    }
    r
}

/// A JSON response.
pub(crate) fn json_response(
    status: StatusCode,
    body: &Value,
    request_id: &str,
) -> Response<ResBody> {
    response(status, JSON, body.to_string(), request_id)
}

/// At most `max` characters of `s`, for messages.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Why a body could not be read.
pub(crate) enum BodyError {
    /// Over the limit: how many bytes were seen, and whether the end was reached.
    TooLarge { seen: u64, complete: bool },
    /// The connection failed while reading, or the body did not arrive in time.
    Read(String),
}

/// Reads a body of at most `limit` bytes, which must arrive whole within `timeout`.
pub(crate) async fn read_body(
    mut body: Incoming,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(frame)) => frame.map_err(|e| BodyError::Read(e.to_string()))?,
            Ok(None) => break,
            Err(_) => {
                return Err(BodyError::Read(format!(
                    "it did not arrive whole within {} ms ({} bytes came)",
                    timeout.as_millis(),
                    buf.len()
                )));
            }
        };
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                let seen = (buf.len() + data.len()) as u64;
                let (seen, complete) = drain(body, seen).await;
                return Err(BodyError::TooLarge { seen, complete });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Reads and discards the rest of a body, within bounds; returns the bytes seen and
/// whether the end was reached.
pub(crate) async fn drain(mut body: Incoming, mut seen: u64) -> (u64, bool) {
    let deadline = tokio::time::Instant::now() + DRAIN_TIME;
    while seen <= DRAIN_MAX {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    seen += data.len() as u64;
                }
            }
            Ok(None) => return (seen, true),
            Ok(Some(Err(_))) | Err(_) => return (seen, false),
        }
    }
    (seen, false)
}

/// The `Content-Length` a request declares.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
